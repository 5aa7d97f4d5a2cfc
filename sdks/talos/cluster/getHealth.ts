import * as pulumi from "@pulumi/pulumi";
import * as inputs from "../types/input";
import * as outputs from "../types/output";
import * as manifest from "../manifest";
import * as utilities from "../utilities";

const TOKEN = "talos:cluster/getHealth:getHealth";

/**
 * Waits until the cluster is healthy (`talos_cluster_health`), failing after `timeouts.read`
 * (10m). Runs on every preview and update once its arguments are known. Promise form: no
 * dependency tracking; use {@link getHealthOutput} with `dependsOn`.
 */
export function getHealth(args: GetHealthArgs, opts?: pulumi.InvokeOptions): Promise<GetHealthResult> {
    return utilities.invoke(TOKEN, manifest.functions[TOKEN], args, opts);
}

/** Arguments of {@link getHealth}. */
export interface GetHealthArgs {
    /** Talos API client credentials (`Secrets.clientConfiguration`). */
    clientConfiguration: inputs.cluster.GetHealthClientConfiguration;
    /** Control-plane node addresses as Talos and Kubernetes report them. */
    controlPlaneNodes: string[];
    /** Addresses the runner reaches the Talos API on; at least one control plane. */
    endpoints: string[];
    /** Check only boot and kubelet, not Kubernetes components; default false. */
    skipKubernetesChecks?: boolean;
    /** Read timeout, a Go duration (default 10m). */
    timeouts?: inputs.cluster.GetHealthTimeouts;
    /** Worker node addresses as Talos and Kubernetes report them. */
    workerNodes?: string[];
}

/** Result of {@link getHealth}; present only when the cluster is healthy. */
export interface GetHealthResult {
    /** Talos API client credentials used. */
    readonly clientConfiguration: outputs.cluster.GetHealthClientConfiguration;
    /** Control-plane nodes checked. */
    readonly controlPlaneNodes: string[];
    /** Endpoints used. */
    readonly endpoints: string[];
    /** Provider-assigned ID. */
    readonly id: string;
    /** Whether Kubernetes checks were skipped. */
    readonly skipKubernetesChecks?: boolean;
    /** Read timeout. */
    readonly timeouts?: outputs.cluster.GetHealthTimeouts;
    /** Worker nodes checked. */
    readonly workerNodes?: string[];
}

/**
 * Output form of {@link getHealth}: runs after its arguments and `opts.dependsOn` (e.g. every
 * ConfigurationApply and the Kubeconfig); the result is secret (it echoes the client key).
 */
export function getHealthOutput(args: GetHealthOutputArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<GetHealthResult> {
    return utilities.invokeOutput(TOKEN, manifest.functions[TOKEN], args, opts);
}

/** Arguments of {@link getHealthOutput}. */
export interface GetHealthOutputArgs {
    /** Talos API client credentials (`Secrets.clientConfiguration`). */
    clientConfiguration: pulumi.Input<inputs.cluster.GetHealthClientConfigurationArgs>;
    /** Control-plane node addresses as Talos and Kubernetes report them. */
    controlPlaneNodes: pulumi.Input<pulumi.Input<string>[]>;
    /** Addresses the runner reaches the Talos API on; at least one control plane. */
    endpoints: pulumi.Input<pulumi.Input<string>[]>;
    /** Check only boot and kubelet, not Kubernetes components; default false. */
    skipKubernetesChecks?: pulumi.Input<boolean>;
    /** Read timeout, a Go duration (default 10m). */
    timeouts?: pulumi.Input<inputs.cluster.GetHealthTimeoutsArgs>;
    /** Worker node addresses as Talos and Kubernetes report them. */
    workerNodes?: pulumi.Input<pulumi.Input<string>[]>;
}
