import * as pulumi from "@pulumi/pulumi";
import * as inputs from "../types/input";
import * as outputs from "../types/output";
import * as manifest from "../manifest";
import * as utilities from "../utilities";

/**
 * Applies a machine configuration to a node over the Talos API (`talos_machine_configuration_apply`).
 * Dials insecurely first (maintenance mode) and falls back to `clientConfiguration`, so one
 * resource covers the first apply and later updates; retries until `timeouts.create` (10m).
 * `machineConfigurationInput` is stored secret; the rendered `machineConfiguration` is secret.
 */
export class ConfigurationApply extends pulumi.CustomResource {
    /**
     * Looks up an existing ConfigurationApply resource's state by name and provider ID.
     *
     * @param name The unique name of the resulting resource.
     * @param id The provider ID of the resource to look up.
     * @param state Extra properties to qualify the lookup.
     * @param opts Resource options.
     */
    public static get(
        name: string,
        id: pulumi.Input<pulumi.ID>,
        state?: ConfigurationApplyState,
        opts?: pulumi.CustomResourceOptions,
    ): ConfigurationApply {
        return new ConfigurationApply(name, state as any, { ...opts, id: id });
    }

    /** @internal */
    public static readonly __pulumiType = "talos:machine/configurationApply:ConfigurationApply";

    /** True when `obj` is a ConfigurationApply, even across copies of the Pulumi SDK in one process. */
    public static isInstance(obj: any): obj is ConfigurationApply {
        if (obj === undefined || obj === null) {
            return false;
        }
        return obj["__pulumiType"] === ConfigurationApply.__pulumiType;
    }

    /** Requested apply mode. */
    declare public readonly applyMode: pulumi.Output<string>;
    /** Talos API client credentials used after the first apply. */
    declare public readonly clientConfiguration: pulumi.Output<outputs.machine.ClientConfiguration | undefined>;
    /** Patches applied on top of `machineConfigurationInput`. */
    declare public readonly configPatches: pulumi.Output<string[] | undefined>;
    /** Address the Talos API was dialled on. */
    declare public readonly endpoint: pulumi.Output<string>;
    /** The configuration as applied (input plus patches); secret. */
    declare public readonly machineConfiguration: pulumi.Output<string>;
    /** SHA-256 hex digest of the applied configuration. */
    declare public readonly machineConfigurationHash: pulumi.Output<string>;
    /** The configuration passed in; secret. */
    declare public readonly machineConfigurationInput: pulumi.Output<string | undefined>;
    /** Target node. */
    declare public readonly node: pulumi.Output<string>;
    /** Destroy behaviour. */
    declare public readonly onDestroy: pulumi.Output<outputs.machine.ConfigurationApplyOnDestroy | undefined>;
    /** The apply mode actually used (differs from `applyMode` for `staged_if_needing_reboot`). */
    declare public readonly resolvedApplyMode: pulumi.Output<string>;
    /** Operation timeouts. */
    declare public readonly timeouts: pulumi.Output<outputs.machine.Timeout | undefined>;

    /**
     * @param name The unique name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts Resource options.
     */
    constructor(name: string, args: ConfigurationApplyArgs, opts?: pulumi.CustomResourceOptions);
    constructor(name: string, argsOrState?: ConfigurationApplyArgs | ConfigurationApplyState, opts?: pulumi.CustomResourceOptions) {
        const spec = manifest.resources[ConfigurationApply.__pulumiType];
        opts = opts || {};
        const resourceInputs = utilities.resourceInputs(spec, argsOrState, opts);
        super(ConfigurationApply.__pulumiType, name, resourceInputs, utilities.resourceOptions(spec, opts));
    }
}

/** Properties used to qualify a ConfigurationApply lookup. */
export interface ConfigurationApplyState {
    /** Requested apply mode. */
    applyMode?: pulumi.Input<string>;
    /** Talos API client credentials. */
    clientConfiguration?: pulumi.Input<inputs.machine.ClientConfiguration>;
    /** Config patches. */
    configPatches?: pulumi.Input<pulumi.Input<string>[]>;
    /** Talos API address. */
    endpoint?: pulumi.Input<string>;
    /** Applied configuration. */
    machineConfiguration?: pulumi.Input<string>;
    /** SHA-256 of the applied configuration. */
    machineConfigurationHash?: pulumi.Input<string>;
    /** Configuration passed in. */
    machineConfigurationInput?: pulumi.Input<string>;
    /** Target node. */
    node?: pulumi.Input<string>;
    /** Destroy behaviour. */
    onDestroy?: pulumi.Input<inputs.machine.ConfigurationApplyOnDestroy>;
    /** Apply mode actually used. */
    resolvedApplyMode?: pulumi.Input<string>;
    /** Operation timeouts. */
    timeouts?: pulumi.Input<inputs.machine.Timeout>;
}

/** Arguments of a ConfigurationApply resource. */
export interface ConfigurationApplyArgs {
    /**
     * `auto` (default), `reboot`, `no_reboot`, `staged`, or `staged_if_needing_reboot` (dry-run:
     * `staged` when the change needs a reboot, else `auto`).
     */
    applyMode?: pulumi.Input<string>;
    /**
     * Talos API client credentials (`Secrets.clientConfiguration`). Required here although the
     * 0.8.x schema makes it optional (its write-only twin is not bound).
     */
    clientConfiguration: pulumi.Input<inputs.machine.ClientConfiguration>;
    /** Strategic-merge (YAML/JSON) or RFC 6902 patches applied to `machineConfigurationInput`. */
    configPatches?: pulumi.Input<pulumi.Input<string>[]>;
    /** Address to dial the Talos API on (port 50000); defaults to `node`. */
    endpoint?: pulumi.Input<string>;
    /**
     * The machine configuration to apply (e.g. `machine.getConfigurationOutput(...).machineConfiguration`);
     * wrapped in `pulumi.secret`. Required here although the 0.8.x schema makes it optional.
     */
    machineConfigurationInput: pulumi.Input<string>;
    /** The node to configure (an address or name the Talos API knows it by). */
    node: pulumi.Input<string>;
    /** What to do on destroy; a no-op unless `reset: true`, which must be applied before the destroy. */
    onDestroy?: pulumi.Input<inputs.machine.ConfigurationApplyOnDestroy>;
    /** Create/update/delete timeouts, Go durations (default 10m each). */
    timeouts?: pulumi.Input<inputs.machine.Timeout>;
}
