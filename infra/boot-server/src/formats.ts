/**
 * Strict allowlists for every value that crosses a trust boundary (a request, BOOT_SETTINGS,
 * a key backend) on its way into an iPXE script or a YAML document. Values are matched whole,
 * never sanitised: anything that does not match is refused, so no quoting rules of iPXE or YAML
 * ever have to hold.
 */

/** DNS label: site and machine names, hostnames, zone label values. */
export const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** MAC in colon or hyphen form (iPXE `${mac:hexhyp}` sends hyphens), either case. */
export const MAC = /^[0-9A-Fa-f]{2}([-:])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}$/;

/** SMBIOS UUID in the 8-4-4-4-12 form iPXE's `${uuid}` prints. */
export const UUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

/**
 * SMBIOS serial: printable ASCII without the characters that mean something to a shell, iPXE,
 * YAML or a URL (`$ { } : | & ; # % " ' \` < > newline). Vendors use spaces and dots.
 */
export const SERIAL = /^[A-Za-z0-9](?:[A-Za-z0-9 ._/+-]{0,62}[A-Za-z0-9._+-])?$/;

/** iPXE `${buildarch}` values we accept. `i386` is what BIOS `undionly.kpxe` reports on x86_64 CPUs. */
export const IPXE_ARCHES = ["x86_64", "i386", "arm64"] as const;
export type IpxeArch = (typeof IPXE_ARCHES)[number];

/** iPXE `${platform}` values. */
export const IPXE_PLATFORMS = ["efi", "pcbios"] as const;
export type IpxePlatform = (typeof IPXE_PLATFORMS)[number];

/**
 * Site tokens: URL-unreserved characters only, so a token goes into a query string and a
 * dnsmasq option unencoded. 22 characters of a 62-letter alphabet carry > 128 bits.
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

/** Kubernetes label key: optional DNS-subdomain prefix and a name of at most 63 characters. */
export const LABEL_KEY = /^(?:[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?\/)?[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;
/** Kubernetes label value (may be empty). */
export const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/;
/** Talos `machine.nodeTaints` value: `value:Effect` or `:Effect`/`Effect` alone. */
export const TAINT_VALUE = /^(?:(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?:)?(NoSchedule|PreferNoSchedule|NoExecute)$/;

/** Block device path for `machine.install.disk`. */
export const DISK_PATH = /^\/dev\/[A-Za-z0-9._/-]{1,120}$/;
/** Keys Talos accepts in `machine.install.diskSelector`. */
export const DISK_SELECTOR_KEYS = ["size", "name", "model", "serial", "modalias", "uuid", "wwid", "type", "busPath"] as const;
/** Disk selector values: sizes (">= 100GB"), globs ("WDC*"), bus paths. */
export const DISK_SELECTOR_VALUE = /^[A-Za-z0-9 <>=*._/:+-]{1,128}$/;

/** OCI image reference (registry/repository[:tag][@sha256:digest]), lower-case repository. */
export const IMAGE_REF =
    /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::[0-9]{1,5})?\/[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/**
 * One kernel argument: `key` or `key=value` with no whitespace and nothing iPXE expands
 * (`$`), chains (`|`, `&`) or treats as a comment (`#`).
 */
export const KERNEL_ARG = /^[A-Za-z0-9_.-]+(?:=[A-Za-z0-9_.,:/=+@%-]*)?$/;

/** IPv4 or IPv6 CIDR, optionally negated with `!` (kubelet validSubnets syntax). */
export const CIDR = /^!?(?:(?:\d{1,3}\.){3}\d{1,3}\/\d{1,2}|[0-9A-Fa-f:]+\/\d{1,3})$/;

/** Host[:port] as it may appear in a Host header or public URL. */
export const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/;

/**
 * Characters allowed in an asset URL or the public base URL once parsed by WHATWG URL: no
 * whitespace, no `$` (iPXE expansion), no `|`/`&&` pitfalls beyond a plain query `&`, no `#`.
 */
const URL_CHARS = /^[A-Za-z0-9._~:/?=&%+@,-]+$/;

/** Lower-case colon form ("52:54:00:12:34:56"), or undefined when `raw` is not a MAC. */
export function normaliseMac(raw: string): string | undefined {
    if (!MAC.test(raw)) return undefined;
    return raw.toLowerCase().replace(/-/g, ":");
}

/** Placeholder UUIDs firmware reports when it has none; they identify nothing. */
const PLACEHOLDER_UUIDS = new Set(["00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"]);

/** Lower-case UUID; undefined for placeholders. Caller has checked the format. */
export function normaliseUuid(raw: string): string | undefined {
    const lower = raw.toLowerCase();
    return PLACEHOLDER_UUIDS.has(lower) ? undefined : lower;
}

/** Placeholder serials vendors ship; they identify nothing and must never select a machine. */
const PLACEHOLDER_SERIALS = new Set(
    ["to be filled by o.e.m.", "not specified", "default string", "system serial number", "0", "none", "n/a", "123456789"],
);

/** Trimmed serial; undefined for vendor placeholders. Caller has checked the format. */
export function normaliseSerial(raw: string): string | undefined {
    const trimmed = raw.trim();
    return trimmed === "" || PLACEHOLDER_SERIALS.has(trimmed.toLowerCase()) ? undefined : trimmed;
}

/** Talos architecture an iPXE build arch can boot. */
export function talosArchFor(ipxeArch: IpxeArch): "amd64" | "arm64" {
    return ipxeArch === "arm64" ? "arm64" : "amd64";
}

/**
 * Parses and re-serialises an http(s) URL, returning its canonical form, or an error phrase.
 * `allowPath`/`allowQuery` restrict what the URL may carry (a public base URL has neither).
 */
export function checkHttpUrl(
    raw: string,
    opts: { allowPath: boolean; allowQuery: boolean; maxLength?: number },
): { url: string } | { error: string } {
    const maxLength = opts.maxLength ?? 1024;
    if (raw.length > maxLength) return { error: `must be at most ${maxLength} characters` };
    // The URL parser would silently drop tabs/newlines and encode spaces; refuse them instead.
    if (!/^[\x21-\x7e]+$/.test(raw)) return { error: "must be printable ASCII without whitespace" };
    let parsed: URL;
    try {
        parsed = new URL(raw);
    } catch {
        return { error: "must be an absolute http:// or https:// URL" };
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
        return { error: "must use http:// or https://" };
    }
    if (parsed.username !== "" || parsed.password !== "") return { error: "must not carry credentials" };
    if (parsed.hash !== "") return { error: "must not have a #fragment" };
    if (!opts.allowQuery && parsed.search !== "") return { error: "must not have a query string" };
    if (!opts.allowPath && parsed.pathname !== "/") return { error: "must not have a path" };
    const canonical = opts.allowPath ? parsed.href : parsed.origin;
    if (!URL_CHARS.test(canonical) || canonical.includes("&&")) {
        return { error: "contains characters that are not allowed (whitespace, $, |, #, quotes, braces)" };
    }
    return { url: canonical };
}
