import * as pulumi from "@pulumi/pulumi";
import { isProviderOf, providerInputs } from "../common/runtime";
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
        return isProviderOf(obj, Provider.__pulumiType);
    }

    /**
     * @param name The unique name of the provider resource.
     * @param args Provider configuration; `uri` falls back to `LIBVIRT_DEFAULT_URI`.
     * @param opts Resource options; `version` defaults to this package's.
     */
    constructor(name: string, args?: ProviderArgs, opts?: pulumi.ResourceOptions) {
        super(Provider.__pulumiType, name, providerInputs(manifest.provider, args), utilities.providerOptions(opts));
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
