/**
 * GcsObjectFromUrl: a Cloud Storage object holding a copy of a content-addressed URL, copied
 * once per URL, as a Pulumi dynamic resource (docs/decisions/0003-gcp-image-import.md). What
 * the provider does, and why its code is stored the way it is, is in
 * components/gcsObjectFromUrlProvider.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { providerModuleText, STORAGE_API } from "./gcsObjectFromUrlProvider";

export { STORAGE_API } from "./gcsObjectFromUrlProvider";

export interface GcsObjectFromUrlArgs {
    /** Source URL (http or https) that always names the same bytes; a new URL means a new copy. */
    sourceUrl: pulumi.Input<string>;
    /** Destination bucket name. */
    bucket: pulumi.Input<string>;
    /** Destination object name. */
    objectName: pulumi.Input<string>;
    /** Content type stored with the object. Default "application/octet-stream". */
    contentType?: pulumi.Input<string>;
    /**
     * OAuth2 access token that may write the bucket, normally the gcp provider's own
     * (`gcp.organizations.getClientConfigOutput().accessToken`). Made secret here; a new token
     * on every run is not a change.
     */
    accessToken: pulumi.Input<string>;
    /** Cloud Storage JSON API base URL. Default "https://storage.googleapis.com". */
    storageApi?: pulumi.Input<string>;
}

/**
 * A Cloud Storage object holding a copy of a content-addressed URL, copied once per URL. A
 * dynamic resource (type `pulumi-nodejs:dynamic/...`, run by Pulumi's Node.js dynamic provider
 * host) whose provider module is `providerModuleText()`.
 */
export class GcsObjectFromUrl extends pulumi.CustomResource {
    // `declare`: the base constructor creates these outputs; an initialized class field
    // (ES2022 semantics) would overwrite them with undefined after super() returns.
    declare public readonly sourceUrl: pulumi.Output<string>;
    declare public readonly bucket: pulumi.Output<string>;
    declare public readonly objectName: pulumi.Output<string>;
    /** Object size in bytes (unknown until the copy ran). */
    declare public readonly size: pulumi.Output<number>;
    /** SHA-256 of the copied bytes, hex. */
    declare public readonly sha256: pulumi.Output<string>;
    /** Generation of the object this resource wrote. */
    declare public readonly generation: pulumi.Output<string>;

    constructor(name: string, args: GcsObjectFromUrlArgs, opts?: pulumi.CustomResourceOptions) {
        super("pulumi-nodejs:dynamic/talos-cloud-edge:GcsObjectFromUrl", name, {
            __provider: providerModuleText(),
            sourceUrl: args.sourceUrl,
            bucket: args.bucket,
            objectName: args.objectName,
            contentType: args.contentType ?? "application/octet-stream",
            storageApi: args.storageApi ?? STORAGE_API,
            accessToken: pulumi.secret(args.accessToken),
            size: undefined,
            sha256: undefined,
            md5Hash: undefined,
            generation: undefined,
        }, opts);
    }
}
