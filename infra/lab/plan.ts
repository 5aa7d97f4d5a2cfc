/**
 * The lab's fixed layout (network, machines, ports) and the pure builders that turn it into
 * command lines. Kept free of side effects so test/lab.test.ts can check them directly.
 */

/** Everything lives in one private namespace; this subnet never touches the host's routing. */
export const LAB_SUBNET_PREFIX = "10.77.0";
export const LAB_PREFIX_LENGTH = 24;
export const LAB_NETMASK = "255.255.255.0";
/** Bridge (gateway) address; dnsmasq, the boot service's TLS front end and the asset server bind here. */
export const LAB_GATEWAY = `${LAB_SUBNET_PREFIX}.1`;
/** An IPv6 ULA on the bridge so dnsmasq can send router advertisements: without them iPXE waits ~16 s for IPv6 autoconf. */
export const LAB_IPV6_ADDRESS = "fd77::1";
export const LAB_IPV6_PREFIX = "fd77::";
export const LAB_BRIDGE = "br-lab";
export const LAB_SITE = "lab";
/** The boot service itself, plain HTTP on the namespace's loopback (as behind Cloud Run's front end). */
export const BOOT_SERVICE_PORT = 8080;
export const ASSETS_PORT = 8081;
/** The TLS front end on the bridge (infra/lab/ns-services.ts): what the VMs talk to, as to Cloud Run. */
export const HTTPS_PORT = 8443;

export interface LabMachine {
    /** Inventory name (also hostname and tailnet device name). */
    name: string;
    mac: string;
    ip: string;
    /** SMBIOS UUID given to QEMU with -uuid; iPXE expands ${uuid} to it. */
    uuid: string;
}

/** The inventory machine that boots with BIOS firmware (SeaBIOS and QEMU's iPXE NIC ROM). */
export const KNOWN_MACHINE: LabMachine = {
    name: "lab-edge-01",
    mac: "52:54:00:00:02:01",
    ip: `${LAB_SUBNET_PREFIX}.10`,
    uuid: "7a6b0e2c-1d3f-4c5a-9e8b-000000000201",
};

/** The inventory machine that boots with UEFI firmware (OVMF's own PXE, no NIC ROM). */
export const UEFI_MACHINE: LabMachine = {
    name: "lab-edge-02",
    mac: "52:54:00:00:02:02",
    ip: `${LAB_SUBNET_PREFIX}.11`,
    uuid: "7a6b0e2c-1d3f-4c5a-9e8b-000000000202",
};

/**
 * An inventory machine whose DHCP answers pin a different root (a lab-only dnsmasq line for its
 * MAC): its iPXE must refuse the service's certificate, so nothing is issued to it.
 */
export const WRONG_PIN_MACHINE: LabMachine = {
    name: "lab-edge-03",
    mac: "52:54:00:00:02:03",
    ip: `${LAB_SUBNET_PREFIX}.12`,
    uuid: "7a6b0e2c-1d3f-4c5a-9e8b-000000000203",
};

/** Every machine in the lab inventory (and with a static lease). */
export const INVENTORY_MACHINES: readonly LabMachine[] = [KNOWN_MACHINE, UEFI_MACHINE, WRONG_PIN_MACHINE];

/** A second VM the inventory does not know: it must be recorded as pending and get no config. */
export const UNKNOWN_VM = {
    mac: "52:54:00:00:02:99",
    uuid: "7a6b0e2c-1d3f-4c5a-9e8b-000000000299",
};

/**
 * Bound on the enrolled machine's second boot, seconds. Under TCG it reaches the local-boot
 * script in ~3 s and SeaBIOS gives up on the (absent) disk right after.
 */
export const REBOOT_WATCH_SECONDS = 20;

/**
 * Bound on the wrong-pin VM, seconds: NIC ROM, TFTP of undionly.kpxe, its DHCP and the refused
 * handshake take ~10 s under TCG.
 */
export const WRONG_PIN_WATCH_SECONDS = 40;

export const DHCP_RANGE = { start: `${LAB_SUBNET_PREFIX}.100`, end: `${LAB_SUBNET_PREFIX}.150` };

/** Namespace names carry the orchestrator PID so a stale one (crashed run) can be recognised. */
export const NAMESPACE_PREFIX = "tcelab-";

export function namespaceName(pid: number): string {
    return `${NAMESPACE_PREFIX}${pid}`;
}

/** PID encoded in a lab namespace name, or undefined for foreign namespaces. */
export function namespaceOwnerPid(ns: string): number | undefined {
    const m = new RegExp(`^${NAMESPACE_PREFIX}(\\d+)$`).exec(ns);
    return m ? Number(m[1]) : undefined;
}

/** `ip` argument lists that build the namespace: loopback, bridge (no STP delay), addresses, one tap per VM. */
export function namespaceSetupCommands(ns: string, taps: string[]): string[][] {
    const cmds: string[][] = [
        ["netns", "add", ns],
        ["-n", ns, "link", "set", "lo", "up"],
        ["-n", ns, "link", "add", LAB_BRIDGE, "type", "bridge", "stp_state", "0", "forward_delay", "0"],
        ["-n", ns, "addr", "add", `${LAB_GATEWAY}/${LAB_PREFIX_LENGTH}`, "dev", LAB_BRIDGE],
        ["-n", ns, "addr", "add", `${LAB_IPV6_ADDRESS}/64`, "dev", LAB_BRIDGE, "nodad"],
        ["-n", ns, "link", "set", LAB_BRIDGE, "up"],
    ];
    for (const tap of taps) {
        cmds.push(["-n", ns, "tuntap", "add", "dev", tap, "mode", "tap"]);
        cmds.push(["-n", ns, "link", "set", tap, "master", LAB_BRIDGE]);
        cmds.push(["-n", ns, "link", "set", tap, "up"]);
    }
    return cmds;
}

export type Firmware = "bios" | "uefi";

export interface VmSpec {
    name: string;
    mac: string;
    uuid: string;
    tap: string;
    memoryMiB: number;
    accel: "kvm" | "tcg";
    /** Default "bios". */
    firmware?: Firmware;
    /** UEFI only: this VM's writable copy of OVMF_VARS (QEMU writes boot entries into it). */
    ovmfVars?: string;
}

/** OVMF as Debian 12's `ovmf` package installs it (4 MiB flash layout). */
export const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";
export const OVMF_VARS_TEMPLATE = "/usr/share/OVMF/OVMF_VARS_4M.fd";

/**
 * QEMU arguments for a network boot.
 *  - BIOS: SeaBIOS and the Debian iPXE NIC ROM (pxe-virtio.rom), which loads the site's
 *    `undionly.kpxe` over TFTP; `graphics=off` makes SeaBIOS copy the text console (where iPXE
 *    prints) to serial.
 *  - UEFI: OVMF with the NIC ROM off (`romfile=`), so the firmware's own PXE loads the site's
 *    `snponly.efi` over TFTP, as on hardware; OVMF writes its console to serial.
 * `-no-reboot` with the guest's `panic=-1` / `poweroff -f` makes QEMU exit when the guest is done.
 */
export function qemuArgs(vm: VmSpec): string[] {
    const uefi = vm.firmware === "uefi";
    if (uefi && !vm.ovmfVars) throw new Error(`${vm.name}: a UEFI VM needs its own copy of ${OVMF_VARS_TEMPLATE}`);
    return [
        "-name", vm.name,
        "-accel", vm.accel,
        "-m", String(vm.memoryMiB),
        "-smp", "1",
        "-nodefaults",
        "-machine", uefi ? "q35" : "pc,graphics=off",
        ...(uefi
            ? ["-drive", `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`, "-drive", `if=pflash,format=raw,file=${vm.ovmfVars}`]
            : []),
        "-display", "none",
        "-no-reboot",
        "-uuid", vm.uuid,
        "-serial", "stdio",
        "-monitor", "none",
        "-netdev", `tap,id=n0,ifname=${vm.tap},script=no,downscript=no`,
        "-device", `virtio-net-pci,netdev=n0,mac=${vm.mac}${uefi ? ",romfile=" : ""}`,
        "-boot", "n",
    ];
}

/** KVM only when the CPU advertises VMX/SVM and /dev/kvm exists; a KVM device without them stalls guests. */
export function chooseAccel(cpuinfo: string, kvmDeviceExists: boolean): "kvm" | "tcg" {
    return kvmDeviceExists && /^flags\s*:.*\b(vmx|svm)\b/m.test(cpuinfo) ? "kvm" : "tcg";
}

/** Packages the lab needs on Debian 12, and the binaries/files that prove each is there. */
export const REQUIRED_TOOLS: ReadonlyArray<{ path: string; pkg: string }> = [
    { path: "/usr/bin/qemu-system-x86_64", pkg: "qemu-system-x86" },
    { path: "/usr/share/seabios/bios-256k.bin", pkg: "seabios" },
    { path: "/usr/lib/ipxe/qemu/pxe-virtio.rom", pkg: "ipxe-qemu" },
    { path: OVMF_CODE, pkg: "ovmf" },
    { path: "/usr/bin/openssl", pkg: "openssl" },
    { path: "/usr/sbin/dnsmasq", pkg: "dnsmasq-base" },
    { path: "/bin/busybox", pkg: "busybox-static" },
    { path: "/usr/bin/apt-get", pkg: "apt" },
    { path: "/usr/bin/dpkg-deb", pkg: "dpkg" },
    { path: "/usr/bin/find", pkg: "findutils" },
    { path: "/sbin/ip", pkg: "iproute2" },
];

/** The apt command that installs whatever is missing, or undefined when nothing is. */
export function missingPackagesCommand(exists: (path: string) => boolean): string | undefined {
    const missing = [...new Set(REQUIRED_TOOLS.filter((t) => !exists(t.path)).map((t) => t.pkg))];
    return missing.length > 0 ? `apt-get install -y --no-install-recommends ${missing.join(" ")}` : undefined;
}
