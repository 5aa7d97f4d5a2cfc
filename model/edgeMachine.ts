/**
 * The edge machine: its type and the ONE parser that validates it. The stack config
 * (`talos-cloud-edge:edgeSites[].machines[]`) and the boot service's inventory
 * (`BOOT_SETTINGS.sites[].machines[]`) both call `parseEdgeMachine`, so a machine the stack
 * accepts is a machine the service starts with, and the other way round.
 *
 * The two forms differ only in what each side needs: the stack form carries the static lease
 * address (`ip`) and the optional VM the stack creates (`vm`); the service form has neither, and
 * instead marks a VM whose SMBIOS UUID or serial the service derives (`derivedIdentity`).
 */
import { ipv4 } from "./checks";
import {
    DISK_SELECTOR_KEYS,
    DISK_TYPES,
    diskSelectorValueCheck,
    installDiskCheck,
    labelKeyCheck,
    labelValueCheck,
    macCheck,
    MAX_ENROLLMENT,
    normaliseMac,
    serialCheck,
    taintValueCheck,
    uuidCheck,
    ZONE_LABEL,
} from "./identity";
import { closest, Problems } from "./problems";
import { asObject, bool, checkKeys, child, num, Obj, oneOf, str, strMap } from "./readers";
import { dnsLabel } from "./checks";

export type Architecture = "amd64" | "arm64";
export const ARCHITECTURES: readonly Architecture[] = ["amd64", "arm64"];

/** A libvirt VM the stack creates for an edge machine on its site's KVM host. */
export interface EdgeVmConfig {
    /** Virtual CPUs, 1..256. Default 2. */
    vcpu: number;
    /** Memory in MiB, 1024..4194304. Default 4096. */
    memoryMiB: number;
    /** Disk size in GB, 10..65536. Default 20. */
    diskSizeGb: number;
    /** Firmware: "uefi" (OVMF) or "bios". Default "uefi". */
    firmware: "uefi" | "bios";
}

/** An edge machine as the stack knows it. */
export interface EdgeMachineConfig {
    /** Hostname, Kubernetes node name and tailnet device name (DNS label), unique across all sites. */
    name: string;
    /** MAC of the boot NIC, lower-case colon form ("52:54:00:00:02:01"). */
    mac: string;
    /** Static DHCP lease address inside the site subnet. */
    ip: string;
    /** SMBIOS UUID (lower case), when known; the boot service requires a booting machine to report it. */
    uuid?: string;
    /** SMBIOS serial, when known; the boot service requires a booting machine to report it. */
    serial?: string;
    /** CPU architecture. Default "amd64". */
    arch: Architecture;
    /** Install disk, e.g. "/dev/vda". Exactly one of installDisk / diskSelector (a VM defaults to "/dev/vda"). */
    installDisk?: string;
    /** Talos `machine.install.diskSelector` (keys: size, name, model, serial, modalias, uuid, wwid, type, busPath). */
    diskSelector?: Record<string, string>;
    /** Extra node labels; `topology.kubernetes.io/zone=<site>` is always added and cannot be set. Default {}. */
    labels: Record<string, string>;
    /** Node taints in Talos form, key -> "value:Effect". Default {}. */
    taints: Record<string, string>;
    /**
     * Enrollment generation, 1..1000000. Default 1. Once a config has been served for the
     * machine's current generation its network boots go to the local disk; raise it by one to
     * let the machine fetch a config again (reinstall, replaced disk).
     */
    enrollment: number;
    /** Present when the stack creates this machine as a libvirt VM on the site host. */
    vm?: EdgeVmConfig;
}

/** The boot service's inventory machine: the same type, minus what the service does not need. */
export type BootMachine = Omit<EdgeMachineConfig, "ip" | "vm"> & {
    /**
     * Set when the stack creates the machine as a VM and gives it a derived SMBIOS identity
     * (model/vmIdentity.ts): the service derives whichever of `uuid` / `serial` is not set here
     * from BOOT_VM_IDENTITY_KEY and the machine's name. Absent: nothing is derived.
     */
    derivedIdentity?: true;
};

/** Which side is reading the machine. */
export type EdgeMachineForm = "stack" | "service";

export const EDGE_VM_DEFAULTS: EdgeVmConfig = { vcpu: 2, memoryMiB: 4096, diskSizeGb: 20, firmware: "uefi" };
/** Install disk of a VM the stack creates (its one virtio disk). */
export const VM_INSTALL_DISK = "/dev/vda";

const COMMON_KEYS = ["name", "mac", "uuid", "serial", "arch", "installDisk", "diskSelector", "labels", "taints", "enrollment"] as const;
const SERVICE_KEYS = [...COMMON_KEYS, "derivedIdentity"] as const;
const STACK_KEYS = [...COMMON_KEYS, "ip", "vm"] as const;

/**
 * Whether the stack derives part of this machine's SMBIOS identity from its VM identity key: a
 * VM it creates whose `uuid` or `serial` the config does not set. The one rule both the VM's
 * domain (EdgeVmIdentities) and the service's inventory (`bootMachineOf`) follow.
 */
export function needsDerivedIdentity(m: Pick<EdgeMachineConfig, "vm" | "uuid" | "serial">): boolean {
    return m.vm !== undefined && (m.uuid === undefined || m.serial === undefined);
}

/** Reads a VM section ({} for all defaults). */
export function parseEdgeVm(p: Problems, raw: unknown, path: string): EdgeVmConfig | undefined {
    const o = asObject(p, path, raw, "write it as {vcpu?, memoryMiB?, diskSizeGb?, firmware?} ({} for all defaults)");
    if (!o) {
        return undefined;
    }
    checkKeys(p, path, o, ["vcpu", "memoryMiB", "diskSizeGb", "firmware"]);
    const d = EDGE_VM_DEFAULTS;
    const vcpu = num(p, o, path, "vcpu", d.vcpu, { min: 1, max: 256 });
    const memoryMiB = num(p, o, path, "memoryMiB", d.memoryMiB, { min: 1024, max: 4194304, unit: "MiB", why: "a Talos worker needs at least 1 GiB" });
    const diskSizeGb = num(p, o, path, "diskSizeGb", d.diskSizeGb, { min: 10, max: 65536, unit: "GB", why: "a Talos system disk needs at least 10 GiB" });
    const firmware = o.firmware === undefined ? d.firmware : (str(p, o, path, "firmware", { check: oneOf(["uefi", "bios"] as const) }) as "uefi" | "bios" | undefined);
    if (vcpu === undefined || memoryMiB === undefined || diskSizeGb === undefined || !firmware) {
        return undefined;
    }
    return { vcpu, memoryMiB, diskSizeGb, firmware };
}

function parseDiskSelector(p: Problems, o: Obj, path: string): Record<string, string> | undefined {
    const keys: readonly string[] = DISK_SELECTOR_KEYS;
    const selector = strMap(
        p,
        o,
        path,
        "diskSelector",
        (k) => (keys.includes(k) ? undefined : `is not a disk selector field; ${(closest(k, keys) && `did you mean "${closest(k, keys)}"?`) || `use ${keys.join(", ")}`}`),
        (v) => (v.trim() === "" ? "is empty; remove the field or give a value" : diskSelectorValueCheck(v)),
    );
    if (!selector) {
        return undefined;
    }
    const at = child(path, "diskSelector");
    if (selector.type !== undefined && !(DISK_TYPES as readonly string[]).includes(selector.type)) {
        p.invalid(child(at, "type"), selector.type, `is not a Talos disk type; use ${DISK_TYPES.map((t) => `"${t}"`).join(", ")}`);
        return undefined;
    }
    if (Object.keys(selector).length === 0) {
        p.add(at, `is empty; give at least one of ${keys.join(", ")}`);
        return undefined;
    }
    return selector;
}

/**
 * Validates one edge machine. Records every problem in `p` (paths under `path`) and returns
 * the machine with defaults applied, or undefined when anything is wrong.
 *
 * @param siteName the machine's site, for messages about the zone label.
 */
export function parseEdgeMachine(p: Problems, raw: unknown, path: string, form: "stack", siteName?: string): EdgeMachineConfig | undefined;
export function parseEdgeMachine(p: Problems, raw: unknown, path: string, form: "service", siteName?: string): BootMachine | undefined;
export function parseEdgeMachine(p: Problems, raw: unknown, path: string, form: EdgeMachineForm, siteName?: string): EdgeMachineConfig | BootMachine | undefined {
    // Every value rule of a machine is in this file and model/identity.ts, the same for both
    // forms: the stack's example-file placeholder rule ("REPLACE", "...") must not refuse a
    // serial or label value here that the boot service accepts.
    return p.withoutPlaceholders(() => readEdgeMachine(p, raw, path, form, siteName));
}

function readEdgeMachine(p: Problems, raw: unknown, path: string, form: EdgeMachineForm, siteName?: string): EdgeMachineConfig | BootMachine | undefined {
    const o = asObject(p, path, raw, "write each machine as {name, mac, ip, installDisk | diskSelector, vm?, ...}");
    if (!o) {
        return undefined;
    }
    const before = p.count;
    checkKeys(p, path, o, form === "stack" ? STACK_KEYS : SERVICE_KEYS, {
        hostname: 'the hostname is the machine name; rename the key to "name"',
        ...(form === "stack"
            ? { derivedIdentity: 'is set by the stack itself for a machine with "vm" whose uuid or serial is not set; remove it' }
            : {}),
    });
    const name = str(p, o, path, "name", { required: 'name the machine (its hostname and Kubernetes node name, a DNS label), e.g. "talos-edge-1"', check: dnsLabel() });
    const macRaw = str(p, o, path, "mac", { required: 'set the MAC address of the machine\'s boot NIC, e.g. "52:54:00:00:02:01"', check: macCheck });
    const ip = form === "stack" ? str(p, o, path, "ip", { required: 'set the static DHCP lease address inside the site subnet, e.g. "10.0.20.10"', check: ipv4 }) : undefined;
    const uuid = str(p, o, path, "uuid", { check: uuidCheck });
    const serial = str(p, o, path, "serial", { check: serialCheck });
    const derivedIdentity = form === "service" ? bool(p, o, path, "derivedIdentity", false) : false;
    if (derivedIdentity && uuid !== undefined && serial !== undefined) {
        p.add(child(path, "derivedIdentity"), "is true, but uuid and serial are both set, so nothing is left to derive; remove derivedIdentity");
    }
    // A key written with no value (YAML `installDisk:`) is null: absent, as the readers take it.
    const arch = o.arch == null ? "amd64" : (str(p, o, path, "arch", { check: oneOf<Architecture>(ARCHITECTURES) }) as Architecture | undefined);
    const disk = str(p, o, path, "installDisk", { check: installDiskCheck });
    const diskSelector = o.diskSelector == null ? undefined : parseDiskSelector(p, o, path);
    const labels = strMap(
        p,
        o,
        path,
        "labels",
        (k) => (k === ZONE_LABEL ? `is set by the stack to the site name${siteName ? ` ("${siteName}")` : ""}; remove it` : labelKeyCheck(k)),
        labelValueCheck,
    );
    const taints = strMap(p, o, path, "taints", labelKeyCheck, taintValueCheck);
    const vm = form === "stack" && o.vm !== undefined ? parseEdgeVm(p, o.vm, child(path, "vm")) : undefined;
    if (vm && arch && arch !== "amd64") {
        p.add(child(path, "vm"), `is set on an ${arch} machine, but VMs are created for amd64 only (OVMF x86-64 firmware); remove "vm" or set arch: amd64`);
    }
    const enrollment = num(p, o, path, "enrollment", 1, {
        min: 1,
        max: MAX_ENROLLMENT,
        why: "the enrollment generation starts at 1; raise it by one to let the boot service serve this machine a config again",
    });

    let installDisk = disk;
    if (o.installDisk != null && o.diskSelector != null) {
        p.add(path, "sets both installDisk and diskSelector; keep exactly one (Talos gives diskSelector priority, which hides mistakes)");
    } else if (o.installDisk == null && o.diskSelector == null) {
        if (form === "stack" && o.vm !== undefined) {
            installDisk = VM_INSTALL_DISK;
        } else {
            p.add(child(path, "installDisk"), 'missing; bare-metal machines need exactly one of installDisk (e.g. "/dev/sda") or diskSelector (e.g. {type: nvme})');
        }
    }
    if (p.count > before || !name || !macRaw || !arch || !labels || !taints || enrollment === undefined || (form === "stack" && !ip)) {
        return undefined;
    }
    const machine: BootMachine = { name, mac: normaliseMac(macRaw)!, arch, labels, taints, enrollment };
    if (uuid) machine.uuid = uuid.toLowerCase();
    if (serial) machine.serial = serial;
    if (installDisk) machine.installDisk = installDisk;
    if (diskSelector) machine.diskSelector = diskSelector;
    if (form === "service") {
        if (derivedIdentity) machine.derivedIdentity = true;
        return machine;
    }
    const full: EdgeMachineConfig = { ...machine, ip: ip! };
    if (vm) full.vm = vm;
    return full;
}

/**
 * The service form of a stack machine: what the boot service's inventory carries. A VM whose
 * identity the stack derives is marked `derivedIdentity`, so the service derives the same values.
 */
export function bootMachineOf(m: EdgeMachineConfig): BootMachine {
    const { ip: _ip, vm: _vm, ...rest } = m;
    return needsDerivedIdentity(m) ? { ...rest, derivedIdentity: true } : rest;
}
