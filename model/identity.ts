/**
 * How an edge machine is identified and what each identity value may be: the one decision per
 * value, applied by the stack config, the boot service's settings and its request routes alike.
 *
 * Values are matched whole against allowlists, never sanitised: anything that does not match is
 * refused, so no quoting rule of iPXE, YAML, a shell or a URL ever has to hold. Values that
 * identify nothing (the all-zero SMBIOS UUID, "To Be Filled By O.E.M.") are refused as
 * configuration and treated as absent when a machine reports them.
 */
import { isMulticastMac, normaliseMac } from "./net";
import type { Check } from "./readers";

export { normaliseMac } from "./net";

/** DNS label: site and machine names, hostnames, zone label values. */
export const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** MAC in colon or hyphen form (iPXE `${mac:hexhyp}` sends hyphens), either case. */
export const MAC = /^[0-9A-Fa-f]{2}([-:])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}$/;

/** SMBIOS UUID in the 8-4-4-4-12 form iPXE's `${uuid}` and `dmidecode -s system-uuid` print. */
export const UUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

/**
 * SMBIOS serial: 1-64 printable ASCII characters from letters, digits, space and `. _ / + - :`,
 * starting and ending with a non-space. Excluded: what means something to a shell, iPXE, YAML
 * or a URL (`$ { } | & ; # % " ' \` < > = ? ,` and control characters).
 */
export const SERIAL = /^[A-Za-z0-9._/+:-](?:[A-Za-z0-9 ._/+:-]{0,62}[A-Za-z0-9._/+:-])?$/;

/** Placeholder UUIDs firmware reports when it has none; they identify nothing. */
const PLACEHOLDER_UUIDS = new Set(["00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"]);

/** Placeholder serials vendors ship (compared case-insensitively); they identify nothing. */
const PLACEHOLDER_SERIALS = new Set([
    "to be filled by o.e.m.",
    "to be filled by o.e.m",
    "not specified",
    "not applicable",
    "default string",
    "system serial number",
    "chassis serial number",
    "serial number",
    "invalid",
    "unknown",
    "none",
    "n/a",
    "na",
    "0",
    "00000000",
    "0000000000",
    "123456789",
    "0123456789",
    "1234567890",
]);

/** Lower-case UUID; undefined when malformed or a placeholder. */
export function normaliseUuid(raw: string): string | undefined {
    if (!UUID.test(raw)) return undefined;
    const lower = raw.toLowerCase();
    return PLACEHOLDER_UUIDS.has(lower) ? undefined : lower;
}

/** The serial as written; undefined when malformed or a vendor placeholder. */
export function normaliseSerial(raw: string): string | undefined {
    if (!SERIAL.test(raw)) return undefined;
    return PLACEHOLDER_SERIALS.has(raw.toLowerCase()) ? undefined : raw;
}

/** True for a serial that is well-formed but a vendor placeholder. */
export function isPlaceholderSerial(raw: string): boolean {
    return PLACEHOLDER_SERIALS.has(raw.trim().toLowerCase());
}

/** Block device path for `machine.install.disk`, including by-path names with `:` ("/dev/disk/by-path/pci-0000:00:17.0-ata-1"). */
export const DISK_PATH = /^\/dev\/[A-Za-z0-9._/:+-]{1,120}$/;

/** Keys Talos v1.12 accepts in `machine.install.diskSelector` (its schema's InstallDiskSelector). */
export const DISK_SELECTOR_KEYS = ["size", "name", "model", "serial", "modalias", "uuid", "wwid", "type", "busPath"] as const;
export type DiskSelectorKey = (typeof DISK_SELECTOR_KEYS)[number];
/** `diskSelector.type` values Talos accepts. */
export const DISK_TYPES = ["ssd", "hdd", "nvme", "sd"] as const;
/** Disk selector values: sizes (">= 100GB"), globs ("WDC*"), bus paths. */
export const DISK_SELECTOR_VALUE = /^[A-Za-z0-9 <>=*._/:+-]{1,128}$/;

/** Kubernetes qualified name (label and taint keys): optional DNS-subdomain prefix and a name of at most 63 characters. */
export const LABEL_KEY = /^(?:[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?\/)?[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;
/** Kubernetes label value (may be empty). */
export const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/;
/** Talos `machine.nodeTaints` value: `value:Effect` or `:Effect`. */
export const TAINT_VALUE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?:(NoSchedule|PreferNoSchedule|NoExecute)$/;
/** The label the stack sets on every edge node from its site name; never user-set. */
export const ZONE_LABEL = "topology.kubernetes.io/zone";

/** Highest enrollment generation accepted (an operator bumps it by one per reinstall). */
export const MAX_ENROLLMENT = 1_000_000;

/**
 * Site tokens: URL-unreserved characters only, so a token goes into a URL and a dnsmasq
 * option unencoded. 22 characters of a 62-letter alphabet carry > 128 bits.
 */
export const SITE_TOKEN = /^[A-Za-z0-9._~-]{22,128}$/;
export const SITE_TOKEN_MIN_LENGTH = 22;
export const SITE_TOKEN_MAX_LENGTH = 128;
/**
 * Characters a site token in a request may have at all; its length is checked only by the
 * comparison with the real token. Empty is allowed here so it can be answered 401, not 400.
 */
export const SITE_TOKEN_CHARS = "^[A-Za-z0-9._~-]{0,128}$";

/** Config tickets: 32 random bytes as unpadded base64url (43 characters). */
export const TICKET = /^[A-Za-z0-9_-]{43}$/;

// ---------------------------------------------------------------------------------------
// Checks in the readers' form: "<problem>; <fix>" or undefined.

export const macCheck: Check = (s) => {
    const m = normaliseMac(s);
    if (!m) {
        return 'is not a MAC address; use six hex pairs separated by ":" or "-", e.g. "52:54:00:00:02:01"';
    }
    if (isMulticastMac(m)) {
        return "is a multicast MAC address, which no NIC uses as its own; check the first octet";
    }
    if (m === "00:00:00:00:00:00") {
        return "is the all-zero MAC, which identifies no NIC; use the boot NIC's address";
    }
    return undefined;
};

export const uuidCheck: Check = (s) => {
    if (!UUID.test(s)) {
        return "is not an SMBIOS UUID; use the 8-4-4-4-12 hex form from `dmidecode -s system-uuid`";
    }
    return normaliseUuid(s) === undefined ? "is a placeholder UUID (all zeros or all F) that identifies nothing; remove the key" : undefined;
};

export const serialCheck: Check = (s) => {
    if (isPlaceholderSerial(s)) {
        return "is a vendor placeholder serial that identifies nothing; remove the key (the MAC and UUID still identify the machine)";
    }
    return SERIAL.test(s)
        ? undefined
        : "is not a usable serial; use the value of `dmidecode -s system-serial-number`: at most 64 letters, digits, spaces and . _ / + - :, not starting or ending with a space";
};

export const installDiskCheck: Check = (s) =>
    DISK_PATH.test(s) && !s.split("/").includes("..")
        ? undefined
        : 'is not a device path; use e.g. "/dev/vda", "/dev/disk/by-id/..." or "/dev/disk/by-path/..." (letters, digits and . _ / : + -, at most 125 characters)';

export const labelKeyCheck: Check = (s) =>
    LABEL_KEY.test(s) ? undefined : 'is not a valid Kubernetes key; use "[prefix/]name", name <= 63 letters, digits, "-", "_", "."';

export const labelValueCheck: Check = (s) =>
    LABEL_VALUE.test(s) ? undefined : 'is not a Kubernetes label value; use <= 63 letters, digits, "-", "_", ".", starting and ending alphanumeric';

export const taintValueCheck: Check = (s) =>
    TAINT_VALUE.test(s) ? undefined : 'is not a Talos taint; use "<value>:<Effect>" with Effect NoSchedule, PreferNoSchedule or NoExecute, e.g. "edge:NoSchedule"';

export const diskSelectorValueCheck: Check = (s) =>
    DISK_SELECTOR_VALUE.test(s) ? undefined : 'is not a disk selector value; use e.g. ">= 100GB", "nvme", "WDC*" (letters, digits, spaces and < > = * . _ / : + -, at most 128)';
