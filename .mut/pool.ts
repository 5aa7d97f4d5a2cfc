import * as pulumi from "@pulumi/pulumi";
import * as inputs from "./types/input";
import * as outputs from "./types/output";
import * as manifest from "./manifest";
import * as utilities from "./utilities";

/** A storage pool, `libvirt_pool` (`dir` or `logical`). The id is the pool UUID. */
export class Pool extends pulumi.CustomResource {
    /**
     * Looks up an existing Pool resource's state by name and provider ID.
     *
     * @param name The unique name of the resulting resource.
     * @param id The provider ID of the resource to look up.
     * @param state Extra properties to qualify the lookup.
     * @param opts Resource options.
     */
    public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: PoolState, opts?: pulumi.CustomResourceOptions): Pool {
        return new Pool(name, state as any, { ...opts, id: id });
    }

    /** @internal */
    public static readonly __pulumiType = "libvirt:index/pool:Pool";

    /** True when `obj` is a Pool, even across copies of the Pulumi SDK in one process. */
    public static isInstance(obj: any): obj is Pool {
        if (obj === undefined || obj === null) {
            return false;
        }
        return obj["__pulumiType"] === Pool.__pulumiType;
    }

    /** Bytes allocated in the pool. */
    declare public readonly allocation: pulumi.Output<number>;
    /** Bytes still available in the pool. */
    declare public readonly available: pulumi.Output<number>;
    /** Pool capacity in bytes. */
    declare public readonly capacity: pulumi.Output<number>;
    /** Pool name, unique on the host. */
    declare public readonly name: pulumi.Output<string>;
    /**
     * Directory of a `dir` pool.
     * @deprecated use target.path instead
     */
    declare public readonly path: pulumi.Output<string | undefined>;
    /** Source of a `logical` pool (volume group name and devices). */
    declare public readonly source: pulumi.Output<outputs.PoolSource | undefined>;
    /** Where the pool lives on the host, e.g. `{ path: "/var/lib/libvirt/images" }`. */
    declare public readonly target: pulumi.Output<outputs.PoolTarget>;
    /** Pool type: `dir` or `logical`. */
    declare public readonly type: pulumi.Output<string>;
    /** XSLT applied to the generated pool XML. */
    declare public readonly xml: pulumi.Output<outputs.PoolXml | undefined>;

    /**
     * @param name The unique name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts Resource options.
     */
    constructor(name: string, args: PoolArgs, opts?: pulumi.CustomResourceOptions);
    constructor(name: string, argsOrState?: PoolArgs | PoolState, opts?: pulumi.CustomResourceOptions) {
        const spec = manifest.resources[Pool.__pulumiType];
        opts = opts || {};
        const resourceInputs = utilities.resourceInputs(spec, argsOrState, opts);
        super(Pool.__pulumiType, name, resourceInputs, utilities.resourceOptions(spec, opts));
    }
}

/** Properties used to qualify a Pool lookup. */
export interface PoolState {
    /** Bytes allocated in the pool. */
    allocation?: pulumi.Input<number>;
    /** Bytes still available in the pool. */
    available?: pulumi.Input<number>;
    /** Pool capacity in bytes. */
    capacity?: pulumi.Input<number>;
    /** Pool name, unique on the host. */
    name?: pulumi.Input<string>;
    /**
     * Directory of a `dir` pool.
     * @deprecated use target.path instead
     */
    path?: pulumi.Input<string>;
    /** Source of a `logical` pool (volume group name and devices). */
    source?: pulumi.Input<inputs.PoolSource>;
    /** Where the pool lives on the host, e.g. `{ path: "/var/lib/libvirt/images" }`. */
    target?: pulumi.Input<inputs.PoolTarget>;
    /** Pool type: `dir` or `logical`. */
    type?: pulumi.Input<string>;
    /** XSLT applied to the generated pool XML. */
    xml?: pulumi.Input<inputs.PoolXml>;
}

/** Arguments of a Pool resource. */
export interface PoolArgs {
    /** Bytes allocated in the pool. */
    allocation?: pulumi.Input<number>;
    /** Bytes still available in the pool. */
    available?: pulumi.Input<number>;
    /** Pool capacity in bytes. */
    capacity?: pulumi.Input<number>;
    /** Pool name, unique on the host. */
    name?: pulumi.Input<string>;
    /**
     * Directory of a `dir` pool.
     * @deprecated use target.path instead
     */
    path?: pulumi.Input<string>;
    /** Source of a `logical` pool (volume group name and devices). */
    source?: pulumi.Input<inputs.PoolSource>;
    /** Where the pool lives on the host, e.g. `{ path: "/var/lib/libvirt/images" }`. */
    target?: pulumi.Input<inputs.PoolTarget>;
    /** Pool type: `dir` or `logical`. */
    type: pulumi.Input<string>;
    /** XSLT applied to the generated pool XML. */
    xml?: pulumi.Input<inputs.PoolXml>;
}
