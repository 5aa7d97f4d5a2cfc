/**
 * The boot service's configuration: the non-secret `BOOT_SETTINGS` JSON (inventory, boot assets,
 * limits, key backend parameters) and the secrets, each in its own environment variable.
 *
 * `BootSettingsInput` is the JSON shape a deployer writes (fields with defaults optional);
 * `parseBootSettings` validates it into `BootSettings` with every default applied. Errors name
 * the variable and the field (`BOOT_SETTINGS.sites[0].machines[2].mac: ...`) and how to fix it.
 * Values from BOOT_SETTINGS may be quoted back (they are not secret); secret values never are.
 *
 * Environment variables (see `loadBootEnvironment`):
 *   BOOT_SETTINGS          JSON `BootSettingsInput` (required; or BOOT_SETTINGS_FILE = path to it)
 *   BOOT_BASE_CONFIG       secret: the cluster's Talos worker config, multi-document YAML
 *                          (required; or BOOT_BASE_CONFIG_FILE = path to it)
 *   BOOT_SITE_TOKENS       secret: JSON object site name -> site token (one per site)
 *   TS_OAUTH_CLIENT_ID     secret: Tailscale OAuth client id      (keyBackend.kind "tailscale")
 *   TS_OAUTH_CLIENT_SECRET secret: Tailscale OAuth client secret  (keyBackend.kind "tailscale")
 *   HEADSCALE_API_KEY      secret: Headscale API key              (keyBackend.kind "headscale")
 *   BOOT_STATIC_KEYS       secret: JSON object machine -> auth key (keyBackend.kind "static")
 *   BOOT_DATABASE_URL      secret: postgres:// URL; absent = embedded PGlite
 *   BOOT_DATA_DIR          PGlite data directory; absent = in memory (lost on restart)
 *   PORT                   listen port, default 8080 (Cloud Run sets it)
 *   HOST                   listen address, default 0.0.0.0
 */
import * as fs from "node:fs";
import { TAILNET_VALID_SUBNETS } from "../../../lib/talos/documents";
import type { Architecture } from "../../../stacks/model";
import type { KeyBackendSettings, KeySecrets } from "./keys";
import {
    checkHttpUrl,
    CIDR,
    DISK_PATH,
    DISK_SELECTOR_KEYS,
    DISK_SELECTOR_VALUE,
    DNS_LABEL,
    IMAGE_REF,
    KERNEL_ARG,
    LABEL_KEY,
    LABEL_VALUE,
    normaliseMac,
    normaliseSerial,
    normaliseUuid,
    SERIAL,
    SITE_TOKEN,
    SITE_TOKEN_MAX_LENGTH,
    SITE_TOKEN_MIN_LENGTH,
    TAINT_VALUE,
    UUID,
} from "./formats";

export type { Architecture } from "../../../stacks/model";
export type { KeyBackendSettings, KeySecrets } from "./keys";

/** Kernel and initramfs of the edge schematic for one architecture; iPXE fetches them directly. */
export interface BootAssets {
    /** Kernel URL, e.g. `https://factory.talos.dev/image/<schematic>/v1.12.4/kernel-amd64`. http(s). */
    kernelUrl: string;
    /** Initramfs URL, e.g. `https://factory.talos.dev/image/<schematic>/v1.12.4/initramfs-amd64.xz`. http(s). */
    initramfsUrl: string;
    /** Console arguments for this architecture; default: the top-level `consoleArgs`. */
    consoleArgs?: string[];
}

/** One machine in a site's inventory (mirrors `EdgeMachineConfig` in stacks/model.ts). */
export interface BootMachineInput {
    /** Hostname, Kubernetes node name and tailnet device name: a DNS label, unique across all sites. */
    name: string;
    /** MAC of the NIC it network-boots from; colon or hyphen form, any case. Unique within the site. */
    mac: string;
    /** SMBIOS UUID (8-4-4-4-12 hex); when given, requests are also matched on it and must not contradict it. */
    uuid?: string;
    /** SMBIOS serial; when given, requests are also matched on it and must not contradict it. */
    serial?: string;
    /** CPU architecture. Default "amd64". `assets` must have an entry for it. */
    arch?: Architecture;
    /** Install disk, e.g. "/dev/vda". Exactly one of `installDisk` / `diskSelector`. */
    installDisk?: string;
    /** Talos `machine.install.diskSelector` (keys: size, name, model, serial, modalias, uuid, wwid, type, busPath). */
    diskSelector?: Record<string, string>;
    /** Extra node labels; `topology.kubernetes.io/zone=<site>` is always set and cannot be overridden. Default {}. */
    labels?: Record<string, string>;
    /** Node taints in Talos form, key -> "value:Effect" (Effect: NoSchedule | PreferNoSchedule | NoExecute). Default {}. */
    taints?: Record<string, string>;
    /**
     * Enrollment generation, 1..1000000. Default 1. Once a config has been served for the
     * machine's current generation, its network boots are sent to the local disk (no ticket);
     * raise it to let the machine fetch a config again (reinstall, replaced disk).
     */
    enrollment?: number;
}

export interface BootSiteInput {
    /** Site name (DNS label): the `<site>` URL segment and the `topology.kubernetes.io/zone` value. */
    name: string;
    /** The site's inventory. May be empty (every machine is then recorded as pending). */
    machines: BootMachineInput[];
}

/** The JSON in `BOOT_SETTINGS`. Not secret. */
export interface BootSettingsInput {
    /**
     * Base URL the scripts point machines at: scheme, host and optional port, no path
     * (e.g. "https://boot-abc123-ew.a.run.app"). Default: derived from each request
     * (`X-Forwarded-Proto` when behind a trusted proxy, and `Host`), since a Cloud Run URL
     * is only known after deploy.
     */
    publicUrl?: string;
    /**
     * Reverse proxies in front of the service whose `X-Forwarded-For`/`-Proto`/`-Host` are
     * trusted: 1 for Cloud Run (its front end appends the client address), 0 when clients
     * connect directly (local runs, the lab). Default 1. The rate limit keys on the address
     * this many hops back.
     */
    trustedProxyHops?: number;
    /** Config ticket lifetime in seconds, 60..3600. Default 900. */
    ticketTtlSeconds?: number;
    /** Requests per minute allowed from one source address (all routes but /healthz). 1..100000. Default 120. */
    rateLimitPerMinute?: number;
    /** How long an unknown machine waits before asking again, in seconds, 5..3600. Default 30. */
    unknownMachineRetrySeconds?: number;
    /** Attempts of each iPXE download (chain, kernel, initrd) before the machine reboots, 1..100. Default 10. */
    chainAttempts?: number;
    /** Pause between those attempts in seconds, 1..300. Default 10. */
    chainRetryDelaySeconds?: number;
    /** Pending (unknown) machines recorded per site at most; further unknown MACs are logged only. Default 1000. */
    maxPendingPerSite?: number;
    /** Edge schematic boot assets per architecture (at least one; every inventory arch needs one). */
    assets: Partial<Record<Architecture, BootAssets>>;
    /** Kernel console arguments. Default ["console=tty0", "console=ttyS0,115200"]. */
    consoleArgs?: string[];
    /**
     * Further kernel arguments after `talos.platform=metal` and the console arguments, e.g. the
     * edge schematic's `cmdline-metal-<arch>` defaults. Never secrets (the cmdline is readable
     * on the node). Default [].
     */
    kernelArgs?: string[];
    /** Installer image for `machine.install.image`, e.g. "factory.talos.dev/metal-installer/<schematic>:v1.12.4". */
    installerImage: string;
    /** kubelet `nodeIP.validSubnets`. Default the tailnet ranges ["100.64.0.0/10", "fd7a:115c:a1e0::/48"]. */
    validSubnets?: string[];
    /** Key backend and its non-secret parameters (types from src/keys/index.ts). */
    keyBackend: KeyBackendSettings;
    /** Log level: "debug" | "info" | "warn" | "error". Default "info". */
    logLevel?: LogLevel;
    /** Edge sites and their inventories (at least one). */
    sites: BootSiteInput[];
}

export type LogLevel = "debug" | "info" | "warn" | "error";

/** A validated inventory machine (field meanings as in BootMachineInput). */
export interface BootMachine {
    /** DNS label, unique across sites. */
    name: string;
    /** Lower-case colon form. */
    mac: string;
    /** Lower case; never a placeholder. */
    uuid?: string;
    /** Trimmed; never a vendor placeholder. */
    serial?: string;
    arch: Architecture;
    /** Exactly one of installDisk / diskSelector is set. */
    installDisk?: string;
    diskSelector?: Record<string, string>;
    /** Without the zone label (added at render time). */
    labels: Record<string, string>;
    taints: Record<string, string>;
    /** Enrollment generation (default 1 applied). */
    enrollment: number;
}

export interface BootSite {
    /** DNS label. */
    name: string;
    machines: BootMachine[];
}

/** Validated BOOT_SETTINGS with every default applied (field meanings as in BootSettingsInput). */
export interface BootSettings {
    /** Canonical origin (no trailing slash), or undefined = derive from each request. */
    publicUrl?: string;
    trustedProxyHops: number;
    ticketTtlSeconds: number;
    rateLimitPerMinute: number;
    unknownMachineRetrySeconds: number;
    chainAttempts: number;
    chainRetryDelaySeconds: number;
    maxPendingPerSite: number;
    /** Per arch, with `consoleArgs` resolved (per-arch value or the top-level default). */
    assets: Partial<Record<Architecture, Required<BootAssets>>>;
    kernelArgs: string[];
    installerImage: string;
    validSubnets: string[];
    keyBackend: KeyBackendSettings;
    logLevel: LogLevel;
    sites: BootSite[];
}

/** Secrets, each from its own environment variable. Never logged, never in an error message. */
export interface BootSecrets {
    /** BOOT_BASE_CONFIG: the cluster's worker machine config (multi-document YAML). */
    baseConfig: string;
    /** BOOT_SITE_TOKENS: site name -> token. */
    siteTokens: Record<string, string>;
    /** TS_OAUTH_CLIENT_ID, TS_OAUTH_CLIENT_SECRET, HEADSCALE_API_KEY, BOOT_STATIC_KEYS. */
    keys: KeySecrets;
    /** BOOT_DATABASE_URL; undefined = embedded PGlite. */
    databaseUrl?: string;
}

/** Process-level options from the environment. */
export interface BootRuntime {
    /** PORT, default 8080. */
    port: number;
    /** HOST, default "0.0.0.0". */
    host: string;
    /** BOOT_DATA_DIR: PGlite data directory; undefined = in-memory PGlite. Ignored with BOOT_DATABASE_URL. */
    dataDir?: string;
}

export const DEFAULTS = {
    trustedProxyHops: 1,
    ticketTtlSeconds: 900,
    rateLimitPerMinute: 120,
    unknownMachineRetrySeconds: 30,
    chainAttempts: 10,
    chainRetryDelaySeconds: 10,
    maxPendingPerSite: 1000,
    consoleArgs: ["console=tty0", "console=ttyS0,115200"],
    logLevel: "info" as LogLevel,
    port: 8080,
    host: "0.0.0.0",
} as const;

/** Kernel command lines are capped at 4096 bytes; leave room for the platform and talos.config arguments. */
export const MAX_EXTRA_CMDLINE_CHARS = 3000;

/** All problems found in one variable, one per line. */
export class SettingsError extends Error {
    constructor(readonly problems: string[]) {
        super(`invalid boot service configuration:\n  - ${problems.join("\n  - ")}`);
        this.name = "SettingsError";
    }
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Collects problems while walking the input; every check names its path. */
class Checker {
    readonly problems: string[] = [];

    fail(path: string, message: string): undefined {
        this.problems.push(`${path}: ${message}`);
        return undefined;
    }

    unknownKeys(obj: Obj, path: string, allowed: readonly string[]): void {
        for (const key of Object.keys(obj)) {
            if (!allowed.includes(key)) {
                this.fail(`${path}.${key}`, `unknown field (allowed: ${allowed.join(", ")})`);
            }
        }
    }

    int(obj: Obj, key: string, path: string, min: number, max: number, dflt: number): number {
        const v = obj[key];
        if (v === undefined) return dflt;
        if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
            this.fail(`${path}.${key}`, `must be an integer from ${min} to ${max} (got ${show(v)})`);
            return dflt;
        }
        return v;
    }

    str(obj: Obj, key: string, path: string, re: RegExp, hint: string, required: boolean): string | undefined {
        const v = obj[key];
        if (v === undefined) {
            return required ? this.fail(`${path}.${key}`, `is required (${hint})`) : undefined;
        }
        if (typeof v !== "string" || !re.test(v)) {
            return this.fail(`${path}.${key}`, `must be ${hint} (got ${show(v)})`);
        }
        return v;
    }

    strings(obj: Obj, key: string, path: string, re: RegExp, hint: string, dflt: readonly string[]): string[] {
        const v = obj[key];
        if (v === undefined) return [...dflt];
        if (!Array.isArray(v)) {
            this.fail(`${path}.${key}`, `must be an array of strings`);
            return [...dflt];
        }
        const out: string[] = [];
        v.forEach((item, i) => {
            if (typeof item !== "string" || !re.test(item)) {
                this.fail(`${path}.${key}[${i}]`, `must be ${hint} (got ${show(item)})`);
            } else {
                out.push(item);
            }
        });
        return out;
    }

    map(
        obj: Obj,
        key: string,
        path: string,
        keyRe: RegExp,
        keyHint: string,
        valueRe: RegExp,
        valueHint: string,
    ): Record<string, string> {
        const v = obj[key];
        if (v === undefined) return {};
        if (!isObject(v)) {
            this.fail(`${path}.${key}`, `must be an object of strings`);
            return {};
        }
        const out: Record<string, string> = {};
        for (const [k, val] of Object.entries(v)) {
            if (!keyRe.test(k)) {
                this.fail(`${path}.${key}`, `key ${show(k)} must be ${keyHint}`);
            } else if (typeof val !== "string" || !valueRe.test(val)) {
                this.fail(`${path}.${key}.${k}`, `must be ${valueHint} (got ${show(val)})`);
            } else {
                out[k] = val;
            }
        }
        return out;
    }
}

const SETTINGS_KEYS = [
    "publicUrl",
    "trustedProxyHops",
    "ticketTtlSeconds",
    "rateLimitPerMinute",
    "unknownMachineRetrySeconds",
    "chainAttempts",
    "chainRetryDelaySeconds",
    "maxPendingPerSite",
    "assets",
    "consoleArgs",
    "kernelArgs",
    "installerImage",
    "validSubnets",
    "keyBackend",
    "logLevel",
    "sites",
] as const;

const MACHINE_KEYS = ["name", "mac", "uuid", "serial", "arch", "installDisk", "diskSelector", "labels", "taints", "enrollment"] as const;
/** Highest enrollment generation accepted (an operator bumps it by one per reinstall). */
export const MAX_ENROLLMENT = 1_000_000;
const ARCHES: readonly Architecture[] = ["amd64", "arm64"];
const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];
const TAG = /^tag:[A-Za-z0-9][A-Za-z0-9-]{0,62}$/;
const ZONE_LABEL = "topology.kubernetes.io/zone";

/** Validates parsed BOOT_SETTINGS JSON. Throws SettingsError listing every problem. */
export function parseBootSettings(raw: unknown, variable = "BOOT_SETTINGS"): BootSettings {
    const c = new Checker();
    const p = variable;
    if (!isObject(raw)) {
        throw new SettingsError([`${p}: must be a JSON object (see BootSettingsInput in infra/boot-server/src/settings.ts)`]);
    }
    c.unknownKeys(raw, p, SETTINGS_KEYS);

    let publicUrl: string | undefined;
    if (raw.publicUrl !== undefined) {
        if (typeof raw.publicUrl !== "string") {
            c.fail(`${p}.publicUrl`, "must be a string like https://boot.example.com");
        } else {
            const checked = checkHttpUrl(raw.publicUrl.replace(/\/+$/, ""), { allowPath: false, allowQuery: false, maxLength: 256 });
            if ("error" in checked) c.fail(`${p}.publicUrl`, `${checked.error} (got ${show(raw.publicUrl)})`);
            else publicUrl = checked.url;
        }
    }

    const consoleArgs = c.strings(raw, "consoleArgs", p, KERNEL_ARG, "a kernel argument without spaces or $", DEFAULTS.consoleArgs);
    const kernelArgs = c.strings(raw, "kernelArgs", p, KERNEL_ARG, "a kernel argument without spaces or $", []);
    for (const arg of kernelArgs) {
        if (/^talos\.(config|platform)(=|$)/.test(arg)) {
            c.fail(`${p}.kernelArgs`, `must not set ${arg.split("=")[0]}: the service sets it per boot`);
        }
    }

    const assets: Partial<Record<Architecture, Required<BootAssets>>> = {};
    if (!isObject(raw.assets)) {
        c.fail(`${p}.assets`, `is required: an object {"amd64": {"kernelUrl": ..., "initramfsUrl": ...}}`);
    } else {
        for (const [arch, value] of Object.entries(raw.assets)) {
            const ap = `${p}.assets.${arch}`;
            if (!ARCHES.includes(arch as Architecture)) {
                c.fail(ap, `unknown architecture (allowed: ${ARCHES.join(", ")})`);
                continue;
            }
            if (!isObject(value)) {
                c.fail(ap, "must be an object with kernelUrl and initramfsUrl");
                continue;
            }
            c.unknownKeys(value, ap, ["kernelUrl", "initramfsUrl", "consoleArgs"]);
            const urls: Record<string, string> = {};
            for (const key of ["kernelUrl", "initramfsUrl"]) {
                const v = value[key];
                if (typeof v !== "string") {
                    c.fail(`${ap}.${key}`, "is required: an http(s) URL");
                    continue;
                }
                const checked = checkHttpUrl(v, { allowPath: true, allowQuery: true });
                if ("error" in checked) c.fail(`${ap}.${key}`, `${checked.error} (got ${show(v)})`);
                else urls[key] = checked.url;
            }
            const archConsole = c.strings(value, "consoleArgs", ap, KERNEL_ARG, "a kernel argument without spaces or $", consoleArgs);
            if (urls.kernelUrl && urls.initramfsUrl) {
                assets[arch as Architecture] = { kernelUrl: urls.kernelUrl, initramfsUrl: urls.initramfsUrl, consoleArgs: archConsole };
            }
        }
        if (Object.keys(raw.assets).length === 0) c.fail(`${p}.assets`, "needs at least one architecture");
    }
    for (const a of Object.values(assets)) {
        const extra = [...a.consoleArgs, ...kernelArgs].join(" ");
        if (extra.length > MAX_EXTRA_CMDLINE_CHARS) {
            c.fail(`${p}.kernelArgs`, `console and kernel arguments together exceed ${MAX_EXTRA_CMDLINE_CHARS} characters (kernel cmdline limit 4096)`);
        }
    }

    const installerImage = c.str(raw, "installerImage", p, IMAGE_REF, 'an image reference like "factory.talos.dev/metal-installer/<schematic>:v1.12.4"', true) ?? "";
    const validSubnets = c.strings(raw, "validSubnets", p, CIDR, 'a CIDR like "100.64.0.0/10"', TAILNET_VALID_SUBNETS);
    if (validSubnets.length === 0) c.fail(`${p}.validSubnets`, "must not be empty (kubelet would pick any address)");

    let logLevel: LogLevel = DEFAULTS.logLevel;
    if (raw.logLevel !== undefined) {
        if (!LOG_LEVELS.includes(raw.logLevel as LogLevel)) c.fail(`${p}.logLevel`, `must be one of ${LOG_LEVELS.join(", ")} (got ${show(raw.logLevel)})`);
        else logLevel = raw.logLevel as LogLevel;
    }

    const keyBackend = parseKeyBackend(c, raw.keyBackend, `${p}.keyBackend`);
    const sites = parseSites(c, raw.sites, p, assets);

    const settings: BootSettings = {
        publicUrl,
        trustedProxyHops: c.int(raw, "trustedProxyHops", p, 0, 10, DEFAULTS.trustedProxyHops),
        ticketTtlSeconds: c.int(raw, "ticketTtlSeconds", p, 60, 3600, DEFAULTS.ticketTtlSeconds),
        rateLimitPerMinute: c.int(raw, "rateLimitPerMinute", p, 1, 100_000, DEFAULTS.rateLimitPerMinute),
        unknownMachineRetrySeconds: c.int(raw, "unknownMachineRetrySeconds", p, 5, 3600, DEFAULTS.unknownMachineRetrySeconds),
        chainAttempts: c.int(raw, "chainAttempts", p, 1, 100, DEFAULTS.chainAttempts),
        chainRetryDelaySeconds: c.int(raw, "chainRetryDelaySeconds", p, 1, 300, DEFAULTS.chainRetryDelaySeconds),
        maxPendingPerSite: c.int(raw, "maxPendingPerSite", p, 1, 1_000_000, DEFAULTS.maxPendingPerSite),
        assets,
        kernelArgs,
        installerImage,
        validSubnets,
        keyBackend: keyBackend as KeyBackendSettings,
        logLevel,
        sites,
    };
    if (c.problems.length > 0) throw new SettingsError(c.problems);
    return settings;
}

function parseKeyBackend(c: Checker, raw: unknown, p: string): KeyBackendSettings | undefined {
    if (!isObject(raw)) {
        return c.fail(p, 'is required: {"kind": "tailscale" | "headscale" | "static", ...}');
    }
    const tags = (): string[] => {
        const t = c.strings(raw, "tags", p, TAG, 'an ACL tag like "tag:edge"', []);
        if (t.length === 0) c.fail(`${p}.tags`, 'is required: a non-empty list of ACL tags like ["tag:edge"] (keys must be tagged)');
        return t;
    };
    const expiry = (): number => {
        if (raw.expirySeconds === undefined) {
            c.fail(`${p}.expirySeconds`, "is required: key lifetime in seconds, 60..3600");
            return 3600;
        }
        return c.int(raw, "expirySeconds", p, 60, 3600, 3600);
    };
    switch (raw.kind) {
        case "tailscale": {
            c.unknownKeys(raw, p, ["kind", "apiBaseUrl", "tailnet", "tags", "expirySeconds"]);
            let apiBaseUrl: string | undefined;
            if (raw.apiBaseUrl !== undefined) {
                const checked = typeof raw.apiBaseUrl === "string"
                    ? checkHttpUrl(raw.apiBaseUrl, { allowPath: false, allowQuery: false })
                    : { error: "must be a string" };
                if ("error" in checked) c.fail(`${p}.apiBaseUrl`, `${checked.error} (got ${show(raw.apiBaseUrl)})`);
                else apiBaseUrl = checked.url;
            }
            const tailnet = c.str(raw, "tailnet", p, /^(?:-|[A-Za-z0-9][A-Za-z0-9._@-]{0,127})$/, 'a tailnet name or "-"', false);
            return { kind: "tailscale", apiBaseUrl, tailnet, tags: tags(), expirySeconds: expiry() };
        }
        case "headscale": {
            c.unknownKeys(raw, p, ["kind", "url", "user", "tags", "expirySeconds"]);
            let url = "";
            const checked = typeof raw.url === "string"
                ? checkHttpUrl(raw.url.replace(/\/+$/, ""), { allowPath: true, allowQuery: false })
                : { error: "is required: the Headscale server URL, e.g. https://hs.example.com" };
            if ("error" in checked) c.fail(`${p}.url`, `${checked.error}${raw.url === undefined ? "" : ` (got ${show(raw.url)})`}`);
            else url = checked.url.replace(/\/+$/, "");
            const user = c.str(raw, "user", p, /^[0-9]{1,20}$/, "a Headscale user id (decimal digits)", false);
            return { kind: "headscale", url, user, tags: tags(), expirySeconds: expiry() };
        }
        case "static": {
            c.unknownKeys(raw, p, ["kind", "expirySeconds"]);
            const expirySeconds = raw.expirySeconds === undefined ? undefined : c.int(raw, "expirySeconds", p, 60, 90 * 86400, 3600);
            return { kind: "static", expirySeconds };
        }
        default:
            return c.fail(`${p}.kind`, `must be "tailscale", "headscale" or "static" (got ${show(raw.kind)})`);
    }
}

function parseSites(c: Checker, raw: unknown, p: string, assets: BootSettings["assets"]): BootSite[] {
    if (!Array.isArray(raw) || raw.length === 0) {
        c.fail(`${p}.sites`, 'is required: a non-empty array of {"name": ..., "machines": [...]}');
        return [];
    }
    const sites: BootSite[] = [];
    const siteNames = new Set<string>();
    const machineNames = new Map<string, string>();
    raw.forEach((site, si) => {
        const sp = `${p}.sites[${si}]`;
        if (!isObject(site)) {
            c.fail(sp, "must be an object");
            return;
        }
        c.unknownKeys(site, sp, ["name", "machines"]);
        const name = c.str(site, "name", sp, DNS_LABEL, "a DNS label (lower-case letters, digits, '-', at most 63)", true);
        if (name !== undefined) {
            if (siteNames.has(name)) c.fail(`${sp}.name`, `duplicate site ${show(name)}`);
            siteNames.add(name);
        }
        if (!Array.isArray(site.machines)) {
            c.fail(`${sp}.machines`, "is required: an array (may be empty)");
            return;
        }
        const machines: BootMachine[] = [];
        const seen = { mac: new Map<string, string>(), uuid: new Map<string, string>(), serial: new Map<string, string>() };
        site.machines.forEach((m, mi) => {
            const mp = `${sp}.machines[${mi}]`;
            const machine = parseMachine(c, m, mp, assets);
            if (!machine) return;
            const other = machineNames.get(machine.name);
            if (other !== undefined) {
                c.fail(`${mp}.name`, `duplicate machine name ${show(machine.name)} (also ${other}); node names are cluster-wide`);
            }
            machineNames.set(machine.name, mp);
            for (const field of ["mac", "uuid", "serial"] as const) {
                const value = machine[field];
                if (value === undefined) continue;
                const prev = seen[field].get(value);
                if (prev !== undefined) c.fail(`${mp}.${field}`, `${show(value)} is also ${prev}'s ${field}`);
                seen[field].set(value, machine.name);
            }
            machines.push(machine);
        });
        if (name !== undefined) sites.push({ name, machines });
    });
    return sites;
}

function parseMachine(c: Checker, raw: unknown, mp: string, assets: BootSettings["assets"]): BootMachine | undefined {
    if (!isObject(raw)) return c.fail(mp, "must be an object");
    const before = c.problems.length;
    c.unknownKeys(raw, mp, MACHINE_KEYS);
    const name = c.str(raw, "name", mp, DNS_LABEL, "a DNS label (lower-case letters, digits, '-', at most 63)", true);
    let mac: string | undefined;
    if (typeof raw.mac === "string" && normaliseMac(raw.mac)) mac = normaliseMac(raw.mac);
    else c.fail(`${mp}.mac`, `must be a MAC address like "52:54:00:12:34:56" (got ${show(raw.mac)})`);
    const uuidRaw = c.str(raw, "uuid", mp, UUID, "an SMBIOS UUID like 4c4c4544-0042-3510-8056-b4c04f4d3232", false);
    let uuid: string | undefined;
    if (uuidRaw !== undefined) {
        uuid = normaliseUuid(uuidRaw);
        if (uuid === undefined) c.fail(`${mp}.uuid`, "is a placeholder UUID (all zeros or all ones) that identifies nothing; omit it");
    }
    const serialRaw = c.str(raw, "serial", mp, SERIAL, "an SMBIOS serial (letters, digits, space . _ / + -; at most 64)", false);
    let serial: string | undefined;
    if (serialRaw !== undefined) {
        serial = normaliseSerial(serialRaw);
        if (serial === undefined) c.fail(`${mp}.serial`, `${show(serialRaw)} is a vendor placeholder that identifies nothing; omit it`);
    }
    let arch: Architecture = "amd64";
    if (raw.arch !== undefined) {
        if (!ARCHES.includes(raw.arch as Architecture)) c.fail(`${mp}.arch`, `must be one of ${ARCHES.join(", ")} (got ${show(raw.arch)})`);
        else arch = raw.arch as Architecture;
    }
    if (!(arch in assets)) c.fail(`${mp}.arch`, `no boot assets for ${arch}: add BOOT_SETTINGS.assets.${arch}`);
    const installDisk = c.str(raw, "installDisk", mp, DISK_PATH, 'a device path like "/dev/vda"', false);
    let diskSelector: Record<string, string> | undefined;
    if (raw.diskSelector !== undefined) {
        const keys = new RegExp(`^(?:${DISK_SELECTOR_KEYS.join("|")})$`);
        diskSelector = c.map(raw, "diskSelector", mp, keys, `one of ${DISK_SELECTOR_KEYS.join(", ")}`, DISK_SELECTOR_VALUE, "a selector value like \">= 100GB\" or \"nvme\"");
        if (Object.keys(diskSelector).length === 0) c.fail(`${mp}.diskSelector`, "must not be empty");
    }
    if ((installDisk === undefined) === (raw.diskSelector === undefined)) {
        c.fail(mp, "needs exactly one of installDisk or diskSelector");
    }
    const labels = c.map(raw, "labels", mp, LABEL_KEY, "a Kubernetes label key", LABEL_VALUE, "a Kubernetes label value");
    if (ZONE_LABEL in labels) c.fail(`${mp}.labels.${ZONE_LABEL}`, "is set from the site name and cannot be overridden");
    const taints = c.map(raw, "taints", mp, LABEL_KEY, "a Kubernetes taint key", TAINT_VALUE, '"value:Effect" with Effect NoSchedule, PreferNoSchedule or NoExecute');
    const enrollment = c.int(raw, "enrollment", mp, 1, MAX_ENROLLMENT, 1);
    if (c.problems.length > before || name === undefined || mac === undefined) return undefined;
    return { name, mac, uuid, serial, arch, installDisk, diskSelector, labels, taints, enrollment };
}

/** Parses a JSON secret without ever quoting it: JSON.parse errors include a slice of the input. */
function parseSecretJson(text: string, variable: string, shape: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        throw new SettingsError([`${variable}: is not valid JSON (expected ${shape}); the value is secret and not shown`]);
    }
}

/** Validates BOOT_SITE_TOKENS against the sites in settings. */
export function parseSiteTokens(text: string | undefined, sites: BootSite[]): Record<string, string> {
    const v = "BOOT_SITE_TOKENS";
    if (text === undefined || text.trim() === "") {
        throw new SettingsError([`${v}: is required: a JSON object {"<site>": "<token>"} with one token per site`]);
    }
    const parsed = parseSecretJson(text, v, 'an object {"<site>": "<token>"}');
    if (!isObject(parsed)) throw new SettingsError([`${v}: must be a JSON object {"<site>": "<token>"}`]);
    const problems: string[] = [];
    const names = new Set(sites.map((s) => s.name));
    const tokens: Record<string, string> = {};
    for (const [site, token] of Object.entries(parsed)) {
        if (!names.has(site)) {
            problems.push(`${v}: has a token for site ${show(site)}, which BOOT_SETTINGS.sites does not define`);
        } else if (typeof token !== "string" || !SITE_TOKEN.test(token)) {
            problems.push(
                `${v}.${site}: the token must be ${SITE_TOKEN_MIN_LENGTH}..${SITE_TOKEN_MAX_LENGTH} characters of A-Z a-z 0-9 . _ ~ - ` +
                    `(e.g. random.RandomPassword {length: 32, special: false}); the value is secret and not shown`,
            );
        } else {
            tokens[site] = token;
        }
    }
    for (const site of names) {
        if (!(site in parsed)) problems.push(`${v}: has no token for site ${show(site)}`);
    }
    const values = Object.values(tokens);
    if (new Set(values).size !== values.length) problems.push(`${v}: two sites share a token; give each site its own`);
    if (problems.length > 0) throw new SettingsError(problems);
    return tokens;
}

/** Parses BOOT_STATIC_KEYS (machine -> key) without echoing any value. */
export function parseStaticKeys(text: string | undefined): Record<string, string> | undefined {
    const v = "BOOT_STATIC_KEYS";
    if (text === undefined || text.trim() === "") return undefined;
    const parsed = parseSecretJson(text, v, 'an object {"<machine>": "<auth key>"}');
    if (!isObject(parsed)) throw new SettingsError([`${v}: must be a JSON object {"<machine>": "<auth key>"}`]);
    const out: Record<string, string> = {};
    for (const [machine, key] of Object.entries(parsed)) {
        if (typeof key !== "string" || key.trim() === "") {
            throw new SettingsError([`${v}.${machine}: must be a non-empty string; the value is secret and not shown`]);
        }
        out[machine] = key;
    }
    return out;
}

function readVarOrFile(env: NodeJS.ProcessEnv, name: string): string | undefined {
    const direct = env[name];
    const file = env[`${name}_FILE`];
    if (direct !== undefined && direct !== "" && file !== undefined && file !== "") {
        throw new SettingsError([`${name} and ${name}_FILE are both set; set one`]);
    }
    if (file !== undefined && file !== "") {
        try {
            return fs.readFileSync(file, "utf8");
        } catch (err) {
            throw new SettingsError([`${name}_FILE: cannot read ${show(file)} (${(err as NodeJS.ErrnoException).code ?? "error"})`]);
        }
    }
    return direct === "" ? undefined : direct;
}

function optionalSecret(env: NodeJS.ProcessEnv, name: string): string | undefined {
    const v = env[name];
    return v === undefined || v.trim() === "" ? undefined : v;
}

/** Reads and validates everything the service needs from the environment. Throws SettingsError. */
export function loadBootEnvironment(env: NodeJS.ProcessEnv = process.env): {
    settings: BootSettings;
    secrets: BootSecrets;
    runtime: BootRuntime;
} {
    const settingsText = readVarOrFile(env, "BOOT_SETTINGS");
    if (settingsText === undefined) {
        throw new SettingsError([
            "BOOT_SETTINGS: is required: JSON settings (see infra/boot-server/examples/settings.local.json), or BOOT_SETTINGS_FILE=<path>",
        ]);
    }
    let raw: unknown;
    try {
        raw = JSON.parse(settingsText);
    } catch (err) {
        // Not secret, so the parser's position hint may be shown.
        throw new SettingsError([`BOOT_SETTINGS: is not valid JSON (${(err as Error).message})`]);
    }
    const settings = parseBootSettings(raw);

    const baseConfig = readVarOrFile(env, "BOOT_BASE_CONFIG");
    if (baseConfig === undefined || baseConfig.trim() === "") {
        throw new SettingsError([
            "BOOT_BASE_CONFIG: is required: the cluster's Talos worker config (multi-document YAML), or BOOT_BASE_CONFIG_FILE=<path>",
        ]);
    }
    const secrets: BootSecrets = {
        baseConfig,
        siteTokens: parseSiteTokens(env.BOOT_SITE_TOKENS, settings.sites),
        keys: {
            tsOauthClientId: optionalSecret(env, "TS_OAUTH_CLIENT_ID"),
            tsOauthClientSecret: optionalSecret(env, "TS_OAUTH_CLIENT_SECRET"),
            headscaleApiKey: optionalSecret(env, "HEADSCALE_API_KEY"),
            staticKeys: parseStaticKeys(env.BOOT_STATIC_KEYS),
        },
        databaseUrl: optionalSecret(env, "BOOT_DATABASE_URL"),
    };
    if (secrets.databaseUrl !== undefined && !/^postgres(?:ql)?:\/\//.test(secrets.databaseUrl)) {
        throw new SettingsError(["BOOT_DATABASE_URL: must start with postgres:// or postgresql://; the value is secret and not shown"]);
    }

    const problems: string[] = [];
    let port: number = DEFAULTS.port;
    if (env.PORT !== undefined && env.PORT !== "") {
        port = Number(env.PORT);
        if (!/^[0-9]{1,5}$/.test(env.PORT) || port > 65535) problems.push(`PORT: must be a port number 0..65535 (got ${show(env.PORT)})`);
    }
    const host = env.HOST !== undefined && env.HOST !== "" ? env.HOST : DEFAULTS.host;
    const dataDir = env.BOOT_DATA_DIR !== undefined && env.BOOT_DATA_DIR !== "" ? env.BOOT_DATA_DIR : undefined;
    if (problems.length > 0) throw new SettingsError(problems);
    return { settings, secrets, runtime: { port, host, dataDir } };
}
