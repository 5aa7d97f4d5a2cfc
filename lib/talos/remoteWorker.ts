/**
 * Patches of the workers outside GCP that join over the overlay (Proxmox VMs, Oracle Cloud
 * instances): their own installer, hostname, labels and tailscale extension, plus the platform
 * settings Oracle Cloud needs. Pure functions from plain values to YAML documents, applied after
 * the cluster's shared patch (TalosCluster.remoteWorkerConfig).
 */
import { stringify } from "yaml";
import { hostnamePatch, installImagePatch, nodeIdentityPatch, tailscalePatch } from "./patches";

/** Oracle Cloud's instance metadata service, which also answers DNS (seed 004). */
export const ORACLE_METADATA_ADDRESS = "169.254.169.254";
/** The link-local range the metadata service lives in; seed 004 had to route it explicitly. */
export const LINK_LOCAL_CIDR = "169.254.0.0/16";
/** The Oracle Cloud instance's primary NIC: the oracle platform boots with `net.ifnames=0`. */
export const ORACLE_PRIMARY_LINK = "eth0";

export interface RemoteWorkerPatchOptions {
    /** Talos hostname = Kubernetes node name = overlay hostname. */
    hostname: string;
    /** Installer image of the node's schematic and platform. */
    installerImage: string;
    /** Node labels (topology). */
    labels: Record<string, string>;
    /** Addresses talosctl may dial besides the node's own (its LAN address). Default []. */
    talosApiCertSans?: string[];
    /** The node's single-use overlay key (secret: the result holds it). */
    authKey: string;
    /** Extra `tailscale up` arguments (Headscale's `--login-server`). Default []. */
    tailscaleExtraArgs?: string[];
}

/** The patches every remote worker gets, in order. The result holds the auth key. */
export function remoteWorkerPatches(o: RemoteWorkerPatchOptions): string[] {
    return [
        installImagePatch(o.installerImage),
        nodeIdentityPatch({ talosApiCertSans: o.talosApiCertSans ?? [], labels: o.labels }),
        hostnamePatch(o.hostname),
        tailscalePatch(o.authKey, o.hostname, o.tailscaleExtraArgs ?? []),
    ];
}

/**
 * What seed 004 found an Oracle Cloud node needs beyond the platform defaults, as Talos v1.12
 * network documents: the metadata service as resolver (it is the VCN's DNS), an explicit
 * link-local route to it on the primary NIC, and DHCPv4 on that NIC (a machine-config link
 * stops Talos's default DHCP there, so it is asked for explicitly; the subnet's DHCP gives the
 * address and the default route).
 */
export function oracleNetworkPatches(): string[] {
    return [
        stringify({ apiVersion: "v1alpha1", kind: "ResolverConfig", nameservers: [{ address: ORACLE_METADATA_ADDRESS }] }),
        stringify({ apiVersion: "v1alpha1", kind: "LinkConfig", name: ORACLE_PRIMARY_LINK, routes: [{ destination: LINK_LOCAL_CIDR }] }),
        stringify({ apiVersion: "v1alpha1", kind: "DHCPv4Config", name: ORACLE_PRIMARY_LINK }),
    ];
}

/** A Kubernetes label value from any text: invalid characters to "-", at most 63, alphanumeric ends. */
export function labelValue(text: string): string {
    return text.replace(/[^A-Za-z0-9_.-]+/g, "-").slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
}

/** The zone part of an Oracle availability domain ("Uocm:US-ASHBURN-AD-1" → "US-ASHBURN-AD-1"). */
export function oracleZone(availabilityDomain: string): string {
    return labelValue(availabilityDomain.slice(availabilityDomain.lastIndexOf(":") + 1));
}
