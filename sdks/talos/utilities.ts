/**
 * The shared plumbing (../common/runtime.ts) bound to this package, under the names the classes
 * and invokes call (the generated SDK's utilities.ts). Every resource, invoke and explicit
 * Provider carries version and pluginDownloadURL, so the engine can fetch the plugin itself:
 * `pulumi-resource-talos` is not on get.pulumi.com.
 */
import * as pulumi from "@pulumi/pulumi";
import * as runtime from "../common/runtime";
import { FunctionSpec, ResourceSpec } from "../common/spec";
import * as manifest from "./manifest";

export { resourceInputs } from "../common/runtime";

/** Caller options over this package's version and plugin source, plus the spec's additionalSecretOutputs. */
export function resourceOptions(spec: ResourceSpec, opts: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions {
    return runtime.resourceOptions(manifest, spec, opts);
}

/** Caller options over this package's version and plugin source, for an explicit Provider. */
export function providerOptions(opts: pulumi.ResourceOptions | undefined): pulumi.ResourceOptions {
    return runtime.providerOptions(manifest, opts);
}

/** Promise-form invoke (see runtime.invoke for what it drops). */
export function invoke<R>(token: string, spec: FunctionSpec, args: Record<string, any> | undefined, opts?: pulumi.InvokeOptions): Promise<R> {
    return runtime.invoke<R>(manifest, token, spec, args, opts);
}

/** Output-form invoke (see runtime.invokeOutput for dependencies and secretness). */
export function invokeOutput<R>(
    token: string,
    spec: FunctionSpec,
    args: Record<string, any> | undefined,
    opts?: pulumi.InvokeOutputOptions,
): pulumi.Output<R> {
    return runtime.invokeOutput<R>(manifest, token, spec, args, opts);
}
