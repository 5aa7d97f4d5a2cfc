/**
 * Value checks for input fields: each returns "<problem>; <fix>" or undefined. The one check for
 * each kind of value; identity values (MAC, UUID, serial, disk, labels) are in identity.ts.
 */
import { cidrContains, formatCidr, hasHostBits, isDnsLabel, isHostname, parseCidr, parseIp, parseIPv4 } from "./net";
import { LEAK_FIX } from "./problems";
import type { Check } from "./readers";

/** Image Factory's public instance. */
export const DEFAULT_FACTORY_URL = "https://factory.talos.dev";


export const dnsLabel =
    (maxLength = 63): Check =>
    (s) => {
        if (isDnsLabel(s) && s.length <= maxLength) {
            return undefined;
        }
        if (s.length > maxLength) {
            return `is longer than ${maxLength} characters; use a shorter name`;
        }
        const lower = s.toLowerCase().replace(/[^a-z0-9-]/g, "-");
        const hint = isDnsLabel(lower) && lower.length <= maxLength ? ` (e.g. "${lower}")` : "";
        return `is not a valid DNS label; use lower-case letters, digits and hyphens, starting and ending with a letter or digit${hint}`;
    };

export const ipv4Cidr = (opts: { minPrefix?: number; maxPrefix?: number; why?: string } = {}): Check => (s) => {
    const c = parseCidr(s);
    if (!c || c.version !== 4) {
        return "is not a valid IPv4 CIDR; use a.b.c.d/n with n <= 32";
    }
    if (hasHostBits(c)) {
        return `has host bits set; use the network address "${formatCidr(c)}"`;
    }
    const min = opts.minPrefix ?? 0;
    const max = opts.maxPrefix ?? 32;
    if (c.prefix < min || c.prefix > max) {
        return `has prefix /${c.prefix}; use a prefix between /${min} and /${max}${opts.why ? ` (${opts.why})` : ""}`;
    }
    return undefined;
};

export const anyCidr: Check = (s) => {
    const c = parseCidr(s);
    if (!c) {
        return "is not a valid CIDR; use a.b.c.d/n (n <= 32) or an IPv6 prefix such as 2001:db8::/32; a single address is a.b.c.d/32";
    }
    return hasHostBits(c) ? `has host bits set; use the network address "${formatCidr(c)}"` : undefined;
};

export const ipv4: Check = (s) => (parseIPv4(s) === undefined ? "is not a valid IPv4 address; use a.b.c.d" : undefined);

export const hostOrIp: Check = (s) =>
    parseIp(s) || isHostname(s) ? undefined : "is neither an IP address nor a valid host name; use e.g. \"10.0.0.5\" or \"kvm-host.lab.internal\"";

export const sanName: Check = (s) =>
    parseIp(s) || isHostname(s.startsWith("*.") ? s.slice(2) : s)
        ? undefined
        : "is neither an IP address nor a valid DNS name; use e.g. \"k8s.corp.internal\" or \"34.90.1.10\"";

export const VERSION_RE = /^v([0-9]+)\.([0-9]+)\.([0-9]+)(-[0-9A-Za-z.-]+)?$/;

export const version =
    (what: string, example: string): Check =>
    (s) => {
        if (VERSION_RE.test(s)) {
            return undefined;
        }
        const hint = VERSION_RE.test(`v${s}`) ? ` (did you mean "v${s}"?)` : "";
        return `is not a valid ${what} version; use the "${example}" form${hint}`;
    };

export const GO_DURATION_RE = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;
export const goDuration: Check = (s) =>
    GO_DURATION_RE.test(s) && /[1-9]/.test(s) ? undefined : 'is not a positive Go duration; use e.g. "10m", "1h30m" or "90s"';

// GCE machine types: family-kind-size ("e2-standard-4", "n2-highmem-8", "e2-micro", "n2-custom-4-16384").
export const machineType: Check = (s) =>
    /^[a-z][a-z0-9]*(-[a-z0-9]+)+$/.test(s) ? undefined : 'is not a GCE machine type; use e.g. "e2-standard-4" (see `gcloud compute machine-types list`)';

export const region: Check = (s) =>
    /^[a-z]+(-[a-z]+)+[0-9]+$/.test(s) ? undefined : 'is not a GCP region; use e.g. "europe-west4" (see `gcloud compute regions list`)';

export const projectId: Check = (s) =>
    /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(s)
        ? undefined
        : "is not a GCP project id; use the 6-30 character id (lower-case letters, digits, hyphens), not the project name or number";

// Tailscale tag names: "tag:" then letters, digits and hyphens, starting with a letter.
export const tailscaleTag: Check = (s) =>
    /^tag:[A-Za-z][A-Za-z0-9-]*$/.test(s)
        ? undefined
        : `is not a Tailscale tag; use "tag:<name>" with letters, digits and hyphens${/^[A-Za-z][A-Za-z0-9-]*$/.test(s) ? ` (did you mean "tag:${s}"?)` : ""}`;

export const extensionName: Check = (s) =>
    /^[a-z0-9-]+\/[a-z0-9][a-z0-9._-]*$/.test(s) ? undefined : 'is not an official extension name; use "<owner>/<name>", e.g. "siderolabs/tailscale"';

export const httpUrl =
    (httpsOnly: boolean): Check =>
    (s) => {
        let u: URL;
        try {
            u = new URL(s);
        } catch {
            return `is not a URL; use e.g. "${httpsOnly ? "https://headscale.lab.internal" : DEFAULT_FACTORY_URL}"`;
        }
        if (u.protocol !== "https:" && (httpsOnly || u.protocol !== "http:")) {
            return httpsOnly ? "is not an https URL; the API key is sent with every request, so use https://" : "is not an http(s) URL; use https://...";
        }
        if (u.username || u.password) {
            return `contains credentials; ${LEAK_FIX}`;
        }
        if (u.search || u.hash) {
            return "has a query or fragment; use the base URL only";
        }
        return undefined;
    };

// Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no slash, whitespace or colon.
export const ifName: Check = (s) =>
    /^[A-Za-z0-9_.-]{1,15}$/.test(s) && s !== "." && s !== ".."
        ? undefined
        : "is not a Linux interface name; use at most 15 letters, digits, '-', '_' or '.'";

export const posixUser: Check = (s) => (/^[a-z_][a-z0-9_-]{0,31}$/.test(s) ? undefined : 'is not a valid user name; use e.g. "root"');

export const SSH_KEY_TYPES = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"];
export const sshHostKey: Check = (s) => {
    const [type, blob] = s.trim().split(/\s+/);
    if (SSH_KEY_TYPES.includes(type) && blob && blob.length >= 4) {
        return undefined;
    }
    return `is not an SSH public host key; use "<type> <base64>" (${SSH_KEY_TYPES[0]}, ecdsa-sha2-*, ssh-rsa), e.g. the output of \`ssh-keyscan -t ed25519 <host>\` without the leading host name`;
};

export const libvirtUri: Check = (s) =>
    /^qemu(\+[a-z0-9]+)?:\/\/\S*\/(system|session)(\?\S*)?$/.test(s)
        ? undefined
        : 'is not a libvirt QEMU URI; use e.g. "qemu+ssh://root@kvm-host.lab.internal:22/system?sshauth=agent,privkey"';

export const lvmName: Check = (s) =>
    /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$/.test(s) && s !== "." && s !== ".." ? undefined : "is not a valid LVM volume group name; use letters, digits, '+', '_', '.', '-'";

export const poolName: Check = (s) => (/^[A-Za-z0-9_.+-]+$/.test(s) ? undefined : "is not a valid libvirt pool name; use letters, digits, '_', '.', '+', '-'");

// dnsmasq lease times: "infinite" or a number with an optional s/m/h/d/w unit; dnsmasq's minimum is 2 minutes.
export const leaseTime: Check = (s) => {
    if (s === "infinite") {
        return undefined;
    }
    const m = /^([0-9]+)([smhdw]?)$/.exec(s);
    if (!m) {
        return 'is not a dnsmasq lease time; use e.g. "1h", "45m", "12h" or "infinite"';
    }
    const seconds = Number(m[1]) * ({ "": 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 } as Record<string, number>)[m[2]];
    return seconds < 120 ? 'is below dnsmasq\'s 2-minute minimum; use at least "2m"' : undefined;
};

export const noWhitespace =
    (what: string): Check =>
    (s) =>
        /\s/.test(s) ? `contains whitespace; give each ${what} as its own list entry` : undefined;

/**
 * Values left unfilled from an example stack file: `REPLACE...` markers, elided text ("AAAA..."),
 * and names under the reserved `example` domains (RFC 2606). Refused before any resource so a
 * stack never creates cloud resources and then waits on a host that does not exist.
 */
export const placeholder: Check = (s) => {
    if (/REPLACE/.test(s) || /\.\.\.|\u2026/.test(s)) {
        return "is a placeholder left from the example stack file; put your own value there (see the comment beside the key in Pulumi.dev.yaml)";
    }
    const host = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:[^@/]*@)?([^/:?#\s]+)/i.exec(s)?.[1] ?? "";
    if (/(^|\.)example(\.|$)/i.test(host) && host.includes(".")) {
        return `names the reserved example domain "${host}"; put the real host name or address there`;
    }
    return undefined;
};

/** IPv4 documentation ranges (RFC 5737): no real client ever has these addresses. */
export const DOCUMENTATION_RANGES = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"];

/** Refuses an admin CIDR inside a documentation range. */
export const notDocumentationRange: Check = (s) => {
    const c = parseCidr(s);
    if (!c || c.version !== 4) return undefined;
    for (const d of DOCUMENTATION_RANGES) {
        const doc = parseCidr(d)!;
        if (c.prefix >= doc.prefix && cidrContains(doc, { version: 4, value: c.network })) {
            return `is inside the documentation range ${d}, which no real client has; put the CIDRs your administrators connect from (e.g. your office's public range, or your own address as a.b.c.d/32)`;
        }
    }
    return undefined;
};
