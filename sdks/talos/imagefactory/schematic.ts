import * as pulumi from "@pulumi/pulumi";
import * as manifest from "../manifest";
import * as utilities from "../utilities";

/**
 * Registers a schematic with Image Factory (`talos_image_factory_schematic`). The resource `id`
 * IS the schematic ID (64 hex characters); there is no separate output for it. Feed
 * `schematic.id` to `imagefactory.getUrlsOutput({ schematicId })`.
 */
export class Schematic extends pulumi.CustomResource {
    /**
     * Looks up an existing Schematic resource's state by name and provider ID.
     *
     * @param name The unique name of the resulting resource.
     * @param id The schematic ID.
     * @param state Extra properties to qualify the lookup.
     * @param opts Resource options.
     */
    public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: SchematicState, opts?: pulumi.CustomResourceOptions): Schematic {
        return new Schematic(name, state as any, { ...opts, id: id });
    }

    /** @internal */
    public static readonly __pulumiType = "talos:imageFactory/schematic:Schematic";

    /** True when `obj` is a Schematic, even across copies of the Pulumi SDK in one process. */
    public static isInstance(obj: any): obj is Schematic {
        if (obj === undefined || obj === null) {
            return false;
        }
        return obj["__pulumiType"] === Schematic.__pulumiType;
    }

    /** The schematic YAML. */
    declare public readonly schematic: pulumi.Output<string | undefined>;

    /**
     * @param name The unique name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts Resource options.
     */
    constructor(name: string, args?: SchematicArgs, opts?: pulumi.CustomResourceOptions);
    constructor(name: string, argsOrState?: SchematicArgs | SchematicState, opts?: pulumi.CustomResourceOptions) {
        const spec = manifest.resources[Schematic.__pulumiType];
        opts = opts || {};
        const resourceInputs = utilities.resourceInputs(spec, argsOrState, opts);
        super(Schematic.__pulumiType, name, resourceInputs, utilities.resourceOptions(spec, opts));
    }
}

/** Properties used to qualify a Schematic lookup. */
export interface SchematicState {
    /** The schematic YAML. */
    schematic?: pulumi.Input<string>;
}

/** Arguments of a Schematic resource. */
export interface SchematicArgs {
    /**
     * Schematic YAML, e.g. `customization: {systemExtensions: {officialExtensions: [siderolabs/tailscale]}}`;
     * empty = the vanilla schematic. Never put secrets here: schematics are public by ID.
     */
    schematic?: pulumi.Input<string>;
}
