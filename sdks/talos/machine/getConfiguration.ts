import * as pulumi from "@pulumi/pulumi";
import * as inputs from "../types/input";
import * as outputs from "../types/output";
import * as manifest from "../manifest";
import * as utilities from "../utilities";

const TOKEN = "talos:machine/getConfiguration:getConfiguration";

/**
 * Renders a machine configuration for a node type (`talos_machine_configuration`). Signing is
 * deterministic, so the result is stable between runs. Promise form: no dependency tracking and
 * no secretness; use {@link getConfigurationOutput} with resource outputs.
 */
export function getConfiguration(args: GetConfigurationArgs, opts?: pulumi.InvokeOptions): Promise<GetConfigurationResult> {
    return utilities.invoke(TOKEN, manifest.functions[TOKEN], args, opts);
}

/** Arguments of {@link getConfiguration}. */
export interface GetConfigurationArgs {
    /** Kubernetes API endpoint, e.g. `https://10.0.0.2:6443`. */
    clusterEndpoint: string;
    /** Cluster name. */
    clusterName: string;
    /** Strategic-merge (YAML/JSON) or RFC 6902 patches applied to the generated configuration. */
    configPatches?: string[];
    /** Embed documentation comments in the YAML; default false. */
    docs?: boolean;
    /** Embed commented examples in the YAML; default false. */
    examples?: boolean;
    /** Kubernetes version; defaults to the provider's. */
    kubernetesVersion?: string;
    /** `Secrets.machineSecrets`. */
    machineSecrets: inputs.machine.MachineSecrets;
    /** `controlplane` or `worker`. */
    machineType: string;
    /** Config contract (not the installed version), e.g. `v1.12`; pin it. */
    talosVersion?: string;
}

/** Result of {@link getConfiguration}. */
export interface GetConfigurationResult {
    /** Kubernetes API endpoint. */
    readonly clusterEndpoint: string;
    /** Cluster name. */
    readonly clusterName: string;
    /** Patches applied. */
    readonly configPatches?: string[];
    /** Whether documentation comments were embedded. */
    readonly docs?: boolean;
    /** Whether examples were embedded. */
    readonly examples?: boolean;
    /** Provider-assigned ID. */
    readonly id: string;
    /** Kubernetes version. */
    readonly kubernetesVersion?: string;
    /** The rendered machine configuration (multi-document YAML); secret. */
    readonly machineConfiguration: string;
    /** Machine secrets used. */
    readonly machineSecrets: outputs.machine.MachineSecrets;
    /** Node type. */
    readonly machineType: string;
    /** Config contract. */
    readonly talosVersion?: string;
}

/**
 * Output form of {@link getConfiguration}: waits for its arguments and `opts.dependsOn`, and
 * the result is always secret (it embeds the cluster PKI).
 */
export function getConfigurationOutput(
    args: GetConfigurationOutputArgs,
    opts?: pulumi.InvokeOutputOptions,
): pulumi.Output<GetConfigurationResult> {
    return utilities.invokeOutput(TOKEN, manifest.functions[TOKEN], args, opts);
}

/** Arguments of {@link getConfigurationOutput}. */
export interface GetConfigurationOutputArgs {
    /** Kubernetes API endpoint, e.g. `https://10.0.0.2:6443`. */
    clusterEndpoint: pulumi.Input<string>;
    /** Cluster name. */
    clusterName: pulumi.Input<string>;
    /** Strategic-merge (YAML/JSON) or RFC 6902 patches applied to the generated configuration. */
    configPatches?: pulumi.Input<pulumi.Input<string>[]>;
    /** Embed documentation comments in the YAML; default false. */
    docs?: pulumi.Input<boolean>;
    /** Embed commented examples in the YAML; default false. */
    examples?: pulumi.Input<boolean>;
    /** Kubernetes version; defaults to the provider's. */
    kubernetesVersion?: pulumi.Input<string>;
    /** `Secrets.machineSecrets`. */
    machineSecrets: pulumi.Input<inputs.machine.MachineSecretsArgs>;
    /** `controlplane` or `worker`. */
    machineType: pulumi.Input<string>;
    /** Config contract (not the installed version), e.g. `v1.12`; pin it. */
    talosVersion?: pulumi.Input<string>;
}
