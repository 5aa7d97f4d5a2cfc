import * as pulumi from "@pulumi/pulumi";
import { isProviderOf, providerInputs } from "../common/runtime";
import * as manifest from "./manifest";
import * as utilities from "./utilities";

/**
 * An explicit instance of the Talos provider (`pulumi:providers:talos`). Resources and invokes
 * use the default provider unless one of these is passed as `{ provider }`.
 */
export class Provider extends pulumi.ProviderResource {
    /** @internal */
    public static readonly __pulumiType = manifest.packageName;

    /**
     * True when `obj` is a Talos Provider, even across copies of the Pulumi SDK in one process.
     */
    public static isInstance(obj: any): obj is Provider {
        return isProviderOf(obj, Provider.__pulumiType);
    }

    /**
     * @param name The unique name of the provider resource.
     * @param args Provider configuration.
     * @param opts Resource options; `version` and `pluginDownloadURL` default to this package's.
     */
    constructor(name: string, args?: ProviderArgs, opts?: pulumi.ResourceOptions) {
        super(Provider.__pulumiType, name, providerInputs(manifest.provider, args), utilities.providerOptions(opts));
    }
}

/** Arguments of the Talos provider. */
export interface ProviderArgs {
    /** Image Factory base URL used to create schematics; the provider defaults to https://factory.talos.dev. */
    imageFactoryUrl?: pulumi.Input<string>;
}
