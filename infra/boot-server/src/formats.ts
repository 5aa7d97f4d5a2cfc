/**
 * Strict allowlists for every value that crosses a trust boundary (a request, BOOT_SETTINGS,
 * a key backend) on its way into an iPXE script or a YAML document. Values are matched whole,
 * never sanitised: anything that does not match is refused, so no quoting rules of iPXE or YAML
 * ever have to hold.
 *
 * Identity values shared with the stack config (names, MAC, UUID, serial, disks, labels, site
 * tokens, tickets) are decided once in model/identity.ts and re-exported here.
 */
export {
    DISK_PATH,
    DISK_SELECTOR_KEYS,
    DISK_SELECTOR_VALUE,
    DNS_LABEL,
    LABEL_KEY,
    LABEL_VALUE,
    MAC,
    normaliseMac,
    normaliseSerial,
    normaliseUuid,
    SERIAL,
    SITE_TOKEN,
    SITE_TOKEN_CHARS,
    SITE_TOKEN_MAX_LENGTH,
    SITE_TOKEN_MIN_LENGTH,
    TAINT_VALUE,
    TICKET,
    UUID,
} from "../../../model/identity";

/** iPXE `${buildarch}` values we accept. `i386` is what BIOS `undionly.kpxe` reports on x86_64 CPUs. */
export const IPXE_ARCHES = ["x86_64", "i386", "arm64"] as const;
export type IpxeArch = (typeof IPXE_ARCHES)[number];

/** iPXE `${platform}` values. */
export const IPXE_PLATFORMS = ["efi", "pcbios"] as const;
export type IpxePlatform = (typeof IPXE_PLATFORMS)[number];

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
