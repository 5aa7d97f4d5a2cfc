/**
 * libvirt pieces of an edge VM: the XSLT the libvirt provider applies to the domain XML it
 * generates (Open vSwitch port, per-device boot order), the OVMF paths, and a preview of that
 * generated domain XML for the tests.
 */
import { normaliseSerial, normaliseUuid } from "../../model/identity";
import { checkAbsPath, checkHostname, checkIfname, checkMac } from "./checks";
import { GENERATED_XML_COMMENT } from "./generated";

function xmlEscape(value: string | number): string {
    return String(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** OVMF (x86-64 UEFI) paths of Debian/Ubuntu's `ovmf` package; the 4M builds are current. */
export const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";
export const OVMF_VARS_TEMPLATE = "/usr/share/OVMF/OVMF_VARS_4M.fd";
export const NVRAM_DIR = "/var/lib/libvirt/qemu/nvram";

export interface EdgeVmXsltOptions {
    /** The OVS bridge the VM's NIC is on. */
    bridgeName: string;
    /**
     * Replace `<os><boot dev=…>` by per-device `<boot order=…>` (interface 1, first disk 2).
     * Per-device order becomes QEMU `bootindex`, which SeaBIOS and OVMF both honour; libvirt
     * refuses the two forms together, hence the replacement. Default true.
     */
    perDeviceBootOrder?: boolean;
    /**
     * The SMBIOS identity the VM reports: the domain `<uuid>` (QEMU's SMBIOS system UUID) and,
     * through `<sysinfo type="smbios">` with `<os><smbios mode="sysinfo"/>`, the system serial.
     * iPXE reports both to the boot service, which requires them when its inventory records them.
     * Absent: libvirt picks a random UUID and the VM has no serial.
     */
    smbios?: SmbiosIdentity;
}

/** An SMBIOS system UUID (8-4-4-4-12 hex, not a placeholder) and system serial (model/identity.ts SERIAL). */
export interface SmbiosIdentity {
    uuid: string;
    serial: string;
}

/** The identity as the XSLT writes it; throws naming the bad value's kind (not the value: the serial is an identifier kept off the L2). */
export function checkSmbiosIdentity(identity: SmbiosIdentity): SmbiosIdentity {
    const uuid = normaliseUuid(identity.uuid);
    if (uuid === undefined) throw new Error("VM SMBIOS uuid: must be an 8-4-4-4-12 hex UUID that is not all zeros or all f");
    const serial = normaliseSerial(identity.serial);
    if (serial === undefined) throw new Error("VM SMBIOS serial: must be 1-64 letters, digits, spaces and . _ / + - : and not a vendor placeholder");
    return { uuid, serial };
}

/**
 * The XSLT the libvirt provider applies to its generated domain XML: the provider writes
 * `<interface type='bridge'>` for a bridge NIC, and libvirt attaches such a tap to an Open
 * vSwitch bridge only when the interface says `<virtualport type='openvswitch'/>`.
 */
export function renderEdgeVmXslt(opts: EdgeVmXsltOptions): string {
    const bridge = checkIfname(opts.bridgeName, "VM bridge");
    const perDevice = opts.perDeviceBootOrder ?? true;
    const smbios = opts.smbios === undefined ? undefined : checkSmbiosIdentity(opts.smbios);
    const nic = `/domain/devices/interface[@type='bridge'][source/@bridge='${bridge}']`;
    const identityTemplates = smbios
        ? `
  <!-- SMBIOS identity the boot service's inventory records: the UUID (also sent in DHCP) and
       the serial (only ever sent inside HTTPS). Existing values are replaced, not duplicated. -->
  <xsl:template match="/domain/uuid | /domain/sysinfo | /domain/os/smbios"/>

  <xsl:template match="/domain/name">
    <xsl:copy>
      <xsl:apply-templates select="@*|node()"/>
    </xsl:copy>
    <uuid>${xmlEscape(smbios.uuid)}</uuid>
    <sysinfo type="smbios">
      <system>
        <entry name="serial">${xmlEscape(smbios.serial)}</entry>
      </system>
    </sysinfo>
  </xsl:template>

  <xsl:template match="/domain/os">
    <xsl:copy>
      <xsl:apply-templates select="@*|node()"/>
      <smbios mode="sysinfo"/>
    </xsl:copy>
  </xsl:template>
`
        : "";
    const bootTemplates = perDevice
        ? `
  <!-- libvirt rejects os/boot together with per-device boot elements. -->
  <xsl:template match="/domain/os/boot"/>

  <!-- The first disk boots second. -->
  <xsl:template match="/domain/devices/disk[@device='disk'][1]">
    <xsl:copy>
      <xsl:apply-templates select="@*|node()[not(self::boot)]"/>
      <boot order="2"/>
    </xsl:copy>
  </xsl:template>
`
        : "";
    return `<?xml version="1.0" encoding="UTF-8"?>
${GENERATED_XML_COMMENT}
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="xml" indent="yes" omit-xml-declaration="yes"/>

  <xsl:template match="@*|node()">
    <xsl:copy>
      <xsl:apply-templates select="@*|node()"/>
    </xsl:copy>
  </xsl:template>

  <!-- The NIC on the site bridge: an Open vSwitch port${perDevice ? ", first in the boot order" : ""}. -->
  <xsl:template match="${nic}">
    <xsl:copy>
      <xsl:apply-templates select="@*|node()[not(self::virtualport)${perDevice ? " and not(self::boot)" : ""}]"/>
      <virtualport type="openvswitch"/>${perDevice ? `\n      <boot order="1"/>` : ""}
    </xsl:copy>
  </xsl:template>
${bootTemplates}${identityTemplates}</xsl:stylesheet>
`;
}

/** What the domain preview reads from a VM's config; the stack's VM config satisfies it. */
export interface EdgeVmSpec {
    /** Virtual CPUs. */
    vcpu: number;
    /** Memory in MiB. */
    memoryMiB: number;
    /** "uefi" boots OVMF (`OVMF_CODE`, per-VM NVRAM from `OVMF_VARS_TEMPLATE`); "bios" SeaBIOS. */
    firmware: "uefi" | "bios";
}

/** Where one VM's disk lives, as the EdgeVm component attaches it. */
export type EdgeVmDisk = { kind: "lvm"; devicePath: string } | { kind: "pool"; pool: string; volume: string; format: "qcow2" | "raw" };

export interface DomainPreviewOptions {
    /** Domain name. */
    name: string;
    /** NIC MAC (rendered upper-case, as the provider does). */
    mac: string;
    /** The OVS bridge the NIC is on. */
    bridgeName: string;
    vm: EdgeVmSpec;
    disk: EdgeVmDisk;
    /** Machine type; default "q35". */
    machine?: string;
    /** Emulator path the provider reads from host capabilities; default Debian's. */
    emulator?: string;
}

/**
 * The domain XML the libvirt provider (terraform-provider-libvirt v0.8.1 under pulumi-libvirt
 * 0.5.4) generates for the inputs `EdgeVm` gives it, before the XSLT: used by tests to run
 * the XSLT and `virt-xml-validate` on what the host would actually receive.
 */
export function renderDomainXmlPreview(opts: DomainPreviewOptions): string {
    const name = checkHostname(opts.name, "VM name");
    const mac = checkMac(opts.mac, "VM mac").toUpperCase();
    const bridge = checkIfname(opts.bridgeName, "VM bridge");
    const uefi = opts.vm.firmware === "uefi";
    const disk =
        opts.disk.kind === "lvm"
            ? `    <disk type="block" device="disk">
      <driver name="qemu" type="raw"/>
      <source dev="${xmlEscape(checkAbsPath(opts.disk.devicePath, "VM disk device"))}"/>
      <target dev="vda" bus="virtio"/>
    </disk>`
            : `    <disk type="volume" device="disk">
      <driver name="qemu" type="${opts.disk.format}"/>
      <source pool="${xmlEscape(opts.disk.pool)}" volume="${xmlEscape(opts.disk.volume)}"/>
      <target dev="vda" bus="virtio"/>
    </disk>`;
    const firmware = uefi
        ? `
    <loader readonly="yes" type="pflash" secure="no">${OVMF_CODE}</loader>
    <nvram template="${OVMF_VARS_TEMPLATE}">${NVRAM_DIR}/${name}_VARS.fd</nvram>`
        : "";
    return `<domain type="kvm">
  <name>${name}</name>
  <memory unit="MiB">${Number(opts.vm.memoryMiB)}</memory>
  <vcpu placement="static">${Number(opts.vm.vcpu)}</vcpu>
  <os>
    <type arch="x86_64" machine="${xmlEscape(opts.machine ?? "q35")}">hvm</type>${firmware}
    <boot dev="network"/>
    <boot dev="hd"/>
  </os>
  <features>
    <pae/>
    <acpi/>
    <apic/>
  </features>
  <cpu mode="host-passthrough"/>
  <devices>
    <emulator>${xmlEscape(opts.emulator ?? "/usr/bin/qemu-system-x86_64")}</emulator>
${disk}
    <interface type="bridge">
      <mac address="${mac}"/>
      <source bridge="${bridge}"/>
      <model type="virtio"/>
    </interface>
    <console type="pty">
      <target type="serial" port="0"/>
    </console>
    <channel type="unix">
      <target type="virtio" name="org.qemu.guest_agent.0"/>
    </channel>
    <rng model="virtio">
      <backend model="random">/dev/urandom</backend>
    </rng>
  </devices>
</domain>
`;
}
