/**
 * Day-two settings (stack config key `talos-cloud-edge:dayTwo`): the bounds of every upgrade,
 * removal and health wait, and the renewal window of the admin kubeconfig. Every field has a
 * default, so a stack without the key gets exactly `DAY_TWO_DEFAULTS`.
 */
import { goDuration } from "./checks";
import { goDurationMs } from "./durations";
import { Problems } from "./problems";
import { asObject, bool, checkKeys, str } from "./readers";

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

const HOUR_MS = 3_600_000;

const kubeconfigRenewal = (s: string): string | undefined => {
    const problem = goDuration(s);
    if (problem) return problem;
    const ms = goDurationMs("kubeconfigRenewal", s);
    return ms < 24 * HOUR_MS || ms > 8000 * HOUR_MS
        ? 'is outside "24h".."8000h": the certificate lives one year (8760h), a longer window would renew it on every `pulumi up`'
        : undefined;
};

/** Reads `dayTwo` (JSON-decoded; undefined when unset) into `p`; returns the settings with defaults, or undefined when invalid. */
export function parseDayTwo(p: Problems, raw: unknown, path: string): DayTwoConfig | undefined {
    if (raw === undefined || raw === null) {
        return { ...DAY_TWO_DEFAULTS };
    }
    const o = asObject(p, path, raw, `write it as a mapping, e.g. \`pulumi config set --path '${path}.healthTimeout' 15m\``);
    if (!o) return undefined;
    const before = p.count;
    checkKeys(p, path, o, [...DURATION_KEYS, "readinessGate"]);
    const value: DayTwoConfig = { ...DAY_TWO_DEFAULTS };
    for (const key of DURATION_KEYS) {
        const v = str(p, o, path, key, { check: key === "kubeconfigRenewal" ? kubeconfigRenewal : goDuration });
        if (v !== undefined) value[key] = v;
    }
    value.readinessGate = bool(p, o, path, "readinessGate", DAY_TWO_DEFAULTS.readinessGate) ?? DAY_TWO_DEFAULTS.readinessGate;
    return p.count > before ? undefined : value;
}

/** The same check on its own: the settings (defaults where invalid) and one line per problem. */
export function parseDayTwoConfig(raw: unknown, path = "talos-cloud-edge:dayTwo"): { value: DayTwoConfig; problems: string[] } {
    const p = new Problems();
    const value = parseDayTwo(p, raw, path);
    return { value: value ?? { ...DAY_TWO_DEFAULTS }, problems: p.list };
}

/** The day-two settings of a validated stack config: its `dayTwo` when the parser set one, else the defaults. */
export function dayTwoOf(cfg: object): DayTwoConfig {
    return (cfg as { dayTwo?: DayTwoConfig }).dayTwo ?? DAY_TWO_DEFAULTS;
}
