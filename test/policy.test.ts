/**
 * Unit tests for the CrossGuard pack (policy/policies.ts). Policies are called the way the
 * analyzer server calls them: props deserialized from a protobuf Struct by the SDK's own
 * `deserializeProperties`, wrapped in `unknownCheckingProxy`, with `isType` comparing the
 * class's `__pulumiType`. policy/index.ts is never imported: its PolicyPack constructor
 * starts a gRPC server.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import type { PolicyResourceOptions, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import * as policyPack from "../policy/policies";
import { Secret } from "../policy/policies";
import * as remote from "../policy/remotePools";

// Load the policy SDK the way policy/policies.ts resolves it (policy/node_modules after
// `npm ci --prefix policy`, else the root's), so `Secret` and the proxies are the same classes.
// Its (de)serializer is internal: it is exactly what the analyzer server runs.
const policyDir = path.join(__dirname, "..", "policy");
const fromPolicyDir = (id: string) => require(require.resolve(id, { paths: [policyDir] }));
const { UnknownValueError, unknownCheckingProxy } = fromPolicyDir("@pulumi/policy") as {
    UnknownValueError: new (...args: any[]) => Error;
    unknownCheckingProxy<T>(props: T): T;
};
const policyWire = fromPolicyDir("@pulumi/policy/deserialize") as {
    deserializeProperties(struct: unknown, proxySecrets: boolean): Record<string, any>;
    serializeProperties(obj: unknown): Promise<Record<string, any>>;
};
const { Struct } = fromPolicyDir("google-protobuf/google/protobuf/struct_pb");

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const UNKNOWN_OBJECT = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff";
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A value as the engine puts a secret on the wire. */
const wireSecret = (value: unknown) => ({ [SIG_KEY]: SECRET_SIG, value });

/** Engine wire form -> what the SDK hands a policy (validate: secrets stripped; remediate: kept). */
function fromWire(props: Record<string, unknown>, proxySecrets: boolean): Record<string, any> {
    return unknownCheckingProxy(policyWire.deserializeProperties(Struct.fromJavaScript(props), proxySecrets));
}

interface RunResult {
    violations: string[];
    /** Set when the policy hit an unknown value: the server reports it as advisory. */
    advisory?: string;
    notApplicable?: string;
}

class NotApplicable extends Error {}

function resourceArgs(
    type: string,
    props: Record<string, any>,
    opts: Partial<PolicyResourceOptions> = {},
    config: object = {},
): ResourceValidationArgs {
    return {
        type,
        props,
        urn: `urn:pulumi:dev::talos-cloud-edge::${type}::test`,
        name: "test",
        opts: {
            protect: false,
            ignoreChanges: [],
            aliases: [],
            customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
            additionalSecretOutputs: [],
            ...opts,
        },
        stackTags: new Map(),
        isType: (cls: any) => cls.__pulumiType === type,
        asType: ((cls: any) => (cls.__pulumiType === type ? props : undefined)) as ResourceValidationArgs["asType"],
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
}

/** Runs a policy's validations on one resource given in engine wire form. */
async function runPolicy(
    policy: ResourceValidationPolicy,
    type: string,
    wireProps: Record<string, unknown>,
    opts: Partial<PolicyResourceOptions> = {},
    config: object = {},
): Promise<RunResult> {
    const validations = policy.validateResource
        ? Array.isArray(policy.validateResource)
            ? policy.validateResource
            : [policy.validateResource]
        : [];
    assert.ok(validations.length > 0, `${policy.name} has no validateResource`);
    const result: RunResult = { violations: [] };
    for (const validate of validations) {
        const args = resourceArgs(type, fromWire(wireProps, false), opts, config);
        try {
            await validate(args, (message) => result.violations.push(message));
        } catch (e) {
            if (e instanceof UnknownValueError) {
                result.advisory = (e as Error).message;
            } else if (e instanceof NotApplicable) {
                result.notApplicable = e.message;
            } else {
                throw e;
            }
        }
    }
    return result;
}

/** Runs a remediation like server.js does and returns the wire form it would send back. */
async function runRemediation(
    policy: ResourceValidationPolicy,
    type: string,
    wireProps: Record<string, unknown>,
): Promise<Record<string, any> | undefined> {
    assert.ok(policy.remediateResource, `${policy.name} has no remediateResource`);
    const result = await policy.remediateResource(resourceArgs(type, fromWire(wireProps, true)));
    return result ? policyWire.serializeProperties(result) : undefined;
}

async function assertPasses(policy: ResourceValidationPolicy, type: string, props: Record<string, unknown>, opts = {}, config = {}) {
    const r = await runPolicy(policy, type, props, opts, config);
    assert.deepStrictEqual(r.violations, [], `expected no violations, got: ${r.violations.join(" | ")}`);
    assert.strictEqual(r.advisory, undefined);
}

async function assertFails(
    policy: ResourceValidationPolicy,
    type: string,
    props: Record<string, unknown>,
    expected: RegExp[],
    opts = {},
    config = {},
) {
    const r = await runPolicy(policy, type, props, opts, config);
    assert.strictEqual(r.violations.length, expected.length, `violations: ${r.violations.join(" | ")}`);
    expected.forEach((re, i) => assert.match(r.violations[i], re));
}

const FIREWALL = "gcp:compute/firewall:Firewall";
const INSTANCE = "gcp:compute/instance:Instance";
const CLOUD_RUN = "gcp:cloudrunv2/service:Service";

describe("policy pack", () => {
    describe("no-world-open-admin-apis", () => {
        const p = policyPack.noWorldOpenAdminApis;
        const fw = (extra: Record<string, unknown>) => ({ network: "vpc", ...extra });

        it("passes admin ports opened only to admin and tailnet CIDRs", async () => {
            await assertPasses(p, FIREWALL, fw({
                allows: [{ protocol: "tcp", ports: ["50000", "6443"] }],
                sourceRanges: ["203.0.113.0/24", "100.64.0.0/10"],
            }));
        });

        it("passes world-open ports that are not admin APIs, UDP, tag-only sources and egress", async () => {
            await assertPasses(p, FIREWALL, fw({ allows: [{ protocol: "tcp", ports: ["443", "8000-8999"] }], sourceRanges: ["0.0.0.0/0"] }));
            await assertPasses(p, FIREWALL, fw({ allows: [{ protocol: "udp", ports: ["50000"] }], sourceRanges: ["0.0.0.0/0"] }));
            await assertPasses(p, FIREWALL, fw({ allows: [{ protocol: "tcp" }], sourceTags: ["talos"] }));
            await assertPasses(p, FIREWALL, fw({ direction: "EGRESS", allows: [{ protocol: "all" }], destinationRanges: ["0.0.0.0/0"] }));
        });

        it("fails the Kubernetes API open to 0.0.0.0/0", async () => {
            await assertFails(p, FIREWALL, fw({ allows: [{ protocol: "tcp", ports: ["6443"] }], sourceRanges: ["10.0.0.0/8", "0.0.0.0/0"] }), [
                /TCP 6443 \(Kubernetes API\) from 0\.0\.0\.0\/0/,
            ]);
        });

        it("fails a port range covering the Talos API open to ::/0", async () => {
            await assertFails(p, FIREWALL, fw({ allows: [{ protocol: "6", ports: ["49000-51000"] }], sourceRanges: ["::/0"] }), [
                /TCP 50000 \(Talos API \(apid\)\) from ::\/0/,
            ]);
        });

        it("fails protocol all, TCP without ports, and a rule with no source at all", async () => {
            await assertFails(p, FIREWALL, fw({ allows: [{ protocol: "all" }], sourceRanges: ["0.0.0.0/0"] }), [/50000/, /6443/]);
            await assertFails(p, FIREWALL, fw({ allows: [{ protocol: "TCP", ports: [] }], sourceRanges: ["0.0.0.0/0"] }), [/50000/, /6443/]);
            await assertFails(p, FIREWALL, fw({ allows: [{ protocol: "tcp", ports: ["50000"] }] }), [/GCE default 0\.0\.0\.0\/0/]);
        });

        it("defers to `up` when sourceRanges is unknown during preview", async () => {
            const r = await runPolicy(p, FIREWALL, fw({ allows: [{ protocol: "tcp", ports: ["6443"] }], sourceRanges: "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2" }));
            assert.match(r.advisory ?? "", /can't be known during preview/);
        });

        it("portSpecCovers and isWorldCidr read GCP port and CIDR syntax", () => {
            assert.ok(policyPack.portSpecCovers("6443", 6443));
            assert.ok(policyPack.portSpecCovers("6000 - 7000", 6443));
            assert.ok(!policyPack.portSpecCovers("64430", 6443));
            assert.ok(!policyPack.portSpecCovers("50001-60000", 50000));
            assert.ok(policyPack.isWorldCidr("0.0.0.0/0") && policyPack.isWorldCidr(" ::/0 "));
            assert.ok(!policyPack.isWorldCidr("0.0.0.0/1") && !policyPack.isWorldCidr("0.0.0.0"));
        });
    });

    describe("talos-machine-secrets-protected", () => {
        const p = policyPack.talosSecretsProtected;
        it("passes protected Secrets", async () => {
            await assertPasses(p, policyPack.TALOS_SECRETS_TYPE, { talosVersion: "v1.12" }, { protect: true });
        });
        it("fails unprotected Secrets", async () => {
            await assertFails(p, policyPack.TALOS_SECRETS_TYPE, { talosVersion: "v1.12" }, [/protect: true/], { protect: false });
        });
        it("does not apply to other resources", async () => {
            const r = await runPolicy(p, FIREWALL, {}, { protect: false });
            assert.deepStrictEqual(r.violations, []);
            assert.match(r.notApplicable ?? "", /talos:machine\/secrets:Secrets/);
        });
    });

    describe("secret-material-marked-secret", () => {
        const p = policyPack.secretMaterialMarkedSecret;
        const talosInstance = { machineType: "e2-standard-4", metadata: { "user-data": "version: v1alpha1\n" } };

        it("passes an instance whose metadata is a secret output", async () => {
            await assertPasses(p, INSTANCE, talosInstance, { additionalSecretOutputs: ["metadata"] });
        });
        it("fails an instance carrying user-data without additionalSecretOutputs metadata", async () => {
            await assertFails(p, INSTANCE, talosInstance, [/user-data.*lacks metadata/], { additionalSecretOutputs: ["effectiveLabels"] });
        });
        it("checks user-data presence without reading its (unknown) value", async () => {
            const unknownUserData = { metadata: { "user-data": UNKNOWN_STRING } };
            await assertFails(p, INSTANCE, unknownUserData, [/lacks metadata/]);
            await assertPasses(p, INSTANCE, unknownUserData, { additionalSecretOutputs: ["metadata"] });
        });
        it("ignores instances without user-data", async () => {
            await assertPasses(p, INSTANCE, { metadata: { "enable-oslogin": "TRUE" } });
        });
        it("passes and fails ConfigurationApply on both machine-config outputs", async () => {
            const type = policyPack.TALOS_CONFIGURATION_APPLY_TYPE;
            await assertPasses(p, type, { node: "10.1.0.10" }, {
                additionalSecretOutputs: ["clientConfigurationWo", "machineConfiguration", "machineConfigurationInput", "machineConfigurationInputWo"],
            });
            await assertFails(p, type, { node: "10.1.0.10" }, [/lacks machineConfiguration\./], {
                additionalSecretOutputs: ["machineConfigurationInput"],
            });
        });
        it("passes and fails Kubeconfig on kubeconfigRaw", async () => {
            await assertPasses(p, policyPack.TALOS_KUBECONFIG_TYPE, { node: "10.1.0.10" }, { additionalSecretOutputs: ["kubeconfigRaw"] });
            await assertFails(p, policyPack.TALOS_KUBECONFIG_TYPE, { node: "10.1.0.10" }, [/admin kubeconfig.*kubeconfigRaw/]);
        });
        it("passes and fails TailnetKey on key", async () => {
            await assertPasses(p, policyPack.TAILNET_KEY_TYPE, { expiry: 3600 }, { additionalSecretOutputs: ["key"] });
            await assertFails(p, policyPack.TAILNET_KEY_TYPE, { expiry: 3600 }, [/Tailscale auth key.*lacks key/]);
        });
        it("cannot see input secretness: the SDK strips secrets before validations run", () => {
            const props = fromWire({ metadata: wireSecret({ "user-data": "cfg" }) }, false);
            assert.deepStrictEqual(Object.getOwnPropertyDescriptor(props, "metadata")?.value, { "user-data": "cfg" });
        });
    });

    describe("seal-plaintext-secret-inputs (remediation)", () => {
        const p = policyPack.sealPlaintextSecretInputs;

        it("is a remediation, not a validation", () => {
            assert.strictEqual(p.enforcementLevel, "remediate");
            assert.strictEqual(p.validateResource, undefined);
        });
        it("seals plaintext user-data and keeps every other property as it was", async () => {
            const out = await runRemediation(p, INSTANCE, {
                machineType: "e2-standard-4",
                metadata: { "user-data": "version: v1alpha1\n", "serial-port-enable": "TRUE" },
                labels: wireSecret({ team: "edge" }),
                __defaults: [],
            });
            assert.ok(out, "expected a remediation");
            assert.deepStrictEqual(out.metadata["user-data"], wireSecret("version: v1alpha1\n"));
            assert.strictEqual(out.metadata["serial-port-enable"], "TRUE");
            assert.deepStrictEqual(out.labels, wireSecret({ team: "edge" }));
            assert.strictEqual(out.machineType, "e2-standard-4");
            assert.deepStrictEqual(out.__defaults, []);
        });
        it("leaves already-secret, unknown or absent user-data alone", async () => {
            assert.strictEqual(await runRemediation(p, INSTANCE, { metadata: { "user-data": wireSecret("cfg") } }), undefined);
            assert.strictEqual(await runRemediation(p, INSTANCE, { metadata: wireSecret({ "user-data": "cfg" }) }), undefined);
            assert.strictEqual(await runRemediation(p, INSTANCE, { metadata: { "user-data": UNKNOWN_STRING } }), undefined);
            assert.strictEqual(await runRemediation(p, INSTANCE, { metadata: UNKNOWN_OBJECT }), undefined);
            assert.strictEqual(await runRemediation(p, INSTANCE, { machineType: "e2-small" }), undefined);
        });
        it("seals a plaintext ConfigurationApply input and ignores other types", async () => {
            const out = await runRemediation(p, policyPack.TALOS_CONFIGURATION_APPLY_TYPE, { node: "n", machineConfigurationInput: "cfg" });
            assert.deepStrictEqual(out?.machineConfigurationInput, wireSecret("cfg"));
            assert.strictEqual(out?.node, "n");
            assert.strictEqual(await runRemediation(p, FIREWALL, { name: "cfg" }), undefined);
        });
        it("sealPlaintextPaths does not mutate its input", () => {
            const input = { metadata: { "user-data": "cfg" } };
            const sealed = policyPack.sealPlaintextPaths(input, [["metadata", "user-data"]]);
            assert.ok(sealed && (sealed.metadata as any)["user-data"] instanceof Secret);
            assert.strictEqual(input.metadata["user-data"], "cfg");
        });
    });

    describe("tailscale-keys-single-use-short-lived", () => {
        const p = policyPack.tailscaleKeysShortLived;
        const type = policyPack.TAILNET_KEY_TYPE;

        it("passes single-use keys within the default one-day maximum", async () => {
            await assertPasses(p, type, { reusable: false, preauthorized: true, expiry: 3600, tags: ["tag:talos-cloud"] });
            await assertPasses(p, type, { expiry: 86400 });
        });
        it("fails a reusable key", async () => {
            await assertFails(p, type, { reusable: true, expiry: 3600 }, [/reusable is true/]);
        });
        it("fails a missing, zero, negative or too long expiry", async () => {
            await assertFails(p, type, { reusable: false }, [/expiry is not set/]);
            await assertFails(p, type, { expiry: 0 }, [/expiry is 0/]);
            await assertFails(p, type, { expiry: -5 }, [/expiry is -5/]);
            await assertFails(p, type, { expiry: 86401 }, [/above the maximum of 86400/]);
            await assertFails(p, type, { reusable: true, expiry: 7776000 }, [/reusable/, /7776000/]);
        });
        it("honours maxKeyExpirySeconds from the policy config", async () => {
            await assertFails(p, type, { expiry: 7200 }, [/above the maximum of 3600/], {}, { maxKeyExpirySeconds: 3600 });
            await assertPasses(p, type, { expiry: 3600 }, {}, { maxKeyExpirySeconds: 3600 });
            assert.strictEqual((p.configSchema?.properties.maxKeyExpirySeconds as any).default, 86400);
        });
    });

    const secretRef = (secret: string) => ({ secretKeyRef: { secret, version: "1" } });
    const bootService = (envs: unknown[], labels: Record<string, string> = { "talos-cloud-edge-role": "boot-service" }) => ({
        location: "europe-west4",
        labels,
        template: { containers: [{ name: "boot", image: "scratch", envs }] },
    });
    const goodEnvs = [
        { name: "BOOT_SETTINGS", value: "{\"sites\":[]}" },
        { name: "TS_OAUTH_CLIENT_ID", value: "k123CNTRL" },
        { name: "BOOT_BASE_CONFIG", valueSource: secretRef("boot-base-config") },
        { name: "BOOT_SITE_TOKENS", valueSource: secretRef("boot-site-tokens") },
        { name: "TS_OAUTH_CLIENT_SECRET", valueSource: secretRef("ts-oauth") },
    ];

    describe("cloud-run-secrets-from-secret-manager", () => {
        const p = policyPack.cloudRunSecretsFromSecretManager;

        it("passes secrets read from Secret Manager next to non-secret literals", async () => {
            await assertPasses(p, CLOUD_RUN, bootService(goodEnvs));
        });
        it("fails the worker config as a literal env value", async () => {
            await assertFails(p, CLOUD_RUN, bootService([...goodEnvs.slice(0, 2), { name: "BOOT_BASE_CONFIG", value: "version: v1alpha1" }]), [
                /BOOT_BASE_CONFIG \(container boot\)/,
            ]);
        });
        it("fails a literal next to a secret reference, and names matching the secret pattern", async () => {
            await assertFails(p, CLOUD_RUN, bootService([
                { name: "HEADSCALE_API_KEY", value: "x", valueSource: secretRef("hs") },
                { name: "BOOT_DATABASE_URL", value: "postgres://u:p@db/boot" },
                { name: "EXTRA_password", value: "hunter2" },
            ]), [/HEADSCALE_API_KEY/, /BOOT_DATABASE_URL/, /EXTRA_password/]);
        });
    });

    describe("boot-service-authenticated", () => {
        const p = policyPack.bootServiceAuthenticated;

        it("passes a labelled boot service with site tokens from Secret Manager", async () => {
            await assertPasses(p, CLOUD_RUN, bootService(goodEnvs));
        });
        it("ignores Cloud Run services that are not the boot service", async () => {
            await assertPasses(p, CLOUD_RUN, bootService([{ name: "PORT_NAME", value: "http1" }], { app: "status-page" }));
        });
        it("fails a boot service without its site tokens", async () => {
            await assertFails(p, CLOUD_RUN, bootService(goodEnvs.filter((e) => e.name !== "BOOT_SITE_TOKENS")), [/BOOT_SITE_TOKENS is not set/]);
        });
        it("fails site tokens given as a literal", async () => {
            await assertFails(p, CLOUD_RUN, bootService([{ name: "BOOT_SITE_TOKENS", value: "{\"edge-1\":\"abc\"}" }]), [/must come from Secret Manager/]);
        });
        it("fails an unlabelled service that carries the boot settings", async () => {
            await assertFails(p, CLOUD_RUN, bootService(goodEnvs, {}), [/lacks the label talos-cloud-edge-role=boot-service/]);
        });
    });

    describe("gce-shielded-vm", () => {
        const p = policyPack.gceShieldedVm;
        it("passes vTPM and integrity monitoring enabled", async () => {
            await assertPasses(p, INSTANCE, { shieldedInstanceConfig: { enableVtpm: true, enableIntegrityMonitoring: true } });
        });
        it("fails a missing shieldedInstanceConfig", async () => {
            await assertFails(p, INSTANCE, { machineType: "e2-small" }, [/shieldedInstanceConfig is not set/]);
        });
        it("fails vTPM off or integrity monitoring left implicit", async () => {
            await assertFails(p, INSTANCE, { shieldedInstanceConfig: { enableVtpm: false, enableIntegrityMonitoring: true } }, [/enableVtpm must be true/]);
            await assertFails(p, INSTANCE, { shieldedInstanceConfig: { enableVtpm: true } }, [/enableIntegrityMonitoring must be true/]);
        });
    });

    describe("the Headscale overlay and the remote pools (policy/remotePools.ts)", () => {
        const secrets = policyPack.secretMaterialMarkedSecret;

        it("require the Headscale key, the config ISO, Oracle user_data and upload PARs to be secret outputs", async () => {
            const cases: Array<[string, Record<string, unknown>, string[], RegExp]> = [
                [remote.HEADSCALE_KEY_TYPE, { hostname: "w" }, ["key", "apiKey"], /Headscale pre-auth key and API key.*lacks apiKey/],
                [remote.PROXMOX_ISO_TYPE, { fileName: "c.iso" }, ["contentBase64", "apiToken"], /machine config on the config ISO.*lacks apiToken/],
                [remote.OCI_INSTANCE_TYPE, { metadata: { user_data: "dmVyc2lvbg==" } }, ["metadata"], /metadata user_data.*lacks metadata/],
                [remote.OCI_PAR_TYPE, { accessType: "ObjectWrite" }, ["accessUri", "fullPath"], /pre-authenticated request URL.*lacks fullPath/],
            ];
            for (const [type, props, outputs, failure] of cases) {
                await assertPasses(secrets, type, props, { additionalSecretOutputs: outputs });
                await assertFails(secrets, type, props, [failure], { additionalSecretOutputs: outputs.slice(0, -1) });
            }
            await assertPasses(secrets, remote.OCI_INSTANCE_TYPE, { metadata: { ssh_authorized_keys: "ssh-ed25519 AAAA" } });
        });

        it("seal plaintext Oracle user_data and config ISO content", async () => {
            const sealed = await runRemediation(policyPack.sealPlaintextSecretInputs, remote.OCI_INSTANCE_TYPE, { shape: "VM.Standard.A1.Flex", metadata: { user_data: "cfg" } });
            assert.deepStrictEqual(sealed!.metadata.user_data, wireSecret("cfg"));
            assert.strictEqual(sealed!.shape, "VM.Standard.A1.Flex");
            const iso = await runRemediation(policyPack.sealPlaintextSecretInputs, remote.PROXMOX_ISO_TYPE, { contentBase64: "AAAA", apiToken: wireSecret("t") });
            assert.deepStrictEqual([iso!.contentBase64, iso!.apiToken], [wireSecret("AAAA"), wireSecret("t")]);
        });

        it("no-world-open-admin-apis-oci: fails world-open Talos/Kubernetes API rules, passes the rest", async () => {
            const p = remote.noWorldOpenAdminApisOnOci;
            await assertFails(p, remote.OCI_SECURITY_LIST_TYPE, {
                ingressSecurityRules: [
                    { protocol: "6", source: "0.0.0.0/0", tcpOptions: { min: 6443, max: 6443 } },
                    { protocol: "6", source: "10.0.0.0/16", tcpOptions: { min: 50000, max: 50000 } },
                    { protocol: "17", source: "0.0.0.0/0" },
                    { protocol: "all", source: "::/0" },
                ],
            }, [/TCP 6443 \(Kubernetes API\) from 0\.0\.0\.0\/0/, /TCP 50000 \(Talos API \(apid\)\) from ::\/0/, /TCP 6443 .* from ::\/0/]);
            await assertFails(p, remote.OCI_NSG_RULE_TYPE, { direction: "INGRESS", protocol: "6", source: "0.0.0.0/0", tcpOptions: { destinationPortRange: { min: 49000, max: 51000 } } }, [/TCP 50000/]);
            await assertPasses(p, remote.OCI_NSG_RULE_TYPE, { direction: "INGRESS", protocol: "6", source: "0.0.0.0/0", tcpOptions: { destinationPortRange: { min: 443, max: 443 } } });
            await assertPasses(p, remote.OCI_NSG_RULE_TYPE, { direction: "EGRESS", protocol: "all", destination: "0.0.0.0/0" });
            await assertPasses(p, INSTANCE, { ingressSecurityRules: [{ protocol: "all", source: "0.0.0.0/0" }] });
        });

        it("headscale-keys-short-lived: a tagged key within the lifetime passes; longer or untagged fails", async () => {
            const p = remote.headscaleKeysShortLived;
            await assertPasses(p, remote.HEADSCALE_KEY_TYPE, { expirySeconds: 3600, aclTags: ["tag:talos-cloud"] });
            await assertFails(p, remote.HEADSCALE_KEY_TYPE, { expirySeconds: 90 * 86400, aclTags: [] }, [/expirySeconds is 7776000, above the maximum of 86400/, /aclTags is empty/]);
            await assertFails(p, remote.HEADSCALE_KEY_TYPE, { expirySeconds: 7200, aclTags: ["tag:x"] }, [/above the maximum of 3600/], {}, { maxKeyExpirySeconds: 3600 });
        });
    });

    describe("policy/index.ts served over the analyzer gRPC protocol", function () {
        this.timeout(90000);
        const MANDATORY = 1; // pulumirpc.EnforcementLevel
        const REMEDIATE = 3;
        let probe: { name: string; version: string; supportsConfig: boolean; policies: Array<{ name: string; enforcementLevel: number }>; results: any[][] };

        before(() => {
            const requests = [
                { kind: "analyze", type: FIREWALL, props: { allows: [{ protocol: "tcp", ports: ["50000"] }], sourceRanges: ["0.0.0.0/0"] } },
                { kind: "analyze", type: FIREWALL, props: { allows: [{ protocol: "tcp", ports: ["50000"] }], sourceRanges: ["100.64.0.0/10"] } },
                { kind: "analyze", type: policyPack.TALOS_SECRETS_TYPE, props: {}, opts: { protect: true } },
                { kind: "remediate", type: INSTANCE, props: { metadata: { "user-data": "cfg" } } },
            ];
            const run = spawnSync(process.execPath, [path.join(__dirname, "fixtures", "policy-pack-probe.js")], {
                input: JSON.stringify(requests),
                encoding: "utf8",
                timeout: 60000,
            });
            assert.strictEqual(run.status, 0, `probe failed: ${run.stderr}`);
            probe = JSON.parse(run.stdout);
        });

        it("announces the pack with every policy mandatory except the remediation", () => {
            assert.strictEqual(probe.name, "talos-cloud-edge");
            assert.strictEqual(probe.version, JSON.parse(fs.readFileSync(path.join(__dirname, "..", "policy", "package.json"), "utf8")).version);
            assert.ok(probe.supportsConfig);
            assert.deepStrictEqual(
                probe.policies.map((x) => [x.name, x.enforcementLevel]),
                policyPack.policies.map((x) => [x.name, x.name === "seal-plaintext-secret-inputs" ? REMEDIATE : MANDATORY]),
            );
        });

        it("reports a world-open Talos API as a mandatory violation and passes a tailnet-only rule", () => {
            assert.strictEqual(probe.results[0].length, 1);
            assert.strictEqual(probe.results[0][0].policy, "no-world-open-admin-apis");
            assert.strictEqual(probe.results[0][0].enforcementLevel, MANDATORY);
            assert.deepStrictEqual(probe.results[1], []);
            assert.deepStrictEqual(probe.results[2], []);
        });

        it("returns plaintext user-data to the engine sealed as a secret", () => {
            assert.strictEqual(probe.results[3].length, 1);
            assert.strictEqual(probe.results[3][0].policy, "seal-plaintext-secret-inputs");
            assert.deepStrictEqual(probe.results[3][0].properties.metadata["user-data"], wireSecret("cfg"));
        });
    });

    describe("pack layout", () => {
        const dir = path.join(__dirname, "..", "policy");

        it("lists every policy once, mandatory by default, with something to run", () => {
            const names = policyPack.policies.map((x) => x.name);
            assert.strictEqual(new Set(names).size, names.length);
            assert.strictEqual(names.length, 10);
            for (const x of policyPack.policies as ResourceValidationPolicy[]) {
                assert.ok(x.validateResource || x.remediateResource, `${x.name} does nothing`);
                assert.ok([undefined, "mandatory", "remediate"].includes(x.enforcementLevel), `${x.name}: ${x.enforcementLevel}`);
            }
        });
        it("has the files the Pulumi CLI needs to load it", () => {
            assert.strictEqual(parseYaml(fs.readFileSync(path.join(dir, "PulumiPolicy.yaml"), "utf8")).runtime, "nodejs");
            const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
            assert.match(pkg.version, /^\d+\.\d+\.\d+$/, "PolicyPack's constructor throws without a package.json version");
            assert.strictEqual(pkg.dependencies["@pulumi/policy"], "1.21.0");
            assert.ok(fs.existsSync(path.join(dir, "package-lock.json")), "`npm ci --prefix policy` needs a lockfile");
            assert.match(fs.readFileSync(path.join(dir, "index.ts"), "utf8"), /new PolicyPack\("talos-cloud-edge",\s*\{\s*policies,\s*enforcementLevel: "mandatory"\s*\}\)/);
        });
    });
});
