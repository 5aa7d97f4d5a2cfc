import * as pulumi from "@pulumi/pulumi";
import * as manifest from "./manifest";
import * as utilities from "./utilities";

/**
 * An explicit instance of the libvirt provider (`pulumi:providers:libvirt`): one per KVM host,
 * passed to that host's resources as `{ provider }`.
 */
export class Provider extends pulumi.ProviderResource {
    /** @internal */
    public static readonly __pulumiType = manifest.packageName;

    /**
     * True when `obj` is a libvirt Provider, even across copies of the Pulumi SDK in one process.
     */
    public static isInstance(obj: any): obj is Provider {
        if (obj === undefined || obj === null) {
            return false;
        }
        return obj["__pulumiType"] === "pulumi:providers:" + Provider.__pulumiType;
    }

    /**
     * @param name The unique name of the provider resource.
     * @param args Provider configuration; `uri` falls back to `LIBVIRT_DEFAULT_URI`.
     * @param opts Resource options; `version` defaults to this package's.
     */
    constructor(name: string, args?: ProviderArgs, opts?: pulumi.ResourceOptions) {
        const resourceInputs: pulumi.Inputs = {};
        const environment: { readonly [name: string]: readonly string[] } = manifest.provider.environmentDefaults;
        for (const property of Object.keys(manifest.provider.inputs) as (keyof ProviderArgs)[]) {
            resourceInputs[property] = args?.[property] ?? utilities.getEnv(...(environment[property] ?? []));
        }
        super(Provider.__pulumiType, name, resourceInputs, pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts || {}));
    }
}

/** Arguments of the libvirt provider. */
export interface ProviderArgs {
    /**
     * libvirt connection URI, e.g. `qemu:///system` or
     * `qemu+ssh://user@host/system?keyfile=/path/key&known_hosts=/path/known_hosts` (pure-Go SSH
     * on the Pulumi runner). Defaults to the `LIBVIRT_DEFAULT_URI` environment variable.
     */
    uri?: pulumi.Input<string>;
}
