/**
 * Run-time plumbing both bindings share: the constructor, invoke and provider bodies the
 * generated SDKs inline per class, driven here by a package's manifest (spec.ts). Each package's
 * utilities.ts binds it to that package's version and plugin source.
 */
import * as pulumi from "@pulumi/pulumi";
import { FunctionSpec, ProviderSpec, ResourceSpec } from "./spec";

/** What every registration, read and invoke of one package tells the engine about its plugin. */
export interface PluginIdentity {
    /** The provider release, e.g. `0.8.1`. */
    readonly version: string;
    /** Where the engine downloads a third-party plugin from; undefined when the CLI's default sources serve it. */
    readonly pluginDownloadURL: string | undefined;
}

/** Caller-supplied Args or State, possibly absent. */
type Bag = Record<string, any> | undefined;

/** First non-empty value among the named environment variables. */
export function getEnv(...vars: readonly string[]): string | undefined {
    for (const v of vars) {
        const value = process.env[v];
        if (value) {
            return value;
        }
    }
    return undefined;
}

/** The options every resource, invoke and explicit Provider of the package carries (no empty pluginDownloadURL). */
export function pluginOptions(plugin: PluginIdentity): { version: string; pluginDownloadURL?: string } {
    return plugin.pluginDownloadURL === undefined
        ? { version: plugin.version }
        : { version: plugin.version, pluginDownloadURL: plugin.pluginDownloadURL };
}

/**
 * The `resourceInputs` object a generated constructor builds: with `opts.id`, every state
 * property; otherwise the required-input checks, every input (secret ones wrapped) and every
 * output-only property as `undefined` (CustomResource creates Outputs only for keys present).
 */
export function resourceInputs(spec: ResourceSpec, argsOrState: Bag, opts: pulumi.CustomResourceOptions): pulumi.Inputs {
    const inputs: pulumi.Inputs = {};
    if (opts.id) {
        for (const name of Object.keys(spec.outputs)) {
            inputs[name] = argsOrState?.[name];
        }
        return inputs;
    }
    for (const name of spec.requiredInputs) {
        if ((!argsOrState || argsOrState[name] === undefined) && !opts.urn) {
            throw new Error(`Missing required property '${name}'`);
        }
    }
    for (const name of Object.keys(spec.inputs)) {
        const value = argsOrState?.[name];
        inputs[name] = spec.secretInputs.includes(name) ? (value ? pulumi.secret(value) : undefined) : value;
    }
    for (const name of Object.keys(spec.outputs)) {
        if (!(name in spec.inputs)) {
            inputs[name] = undefined;
        }
    }
    return inputs;
}

/** Caller options merged over the package defaults, plus the spec's additionalSecretOutputs. */
export function resourceOptions(plugin: PluginIdentity, spec: ResourceSpec, opts: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions {
    let merged = pulumi.mergeOptions(pluginOptions(plugin), opts);
    if (spec.additionalSecretOutputs.length > 0) {
        merged = pulumi.mergeOptions(merged, { additionalSecretOutputs: [...spec.additionalSecretOutputs] });
    }
    return merged;
}

/** An explicit provider's inputs: each argument, or where the manifest names environment variables and the argument is absent, the first one set. */
export function providerInputs(spec: ProviderSpec, args: Bag): pulumi.Inputs {
    const inputs: pulumi.Inputs = {};
    for (const name of Object.keys(spec.inputs)) {
        const environment = spec.environmentDefaults[name];
        inputs[name] = environment ? (args?.[name] ?? getEnv(...environment)) : args?.[name];
    }
    return inputs;
}

/** An explicit provider's options: the caller's, over the package's version and plugin source. */
export function providerOptions(plugin: PluginIdentity, opts: pulumi.ResourceOptions | undefined): pulumi.ResourceOptions {
    return pulumi.mergeOptions(pluginOptions(plugin), opts || {});
}

/** Whether `obj` is an explicit provider of the named package, even across copies of the Pulumi SDK in one process. */
export function isProviderOf(obj: any, packageName: string): boolean {
    if (obj === undefined || obj === null) {
        return false;
    }
    return obj["__pulumiType"] === "pulumi:providers:" + packageName;
}

function invokeArgs(spec: FunctionSpec, args: Bag): pulumi.Inputs {
    const props: pulumi.Inputs = {};
    for (const name of Object.keys(spec.inputs)) {
        props[name] = args?.[name];
    }
    return props;
}

/**
 * Promise form. Ignores dependencies and unknowns and drops secretness (pulumi `runtime/invoke.js`);
 * prefer the Output form whenever an argument comes from a resource.
 */
export function invoke<R>(plugin: PluginIdentity, token: string, spec: FunctionSpec, args: Bag, opts?: pulumi.InvokeOptions): Promise<R> {
    const merged: pulumi.InvokeOptions = pulumi.mergeOptions(pluginOptions(plugin), opts || {});
    return pulumi.runtime.invoke(token, invokeArgs(spec, args), merged);
}

/**
 * Output form: unknown while any argument is unknown, ordered after `opts.dependsOn`, secret if
 * any argument is secret and, where the schema has secret result fields, always.
 */
export function invokeOutput<R>(
    plugin: PluginIdentity,
    token: string,
    spec: FunctionSpec,
    args: Bag,
    opts?: pulumi.InvokeOutputOptions,
): pulumi.Output<R> {
    const merged: pulumi.InvokeOutputOptions = pulumi.mergeOptions(pluginOptions(plugin), opts || {});
    const result = pulumi.runtime.invokeOutput<R>(token, invokeArgs(spec, args), merged);
    return spec.secretResult ? (pulumi.secret(result) as pulumi.Output<R>) : result;
}
