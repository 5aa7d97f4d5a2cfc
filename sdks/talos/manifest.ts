/**
 * What these bindings declare, token by token, in schema terms. Built from
 * pulumiverse/pulumi-talos v0.8.1 `provider/cmd/pulumi-resource-talos/schema.json`
 * (copy: shared/provider-schemas/talos-schema.json, pinned by sha256) for the subset talos-cloud-edge uses.
 *
 * Run-time behaviour (copied inputs, required checks, secret wrapping, additionalSecretOutputs,
 * invoke arguments) is read from here by ../common/runtime.ts (through utilities.ts); checks.ts
 * proves the TypeScript declarations agree with it; test/sdks.test.ts proves it agrees with the
 * schema.
 */
import { FunctionSpec, ObjectTypeSpec, ProviderSpec, ResourceSpec } from "../common/spec";

/** Package name = token prefix = config namespace. */
export const packageName = "talos";
/** The provider release these bindings speak for; every registration and invoke carries it. */
export const version = "0.8.1";
/** Where the engine downloads `pulumi-resource-talos` from (a third-party plugin: not get.pulumi.com). */
export const pluginDownloadURL = "github://api.github.com/pulumiverse";

const CLIENT_CONFIGURATION = { ref: "talos:machine/generated:ClientConfiguration" } as const;
const MACHINE_SECRETS = { ref: "talos:machine/generated:MachineSecrets" } as const;
const CERTIFICATE = { ref: "talos:machine/generated:Certificate" } as const;
const STRINGS = { array: "string" } as const;

const WRITE_ONLY_REASON =
    "Terraform >= 1.11 write-only twin; exactly one of the pair may be set and Pulumi stores the " +
    "non-write-only input as a secret anyway, so the binding requires the non-write-only input instead";

export const types = {
    "talos:machine/generated:ClientConfiguration": {
        properties: { caCertificate: "string", clientCertificate: "string", clientKey: "string" },
        required: ["caCertificate", "clientCertificate", "clientKey"],
    },
    "talos:machine/generated:MachineSecrets": {
        properties: {
            certs: { ref: "talos:machine/generated:Certificates" },
            cluster: { ref: "talos:machine/generated:Cluster" },
            secrets: { ref: "talos:machine/generated:KubernetesSecrets" },
            trustdinfo: { ref: "talos:machine/generated:TrustdInfo" },
        },
        required: ["certs", "cluster", "secrets", "trustdinfo"],
    },
    "talos:machine/generated:Certificates": {
        properties: {
            etcd: CERTIFICATE,
            k8s: CERTIFICATE,
            k8sAggregator: CERTIFICATE,
            k8sServiceaccount: { ref: "talos:machine/generated:Key" },
            os: CERTIFICATE,
        },
        required: ["etcd", "k8s", "k8sAggregator", "k8sServiceaccount", "os"],
    },
    "talos:machine/generated:Certificate": {
        properties: { cert: "string", key: "string" },
        required: ["cert", "key"],
    },
    "talos:machine/generated:Key": {
        properties: { key: "string" },
        required: ["key"],
    },
    "talos:machine/generated:Cluster": {
        properties: { id: "string", secret: "string" },
        required: ["id", "secret"],
    },
    "talos:machine/generated:KubernetesSecrets": {
        properties: { aescbcEncryptionSecret: "string", bootstrapToken: "string", secretboxEncryptionSecret: "string" },
        required: ["bootstrapToken", "secretboxEncryptionSecret"],
    },
    "talos:machine/generated:TrustdInfo": {
        properties: { token: "string" },
        required: ["token"],
    },
    "talos:machine/ConfigurationApplyOnDestroy:ConfigurationApplyOnDestroy": {
        properties: { graceful: "boolean", reboot: "boolean", reset: "boolean" },
        required: [],
        requiredOutputs: ["graceful", "reboot", "reset"],
    },
    "talos:machine/Timeout:Timeout": {
        properties: { create: "string", delete: "string", update: "string" },
        required: [],
    },
    "talos:machine/BootstrapTimeouts:BootstrapTimeouts": {
        properties: { create: "string" },
        required: [],
    },
    "talos:cluster/KubeconfigClientConfiguration:KubeconfigClientConfiguration": {
        properties: { caCertificate: "string", clientCertificate: "string", clientKey: "string" },
        required: ["caCertificate", "clientCertificate", "clientKey"],
    },
    "talos:cluster/KubeconfigKubernetesClientConfiguration:KubeconfigKubernetesClientConfiguration": {
        properties: { caCertificate: "string", clientCertificate: "string", clientKey: "string", host: "string" },
        required: [],
        requiredOutputs: ["caCertificate", "clientCertificate", "clientKey", "host"],
    },
    "talos:cluster/KubeconfigTimeouts:KubeconfigTimeouts": {
        properties: { create: "string", update: "string" },
        required: [],
    },
    "talos:cluster/getHealthClientConfiguration:getHealthClientConfiguration": {
        properties: { caCertificate: "string", clientCertificate: "string", clientKey: "string" },
        required: ["caCertificate", "clientCertificate", "clientKey"],
    },
    "talos:cluster/getHealthTimeouts:getHealthTimeouts": {
        properties: { read: "string" },
        required: [],
    },
    "talos:client/getConfigurationClientConfiguration:getConfigurationClientConfiguration": {
        properties: { caCertificate: "string", clientCertificate: "string", clientKey: "string" },
        required: ["caCertificate", "clientCertificate", "clientKey"],
    },
    "talos:imageFactory/getUrlsUrls:getUrlsUrls": {
        properties: {
            diskImage: "string",
            diskImageSecureboot: "string",
            initramfs: "string",
            installer: "string",
            installerSecureboot: "string",
            iso: "string",
            isoSecureboot: "string",
            kernel: "string",
            kernelCommandLine: "string",
            pxe: "string",
            uki: "string",
        },
        required: [
            "diskImage",
            "diskImageSecureboot",
            "initramfs",
            "installer",
            "installerSecureboot",
            "iso",
            "isoSecureboot",
            "kernel",
            "kernelCommandLine",
            "pxe",
            "uki",
        ],
    },
} as const satisfies Record<string, ObjectTypeSpec>;

export const provider = {
    inputs: { imageFactoryUrl: "string" },
    secretInputs: [],
    environmentDefaults: {},
} as const satisfies ProviderSpec;

export const resources = {
    "talos:machine/secrets:Secrets": {
        inputs: { talosVersion: "string" },
        outputs: { clientConfiguration: CLIENT_CONFIGURATION, machineSecrets: MACHINE_SECRETS, talosVersion: "string" },
        requiredInputs: [],
        requiredOutputs: ["clientConfiguration", "machineSecrets", "talosVersion"],
        secretInputs: [],
        // The schema marks only nested fields secret (clientKey, every private key and token); the
        // generated SDK adds no additionalSecretOutputs and whether the bridge lifts nested
        // secretness into state is unverified. Both outputs are the cluster PKI: mark them whole.
        additionalSecretOutputs: ["clientConfiguration", "machineSecrets"],
    },
    "talos:machine/configurationApply:ConfigurationApply": {
        inputs: {
            applyMode: "string",
            clientConfiguration: CLIENT_CONFIGURATION,
            configPatches: STRINGS,
            endpoint: "string",
            machineConfigurationInput: "string",
            node: "string",
            onDestroy: { ref: "talos:machine/ConfigurationApplyOnDestroy:ConfigurationApplyOnDestroy" },
            timeouts: { ref: "talos:machine/Timeout:Timeout" },
        },
        outputs: {
            applyMode: "string",
            clientConfiguration: CLIENT_CONFIGURATION,
            configPatches: STRINGS,
            endpoint: "string",
            machineConfiguration: "string",
            machineConfigurationHash: "string",
            machineConfigurationInput: "string",
            node: "string",
            onDestroy: { ref: "talos:machine/ConfigurationApplyOnDestroy:ConfigurationApplyOnDestroy" },
            resolvedApplyMode: "string",
            timeouts: { ref: "talos:machine/Timeout:Timeout" },
        },
        // Schema (v0.8.x) requires only `node` because the write-only twins can stand in;
        // without the twins both of these are needed (providers.md §12.5).
        requiredInputs: ["clientConfiguration", "machineConfigurationInput", "node"],
        requiredOutputs: ["applyMode", "endpoint", "machineConfiguration", "machineConfigurationHash", "node", "resolvedApplyMode"],
        secretInputs: ["machineConfigurationInput"],
        additionalSecretOutputs: [
            "clientConfigurationWo",
            "machineConfiguration",
            "machineConfigurationInput",
            "machineConfigurationInputWo",
        ],
        omitted: { clientConfigurationWo: WRITE_ONLY_REASON, machineConfigurationInputWo: WRITE_ONLY_REASON },
    },
    "talos:machine/bootstrap:Bootstrap": {
        inputs: {
            clientConfiguration: CLIENT_CONFIGURATION,
            endpoint: "string",
            node: "string",
            timeouts: { ref: "talos:machine/BootstrapTimeouts:BootstrapTimeouts" },
        },
        outputs: {
            clientConfiguration: CLIENT_CONFIGURATION,
            endpoint: "string",
            node: "string",
            timeouts: { ref: "talos:machine/BootstrapTimeouts:BootstrapTimeouts" },
        },
        requiredInputs: ["clientConfiguration", "node"],
        requiredOutputs: ["endpoint", "node"],
        secretInputs: [],
        additionalSecretOutputs: ["clientConfigurationWo"],
        omitted: { clientConfigurationWo: WRITE_ONLY_REASON },
    },
    "talos:cluster/kubeconfig:Kubeconfig": {
        inputs: {
            certificateRenewalDuration: "string",
            clientConfiguration: { ref: "talos:cluster/KubeconfigClientConfiguration:KubeconfigClientConfiguration" },
            endpoint: "string",
            node: "string",
            timeouts: { ref: "talos:cluster/KubeconfigTimeouts:KubeconfigTimeouts" },
        },
        outputs: {
            certificateRenewalDuration: "string",
            clientConfiguration: { ref: "talos:cluster/KubeconfigClientConfiguration:KubeconfigClientConfiguration" },
            endpoint: "string",
            kubeconfigRaw: "string",
            kubernetesClientConfiguration: {
                ref: "talos:cluster/KubeconfigKubernetesClientConfiguration:KubeconfigKubernetesClientConfiguration",
            },
            node: "string",
            timeouts: { ref: "talos:cluster/KubeconfigTimeouts:KubeconfigTimeouts" },
        },
        requiredInputs: ["clientConfiguration", "node"],
        requiredOutputs: [
            "certificateRenewalDuration",
            "clientConfiguration",
            "endpoint",
            "kubeconfigRaw",
            "kubernetesClientConfiguration",
            "node",
        ],
        secretInputs: [],
        // kubernetesClientConfiguration holds the admin clientKey (nested secret in the schema).
        additionalSecretOutputs: ["kubeconfigRaw", "kubernetesClientConfiguration"],
    },
    "talos:imageFactory/schematic:Schematic": {
        inputs: { schematic: "string" },
        outputs: { schematic: "string" },
        requiredInputs: [],
        requiredOutputs: [],
        secretInputs: [],
        additionalSecretOutputs: [],
    },
} as const satisfies Record<string, ResourceSpec>;

export const functions = {
    "talos:machine/getConfiguration:getConfiguration": {
        inputs: {
            clusterEndpoint: "string",
            clusterName: "string",
            configPatches: STRINGS,
            docs: "boolean",
            examples: "boolean",
            kubernetesVersion: "string",
            machineSecrets: MACHINE_SECRETS,
            machineType: "string",
            talosVersion: "string",
        },
        outputs: {
            clusterEndpoint: "string",
            clusterName: "string",
            configPatches: STRINGS,
            docs: "boolean",
            examples: "boolean",
            id: "string",
            kubernetesVersion: "string",
            machineConfiguration: "string",
            machineSecrets: MACHINE_SECRETS,
            machineType: "string",
            talosVersion: "string",
        },
        requiredInputs: ["clusterEndpoint", "clusterName", "machineSecrets", "machineType"],
        requiredOutputs: ["clusterEndpoint", "clusterName", "id", "machineConfiguration", "machineSecrets", "machineType"],
        secretResult: true,
    },
    "talos:client/getConfiguration:getConfiguration": {
        inputs: {
            clientConfiguration: { ref: "talos:client/getConfigurationClientConfiguration:getConfigurationClientConfiguration" },
            clusterName: "string",
            endpoints: STRINGS,
            nodes: STRINGS,
        },
        outputs: {
            clientConfiguration: { ref: "talos:client/getConfigurationClientConfiguration:getConfigurationClientConfiguration" },
            clusterName: "string",
            endpoints: STRINGS,
            id: "string",
            nodes: STRINGS,
            talosConfig: "string",
        },
        requiredInputs: ["clientConfiguration", "clusterName"],
        requiredOutputs: ["clientConfiguration", "clusterName", "id", "talosConfig"],
        secretResult: true,
    },
    "talos:cluster/getHealth:getHealth": {
        inputs: {
            clientConfiguration: { ref: "talos:cluster/getHealthClientConfiguration:getHealthClientConfiguration" },
            controlPlaneNodes: STRINGS,
            endpoints: STRINGS,
            skipKubernetesChecks: "boolean",
            timeouts: { ref: "talos:cluster/getHealthTimeouts:getHealthTimeouts" },
            workerNodes: STRINGS,
        },
        outputs: {
            clientConfiguration: { ref: "talos:cluster/getHealthClientConfiguration:getHealthClientConfiguration" },
            controlPlaneNodes: STRINGS,
            endpoints: STRINGS,
            id: "string",
            skipKubernetesChecks: "boolean",
            timeouts: { ref: "talos:cluster/getHealthTimeouts:getHealthTimeouts" },
            workerNodes: STRINGS,
        },
        requiredInputs: ["clientConfiguration", "controlPlaneNodes", "endpoints"],
        requiredOutputs: ["clientConfiguration", "controlPlaneNodes", "endpoints", "id"],
        // The result echoes clientConfiguration, whose clientKey is secret.
        secretResult: true,
    },
    "talos:imageFactory/getUrls:getUrls": {
        inputs: {
            architecture: "string",
            platform: "string",
            sbc: "string",
            schematicId: "string",
            talosVersion: "string",
        },
        outputs: {
            architecture: "string",
            id: "string",
            platform: "string",
            sbc: "string",
            schematicId: "string",
            talosVersion: "string",
            urls: { ref: "talos:imageFactory/getUrlsUrls:getUrlsUrls" },
        },
        requiredInputs: ["schematicId", "talosVersion"],
        requiredOutputs: ["architecture", "id", "schematicId", "talosVersion", "urls"],
        secretResult: false,
    },
} as const satisfies Record<string, FunctionSpec>;

export type Types = typeof types;
export type Resources = typeof resources;
export type Functions = typeof functions;
