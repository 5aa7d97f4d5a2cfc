/**
 * Shared plumbing, equivalent to the generated SDK's utilities.ts plus the manifest-driven
 * constructor and invoke bodies (the generated SDK inlines these per class).
 */
import * as pulumi from "@pulumi/pulumi";
import * as manifest from "./manifest";
import { FunctionSpec, ResourceSpec } from "./spec";

/** First non-empty value among the named environment variables. */
export function getEnv(...vars: string[]): string | undefined {
    for (const v of vars) {
        const value = process.env[v];
        if (value) {
            return value;
        }
    }
    return undefined;
}

/** The provider version (the generated SDK reads it from its package.json; test/sdks.test.ts checks they agree). */
export function getVersion(): string {
    return manifest.version;
}

/**
 * Options every resource, invoke and explicit Provider carries, so the engine can fetch the
 * plugin itself: `pulumi-resource-talos` is not on get.pulumi.com.
 */
export function resourceOptsDefaults(): { version: string; pluginDownloadURL: string } {
    return { version: getVersion(), pluginDownloadURL: manifest.pluginDownloadURL };
}

type Bag = Record<string, any> | undefined;

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
export function resourceOptions(spec: ResourceSpec, opts: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions {
    let merged = pulumi.mergeOptions(resourceOptsDefaults(), opts);
    if (spec.additionalSecretOutputs.length > 0) {
        merged = pulumi.mergeOptions(merged, { additionalSecretOutputs: [...spec.additionalSecretOutputs] });
    }
    return merged;
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
export function invoke<R>(token: string, spec: FunctionSpec, args: Bag, opts?: pulumi.InvokeOptions): Promise<R> {
    const merged: pulumi.InvokeOptions = pulumi.mergeOptions(resourceOptsDefaults(), opts || {});
    return pulumi.runtime.invoke(token, invokeArgs(spec, args), merged);
}

/**
 * Output form: unknown while any argument is unknown, ordered after `opts.dependsOn`, secret if
 * any argument is secret and, where the schema has secret result fields, always.
 */
export function invokeOutput<R>(token: string, spec: FunctionSpec, args: Bag, opts?: pulumi.InvokeOutputOptions): pulumi.Output<R> {
    const merged: pulumi.InvokeOutputOptions = pulumi.mergeOptions(resourceOptsDefaults(), opts || {});
    const result = pulumi.runtime.invokeOutput<R>(token, invokeArgs(spec, args), merged);
    return spec.secretResult ? (pulumi.secret(result) as pulumi.Output<R>) : result;
}
