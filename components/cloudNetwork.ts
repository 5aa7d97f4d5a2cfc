/**
 * The cloud network: a dedicated VPC and subnet, firewall rules that open nothing to the world
 * unless config names it, and one static external plus one static internal address per node.
 *
 * The seed's Terraform opened Talos (50000) and Kubernetes (6443) to 0.0.0.0/0. Here those ports
 * are reachable only from `adminCidrs`, and with no admin CIDRs no rule exists at all: the
 * runner and the admins then reach the nodes over the tailnet (docs/decisions/0001).
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import { PROJECT } from "./model";
import { formatCidr, parseCidr } from "../model/net";

/** Talos apid: talosctl and the Talos provider. */
export const TALOS_API_PORT = 50000;
/** kube-apiserver. */
export const KUBERNETES_API_PORT = 6443;

export interface CloudNetworkArgs {
    /** Cluster name (DNS label); prefixes the network tags. */
    clusterName: string;
    /** Region of the subnet and the addresses, e.g. "europe-west4". */
    region: string;
    /** Primary subnet CIDR, e.g. "10.1.0.0/24"; every node gets a static internal address from it. */
    subnetCidr: string;
    /** CIDRs allowed to reach Talos (50000) and Kubernetes (6443). Empty (the default) = no such rule. */
    adminCidrs: string[];
    /** Required opt-in before `adminCidrs` may contain 0.0.0.0/0. Default false. */
    allowWorldAdmin?: boolean;
    /** Node names that get a static external and a static internal address (the GCE instance names). */
    nodeNames: string[];
}

/** Network tags the firewall rules target; instances carry them. */
export interface CloudNetworkTags {
    /** Every cluster node. */
    node: string;
    /** Control-plane nodes only (Kubernetes API). */
    controlPlane: string;
    /** Worker nodes only. */
    worker: string;
}

export interface NodeAddresses {
    /** Static external IPv4 (the instance's one-to-one NAT address). */
    external: pulumi.Output<string>;
    /** Static internal IPv4 inside the subnet (the instance's primary address). */
    internal: pulumi.Output<string>;
}

/** Firewall rule as planned from config, before it becomes a `gcp.compute.Firewall`. */
export interface FirewallRulePlan {
    /** Child name suffix. */
    role: "internal" | "talos-api" | "kube-api";
    /** Source ranges. */
    sourceRanges: string[];
    /** Allowed protocol/ports. */
    allows: { protocol: string; ports?: string[] }[];
    /** Target tags; undefined = every instance in the VPC. */
    targetTags?: string[];
    description: string;
}

export function networkTags(clusterName: string): CloudNetworkTags {
    return { node: `${clusterName}-node`, controlPlane: `${clusterName}-controlplane`, worker: `${clusterName}-worker` };
}

/** Validates an IPv4/IPv6 CIDR and returns its canonical form (host bits cleared), or throws naming the field. */
export function requireCidr(field: string, value: string): string {
    const cidr = parseCidr(value.trim());
    if (!cidr) {
        throw new Error(`${field}: "${value}" is not a CIDR; write it like "203.0.113.7/32" or "2001:db8::/64"`);
    }
    return formatCidr(cidr);
}

/**
 * The admin source ranges, validated. A world-open range (/0) needs `allowWorldAdmin`, because
 * apid and the API server then face every scanner on the internet.
 */
export function adminSourceRanges(adminCidrs: string[], allowWorldAdmin: boolean): string[] {
    const ranges = adminCidrs.map((c) => requireCidr("gcp.adminCidrs", c));
    const worldOpen = ranges.filter((c) => parseCidr(c)!.prefix === 0);
    if (worldOpen.length > 0 && !allowWorldAdmin) {
        throw new Error(
            `gcp.adminCidrs contains ${worldOpen.join(", ")}, which opens ports ${TALOS_API_PORT} and ${KUBERNETES_API_PORT} to the whole internet; ` +
                "list your own address ranges instead, or set gcp.allowWorldAdmin=true if you really mean it",
        );
    }
    return [...new Set(ranges)];
}

/** The firewall rules for this config: intra-VPC always, admin rules only when admin CIDRs exist. */
export function firewallPlan(args: Pick<CloudNetworkArgs, "clusterName" | "subnetCidr" | "adminCidrs" | "allowWorldAdmin">): FirewallRulePlan[] {
    const tags = networkTags(args.clusterName);
    const subnet = requireCidr("gcp.subnetCidr", args.subnetCidr);
    const admin = adminSourceRanges(args.adminCidrs, args.allowWorldAdmin ?? false);
    const rules: FirewallRulePlan[] = [
        {
            role: "internal",
            sourceRanges: [subnet],
            // etcd, kubelet, trustd, tailscale direct paths between nodes: everything stays inside the subnet.
            allows: [{ protocol: "tcp" }, { protocol: "udp" }, { protocol: "icmp" }],
            description: `${args.clusterName}: all traffic between cluster nodes inside ${subnet}`,
        },
    ];
    if (admin.length > 0) {
        rules.push(
            {
                role: "talos-api",
                sourceRanges: admin,
                allows: [{ protocol: "tcp", ports: [String(TALOS_API_PORT)] }],
                targetTags: [tags.node],
                description: `${args.clusterName}: Talos API from the admin CIDRs (the Pulumi runner must be among them)`,
            },
            {
                role: "kube-api",
                sourceRanges: admin,
                allows: [{ protocol: "tcp", ports: [String(KUBERNETES_API_PORT)] }],
                targetTags: [tags.controlPlane],
                description: `${args.clusterName}: Kubernetes API from the admin CIDRs`,
            },
        );
    }
    return rules;
}

/**
 * VPC, subnet, firewall and per-node static addresses for the cloud half of the cluster.
 */
export class CloudNetwork extends pulumi.ComponentResource {
    public readonly network: gcp.compute.Network;
    public readonly subnetwork: gcp.compute.Subnetwork;
    public readonly firewalls: gcp.compute.Firewall[];
    /** Static addresses per node name. */
    public readonly addresses: Record<string, NodeAddresses>;
    public readonly tags: CloudNetworkTags;

    constructor(name: string, args: CloudNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:gcp:CloudNetwork`, name, {}, opts);
        const plan = firewallPlan(args);
        if (new Set(args.nodeNames).size !== args.nodeNames.length) {
            throw new Error(`CloudNetwork ${name}: node names must be unique, got ${JSON.stringify(args.nodeNames)}`);
        }
        this.tags = networkTags(args.clusterName);

        this.network = new gcp.compute.Network(`${name}-vpc`, {
            autoCreateSubnetworks: false,
            routingMode: "REGIONAL",
            description: `${args.clusterName} Talos cluster`,
        }, { parent: this });

        this.subnetwork = new gcp.compute.Subnetwork(`${name}-subnet`, {
            network: this.network.id,
            region: args.region,
            ipCidrRange: args.subnetCidr,
            privateIpGoogleAccess: true,
        }, { parent: this });

        this.firewalls = plan.map((rule) => new gcp.compute.Firewall(`${name}-${rule.role}`, {
            network: this.network.id,
            direction: "INGRESS",
            sourceRanges: rule.sourceRanges,
            allows: rule.allows,
            targetTags: rule.targetTags,
            description: rule.description,
        }, { parent: this }));

        this.addresses = {};
        for (const node of args.nodeNames) {
            const external = new gcp.compute.Address(`${name}-${node}-external`, {
                region: args.region,
                addressType: "EXTERNAL",
                networkTier: "PREMIUM",
                description: `${node}: one-to-one NAT address`,
            }, { parent: this });
            const internal = new gcp.compute.Address(`${name}-${node}-internal`, {
                region: args.region,
                addressType: "INTERNAL",
                subnetwork: this.subnetwork.id,
                description: `${node}: primary address (the first control plane's is the cloud cluster endpoint)`,
            }, { parent: this });
            this.addresses[node] = { external: external.address, internal: internal.address };
        }

        this.registerOutputs({
            networkId: this.network.id,
            subnetworkId: this.subnetwork.id,
            addresses: this.addresses,
        });
    }
}
