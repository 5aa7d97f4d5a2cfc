/**
 * One Talos node on Compute Engine: the instance (booted from the imported Talos image, on its
 * static addresses), its tailnet device, and the `ConfigurationApply` that keeps its machine
 * config current.
 *
 * First boot: the full machine config rides in the instance metadata `user-data`, which Talos on
 * GCP reads at boot, so the node never waits in maintenance mode with an insecure apid on a
 * public address (the seed's phase 4 did exactly that). Later changes go through
 * `ConfigurationApply` over the authenticated Talos API and update the node in place; the
 * metadata copy is ignored after creation (docs/decisions/0001-first-boot-config-delivery.md).
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as talos from "@pulumiverse/talos";
import { Architecture, NodeRole, PROJECT } from "./model";
import { OverlayLookup, overlayAddress } from "./overlay";

export { tailnetIpv4 } from "./overlay";

/**
 * How the Pulumi runner reaches each node's Talos API (50000) and the Kubernetes API (6443):
 * `public` = the static external address (the runner must be inside `gcp.adminCidrs`);
 * `tailnet` = the node's tailnet address (the runner must be a tailnet member; no public port).
 */
export type TalosApiAccess = "public" | "tailnet";

/** Talos API client credentials (`Secrets.clientConfiguration`). */
export interface TalosClientCredentials {
    /** PEM CA certificate of the Talos API. */
    caCertificate: pulumi.Input<string>;
    /** PEM client certificate. */
    clientCertificate: pulumi.Input<string>;
    /** PEM client private key (secret). */
    clientKey: pulumi.Input<string>;
}

export interface CloudNodeArgs {
    /** GCE instance name, Talos hostname, Kubernetes node name and tailnet hostname (DNS label, at most 63 characters). */
    hostname: string;
    /** Talos machine type. */
    role: NodeRole;
    /** GCE machine type, e.g. "e2-standard-4". */
    machineType: string;
    /** Zone of the instance, e.g. "europe-west4-a". */
    zone: string;
    /** Boot disk size in GB (Talos needs at least 10). */
    diskSizeGb: number;
    /** Boot disk type. Default `gceDiskType(machineType)` ("pd-balanced"; "hyperdisk-balanced" on c4a). */
    diskType?: string;
    /** CPU architecture of the machine type and image. Default "amd64". */
    arch?: Architecture;
    /** Where the node's overlay address is looked up. Default { kind: "tailscale" }. */
    overlay?: OverlayLookup;
    /** Self link of the imported Talos compute image. */
    image: pulumi.Input<string>;
    /** Subnetwork id or self link. */
    subnetwork: pulumi.Input<string>;
    /** Reserved static internal address (the instance's primary IP). */
    internalAddress: pulumi.Input<string>;
    /** Reserved static external address (one-to-one NAT). */
    externalAddress: pulumi.Input<string>;
    /** Network tags the firewall rules target. */
    networkTags: string[];
    /** Resources that must exist before the instance boots: its firewall rules. Default []. */
    bootAfter?: pulumi.Input<pulumi.Resource>[];
    /** GCE labels. Default {}. */
    labels?: Record<string, string>;
    /** The node's complete machine config (multi-document YAML; secret). */
    machineConfiguration: pulumi.Input<string>;
    /** Talos API client credentials (secret). */
    clientConfiguration: pulumi.Input<TalosClientCredentials>;
    /** Address the runner uses for this node's Talos API. */
    talosApiAccess: TalosApiAccess;
    /** How long to wait for the node to appear on the tailnet after boot, Go duration. Default "10m". */
    tailnetJoinTimeout?: string;
    /** Bound on each Talos API operation (create/update of the apply), Go duration. Default "10m". */
    talosApiTimeout?: string;
    /**
     * Steps that must finish before a config change is applied (the cluster's Kubernetes
     * upgrade, which moves versions node by node itself); may be a promise of them. Default [].
     */
    configureAfter?: pulumi.Input<pulumi.Resource[]>;
}

/** The instance's one-to-one NAT address as GCE reports it. */
export function natIpOf(nics: gcp.types.output.compute.InstanceNetworkInterface[]): string {
    const ip = nics[0]?.accessConfigs?.[0]?.natIp;
    if (!ip) {
        throw new Error("instance has no external (NAT) address on its first network interface");
    }
    return ip;
}

/**
 * The boot disk type a machine type supports: Axion (c4a) instances take Hyperdisk only, the
 * others the balanced persistent disk.
 */
export function gceDiskType(machineType: string): string {
    return machineType.startsWith("c4a-") ? "hyperdisk-balanced" : "pd-balanced";
}

/** The NIC type a machine type needs: gVNIC on c4a (no virtio-net there), GCE's default elsewhere. */
export function gceNicType(machineType: string): string | undefined {
    return machineType.startsWith("c4a-") ? "GVNIC" : undefined;
}

/** Picks the runner-facing address for the chosen access mode. */
export function talosApiAddress<T>(access: TalosApiAccess, addresses: { public: T; tailnet: T }): T {
    return access === "public" ? addresses.public : addresses.tailnet;
}

/** GCE instance names: RFC 1035 label, at most 63 characters. */
export function requireInstanceName(hostname: string): string {
    if (!/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(hostname)) {
        throw new Error(`cloud node "${hostname}": instance names must be lower-case letters, digits and dashes, start with a letter and be at most 63 characters`);
    }
    return hostname;
}

/**
 * A Talos node on GCE: instance + tailnet device lookup + in-place config updates.
 * The Tailscale provider comes from the parent's `providers` (the `Tailnet` component's).
 */
export class CloudNode extends pulumi.ComponentResource {
    public readonly hostname: string;
    public readonly role: NodeRole;
    public readonly instance: gcp.compute.Instance;
    public readonly configurationApply: talos.machine.ConfigurationApply;
    /** Static external address, as the instance reports it. */
    public readonly publicIp: pulumi.Output<string>;
    /** Primary internal address, as the instance reports it. */
    public readonly privateIp: pulumi.Output<string>;
    /** Tailscale IPv4, known once the node has joined the tailnet. */
    public readonly tailnetIp: pulumi.Output<string>;
    /** The address the runner uses for this node's Talos API (public or tailnet, per `talosApiAccess`). */
    public readonly talosApiAddress: pulumi.Output<string>;

    constructor(name: string, args: CloudNodeArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:gcp:CloudNode`, name, {}, opts);
        this.hostname = requireInstanceName(args.hostname);
        this.role = args.role;
        const apiTimeout = args.talosApiTimeout ?? "10m";

        this.instance = new gcp.compute.Instance(`${name}-instance`, {
            name: args.hostname,
            zone: args.zone,
            machineType: args.machineType,
            bootDisk: {
                autoDelete: true,
                initializeParams: {
                    image: args.image,
                    size: args.diskSizeGb,
                    type: args.diskType ?? gceDiskType(args.machineType),
                    // The gcp SDK's Image has no architecture input; the disk states it for Arm machine types.
                    ...(args.arch === "arm64" ? { architecture: "ARM64" } : {}),
                },
            },
            networkInterfaces: [{
                subnetwork: args.subnetwork,
                networkIp: args.internalAddress,
                accessConfigs: [{ natIp: args.externalAddress, networkTier: "PREMIUM" }],
                ...(gceNicType(args.machineType) ? { nicType: gceNicType(args.machineType) } : {}),
            }],
            metadata: { "user-data": pulumi.secret(args.machineConfiguration) },
            tags: args.networkTags,
            labels: { ...(args.labels ?? {}), role: args.role },
            // Secure Boot stays off: factory images for non-SecureBoot schematics are unsigned.
            shieldedInstanceConfig: { enableSecureBoot: false, enableVtpm: true, enableIntegrityMonitoring: true },
            allowStoppingForUpdate: true,
        }, {
            parent: this,
            // The node talks to its peers and the runner dials it as soon as it boots; the rules
            // that let that traffic in carry no data the instance consumes.
            dependsOn: args.bootAfter ?? [],
            // Metadata is readable by anyone with compute.instances.get; keep it out of plain state.
            additionalSecretOutputs: ["metadata"],
            // user-data only matters at first boot; later config goes through ConfigurationApply.
            // A new Talos image is rolled out by `talosctl upgrade` (install image), never by
            // recreating the instance from a new boot image.
            ignoreChanges: ['metadata["user-data"]', "bootDisk.initializeParams.image"],
        });

        this.publicIp = this.instance.networkInterfaces.apply(natIpOf);
        this.privateIp = this.instance.networkInterfaces.apply((nics) => nics[0].networkIp);

        // The node joins the overlay during its first boot (its config came from user-data), so
        // the lookup waits for the instance, not for the apply.
        this.tailnetIp = overlayAddress(args.hostname, args.overlay ?? { kind: "tailscale" }, this.instance, args.tailnetJoinTimeout ?? "10m", this);

        this.talosApiAddress = talosApiAddress(args.talosApiAccess, { public: this.publicIp, tailnet: this.tailnetIp });

        this.configurationApply = new talos.machine.ConfigurationApply(`${name}-apply`, {
            clientConfiguration: args.clientConfiguration,
            machineConfigurationInput: pulumi.secret(args.machineConfiguration),
            // Derived from the instance's outputs, so the apply waits for the instance it targets.
            node: this.talosApiAddress,
            applyMode: "auto",
            timeouts: { create: apiTimeout, update: apiTimeout },
        }, {
            parent: this,
            // A rebuilt instance boots with the user-data recorded at first creation (ignoreChanges);
            // re-applying on a new instance id brings it to the current config at once.
            replacementTrigger: this.instance.instanceId,
            // A new Kubernetes version reaches the nodes through upgrade-k8s first; the apply then
            // only confirms it. Nothing in the apply's inputs comes from that step.
            dependsOn: args.configureAfter ?? [],
        });

        this.registerOutputs({
            hostname: this.hostname,
            publicIp: this.publicIp,
            privateIp: this.privateIp,
            tailnetIp: this.tailnetIp,
        });
    }
}
