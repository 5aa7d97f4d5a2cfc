import * as pulumi from "@pulumi/pulumi";
import * as inputs from "../types/input";
import * as outputs from "../types/output";
import * as manifest from "../manifest";
import * as utilities from "../utilities";

/**
 * Bootstraps etcd on the first control-plane node (`talos_machine_bootstrap`). Retries until
 * `timeouts.create` (10m), so it also waits for the Talos API to answer. Run it once per cluster,
 * after the control-plane ConfigurationApply resources (`dependsOn`: no data flows between them).
 */
export class Bootstrap extends pulumi.CustomResource {
    /**
     * Looks up an existing Bootstrap resource's state by name and provider ID.
     *
     * @param name The unique name of the resulting resource.
     * @param id The provider ID of the resource to look up.
     * @param state Extra properties to qualify the lookup.
     * @param opts Resource options.
     */
    public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: BootstrapState, opts?: pulumi.CustomResourceOptions): Bootstrap {
        return new Bootstrap(name, state as any, { ...opts, id: id });
    }

    /** @internal */
    public static readonly __pulumiType = "talos:machine/bootstrap:Bootstrap";

    /** True when `obj` is a Bootstrap, even across copies of the Pulumi SDK in one process. */
    public static isInstance(obj: any): obj is Bootstrap {
        if (obj === undefined || obj === null) {
            return false;
        }
        return obj["__pulumiType"] === Bootstrap.__pulumiType;
    }

    /** Talos API client credentials. */
    declare public readonly clientConfiguration: pulumi.Output<outputs.machine.ClientConfiguration | undefined>;
    /** Address the Talos API was dialled on. */
    declare public readonly endpoint: pulumi.Output<string>;
    /** The bootstrapped node. */
    declare public readonly node: pulumi.Output<string>;
    /** Bootstrap timeout. */
    declare public readonly timeouts: pulumi.Output<outputs.machine.BootstrapTimeouts | undefined>;

    /**
     * @param name The unique name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts Resource options.
     */
    constructor(name: string, args: BootstrapArgs, opts?: pulumi.CustomResourceOptions);
    constructor(name: string, argsOrState?: BootstrapArgs | BootstrapState, opts?: pulumi.CustomResourceOptions) {
        const spec = manifest.resources[Bootstrap.__pulumiType];
        opts = opts || {};
        const resourceInputs = utilities.resourceInputs(spec, argsOrState, opts);
        super(Bootstrap.__pulumiType, name, resourceInputs, utilities.resourceOptions(spec, opts));
    }
}

/** Properties used to qualify a Bootstrap lookup. */
export interface BootstrapState {
    /** Talos API client credentials. */
    clientConfiguration?: pulumi.Input<inputs.machine.ClientConfiguration>;
    /** Talos API address. */
    endpoint?: pulumi.Input<string>;
    /** The bootstrapped node. */
    node?: pulumi.Input<string>;
    /** Bootstrap timeout. */
    timeouts?: pulumi.Input<inputs.machine.BootstrapTimeouts>;
}

/** Arguments of a Bootstrap resource. */
export interface BootstrapArgs {
    /**
     * Talos API client credentials (`Secrets.clientConfiguration`). Required here although the
     * 0.8.x schema makes it optional (its write-only twin is not bound).
     */
    clientConfiguration: pulumi.Input<inputs.machine.ClientConfiguration>;
    /** Address to dial the Talos API on (port 50000); defaults to `node`. */
    endpoint?: pulumi.Input<string>;
    /** The first control-plane node. */
    node: pulumi.Input<string>;
    /** Create timeout, a Go duration (default 10m). */
    timeouts?: pulumi.Input<inputs.machine.BootstrapTimeouts>;
}
