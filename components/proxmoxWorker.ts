/**
 * One Talos worker VM on a Proxmox VE host (seed 003, without its manual phases;
 * docs/decisions/0131-proxmox-workers.md):
 *
 *   Schematic (extensions + `net.ifnames=0 talos.config=metal-iso` + META key 10 = this VM's
 *   static address, gateway, hostname, resolvers) → the factory's metal qcow2 of it, downloaded
 *   by the Proxmox host into `import` storage → the VM's config volume (`metal-iso` ISO with its
 *   worker config) → the VM (q35, UEFI, virtio, deterministic MAC) importing that disk, the ISO
 *   in its cdrom → its overlay address once it joined → ConfigurationApply over the overlay.
 *
 * First boot: the static network comes up from META before any config exists, Talos reads its
 * config from the ISO, joins the overlay with its single-use key and the cluster through the
 * control plane's overlay endpoint. No maintenance-mode window, no DHCP. Later config changes go
 * through `ConfigurationApply`; the ISO keeps the first-boot config (ignored changes, like the
 * GCE user-data).
 *
 * Pass the Proxmox provider in `opts.providers` (and the Tailscale one when the overlay is Tailscale).
 */
import * as pulumi from "@pulumi/pulumi";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import * as talos from "@pulumiverse/talos";
import { PROJECT, ProxmoxMachineConfig } from "./model";
import { OverlayLookup, overlayAddress } from "./overlay";
import { ProxmoxIsoFile } from "./proxmoxIsoFile";
import { TalosClientCredentials } from "./cloudNode";
import { confirmSchematicId, customizedSchematicId, customizedSchematicYaml } from "../lib/talos/schematic";
import { metalIsoImage } from "../lib/talos/metalIso";
import { configIsoFileName, diskImageFileName, metalInstallerImage, metalQcow2Url, proxmoxSchematic } from "../lib/proxmox/vm";

export interface ProxmoxWorkerArgs {
    /** Cluster name (file names, VM tags). */
    clusterName: string;
    /** The VM: name = hostname, id, static address, MAC, size. */
    machine: ProxmoxMachineConfig;
    /** Proxmox API endpoint and token, for the config ISO upload (the provider has its own copy). */
    api: { endpoint: string; apiToken: pulumi.Input<string>; insecure: boolean };
    /** Proxmox node that runs the VM. */
    nodeName: string;
    /** Datastore of the VM disks (e.g. "local-lvm"). */
    vmDatastore: string;
    /** Datastore with `import` and `iso` content (e.g. "local"). */
    fileDatastore: string;
    /** Bridge of the NIC (e.g. "vmbr0") and optional VLAN tag. */
    bridge: string;
    vlanId?: number;
    /** LAN prefix length, gateway and resolvers for META key 10. */
    prefixLength: number;
    gateway: string;
    dnsServers: string[];
    /** Official extensions of the VM's schematic. */
    extensions: string[];
    /** Talos version, e.g. "v1.12.4". */
    talosVersion: string;
    /** Image Factory base URL. */
    factoryUrl: string;
    /** Image Factory provider (TalosImages.factory). */
    factory: talos.Provider;
    /**
     * The VM's complete worker config (secret), from its patches: called with the installer image
     * of the VM's schematic (TalosCluster.remoteWorkerConfig + lib/talos/remoteWorker.ts).
     */
    machineConfiguration: (installerImage: string) => pulumi.Output<string>;
    /** Talos API client credentials (secret). */
    clientConfiguration: pulumi.Input<TalosClientCredentials>;
    /** Where the VM's overlay address is looked up. */
    overlay: OverlayLookup;
    /** How long to wait for the VM to join the overlay, Go duration. Default "10m". */
    joinTimeout?: string;
    /** Bound on each Talos API operation, Go duration. Default "10m". */
    talosApiTimeout?: string;
}

/** A Talos worker VM on Proxmox with its static network in META and its config on an ISO. */
export class ProxmoxWorker extends pulumi.ComponentResource {
    public readonly hostname: string;
    /** Schematic ID of the VM's image (its META makes it unique to the VM). */
    public readonly schematicId: string;
    /** The META key 10 value baked into the image (public). */
    public readonly metaNetworkValue: string;
    public readonly installerImage: string;
    public readonly schematic: talos.imagefactory.Schematic;
    public readonly diskImage: proxmoxve.download.FileLegacy;
    public readonly configIso: ProxmoxIsoFile;
    public readonly vm: proxmoxve.VmLegacy;
    public readonly configurationApply: talos.machine.ConfigurationApply;
    /** The VM's overlay IPv4, once it joined. */
    public readonly overlayIp: pulumi.Output<string>;

    constructor(name: string, args: ProxmoxWorkerArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:proxmox:ProxmoxWorker`, name, {}, opts);
        const m = args.machine;
        this.hostname = m.name;
        const customization = proxmoxSchematic(args.extensions, {
            hostname: m.name,
            address: m.address,
            prefixLength: args.prefixLength,
            gateway: args.gateway,
            dnsServers: args.dnsServers,
        });
        this.metaNetworkValue = customization.meta![0].value;
        this.schematicId = customizedSchematicId(customization);
        this.installerImage = metalInstallerImage(args.factoryUrl, this.schematicId, args.talosVersion);

        this.schematic = new talos.imagefactory.Schematic(`${name}-schematic`, { schematic: customizedSchematicYaml(customization) }, { parent: this, provider: args.factory });
        const registeredId = this.schematic.id.apply((id) => confirmSchematicId(`Proxmox VM ${m.name}`, this.schematicId, id));

        // The host downloads the image itself; the file name carries version and schematic, so a
        // new META or version is a new file beside the old one.
        this.diskImage = new proxmoxve.download.FileLegacy(`${name}-disk-image`, {
            contentType: "import",
            datastoreId: args.fileDatastore,
            nodeName: args.nodeName,
            url: registeredId.apply((id) => metalQcow2Url(args.factoryUrl, id, args.talosVersion)),
            fileName: diskImageFileName(m.name, args.talosVersion, this.schematicId),
            overwrite: false,
        }, { parent: this });

        const config = pulumi.secret(args.machineConfiguration(this.installerImage));
        this.configIso = new ProxmoxIsoFile(`${name}-config-iso`, {
            endpoint: args.api.endpoint,
            apiToken: args.api.apiToken,
            insecure: args.api.insecure,
            nodeName: args.nodeName,
            datastore: args.fileDatastore,
            fileName: configIsoFileName(args.clusterName, m.name),
            contentBase64: config.apply((c) => metalIsoImage(c).toString("base64")),
        }, {
            parent: this,
            // First boot only; later changes go through ConfigurationApply (see the module comment).
            ignoreChanges: ["contentBase64"],
        });

        this.vm = new proxmoxve.VmLegacy(`${name}-vm`, {
            nodeName: args.nodeName,
            vmId: m.vmId,
            name: m.name,
            description: `Talos worker ${m.name} of cluster ${args.clusterName}`,
            tags: ["talos", args.clusterName].sort(),
            machine: "q35",
            bios: "ovmf",
            efiDisk: { datastoreId: args.vmDatastore, type: "4m", preEnrolledKeys: false },
            // Talos needs x86-64-v2; the host type would tie the VM to this CPU model.
            cpu: { cores: m.cores, type: "x86-64-v2-AES" },
            memory: { dedicated: m.memoryMiB },
            agent: { enabled: args.extensions.includes("siderolabs/qemu-guest-agent") },
            scsiHardware: "virtio-scsi-single",
            disks: [{
                interface: "scsi0",
                datastoreId: args.vmDatastore,
                importFrom: this.diskImage.id,
                size: m.diskSizeGb,
                iothread: true,
                discard: "on",
                ssd: true,
            }],
            cdrom: { fileId: this.configIso.fileId, interface: "ide2" },
            bootOrders: ["scsi0"],
            networkDevices: [{ bridge: args.bridge, model: "virtio", macAddress: m.mac, ...(args.vlanId !== undefined ? { vlanId: args.vlanId } : {}) }],
            operatingSystem: { type: "l26" },
            serialDevices: [{ device: "socket" }],
            onBoot: true,
            started: true,
        }, {
            parent: this,
            // A new image (version, schematic) reaches the VM through `talosctl upgrade`, not a rebuild.
            ignoreChanges: ["disks[0].importFrom"],
        });

        this.overlayIp = overlayAddress(m.name, args.overlay, this.vm, args.joinTimeout ?? "10m", this);
        const apiTimeout = args.talosApiTimeout ?? "10m";
        this.configurationApply = new talos.machine.ConfigurationApply(`${name}-apply`, {
            clientConfiguration: args.clientConfiguration,
            machineConfigurationInput: config,
            node: this.overlayIp,
            applyMode: "auto",
            timeouts: { create: apiTimeout, update: apiTimeout },
        }, {
            parent: this,
            // A rebuilt VM boots the ISO's first-boot config; re-applying brings it current.
            replacementTrigger: this.vm.id,
        });

        this.registerOutputs({ hostname: this.hostname, schematicId: this.schematicId, overlayIp: this.overlayIp });
    }
}
