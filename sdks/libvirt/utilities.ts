/**
 * The shared plumbing (../common/runtime.ts) bound to this package, under the names the classes
 * call (the generated SDK's utilities.ts). No pluginDownloadURL: the CLI's default plugin
 * sources serve first-party `pulumi-resource-libvirt`, so only the version is sent.
 */
import * as pulumi from "@pulumi/pulumi";
import * as runtime from "../common/runtime";
import { ResourceSpec } from "../common/spec";
import * as manifest from "./manifest";

export { resourceInputs } from "../common/runtime";

/** Caller options over this package's version, plus the spec's additionalSecretOutputs. */
export function resourceOptions(spec: ResourceSpec, opts: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions {
    return runtime.resourceOptions(manifest, spec, opts);
}

/** Caller options over this package's version, for an explicit Provider. */
export function providerOptions(opts: pulumi.ResourceOptions | undefined): pulumi.ResourceOptions {
    return runtime.providerOptions(manifest, opts);
}
