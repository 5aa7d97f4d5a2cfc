/**
 * What the CrossGuard policies (policies.ts) check, as pure functions and the constants they
 * read: firewall shapes, Cloud Run env, tailnet keys, secret outputs and the remediation that
 * seals plaintext secret inputs. Tests call them directly; policies.ts re-exports them.
 */
import { ResourceValidation, Secret } from "@pulumi/policy";
import { REMOTE_SEALED_INPUT_PATHS, REMOTE_SECRET_OUTPUT_RULES } from "./remotePools";

// ---------------------------------------------------------------------------------------------
// Type tokens of resources whose SDK is not an npm dependency of the pack (the Talos SDK is
// built from sdks/talos in this repository), so policies match them by token.

export const TALOS_SECRETS_TYPE = "talos:machine/secrets:Secrets";
export const TALOS_CONFIGURATION_APPLY_TYPE = "talos:machine/configurationApply:ConfigurationApply";
export const TALOS_KUBECONFIG_TYPE = "talos:cluster/kubeconfig:Kubeconfig";
export const GCE_INSTANCE_TYPE = "gcp:compute/instance:Instance";
export const TAILNET_KEY_TYPE = "tailscale:index/tailnetKey:TailnetKey";

/** Label the boot service's Cloud Run Service must carry so these policies can find it. */
export const BOOT_SERVICE_ROLE_LABEL = "talos-cloud-edge-role";
export const BOOT_SERVICE_ROLE_VALUE = "boot-service";

/** TCP ports that must never be reachable from the whole internet. */
export const ADMIN_API_PORTS: ReadonlyArray<{ port: number; name: string }> = [
    { port: 50000, name: "Talos API (apid)" },
    { port: 6443, name: "Kubernetes API" },
];

/** Default for the `maxKeyExpirySeconds` policy setting: one day. */
export const DEFAULT_MAX_KEY_EXPIRY_SECONDS = 86400;

/** Boot-service env vars that hold secrets (infra/boot-server/src/settings.ts). */
export const KNOWN_SECRET_ENV_NAMES: readonly string[] = [
    "BOOT_BASE_CONFIG",
    "BOOT_SITE_TOKENS",
    "TS_OAUTH_CLIENT_SECRET",
    "HEADSCALE_API_KEY",
    "BOOT_STATIC_KEYS",
    "BOOT_DATABASE_URL",
];
/** Any other env var whose name says it carries a credential. */
export const SECRET_ENV_NAME_PATTERN = /SECRET|TOKEN|KEY|PASSWORD/i;

/** The env var holding the per-site DHCP tokens: the boot service's authentication setting. */
export const SITE_TOKENS_ENV = "BOOT_SITE_TOKENS";
/** The env var that only the boot service has (its non-secret settings). */
export const BOOT_SETTINGS_ENV = "BOOT_SETTINGS";

// ---------------------------------------------------------------------------------------------
// Pure helpers (exported for tests).

/** A ResourceValidation that runs `validate` only for resources of type `token`. */
export function validateResourceOfToken(token: string, validate: ResourceValidation): ResourceValidation {
    return (args, reportViolation) => {
        if (args.type !== token) {
            return args.notApplicable(`Policy only applies to resources of type '${token}'`);
        }
        return validate(args, reportViolation);
    };
}

/** True for a CIDR (or bare address) that covers every IPv4 or every IPv6 address. */
export function isWorldCidr(cidr: string): boolean {
    const text = cidr.trim();
    const slash = text.lastIndexOf("/");
    if (slash < 0) {
        return false;
    }
    return Number(text.slice(slash + 1)) === 0;
}

/** True when a GCP firewall port entry ("6443", "6000-7000") includes `port`. */
export function portSpecCovers(spec: string | number, port: number): boolean {
    const text = String(spec).trim();
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(text);
    if (range) {
        return Number(range[1]) <= port && port <= Number(range[2]);
    }
    return /^\d+$/.test(text) && Number(text) === port;
}

/** A firewall `allows` entry. */
export interface FirewallAllowEntry {
    protocol: string;
    ports?: Array<string | number>;
}

/** True when an allow entry admits TCP to `port` ("tcp"/"6"/"all"; no ports = every port). */
export function allowCoversTcpPort(allow: FirewallAllowEntry, port: number): boolean {
    const protocol = String(allow.protocol).trim().toLowerCase();
    if (protocol === "all") {
        return true;
    }
    if (protocol !== "tcp" && protocol !== "6") {
        return false;
    }
    const ports = allow.ports ?? [];
    return ports.length === 0 || ports.some((spec) => portSpecCovers(spec, port));
}

/** The firewall inputs the world-open check reads. */
export interface FirewallShape {
    direction?: string;
    allows?: FirewallAllowEntry[];
    sourceRanges?: string[];
    sourceTags?: string[];
    sourceServiceAccounts?: string[];
}

/**
 * The admin ports an INGRESS rule opens to the whole internet. A rule with no source at all
 * counts as world-open: that is the GCE API's default for ingress rules.
 */
export function worldOpenAdminPorts(fw: FirewallShape): Array<{ port: number; name: string; source: string }> {
    if ((fw.direction ?? "INGRESS").toUpperCase() !== "INGRESS") {
        return [];
    }
    const ranges = fw.sourceRanges ?? [];
    const hasOtherSource = (fw.sourceTags ?? []).length > 0 || (fw.sourceServiceAccounts ?? []).length > 0;
    const worldRange = ranges.find(isWorldCidr);
    const source = worldRange ?? (ranges.length === 0 && !hasOtherSource ? "no source (GCE default 0.0.0.0/0)" : undefined);
    if (source === undefined) {
        return [];
    }
    const allows = fw.allows ?? [];
    return ADMIN_API_PORTS.filter(({ port }) => allows.some((allow) => allowCoversTcpPort(allow, port))).map(
        (p) => ({ ...p, source }),
    );
}

/** True when an env var name denotes a secret. */
export function isSecretEnvName(name: string): boolean {
    return KNOWN_SECRET_ENV_NAMES.includes(name) || SECRET_ENV_NAME_PATTERN.test(name);
}

/** A Cloud Run v2 container env entry. */
export interface CloudRunEnv {
    name: string;
    value?: string;
    valueSource?: { secretKeyRef?: { secret?: string; version?: string } };
}

/** True when the env var is read from Secret Manager and carries no literal value. */
export function envUsesSecretManager(env: CloudRunEnv): boolean {
    const hasLiteral = env.value !== undefined && env.value !== null && env.value !== "";
    return !hasLiteral && Boolean(env.valueSource?.secretKeyRef?.secret);
}

/** The Cloud Run v2 service inputs the boot-service checks read. */
export interface CloudRunServiceShape {
    labels?: Record<string, string>;
    template?: { containers?: Array<{ name?: string; envs?: CloudRunEnv[] }> };
}

function containerEnvs(svc: CloudRunServiceShape): Array<{ container: string; env: CloudRunEnv }> {
    return (svc.template?.containers ?? []).flatMap((c, i) =>
        (c.envs ?? []).map((env) => ({ container: c.name ?? `#${i}`, env })),
    );
}

/** Names of secret-ish env vars that carry a literal value or no Secret Manager reference. */
export function plaintextSecretEnvs(svc: CloudRunServiceShape): string[] {
    return containerEnvs(svc)
        .filter(({ env }) => isSecretEnvName(env.name) && !envUsesSecretManager(env))
        .map(({ container, env }) => `${env.name} (container ${container})`);
}

/** Problems that make a boot-service definition unauthenticated or unfindable. */
export function bootServiceProblems(svc: CloudRunServiceShape): string[] {
    const labelled = svc.labels?.[BOOT_SERVICE_ROLE_LABEL] === BOOT_SERVICE_ROLE_VALUE;
    const envs = containerEnvs(svc).map(({ env }) => env);
    const looksLikeBootService = envs.some((e) => e.name === BOOT_SETTINGS_ENV || e.name === SITE_TOKENS_ENV);
    if (!labelled && !looksLikeBootService) {
        return [];
    }
    const problems: string[] = [];
    if (!labelled) {
        problems.push(
            `it sets ${BOOT_SETTINGS_ENV}/${SITE_TOKENS_ENV} but lacks the label ` +
                `${BOOT_SERVICE_ROLE_LABEL}=${BOOT_SERVICE_ROLE_VALUE}; add it so the boot-service policies apply`,
        );
    }
    const siteTokens = envs.filter((e) => e.name === SITE_TOKENS_ENV);
    if (siteTokens.length === 0) {
        problems.push(
            `${SITE_TOKENS_ENV} is not set: without site tokens every caller on the internet could ask for ` +
                `boot scripts and worker configs; set it from Secret Manager (valueSource.secretKeyRef)`,
        );
    } else if (!siteTokens.every(envUsesSecretManager)) {
        problems.push(`${SITE_TOKENS_ENV} must come from Secret Manager (valueSource.secretKeyRef), not a literal value`);
    }
    return problems;
}

/** Problems with a GCE instance's Shielded VM settings. */
export function shieldedVmProblems(cfg: { enableVtpm?: boolean; enableIntegrityMonitoring?: boolean } | undefined): string[] {
    if (!cfg) {
        return ["shieldedInstanceConfig is not set"];
    }
    const problems: string[] = [];
    if (cfg.enableVtpm !== true) {
        problems.push("shieldedInstanceConfig.enableVtpm must be true");
    }
    if (cfg.enableIntegrityMonitoring !== true) {
        problems.push("shieldedInstanceConfig.enableIntegrityMonitoring must be true");
    }
    return problems;
}

/** The TailnetKey inputs the key policy reads. */
export interface TailnetKeyShape {
    reusable?: boolean;
    expiry?: number;
}

/** Problems with a Tailscale auth key's lifetime and reuse. */
export function tailnetKeyProblems(key: TailnetKeyShape, maxExpirySeconds: number): string[] {
    const problems: string[] = [];
    if (key.reusable === true) {
        problems.push("reusable is true: a leaked reusable key enrolls any number of machines; create one single-use key per node");
    }
    if (key.expiry === undefined || key.expiry === null) {
        problems.push(`expiry is not set (the API default is 90 days); set it to at most ${maxExpirySeconds} seconds`);
    } else if (!(key.expiry > 0)) {
        problems.push(`expiry is ${key.expiry}; it must be a positive number of seconds (0 means the 90-day default)`);
    } else if (key.expiry > maxExpirySeconds) {
        problems.push(`expiry is ${key.expiry} seconds, above the maximum of ${maxExpirySeconds}`);
    }
    return problems;
}

/** Which outputs must always be stored as secrets, per resource type. */
export interface SecretOutputRule {
    /** Resource type token. */
    type: string;
    /** What the secret is, for the message. */
    what: string;
    /** Names that must appear in `additionalSecretOutputs`. */
    outputs: string[];
    /** Whether the rule applies to these inputs (default: always). */
    appliesTo?: (props: Record<string, any>) => boolean;
}

export const SECRET_OUTPUT_RULES: readonly SecretOutputRule[] = [
    {
        type: GCE_INSTANCE_TYPE,
        what: "the Talos machine config in metadata user-data",
        outputs: ["metadata"],
        // `in` does not read the value, so an unknown user-data (preview) does not abort the check.
        appliesTo: (props) => props.metadata !== undefined && props.metadata !== null && "user-data" in props.metadata,
    },
    {
        type: TALOS_CONFIGURATION_APPLY_TYPE,
        what: "the machine configuration",
        outputs: ["machineConfigurationInput", "machineConfiguration"],
    },
    { type: TALOS_KUBECONFIG_TYPE, what: "the admin kubeconfig", outputs: ["kubeconfigRaw"] },
    { type: TAILNET_KEY_TYPE, what: "the Tailscale auth key", outputs: ["key"] },
    // Headscale keys, the Proxmox config ISO, Oracle user_data and upload PARs (policy/remotePools.ts).
    ...REMOTE_SECRET_OUTPUT_RULES,
];

/** Outputs a rule requires that `additionalSecretOutputs` does not list. */
export function missingSecretOutputs(rule: SecretOutputRule, additionalSecretOutputs: readonly string[]): string[] {
    return rule.outputs.filter((o) => !additionalSecretOutputs.includes(o));
}

/**
 * Inputs that must be stored as secrets, as property paths. The remediation seals the first
 * plaintext value on each path (a secret anywhere on the path already covers the leaf).
 */
export const SEALED_INPUT_PATHS: Readonly<Record<string, ReadonlyArray<readonly string[]>>> = {
    [GCE_INSTANCE_TYPE]: [["metadata", "user-data"]],
    [TALOS_CONFIGURATION_APPLY_TYPE]: [["machineConfigurationInput"]],
    ...REMOTE_SEALED_INPUT_PATHS,
};

// The RPC "unknown" sentinels (@pulumi/policy proxy.js, @internal there): values computed later.
const UNKNOWN_SENTINELS = new Set([
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58",
    "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

/**
 * The raw stored value of `obj[key]`. The SDK's proxies have only get/set traps, so a property
 * descriptor comes from the underlying object: `Secret` wrappers and unknown sentinels intact.
 */
function rawProperty(obj: unknown, key: string): unknown {
    if (obj === null || typeof obj !== "object") {
        return undefined;
    }
    return Object.getOwnPropertyDescriptor(obj, key)?.value;
}

/** A plain copy of an object's own properties with raw values (no proxies, secrets kept). */
function rawCopy(obj: object): Record<string, unknown> {
    return Object.fromEntries(Object.keys(obj).map((k) => [k, rawProperty(obj, k)]));
}

/**
 * Remediation core: `props` with plaintext values on `paths` wrapped in `Secret`, or
 * undefined when every path is absent, unknown or already secret.
 */
export function sealPlaintextPaths(
    props: Record<string, unknown>,
    paths: ReadonlyArray<readonly string[]>,
): Record<string, unknown> | undefined {
    let changed = false;
    const seal = (obj: object, path: readonly string[]): object => {
        const [head, ...rest] = path;
        const value = rawProperty(obj, head);
        if (value === undefined || value === null || value instanceof Secret) {
            return obj;
        }
        if (typeof value === "string" && UNKNOWN_SENTINELS.has(value)) {
            return obj;
        }
        if (rest.length === 0) {
            changed = true;
            return { ...rawCopy(obj), [head]: new Secret(value) };
        }
        if (typeof value !== "object") {
            return obj;
        }
        const sealedChild = seal(value, rest);
        return sealedChild === value ? obj : { ...rawCopy(obj), [head]: sealedChild };
    };
    let result: object = props;
    for (const path of paths) {
        result = seal(result, path);
    }
    return changed ? (result as Record<string, unknown>) : undefined;
}
