/**
 * Composes the cloud half of the deployment from a validated StackConfig: network, images,
 * tailnet keys and the Talos cluster on GCE (seed phases 1-4 and 7). `stacks/index.ts` calls it;
 * tests call it directly with a parsed stack file, so the whole cloud graph builds offline.
 */
import * as pulumi from "@pulumi/pulumi";
import { Architecture, StackConfig } from "../components/model";
import { CloudNetwork } from "../components/cloudNetwork";
import { TalosImages } from "../components/talosImages";
import { Tailnet } from "../components/tailnet";
import { HeadscaleKeys } from "../components/headscaleKeys";
import { OverlayLookup, overlayExtraArgs } from "../components/overlay";
import { CloudNodeSummary, CredentialsExpiry, TalosCluster } from "../components/talosCluster";
import { dayTwoOf } from "../model/dayTwo";
import { TalosApiAccess } from "../components/cloudNode";

/** The overlay the stack's own nodes join: their keys and how their addresses are found. */
export interface OverlayHandles {
    /** Single-use key per node hostname (cloud nodes and remote workers; secret). */
    authKeys: Record<string, pulumi.Output<string>>;
    /** Where a node's overlay address is looked up. */
    lookup: (hostname: string) => OverlayLookup;
    /** Extra `tailscale up` arguments of every node (Headscale's `--login-server`). */
    extraArgs: string[];
}

/** Everything `composeCloud` built, for the edge composition and for stack outputs. */
export interface CloudHandles {
    network: CloudNetwork;
    images: TalosImages;
    /** Tailscale provider and keys; undefined when the overlay is Headscale. */
    tailnet?: Tailnet;
    /** Headscale keys; undefined when the overlay is Tailscale. */
    headscale?: HeadscaleKeys;
    overlay: OverlayHandles;
    cluster: TalosCluster;
    /** How the runner reaches the Talos and Kubernetes APIs in this stack. */
    talosApiAccess: TalosApiAccess;
    /** The values `stacks/index.ts` exports. */
    outputs: CloudStackOutputs;
}

/** Stack outputs of the cloud half. Secret ones are marked secret. */
export interface CloudStackOutputs {
    /** Admin kubeconfig (secret). */
    kubeconfig: pulumi.Output<string>;
    /** talosctl config (secret). */
    talosconfig: pulumi.Output<string>;
    /** Cloud node names and addresses (public, private, tailnet). */
    nodes: pulumi.Output<CloudNodeSummary[]>;
    /** Image Factory schematic IDs. */
    schematicIds: pulumi.Output<{ cloud: string; edge: string }>;
    /** Installer image references. */
    installerImages: pulumi.Output<{ cloud: string; edge: string }>;
    /** Kubernetes API endpoint in cloud configs (VPC address). */
    clusterEndpoint: pulumi.Output<string>;
    /** Kubernetes API endpoint in edge configs (tailnet address). */
    edgeClusterEndpoint: pulumi.Output<string>;
    /** Self link of the imported GCE image. */
    gcpImage: pulumi.Output<string>;
    /** "public" or "tailnet": where the runner reached the nodes. */
    talosApiAccess: string;
    /** When the kubeconfig and talosconfig client certificates expire, and from when `pulumi up` renews them. */
    credentials: pulumi.Output<CredentialsExpiry>;
}

/** GCE instance name, Talos hostname and tailnet hostname of a cloud node. */
export function cloudNodeHostname(clusterName: string, nodeName: string): string {
    return `${clusterName}-${nodeName}`;
}

/**
 * With admin CIDRs the runner (which must be inside them) uses the nodes' public addresses;
 * without, nothing is open to the internet and the runner must be a tailnet member.
 */
export function talosApiAccessFor(cfg: StackConfig): TalosApiAccess {
    return cfg.gcp.adminCidrs.length > 0 ? "public" : "tailnet";
}

/** Architectures of the cloud nodes (a GCE image is imported for each), amd64 first. */
export function cloudArchitectures(cfg: StackConfig): Architecture[] {
    const archs = new Set<Architecture>(cfg.cloudNodes.map((n) => n.arch ?? "amd64"));
    return (["amd64", "arm64"] as const).filter((a) => archs.has(a));
}

/** Hostnames of every node the stack boots itself and mints a key for: cloud nodes, Proxmox VMs, Oracle workers. */
export function overlayHostnames(cfg: StackConfig): string[] {
    return [
        ...cfg.cloudNodes.map((n) => cloudNodeHostname(cfg.cluster.name, n.name)),
        ...(cfg.proxmox?.machines ?? []).map((m) => m.name),
        ...(cfg.oci?.workers ?? []).map((w) => w.name),
    ];
}

/** Architectures the edge machines use (boot assets are produced for each); amd64 when there are none. */
export function edgeArchitectures(cfg: StackConfig): Architecture[] {
    const archs = new Set<Architecture>(cfg.edgeSites.flatMap((s) => s.machines.map((m) => m.arch)));
    return archs.size > 0 ? [...archs].sort() : ["amd64"];
}

/** Builds every cloud component for `cfg`. `opts` is passed to each top-level component. */
export function composeCloud(cfg: StackConfig, opts?: pulumi.ComponentResourceOptions): CloudHandles {
    const clusterName = cfg.cluster.name;
    const access = talosApiAccessFor(cfg);
    const nodes = cfg.cloudNodes.map((n) => ({ ...n, hostname: cloudNodeHostname(clusterName, n.name) }));

    const network = new CloudNetwork(`${clusterName}-network`, {
        clusterName,
        region: cfg.gcp.region,
        subnetCidr: cfg.gcp.subnetCidr,
        adminCidrs: cfg.gcp.adminCidrs,
        allowWorldAdmin: cfg.gcp.allowWorldAdmin,
        nodeNames: nodes.map((n) => n.name),
    }, opts);

    const images = new TalosImages(`${clusterName}-images`, {
        clusterName,
        talosVersion: cfg.cluster.talosVersion,
        cloudExtensions: cfg.images.cloudExtensions,
        edgeExtensions: cfg.images.edgeExtensions,
        factoryUrl: cfg.images.factoryUrl,
        edgeArchitectures: edgeArchitectures(cfg),
        bucketLocation: cfg.gcp.region,
        gcpArchitectures: cloudArchitectures(cfg),
        oracleArm64: cfg.oci !== undefined,
    }, opts);

    // One overlay for every node: Tailscale's service, or the Headscale server the stack names.
    const hostnames = overlayHostnames(cfg);
    let tailnet: Tailnet | undefined;
    let headscale: HeadscaleKeys | undefined;
    let overlay: OverlayHandles;
    if (cfg.tailnet.headscale) {
        headscale = new HeadscaleKeys(`${clusterName}-headscale`, {
            headscale: cfg.tailnet.headscale,
            tags: cfg.tailnet.cloudTags,
            keyExpirySeconds: cfg.tailnet.keyExpirySeconds,
            nodeHostnames: hostnames,
        }, opts);
        const keys = headscale;
        overlay = { authKeys: keys.authKeys, lookup: (h) => keys.lookup(h), extraArgs: overlayExtraArgs(cfg.tailnet.headscale.url) };
    } else {
        if (!cfg.tailnet.auth) {
            throw new Error("tailnet: no Tailscale credentials and no Headscale server; the config parser should have refused this stack");
        }
        tailnet = new Tailnet(`${clusterName}-tailnet`, {
            tailnet: cfg.tailnet.tailnet,
            auth: cfg.tailnet.auth,
            tags: cfg.tailnet.cloudTags,
            keyExpirySeconds: cfg.tailnet.keyExpirySeconds,
            nodeHostnames: hostnames,
        }, opts);
        overlay = { authKeys: tailnet.authKeys, lookup: () => ({ kind: "tailscale" }), extraArgs: [] };
    }

    const cluster = new TalosCluster(`${clusterName}-talos`, {
        clusterName,
        talosContract: cfg.cluster.talosContract,
        kubernetesVersion: cfg.cluster.kubernetesVersion,
        podCidr: cfg.cluster.podCidr,
        serviceCidr: cfg.cluster.serviceCidr,
        certSans: cfg.cluster.certSans,
        healthTimeout: cfg.cluster.healthTimeout,
        cloudInstallerImage: images.cloudInstallerImage,
        edgeInstallerImage: images.edgeInstallerImage,
        talosApiAccess: access,
        tailscaleExtraArgs: overlay.extraArgs,
        gce: {
            region: cfg.gcp.region,
            zone: cfg.gcp.zone,
            image: images.gcpImage.selfLink,
            images: Object.fromEntries(Object.entries(images.gcpImages).map(([arch, image]) => [arch, image!.selfLink])),
            subnetwork: network.subnetwork.id,
            subnetCidr: cfg.gcp.subnetCidr,
            nodeTag: network.tags.node,
            controlPlaneTag: network.tags.controlPlane,
            workerTag: network.tags.worker,
            firewalls: network.firewalls,
        },
        nodes: nodes.map((n) => ({
            name: n.name,
            hostname: n.hostname,
            role: n.role,
            machineType: n.machineType,
            diskSizeGb: n.diskSizeGb,
            internalAddress: network.addresses[n.name].internal,
            externalAddress: network.addresses[n.name].external,
            tailnetAuthKey: overlay.authKeys[n.hostname],
            arch: n.arch ?? "amd64",
            overlay: overlay.lookup(n.hostname),
        })),
        dayTwo: dayTwoOf(cfg),
    }, pulumi.mergeOptions(opts ?? {}, tailnet ? { providers: [tailnet.provider] } : {}));

    return {
        network,
        images,
        tailnet,
        headscale,
        overlay,
        cluster,
        talosApiAccess: access,
        outputs: {
            kubeconfig: cluster.kubeconfig,
            talosconfig: cluster.talosconfig,
            nodes: cluster.nodeSummaries,
            schematicIds: pulumi.all([images.cloudSchematicId, images.edgeSchematicId]).apply(([cloud, edge]) => ({ cloud, edge })),
            installerImages: pulumi.all([images.cloudInstallerImage, images.edgeInstallerImage]).apply(([cloud, edge]) => ({ cloud, edge })),
            clusterEndpoint: cluster.clusterEndpoint,
            edgeClusterEndpoint: cluster.edgeClusterEndpoint,
            gcpImage: images.gcpImage.selfLink,
            talosApiAccess: access,
            credentials: cluster.credentialsExpiry,
        },
    };
}
