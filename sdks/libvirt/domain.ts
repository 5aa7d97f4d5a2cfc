import * as pulumi from "@pulumi/pulumi";
import * as inputs from "./types/input";
import * as outputs from "./types/output";
import * as manifest from "./manifest";
import * as utilities from "./utilities";

/**
 * A libvirt domain (virtual machine), `libvirt_domain`. Give it an explicit `name` (autonaming
 * appends a random suffix). Changing memory, vcpu, cpu, disks, firmware, nvram, graphics, name,
 * description or type replaces the VM; network interfaces, running, autostart, cloudinit and
 * qemuAgent update in place. The id is the domain UUID.
 */
export class Domain extends pulumi.CustomResource {
    /**
     * Looks up an existing Domain resource's state by name and provider ID.
     *
     * @param name The unique name of the resulting resource.
     * @param id The provider ID of the resource to look up.
     * @param state Extra properties to qualify the lookup.
     * @param opts Resource options.
     */
    public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: DomainState, opts?: pulumi.CustomResourceOptions): Domain {
        return new Domain(name, state as any, { ...opts, id: id });
    }

    /** @internal */
    public static readonly __pulumiType = "libvirt:index/domain:Domain";

    /** True when `obj` is a Domain, even across copies of the Pulumi SDK in one process. */
    public static isInstance(obj: any): obj is Domain {
        if (obj === undefined || obj === null) {
            return false;
        }
        return obj["__pulumiType"] === Domain.__pulumiType;
    }

    /** CPU architecture, e.g. `x86_64`; the host default when unset. */
    declare public readonly arch: pulumi.Output<string>;
    /** Start the domain when the host boots; default false. */
    declare public readonly autostart: pulumi.Output<boolean>;
    /** Boot order, e.g. `[{ devs: ["network", "hd"] }]`. */
    declare public readonly bootDevices: pulumi.Output<outputs.DomainBootDevice[] | undefined>;
    /**
     * Id of a `CloudInitDisk`, attached as a CD-ROM; a change applies at the next reboot, without
     * replacement.
     */
    declare public readonly cloudinit: pulumi.Output<string | undefined>;
    /** Extra kernel command-line arguments (with `kernel`), one map per argument. */
    declare public readonly cmdlines: pulumi.Output<{ [key: string]: string }[] | undefined>;
    /** Serial/virtio consoles. */
    declare public readonly consoles: pulumi.Output<outputs.DomainConsole[] | undefined>;
    /** Id of an `Ignition` resource (CoreOS/Flatcar guests). */
    declare public readonly coreosIgnition: pulumi.Output<string | undefined>;
    /** CPU settings, e.g. `{ mode: "host-passthrough" }`. */
    declare public readonly cpu: pulumi.Output<outputs.DomainCpu>;
    /** Free text stored with the domain; libvirt does not use it. */
    declare public readonly description: pulumi.Output<string | undefined>;
    /** Disks in attachment order; each names one of `volumeId`, `url`, `file` or `blockDevice`. */
    declare public readonly disks: pulumi.Output<outputs.DomainDisk[] | undefined>;
    /** Path of the emulator binary; the host default when unset. */
    declare public readonly emulator: pulumi.Output<string>;
    /** Host directories shared with the guest (9p). */
    declare public readonly filesystems: pulumi.Output<outputs.DomainFilesystem[] | undefined>;
    /** Host path of the UEFI firmware code, e.g. `/usr/share/OVMF/OVMF_CODE.fd`; BIOS when unset. */
    declare public readonly firmware: pulumi.Output<string | undefined>;
    /** fw_cfg path of the Ignition file; default `opt/com.coreos/config`. */
    declare public readonly fwCfgName: pulumi.Output<string | undefined>;
    /** Graphics device; spice by default. */
    declare public readonly graphics: pulumi.Output<outputs.DomainGraphics | undefined>;
    /** Host path of an initrd for direct kernel boot. */
    declare public readonly initrd: pulumi.Output<string | undefined>;
    /** Host path of a kernel for direct kernel boot. */
    declare public readonly kernel: pulumi.Output<string | undefined>;
    /** Machine type, e.g. `q35`; the host default when unset. */
    declare public readonly machine: pulumi.Output<string>;
    /** Memory in MiB; default 512. */
    declare public readonly memory: pulumi.Output<number | undefined>;
    /** Free-form metadata string. */
    declare public readonly metadata: pulumi.Output<string | undefined>;
    /** Domain name, unique on the host. */
    declare public readonly name: pulumi.Output<string>;
    /**
     * NICs in order; each attaches via one of `networkId`, `networkName`, `bridge`, `macvtap`,
     * `vepa` or `passthrough`.
     */
    declare public readonly networkInterfaces: pulumi.Output<outputs.DomainNetworkInterface[] | undefined>;
    /** UEFI variable store (`file`, optional `template`). */
    declare public readonly nvram: pulumi.Output<outputs.DomainNvram>;
    /**
     * Query the QEMU guest agent for interface addresses; default false (the guest needs the
     * agent).
     */
    declare public readonly qemuAgent: pulumi.Output<boolean | undefined>;
    /** Whether the domain should be running; default true, `false` shuts it off. */
    declare public readonly running: pulumi.Output<boolean | undefined>;
    /** Emulated or passthrough TPM. */
    declare public readonly tpm: pulumi.Output<outputs.DomainTpm | undefined>;
    /** Hypervisor type; default `kvm`. */
    declare public readonly type: pulumi.Output<string | undefined>;
    /** Number of virtual CPUs; default 1. */
    declare public readonly vcpu: pulumi.Output<number | undefined>;
    /** Video device. */
    declare public readonly video: pulumi.Output<outputs.DomainVideo | undefined>;
    /** XSLT applied to the generated domain XML before it is defined. */
    declare public readonly xml: pulumi.Output<outputs.DomainXml | undefined>;

    /**
     * @param name The unique name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts Resource options.
     */
    constructor(name: string, args?: DomainArgs, opts?: pulumi.CustomResourceOptions);
    constructor(name: string, argsOrState?: DomainArgs | DomainState, opts?: pulumi.CustomResourceOptions) {
        const spec = manifest.resources[Domain.__pulumiType];
        opts = opts || {};
        const resourceInputs = utilities.resourceInputs(spec, argsOrState, opts);
        super(Domain.__pulumiType, name, resourceInputs, utilities.resourceOptions(spec, opts));
    }
}

/** Properties used to qualify a Domain lookup. */
export interface DomainState {
    /** CPU architecture, e.g. `x86_64`; the host default when unset. */
    arch?: pulumi.Input<string>;
    /** Start the domain when the host boots; default false. */
    autostart?: pulumi.Input<boolean>;
    /** Boot order, e.g. `[{ devs: ["network", "hd"] }]`. */
    bootDevices?: pulumi.Input<pulumi.Input<inputs.DomainBootDevice>[]>;
    /**
     * Id of a `CloudInitDisk`, attached as a CD-ROM; a change applies at the next reboot, without
     * replacement.
     */
    cloudinit?: pulumi.Input<string>;
    /** Extra kernel command-line arguments (with `kernel`), one map per argument. */
    cmdlines?: pulumi.Input<pulumi.Input<{ [key: string]: pulumi.Input<string> }>[]>;
    /** Serial/virtio consoles. */
    consoles?: pulumi.Input<pulumi.Input<inputs.DomainConsole>[]>;
    /** Id of an `Ignition` resource (CoreOS/Flatcar guests). */
    coreosIgnition?: pulumi.Input<string>;
    /** CPU settings, e.g. `{ mode: "host-passthrough" }`. */
    cpu?: pulumi.Input<inputs.DomainCpu>;
    /** Free text stored with the domain; libvirt does not use it. */
    description?: pulumi.Input<string>;
    /** Disks in attachment order; each names one of `volumeId`, `url`, `file` or `blockDevice`. */
    disks?: pulumi.Input<pulumi.Input<inputs.DomainDisk>[]>;
    /** Path of the emulator binary; the host default when unset. */
    emulator?: pulumi.Input<string>;
    /** Host directories shared with the guest (9p). */
    filesystems?: pulumi.Input<pulumi.Input<inputs.DomainFilesystem>[]>;
    /** Host path of the UEFI firmware code, e.g. `/usr/share/OVMF/OVMF_CODE.fd`; BIOS when unset. */
    firmware?: pulumi.Input<string>;
    /** fw_cfg path of the Ignition file; default `opt/com.coreos/config`. */
    fwCfgName?: pulumi.Input<string>;
    /** Graphics device; spice by default. */
    graphics?: pulumi.Input<inputs.DomainGraphics>;
    /** Host path of an initrd for direct kernel boot. */
    initrd?: pulumi.Input<string>;
    /** Host path of a kernel for direct kernel boot. */
    kernel?: pulumi.Input<string>;
    /** Machine type, e.g. `q35`; the host default when unset. */
    machine?: pulumi.Input<string>;
    /** Memory in MiB; default 512. */
    memory?: pulumi.Input<number>;
    /** Free-form metadata string. */
    metadata?: pulumi.Input<string>;
    /** Domain name, unique on the host. */
    name?: pulumi.Input<string>;
    /**
     * NICs in order; each attaches via one of `networkId`, `networkName`, `bridge`, `macvtap`,
     * `vepa` or `passthrough`.
     */
    networkInterfaces?: pulumi.Input<pulumi.Input<inputs.DomainNetworkInterface>[]>;
    /** UEFI variable store (`file`, optional `template`). */
    nvram?: pulumi.Input<inputs.DomainNvram>;
    /**
     * Query the QEMU guest agent for interface addresses; default false (the guest needs the
     * agent).
     */
    qemuAgent?: pulumi.Input<boolean>;
    /** Whether the domain should be running; default true, `false` shuts it off. */
    running?: pulumi.Input<boolean>;
    /** Emulated or passthrough TPM. */
    tpm?: pulumi.Input<inputs.DomainTpm>;
    /** Hypervisor type; default `kvm`. */
    type?: pulumi.Input<string>;
    /** Number of virtual CPUs; default 1. */
    vcpu?: pulumi.Input<number>;
    /** Video device. */
    video?: pulumi.Input<inputs.DomainVideo>;
    /** XSLT applied to the generated domain XML before it is defined. */
    xml?: pulumi.Input<inputs.DomainXml>;
}

/** Arguments of a Domain resource. */
export interface DomainArgs {
    /** CPU architecture, e.g. `x86_64`; the host default when unset. */
    arch?: pulumi.Input<string>;
    /** Start the domain when the host boots; default false. */
    autostart?: pulumi.Input<boolean>;
    /** Boot order, e.g. `[{ devs: ["network", "hd"] }]`. */
    bootDevices?: pulumi.Input<pulumi.Input<inputs.DomainBootDevice>[]>;
    /**
     * Id of a `CloudInitDisk`, attached as a CD-ROM; a change applies at the next reboot, without
     * replacement.
     */
    cloudinit?: pulumi.Input<string>;
    /** Extra kernel command-line arguments (with `kernel`), one map per argument. */
    cmdlines?: pulumi.Input<pulumi.Input<{ [key: string]: pulumi.Input<string> }>[]>;
    /** Serial/virtio consoles. */
    consoles?: pulumi.Input<pulumi.Input<inputs.DomainConsole>[]>;
    /** Id of an `Ignition` resource (CoreOS/Flatcar guests). */
    coreosIgnition?: pulumi.Input<string>;
    /** CPU settings, e.g. `{ mode: "host-passthrough" }`. */
    cpu?: pulumi.Input<inputs.DomainCpu>;
    /** Free text stored with the domain; libvirt does not use it. */
    description?: pulumi.Input<string>;
    /** Disks in attachment order; each names one of `volumeId`, `url`, `file` or `blockDevice`. */
    disks?: pulumi.Input<pulumi.Input<inputs.DomainDisk>[]>;
    /** Path of the emulator binary; the host default when unset. */
    emulator?: pulumi.Input<string>;
    /** Host directories shared with the guest (9p). */
    filesystems?: pulumi.Input<pulumi.Input<inputs.DomainFilesystem>[]>;
    /** Host path of the UEFI firmware code, e.g. `/usr/share/OVMF/OVMF_CODE.fd`; BIOS when unset. */
    firmware?: pulumi.Input<string>;
    /** fw_cfg path of the Ignition file; default `opt/com.coreos/config`. */
    fwCfgName?: pulumi.Input<string>;
    /** Graphics device; spice by default. */
    graphics?: pulumi.Input<inputs.DomainGraphics>;
    /** Host path of an initrd for direct kernel boot. */
    initrd?: pulumi.Input<string>;
    /** Host path of a kernel for direct kernel boot. */
    kernel?: pulumi.Input<string>;
    /** Machine type, e.g. `q35`; the host default when unset. */
    machine?: pulumi.Input<string>;
    /** Memory in MiB; default 512. */
    memory?: pulumi.Input<number>;
    /** Free-form metadata string. */
    metadata?: pulumi.Input<string>;
    /** Domain name, unique on the host. */
    name?: pulumi.Input<string>;
    /**
     * NICs in order; each attaches via one of `networkId`, `networkName`, `bridge`, `macvtap`,
     * `vepa` or `passthrough`.
     */
    networkInterfaces?: pulumi.Input<pulumi.Input<inputs.DomainNetworkInterface>[]>;
    /** UEFI variable store (`file`, optional `template`). */
    nvram?: pulumi.Input<inputs.DomainNvram>;
    /**
     * Query the QEMU guest agent for interface addresses; default false (the guest needs the
     * agent).
     */
    qemuAgent?: pulumi.Input<boolean>;
    /** Whether the domain should be running; default true, `false` shuts it off. */
    running?: pulumi.Input<boolean>;
    /** Emulated or passthrough TPM. */
    tpm?: pulumi.Input<inputs.DomainTpm>;
    /** Hypervisor type; default `kvm`. */
    type?: pulumi.Input<string>;
    /** Number of virtual CPUs; default 1. */
    vcpu?: pulumi.Input<number>;
    /** Video device. */
    video?: pulumi.Input<inputs.DomainVideo>;
    /** XSLT applied to the generated domain XML before it is defined. */
    xml?: pulumi.Input<inputs.DomainXml>;
}
