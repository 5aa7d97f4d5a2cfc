/**
 * Pure helpers for the Proxmox worker VMs: their MAC addresses, file names on the Proxmox
 * storage, and the Image Factory customization that carries each VM's static network config.
 */
import { createHash } from "node:crypto";
import { CLASSIC_LINK_NAMES_ARG, MetalNetworkOptions, metalNetworkMetaValue } from "../talos/metaNetwork";
import { METAL_ISO_KERNEL_ARG } from "../talos/metalIso";
import type { SchematicCustomization } from "../talos/schematic";

/** META key of the metal platform's network config (`meta.MetalNetworkPlatformConfig`, 0x0a). */
export const META_NETWORK_KEY = 10;

/**
 * A stable MAC for a VM: locally administered, unicast (first octet 0x02), the other five
 * octets from SHA-256 of cluster and VM name. The same stack always gives a VM the same MAC, so
 * DHCP reservations and switch tables stay valid across rebuilds (seed 003's deterministic MACs).
 */
export function deterministicMac(clusterName: string, vmName: string): string {
    const digest = createHash("sha256").update(`talos-cloud-edge/${clusterName}/${vmName}`).digest();
    return ["02", ...[...digest.subarray(0, 5)].map((b) => b.toString(16).padStart(2, "0"))].join(":");
}

/**
 * The per-VM schematic: the pool's extensions, classic link names (META names `eth0`), config
 * from the `metal-iso` volume, and the VM's static network config in META key 10.
 */
export function proxmoxSchematic(extensions: readonly string[], network: MetalNetworkOptions): SchematicCustomization {
    return {
        extensions,
        extraKernelArgs: [CLASSIC_LINK_NAMES_ARG, METAL_ISO_KERNEL_ARG],
        meta: [{ key: META_NETWORK_KEY, value: metalNetworkMetaValue(network) }],
    };
}

/** File name of a VM's Talos disk image in the `import` content of the file datastore. */
export function diskImageFileName(vmName: string, talosVersion: string, schematicId: string): string {
    return `talos-${vmName}-${talosVersion}-${schematicId.slice(0, 12)}.qcow2`;
}

/** File name of a VM's config volume in the `iso` content of the file datastore. */
export function configIsoFileName(clusterName: string, vmName: string): string {
    return `talos-config-${clusterName}-${vmName}.iso`;
}

/** Image Factory URL of a schematic's metal qcow2 disk image (Proxmox imports qcow2 directly). */
export function metalQcow2Url(factoryUrl: string, schematicId: string, talosVersion: string, arch: "amd64" | "arm64" = "amd64"): string {
    return `${factoryUrl.replace(/\/+$/, "")}/image/${schematicId}/${talosVersion}/metal-${arch}.qcow2`;
}

/** `metal-installer` reference of a schematic (upgrades keep its kernel arguments and extensions). */
export function metalInstallerImage(factoryUrl: string, schematicId: string, talosVersion: string): string {
    return `${new URL(factoryUrl).host}/metal-installer/${schematicId}:${talosVersion}`;
}
