/**
 * Stack configuration: raw Pulumi config (strings, structured values as JSON) in, the
 * validated `StackConfig` model (stacks/model.ts) out, before any resource is declared.
 *
 * `parseStackConfig` collects every problem and throws one `StackConfigError` listing them
 * all, each naming the config key path, the offending value (never a secret one) and the fix,
 * so a user fixes a broken stack file in one round instead of one error per `pulumi up`.
 */
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import {
    Architecture,
    BootServiceConfig,
    ClusterConfig,
    CloudNodeConfig,
    EdgeBridgeConfig,
    EdgeDhcpConfig,
    EdgeHostConfig,
    EdgeMachineConfig,
    EdgeSiteConfig,
    EdgeStorageConfig,
    EdgeVmConfig,
    GcpConfig,
    ImagesConfig,
    KeyBackendConfig,
    NodeRole,
    PROJECT,
    StackConfig,
    TAILNET_IPV4_CIDR,
    TailnetConfig,
    TailscaleAuth,
} from "./model";
import {
    Cidr,
    IpAddress,
    cidrContains,
    cidrSize,
    cidrsOverlap,
    formatCidr,
    formatIPv4,
    hasHostBits,
    isDnsLabel,
    isHostname,
    isMulticastMac,
    normaliseMac,
    parseCidr,
    parseIp,
    parseIPv4,
    parseIPv4Cidr,
} from "../model/net";

/** Raw stack config as Pulumi hands it to the program. */
export interface RawStackConfig {
    /** Full config keys ("talos-cloud-edge:cluster", "gcp:project") to their string form; objects and arrays are JSON. */
    values: Record<string, string>;
    /** Full keys whose values were set with `pulumi config set --secret`. */
    secretKeys: ReadonlySet<string>;
}

/** Every problem found in one stack's config; `problems` holds one line per problem. */
export class StackConfigError extends Error {
    readonly problems: string[];

    constructor(problems: string[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "StackConfigError";
        this.problems = problems;
    }
}

/** Secret config keys: top level, each set with `pulumi config set --secret <key>`. */
export const SECRET_CONFIG_KEYS = ["tailscaleOauthClientSecret", "tailscaleApiKey", "headscaleApiKey", "edgeSshPrivateKey"] as const;
type SecretKey = (typeof SECRET_CONFIG_KEYS)[number];

const STRUCTURED_KEYS = ["cluster", "gcp", "nodes", "images", "tailnet", "bootService", "edgeSites"] as const;
type StructuredKey = (typeof STRUCTURED_KEYS)[number];

const TOP_LEVEL_KEYS: readonly string[] = [...STRUCTURED_KEYS, ...SECRET_CONFIG_KEYS];

/** Talos >= 1.12: the shared documents set the node name with a `HostnameConfig` document. */
const MIN_TALOS = { major: 1, minor: 12 };

export const DEFAULTS = {
    podCidr: "10.244.0.0/16",
    serviceCidr: "10.96.0.0/12",
    healthTimeout: "10m",
    diskSizeGb: 50,
    cloudExtensions: ["siderolabs/tailscale", "siderolabs/gcp-guest-agent"],
    edgeExtensions: ["siderolabs/tailscale"],
    factoryUrl: "https://factory.talos.dev",
    tailnet: "-",
    keyExpirySeconds: 3600,
    minInstances: 0,
    maxInstances: 1,
    ticketTtlSeconds: 900,
    edgeKeyExpirySeconds: 3600,
    rateLimitPerMinute: 120,
    consoleArgs: ["console=tty0", "console=ttyS0,115200"],
    sshPort: 22,
    sshUser: "root",
    mtu: 1500,
    leaseTime: "1h",
    dnsServers: ["1.1.1.1", "8.8.8.8"],
    storagePool: "default",
    arch: "amd64" as Architecture,
    vmInstallDisk: "/dev/vda",
    vm: { vcpu: 2, memoryMiB: 4096, diskSizeGb: 20, firmware: "uefi" as const },
};

const key = (short: string): string => `${PROJECT}:${short}`;
const setCmd = (short: string, example: string): string => `\`pulumi config set --path '${key(short)}' ${example}\``;
const secretCmd = (k: SecretKey): string => `\`pulumi config set --secret ${k} <value>\``;

// ---------------------------------------------------------------------------------------
// Problem collection

class Problems {
    readonly list: string[] = [];
    private readonly redactedRoots = new Set<string>();

    /** Values under this full key are never shown (it was set as a secret). */
    redact(root: string): void {
        this.redactedRoots.add(root);
    }

    private isRedacted(path: string): boolean {
        const root = path.split(/[.[]/, 1)[0];
        return this.redactedRoots.has(root);
    }

    show(path: string, value: unknown): string {
        if (this.isRedacted(path)) {
            return "(secret value)";
        }
        const text = JSON.stringify(value) ?? String(value);
        return text.length > 120 ? `${text.slice(0, 117)}...` : text;
    }

    add(path: string, text: string): void {
        this.list.push(`${path}: ${text}`);
    }

    /** `<path>: <value> <problem; fix>`. */
    invalid(path: string, value: unknown, message: string): void {
        this.add(path, `${this.show(path, value)} ${message}`);
    }
}

// ---------------------------------------------------------------------------------------
// Suggestions for typos

function editDistance(a: string, b: string): number {
    const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diag = prev[0];
        prev[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const above = prev[j];
            prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
            diag = above;
        }
    }
    return prev[b.length];
}

/** The known word closest to `word`, if close enough to be a plausible typo. */
export function closest(word: string, known: readonly string[]): string | undefined {
    const w = word.toLowerCase();
    let best: { k: string; d: number } | undefined;
    for (const k of known) {
        const d = editDistance(w, k.toLowerCase());
        if (!best || d < best.d) {
            best = { k, d };
        }
    }
    if (best && best.d <= Math.max(1, Math.floor(Math.max(w.length, best.k.length) / 3))) {
        return best.k;
    }
    // A truncated or extended name ("subnet" for "subnetCidr").
    if (w.length >= 3) {
        return known.find((k) => k.toLowerCase().startsWith(w) || w.startsWith(k.toLowerCase()));
    }
    return undefined;
}

function unknownKeyMessage(name: string, known: readonly string[]): string {
    const guess = closest(name, known);
    return guess ? `unknown key; did you mean "${guess}"?` : `unknown key; known keys: ${known.join(", ")}`;
}

// ---------------------------------------------------------------------------------------
// Secret hygiene

const SECRET_NAME_RE = /secret|passw|passphrase|token|api[-_]?key|private[-_]?key|auth[-_]?key|credential/i;

/** Secret material that must never sit in plain config (a Tailscale key, a PEM/OpenSSH private key). */
function looksLikeSecretValue(s: string): string | undefined {
    if (/^tskey-/i.test(s)) {
        return "a Tailscale key";
    }
    if (/PRIVATE KEY-----/.test(s)) {
        return "a private key";
    }
    return undefined;
}

const LEAK_FIX = "remove it from Pulumi.<stack>.yaml, treat it as leaked (rotate it), and set secrets only with `pulumi config set --secret <key>`";

/** Where a secret-looking field found inside structured config belongs instead. */
function misplacedSecretFix(path: string, name: string): string {
    const n = name.toLowerCase();
    const tail = "; treat the value as leaked (it is in plain text) and rotate it";
    if (/[:.]tailnet$/.test(path)) {
        if (/api[-_]?key/.test(n)) {
            return `secrets are not read from structured config: remove it and run ${secretCmd("tailscaleApiKey")}${tail}`;
        }
        if (/auth[-_]?key/.test(n)) {
            return "remove it: per-node auth keys are minted by the stack and the boot service from the OAuth client; nothing to set" + tail;
        }
        return `secrets are not read from structured config: remove it and run ${secretCmd("tailscaleOauthClientSecret")}${tail}`;
    }
    if (/[:.]bootService(\.keyBackend)?$/.test(path)) {
        return `secrets are not read from structured config: remove it and run ${secretCmd("headscaleApiKey")}${tail}`;
    }
    if (/[:.]host$/.test(path)) {
        if (/private[-_]?key/.test(n)) {
            return `secrets are not read from structured config: remove it and run \`pulumi config set --secret edgeSshPrivateKey < ~/.ssh/id_ed25519\` (or leave it unset to use the runner's ssh-agent)${tail}`;
        }
        return `password authentication is not supported: remove it and use a key (\`pulumi config set --secret edgeSshPrivateKey < ~/.ssh/id_ed25519\`, or the runner's ssh-agent)${tail}`;
    }
    return `secrets are not read from structured config: remove it; this stack reads secrets only from ${SECRET_CONFIG_KEYS.join(", ")}, each set with \`pulumi config set --secret <key>\`${tail}`;
}

// ---------------------------------------------------------------------------------------
// Generic readers (each records its own problems and returns undefined when invalid)

type Obj = Record<string, unknown>;
type Check = (s: string) => string | undefined;

/** Stands for a structured key whose JSON did not parse (already reported). */
const INVALID_JSON = Symbol("invalid JSON");

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
// Pulumi's --path syntax: `a.b` for plain names, `a["topology.kubernetes.io/zone"]` otherwise.
const child = (path: string, name: string): string => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `${path}.${name}` : `${path}[${JSON.stringify(name)}]`);
const item = (path: string, i: number): string => `${path}[${i}]`;

function asObject(p: Problems, path: string, v: unknown, fix: string): Obj | undefined {
    if (v === INVALID_JSON) {
        return undefined;
    }
    if (!isObj(v)) {
        p.invalid(path, v, `is not an object; ${fix}`);
        return undefined;
    }
    return v;
}

/** Reports keys of `obj` not in `known`; secret-looking ones get their own advice and no value. */
function checkKeys(p: Problems, path: string, obj: Obj, known: readonly string[], hints: Record<string, string> = {}): void {
    for (const name of Object.keys(obj)) {
        if (known.includes(name)) {
            continue;
        }
        const at = child(path, name);
        if (hints[name]) {
            p.add(at, hints[name]);
        } else if (SECRET_NAME_RE.test(name)) {
            p.add(at, `(value hidden) looks like a secret; ${misplacedSecretFix(path, name)}`);
        } else {
            p.add(at, unknownKeyMessage(name, known));
        }
    }
}

interface StrOpts {
    /** Fix text when the key is missing; absent = optional. */
    required?: string;
    check?: Check;
}

function strValue(p: Problems, path: string, v: unknown, opts: StrOpts): string | undefined {
    if (v === undefined || v === null) {
        if (opts.required) {
            p.add(path, `missing; ${opts.required}`);
        }
        return undefined;
    }
    // `pulumi config set --path` stores integer-looking values as numbers.
    if (typeof v === "number" && Number.isFinite(v)) {
        v = String(v);
    }
    if (typeof v !== "string") {
        p.invalid(path, v, "is not a string; write a plain string value");
        return undefined;
    }
    const leak = looksLikeSecretValue(v);
    if (leak) {
        p.add(path, `(value hidden) looks like ${leak} in plain config; ${LEAK_FIX}`);
        return undefined;
    }
    if (v.trim() === "") {
        p.invalid(path, v, `is empty; ${opts.required ?? "set a value or remove the key to use the default"}`);
        return undefined;
    }
    const problem = opts.check?.(v);
    if (problem) {
        p.invalid(path, v, problem);
        return undefined;
    }
    return v;
}

function str(p: Problems, obj: Obj, path: string, name: string, opts: StrOpts = {}): string | undefined {
    return strValue(p, child(path, name), obj[name], opts);
}

interface NumOpts {
    min: number;
    max: number;
    /** Unit for messages ("seconds", "GB"). */
    unit?: string;
    required?: string;
    /** Why the bounds exist, appended to the range message. */
    why?: string;
}

function num(p: Problems, obj: Obj, path: string, name: string, fallback: number | undefined, opts: NumOpts): number | undefined {
    const at = child(path, name);
    const raw = obj[name];
    if (raw === undefined || raw === null) {
        if (opts.required) {
            p.add(at, `missing; ${opts.required}`);
        }
        return fallback;
    }
    const n = typeof raw === "number" ? raw : typeof raw === "string" && /^-?[0-9]+$/.test(raw.trim()) ? Number(raw) : NaN;
    const unit = opts.unit ? ` ${opts.unit}` : "";
    if (!Number.isInteger(n)) {
        p.invalid(at, raw, `is not an integer; use a whole number between ${opts.min} and ${opts.max}${unit}`);
        return undefined;
    }
    if (n < opts.min || n > opts.max) {
        const side = n < opts.min ? `below ${opts.min}` : `above ${opts.max}`;
        p.invalid(at, raw, `is ${side}; use a whole number between ${opts.min} and ${opts.max}${unit}${opts.why ? ` (${opts.why})` : ""}`);
        return undefined;
    }
    return n;
}

function bool(p: Problems, obj: Obj, path: string, name: string, fallback: boolean): boolean | undefined {
    const raw = obj[name];
    if (raw === undefined || raw === null) {
        return fallback;
    }
    if (raw === true || raw === "true") {
        return true;
    }
    if (raw === false || raw === "false") {
        return false;
    }
    p.invalid(child(path, name), raw, "is not a boolean; use true or false");
    return undefined;
}

interface ListOpts {
    required?: string;
    /** Problem text when the list is empty; absent = empty allowed. */
    nonEmpty?: string;
    check?: Check;
    /** Reject repeated entries. */
    unique?: boolean;
}

/** A list of strings; undefined when the key is absent or any entry is invalid. */
function strList(p: Problems, obj: Obj, path: string, name: string, opts: ListOpts = {}): string[] | undefined {
    const at = child(path, name);
    const raw = obj[name];
    if (raw === undefined || raw === null) {
        if (opts.required) {
            p.add(at, `missing; ${opts.required}`);
        }
        return undefined;
    }
    if (!Array.isArray(raw)) {
        p.invalid(at, raw, "is not a list; write a YAML list of strings");
        return undefined;
    }
    if (raw.length === 0 && opts.nonEmpty) {
        p.add(at, `is empty; ${opts.nonEmpty}`);
        return undefined;
    }
    const out: string[] = [];
    let ok = true;
    raw.forEach((v, i) => {
        const s = strValue(p, item(at, i), v, { required: "remove the empty entry", check: opts.check });
        if (s === undefined) {
            ok = false;
        } else if (opts.unique && out.includes(s)) {
            p.invalid(item(at, i), s, "is listed twice; remove the duplicate");
            ok = false;
        } else {
            out.push(s);
        }
    });
    return ok ? out : undefined;
}

/** A string-to-string map (labels, taints, disk selector). */
function strMap(p: Problems, obj: Obj, path: string, name: string, checkKey: Check, checkValue: Check): Record<string, string> | undefined {
    const at = child(path, name);
    const raw = obj[name];
    if (raw === undefined || raw === null) {
        return {};
    }
    const m = asObject(p, at, raw, "write a YAML mapping of string keys to string values");
    if (!m) {
        return undefined;
    }
    const out: Record<string, string> = {};
    let ok = true;
    for (const [k, v] of Object.entries(m)) {
        const keyProblem = checkKey(k);
        if (keyProblem) {
            p.add(child(at, k), `key ${JSON.stringify(k)} ${keyProblem}`);
            ok = false;
            continue;
        }
        const text = v === null || v === undefined ? "" : typeof v === "boolean" ? String(v) : v;
        if (text === "") {
            // Empty values are legal for labels; checkValue decides elsewhere.
            const problem = checkValue("");
            if (problem) {
                p.invalid(child(at, k), "", problem);
                ok = false;
            } else {
                out[k] = "";
            }
            continue;
        }
        const s = strValue(p, child(at, k), text, { check: checkValue });
        if (s === undefined) {
            ok = false;
        } else {
            out[k] = s;
        }
    }
    return ok ? out : undefined;
}

function oneOf<T extends string>(allowed: readonly T[]): Check {
    return (s) => {
        if ((allowed as readonly string[]).includes(s)) {
            return undefined;
        }
        const guess = closest(s, allowed);
        return `is not one of ${allowed.map((a) => `"${a}"`).join(", ")}; ${guess ? `did you mean "${guess}"?` : "use one of them"}`;
    };
}

// ---------------------------------------------------------------------------------------
// Value checks: each returns "problem; fix" or undefined

const dnsLabel =
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

const ipv4Cidr = (opts: { minPrefix?: number; maxPrefix?: number; why?: string } = {}): Check => (s) => {
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

const anyCidr: Check = (s) => {
    const c = parseCidr(s);
    if (!c) {
        return "is not a valid CIDR; use a.b.c.d/n (n <= 32) or an IPv6 prefix such as 2001:db8::/32; a single address is a.b.c.d/32";
    }
    return hasHostBits(c) ? `has host bits set; use the network address "${formatCidr(c)}"` : undefined;
};

const ipv4: Check = (s) => (parseIPv4(s) === undefined ? "is not a valid IPv4 address; use a.b.c.d" : undefined);

const hostOrIp: Check = (s) =>
    parseIp(s) || isHostname(s) ? undefined : "is neither an IP address nor a valid host name; use e.g. \"192.0.2.10\" or \"kvm-host.example.internal\"";

const sanName: Check = (s) =>
    parseIp(s) || isHostname(s.startsWith("*.") ? s.slice(2) : s)
        ? undefined
        : "is neither an IP address nor a valid DNS name; use e.g. \"k8s.example.com\" or \"203.0.113.10\"";

const VERSION_RE = /^v([0-9]+)\.([0-9]+)\.([0-9]+)(-[0-9A-Za-z.-]+)?$/;

const version =
    (what: string, example: string): Check =>
    (s) => {
        if (VERSION_RE.test(s)) {
            return undefined;
        }
        const hint = VERSION_RE.test(`v${s}`) ? ` (did you mean "v${s}"?)` : "";
        return `is not a valid ${what} version; use the "${example}" form${hint}`;
    };

const GO_DURATION_RE = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;
const goDuration: Check = (s) =>
    GO_DURATION_RE.test(s) && /[1-9]/.test(s) ? undefined : 'is not a positive Go duration; use e.g. "10m", "1h30m" or "90s"';

// GCE machine types: family-kind-size ("e2-standard-4", "n2-highmem-8", "e2-micro", "n2-custom-4-16384").
const machineType: Check = (s) =>
    /^[a-z][a-z0-9]*(-[a-z0-9]+)+$/.test(s) ? undefined : 'is not a GCE machine type; use e.g. "e2-standard-4" (see `gcloud compute machine-types list`)';

const region: Check = (s) =>
    /^[a-z]+(-[a-z]+)+[0-9]+$/.test(s) ? undefined : 'is not a GCP region; use e.g. "europe-west4" (see `gcloud compute regions list`)';

const projectId: Check = (s) =>
    /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(s)
        ? undefined
        : "is not a GCP project id; use the 6-30 character id (lower-case letters, digits, hyphens), not the project name or number";

// Tailscale tag names: "tag:" then letters, digits and hyphens, starting with a letter.
const tailscaleTag: Check = (s) =>
    /^tag:[A-Za-z][A-Za-z0-9-]*$/.test(s)
        ? undefined
        : `is not a Tailscale tag; use "tag:<name>" with letters, digits and hyphens${/^[A-Za-z][A-Za-z0-9-]*$/.test(s) ? ` (did you mean "tag:${s}"?)` : ""}`;

const extensionName: Check = (s) =>
    /^[a-z0-9-]+\/[a-z0-9][a-z0-9._-]*$/.test(s) ? undefined : 'is not an official extension name; use "<owner>/<name>", e.g. "siderolabs/tailscale"';

const httpUrl =
    (httpsOnly: boolean): Check =>
    (s) => {
        let u: URL;
        try {
            u = new URL(s);
        } catch {
            return `is not a URL; use e.g. "${httpsOnly ? "https://headscale.example.com" : DEFAULTS.factoryUrl}"`;
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
const ifName: Check = (s) =>
    /^[A-Za-z0-9_.-]{1,15}$/.test(s) && s !== "." && s !== ".."
        ? undefined
        : "is not a Linux interface name; use at most 15 letters, digits, '-', '_' or '.'";

const posixUser: Check = (s) => (/^[a-z_][a-z0-9_-]{0,31}$/.test(s) ? undefined : 'is not a valid user name; use e.g. "root"');

const SSH_KEY_TYPES = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"];
const sshHostKey: Check = (s) => {
    const [type, blob] = s.trim().split(/\s+/);
    if (SSH_KEY_TYPES.includes(type) && blob && blob.length >= 4) {
        return undefined;
    }
    return `is not an SSH public host key; use "<type> <base64>" (${SSH_KEY_TYPES[0]}, ecdsa-sha2-*, ssh-rsa), e.g. the output of \`ssh-keyscan -t ed25519 <host>\` without the leading host name`;
};

const libvirtUri: Check = (s) =>
    /^qemu(\+[a-z0-9]+)?:\/\/\S*\/(system|session)(\?\S*)?$/.test(s)
        ? undefined
        : 'is not a libvirt QEMU URI; use e.g. "qemu+ssh://root@kvm-host.example.internal:22/system?sshauth=agent,privkey"';

const lvmName: Check = (s) =>
    /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$/.test(s) && s !== "." && s !== ".." ? undefined : "is not a valid LVM volume group name; use letters, digits, '+', '_', '.', '-'";

const poolName: Check = (s) => (/^[A-Za-z0-9_.+-]+$/.test(s) ? undefined : "is not a valid libvirt pool name; use letters, digits, '_', '.', '+', '-'");

// dnsmasq lease times: "infinite" or a number with an optional s/m/h/d/w unit; dnsmasq's minimum is 2 minutes.
const leaseTime: Check = (s) => {
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

const noWhitespace =
    (what: string): Check =>
    (s) =>
        /\s/.test(s) ? `contains whitespace; give each ${what} as its own list entry` : undefined;

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const uuid: Check = (s) => (UUID_RE.test(s) ? undefined : 'is not an SMBIOS UUID; use the 8-4-4-4-12 hex form from `dmidecode -s system-uuid`');

const serial: Check = (s) => (/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(s) && s.length <= 64 ? undefined : "is not a printable serial of at most 64 characters; use the value of `dmidecode -s system-serial-number`");

const installDisk: Check = (s) => (/^\/dev\/[A-Za-z0-9/_.:-]+$/.test(s) ? undefined : 'is not a device path; use e.g. "/dev/vda" or "/dev/disk/by-id/..."');

// Kubernetes qualified names (label and taint keys): optional DNS-subdomain prefix and a name of <= 63 characters.
const QUALIFIED_NAME_RE = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE_RE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const qualifiedName: Check = (s) =>
    QUALIFIED_NAME_RE.test(s) ? undefined : 'is not a valid Kubernetes key; use "[prefix/]name", name <= 63 letters, digits, "-", "_", "."';
const labelValue: Check = (s) =>
    LABEL_VALUE_RE.test(s) ? undefined : 'is not a Kubernetes label value; use <= 63 letters, digits, "-", "_", ".", starting and ending alphanumeric';
const taintValue: Check = (s) => {
    const m = /^(.*):(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(s);
    return m && LABEL_VALUE_RE.test(m[1]) ? undefined : 'is not a Talos taint; use "<value>:<Effect>" with Effect NoSchedule, PreferNoSchedule or NoExecute, e.g. "edge:NoSchedule"';
};

const DISK_SELECTOR_KEYS = ["size", "model", "serial", "type", "busPath", "wwid"];

// ---------------------------------------------------------------------------------------
// Sections

interface Secrets {
    tailscaleOauthClientSecret?: string;
    tailscaleApiKey?: string;
    headscaleApiKey?: string;
    edgeSshPrivateKey?: string;
}

function readSecrets(p: Problems, ours: Map<string, string>, secretKeys: ReadonlySet<string>): Secrets {
    const out: Secrets = {};
    for (const name of SECRET_CONFIG_KEYS) {
        const value = ours.get(name);
        if (value === undefined) {
            continue;
        }
        const full = key(name);
        p.redact(full);
        if (!secretKeys.has(full)) {
            p.add(
                full,
                `(value hidden) is stored in plain text; run ${secretCmd(name)} (it replaces the plain value) and rotate the credential, since it has been in plain text`,
            );
        } else if (value.trim() === "") {
            p.add(full, `is empty; run ${secretCmd(name)}`);
            continue;
        }
        out[name] = value;
    }
    return out;
}

function parseCluster(p: Problems, raw: unknown): ClusterConfig | undefined {
    const path = key("cluster");
    if (raw === undefined) {
        p.add(path, `missing; add a "${path}" mapping with at least name and talosVersion to Pulumi.<stack>.yaml`);
        return undefined;
    }
    const o = asObject(p, path, raw, "write it as a YAML mapping with name, talosVersion, ...");
    if (!o) {
        return undefined;
    }
    checkKeys(p, path, o, ["name", "talosVersion", "kubernetesVersion", "podCidr", "serviceCidr", "certSans", "healthTimeout"]);
    const name = str(p, o, path, "name", {
        required: `set the cluster name with ${setCmd("cluster.name", "setup02-cluster")} (a DNS label of at most 40 characters)`,
        check: dnsLabel(40),
    });
    const talosVersion = str(p, o, path, "talosVersion", {
        required: `set it with ${setCmd("cluster.talosVersion", "v1.12.4")}`,
        check: (s) => {
            const bad = version("Talos", "v1.12.4")(s);
            if (bad) {
                return bad;
            }
            const [, major, minor] = VERSION_RE.exec(s)!.map(Number);
            if (major < MIN_TALOS.major || (major === MIN_TALOS.major && minor < MIN_TALOS.minor)) {
                return `is older than v${MIN_TALOS.major}.${MIN_TALOS.minor}.0; this stack needs Talos >= v${MIN_TALOS.major}.${MIN_TALOS.minor} (node names are set with HostnameConfig documents), e.g. "v1.12.4"`;
            }
            return undefined;
        },
    });
    const kubernetesVersion = str(p, o, path, "kubernetesVersion", { check: version("Kubernetes", "v1.35.0") });
    const podCidr =
        o.podCidr === undefined
            ? DEFAULTS.podCidr
            : str(p, o, path, "podCidr", { check: ipv4Cidr({ maxPrefix: 24, why: "each node takes a /24 from it" }) });
    const serviceCidr =
        o.serviceCidr === undefined
            ? DEFAULTS.serviceCidr
            : str(p, o, path, "serviceCidr", {
                  check: ipv4Cidr({ minPrefix: 12, maxPrefix: 28, why: "kube-apiserver rejects IPv4 service ranges larger than /12" }),
              });
    const certSans = o.certSans === undefined ? [] : strList(p, o, path, "certSans", { check: sanName, unique: true });
    const healthTimeout = o.healthTimeout === undefined ? DEFAULTS.healthTimeout : str(p, o, path, "healthTimeout", { check: goDuration });
    if (!name || !talosVersion || !podCidr || !serviceCidr || !certSans || !healthTimeout) {
        return undefined;
    }
    const [, major, minor] = VERSION_RE.exec(talosVersion)!;
    return { name, talosVersion, talosContract: `v${major}.${minor}`, kubernetesVersion, podCidr, serviceCidr, certSans, healthTimeout };
}

function parseGcp(p: Problems, raw: unknown, projectRaw: string | undefined): GcpConfig | undefined {
    const path = key("gcp");
    const project = strValue(p, "gcp:project", projectRaw, {
        required: "set the GCP project id with `pulumi config set gcp:project <id>`",
        check: projectId,
    });
    if (raw === undefined) {
        p.add(path, `missing; add a "${path}" mapping with at least region and subnetCidr to Pulumi.<stack>.yaml`);
        return undefined;
    }
    const o = asObject(p, path, raw, "write it as a YAML mapping with region, subnetCidr, ...");
    if (!o) {
        return undefined;
    }
    checkKeys(p, path, o, ["region", "zone", "subnetCidr", "adminCidrs", "allowWorldAdmin"], {
        project: "the project is not read from here; remove it and run `pulumi config set gcp:project <id>`",
    });
    const reg = str(p, o, path, "region", { required: `set it with ${setCmd("gcp.region", "europe-west4")}`, check: region });
    const zone =
        o.zone === undefined
            ? reg && `${reg}-a`
            : str(p, o, path, "zone", {
                  check: (s) =>
                      !/^[a-z]+(-[a-z]+)+[0-9]+-[a-z]$/.test(s)
                          ? 'is not a GCP zone; use e.g. "europe-west4-a"'
                          : reg && !s.startsWith(`${reg}-`)
                            ? `is not in region "${reg}"; use a zone of that region, e.g. "${reg}-a"`
                            : undefined,
              });
    const subnetCidr = str(p, o, path, "subnetCidr", {
        required: `set the VPC subnet with ${setCmd("gcp.subnetCidr", "10.1.0.0/24")}`,
        check: ipv4Cidr({ minPrefix: 8, maxPrefix: 29, why: "GCE subnet ranges are /8 to /29" }),
    });
    const adminCidrs = o.adminCidrs === undefined ? [] : strList(p, o, path, "adminCidrs", { check: anyCidr, unique: true });
    const allowWorldAdmin = bool(p, o, path, "allowWorldAdmin", false);
    if (adminCidrs && allowWorldAdmin === false) {
        adminCidrs.forEach((c, i) => {
            if (parseCidr(c)?.prefix === 0) {
                p.invalid(
                    item(child(path, "adminCidrs"), i),
                    c,
                    `opens the Talos API (50000) and Kubernetes API (6443) to the whole internet; list your own ranges (e.g. "203.0.113.0/24"), or set allowWorldAdmin: true in ${key("gcp")} to accept that explicitly`,
                );
            }
        });
    }
    if (!project || !reg || !zone || !subnetCidr || !adminCidrs || allowWorldAdmin === undefined) {
        return undefined;
    }
    return { project, region: reg, zone, subnetCidr, adminCidrs, allowWorldAdmin };
}

/** A parsed list entry with its config path (for messages in cross-checks). */
interface Located<T> {
    path: string;
    value: T;
}

/** Parsed entries of a list; `complete` is false when any entry (or the list itself) was invalid. */
interface Parsed<T> {
    items: Located<T>[];
    complete: boolean;
}

function parseNodes(p: Problems, raw: unknown, clusterName: string | undefined): Parsed<CloudNodeConfig> {
    const path = key("nodes");
    const example = "a list of {name, role, machineType}, e.g. [{name: master-1, role: controlplane, machineType: e2-standard-4}]";
    if (raw === undefined) {
        p.add(path, `missing; add "${path}" to Pulumi.<stack>.yaml as ${example}`);
        return { items: [], complete: false };
    }
    if (raw === INVALID_JSON) {
        return { items: [], complete: false };
    }
    if (!Array.isArray(raw)) {
        p.invalid(path, raw, `is not a list; write it as ${example}`);
        return { items: [], complete: false };
    }
    if (raw.length === 0) {
        p.add(path, `is empty; the cluster needs at least one cloud control plane node: ${example}`);
        return { items: [], complete: false };
    }
    const items: Located<CloudNodeConfig>[] = [];
    let complete = true;
    raw.forEach((entry, i) => {
        const at = item(path, i);
        const o = asObject(p, at, entry, "write each node as {name, role, machineType, diskSizeGb?}");
        if (!o) {
            complete = false;
            return;
        }
        checkKeys(p, at, o, ["name", "role", "machineType", "diskSizeGb"]);
        const name = str(p, o, at, "name", {
            required: 'name the node (a DNS label, e.g. "master-1")',
            check: (s) => {
                const bad = dnsLabel()(s);
                if (bad) {
                    return bad;
                }
                // GCE instance names (`${cluster}-${node}`) are limited to 63 characters.
                if (clusterName && clusterName.length + 1 + s.length > 63) {
                    return `makes the instance name "${clusterName}-${s}" longer than 63 characters; shorten the node or cluster name`;
                }
                return undefined;
            },
        });
        const role = str(p, o, at, "role", { required: 'set role: "controlplane" or "worker"', check: oneOf<NodeRole>(["controlplane", "worker"]) }) as
            | NodeRole
            | undefined;
        const mt = str(p, o, at, "machineType", { required: 'set the GCE machine type, e.g. "e2-standard-4"', check: machineType });
        const diskSizeGb = num(p, o, at, "diskSizeGb", DEFAULTS.diskSizeGb, { min: 10, max: 65536, unit: "GB", why: "a Talos system disk needs at least 10 GiB" });
        if (!name || !role || !mt || diskSizeGb === undefined) {
            complete = false;
            return;
        }
        items.push({ path: at, value: { name, role, machineType: mt, diskSizeGb } });
    });
    return { items, complete };
}

function parseImages(p: Problems, raw: unknown): ImagesConfig | undefined {
    const path = key("images");
    const o = raw === undefined ? {} : asObject(p, path, raw, "write it as a YAML mapping with cloudExtensions, edgeExtensions, factoryUrl");
    if (!o) {
        return undefined;
    }
    checkKeys(p, path, o, ["cloudExtensions", "edgeExtensions", "factoryUrl", "ipxeEfi", "ipxeBios"]);
    const extensions = (name: "cloudExtensions" | "edgeExtensions", fallback: string[]): string[] | undefined => {
        if (o[name] === undefined) {
            return [...fallback];
        }
        const list = strList(p, o, path, name, { check: extensionName, unique: true });
        if (list && !list.includes("siderolabs/tailscale")) {
            p.invalid(child(path, name), list, 'does not include "siderolabs/tailscale"; nodes join the cluster over the tailnet, so add it');
            return undefined;
        }
        return list;
    };
    const cloudExtensions = extensions("cloudExtensions", DEFAULTS.cloudExtensions);
    const edgeExtensions = extensions("edgeExtensions", DEFAULTS.edgeExtensions);
    const factoryUrl = o.factoryUrl === undefined ? DEFAULTS.factoryUrl : str(p, o, path, "factoryUrl", { check: httpUrl(false) });
    const ipxe = parseIpxeBuild(p, path, o);
    if (!cloudExtensions || !edgeExtensions || !factoryUrl || ipxe === null) {
        return undefined;
    }
    return { cloudExtensions, edgeExtensions, factoryUrl: factoryUrl.replace(/\/+$/, ""), ...(ipxe ? { ipxe } : {}) };
}

/** `images.ipxeEfi` + `images.ipxeBios`: both or neither; files that exist on the runner. null = invalid. */
function parseIpxeBuild(p: Problems, path: string, o: Record<string, unknown>): { efi: string; bios: string } | undefined | null {
    if (o.ipxeEfi === undefined && o.ipxeBios === undefined) {
        return undefined;
    }
    let ok = true;
    const files: Record<string, string> = {};
    for (const name of ["ipxeEfi", "ipxeBios"] as const) {
        const v = o[name];
        if (typeof v !== "string" || v === "") {
            p.add(child(path, name), `is required with ${name === "ipxeEfi" ? "ipxeBios" : "ipxeEfi"}: the path of the custom iPXE build's ${name === "ipxeEfi" ? "bin-x86_64-efi/ipxe.efi" : "bin/undionly.kpxe"} (infra/ipxe/build.sh)`);
            ok = false;
        } else if (!fs.existsSync(v)) {
            p.invalid(child(path, name), v, "does not exist on this machine; build it with infra/ipxe/build.sh --out <dir> and point here");
            ok = false;
        } else {
            files[name] = v;
        }
    }
    return ok ? { efi: files.ipxeEfi, bios: files.ipxeBios } : null;
}

function parseTailnet(p: Problems, raw: unknown, secrets: Secrets, values: Record<string, string>): TailnetConfig | undefined {
    const path = key("tailnet");
    if (raw === undefined) {
        p.add(path, `missing; add a "${path}" mapping with cloudTags, edgeTags and oauthClientId to Pulumi.<stack>.yaml`);
        return undefined;
    }
    const o = asObject(p, path, raw, "write it as a YAML mapping with cloudTags, edgeTags, oauthClientId, ...");
    if (!o) {
        return undefined;
    }
    checkKeys(p, path, o, ["tailnet", "cloudTags", "edgeTags", "keyExpirySeconds", "oauthClientId"]);
    const tailnet =
        o.tailnet === undefined
            ? DEFAULTS.tailnet
            : str(p, o, path, "tailnet", {
                  check: (s) => (/^[^\s/]+$/.test(s) ? undefined : 'is not a tailnet name; use "-" (the credentials\' tailnet) or the name shown in the admin console'),
              });
    const tags = (name: "cloudTags" | "edgeTags", example: string) =>
        strList(p, o, path, name, {
            required: `set the tags with ${setCmd(`tailnet.${name}[0]`, example)}; keys minted by an OAuth client must carry tags`,
            nonEmpty: `list at least one tag, e.g. ["${example}"]`,
            check: tailscaleTag,
            unique: true,
        });
    const cloudTags = tags("cloudTags", "tag:talos-cloud");
    const edgeTags = tags("edgeTags", "tag:talos-edge");
    const keyExpirySeconds = num(p, o, path, "keyExpirySeconds", DEFAULTS.keyExpirySeconds, { min: 60, max: 86400, unit: "seconds" });
    const clientId = str(p, o, path, "oauthClientId", { check: (s) => (/\s/.test(s) ? "contains whitespace; paste the OAuth client id only" : undefined) });

    let auth: TailscaleAuth | undefined;
    const oauthSecret = secrets.tailscaleOauthClientSecret;
    const apiKey = secrets.tailscaleApiKey;
    const clientIdGiven = o.oauthClientId !== undefined;
    if (apiKey !== undefined && (clientIdGiven || oauthSecret !== undefined)) {
        p.add(
            key("tailscaleApiKey"),
            "(value hidden) is set together with an OAuth client; use one: remove the API key with `pulumi config rm tailscaleApiKey` (the OAuth client is preferred) or remove tailnet.oauthClientId and tailscaleOauthClientSecret",
        );
    } else if (clientIdGiven && oauthSecret === undefined) {
        p.add(key("tailscaleOauthClientSecret"), `missing; tailnet.oauthClientId is set, so run ${secretCmd("tailscaleOauthClientSecret")}`);
    } else if (!clientIdGiven && oauthSecret !== undefined) {
        p.add(child(path, "oauthClientId"), `missing; tailscaleOauthClientSecret is set, so set the OAuth client's id with ${setCmd("tailnet.oauthClientId", "<client-id>")}`);
    } else if (clientId && oauthSecret !== undefined) {
        auth = { kind: "oauth", clientId, clientSecret: pulumi.secret(oauthSecret) };
    } else if (apiKey !== undefined) {
        auth = { kind: "apiKey", apiKey: pulumi.secret(apiKey) };
    } else if (!clientIdGiven) {
        const providerKeys = ["tailscale:apiKey", "tailscale:oauthClientId", "tailscale:oauthClientSecret"].filter((k) => k in values);
        const note = providerKeys.length > 0 ? ` (${providerKeys.join(", ")} ${providerKeys.length === 1 ? "is" : "are"} provider config this stack does not read)` : "";
        p.add(
            path,
            `no Tailscale API credentials; set tailnet.oauthClientId and run ${secretCmd("tailscaleOauthClientSecret")} (preferred), or run ${secretCmd("tailscaleApiKey")}${note}`,
        );
    }
    if (!tailnet || !cloudTags || !edgeTags || keyExpirySeconds === undefined || !auth) {
        return undefined;
    }
    return { tailnet, auth, cloudTags, edgeTags, keyExpirySeconds };
}

function parseKeyBackend(p: Problems, raw: unknown, path: string, auth: TailscaleAuth | undefined, secrets: Secrets): KeyBackendConfig | undefined {
    const hasOauth = auth?.kind === "oauth";
    const hsKey = key("headscaleApiKey");
    if (raw === undefined) {
        if (secrets.headscaleApiKey !== undefined) {
            p.add(hsKey, `(value hidden) is set but ${path}.kind is not "headscale"; set ${setCmd("bootService.keyBackend.kind", "headscale")} or remove it with \`pulumi config rm headscaleApiKey\``);
        }
        return hasOauth || auth === undefined ? { kind: "tailscale" } : { kind: "static" };
    }
    const o = asObject(p, path, raw, 'write it as {kind: "tailscale" | "headscale" | "static", url?, user?}');
    if (!o) {
        return undefined;
    }
    checkKeys(p, path, o, ["kind", "url", "user"]);
    const kind = str(p, o, path, "kind", {
        required: 'set kind: "tailscale", "headscale" or "static"',
        check: oneOf(["tailscale", "headscale", "static"] as const),
    });
    if (kind === undefined) {
        return undefined;
    }
    if (kind !== "headscale") {
        for (const name of ["url", "user"]) {
            if (o[name] !== undefined) {
                p.invalid(child(path, name), o[name], `only applies to kind "headscale"; remove it`);
            }
        }
        if (secrets.headscaleApiKey !== undefined) {
            p.add(hsKey, `(value hidden) is set but ${path}.kind is "${kind}"; remove it with \`pulumi config rm headscaleApiKey\``);
        }
    }
    if (kind === "tailscale") {
        if (!hasOauth && auth !== undefined) {
            p.invalid(
                child(path, "kind"),
                kind,
                `needs a Tailscale OAuth client (an API key cannot reliably mint tagged keys on behalf of the tailnet); set tailnet.oauthClientId and run ${secretCmd("tailscaleOauthClientSecret")}, or choose "static"`,
            );
            return undefined;
        }
        return { kind };
    }
    if (kind === "static") {
        return { kind };
    }
    const url = str(p, o, path, "url", { required: `set the Headscale server URL with ${setCmd("bootService.keyBackend.url", "https://headscale.example.com")}`, check: httpUrl(true) });
    const user = str(p, o, path, "user");
    if (secrets.headscaleApiKey === undefined) {
        p.add(hsKey, `missing; ${path}.kind is "headscale", so run ${secretCmd("headscaleApiKey")} (create one with \`headscale apikeys create\`)`);
        return undefined;
    }
    if (!url) {
        return undefined;
    }
    const backend: Extract<KeyBackendConfig, { kind: "headscale" }> = {
        kind: "headscale",
        url: url.replace(/\/+$/, ""),
        apiKey: pulumi.secret(secrets.headscaleApiKey),
    };
    if (user !== undefined) {
        backend.user = user;
    }
    return backend;
}

function parseBootService(p: Problems, raw: unknown, gcpRegion: string | undefined, auth: TailscaleAuth | undefined, secrets: Secrets): BootServiceConfig | undefined {
    const path = key("bootService");
    const o = raw === undefined ? {} : asObject(p, path, raw, "write it as a YAML mapping (region, minInstances, maxInstances, ...)");
    if (!o) {
        return undefined;
    }
    checkKeys(p, path, o, ["region", "minInstances", "maxInstances", "ticketTtlSeconds", "edgeKeyExpirySeconds", "keyBackend", "rateLimitPerMinute", "consoleArgs"]);
    const reg = o.region === undefined ? gcpRegion : str(p, o, path, "region", { check: region });
    const minInstances = num(p, o, path, "minInstances", DEFAULTS.minInstances, { min: 0, max: 100 });
    const maxInstances = num(p, o, path, "maxInstances", DEFAULTS.maxInstances, { min: 1, max: 100 });
    if (minInstances !== undefined && maxInstances !== undefined && maxInstances < minInstances) {
        p.invalid(child(path, "maxInstances"), maxInstances, `is less than minInstances (${minInstances}); raise maxInstances or lower minInstances`);
    }
    const ticketTtlSeconds = num(p, o, path, "ticketTtlSeconds", DEFAULTS.ticketTtlSeconds, { min: 60, max: 3600, unit: "seconds" });
    const edgeKeyExpirySeconds = num(p, o, path, "edgeKeyExpirySeconds", DEFAULTS.edgeKeyExpirySeconds, {
        min: 60,
        max: 3600,
        unit: "seconds",
        why: "per-boot edge keys are short-lived so a leaked boot config stops working within the hour",
    });
    const keyBackend = parseKeyBackend(p, o.keyBackend, child(path, "keyBackend"), auth, secrets);
    const rateLimitPerMinute = num(p, o, path, "rateLimitPerMinute", DEFAULTS.rateLimitPerMinute, { min: 1, max: 100000, unit: "requests per minute" });
    const consoleArgs = o.consoleArgs === undefined ? [...DEFAULTS.consoleArgs] : strList(p, o, path, "consoleArgs", { check: noWhitespace("kernel argument") });
    if (
        !reg ||
        minInstances === undefined ||
        maxInstances === undefined ||
        maxInstances < minInstances ||
        ticketTtlSeconds === undefined ||
        edgeKeyExpirySeconds === undefined ||
        !keyBackend ||
        rateLimitPerMinute === undefined ||
        !consoleArgs
    ) {
        return undefined;
    }
    return { region: reg, minInstances, maxInstances, ticketTtlSeconds, edgeKeyExpirySeconds, keyBackend, rateLimitPerMinute, consoleArgs };
}

function parseHost(p: Problems, raw: unknown, path: string, privateKey: string | undefined): EdgeHostConfig | undefined {
    if (raw === undefined) {
        p.add(path, "missing; describe the KVM host: {address, hostKey, uplinkInterface, port?, user?, libvirtUri?}");
        return undefined;
    }
    const o = asObject(p, path, raw, "write it as {address, hostKey, uplinkInterface, port?, user?, libvirtUri?}");
    if (!o) {
        return undefined;
    }
    checkKeys(p, path, o, ["address", "port", "user", "hostKey", "uplinkInterface", "libvirtUri"]);
    const address = str(p, o, path, "address", { required: "set the host's SSH address (IP or DNS name)", check: hostOrIp });
    const port = num(p, o, path, "port", DEFAULTS.sshPort, { min: 1, max: 65535 });
    const user = o.user === undefined ? DEFAULTS.sshUser : str(p, o, path, "user", { check: posixUser });
    const hostKey = str(p, o, path, "hostKey", {
        required: "pin the host's SSH public host key (no trust on first use): the output of `ssh-keyscan -t ed25519 <host>` without the host name",
        check: sshHostKey,
    });
    const uplinkInterface = str(p, o, path, "uplinkInterface", { required: 'name the interface edge traffic is NATed out of, e.g. "eno1"', check: ifName });
    const uri = str(p, o, path, "libvirtUri", { check: libvirtUri });
    if (!address || port === undefined || !user || !hostKey || !uplinkInterface || (o.libvirtUri !== undefined && !uri)) {
        return undefined;
    }
    const uriHost = parseIp(address)?.version === 6 ? `[${address}]` : address;
    const host: EdgeHostConfig = {
        address,
        port,
        user,
        hostKey: hostKey.trim(),
        uplinkInterface,
        libvirtUri: uri ?? `qemu+ssh://${user}@${uriHost}:${port}/system?sshauth=agent,privkey`,
    };
    if (privateKey !== undefined) {
        host.privateKey = pulumi.secret(privateKey);
    }
    return host;
}

function parseBridge(p: Problems, raw: unknown, path: string): EdgeBridgeConfig | undefined {
    if (raw === undefined) {
        p.add(path, 'missing; describe the site bridge: {name, gatewayCidr, mtu?}, e.g. {name: setup02-edge, gatewayCidr: "10.0.20.1/24"}');
        return undefined;
    }
    const o = asObject(p, path, raw, "write it as {name, gatewayCidr, mtu?}");
    if (!o) {
        return undefined;
    }
    checkKeys(p, path, o, ["name", "gatewayCidr", "mtu"]);
    const name = str(p, o, path, "name", {
        required: 'name the Open vSwitch bridge (at most 15 characters), e.g. "setup02-edge"',
        check: (s) => (s.length > 15 ? "is longer than 15 characters (the Linux interface name limit); use a shorter bridge name" : ifName(s)),
    });
    let gw: Cidr | undefined;
    const gatewayCidr = str(p, o, path, "gatewayCidr", {
        required: 'set the gateway address with the site prefix, e.g. "10.0.20.1/24"',
        check: (s) => {
            const c = parseCidr(s);
            if (!c || c.version !== 4) {
                return 'is not an IPv4 address with prefix; use the gateway address and the site prefix, e.g. "10.0.20.1/24"';
            }
            if (c.prefix < 8 || c.prefix > 29) {
                return `has prefix /${c.prefix}; use a prefix between /8 and /29 so the subnet holds the gateway, the DHCP server and the machines`;
            }
            if (c.address === c.network || c.address === c.last) {
                return `is the subnet's ${c.address === c.network ? "network" : "broadcast"} address, not a gateway; use a host address such as "${formatIPv4(c.network + 1n)}/${c.prefix}"`;
            }
            gw = c;
            return undefined;
        },
    });
    const mtu = num(p, o, path, "mtu", DEFAULTS.mtu, { min: 1280, max: 9000, unit: "bytes" });
    if (!name || !gatewayCidr || !gw || mtu === undefined) {
        return undefined;
    }
    return { name, gatewayCidr, subnetCidr: formatCidr(gw), gateway: formatIPv4(gw.address), prefixLength: gw.prefix, mtu };
}

function parseDhcp(p: Problems, raw: unknown, path: string): EdgeDhcpConfig | undefined {
    if (raw === undefined) {
        p.add(path, 'missing; describe DHCP: {serverAddress, rangeStart, rangeEnd, leaseTime?, dnsServers?}, e.g. {serverAddress: 10.0.20.2, rangeStart: 10.0.20.10, rangeEnd: 10.0.20.200}');
        return undefined;
    }
    const o = asObject(p, path, raw, "write it as {serverAddress, rangeStart, rangeEnd, leaseTime?, dnsServers?}");
    if (!o) {
        return undefined;
    }
    checkKeys(p, path, o, ["serverAddress", "rangeStart", "rangeEnd", "leaseTime", "dnsServers"]);
    const serverAddress = str(p, o, path, "serverAddress", { required: 'set the address dnsmasq serves from, e.g. "10.0.20.2"', check: ipv4 });
    const rangeStart = str(p, o, path, "rangeStart", { required: 'set the first dynamic address, e.g. "10.0.20.10"', check: ipv4 });
    const rangeEnd = str(p, o, path, "rangeEnd", { required: 'set the last dynamic address, e.g. "10.0.20.200"', check: ipv4 });
    const lease = o.leaseTime === undefined ? DEFAULTS.leaseTime : str(p, o, path, "leaseTime", { check: leaseTime });
    const dnsServers = o.dnsServers === undefined ? [...DEFAULTS.dnsServers] : strList(p, o, path, "dnsServers", { check: ipv4, unique: true });
    if (!serverAddress || !rangeStart || !rangeEnd || !lease || !dnsServers) {
        return undefined;
    }
    return { serverAddress, rangeStart, rangeEnd, leaseTime: lease, dnsServers };
}

function parseStorage(p: Problems, raw: unknown, path: string): EdgeStorageConfig | undefined {
    if (raw === undefined) {
        return { kind: "pool", pool: DEFAULTS.storagePool };
    }
    const o = asObject(p, path, raw, 'write it as {kind: lvm, volumeGroup: <vg>} or {kind: pool, pool: <name>}');
    if (!o) {
        return undefined;
    }
    const kind = str(p, o, path, "kind", { required: 'set kind: "lvm" or "pool"', check: oneOf(["lvm", "pool"] as const) });
    if (kind === "lvm") {
        checkKeys(p, path, o, ["kind", "volumeGroup"]);
        const volumeGroup = str(p, o, path, "volumeGroup", { required: 'name the existing LVM volume group, e.g. "vg-talos-setup02"', check: lvmName });
        return volumeGroup ? { kind, volumeGroup } : undefined;
    }
    if (kind === "pool") {
        checkKeys(p, path, o, ["kind", "pool"]);
        const pool = o.pool === undefined ? DEFAULTS.storagePool : str(p, o, path, "pool", { check: poolName });
        return pool ? { kind, pool } : undefined;
    }
    checkKeys(p, path, o, ["kind", "volumeGroup", "pool"]);
    return undefined;
}

function parseVm(p: Problems, raw: unknown, path: string): EdgeVmConfig | undefined {
    const o = asObject(p, path, raw, "write it as {vcpu?, memoryMiB?, diskSizeGb?, firmware?} ({} for all defaults)");
    if (!o) {
        return undefined;
    }
    checkKeys(p, path, o, ["vcpu", "memoryMiB", "diskSizeGb", "firmware"]);
    const vcpu = num(p, o, path, "vcpu", DEFAULTS.vm.vcpu, { min: 1, max: 256 });
    const memoryMiB = num(p, o, path, "memoryMiB", DEFAULTS.vm.memoryMiB, { min: 1024, max: 4194304, unit: "MiB", why: "a Talos worker needs at least 1 GiB" });
    const diskSizeGb = num(p, o, path, "diskSizeGb", DEFAULTS.vm.diskSizeGb, { min: 10, max: 65536, unit: "GB", why: "a Talos system disk needs at least 10 GiB" });
    const firmware = o.firmware === undefined ? DEFAULTS.vm.firmware : (str(p, o, path, "firmware", { check: oneOf(["uefi", "bios"] as const) }) as "uefi" | "bios" | undefined);
    if (vcpu === undefined || memoryMiB === undefined || diskSizeGb === undefined || !firmware) {
        return undefined;
    }
    return { vcpu, memoryMiB, diskSizeGb, firmware };
}

function parseMachine(p: Problems, raw: unknown, path: string, siteName: string | undefined): EdgeMachineConfig | undefined {
    const o = asObject(p, path, raw, "write each machine as {name, mac, ip, installDisk | diskSelector, vm?, ...}");
    if (!o) {
        return undefined;
    }
    checkKeys(p, path, o, ["name", "mac", "ip", "uuid", "serial", "arch", "installDisk", "diskSelector", "labels", "taints", "enrollment", "vm"], {
        hostname: 'the hostname is the machine name; rename the key to "name"',
    });
    const name = str(p, o, path, "name", { required: 'name the machine (its hostname and Kubernetes node name, a DNS label), e.g. "talos-edge-1"', check: dnsLabel() });
    const macRaw = str(p, o, path, "mac", {
        required: 'set the MAC address of the machine\'s boot NIC, e.g. "52:54:00:00:02:01"',
        check: (s) => {
            const m = normaliseMac(s);
            if (!m) {
                return 'is not a MAC address; use six hex pairs separated by ":" or "-", e.g. "52:54:00:00:02:01"';
            }
            return isMulticastMac(m) ? "is a multicast MAC address, which no NIC uses as its own; check the first octet" : undefined;
        },
    });
    const ip = str(p, o, path, "ip", { required: 'set the static DHCP lease address inside the site subnet, e.g. "10.0.20.10"', check: ipv4 });
    const uuidRaw = str(p, o, path, "uuid", { check: uuid });
    const serialRaw = str(p, o, path, "serial", { check: serial });
    const arch = o.arch === undefined ? DEFAULTS.arch : (str(p, o, path, "arch", { check: oneOf<Architecture>(["amd64", "arm64"]) }) as Architecture | undefined);
    const disk = str(p, o, path, "installDisk", { check: installDisk });
    let diskSelector: Record<string, string> | undefined;
    let selectorOk = true;
    if (o.diskSelector !== undefined) {
        diskSelector = strMap(
            p,
            o,
            path,
            "diskSelector",
            (k) => (DISK_SELECTOR_KEYS.includes(k) ? undefined : `is not a disk selector field; ${(closest(k, DISK_SELECTOR_KEYS) && `did you mean "${closest(k, DISK_SELECTOR_KEYS)}"?`) || `use ${DISK_SELECTOR_KEYS.join(", ")}`}`),
            (v) => (v.trim() === "" ? "is empty; remove the field or give a value" : undefined),
        );
        if (diskSelector?.type !== undefined && !["ssd", "hdd", "nvme", "sd"].includes(diskSelector.type)) {
            p.invalid(child(child(path, "diskSelector"), "type"), diskSelector.type, 'is not a Talos disk type; use "ssd", "hdd", "nvme" or "sd"');
            diskSelector = undefined;
        }
        if (diskSelector && Object.keys(diskSelector).length === 0) {
            p.add(child(path, "diskSelector"), "is empty; give at least one of " + DISK_SELECTOR_KEYS.join(", "));
            diskSelector = undefined;
        }
        selectorOk = diskSelector !== undefined;
    }
    const labels = strMap(
        p,
        o,
        path,
        "labels",
        (k) => (k === "topology.kubernetes.io/zone" ? `is set by the stack to the site name${siteName ? ` ("${siteName}")` : ""}; remove it` : qualifiedName(k)),
        labelValue,
    );
    const taints = strMap(p, o, path, "taints", qualifiedName, taintValue);
    const vm = o.vm === undefined ? undefined : parseVm(p, o.vm, child(path, "vm"));
    const enrollment = num(p, o, path, "enrollment", undefined, {
        min: 1,
        max: 1_000_000,
        why: "the enrollment generation starts at 1; raise it by one to let the boot service serve this machine a config again",
    });

    let installDiskValue = disk;
    if (o.installDisk !== undefined && o.diskSelector !== undefined) {
        p.add(path, "sets both installDisk and diskSelector; keep exactly one (Talos gives diskSelector priority, which hides mistakes)");
        selectorOk = false;
    } else if (o.installDisk === undefined && o.diskSelector === undefined) {
        if (o.vm !== undefined) {
            installDiskValue = DEFAULTS.vmInstallDisk;
        } else {
            p.add(child(path, "installDisk"), 'missing; bare-metal machines need exactly one of installDisk (e.g. "/dev/sda") or diskSelector (e.g. {type: nvme})');
            selectorOk = false;
        }
    }
    const mac = macRaw && normaliseMac(macRaw);
    if (!name || !mac || !ip || (o.uuid !== undefined && !uuidRaw) || (o.serial !== undefined && !serialRaw) || !arch || (o.installDisk !== undefined && !disk) || !selectorOk || !labels || !taints || (o.vm !== undefined && !vm) || (o.enrollment != null && enrollment === undefined)) {
        return undefined;
    }
    const machine: EdgeMachineConfig = { name, mac, ip, arch, labels, taints };
    if (uuidRaw) {
        machine.uuid = uuidRaw.toLowerCase();
    }
    if (serialRaw) {
        machine.serial = serialRaw;
    }
    if (installDiskValue) {
        machine.installDisk = installDiskValue;
    }
    if (diskSelector) {
        machine.diskSelector = diskSelector;
    }
    if (enrollment !== undefined) {
        machine.enrollment = enrollment;
    }
    if (vm) {
        machine.vm = vm;
    }
    return machine;
}

/** A parsed site plus the config path of each of its parsed machines. */
interface LocatedSite extends Located<EdgeSiteConfig> {
    machinePaths: string[];
}

/** Address checks inside one site: DHCP server, dynamic range and static leases against the subnet. */
function checkSiteAddresses(p: Problems, s: LocatedSite): void {
    const site = s.value;
    const subnet = parseIPv4Cidr(site.bridge.subnetCidr)!;
    const gateway = parseIPv4(site.bridge.gateway)!;
    const inSubnet = (at: string, text: string, role: string): bigint | undefined => {
        const a = parseIPv4(text)!;
        const ip: IpAddress = { version: 4, value: a };
        if (!cidrContains(subnet, ip)) {
            p.invalid(at, text, `is outside the site subnet ${site.bridge.subnetCidr} (from bridge.gatewayCidr); use ${role} inside it`);
            return undefined;
        }
        if (a === subnet.network || a === subnet.last) {
            p.invalid(at, text, `is the ${a === subnet.network ? "network" : "broadcast"} address of ${site.bridge.subnetCidr}; use a host address`);
            return undefined;
        }
        if (a === gateway) {
            p.invalid(at, text, `is the bridge gateway address; use another address for ${role}`);
            return undefined;
        }
        return a;
    };
    const dhcpPath = child(s.path, "dhcp");
    const server = inSubnet(child(dhcpPath, "serverAddress"), site.dhcp.serverAddress, "the DHCP server address");
    const start = inSubnet(child(dhcpPath, "rangeStart"), site.dhcp.rangeStart, "a range start");
    const end = inSubnet(child(dhcpPath, "rangeEnd"), site.dhcp.rangeEnd, "a range end");
    if (start !== undefined && end !== undefined) {
        if (start > end) {
            p.invalid(child(dhcpPath, "rangeStart"), site.dhcp.rangeStart, `is after rangeEnd "${site.dhcp.rangeEnd}"; swap them so rangeStart <= rangeEnd`);
        } else {
            const range = `${site.dhcp.rangeStart}-${site.dhcp.rangeEnd}`;
            if (gateway >= start && gateway <= end) {
                p.add(child(dhcpPath, "rangeStart"), `the dynamic range ${range} contains the gateway ${site.bridge.gateway}; dnsmasq could lease it to a client: start the range after it`);
            }
            if (server !== undefined && server >= start && server <= end) {
                p.invalid(child(dhcpPath, "serverAddress"), site.dhcp.serverAddress, `is inside the dynamic range ${range}; dnsmasq could lease it to a client: move it out of the range or shrink the range`);
            }
        }
    }
    // Static leases may sit inside or outside the dynamic range (dnsmasq reserves them either way).
    const seen = new Map<bigint, string>();
    site.machines.forEach((m, i) => {
        const at = child(s.machinePaths[i], "ip");
        const a = inSubnet(at, m.ip, "a machine address");
        if (a === undefined) {
            return;
        }
        if (a === server) {
            p.invalid(at, m.ip, "is the DHCP server address; give the machine another address");
        } else if (seen.has(a)) {
            p.invalid(at, m.ip, `is already the static lease of ${seen.get(a)}; give every machine its own address`);
        } else {
            seen.set(a, child(s.machinePaths[i], "name"));
        }
    });
}

function parseEdgeSites(p: Problems, raw: unknown, privateKey: string | undefined): { items: LocatedSite[]; complete: boolean } {
    const path = key("edgeSites");
    if (raw === undefined) {
        return { items: [], complete: true };
    }
    if (raw === INVALID_JSON) {
        return { items: [], complete: false };
    }
    if (!Array.isArray(raw)) {
        p.invalid(path, raw, "is not a list; write it as a list of sites {name, host, bridge, dhcp, storage?, machines}");
        return { items: [], complete: false };
    }
    const items: LocatedSite[] = [];
    let complete = true;
    raw.forEach((entry, i) => {
        const at = item(path, i);
        const o = asObject(p, at, entry, "write each site as {name, host, bridge, dhcp, storage?, machines}");
        if (!o) {
            complete = false;
            return;
        }
        checkKeys(p, at, o, ["name", "host", "bridge", "dhcp", "storage", "machines"]);
        const name = str(p, o, at, "name", { required: 'name the site (a DNS label; also the topology.kubernetes.io/zone label), e.g. "site-1"', check: dnsLabel() });
        const host = parseHost(p, o.host, child(at, "host"), privateKey);
        const bridge = parseBridge(p, o.bridge, child(at, "bridge"));
        const dhcp = parseDhcp(p, o.dhcp, child(at, "dhcp"));
        const storage = parseStorage(p, o.storage, child(at, "storage"));
        const machinesPath = child(at, "machines");
        const machines: EdgeMachineConfig[] = [];
        const machinePaths: string[] = [];
        if (o.machines === undefined) {
            p.add(machinesPath, "missing; list the site's machines ({name, mac, ip, ...}), or [] to only record unknown machines that PXE boot");
        } else if (!Array.isArray(o.machines)) {
            p.invalid(machinesPath, o.machines, "is not a list; write it as a list of {name, mac, ip, ...}");
        } else {
            o.machines.forEach((m, j) => {
                const machine = parseMachine(p, m, item(machinesPath, j), name);
                if (machine) {
                    machines.push(machine);
                    machinePaths.push(item(machinesPath, j));
                }
            });
        }
        if (!name || !host || !bridge || !dhcp || !storage) {
            complete = false;
            return;
        }
        const site: LocatedSite = { path: at, value: { name, host, bridge, dhcp, storage, machines }, machinePaths };
        checkSiteAddresses(p, site);
        items.push(site);
    });
    return { items, complete };
}

// ---------------------------------------------------------------------------------------
// Cross-section checks

interface NamedRange {
    /** Config key path, or "tailnet" for the fixed Tailscale range. */
    path: string;
    /** The value as written. */
    text: string;
    cidr: Cidr;
    /** True when the value is a default the user did not write. */
    isDefault: boolean;
    /** Extra context for messages (", site \"site-1\""). */
    note: string;
}

function checkOverlaps(p: Problems, ranges: NamedRange[]): void {
    const describe = (r: NamedRange): string =>
        r.path === "tailnet" ? `the Tailscale range ${TAILNET_IPV4_CIDR}` : `${r.path} (${formatCidr(r.cidr)}${r.isDefault ? ", the default" : ""}${r.note})`;
    for (let j = 1; j < ranges.length; j++) {
        for (let i = 0; i < j; i++) {
            if (!cidrsOverlap(ranges[i].cidr, ranges[j].cidr)) {
                continue;
            }
            // Blame the side the user can change: never the tailnet, preferably not an unwritten default.
            let [blamed, other] = [ranges[j], ranges[i]];
            if (other.path !== "tailnet" && blamed.isDefault && !other.isDefault) {
                [blamed, other] = [other, blamed];
            }
            const fix =
                other.path === "tailnet"
                    ? `move it out of ${TAILNET_IPV4_CIDR}: Tailscale assigns every node's address from that range`
                    : `the VPC subnet, pod CIDR, service CIDR, tailnet ${TAILNET_IPV4_CIDR} and every edge site subnet must be disjoint; pick a range that overlaps none of them`;
            const subnet = blamed.text === formatCidr(blamed.cidr) ? "" : `(subnet ${formatCidr(blamed.cidr)}) `;
            p.invalid(blamed.path, blamed.text, `${subnet}overlaps ${describe(other)}; ${fix}`);
        }
    }
}

function crossChecks(
    p: Problems,
    cluster: ClusterConfig | undefined,
    gcp: GcpConfig | undefined,
    nodes: Parsed<CloudNodeConfig>,
    sites: { items: LocatedSite[]; complete: boolean },
    podCidrWritten: boolean,
    serviceCidrWritten: boolean,
): void {
    // Address ranges that share one routing domain over the tailnet.
    const ranges: NamedRange[] = [{ path: "tailnet", text: TAILNET_IPV4_CIDR, cidr: parseCidr(TAILNET_IPV4_CIDR)!, isDefault: false, note: "" }];
    if (gcp) {
        ranges.push({ path: key("gcp.subnetCidr"), text: gcp.subnetCidr, cidr: parseCidr(gcp.subnetCidr)!, isDefault: false, note: "" });
    }
    if (cluster) {
        ranges.push({ path: key("cluster.podCidr"), text: cluster.podCidr, cidr: parseCidr(cluster.podCidr)!, isDefault: !podCidrWritten, note: "" });
        ranges.push({ path: key("cluster.serviceCidr"), text: cluster.serviceCidr, cidr: parseCidr(cluster.serviceCidr)!, isDefault: !serviceCidrWritten, note: "" });
    }
    for (const s of sites.items) {
        ranges.push({
            path: child(child(s.path, "bridge"), "gatewayCidr"),
            text: s.value.bridge.gatewayCidr,
            cidr: parseCidr(s.value.bridge.subnetCidr)!,
            isDefault: false,
            note: `, site "${s.value.name}"`,
        });
    }
    checkOverlaps(p, ranges);

    if (nodes.complete && !nodes.items.some((n) => n.value.role === "controlplane")) {
        p.add(key("nodes"), 'no node has role "controlplane"; set role: controlplane on at least one cloud node (the first one bootstraps etcd)');
    }

    // Node names share one Kubernetes (and tailnet) namespace across cloud and edge.
    const names = new Map<string, string>();
    const claimName = (at: string, name: string) => {
        if (names.has(name)) {
            p.invalid(
                at,
                name,
                `is already used by ${names.get(name)}; node names must be unique across cloud nodes and edge machines (they share one Kubernetes node namespace)`,
            );
        } else {
            names.set(name, at);
        }
    };
    for (const n of nodes.items) {
        claimName(child(n.path, "name"), n.value.name);
    }
    const siteNames = new Map<string, string>();
    const macs = new Map<string, string>();
    const uuids = new Map<string, string>();
    const bridges = new Map<string, string>();
    for (const s of sites.items) {
        const site = s.value;
        if (siteNames.has(site.name)) {
            p.invalid(child(s.path, "name"), site.name, `is already used by ${siteNames.get(site.name)}; give every site its own name`);
        } else {
            siteNames.set(site.name, child(s.path, "name"));
        }
        const bridgeId = `${site.host.address.toLowerCase()}|${site.bridge.name}`;
        const bridgePath = child(child(s.path, "bridge"), "name");
        if (bridges.has(bridgeId)) {
            p.invalid(bridgePath, site.bridge.name, `is already used on host ${site.host.address} by ${bridges.get(bridgeId)}; sites on one host need distinct bridge names`);
        } else {
            bridges.set(bridgeId, bridgePath);
        }
        site.machines.forEach((m, j) => {
            const at = s.machinePaths[j];
            claimName(child(at, "name"), m.name);
            if (macs.has(m.mac)) {
                p.invalid(child(at, "mac"), m.mac, `is already used by ${macs.get(m.mac)}; every machine needs its own MAC address (the boot service identifies machines by it)`);
            } else {
                macs.set(m.mac, child(at, "mac"));
            }
            if (m.uuid !== undefined) {
                if (uuids.has(m.uuid)) {
                    p.invalid(child(at, "uuid"), m.uuid, `is already used by ${uuids.get(m.uuid)}; SMBIOS UUIDs identify machines, so each must be unique (remove it if unknown)`);
                } else {
                    uuids.set(m.uuid, child(at, "uuid"));
                }
            }
        });
    }

    // Each node takes a /24 of the pod CIDR (controller-manager node-cidr-mask-size).
    if (cluster) {
        const nodeCount = nodes.items.length + sites.items.reduce((n, s) => n + s.value.machines.length, 0);
        const capacity = cidrSize(parseCidr(cluster.podCidr)!) >> 8n;
        if (BigInt(nodeCount) > capacity) {
            p.invalid(key("cluster.podCidr"), cluster.podCidr, `holds ${capacity} per-node /24 blocks but the stack has ${nodeCount} nodes; use a larger range, e.g. "${DEFAULTS.podCidr}"`);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Entry points

function parseStructured(p: Problems, name: StructuredKey, text: string | undefined): unknown {
    if (text === undefined) {
        return undefined;
    }
    try {
        return JSON.parse(text);
    } catch {
        const full = key(name);
        p.invalid(
            full,
            text,
            `is not an object or list; write it as a YAML mapping/list under "${full}" in Pulumi.<stack>.yaml, or set single fields with \`pulumi config set --path '${full}${name === "nodes" || name === "edgeSites" ? "[0]" : ""}.<field>' <value>\``,
        );
        return INVALID_JSON;
    }
}

/** Validates raw stack config into the model; throws one `StackConfigError` listing every problem. */
export function parseStackConfig(raw: RawStackConfig): StackConfig {
    const p = new Problems();
    const prefix = `${PROJECT}:`;
    const ours = new Map<string, string>();
    for (const [k, v] of Object.entries(raw.values)) {
        if (k.startsWith(prefix)) {
            ours.set(k.slice(prefix.length), v);
        }
    }
    // Anything set with --secret is never echoed, whatever key it sits under.
    for (const k of raw.secretKeys) {
        p.redact(k);
    }
    const secrets = readSecrets(p, ours, raw.secretKeys);

    for (const name of ours.keys()) {
        if (TOP_LEVEL_KEYS.includes(name)) {
            continue;
        }
        const full = key(name);
        const root = name.split(/[.[]/, 1)[0];
        if (root !== name && TOP_LEVEL_KEYS.includes(root)) {
            p.add(full, `is a literal key containing a path; remove it with \`pulumi config rm '${full}'\` and set it with \`pulumi config set --path '${full}' <value>\``);
        } else if (SECRET_NAME_RE.test(name)) {
            const guess = closest(name, SECRET_CONFIG_KEYS);
            p.add(full, `(value hidden) unknown secret key; ${guess ? `did you mean "${guess}"? ` : ""}this stack reads secrets only from ${SECRET_CONFIG_KEYS.join(", ")}`);
        } else {
            p.add(full, unknownKeyMessage(name, TOP_LEVEL_KEYS));
        }
    }

    const structured = Object.fromEntries(STRUCTURED_KEYS.map((k) => [k, parseStructured(p, k, ours.get(k))])) as Record<StructuredKey, unknown>;
    const cluster = parseCluster(p, structured.cluster);
    const gcp = parseGcp(p, structured.gcp, raw.values["gcp:project"]);
    const nodes = parseNodes(p, structured.nodes, cluster?.name);
    const images = parseImages(p, structured.images);
    const tailnet = parseTailnet(p, structured.tailnet, secrets, raw.values);
    const bootService = parseBootService(p, structured.bootService, gcp?.region, tailnet?.auth, secrets);
    const edgeSites = parseEdgeSites(p, structured.edgeSites, secrets.edgeSshPrivateKey);
    const clusterObj = isObj(structured.cluster) ? structured.cluster : {};
    crossChecks(p, cluster, gcp, nodes, edgeSites, clusterObj.podCidr !== undefined, clusterObj.serviceCidr !== undefined);

    if (p.list.length > 0 || !cluster || !gcp || !nodes.complete || !images || !tailnet || !bootService || !edgeSites.complete) {
        throw new StackConfigError(p.list.length > 0 ? p.list : ["internal: a section failed without a recorded problem"]);
    }
    return {
        cluster,
        gcp,
        cloudNodes: nodes.items.map((n) => n.value),
        images,
        tailnet,
        bootService,
        edgeSites: edgeSites.items.map((s) => s.value),
    };
}

/** `project:config:key` (older engines) -> `project:key`, as the SDK's own config reader does. */
function cleanKey(k: string): string {
    const idx = k.indexOf(":");
    return idx > 0 && k.startsWith("config:", idx + 1) ? k.slice(0, idx) + ":" + k.slice(idx + 1 + "config:".length) : k;
}

/**
 * Which config keys are secret. The engine passes the list as the JSON array
 * `PULUMI_CONFIG_SECRET_KEYS`; the SDK keeps it in its runtime store and exposes it only
 * through `runtime.isConfigSecret` (present in the JS module, absent from the typings).
 */
function secretConfigKeys(keys: string[]): Set<string> {
    const runtime = pulumi.runtime as typeof pulumi.runtime & { isConfigSecret?: (k: string) => boolean };
    const isSecret = runtime.isConfigSecret;
    if (typeof isSecret === "function") {
        return new Set(keys.filter((k) => isSecret(k) || isSecret(k.replace(":", ":config:"))));
    }
    let listed: unknown = [];
    try {
        listed = JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS || "[]");
    } catch {
        listed = [];
    }
    const secret = new Set(Array.isArray(listed) ? listed.map((k) => cleanKey(String(k))) : []);
    return new Set(keys.filter((k) => secret.has(k)));
}

/** The running program's raw config (values and which keys are secret). */
export function readRawStackConfig(): RawStackConfig {
    const values = pulumi.runtime.allConfig();
    return { values, secretKeys: secretConfigKeys(Object.keys(values)) };
}

/** Reads and validates the running stack's config. */
export function readStackConfig(): StackConfig {
    return parseStackConfig(readRawStackConfig());
}
