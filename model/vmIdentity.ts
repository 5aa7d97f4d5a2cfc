/**
 * The SMBIOS identity (system UUID and serial) of an edge VM the stack creates, derived from one
 * secret key per stack and the machine's name. The stack computes it to write the VM's libvirt
 * domain; the boot service computes the same values from the same key (BOOT_VM_IDENTITY_KEY) to
 * fill in its inventory. Both sides call `deriveVmIdentity`, so they cannot disagree.
 *
 * Why a derived identity instead of random values per VM: the service needs every VM's values,
 * and one secret listing them all grows with the fleet (about 100 bytes a VM, over Secret
 * Manager's 64 KiB at ~600 VMs) and costs two resources per VM. The key is one secret of
 * constant size whatever the number of VMs.
 *
 * What stays secret: the serial travels only inside HTTPS (the machine URL), never in DHCP, and
 * only holders of the key can compute it, so it still keeps a VM's identity off the site's L2.
 * The UUID is not secret: PXE firmware and iPXE send it in clear in DHCP (option 97) anyway.
 * HMAC-SHA256 with a distinct, versioned label per value: knowing one VM's UUID (or serial) tells
 * nothing about its serial or another VM's values. A new label version (v2) would be a new
 * derivation; never change what v1 computes, or every VM's identity changes.
 */
import { createHmac } from "node:crypto";

/** Domain-separation labels: one per derived value, versioned. */
const UUID_LABEL = "talos-cloud-edge/vm-identity/v1/smbios-uuid";
const SERIAL_LABEL = "talos-cloud-edge/vm-identity/v1/smbios-serial";

/** The key the stack makes: `random.RandomPassword` of 43 letters and digits (about 256 bits). */
export const VM_IDENTITY_KEY_LENGTH = 43;
/** Shortest key accepted: 32 characters (at least ~190 bits from a 62-letter alphabet). */
export const VM_IDENTITY_KEY_MIN_LENGTH = 32;
/** Longest key accepted. */
export const VM_IDENTITY_KEY_MAX_LENGTH = 256;
/** A key: printable ASCII with no space or line break (nothing a copy, a shell or a secret store would alter). */
const VM_IDENTITY_KEY = new RegExp(`^[\\x21-\\x7e]{${VM_IDENTITY_KEY_MIN_LENGTH},${VM_IDENTITY_KEY_MAX_LENGTH}}$`);

/** Length of a derived serial: 32 characters of 0-9 a-z (over 160 bits; SMBIOS allows 64). */
export const VM_SERIAL_LENGTH = 32;

/** The SMBIOS identity a VM reports: lower-case UUID and serial. */
export interface VmIdentity {
    /** 8-4-4-4-12 lower-case hex, an RFC 4122 version-4 UUID. */
    uuid: string;
    /** `VM_SERIAL_LENGTH` characters of 0-9 a-z. */
    serial: string;
}

/**
 * Why `key` cannot be a VM identity key, as "<problem>; <fix>", or undefined when it can. Never
 * quotes the key: callers prefix the name of the setting that holds it.
 */
export function vmIdentityKeyCheck(key: string): string | undefined {
    if (VM_IDENTITY_KEY.test(key)) return undefined;
    return (
        `is not a usable VM identity key: it must be ${VM_IDENTITY_KEY_MIN_LENGTH}..${VM_IDENTITY_KEY_MAX_LENGTH} printable ASCII ` +
        `characters with no space or line break (the stack makes ${VM_IDENTITY_KEY_LENGTH} letters and digits, ` +
        `random.RandomPassword {length: ${VM_IDENTITY_KEY_LENGTH}, special: false}); the value is secret and not shown`
    );
}

function mac(key: string, label: string, machine: string): Buffer {
    // Machine names are DNS labels: no NUL, so label + NUL + name is unambiguous.
    return createHmac("sha256", key).update(`${label}\u0000${machine}`, "utf8").digest();
}

/** An RFC 4122 version-4 UUID from 16 bytes: never all zeros or all f (the version nibble is 4). */
function uuidOf(bytes: Buffer): string {
    const b = Buffer.from(bytes.subarray(0, 16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = b.toString("hex");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `VM_SERIAL_LENGTH` base-36 digits of the 256-bit MAC (the reduction's bias is below 2^-90). */
function serialOf(bytes: Buffer): string {
    const n = BigInt(`0x${bytes.toString("hex")}`) % 36n ** BigInt(VM_SERIAL_LENGTH);
    return n.toString(36).padStart(VM_SERIAL_LENGTH, "0");
}

/**
 * The SMBIOS UUID and serial of the VM `machine` (its name), from the stack's VM identity key.
 * Deterministic: the same key and name give the same identity on every call and on both sides.
 * Throws when the key is unusable (the message never contains it) or the name is empty.
 */
export function deriveVmIdentity(key: string, machine: string): VmIdentity {
    const problem = vmIdentityKeyCheck(key);
    if (problem !== undefined) throw new Error(`deriveVmIdentity: the key ${problem}`);
    if (machine === "") throw new Error("deriveVmIdentity: the machine name is empty; pass the machine's name");
    return { uuid: uuidOf(mac(key, UUID_LABEL, machine)), serial: serialOf(mac(key, SERIAL_LABEL, machine)) };
}
