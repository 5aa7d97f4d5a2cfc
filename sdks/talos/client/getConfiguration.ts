import * as pulumi from "@pulumi/pulumi";
import * as inputs from "../types/input";
import * as outputs from "../types/output";
import * as manifest from "../manifest";
import * as utilities from "../utilities";

const TOKEN = "talos:client/getConfiguration:getConfiguration";

/**
 * Renders a talosconfig (`talos_client_configuration`). Promise form: no dependency tracking
 * and no secretness; use {@link getConfigurationOutput}.
 */
export function getConfiguration(args: GetConfigurationArgs, opts?: pulumi.InvokeOptions): Promise<GetConfigurationResult> {
    return utilities.invoke(TOKEN, manifest.functions[TOKEN], args, opts);
}

/** Arguments of {@link getConfiguration}. */
export interface GetConfigurationArgs {
    /** Talos API client credentials (`Secrets.clientConfiguration`). */
    clientConfiguration: inputs.client.GetConfigurationClientConfiguration;
    /** Cluster (context) name in the talosconfig. */
    clusterName: string;
    /** Talos API endpoints written to the context (control planes). */
    endpoints?: string[];
    /** Default target nodes written to the context. */
    nodes?: string[];
}

/** Result of {@link getConfiguration}. */
export interface GetConfigurationResult {
    /** Talos API client credentials used. */
    readonly clientConfiguration: outputs.client.GetConfigurationClientConfiguration;
    /** Cluster (context) name. */
    readonly clusterName: string;
    /** Endpoints written. */
    readonly endpoints?: string[];
    /** Provider-assigned ID. */
    readonly id: string;
    /** Nodes written. */
    readonly nodes?: string[];
    /** The talosconfig YAML; secret. */
    readonly talosConfig: string;
}

/** Output form of {@link getConfiguration}; the result is always secret. */
export function getConfigurationOutput(
    args: GetConfigurationOutputArgs,
    opts?: pulumi.InvokeOutputOptions,
): pulumi.Output<GetConfigurationResult> {
    return utilities.invokeOutput(TOKEN, manifest.functions[TOKEN], args, opts);
}

/** Arguments of {@link getConfigurationOutput}. */
export interface GetConfigurationOutputArgs {
    /** Talos API client credentials (`Secrets.clientConfiguration`). */
    clientConfiguration: pulumi.Input<inputs.client.GetConfigurationClientConfigurationArgs>;
    /** Cluster (context) name in the talosconfig. */
    clusterName: pulumi.Input<string>;
    /** Talos API endpoints written to the context (control planes). */
    endpoints?: pulumi.Input<pulumi.Input<string>[]>;
    /** Default target nodes written to the context. */
    nodes?: pulumi.Input<pulumi.Input<string>[]>;
}
