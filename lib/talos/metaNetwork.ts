/**
 * The metal platform's static network config, as Talos reads it from META key 10 (0x0a,
 * `MetalNetworkPlatformConfig`): a serialized `PlatformConfigSpec` of network resources at the
 * `platform` layer, applied at boot before any machine config exists. Seed 003 baked it into
 * each Proxmox VM's image through the Image Factory schematic's `customization.meta`.
 *
 * Format facts (siderolabs/talos v1.12.4):
 * - `pkg/machinery/meta/constants.go`: key 10 = MetalNetworkPlatformConfig, read only by the
 *   `metal` platform (`platform/metal/metal.go` unmarshals the value as YAML into
 *   `network.PlatformConfigSpec`); JSON is YAML, so a compact JSON object is a valid value.
 * - Field names are the `yaml` tags of `PlatformConfigSpec` and `AddressSpecSpec`, `LinkSpecSpec`,
 *   `RouteSpecSpec`, `HostnameSpecSpec`, `ResolverSpecSpec` (`pkg/machinery/resources/network`);
 *   enum values are their text forms (`inet4`, `global`, `permanent`, `main`, `unicast`,
 *   `static`, `ether`, `platform`), as in the platform test data (`nocloud/testdata/expected-v2.yaml`).
 *
 * Nothing here is secret: the factory serves schematics to anyone who knows their ID.
 */
import { formatIPv4, parseIPv4 } from "../../model/net";

/** The link Talos names the VM's first NIC when the kernel runs with `net.ifnames=0`. */
export const FIRST_LINK = "eth0";
/** Kernel arguments every metal VM image carries: classic link names (so META can name `eth0`). */
export const CLASSIC_LINK_NAMES_ARG = "net.ifnames=0";
/** Talos's route priority for a platform default route (`network.DefaultRouteMetric`). */
export const DEFAULT_ROUTE_METRIC = 1024;

export interface MetalNetworkOptions {
    /** Hostname (DNS label) Talos takes at the platform layer. */
    hostname: string;
    /** Static IPv4 address of the first NIC. */
    address: string;
    /** Prefix length of the LAN (1..32). */
    prefixLength: number;
    /** Default gateway, inside the LAN. */
    gateway: string;
    /** DNS servers (IPv4), at least one. */
    dnsServers: readonly string[];
    /** Link name. Default `FIRST_LINK`. */
    linkName?: string;
}

/** The `PlatformConfigSpec` document as plain data (YAML tag names, text enum values). */
export interface MetalNetworkConfig {
    addresses: Array<{ address: string; linkName: string; family: "inet4"; scope: "global"; flags: "permanent"; layer: "platform" }>;
    links: Array<{ name: string; logical: false; up: true; mtu: 0; kind: ""; type: "ether"; layer: "platform" }>;
    routes: Array<{
        family: "inet4";
        dst: "";
        src: "";
        gateway: string;
        outLinkName: string;
        table: "main";
        priority: number;
        scope: "global";
        type: "unicast";
        flags: "";
        protocol: "static";
        layer: "platform";
    }>;
    hostnames: Array<{ hostname: string; domainname: ""; layer: "platform" }>;
    resolvers: Array<{ dnsServers: string[]; layer: "platform" }>;
    timeServers: [];
    operators: [];
    externalIPs: [];
}

/** Checks the options and builds the document; throws naming the bad value. */
export function metalNetworkConfig(o: MetalNetworkOptions): MetalNetworkConfig {
    const linkName = o.linkName ?? FIRST_LINK;
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(o.hostname)) {
        throw new Error(`META network config: hostname ${JSON.stringify(o.hostname)} is not a DNS label`);
    }
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(linkName)) {
        throw new Error(`META network config: link ${JSON.stringify(linkName)} is not an interface name`);
    }
    if (!Number.isInteger(o.prefixLength) || o.prefixLength < 1 || o.prefixLength > 32) {
        throw new Error(`META network config: prefix length ${o.prefixLength} is not 1..32`);
    }
    const address = parseIPv4(o.address);
    const gateway = parseIPv4(o.gateway);
    if (address === undefined || gateway === undefined) {
        throw new Error(`META network config: ${address === undefined ? `address ${JSON.stringify(o.address)}` : `gateway ${JSON.stringify(o.gateway)}`} is not an IPv4 address`);
    }
    const mask = ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - o.prefixLength)) - 1n);
    if ((address & mask) !== (gateway & mask)) {
        throw new Error(`META network config: gateway ${o.gateway} is outside ${o.address}/${o.prefixLength}`);
    }
    if (address === gateway) {
        throw new Error(`META network config: the address ${o.address} is the gateway's`);
    }
    if (o.dnsServers.length === 0 || o.dnsServers.some((d) => parseIPv4(d) === undefined)) {
        throw new Error(`META network config: dnsServers ${JSON.stringify(o.dnsServers)} must be one or more IPv4 addresses`);
    }
    return {
        addresses: [{ address: `${formatIPv4(address)}/${o.prefixLength}`, linkName, family: "inet4", scope: "global", flags: "permanent", layer: "platform" }],
        links: [{ name: linkName, logical: false, up: true, mtu: 0, kind: "", type: "ether", layer: "platform" }],
        routes: [{
            family: "inet4",
            // An empty destination is the default route.
            dst: "",
            src: "",
            gateway: formatIPv4(gateway),
            outLinkName: linkName,
            table: "main",
            priority: DEFAULT_ROUTE_METRIC,
            scope: "global",
            type: "unicast",
            flags: "",
            protocol: "static",
            layer: "platform",
        }],
        hostnames: [{ hostname: o.hostname, domainname: "", layer: "platform" }],
        resolvers: [{ dnsServers: o.dnsServers.map((d) => formatIPv4(parseIPv4(d)!)), layer: "platform" }],
        timeServers: [],
        operators: [],
        externalIPs: [],
    };
}

/** The META key 10 value: the document as compact JSON (one line, no spaces; see lib/talos/schematic.ts). */
export function metalNetworkMetaValue(o: MetalNetworkOptions): string {
    return JSON.stringify(metalNetworkConfig(o));
}
