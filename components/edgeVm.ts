/**
 * One edge machine as a libvirt VM on its site's KVM host (over `qemu+ssh://`): a NIC on the
 * site's Open vSwitch bridge with the inventory MAC, a disk (an LVM logical volume as in the
 * seed, or a libvirt pool volume), boot order network then disk, UEFI (OVMF) or BIOS.
 *
 * The inventory entry is the only source of the VM's identity: its `name` is the domain name
 * (and, through the DHCP lease and the boot service, the Talos hostname), its `mac` the NIC's
 * MAC (and the key of the static lease). Nothing here restates either. Its SMBIOS UUID and
 * serial (`smbios`, from EdgeVmIdentities) are what the boot service's inventory records, so a
 * request for this machine's config must report them.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as libvirt from "@pulumi/libvirt";
import { EdgeMachineConfig, EdgeSiteConfig, EdgeVmConfig, PROJECT } from "./model";
import { checkMac as normaliseMac } from "../infra/edge-host/checks";
import { NVRAM_DIR, OVMF_CODE, OVMF_VARS_TEMPLATE, renderDomainXmlPreview, renderEdgeVmXslt, type SmbiosIdentity } from "../infra/edge-host/libvirt";
import { lvDevicePath, renderLvCreateScript, renderLvRemoveScript } from "../infra/edge-host/lvm";
import { remoteBashCommand } from "../infra/edge-host/shell";
import { LibvirtDomain, LibvirtVolume, RemoteCommand } from "./leanResources";

const GIB = 1024 * 1024 * 1024;

export interface EdgeVmArgs {
    /** The site the VM lives on: its bridge name and storage settings are used. */
    site: EdgeSiteConfig;
    /** The inventory machine; its `vm` must be set. Its `name` becomes the domain name, its `mac` the NIC's MAC. */
    machine: EdgeMachineConfig;
    /** Explicit libvirt provider for the site's host (`uri` = `site.host.libvirtUri`); one per host. */
    provider: libvirt.Provider;
    /** SSH connection to the site's host (hostKey pinned); used to create and remove LVM volumes. */
    connection: command.types.input.remote.ConnectionArgs;
    /**
     * Resources that must be in place before any part of the VM is created: the site's install
     * command, which creates the bridge the NIC attaches to and (through the preflight) installs
     * lvm2, libvirt and OVMF. Default [].
     */
    siteReady?: pulumi.Input<pulumi.Resource>[];
    /**
     * SMBIOS system UUID and serial the VM reports (domain `<uuid>`, `<sysinfo>`); the boot
     * service's inventory must record the same values (EdgeVmIdentities feeds both). Absent:
     * libvirt picks a UUID, there is no serial, and the inventory records neither. Changing it
     * redefines the domain (the libvirt provider replaces a domain whose XSLT changes; the disk stays).
     */
    smbios?: pulumi.Input<SmbiosIdentity>;
}

/** How the VM's disk is provided, derived from the site's storage setting. */
export type EdgeVmDiskPlan =
    | { kind: "lvm"; volumeGroup: string; volumeName: string; devicePath: string; sizeGiB: number }
    | { kind: "pool"; pool: string; volumeName: string; sizeBytes: number };

/** Validated VM settings for one machine. Throws with the machine named when it cannot be a VM. */
export function edgeVmPlan(site: EdgeSiteConfig, machine: EdgeMachineConfig): { vm: EdgeVmConfig; mac: string; disk: EdgeVmDiskPlan } {
    const vm = machine.vm;
    if (!vm) {
        throw new Error(`edge machine ${machine.name} (site ${site.name}) has no "vm" settings; only machines with "vm" become libvirt VMs`);
    }
    if (machine.arch !== "amd64") {
        throw new Error(`edge machine ${machine.name} (site ${site.name}) is ${machine.arch}; VMs are created for amd64 only (OVMF x86-64 firmware), so remove "vm" or set arch: amd64`);
    }
    if (!Number.isInteger(vm.vcpu) || vm.vcpu < 1 || vm.vcpu > 256) {
        throw new Error(`edge machine ${machine.name}: vm.vcpu must be a whole number between 1 and 256, got ${vm.vcpu}`);
    }
    if (!Number.isInteger(vm.memoryMiB) || vm.memoryMiB < 1024) {
        throw new Error(`edge machine ${machine.name}: vm.memoryMiB must be a whole number of MiB, at least 1024 (Talos minimum for a worker), got ${vm.memoryMiB}`);
    }
    if (!Number.isInteger(vm.diskSizeGb) || vm.diskSizeGb < 10) {
        throw new Error(`edge machine ${machine.name}: vm.diskSizeGb must be a whole number of GiB, at least 10 (Talos minimum), got ${vm.diskSizeGb}`);
    }
    const mac = normaliseMac(machine.mac, `edge machine ${machine.name} mac`);
    const storage = site.storage;
    if (storage.kind === "lvm") {
        const volume = { volumeGroup: storage.volumeGroup, name: machine.name };
        // Rendering validates the names and size before any resource exists.
        renderLvCreateScript({ ...volume, sizeGiB: vm.diskSizeGb });
        return { vm, mac, disk: { kind: "lvm", volumeGroup: storage.volumeGroup, volumeName: machine.name, devicePath: lvDevicePath(volume), sizeGiB: vm.diskSizeGb } };
    }
    return { vm, mac, disk: { kind: "pool", pool: storage.pool, volumeName: `${machine.name}.qcow2`, sizeBytes: vm.diskSizeGb * GIB } };
}

/** The UEFI settings for a domain, or none for BIOS. */
export function edgeVmFirmware(name: string, firmware: EdgeVmConfig["firmware"]): Pick<libvirt.DomainArgs, "firmware" | "nvram"> {
    if (firmware !== "uefi") {
        return {};
    }
    // Non-secure-boot OVMF: the iPXE binaries and the Talos kernel/initramfs iPXE loads are unsigned.
    return { firmware: OVMF_CODE, nvram: { file: `${NVRAM_DIR}/${name}_VARS.fd`, template: OVMF_VARS_TEMPLATE } };
}

/**
 * The domain XML the libvirt provider generates for this machine's VM (before the XSLT), from the
 * same plan the component uses: tests run it through the XSLT and virt-xml-validate.
 */
export function edgeVmDomainXmlPreview(site: EdgeSiteConfig, machine: EdgeMachineConfig): string {
    const plan = edgeVmPlan(site, machine);
    return renderDomainXmlPreview({
        name: machine.name,
        mac: plan.mac,
        bridgeName: site.bridge.name,
        vm: plan.vm,
        disk: plan.disk.kind === "lvm" ? { kind: "lvm", devicePath: plan.disk.devicePath } : { kind: "pool", pool: plan.disk.pool, volume: plan.disk.volumeName, format: "qcow2" },
        machine: "q35",
    });
}

/**
 * A libvirt VM for one inventory machine, booting from the network first.
 */
export class EdgeVm extends pulumi.ComponentResource {
    /** The libvirt domain. */
    public readonly domain: LibvirtDomain;
    /** Domain name (= inventory machine name). */
    public readonly vmName: pulumi.Output<string>;
    /** NIC MAC (= inventory MAC, lower case). */
    public readonly mac: pulumi.Output<string>;
    /** The LVM volume command or the pool volume backing the disk. */
    public readonly disk: RemoteCommand | LibvirtVolume;

    constructor(name: string, args: EdgeVmArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:edge:EdgeVm`, name, {}, opts);
        const { site, machine } = args;
        const plan = edgeVmPlan(site, machine);
        const siteReady = args.siteReady ?? [];

        let disks: libvirt.DomainArgs["disks"];
        // Explicit names on the host: a replacement must remove the old object first.
        if (plan.disk.kind === "lvm") {
            const volume = { volumeGroup: plan.disk.volumeGroup, name: plan.disk.volumeName };
            this.disk = new RemoteCommand(
                `${name}-disk`,
                {
                    connection: args.connection,
                    create: remoteBashCommand(renderLvCreateScript({ ...volume, sizeGiB: plan.disk.sizeGiB }), { sshUser: site.host.user }),
                    delete: remoteBashCommand(renderLvRemoveScript(volume), { sshUser: site.host.user }),
                    // The volume's identity: a new group or name is a new volume (remove the old one).
                    // A size change only edits `create`, an in-place update that grows the volume.
                    triggers: [volume.volumeGroup, volume.name],
                    logging: "stdoutAndStderr",
                },
                // The host's lvm2 comes with the site's preflight; nothing in the inputs says so.
                { parent: this, deleteBeforeReplace: true, dependsOn: siteReady },
            );
            disks = [{ blockDevice: plan.disk.devicePath }];
        } else {
            this.disk = new LibvirtVolume(
                `${name}-disk`,
                { name: plan.disk.volumeName, pool: plan.disk.pool, size: plan.disk.sizeBytes, format: "qcow2" },
                // libvirtd on the host comes with the site's preflight; nothing in the inputs says so.
                { parent: this, provider: args.provider, deleteBeforeReplace: true, dependsOn: siteReady },
            );
            disks = [{ volumeId: this.disk.id }];
        }

        this.domain = new LibvirtDomain(
            `${name}-domain`,
            {
                name: machine.name,
                type: "kvm",
                machine: "q35",
                // QEMU's default CPU model lacks x86-64-v2, which Talos requires.
                cpu: { mode: "host-passthrough" },
                vcpu: plan.vm.vcpu,
                memory: plan.vm.memoryMiB,
                ...edgeVmFirmware(machine.name, plan.vm.firmware),
                disks,
                networkInterfaces: [{ bridge: site.bridge.name, mac: plan.mac }],
                bootDevices: [{ devs: ["network", "hd"] }],
                consoles: [{ type: "pty", targetPort: "0", targetType: "serial" }],
                xml: {
                    xslt:
                        args.smbios === undefined
                            ? renderEdgeVmXslt({ bridgeName: site.bridge.name })
                            : pulumi.output(args.smbios).apply((smbios) => renderEdgeVmXslt({ bridgeName: site.bridge.name, smbios })),
                },
                running: true,
                autostart: true,
            },
            {
                parent: this,
                provider: args.provider,
                deleteBeforeReplace: true,
                // The NIC names the bridge by a config string, so no data links the domain to the
                // command that creates the bridge; the bridge must exist before the domain starts.
                // The LVM volume's path is known up front, so the same holds for the disk; the order
                // also makes destroy remove the domain before the volume and the bridge.
                dependsOn: this.disk instanceof RemoteCommand ? [...siteReady, this.disk] : siteReady,
            },
        );

        this.vmName = this.domain.name;
        this.mac = pulumi.output(plan.mac);
        this.registerOutputs({ vmName: this.vmName, mac: this.mac });
    }
}
