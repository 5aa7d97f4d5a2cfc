/**
 * Checks across sections: address ranges that share one routing domain, unique names and identities, pod CIDR capacity.
 */
import { Problems } from "../../model/problems";
import { child } from "../../model/readers";
import { cidrSize, cidrsOverlap, formatCidr, parseCidr, type Cidr } from "../../model/net";
import { TAILNET_IPV4_CIDR, type CloudNodeConfig, type ClusterConfig, type GcpConfig } from "../../components/model";
import { key } from "./common";
import { DEFAULTS } from "./defaults";
import { Parsed } from "./nodes";
import { LocatedSite } from "./edgeSites";
import type { ParsedProxmox } from "./proxmox";
import type { ParsedOci } from "./oci";

/** The optional remote worker pools, as parsed (undefined = absent, null = invalid). */
export interface RemotePools {
    proxmox?: ParsedProxmox | null;
    oci?: ParsedOci | null;
}

export interface NamedRange {
    /** Config key path, or "tailnet" for the fixed Tailscale range. */
    path: string;
    /** The value as written. */
    text: string;
    cidr: Cidr;
    /** True when the value is a default the user did not write. */
    isDefault: boolean;
    /** Extra context for messages (", site \"site-1\""). */
    note: string;
}

export function checkOverlaps(p: Problems, ranges: NamedRange[]): void {
    const describe = (r: NamedRange): string =>
        r.path === "tailnet" ? `the Tailscale range ${TAILNET_IPV4_CIDR}` : `${r.path} (${formatCidr(r.cidr)}${r.isDefault ? ", the default" : ""}${r.note})`;
    for (let j = 1; j < ranges.length; j++) {
        for (let i = 0; i < j; i++) {
            if (!cidrsOverlap(ranges[i].cidr, ranges[j].cidr)) {
                continue;
            }
            // Blame the side the user can change: never the tailnet, preferably not an unwritten default.
            let [blamed, other] = [ranges[j], ranges[i]];
            if (other.path !== "tailnet" && blamed.isDefault && !other.isDefault) {
                [blamed, other] = [other, blamed];
            }
            const fix =
                other.path === "tailnet"
                    ? `move it out of ${TAILNET_IPV4_CIDR}: Tailscale assigns every node's address from that range`
                    : `the VPC subnet, pod CIDR, service CIDR, tailnet ${TAILNET_IPV4_CIDR} and every edge site subnet must be disjoint; pick a range that overlaps none of them`;
            const subnet = blamed.text === formatCidr(blamed.cidr) ? "" : `(subnet ${formatCidr(blamed.cidr)}) `;
            p.invalid(blamed.path, blamed.text, `${subnet}overlaps ${describe(other)}; ${fix}`);
        }
    }
}

export function crossChecks(
    p: Problems,
    cluster: ClusterConfig | undefined,
    gcp: GcpConfig | undefined,
    nodes: Parsed<CloudNodeConfig>,
    sites: { items: LocatedSite[]; complete: boolean },
    podCidrWritten: boolean,
    serviceCidrWritten: boolean,
    remote: RemotePools = {},
): void {
    // Address ranges that share one routing domain over the tailnet.
    const ranges: NamedRange[] = [{ path: "tailnet", text: TAILNET_IPV4_CIDR, cidr: parseCidr(TAILNET_IPV4_CIDR)!, isDefault: false, note: "" }];
    if (gcp) {
        ranges.push({ path: key("gcp.subnetCidr"), text: gcp.subnetCidr, cidr: parseCidr(gcp.subnetCidr)!, isDefault: false, note: "" });
    }
    if (cluster) {
        ranges.push({ path: key("cluster.podCidr"), text: cluster.podCidr, cidr: parseCidr(cluster.podCidr)!, isDefault: !podCidrWritten, note: "" });
        ranges.push({ path: key("cluster.serviceCidr"), text: cluster.serviceCidr, cidr: parseCidr(cluster.serviceCidr)!, isDefault: !serviceCidrWritten, note: "" });
    }
    for (const s of sites.items) {
        ranges.push({
            path: child(child(s.path, "bridge"), "gatewayCidr"),
            text: s.value.bridge.gatewayCidr,
            cidr: parseCidr(s.value.bridge.subnetCidr)!,
            isDefault: false,
            note: `, site "${s.value.name}"`,
        });
    }
    if (remote.proxmox) {
        // The Proxmox LAN is the VMs' own network; pods and services must not shadow it.
        ranges.push({ path: key("proxmox.gatewayCidr"), text: remote.proxmox.value.gatewayCidr, cidr: parseCidr(remote.proxmox.value.subnetCidr)!, isDefault: false, note: "" });
    }
    checkOverlaps(p, ranges);

    if (nodes.complete && !nodes.items.some((n) => n.value.role === "controlplane")) {
        p.add(key("nodes"), 'no node has role "controlplane"; set role: controlplane on at least one cloud node (the first one bootstraps etcd)');
    }

    // Node names share one Kubernetes (and tailnet) namespace across cloud and edge.
    const names = new Map<string, string>();
    const claimName = (at: string, name: string) => {
        if (names.has(name)) {
            p.invalid(
                at,
                name,
                `is already used by ${names.get(name)}; node names must be unique across cloud nodes, edge machines, Proxmox VMs and Oracle workers (they share one Kubernetes node namespace)`,
            );
        } else {
            names.set(name, at);
        }
    };
    for (const n of nodes.items) {
        claimName(child(n.path, "name"), n.value.name);
    }
    const siteNames = new Map<string, string>();
    const macs = new Map<string, string>();
    const uuids = new Map<string, string>();
    const serials = new Map<string, string>();
    const bridges = new Map<string, string>();
    for (const s of sites.items) {
        const site = s.value;
        if (siteNames.has(site.name)) {
            p.invalid(child(s.path, "name"), site.name, `is already used by ${siteNames.get(site.name)}; give every site its own name`);
        } else {
            siteNames.set(site.name, child(s.path, "name"));
        }
        const bridgeId = `${site.host.address.toLowerCase()}|${site.bridge.name}`;
        const bridgePath = child(child(s.path, "bridge"), "name");
        if (bridges.has(bridgeId)) {
            p.invalid(bridgePath, site.bridge.name, `is already used on host ${site.host.address} by ${bridges.get(bridgeId)}; sites on one host need distinct bridge names`);
        } else {
            bridges.set(bridgeId, bridgePath);
        }
        site.machines.forEach((m, j) => {
            const at = s.machinePaths[j];
            claimName(child(at, "name"), m.name);
            if (macs.has(m.mac)) {
                p.invalid(child(at, "mac"), m.mac, `is already used by ${macs.get(m.mac)}; every machine needs its own MAC address (the boot service identifies machines by it)`);
            } else {
                macs.set(m.mac, child(at, "mac"));
            }
            if (m.uuid !== undefined) {
                if (uuids.has(m.uuid)) {
                    p.invalid(child(at, "uuid"), m.uuid, `is already used by ${uuids.get(m.uuid)}; SMBIOS UUIDs identify machines, so each must be unique (remove it if unknown)`);
                } else {
                    uuids.set(m.uuid, child(at, "uuid"));
                }
            }
            if (m.serial !== undefined) {
                if (serials.has(m.serial)) {
                    p.invalid(child(at, "serial"), m.serial, `is already used by ${serials.get(m.serial)}; SMBIOS serials identify machines, so each must be unique (remove it if unknown)`);
                } else {
                    serials.set(m.serial, child(at, "serial"));
                }
            }
        });
    }

    // Proxmox VMs and Oracle workers are Kubernetes nodes too.
    for (const m of remote.proxmox?.machines ?? []) {
        claimName(child(m.path, "name"), m.value.name);
    }
    for (const w of remote.oci?.workers ?? []) {
        claimName(child(w.path, "name"), w.value.name);
    }

    // Each node takes a /24 of the pod CIDR (controller-manager node-cidr-mask-size).
    if (cluster) {
        const nodeCount = nodes.items.length + sites.items.reduce((n, s) => n + s.value.machines.length, 0) +
            (remote.proxmox?.machines.length ?? 0) + (remote.oci?.workers.length ?? 0);
        const capacity = cidrSize(parseCidr(cluster.podCidr)!) >> 8n;
        if (BigInt(nodeCount) > capacity) {
            p.invalid(key("cluster.podCidr"), cluster.podCidr, `holds ${capacity} per-node /24 blocks but the stack has ${nodeCount} nodes; use a larger range, e.g. "${DEFAULTS.podCidr}"`);
        }
    }
}
