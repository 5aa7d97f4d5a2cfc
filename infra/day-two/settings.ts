/**
 * Day-two settings (stack config key `talos-cloud-edge:dayTwo`): the bounds of every upgrade,
 * removal and health wait, and the renewal window of the admin kubeconfig. Every field has a
 * default, so a stack without the key gets exactly `DAY_TWO_DEFAULTS`.
 *
 * `parseDayTwoConfig` validates the raw value and returns one problem per bad field, each
 * naming the key, the value and the fix, for the stack config parser to collect with its own.
 */
import { goDurationMs, isGoDuration } from "./durations";

export interface DayTwoConfig {
    /** Bound on the health checks after each node's upgrade (etcd, API server, node Ready), Go duration. Default "10m". */
    healthTimeout: string;
    /** Bound on one node's `talosctl upgrade --wait` (image pull, install, reboot), Go duration. Default "30m". */
    upgradeTimeout: string;
    /** Bound on `talosctl upgrade-k8s` (control-plane components, then every kubelet), Go duration. Default "60m". */
    kubernetesUpgradeTimeout: string;
    /** Bound on draining a removed node, Go duration. Default "10m". */
    drainTimeout: string;
    /** Bound on a removed node's graceful reset (leave etcd, wipe), Go duration. Default "10m". */
    resetTimeout: string;
    /** Readiness gate after `pulumi up`: how long every cloud node may take to be Ready before the update fails, Go duration. Default "10m". */
    cloudReadyTimeout: string;
    /** Readiness gate: how long to wait for joined edge nodes to be Ready; late ones are reported, never failed. Go duration. Default "5m". */
    edgeReadyTimeout: string;
    /**
     * Renew the admin kubeconfig's client certificate on any `pulumi up` this long before it
     * expires (Talos issues it for one year), Go duration, between "24h" and "8000h". Default "2160h" (90 days).
     */
    kubeconfigRenewal: string;
    /** Run the readiness gate on every `pulumi up` (it then shows as an update in every preview). Default true. */
    readinessGate: boolean;
}

export const DAY_TWO_DEFAULTS: Readonly<DayTwoConfig> = Object.freeze({
    healthTimeout: "10m",
    upgradeTimeout: "30m",
    kubernetesUpgradeTimeout: "60m",
    drainTimeout: "10m",
    resetTimeout: "10m",
    cloudReadyTimeout: "10m",
    edgeReadyTimeout: "5m",
    kubeconfigRenewal: "2160h",
    readinessGate: true,
});

/** The provider's fixed renewal window of the talosconfig client certificate (talos_machine_secrets: one month). */
export const TALOSCONFIG_RENEWAL = "720h";

const DURATION_KEYS = [
    "healthTimeout",
    "upgradeTimeout",
    "kubernetesUpgradeTimeout",
    "drainTimeout",
    "resetTimeout",
    "cloudReadyTimeout",
    "edgeReadyTimeout",
    "kubeconfigRenewal",
] as const;

const KEY = "talos-cloud-edge:dayTwo";
const HOUR_MS = 3_600_000;

/**
 * Validates `talos-cloud-edge:dayTwo` (already JSON-decoded; undefined when unset). Returns the
 * settings with defaults applied and every problem found (empty when valid).
 */
export function parseDayTwoConfig(raw: unknown): { value: DayTwoConfig; problems: string[] } {
    const problems: string[] = [];
    const value: DayTwoConfig = { ...DAY_TWO_DEFAULTS };
    if (raw === undefined || raw === null) {
        return { value, problems };
    }
    if (typeof raw !== "object" || Array.isArray(raw)) {
        problems.push(`${KEY}: ${JSON.stringify(raw)} must be an object, e.g. \`pulumi config set --path '${KEY}.healthTimeout' 15m\``);
        return { value, problems };
    }
    const known = new Set<string>([...DURATION_KEYS, "readinessGate"]);
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        const path = `${KEY}.${k}`;
        if (!known.has(k)) {
            problems.push(`${path}: unknown key; known keys: ${[...known].join(", ")}`);
            continue;
        }
        if (k === "readinessGate") {
            if (typeof v === "boolean") value.readinessGate = v;
            else if (v === "true" || v === "false") value.readinessGate = v === "true";
            else problems.push(`${path}: ${JSON.stringify(v)} must be true or false`);
            continue;
        }
        const key = k as (typeof DURATION_KEYS)[number];
        if (typeof v !== "string" || !isGoDuration(v) || goDurationMs(path, v) === 0) {
            problems.push(`${path}: ${JSON.stringify(v)} is not a positive duration; write it like "10m", "90s" or "1h30m"`);
            continue;
        }
        if (key === "kubeconfigRenewal") {
            const ms = goDurationMs(path, v);
            if (ms < 24 * HOUR_MS || ms > 8000 * HOUR_MS) {
                problems.push(`${path}: ${JSON.stringify(v)} must be between "24h" and "8000h": the certificate lives one year (8760h), a longer window would renew it on every \`pulumi up\``);
                continue;
            }
        }
        value[key] = v;
    }
    return { value, problems };
}

/** The day-two settings of a validated stack config: its `dayTwo` when the parser set one, else the defaults. */
export function dayTwoOf(cfg: object): DayTwoConfig {
    return (cfg as { dayTwo?: DayTwoConfig }).dayTwo ?? DAY_TWO_DEFAULTS;
}
