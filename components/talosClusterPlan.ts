/**
 * Pure parts of the Talos cluster component: node planning, endpoints, duration checks, the
 * kubeconfig rewrite and the per-node patch list of a cloud node. components/talosCluster.ts
 * wires them; tests call them directly.
 */
import { parse, stringify } from "yaml";
import { NodeRole } from "./model";
import {
    controlPlanePatch,
    hostnamePatch,
    installImagePatch,
    nodeIdentityPatch,
    tailscalePatch,
} from "../lib/talos/patches";

/** Checks the node list and names the node that bootstraps etcd. */
export function planNodes<T extends { name: string; hostname: string; role: NodeRole }>(nodes: T[]): { controlPlanes: T[]; workers: T[]; bootstrapNode: T } {
    const controlPlanes = nodes.filter((n) => n.role === "controlplane");
    if (controlPlanes.length === 0) {
        throw new Error("cloudNodes: at least one node needs role \"controlplane\"; the first one bootstraps etcd");
    }
    for (const key of ["name", "hostname"] as const) {
        const seen = new Set<string>();
        for (const n of nodes) {
            if (seen.has(n[key])) {
                throw new Error(`cloudNodes: ${key} "${n[key]}" is used twice; node ${key}s must be unique`);
            }
            seen.add(n[key]);
        }
    }
    return { controlPlanes, workers: nodes.filter((n) => n.role === "worker"), bootstrapNode: controlPlanes[0] };
}

/** `https://<ip>:6443`, bracketing IPv6. */
export function apiServerUrl(address: string): string {
    return `https://${address.includes(":") ? `[${address}]` : address}:6443`;
}

/** Validates a Go duration as the Talos provider parses it ("90s", "10m", "1h30m"). */
export function requireGoDuration(field: string, value: string): string {
    if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(value)) {
        throw new Error(`${field}: "${value}" is not a duration; write it like "10m", "90s" or "1h30m"`);
    }
    return value;
}

/**
 * Points every cluster entry of a kubeconfig at `server`. Talos writes the cluster endpoint (the
 * first control plane's VPC address), which is unreachable from outside the VPC; admins use the
 * same address the runner used (public or tailnet), which the API server certificate covers.
 */
export function kubeconfigWithServer(kubeconfig: string, server: string): string {
    const doc = parse(kubeconfig) as { clusters?: { cluster?: { server?: string } }[] };
    if (!doc || !Array.isArray(doc.clusters) || doc.clusters.length === 0) {
        throw new Error("kubeconfig from Talos has no clusters entry");
    }
    for (const entry of doc.clusters) {
        if (entry.cluster) {
            entry.cluster.server = server;
        }
    }
    return stringify(doc);
}

export interface NodePatchOptions {
    hostname: string;
    /** Extra `tailscale up` arguments, e.g. Headscale's `--login-server=<url>`. Default []. */
    tailscaleExtraArgs?: string[];
    role: NodeRole;
    region: string;
    zone: string;
    installerImage: string;
    externalAddress: string;
    internalAddress: string;
    subnetCidr: string;
    clusterPatch: string;
    authKey: string;
}

/** All patches of one cloud node, in the order Talos applies them. The result holds the auth key. */
export function cloudNodePatches(o: NodePatchOptions): string[] {
    return [
        o.clusterPatch,
        ...(o.role === "controlplane" ? [controlPlanePatch({ etcdSubnets: [o.subnetCidr] })] : []),
        installImagePatch(o.installerImage),
        nodeIdentityPatch({
            talosApiCertSans: [o.externalAddress, o.internalAddress],
            labels: { "topology.kubernetes.io/region": o.region, "topology.kubernetes.io/zone": o.zone },
        }),
        hostnamePatch(o.hostname),
        tailscalePatch(o.authKey, o.hostname, o.tailscaleExtraArgs ?? []),
    ];
}

