/**
 * Shared Pulumi mock harness. `test/setup.ts` installs it once for the whole mocha run
 * (setMocks is process-global); suites call `resetRegistrations()` in `beforeEach`,
 * build components directly, then look children up by type and name.
 *
 * Computed outputs are modelled on what the real providers return, so that wiring
 * (an image's selfLink into an instance, a schematic id into getUrls) is exercised.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";

export interface Registered {
    type: string;
    name: string;
    /** Inputs with RPC secret wrappers removed. */
    inputs: Record<string, any>;
    /** Inputs exactly as the engine received them (secret sentinels intact). */
    rawInputs: Record<string, any>;
    provider?: string;
    custom: boolean;
    urn: string;
}

export interface RecordedInvoke {
    token: string;
    inputs: Record<string, any>;
    provider?: string;
}

export const registered: Registered[] = [];
export const invokes: RecordedInvoke[] = [];

export function resetRegistrations(): void {
    registered.length = 0;
    invokes.length = 0;
    engineRegistrations.length = 0;
}

const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

/** Deep-unwraps the RPC secret sentinel the mock monitor passes for secret inputs. */
export function unwrapSecrets(v: any): any {
    if (pulumi.runtime.isRpcSecret(v)) {
        return unwrapSecrets(pulumi.runtime.unwrapRpcSecret(v));
    }
    if (pulumi.asset.Asset.isInstance(v) || pulumi.asset.Archive.isInstance(v)) {
        // Assets keep their class: their contents (`text`, `path`) are Promises.
        return v;
    }
    if (Array.isArray(v)) {
        return v.map(unwrapSecrets);
    }
    if (v && typeof v === "object") {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
    }
    return v;
}

/** True when the raw input at `key` reached the engine marked secret. */
export function inputIsSecret(res: Registered, key: string): boolean {
    return pulumi.runtime.isRpcSecret(res.rawInputs[key]);
}

/** A stable documentation-range address for a resource name (RFC 5737 203.0.113.0/24). */
export function fakePublicIp(name: string): string {
    return `203.0.113.${(parseInt(sha256(name).slice(0, 4), 16) % 250) + 2}`;
}

export function fakePrivateIp(name: string): string {
    return `10.1.0.${(parseInt(sha256(name).slice(4, 8), 16) % 240) + 10}`;
}

/** A stable tailnet (100.64.0.0/10) address for a device hostname. */
export function fakeTailnetIp(hostname: string): string {
    const h = parseInt(sha256(hostname).slice(0, 6), 16);
    return `100.${64 + (h % 64)}.${(h >> 6) % 256}.${((h >> 14) % 250) + 2}`;
}

type StateFn = (name: string, inputs: Record<string, any>) => Record<string, any>;

/** The key id the mock Headscale key resource `name` gets (a test registers nodes in the fake Headscale with it). */
export function mockHeadscaleKeyId(name: string): string {
    return String(parseInt(sha256(name).slice(0, 8), 16));
}

/** A real client certificate (base64 of PEM, as the Talos provider returns it) from test/fixtures/day-two. */
export function fixtureCertificate(name: "talos-admin" | "kubernetes-admin"): string {
    return fs.readFileSync(path.join(__dirname, "fixtures", "day-two", `${name}.crt`)).toString("base64");
}

/** Computed outputs per resource type, merged over the echoed inputs. Add entries as needed. */
export const computedOutputs: Record<string, StateFn> = {
    "talos:machine/secrets:Secrets": (name) => ({
        machineSecrets: {
            certs: {
                etcd: { cert: `etcd-ca-${name}`, key: "etcd-key" },
                k8s: { cert: `k8s-ca-${name}`, key: "k8s-key" },
                k8sAggregator: { cert: "agg-ca", key: "agg-key" },
                k8sServiceaccount: { key: "sa-key" },
                os: { cert: `os-ca-${name}`, key: "os-key" },
            },
            cluster: { id: `cluster-id-${name}`, secret: "cluster-secret" },
            secrets: { bootstrapToken: "abcdef.0123456789abcdef", secretboxEncryptionSecret: "secretbox" },
            trustdinfo: { token: "trustd.token" },
        },
        clientConfiguration: { caCertificate: "os-ca", clientCertificate: fixtureCertificate("talos-admin"), clientKey: "admin-key" },
    }),
    "talos:imageFactory/schematic:Schematic": () => ({}),
    "talos:machine/configurationApply:ConfigurationApply": (_n, inputs) => ({
        machineConfiguration: inputs.machineConfigurationInput,
        machineConfigurationHash: sha256(String(inputs.machineConfigurationInput ?? "")),
        endpoint: inputs.endpoint ?? inputs.node,
        resolvedApplyMode: inputs.applyMode ?? "auto",
    }),
    "talos:machine/bootstrap:Bootstrap": (_n, inputs) => ({ endpoint: inputs.endpoint ?? inputs.node }),
    "talos:cluster/kubeconfig:Kubeconfig": (name, inputs) => ({
        kubeconfigRaw: `apiVersion: v1\nkind: Config\nclusters:\n- name: ${name}\n  cluster:\n    server: https://${inputs.endpoint ?? inputs.node}:6443\n`,
        kubernetesClientConfiguration: {
            caCertificate: "k8s-ca",
            clientCertificate: fixtureCertificate("kubernetes-admin"),
            clientKey: "k8s-admin-key",
            host: `https://${inputs.endpoint ?? inputs.node}:6443`,
        },
        certificateRenewalDuration: inputs.certificateRenewalDuration ?? "720h",
    }),
    "gcp:compute/network:Network": (name) => ({ selfLink: `https://www.googleapis.com/compute/v1/projects/p/global/networks/${name}` }),
    "gcp:compute/subnetwork:Subnetwork": (name) => ({ selfLink: `https://www.googleapis.com/compute/v1/projects/p/regions/r/subnetworks/${name}` }),
    "gcp:compute/address:Address": (name, inputs) => ({ address: inputs.address ?? fakePublicIp(name) }),
    "gcp:compute/image:Image": (name, inputs) => ({
        name: inputs.name ?? name,
        selfLink: `https://www.googleapis.com/compute/v1/projects/p/global/images/${inputs.name ?? name}`,
    }),
    "gcp:compute/instance:Instance": (name, inputs) => ({
        name: inputs.name ?? name,
        selfLink: `https://www.googleapis.com/compute/v1/projects/p/zones/z/instances/${inputs.name ?? name}`,
        instanceId: sha256(name).slice(0, 16),
        networkInterfaces: (inputs.networkInterfaces ?? []).map((nic: any, i: number) => ({
            ...nic,
            networkIp: nic.networkIp ?? fakePrivateIp(`${name}-${i}`),
            accessConfigs: (nic.accessConfigs ?? []).map((ac: any) => ({ ...ac, natIp: ac.natIp ?? fakePublicIp(name) })),
        })),
    }),
    "gcp:storage/bucket:Bucket": (name, inputs) => ({ name: inputs.name ?? `${name}-bucket`, url: `gs://${inputs.name ?? name}` }),
    "gcp:storage/bucketObject:BucketObject": (name, inputs) => ({
        outputName: inputs.name ?? name,
        selfLink: `https://www.googleapis.com/storage/v1/b/${inputs.bucket}/o/${inputs.name ?? name}`,
        mediaLink: `https://storage.googleapis.com/download/storage/v1/b/${inputs.bucket}/o/${inputs.name ?? name}?alt=media`,
        generation: "1700000000000000",
        md5hash: "bW9jaw==",
    }),
    "gcp:serviceaccount/account:Account": (_n, inputs) => ({
        email: `${inputs.accountId}@${inputs.project ?? "my-project"}.iam.gserviceaccount.com`,
        member: `serviceAccount:${inputs.accountId}@${inputs.project ?? "my-project"}.iam.gserviceaccount.com`,
    }),
    "gcp:secretmanager/secret:Secret": (name, inputs) => ({
        name: `projects/123/secrets/${inputs.secretId ?? name}`,
    }),
    "gcp:secretmanager/secretVersion:SecretVersion": (name) => ({
        version: "1",
        name: `projects/123/secrets/${name}/versions/1`,
    }),
    "gcp:cloudrunv2/service:Service": (name, inputs) => ({
        uri: `https://${inputs.name ?? name}-abc123xyz-ew.a.run.app`,
        urls: [`https://${inputs.name ?? name}-abc123xyz-ew.a.run.app`],
        latestReadyRevision: `${inputs.name ?? name}-00001-abc`,
    }),
    "gcp:sql/databaseInstance:DatabaseInstance": (name) => ({
        connectionName: `my-project:europe-west4:${name}`,
        privateIpAddress: "10.10.0.3",
        publicIpAddress: "",
    }),
    "tailscale:index/tailnetKey:TailnetKey": (name, inputs) => ({
        key: `tskey-auth-mock-${sha256(name).slice(0, 12)}`,
        expiresAt: "2026-11-21T12:00:00Z",
        invalid: false,
        recreateIfInvalid: inputs.recreateIfInvalid ?? (inputs.reusable ? "always" : "never"),
    }),
    "random:index/randomPassword:RandomPassword": (name, inputs) => ({
        result: sha256(`password-${name}`).slice(0, inputs.length ?? 32),
    }),
    "random:index/randomId:RandomId": (name) => ({ hex: sha256(name).slice(0, 8), b64Url: sha256(name).slice(0, 11) }),
    "random:index/randomUuid:RandomUuid": (name) => {
        const h = sha256(`uuid-${name}`);
        return { result: `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`.toUpperCase() };
    },
    "command:remote:Command": () => ({ stdout: "", stderr: "" }),
    // Dynamic resources of this program (their providers are tested against local fakes).
    "pulumi-nodejs:dynamic/talos-cloud-edge:HeadscalePreAuthKey": (name) => ({
        keyId: mockHeadscaleKeyId(name),
        key: `hskey-auth-mock-${sha256(name).slice(0, 24)}`,
        expiration: "2026-11-21T12:00:00Z",
    }),
    "pulumi-nodejs:dynamic/talos-cloud-edge:ProxmoxIsoFile": (_n, inputs) => ({
        fileId: `${inputs.datastore}:iso/${inputs.fileName}`,
        sha256: sha256(String(inputs.contentBase64 ?? "")),
        size: Buffer.from(String(inputs.contentBase64 ?? ""), "base64").length,
    }),
    "pulumi-nodejs:dynamic/talos-cloud-edge:OciObjectFromUrl": (_n, inputs) => ({ size: 123456789, sha256: sha256(String(inputs.sourceUrl)) }),
    "oci:ObjectStorage/preauthrequest:Preauthrequest": (name, inputs) => ({
        accessUri: `/p/${sha256(name).slice(0, 32)}/n/${inputs.namespace}/b/${inputs.bucket}/o/${String(inputs.objectName).split("/").map(encodeURIComponent).join("/")}`,
    }),
    "oci:Core/instance:Instance": (name) => ({ privateIp: fakePrivateIp(`oci-${name}`).replace(/^10\.1\./, "10.0."), publicIp: "", state: "RUNNING" }),
    "command:local:Command": () => ({ stdout: "", stderr: "" }),
};

/** Builds Image Factory URLs exactly as talos_image_factory_urls does (locally, no HTTP). */
export function factoryUrls(schematicId: string, talosVersion: string, platform: string, arch: string) {
    const base = `https://factory.talos.dev/image/${schematicId}/${talosVersion}`;
    // Talos pkg/machinery/platforms: each platform's DiskImageSuffix (oracle: qcow2).
    const suffix: Record<string, string> = { gcp: "raw.tar.gz", metal: "raw.zst", nocloud: "raw.xz", aws: "raw.xz", oracle: "qcow2" };
    const isCloudDiskOnly = platform === "gcp" || platform === "oracle";
    const u = {
        diskImage: `${base}/${platform}-${arch}.${suffix[platform] ?? "raw.xz"}`,
        diskImageSecureboot: isCloudDiskOnly ? "" : `${base}/${platform}-${arch}-secureboot.${suffix[platform] ?? "raw.xz"}`,
        initramfs: isCloudDiskOnly ? "" : `${base}/initramfs-${arch}.xz`,
        installer: `factory.talos.dev/${platform}-installer/${schematicId}:${talosVersion}`,
        installerSecureboot: isCloudDiskOnly ? "" : `factory.talos.dev/${platform}-installer-secureboot/${schematicId}:${talosVersion}`,
        iso: isCloudDiskOnly ? "" : `${base}/${platform}-${arch}.iso`,
        isoSecureboot: isCloudDiskOnly ? "" : `${base}/${platform}-${arch}-secureboot.iso`,
        kernel: isCloudDiskOnly ? "" : `${base}/kernel-${arch}`,
        kernelCommandLine: isCloudDiskOnly ? "" : `${base}/cmdline-${platform}-${arch}`,
        pxe: isCloudDiskOnly ? "" : `https://pxe.factory.talos.dev/pxe/${schematicId}/${talosVersion}/${platform}-${arch}`,
        uki: isCloudDiskOnly ? "" : `${base}/${platform}-${arch}-secureboot-uki.efi`,
    };
    return u;
}

type InvokeFn = (inputs: Record<string, any>) => Record<string, any>;

/** Invoke results per token. An invoke with no entry fails the test loudly. */
export const invokeResults: Record<string, InvokeFn> = {
    "talos:machine/getConfiguration:getConfiguration": (inputs) => ({
        ...inputs,
        id: `${inputs.clusterName}-${inputs.machineType}`,
        machineConfiguration: [
            "version: v1alpha1",
            "machine:",
            `  type: ${inputs.machineType}`,
            "  token: mock-machine-token",
            "  ca:",
            "    crt: mock-os-ca",
            "cluster:",
            `  clusterName: ${inputs.clusterName}`,
            "  controlPlane:",
            `    endpoint: ${inputs.clusterEndpoint}`,
            "  token: abcdef.0123456789abcdef",
            "---",
            "apiVersion: v1alpha1",
            "kind: HostnameConfig",
            "auto: stable",
            "",
        ].join("\n"),
    }),
    "talos:client/getConfiguration:getConfiguration": (inputs) => ({
        ...inputs,
        id: inputs.clusterName,
        talosConfig: `context: ${inputs.clusterName}\ncontexts:\n  ${inputs.clusterName}:\n    endpoints: ${JSON.stringify(inputs.endpoints ?? [])}\n    nodes: ${JSON.stringify(inputs.nodes ?? [])}\n`,
    }),
    "talos:imageFactory/getUrls:getUrls": (inputs) => ({
        ...inputs,
        id: `${inputs.schematicId}-${inputs.platform}`,
        architecture: inputs.architecture ?? "amd64",
        urls: factoryUrls(inputs.schematicId, inputs.talosVersion, inputs.platform, inputs.architecture ?? "amd64"),
    }),
    "talos:cluster/getHealth:getHealth": (inputs) => ({ ...inputs, id: "health" }),
    // No edge machine has joined unless a test says otherwise.
    "tailscale:index/getDevices:getDevices": (inputs) => ({ ...inputs, id: "devices", devices: [] }),
    "tailscale:index/getDevice:getDevice": (inputs) => ({
        ...inputs,
        id: `device-${inputs.hostname ?? inputs.name}`,
        addresses: [fakeTailnetIp(inputs.hostname ?? inputs.name), "fd7a:115c:a1e0::1234"],
        name: `${inputs.hostname ?? inputs.name}.tail0000.ts.net`,
        authorized: true,
        tags: ["tag:talos-cloud"],
    }),
    "gcp:organizations/getProject:getProject": (inputs) => ({ ...inputs, number: "123456789", projectId: inputs.projectId ?? "my-project" }),
    "gcp:organizations/getClientConfig:getClientConfig": () => ({ project: "my-project", region: "europe-west4", accessToken: "token" }),
    "oci:ObjectStorage/getNamespace:getNamespace": (inputs) => ({ ...inputs, id: "namespace", namespace: "axmocknamespace" }),
};

export const mocks: pulumi.runtime.Mocks = {
    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, any> } {
        const inputs = unwrapSecrets(args.inputs);
        const urn = `urn:pulumi:dev::talos-cloud-edge::${args.type}::${args.name}`;
        registered.push({
            type: args.type,
            name: args.name,
            inputs,
            rawInputs: args.inputs,
            provider: args.provider,
            custom: args.custom ?? true,
            urn,
        });
        const computed = computedOutputs[args.type]?.(args.name, inputs) ?? {};
        let id = `${args.name}-id`;
        if (args.type === "talos:imageFactory/schematic:Schematic") {
            id = sha256(String(inputs.schematic ?? ""));
        } else if (args.type === "proxmoxve:download/fileLegacy:FileLegacy") {
            // The provider's id is the volume id a VM disk imports from.
            id = `${inputs.datastoreId}:${inputs.contentType}/${inputs.fileName}`;
        } else if (args.type.startsWith("oci:")) {
            id = `ocid1.${args.type.split("/")[1].split(":")[0].toLowerCase()}.oc1.iad.${sha256(args.name).slice(0, 40)}`;
        }
        return { id, state: { ...args.inputs, ...computed } };
    },
    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        const inputs = unwrapSecrets(args.inputs);
        invokes.push({ token: args.token, inputs, provider: args.provider });
        const fn = invokeResults[args.token];
        if (!fn) {
            throw new Error(`test/mocks.ts: no mock result for invoke ${args.token}; add one to invokeResults`);
        }
        return fn(inputs);
    },
};

/** Resolves an Output's value (the public equivalent of the internal `promise()`). */
export function valueOf<T>(o: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(o).apply((v) => { resolve(v as T); return v; }));
}

export async function isSecret<T>(o: pulumi.Output<T>): Promise<boolean> {
    return pulumi.isSecret(o);
}

export function resourcesOfType(type: string): Registered[] {
    return registered.filter((r) => r.type === type);
}

/** The one registered resource of `type` named `name`; fails with the names that do exist. */
export function findResource(type: string, name: string): Registered {
    const hits = registered.filter((r) => r.type === type && r.name === name);
    if (hits.length !== 1) {
        const names = resourcesOfType(type).map((r) => r.name);
        throw new Error(`expected one ${type} named ${name}, found ${hits.length}; registered: ${JSON.stringify(names)}`);
    }
    return hits[0];
}

export function invokesOf(token: string): RecordedInvoke[] {
    return invokes.filter((i) => i.token === token);
}

/** Waits until every pending registration has reached the mock monitor. */
export async function settle(): Promise<void> {
    for (let i = 0; i < 5; i++) {
        await new Promise((r) => setImmediate(r));
    }
}

/**
 * What the engine receives besides inputs: resource options and dependencies, which
 * `Mocks.newResource` never sees. Captured from the mock monitor's RegisterResource requests.
 */
export interface EngineRegistration {
    type: string;
    name: string;
    /** The real URN (parent chain included), as dependency lists reference it. */
    urn: string;
    parentUrn: string;
    /** URNs the engine orders this resource after: explicit dependsOn plus the resources its inputs came from. */
    dependencies: string[];
    protect: boolean;
    ignoreChanges: string[];
    additionalSecretOutputs: string[];
    replaceOnChanges: string[];
    deleteBeforeReplace: boolean;
    retainOnDelete: boolean;
    /** The `replacementTrigger` option's value, when set. */
    replacementTrigger?: unknown;
}

export const engineRegistrations: EngineRegistration[] = [];

type RegisterCallback = (err: unknown, response: { getUrn(): string } | undefined) => void;
const monitorPrototype = MockMonitor.prototype as unknown as { registerResource(req: any, cb: RegisterCallback): Promise<void> };
const registerWithMocks = monitorPrototype.registerResource;
monitorPrototype.registerResource = function (this: MockMonitor, req: any, callback: RegisterCallback): Promise<void> {
    const trigger = req.getReplacementTrigger?.();
    const entry: EngineRegistration = {
        type: req.getType(),
        name: req.getName(),
        urn: "",
        parentUrn: req.getParent(),
        dependencies: req.getDependenciesList(),
        protect: req.getProtect() === true,
        ignoreChanges: req.getIgnorechangesList(),
        additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
        replaceOnChanges: req.getReplaceonchangesList(),
        deleteBeforeReplace: req.getDeletebeforereplace() === true,
        retainOnDelete: req.getRetainondelete() === true,
        replacementTrigger: trigger ? unwrapSecrets(pulumi.runtime.deserializeProperty(trigger.toJavaScript())) : undefined,
    };
    engineRegistrations.push(entry);
    return registerWithMocks.call(this, req, (err, response) => {
        entry.urn = response?.getUrn() ?? "";
        callback(err, response);
    });
};

/** The one engine registration of `type` named `name`. */
export function engineRegistration(type: string, name: string): EngineRegistration {
    const hits = engineRegistrations.filter((r) => r.type === type && r.name === name);
    if (hits.length !== 1) {
        const names = engineRegistrations.filter((r) => r.type === type).map((r) => r.name);
        throw new Error(`expected one registration of ${type} named ${name}, found ${hits.length}; registered: ${JSON.stringify(names)}`);
    }
    return hits[0];
}
