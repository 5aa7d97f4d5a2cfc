import * as pulumi from "@pulumi/pulumi";
import * as inputs from "../types/input";
import * as outputs from "../types/output";
import * as manifest from "../manifest";
import * as utilities from "../utilities";

/**
 * Generates the cluster's machine secrets (PKI, tokens) and the matching talosctl client
 * credentials (`talos_machine_secrets`). Losing this resource means a new PKI: protect it.
 * Both outputs are secret as a whole.
 */
export class Secrets extends pulumi.CustomResource {
    /**
     * Looks up an existing Secrets resource's state by name and provider ID.
     *
     * @param name The unique name of the resulting resource.
     * @param id The provider ID of the resource to look up.
     * @param state Extra properties to qualify the lookup.
     * @param opts Resource options.
     */
    public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: SecretsState, opts?: pulumi.CustomResourceOptions): Secrets {
        return new Secrets(name, state as any, { ...opts, id: id });
    }

    /** @internal */
    public static readonly __pulumiType = "talos:machine/secrets:Secrets";

    /** True when `obj` is a Secrets, even across copies of the Pulumi SDK in one process. */
    public static isInstance(obj: any): obj is Secrets {
        if (obj === undefined || obj === null) {
            return false;
        }
        return obj["__pulumiType"] === Secrets.__pulumiType;
    }

    /** talosctl client credentials signed by the cluster's os CA; pass to every `clientConfiguration` argument. */
    declare public readonly clientConfiguration: pulumi.Output<outputs.machine.ClientConfiguration>;
    /** Cluster PKI and tokens; pass to `machine.getConfiguration`'s `machineSecrets`. */
    declare public readonly machineSecrets: pulumi.Output<outputs.machine.MachineSecrets>;
    /** Talos version contract the secrets were generated for. */
    declare public readonly talosVersion: pulumi.Output<string>;

    /**
     * @param name The unique name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts Resource options.
     */
    constructor(name: string, args?: SecretsArgs, opts?: pulumi.CustomResourceOptions);
    constructor(name: string, argsOrState?: SecretsArgs | SecretsState, opts?: pulumi.CustomResourceOptions) {
        const spec = manifest.resources[Secrets.__pulumiType];
        opts = opts || {};
        const resourceInputs = utilities.resourceInputs(spec, argsOrState, opts);
        super(Secrets.__pulumiType, name, resourceInputs, utilities.resourceOptions(spec, opts));
    }
}

/** Properties used to qualify a Secrets lookup. */
export interface SecretsState {
    /** talosctl client credentials. */
    clientConfiguration?: pulumi.Input<inputs.machine.ClientConfiguration>;
    /** Cluster PKI and tokens. */
    machineSecrets?: pulumi.Input<inputs.machine.MachineSecretsArgs>;
    /** Talos version contract. */
    talosVersion?: pulumi.Input<string>;
}

/** Arguments of a Secrets resource. */
export interface SecretsArgs {
    /**
     * Talos version contract used to generate the secrets, e.g. `v1.12`. Defaults to the
     * provider's own (v1.13 for provider 0.8.1); lowering it later replaces the resource
     * (= a new PKI), so pin it.
     */
    talosVersion?: pulumi.Input<string>;
}
