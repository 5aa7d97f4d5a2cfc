/**
 * Validation helpers shared by the edge-host renderers. Each takes the value and a label saying
 * where it came from, and throws "<label> <problem>; <fix>". Address, MAC and DNS-label syntax is
 * model/net.ts's; these wrap it with the renderers' own errors, because the renderers are the last
 * line of defence between stack config and a root shell on the host and check again what stack
 * config validation already checked.
 */
import { isDnsLabel, isMulticastMac, normaliseMac, parseIPv4 } from "../../model/net";

/** Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no slash, colon or whitespace. */
const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;
const ABS_PATH_RE = /^\/[A-Za-z0-9._/+-]*$/;
const FILE_NAME_RE = /^[A-Za-z0-9._+-]{1,100}$/;

const IPV4_ALL_ONES = (1n << 32n) - 1n;

export function fail(what: string, problem: string, fix: string): never {
    throw new Error(`${what} ${problem}; ${fix}`);
}

/** A dotted-quad IPv4 address (no leading zeros) as a 32-bit unsigned integer. */
export function checkIPv4(value: string, what: string): bigint {
    const n = typeof value === "string" ? parseIPv4(value) : undefined;
    if (n === undefined) {
        fail(what, `is not an IPv4 address (got ${JSON.stringify(value)})`, 'write it as four decimal numbers 0-255, e.g. "10.0.20.1"');
    }
    return n;
}

/** A prefix length a DHCP subnet can use (8-30). */
export function checkPrefix(prefix: number, what: string): number {
    if (!Number.isInteger(prefix) || prefix < 8 || prefix > 30) {
        fail(what, `must be a whole number between 8 and 30 (got ${JSON.stringify(prefix)})`, "a DHCP subnet needs room for a gateway, a server and clients");
    }
    return prefix;
}

/** Mask of the host bits of a prefix ("/24" -> 0.0.0.255). */
function hostMask(prefix: number): bigint {
    return (1n << BigInt(32 - prefix)) - 1n;
}

/** The netmask of a prefix length (24 -> 255.255.255.0) as a 32-bit integer. */
export function netmaskFromPrefix(prefix: number): bigint {
    return IPV4_ALL_ONES ^ hostMask(prefix);
}

/** The prefix length of a dotted-quad netmask; throws when its one bits are not contiguous. */
export function prefixFromNetmask(netmask: string, what: string): number {
    const bits = checkIPv4(netmask, what).toString(2).padStart(32, "0");
    if (!/^1*0*$/.test(bits)) {
        fail(what, `is not a contiguous netmask (got ${JSON.stringify(netmask)})`, 'use e.g. "255.255.255.0"');
    }
    return bits.indexOf("0") === -1 ? 32 : bits.indexOf("0");
}

/** First address (network address) of the block of `prefix` that holds `ip`. */
export function networkOf(ip: bigint, prefix: number): bigint {
    return ip & ~hostMask(prefix) & IPV4_ALL_ONES;
}

/** Last address (broadcast address) of the block of `prefix` that starts at `network`. */
export function broadcastOf(network: bigint, prefix: number): bigint {
    return network | hostMask(prefix);
}

/** A MAC in lower-case colon form; rejects malformed and multicast MACs (no NIC can use one). */
export function checkMac(value: string, what: string): string {
    const mac = typeof value === "string" ? normaliseMac(value) : undefined;
    if (mac === undefined) {
        fail(what, `is not a MAC address (got ${JSON.stringify(value)})`, 'write six hex pairs, e.g. "52:54:00:00:02:01"');
    }
    if (isMulticastMac(mac)) {
        fail(what, `is a multicast MAC (got ${mac})`, "the first octet must be even (52:54:00:... is the usual KVM prefix)");
    }
    return mac;
}

/** A host name that is a single DNS label (lower case). */
export function checkHostname(value: string, what: string): string {
    if (typeof value !== "string" || !isDnsLabel(value)) {
        fail(what, `is not a DNS label (got ${JSON.stringify(value)})`, "use 1-63 lower-case letters, digits and dashes, not starting or ending with a dash");
    }
    return value;
}

export function checkIfname(value: string, what: string): string {
    if (typeof value !== "string" || !IFNAME_RE.test(value)) {
        fail(what, `is not a usable interface name (got ${JSON.stringify(value)})`, "use at most 15 letters, digits, '.', '_' or '-'");
    }
    return value;
}

export function checkAbsPath(value: string, what: string): string {
    if (typeof value !== "string" || !ABS_PATH_RE.test(value) || value.includes("..")) {
        fail(what, `is not a plain absolute path (got ${JSON.stringify(value)})`, "use an absolute path of letters, digits and . _ / + - only");
    }
    return value;
}

/** A file name looked up in the TFTP root: no directory part. */
export function checkFileName(value: string, what: string): string {
    if (typeof value !== "string" || !FILE_NAME_RE.test(value) || value === "." || value === "..") {
        fail(what, `is not a plain file name (got ${JSON.stringify(value)})`, "use letters, digits and . _ + - only (it is looked up in the TFTP root)");
    }
    return value;
}
