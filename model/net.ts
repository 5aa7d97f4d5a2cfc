/**
 * Small, pure address helpers for stack-config validation: IPv4/IPv6 addresses and CIDRs
 * (parse, contain, overlap), MAC addresses and DNS names. No I/O, no Pulumi.
 *
 * Addresses are held as bigint so IPv4 and IPv6 share one code path; a CIDR of one family
 * never overlaps or contains an address of the other.
 */
import { isIPv6 } from "net";

export type IpVersion = 4 | 6;

export interface IpAddress {
    version: IpVersion;
    /** The address as an unsigned integer (32 or 128 bits). */
    value: bigint;
}

export interface Cidr {
    version: IpVersion;
    /** The address as written, which may have host bits set ("10.0.20.1/24" -> 10.0.20.1). */
    address: bigint;
    /** Prefix length. */
    prefix: number;
    /** First address of the block (host bits cleared). */
    network: bigint;
    /** Last address of the block (host bits set): the broadcast address for IPv4. */
    last: bigint;
}

const bitsOf = (version: IpVersion): number => (version === 4 ? 32 : 128);

// Strict dotted quad: no leading zeros (some parsers read "010" as octal), each octet <= 255.
const IPV4_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const IPV4_RE = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`);

/** Parses a dotted-quad IPv4 address; undefined when malformed. */
export function parseIPv4(text: string): bigint | undefined {
    if (!IPV4_RE.test(text)) {
        return undefined;
    }
    return text.split(".").reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

export function formatIPv4(value: bigint): string {
    const octets: number[] = [];
    for (let shift = 24n; shift >= 0n; shift -= 8n) {
        octets.push(Number((value >> shift) & 0xffn));
    }
    return octets.join(".");
}

/** Parses an IPv6 address (no zone index); undefined when malformed. */
export function parseIPv6(text: string): bigint | undefined {
    if (text.includes("%") || !isIPv6(text)) {
        return undefined;
    }
    let head = text;
    let tailGroups: number[] = [];
    // An embedded IPv4 tail ("::ffff:192.0.2.1") stands for the last two groups.
    const lastColon = head.lastIndexOf(":");
    const maybeV4 = head.slice(lastColon + 1);
    if (maybeV4.includes(".")) {
        const v4 = parseIPv4(maybeV4);
        if (v4 === undefined) {
            return undefined;
        }
        tailGroups = [Number(v4 >> 16n), Number(v4 & 0xffffn)];
        head = head.slice(0, lastColon + 1);
        if (head.endsWith(":") && !head.endsWith("::")) {
            head = head.slice(0, -1);
        }
    }
    const groupsNeeded = 8 - tailGroups.length;
    let groups: number[];
    const parseGroups = (s: string): number[] => (s === "" ? [] : s.split(":").map((g) => parseInt(g, 16)));
    if (head.includes("::")) {
        const [left, right] = head.split("::");
        const l = parseGroups(left);
        const r = parseGroups(right);
        groups = [...l, ...new Array<number>(groupsNeeded - l.length - r.length).fill(0), ...r];
    } else {
        groups = parseGroups(head);
    }
    groups = [...groups, ...tailGroups];
    if (groups.length !== 8 || groups.some((g) => Number.isNaN(g) || g < 0 || g > 0xffff)) {
        return undefined;
    }
    return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** Parses an IPv4 or IPv6 address. */
export function parseIp(text: string): IpAddress | undefined {
    const v4 = parseIPv4(text);
    if (v4 !== undefined) {
        return { version: 4, value: v4 };
    }
    const v6 = parseIPv6(text);
    return v6 === undefined ? undefined : { version: 6, value: v6 };
}

function makeCidr(version: IpVersion, address: bigint, prefix: number): Cidr {
    const hostBits = BigInt(bitsOf(version) - prefix);
    const hostMask = (1n << hostBits) - 1n;
    const network = address & ~hostMask & ((1n << BigInt(bitsOf(version))) - 1n);
    return { version, address, prefix, network, last: network | hostMask };
}

/** Parses "a.b.c.d/n" or "x:y::/n"; undefined when malformed (the prefix is required). */
export function parseCidr(text: string): Cidr | undefined {
    const slash = text.indexOf("/");
    if (slash < 0 || text.indexOf("/", slash + 1) >= 0) {
        return undefined;
    }
    const ip = parseIp(text.slice(0, slash));
    const prefixText = text.slice(slash + 1);
    if (!ip || !/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) {
        return undefined;
    }
    const prefix = Number(prefixText);
    if (prefix > bitsOf(ip.version)) {
        return undefined;
    }
    return makeCidr(ip.version, ip.value, prefix);
}

/** Parses an IPv4 CIDR only. */
export function parseIPv4Cidr(text: string): Cidr | undefined {
    const cidr = parseCidr(text);
    return cidr && cidr.version === 4 ? cidr : undefined;
}

/** True when the written address has bits set beyond the prefix ("10.1.0.5/24"). */
export function hasHostBits(cidr: Cidr): boolean {
    return cidr.address !== cidr.network;
}

export function formatIp(version: IpVersion, value: bigint): string {
    if (version === 4) {
        return formatIPv4(value);
    }
    const groups: string[] = [];
    for (let shift = 112n; shift >= 0n; shift -= 16n) {
        groups.push(((value >> shift) & 0xffffn).toString(16));
    }
    // Compress the longest run of zero groups (RFC 5952).
    let bestStart = -1;
    let bestLen = 0;
    for (let i = 0; i < 8; ) {
        if (groups[i] !== "0") {
            i++;
            continue;
        }
        let j = i;
        while (j < 8 && groups[j] === "0") {
            j++;
        }
        if (j - i > bestLen && j - i >= 2) {
            bestStart = i;
            bestLen = j - i;
        }
        i = j;
    }
    if (bestStart < 0) {
        return groups.join(":");
    }
    return `${groups.slice(0, bestStart).join(":")}::${groups.slice(bestStart + bestLen).join(":")}`;
}

/** The canonical network form ("10.1.0.0/24"), host bits cleared. */
export function formatCidr(cidr: Cidr): string {
    return `${formatIp(cidr.version, cidr.network)}/${cidr.prefix}`;
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
    return cidr.version === ip.version && ip.value >= cidr.network && ip.value <= cidr.last;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
    return a.version === b.version && a.network <= b.last && b.network <= a.last;
}

/** Number of addresses in the block. */
export function cidrSize(cidr: Cidr): bigint {
    return cidr.last - cidr.network + 1n;
}

/**
 * Normalises a MAC address written with colons or hyphens, any case
 * ("52-54-00-00-02-01", "52:54:00:00:02:01") to lower-case colon form; undefined when malformed.
 */
export function normaliseMac(text: string): string | undefined {
    const m = /^([0-9a-fA-F]{2})([:-])([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})$/.exec(text);
    if (!m) {
        return undefined;
    }
    return [m[1], m[3], m[4], m[5], m[6], m[7]].join(":").toLowerCase();
}

/** True for a multicast MAC (low bit of the first octet), which no NIC may use as its own address. */
export function isMulticastMac(normalisedMac: string): boolean {
    return (parseInt(normalisedMac.slice(0, 2), 16) & 1) === 1;
}

/** An RFC 1123 label: lower-case letters, digits and inner hyphens, 1-63 characters. */
export function isDnsLabel(text: string): boolean {
    return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(text);
}

/** An RFC 1123 host name: dot-separated labels (any case), at most 253 characters, not all-numeric. */
export function isHostname(text: string): boolean {
    if (text.length === 0 || text.length > 253) {
        return false;
    }
    const labels = (text.endsWith(".") ? text.slice(0, -1) : text).split(".");
    if (!labels.every((l) => isDnsLabel(l.toLowerCase()))) {
        return false;
    }
    // "10.0.20" would otherwise pass as a host name; a numeric last label is never a real TLD.
    return !/^[0-9]+$/.test(labels[labels.length - 1]);
}
