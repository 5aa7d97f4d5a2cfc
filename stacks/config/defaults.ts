/**
 * Stack config defaults: what a key means when the stack file leaves it out.
 */
import { EDGE_VM_DEFAULTS, VM_INSTALL_DISK } from "../../model/edgeMachine";

export const DEFAULTS = {
    podCidr: "10.244.0.0/16",
    serviceCidr: "10.96.0.0/12",
    healthTimeout: "10m",
    diskSizeGb: 50,
    // The seed's schematics: 4a0d65c6... (cloud) and 7d4c31cb... (edge); see lib/talos/schematic.ts.
    cloudExtensions: ["siderolabs/tailscale"],
    edgeExtensions: ["siderolabs/qemu-guest-agent", "siderolabs/tailscale"],
    factoryUrl: "https://factory.talos.dev",
    tailnet: "-",
    keyExpirySeconds: 3600,
    minInstances: 0,
    maxInstances: 1,
    ticketTtlSeconds: 900,
    edgeKeyExpirySeconds: 3600,
    rateLimitPerMinute: 120,
    consoleArgs: ["console=tty0", "console=ttyS0,115200"],
    sshPort: 22,
    sshUser: "root",
    mtu: 1500,
    leaseTime: "1h",
    dnsServers: ["1.1.1.1", "8.8.8.8"],
    storagePool: "default",
    arch: "amd64" as const,
    vmInstallDisk: VM_INSTALL_DISK,
    vm: EDGE_VM_DEFAULTS,
};
