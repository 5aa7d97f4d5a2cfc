/**
 * The Talos cluster: machine secrets, per-node machine configs, the cloud nodes that run them,
 * then bootstrap, kubeconfig and a bounded health gate, plus the base worker config the edge
 * boot service hands to PXE-booted machines.
 *
 * Order of operations, all expressed in the graph (the seed's phases 3, 4 and 7 by hand):
 *   Secrets → getConfiguration (per node) → CloudNode (instance with user-data → tailnet device →
 *   ConfigurationApply) → Bootstrap (first control plane, after every control-plane apply) →
 *   Kubeconfig (after Bootstrap) → getHealth (after every apply and the kubeconfig).
 *
 * Endpoints (docs/decisions/0002-cluster-endpoint.md): cloud nodes use the first control plane's
 * static internal address, known before anything boots; edge nodes use its tailnet address,
 * looked up once that node has joined the tailnet.
 */
import * as pulumi from "@pulumi/pulumi";
import * as talos from "@pulumiverse/talos";
import { Architecture, NodeRole, PROJECT } from "./model";
import { CloudNode, TalosApiAccess } from "./cloudNode";
import { OverlayLookup } from "./overlay";
import { clusterPatch, installImagePatch } from "../lib/talos/patches";
import { apiServerUrl, cloudNodePatches, kubeconfigWithServer, planNodes, requireGoDuration } from "./talosClusterPlan";
import { kubernetesUpgradeCommand, nodeRemovalCommand, nodeUpgradeCommand } from "./dayTwoCommands";
import { credentialExpiry, CredentialExpiry } from "../infra/day-two/certificates";
import { rolloutOrder } from "../infra/day-two/rollout";
import { DAY_TWO_DEFAULTS, DayTwoConfig, TALOSCONFIG_RENEWAL } from "../model/dayTwo";

export { apiServerUrl, cloudNodePatches, kubeconfigWithServer, planNodes, requireGoDuration } from "./talosClusterPlan";
export type { NodePatchOptions } from "./talosClusterPlan";

export interface TalosClusterNodeArgs {
    /** Node name from stack config (`cloudNodes[].name`). */
    name: string;
    /** GCE instance name = Talos hostname = Kubernetes node name = tailnet hostname. */
    hostname: string;
    /** Talos machine type. */
    role: NodeRole;
    /** GCE machine type, e.g. "e2-standard-4". */
    machineType: string;
    /** Boot disk size in GB. */
    diskSizeGb: number;
    /** Reserved static internal address. */
    internalAddress: pulumi.Input<string>;
    /** Reserved static external address. */
    externalAddress: pulumi.Input<string>;
    /** Single-use Tailscale auth key for this node (secret). */
    tailnetAuthKey: pulumi.Input<string>;
    /** CPU architecture (picks the image from `gce.images`). Default "amd64". */
    arch?: Architecture;
    /** Where the node's overlay address is looked up. Default { kind: "tailscale" }. */
    overlay?: OverlayLookup;
}

export interface TalosClusterGceArgs {
    /** Region, for node topology labels. */
    region: string;
    /** Zone of every instance. */
    zone: string;
    /** Self link of the imported Talos image (amd64). */
    image: pulumi.Input<string>;
    /** Self links per architecture; a node's `arch` picks from here first, else `image`. Default {}. */
    images?: Partial<Record<Architecture, pulumi.Input<string>>>;
    /** Subnetwork id or self link. */
    subnetwork: pulumi.Input<string>;
    /** The subnet CIDR; etcd peers advertise addresses from it. */
    subnetCidr: string;
    /** Network tag on every node. */
    nodeTag: string;
    /** Network tag on control planes. */
    controlPlaneTag: string;
    /** Network tag on workers. */
    workerTag: string;
    /** Firewall rules the instances need before they boot. */
    firewalls: pulumi.Input<pulumi.Resource>[];
}

export interface TalosClusterArgs {
    /** Cluster name (also the talosconfig context). */
    clusterName: string;
    /** Machine-config contract, e.g. "v1.12"; pinned on the secrets and every config (a lower value would mean a new PKI). */
    talosContract: string;
    /** Kubernetes version, e.g. "v1.35.0"; undefined = the Talos default. */
    kubernetesVersion?: string;
    /** Pod CIDR. */
    podCidr: string;
    /** Service CIDR. */
    serviceCidr: string;
    /** Extra API-server certificate SANs. Default []. */
    certSans?: string[];
    /** Bound on the health gate, Go duration ("10m"). */
    healthTimeout: string;
    /** Bound on each Talos API operation (apply, bootstrap, kubeconfig), Go duration. Default "10m". */
    talosApiTimeout?: string;
    /** How long to wait for a node to appear on the tailnet after boot, Go duration. Default "10m". */
    tailnetJoinTimeout?: string;
    /** Installer image for cloud nodes (`…/gcp-installer/<schematic>:<version>`). */
    cloudInstallerImage: pulumi.Input<string>;
    /** Installer image for edge nodes (`…/metal-installer/<schematic>:<version>`). */
    edgeInstallerImage: pulumi.Input<string>;
    /** How the runner reaches the Talos and Kubernetes APIs. */
    talosApiAccess: TalosApiAccess;
    /** Extra `tailscale up` arguments of every node, e.g. ["--login-server=https://hs.lab"] for Headscale. Default []. */
    tailscaleExtraArgs?: string[];
    /** Where and how the cloud nodes run. */
    gce: TalosClusterGceArgs;
    /** Cloud nodes in declaration order; the first control plane bootstraps etcd. */
    nodes: TalosClusterNodeArgs[];
    /**
     * Day-two bounds (upgrade, health, drain, reset) and the kubeconfig renewal window
     * (docs/decisions/0007-day-two-operations.md). Default `DAY_TWO_DEFAULTS` (infra/day-two/settings.ts).
     */
    dayTwo?: DayTwoConfig;
}

/** When the admin credentials expire and from when a `pulumi up` renews them. */
export interface CredentialsExpiry {
    kubeconfig: CredentialExpiry;
    talosconfig: CredentialExpiry;
}

/** Summary of one cloud node for stack outputs. */
export interface CloudNodeSummary {
    name: string;
    hostname: string;
    role: NodeRole;
    publicIp: string;
    privateIp: string;
    tailnetIp: string;
}

/**
 * Talos cluster on GCE with an edge join config. Pass the Tailnet's provider in
 * `opts.providers` (tailnet device lookups).
 */
export class TalosCluster extends pulumi.ComponentResource {
    public readonly secrets: talos.machine.Secrets;
    public readonly nodes: CloudNode[];
    public readonly bootstrap: talos.machine.Bootstrap;
    public readonly kubeconfigResource: talos.cluster.Kubeconfig;
    /** Endpoint in the cloud nodes' configs: the first control plane's internal address. */
    public readonly clusterEndpoint: pulumi.Output<string>;
    /** Endpoint in edge configs: the first control plane's tailnet address. */
    public readonly edgeClusterEndpoint: pulumi.Output<string>;
    /** Base worker config for edge machines (secret), handed out only after the health gate passed. */
    public readonly edgeWorkerConfig: pulumi.Output<string>;
    /**
     * The full worker config (secret) of a node outside GCP that joins over the overlay: the
     * cluster's secrets and shared patch, endpoint `edgeClusterEndpoint`, then `patches` (the
     * node's installer, hostname, tailscale extension, platform settings), in order.
     */
    public readonly remoteWorkerConfig: (patches: pulumi.Input<string[]>) => pulumi.Output<string>;
    /** Admin kubeconfig (secret), server = the address the runner used; after the health gate. */
    public readonly kubeconfig: pulumi.Output<string>;
    /** talosctl config (secret). */
    public readonly talosconfig: pulumi.Output<string>;
    /** Talos API client credentials (secret), for anything else that talks to the nodes. */
    public readonly clientConfiguration: pulumi.Output<talos.types.output.machine.ClientConfiguration>;
    /** Result id of the health gate; resolves only when the cluster passed it. */
    public readonly healthy: pulumi.Output<string>;
    /** The resources the health gate waits for (every apply and the kubeconfig). */
    public readonly healthGateDependencies: pulumi.Resource[];
    /** Per-node names and addresses. */
    public readonly nodeSummaries: pulumi.Output<CloudNodeSummary[]>;
    /** `talosctl upgrade-k8s` on a changed `kubernetesVersion`; undefined when the version is Talos's default. */
    public readonly kubernetesUpgrade?: pulumi.Resource;
    /** One Talos upgrade step per node, in rollout order (control planes, then workers), each after the previous. */
    public readonly upgrades: pulumi.Resource[];
    /** One scale-down step per node (its `delete` drains and resets the node before its instance goes), in rollout order. */
    public readonly removals: pulumi.Resource[];
    /** Names (`cloudNodes[].name`) of the control planes, recorded so the next update can check a scale-down. */
    public readonly controlPlaneNames: string[];
    /** Expiry and renewal start of the kubeconfig and talosconfig client certificates. */
    public readonly credentialsExpiry: pulumi.Output<CredentialsExpiry>;

    constructor(name: string, args: TalosClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:talos:TalosCluster`, name, {}, opts);
        const plan = planNodes(args.nodes);
        const healthTimeout = requireGoDuration("cluster.healthTimeout", args.healthTimeout);
        const apiTimeout = requireGoDuration("talosApiTimeout", args.talosApiTimeout ?? "10m");
        const joinTimeout = requireGoDuration("tailnetJoinTimeout", args.tailnetJoinTimeout ?? "10m");
        const dayTwo = args.dayTwo ?? DAY_TWO_DEFAULTS;
        // The Kubernetes upgrade must finish before any node's config moves to the new version
        // (upgrade-k8s goes control plane first, then kubelets, health-gated; an apply would move
        // every node at once). It needs the control planes' addresses, which exist only once
        // their CloudNodes do, so the applies wait for a promise of it, settled below.
        let releaseApplies: (after: pulumi.Resource[]) => void = () => undefined;
        const appliesAfter = new Promise<pulumi.Resource[]>((resolve) => (releaseApplies = resolve));

        this.secrets = new talos.machine.Secrets(`${name}-secrets`, { talosVersion: args.talosContract }, {
            parent: this,
            // Losing them means a new PKI and a cluster no node will talk to.
            protect: true,
            additionalSecretOutputs: ["machineSecrets", "clientConfiguration"],
        });
        this.clientConfiguration = pulumi.secret(this.secrets.clientConfiguration);

        const bootstrapSpec = plan.bootstrapNode;
        this.clusterEndpoint = pulumi.output(bootstrapSpec.internalAddress).apply(apiServerUrl);

        const controlPlaneAddresses = plan.controlPlanes.flatMap((n) => [n.externalAddress, n.internalAddress]);
        const sharedPatch = pulumi.all(controlPlaneAddresses).apply((addresses) => clusterPatch({
            podCidr: args.podCidr,
            serviceCidr: args.serviceCidr,
            apiServerCertSans: [...(args.certSans ?? []), ...addresses],
        }));

        const configFor = (clusterEndpoint: pulumi.Input<string>, machineType: NodeRole, configPatches: pulumi.Input<string[]>) =>
            pulumi.secret(talos.machine.getConfigurationOutput({
                clusterName: args.clusterName,
                clusterEndpoint,
                machineType,
                machineSecrets: this.secrets.machineSecrets,
                talosVersion: args.talosContract,
                kubernetesVersion: args.kubernetesVersion,
                docs: false,
                examples: false,
                configPatches,
            }, { parent: this }).machineConfiguration);

        this.nodes = args.nodes.map((node) => {
            const patches = pulumi.all([sharedPatch, args.cloudInstallerImage, node.externalAddress, node.internalAddress, pulumi.secret(node.tailnetAuthKey)])
                .apply(([shared, installerImage, externalAddress, internalAddress, authKey]) => cloudNodePatches({
                    hostname: node.hostname,
                    role: node.role,
                    region: args.gce.region,
                    zone: args.gce.zone,
                    installerImage,
                    externalAddress,
                    internalAddress,
                    subnetCidr: args.gce.subnetCidr,
                    clusterPatch: shared,
                    authKey,
                    tailscaleExtraArgs: args.tailscaleExtraArgs ?? [],
                }));
            return new CloudNode(`${name}-${node.name}`, {
                hostname: node.hostname,
                role: node.role,
                machineType: node.machineType,
                zone: args.gce.zone,
                diskSizeGb: node.diskSizeGb,
                image: args.gce.images?.[node.arch ?? "amd64"] ?? args.gce.image,
                arch: node.arch ?? "amd64",
                overlay: node.overlay,
                subnetwork: args.gce.subnetwork,
                internalAddress: node.internalAddress,
                externalAddress: node.externalAddress,
                networkTags: [args.gce.nodeTag, node.role === "controlplane" ? args.gce.controlPlaneTag : args.gce.workerTag],
                labels: { cluster: args.clusterName },
                bootAfter: args.gce.firewalls,
                machineConfiguration: configFor(this.clusterEndpoint, node.role, patches),
                clientConfiguration: this.clientConfiguration,
                talosApiAccess: args.talosApiAccess,
                tailnetJoinTimeout: joinTimeout,
                talosApiTimeout: apiTimeout,
                configureAfter: appliesAfter,
            }, { parent: this });
        });
        const byName = new Map(this.nodes.map((n, i) => [args.nodes[i].name, n]));
        const bootstrapNode = byName.get(bootstrapSpec.name)!;
        const controlPlaneNodes = plan.controlPlanes.map((n) => byName.get(n.name)!);
        const workerNodes = plan.workers.map((n) => byName.get(n.name)!);

        this.bootstrap = new talos.machine.Bootstrap(`${name}-bootstrap`, {
            node: bootstrapNode.talosApiAddress,
            clientConfiguration: this.clientConfiguration,
            timeouts: { create: apiTimeout },
        }, {
            parent: this,
            // etcd may only be bootstrapped once the control planes run their real config; the
            // applies produce nothing Bootstrap consumes, so the order is stated explicitly.
            dependsOn: controlPlaneNodes.map((n) => n.configurationApply),
        });

        this.kubeconfigResource = new talos.cluster.Kubeconfig(`${name}-kubeconfig`, {
            node: bootstrapNode.talosApiAddress,
            clientConfiguration: this.clientConfiguration,
            // Any update inside this window before expiry issues a new client certificate.
            certificateRenewalDuration: requireGoDuration("dayTwo.kubeconfigRenewal", dayTwo.kubeconfigRenewal),
            timeouts: { create: apiTimeout, update: apiTimeout },
        }, {
            parent: this,
            // The admin credentials exist only after etcd and the API server came up.
            dependsOn: [this.bootstrap],
            additionalSecretOutputs: ["kubeconfigRaw"],
        });

        this.healthGateDependencies = [...this.nodes.map((n) => n.configurationApply), this.kubeconfigResource];
        // Talos-level checks on the cloud nodes only (etcd, apid, kubelet, boot sequence). The
        // Kubernetes checks compare the API's node list with an exact set, which stops matching the
        // moment an edge machine joins, and this gate re-runs on every `pulumi up`.
        const health = talos.cluster.getHealthOutput({
            clientConfiguration: this.clientConfiguration,
            endpoints: controlPlaneNodes.map((n) => n.talosApiAddress),
            // etcd advertises VPC addresses, so the gate names nodes by those.
            controlPlaneNodes: controlPlaneNodes.map((n) => n.privateIp),
            workerNodes: workerNodes.map((n) => n.privateIp),
            skipKubernetesChecks: true,
            timeouts: { read: healthTimeout },
        }, { parent: this, dependsOn: this.healthGateDependencies });
        this.healthy = health.id;

        const afterHealthGate = <T>(value: pulumi.Output<T>) =>
            pulumi.secret(pulumi.all([value, this.healthy]).apply(([v]) => v));

        const adminServer = bootstrapNode.talosApiAddress.apply(apiServerUrl);
        this.kubeconfig = afterHealthGate(pulumi.all([this.kubeconfigResource.kubeconfigRaw, adminServer])
            .apply(([raw, server]) => kubeconfigWithServer(raw, server)));

        this.talosconfig = pulumi.secret(talos.client.getConfigurationOutput({
            clusterName: args.clusterName,
            clientConfiguration: this.clientConfiguration,
            endpoints: controlPlaneNodes.map((n) => n.talosApiAddress),
            // A single default target: a bare `talosctl reboot` must not hit every node.
            nodes: [bootstrapNode.privateIp],
        }, { parent: this }).talosConfig);

        this.edgeClusterEndpoint = bootstrapNode.tailnetIp.apply(apiServerUrl);
        const edgePatches = pulumi.all([sharedPatch, args.edgeInstallerImage]).apply(([shared, installer]) => [shared, installImagePatch(installer)]);
        this.edgeWorkerConfig = afterHealthGate(configFor(this.edgeClusterEndpoint, "worker", edgePatches));
        // Remote worker pools (Proxmox, Oracle Cloud) join like edge nodes: same secrets, same
        // shared patch, the control plane's overlay endpoint; their own patches follow.
        this.remoteWorkerConfig = (patches) =>
            configFor(this.edgeClusterEndpoint, "worker", pulumi.all([sharedPatch, patches]).apply(([shared, own]) => [shared, ...own]));

        this.nodeSummaries = pulumi.all(this.nodes.map((n, i) => pulumi.all([n.publicIp, n.privateIp, n.tailnetIp]).apply(([publicIp, privateIp, tailnetIp]) => ({
            name: args.nodes[i].name,
            hostname: n.hostname,
            role: n.role,
            publicIp,
            privateIp,
            tailnetIp,
        }))));

        // Day two (docs/decisions/0007-day-two-operations.md).
        this.controlPlaneNames = plan.controlPlanes.map((n) => n.name);
        const controlPlaneApiAddresses = pulumi.all(controlPlaneNodes.map((n) => n.talosApiAddress));
        if (args.kubernetesVersion !== undefined) {
            const k8sPlan = bootstrapNode.talosApiAddress.apply((controlPlaneAddress) => ({
                version: args.kubernetesVersion!,
                controlPlaneAddress,
                cloudNodes: args.nodes.map((n) => n.hostname),
                timeout: requireGoDuration("dayTwo.kubernetesUpgradeTimeout", dayTwo.kubernetesUpgradeTimeout),
                healthTimeout: dayTwo.healthTimeout,
            }));
            this.kubernetesUpgrade = kubernetesUpgradeCommand(`${name}-kubernetes-upgrade`, k8sPlan, { talosconfig: this.talosconfig }, { parent: this });
        }
        releaseApplies(this.kubernetesUpgrade ? [this.kubernetesUpgrade] : []);

        const credentials = { talosconfig: this.talosconfig, kubeconfig: this.kubeconfig };
        this.upgrades = [];
        this.removals = [];
        for (const { spec, node } of rolloutOrder(args.nodes.map((spec, i) => ({ spec, node: this.nodes[i], role: spec.role })))) {
            const target = pulumi.all([node.talosApiAddress, args.cloudInstallerImage, controlPlaneApiAddresses]);
            const upgradePlan = target.apply(([address, installerImage, cps]) => ({
                node: node.hostname,
                role: spec.role,
                address,
                installerImage,
                controlPlaneAddresses: cps,
                upgradeTimeout: requireGoDuration("dayTwo.upgradeTimeout", dayTwo.upgradeTimeout),
                healthTimeout: requireGoDuration("dayTwo.healthTimeout", dayTwo.healthTimeout),
                location: "cloud",
            }));
            const previousUpgrade = this.upgrades[this.upgrades.length - 1];
            this.upgrades.push(nodeUpgradeCommand(`${name}-${spec.name}-upgrade`, upgradePlan, credentials, {
                parent: node,
                // One node at a time in rollout order, each after its own config is applied: no
                // step consumes another's output, so the order is stated. A failed step stops every
                // later one; the next `pulumi up` resumes with it.
                dependsOn: [...(previousUpgrade ? [previousUpgrade] : []), node.configurationApply],
            }));
            const removalPlan = target.apply(([address, , cps]) => ({
                node: node.hostname,
                role: spec.role,
                address,
                controlPlaneAddresses: cps,
                drainTimeout: requireGoDuration("dayTwo.drainTimeout", dayTwo.drainTimeout),
                resetTimeout: requireGoDuration("dayTwo.resetTimeout", dayTwo.resetTimeout),
                location: "cloud",
            }));
            const previousRemoval = this.removals[this.removals.length - 1];
            this.removals.push(nodeRemovalCommand(`${name}-${spec.name}-removal`, removalPlan, credentials, {
                parent: node,
                // Deleted before the instance (its `delete` drains and resets the node first), and,
                // on `pulumi destroy`, workers before control planes, one at a time.
                dependsOn: [...(previousRemoval ? [previousRemoval] : []), node.instance],
            }));
        }

        this.credentialsExpiry = pulumi.unsecret(pulumi.all([this.kubeconfigResource.kubernetesClientConfiguration, this.secrets.clientConfiguration])
            .apply(([k8s, os]) => ({
                kubeconfig: credentialExpiry(k8s?.clientCertificate, dayTwo.kubeconfigRenewal),
                talosconfig: credentialExpiry(os?.clientCertificate, TALOSCONFIG_RENEWAL),
            })));

        this.registerOutputs({
            clusterEndpoint: this.clusterEndpoint,
            edgeClusterEndpoint: this.edgeClusterEndpoint,
            kubeconfig: this.kubeconfig,
            talosconfig: this.talosconfig,
            edgeWorkerConfig: this.edgeWorkerConfig,
            healthy: this.healthy,
            nodes: this.nodeSummaries,
            credentialsExpiry: this.credentialsExpiry,
        });
    }
}
