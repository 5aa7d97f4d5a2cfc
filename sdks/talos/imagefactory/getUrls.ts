import * as pulumi from "@pulumi/pulumi";
import * as outputs from "../types/output";
import * as manifest from "../manifest";
import * as utilities from "../utilities";

const TOKEN = "talos:imageFactory/getUrls:getUrls";

/**
 * Builds Image Factory asset URLs for a schematic, version and platform or SBC
 * (`talos_image_factory_urls`); computed locally, no HTTP request.
 */
export function getUrls(args: GetUrlsArgs, opts?: pulumi.InvokeOptions): Promise<GetUrlsResult> {
    return utilities.invoke(TOKEN, manifest.functions[TOKEN], args, opts);
}

/** Arguments of {@link getUrls}. */
export interface GetUrlsArgs {
    /** `amd64` (default) or `arm64`. */
    architecture?: string;
    /** Platform, e.g. `metal`, `gcp`, `nocloud`; exactly one of `platform` and `sbc`. */
    platform?: string;
    /** Single-board computer name; exactly one of `platform` and `sbc`. */
    sbc?: string;
    /** Schematic ID (`Schematic.id`). */
    schematicId: string;
    /** Talos version, e.g. `v1.12.4`. */
    talosVersion: string;
}

/** Result of {@link getUrls}. */
export interface GetUrlsResult {
    /** Architecture. */
    readonly architecture: string;
    /** Provider-assigned ID. */
    readonly id: string;
    /** Platform. */
    readonly platform?: string;
    /** SBC. */
    readonly sbc?: string;
    /** Schematic ID. */
    readonly schematicId: string;
    /** Talos version. */
    readonly talosVersion: string;
    /** The asset URLs; those the platform lacks are "". */
    readonly urls: outputs.imagefactory.GetUrlsUrls;
}

/** Output form of {@link getUrls}. */
export function getUrlsOutput(args: GetUrlsOutputArgs, opts?: pulumi.InvokeOutputOptions): pulumi.Output<GetUrlsResult> {
    return utilities.invokeOutput(TOKEN, manifest.functions[TOKEN], args, opts);
}

/** Arguments of {@link getUrlsOutput}. */
export interface GetUrlsOutputArgs {
    /** `amd64` (default) or `arm64`. */
    architecture?: pulumi.Input<string>;
    /** Platform, e.g. `metal`, `gcp`, `nocloud`; exactly one of `platform` and `sbc`. */
    platform?: pulumi.Input<string>;
    /** Single-board computer name; exactly one of `platform` and `sbc`. */
    sbc?: pulumi.Input<string>;
    /** Schematic ID (`Schematic.id`). */
    schematicId: pulumi.Input<string>;
    /** Talos version, e.g. `v1.12.4`. */
    talosVersion: pulumi.Input<string>;
}
