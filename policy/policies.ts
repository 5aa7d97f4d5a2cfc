/**
 * The talos-cloud-edge CrossGuard policies: what must never ship.
 *
 * This module exports the policies and (from checks.ts) the pure helpers they use; `index.ts` builds the
 * PolicyPack (whose constructor starts the analyzer's gRPC server), so tests import this
 * file and call `validateResource` / `remediateResource` directly.
 *
 * What a policy can and cannot see (read from @pulumi/policy 1.21.0 `server.js`,
 * `deserialize.js` and the engine's `analyzer_plugin.go`):
 * - The engine sends inputs with secrets kept (`KeepSecrets: true`) to Analyze, AnalyzeStack
 *   and Remediate. The SDK then deserializes them for `validateResource` and `validateStack`
 *   with `proxySecrets = false`, i.e. secret wrappers are stripped: a validation cannot tell
 *   whether an input is secret. Only `remediateResource` receives values still wrapped in
 *   `Secret` (raw, behind a proxy that unwraps on property access).
 * - `args.opts.additionalSecretOutputs` IS visible to validations, so "this output is always
 *   stored as a secret" is checkable; "this input was passed as pulumi.secret" is not.
 * - Stack outputs (kubeconfig, talosconfig) reach `validateStack` only as the root stack
 *   resource's plain properties: their secretness is not detectable by any policy. The stack
 *   program and its unit test enforce those (`pulumi.secret`); here the Kubeconfig resource's
 *   `kubeconfigRaw` is checked instead.
 * - During preview an unknown value throws `UnknownValueError` on access; the SDK turns that into
 *   an advisory "can't run during preview" and the mandatory check runs again at `pulumi up`,
 *   when inputs are known.
 */
import * as gcp from "@pulumi/gcp";
import * as tailscale from "@pulumi/tailscale";
import {
    Policies,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Secret,
    validateResourceOfType,
} from "@pulumi/policy";
import { headscaleKeysShortLived, noWorldOpenAdminApisOnOci } from "./remotePools";
import {
    BOOT_SERVICE_ROLE_LABEL,
    BOOT_SERVICE_ROLE_VALUE,
    bootServiceProblems,
    CloudRunServiceShape,
    DEFAULT_MAX_KEY_EXPIRY_SECONDS,
    FirewallShape,
    missingSecretOutputs,
    plaintextSecretEnvs,
    SEALED_INPUT_PATHS,
    sealPlaintextPaths,
    SECRET_OUTPUT_RULES,
    shieldedVmProblems,
    SITE_TOKENS_ENV,
    TailnetKeyShape,
    tailnetKeyProblems,
    TALOS_SECRETS_TYPE,
    validateResourceOfToken,
    worldOpenAdminPorts,
} from "./checks";

// The pure helpers and constants, for tests and the pack's other modules.
export * from "./checks";


// ---------------------------------------------------------------------------------------------
// Policies.

export const noWorldOpenAdminApis: ResourceValidationPolicy = {
    name: "no-world-open-admin-apis",
    description: "Firewall rules must not open the Talos API (50000) or the Kubernetes API (6443) to 0.0.0.0/0 or ::/0.",
    remediationSteps:
        "Restrict sourceRanges to gcp.adminCidrs, or reach the APIs over the tailnet only. A deliberate " +
        "world-open admin API needs gcp.allowWorldAdmin=true AND this policy set to advisory in --policy-pack-config.",
    validateResource: validateResourceOfType(gcp.compute.Firewall, (fw, _args, reportViolation) => {
        for (const open of worldOpenAdminPorts(fw as FirewallShape)) {
            reportViolation(
                `Firewall allows TCP ${open.port} (${open.name}) from ${open.source}. Restrict sourceRanges to ` +
                    `the admin CIDRs (gcp.adminCidrs) or use the tailnet; world access needs gcp.allowWorldAdmin ` +
                    `and this policy downgraded to advisory.`,
            );
        }
    }),
};

export const talosSecretsProtected: ResourceValidationPolicy = {
    name: "talos-machine-secrets-protected",
    description: "talos.machine.Secrets (the cluster PKI and bootstrap token) must be created with protect: true.",
    validateResource: validateResourceOfToken(TALOS_SECRETS_TYPE, (args, reportViolation) => {
        if (args.opts.protect !== true) {
            reportViolation(
                "talos.machine.Secrets is not protected. Deleting or replacing it generates a new cluster CA and " +
                    "bootstrap token, and every existing node stops trusting the cluster. Create it with { protect: true }.",
            );
        }
    }),
};

export const secretMaterialMarkedSecret: ResourceValidationPolicy = {
    name: "secret-material-marked-secret",
    description:
        "Machine configs, kubeconfigs and Tailscale auth keys must be listed in additionalSecretOutputs so state never holds them in plaintext.",
    validateResource: (args, reportViolation) => {
        for (const rule of SECRET_OUTPUT_RULES) {
            if (rule.type !== args.type || (rule.appliesTo && !rule.appliesTo(args.props))) {
                continue;
            }
            const missing = missingSecretOutputs(rule, args.opts.additionalSecretOutputs ?? []);
            if (missing.length > 0) {
                reportViolation(
                    `${args.type} holds ${rule.what} but additionalSecretOutputs lacks ${missing.join(", ")}. ` +
                        `Add { additionalSecretOutputs: [${rule.outputs.map((o) => `"${o}"`).join(", ")}] } and pass the value through pulumi.secret().`,
                );
            }
        }
    },
};

export const sealPlaintextSecretInputs: ResourceValidationPolicy = {
    name: "seal-plaintext-secret-inputs",
    description:
        "Wraps a machine config passed as a plaintext input (GCE user-data, ConfigurationApply input) in a secret before it reaches state.",
    // A validation cannot see input secretness (see the header); a remediation can, and can fix it.
    enforcementLevel: "remediate",
    remediateResource: (args: ResourceValidationArgs) => {
        const paths = SEALED_INPUT_PATHS[args.type];
        return paths ? sealPlaintextPaths(args.props, paths) : undefined;
    },
};

export const tailscaleKeysShortLived: ResourceValidationPolicy = {
    name: "tailscale-keys-single-use-short-lived",
    description: "Tailscale auth keys must be single-use and expire within maxKeyExpirySeconds (default one day).",
    configSchema: {
        properties: {
            maxKeyExpirySeconds: {
                type: "integer",
                minimum: 1,
                default: DEFAULT_MAX_KEY_EXPIRY_SECONDS,
                description: "Longest allowed TailnetKey expiry, in seconds.",
            },
        },
    },
    validateResource: validateResourceOfType(tailscale.TailnetKey, (key, args, reportViolation) => {
        const max = args.getConfig<{ maxKeyExpirySeconds?: number }>().maxKeyExpirySeconds ?? DEFAULT_MAX_KEY_EXPIRY_SECONDS;
        for (const problem of tailnetKeyProblems(key as TailnetKeyShape, max)) {
            reportViolation(`Tailscale auth key: ${problem}.`);
        }
    }),
};

export const cloudRunSecretsFromSecretManager: ResourceValidationPolicy = {
    name: "cloud-run-secrets-from-secret-manager",
    description:
        "Cloud Run env vars that carry secrets (BOOT_BASE_CONFIG, BOOT_SITE_TOKENS, TS_OAUTH_CLIENT_SECRET, HEADSCALE_API_KEY, BOOT_STATIC_KEYS, BOOT_DATABASE_URL, /SECRET|TOKEN|KEY|PASSWORD/) must come from Secret Manager.",
    validateResource: validateResourceOfType(gcp.cloudrunv2.Service, (svc, _args, reportViolation) => {
        for (const env of plaintextSecretEnvs(svc as CloudRunServiceShape)) {
            reportViolation(
                `Cloud Run env ${env} is not read from Secret Manager: a literal value is visible to anyone with ` +
                    `run.services.get and is kept in every revision. Use valueSource.secretKeyRef and no value.`,
            );
        }
    }),
};

export const bootServiceAuthenticated: ResourceValidationPolicy = {
    name: "boot-service-authenticated",
    description: `The boot service (Cloud Run Service labelled ${BOOT_SERVICE_ROLE_LABEL}=${BOOT_SERVICE_ROLE_VALUE}) must have its site tokens (${SITE_TOKENS_ENV}) from Secret Manager.`,
    validateResource: validateResourceOfType(gcp.cloudrunv2.Service, (svc, _args, reportViolation) => {
        for (const problem of bootServiceProblems(svc as CloudRunServiceShape)) {
            reportViolation(`Boot service: ${problem}.`);
        }
    }),
};

export const gceShieldedVm: ResourceValidationPolicy = {
    name: "gce-shielded-vm",
    description: "GCE instances must run as Shielded VMs with vTPM and integrity monitoring enabled.",
    validateResource: validateResourceOfType(gcp.compute.Instance, (instance, _args, reportViolation) => {
        const problems = shieldedVmProblems(instance.shieldedInstanceConfig);
        if (problems.length > 0) {
            reportViolation(
                `GCE instance is not a Shielded VM: ${problems.join("; ")}. Set shieldedInstanceConfig ` +
                    `{ enableVtpm: true, enableIntegrityMonitoring: true } (the image needs guestOsFeatures UEFI_COMPATIBLE).`,
            );
        }
    }),
};

/** Every policy of the pack, in the order the report lists them. */
export const policies: Policies = [
    noWorldOpenAdminApis,
    talosSecretsProtected,
    secretMaterialMarkedSecret,
    sealPlaintextSecretInputs,
    tailscaleKeysShortLived,
    cloudRunSecretsFromSecretManager,
    bootServiceAuthenticated,
    gceShieldedVm,
    noWorldOpenAdminApisOnOci,
    headscaleKeysShortLived,
];

// Re-exported so tests build `Secret` values with the same class the policies check against.
export { Secret };
