import * as pulumi from "@pulumi/pulumi";
import * as inputs from "./types/input";
import * as outputs from "./types/output";
import * as manifest from "./manifest";
import * as utilities from "./utilities";

/**
 * A storage volume, `libvirt_volume`. `source` (a path on the Pulumi runner or an http(s) URL) is
 * streamed into the pool over the libvirt connection without decompression, so use qcow2 or raw
 * images. The id is the volume key (its path), which `DomainDisk.volumeId` and `baseVolumeId` take.
 */
export class Volume extends pulumi.CustomResource {
    /**
     * Looks up an existing Volume resource's state by name and provider ID.
     *
     * @param name The unique name of the resulting resource.
     * @param id The provider ID of the resource to look up.
     * @param state Extra properties to qualify the lookup.
     * @param opts Resource options.
     */
    public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: VolumeState, opts?: pulumi.CustomResourceOptions): Volume {
        return new Volume(name, state as any, { ...opts, id: id });
    }

    /** @internal */
    public static readonly __pulumiType = "libvirt:index/volume:Volume";

    /** True when `obj` is a Volume, even across copies of the Pulumi SDK in one process. */
    public static isInstance(obj: any): obj is Volume {
        if (obj === undefined || obj === null) {
            return false;
        }
        return obj["__pulumiType"] === Volume.__pulumiType;
    }

    /** Id of a backing volume: this volume becomes a copy-on-write overlay of it. */
    declare public readonly baseVolumeId: pulumi.Output<string | undefined>;
    /** Name of a backing volume, looked up in `baseVolumePool` (or `pool`). */
    declare public readonly baseVolumeName: pulumi.Output<string | undefined>;
    /** Pool holding `baseVolumeName`. */
    declare public readonly baseVolumePool: pulumi.Output<string | undefined>;
    /** Volume format, `qcow2` or `raw`; detected from `source` when unset. */
    declare public readonly format: pulumi.Output<string>;
    /** Volume name, unique in its pool. */
    declare public readonly name: pulumi.Output<string>;
    /** Storage pool; default `default`. */
    declare public readonly pool: pulumi.Output<string | undefined>;
    /** Size in bytes; defaults to the size of `source` or the base volume. */
    declare public readonly size: pulumi.Output<number>;
    /** Image to upload: a local path on the Pulumi runner or an http(s) URL. */
    declare public readonly source: pulumi.Output<string | undefined>;
    /** XSLT applied to the generated volume XML. */
    declare public readonly xml: pulumi.Output<outputs.VolumeXml | undefined>;

    /**
     * @param name The unique name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts Resource options.
     */
    constructor(name: string, args?: VolumeArgs, opts?: pulumi.CustomResourceOptions);
    constructor(name: string, argsOrState?: VolumeArgs | VolumeState, opts?: pulumi.CustomResourceOptions) {
        const spec = manifest.resources[Volume.__pulumiType];
        opts = opts || {};
        const resourceInputs = utilities.resourceInputs(spec, argsOrState, opts);
        super(Volume.__pulumiType, name, resourceInputs, utilities.resourceOptions(spec, opts));
    }
}

/** Properties used to qualify a Volume lookup. */
export interface VolumeState {
    /** Id of a backing volume: this volume becomes a copy-on-write overlay of it. */
    baseVolumeId?: pulumi.Input<string>;
    /** Name of a backing volume, looked up in `baseVolumePool` (or `pool`). */
    baseVolumeName?: pulumi.Input<string>;
    /** Pool holding `baseVolumeName`. */
    baseVolumePool?: pulumi.Input<string>;
    /** Volume format, `qcow2` or `raw`; detected from `source` when unset. */
    format?: pulumi.Input<string>;
    /** Volume name, unique in its pool. */
    name?: pulumi.Input<string>;
    /** Storage pool; default `default`. */
    pool?: pulumi.Input<string>;
    /** Size in bytes; defaults to the size of `source` or the base volume. */
    size?: pulumi.Input<number>;
    /** Image to upload: a local path on the Pulumi runner or an http(s) URL. */
    source?: pulumi.Input<string>;
    /** XSLT applied to the generated volume XML. */
    xml?: pulumi.Input<inputs.VolumeXml>;
}

/** Arguments of a Volume resource. */
export interface VolumeArgs {
    /** Id of a backing volume: this volume becomes a copy-on-write overlay of it. */
    baseVolumeId?: pulumi.Input<string>;
    /** Name of a backing volume, looked up in `baseVolumePool` (or `pool`). */
    baseVolumeName?: pulumi.Input<string>;
    /** Pool holding `baseVolumeName`. */
    baseVolumePool?: pulumi.Input<string>;
    /** Volume format, `qcow2` or `raw`; detected from `source` when unset. */
    format?: pulumi.Input<string>;
    /** Volume name, unique in its pool. */
    name?: pulumi.Input<string>;
    /** Storage pool; default `default`. */
    pool?: pulumi.Input<string>;
    /** Size in bytes; defaults to the size of `source` or the base volume. */
    size?: pulumi.Input<number>;
    /** Image to upload: a local path on the Pulumi runner or an http(s) URL. */
    source?: pulumi.Input<string>;
    /** XSLT applied to the generated volume XML. */
    xml?: pulumi.Input<inputs.VolumeXml>;
}
