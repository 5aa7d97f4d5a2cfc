import * as pulumi from "@pulumi/pulumi";
import * as inputs from "../types/input";
import * as outputs from "../types/output";
import * as manifest from "../manifest";
import * as utilities from "../utilities";

/**
 * Issues a Kubernetes admin kubeconfig from a control-plane node (`talos_cluster_kubeconfig`)
 * and re-issues the client certificate within `certificateRenewalDuration` of its expiry.
 * `kubeconfigRaw` and `kubernetesClientConfiguration` are secret.
 */
export class Kubeconfig extends pulumi.CustomResource {
    /**
     * Looks up an existing Kubeconfig resource's state by name and provider ID.
     *
     * @param name The unique name of the resulting resource.
     * @param id The provider ID of the resource to look up.
     * @param state Extra properties to qualify the lookup.
     * @param opts Resource options.
     */
    public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: KubeconfigState, opts?: pulumi.CustomResourceOptions): Kubeconfig {
        return new Kubeconfig(name, state as any, { ...opts, id: id });
    }

    /** @internal */
    public static readonly __pulumiType = "talos:cluster/kubeconfig:Kubeconfig";

    /** True when `obj` is a Kubeconfig, even across copies of the Pulumi SDK in one process. */
    public static isInstance(obj: any): obj is Kubeconfig {
        if (obj === undefined || obj === null) {
            return false;
        }
        return obj["__pulumiType"] === Kubeconfig.__pulumiType;
    }

    /** Renewal window before certificate expiry, a Go duration. */
    declare public readonly certificateRenewalDuration: pulumi.Output<string>;
    /** Talos API client credentials. */
    declare public readonly clientConfiguration: pulumi.Output<outputs.cluster.KubeconfigClientConfiguration>;
    /** Address the Talos API was dialled on. */
    declare public readonly endpoint: pulumi.Output<string>;
    /** The kubeconfig YAML; secret. */
    declare public readonly kubeconfigRaw: pulumi.Output<string>;
    /** Kubernetes API URL and admin credentials; secret. */
    declare public readonly kubernetesClientConfiguration: pulumi.Output<outputs.cluster.KubeconfigKubernetesClientConfiguration>;
    /** Control-plane node the kubeconfig came from. */
    declare public readonly node: pulumi.Output<string>;
    /** Operation timeouts. */
    declare public readonly timeouts: pulumi.Output<outputs.cluster.KubeconfigTimeouts | undefined>;

    /**
     * @param name The unique name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts Resource options.
     */
    constructor(name: string, args: KubeconfigArgs, opts?: pulumi.CustomResourceOptions);
    constructor(name: string, argsOrState?: KubeconfigArgs | KubeconfigState, opts?: pulumi.CustomResourceOptions) {
        const spec = manifest.resources[Kubeconfig.__pulumiType];
        opts = opts || {};
        const resourceInputs = utilities.resourceInputs(spec, argsOrState, opts);
        super(Kubeconfig.__pulumiType, name, resourceInputs, utilities.resourceOptions(spec, opts));
    }
}

/** Properties used to qualify a Kubeconfig lookup. */
export interface KubeconfigState {
    /** Renewal window. */
    certificateRenewalDuration?: pulumi.Input<string>;
    /** Talos API client credentials. */
    clientConfiguration?: pulumi.Input<inputs.cluster.KubeconfigClientConfiguration>;
    /** Talos API address. */
    endpoint?: pulumi.Input<string>;
    /** The kubeconfig YAML. */
    kubeconfigRaw?: pulumi.Input<string>;
    /** Kubernetes API URL and admin credentials. */
    kubernetesClientConfiguration?: pulumi.Input<inputs.cluster.KubeconfigKubernetesClientConfiguration>;
    /** Control-plane node. */
    node?: pulumi.Input<string>;
    /** Operation timeouts. */
    timeouts?: pulumi.Input<inputs.cluster.KubeconfigTimeouts>;
}

/** Arguments of a Kubeconfig resource. */
export interface KubeconfigArgs {
    /** Re-issue the client certificate this long before it expires, a Go duration; default `720h`. */
    certificateRenewalDuration?: pulumi.Input<string>;
    /** Talos API client credentials (`Secrets.clientConfiguration`). */
    clientConfiguration: pulumi.Input<inputs.cluster.KubeconfigClientConfiguration>;
    /** Address to dial the Talos API on (port 50000); defaults to `node`. */
    endpoint?: pulumi.Input<string>;
    /** A bootstrapped control-plane node. */
    node: pulumi.Input<string>;
    /** Create/update timeouts, Go durations (default 10m). */
    timeouts?: pulumi.Input<inputs.cluster.KubeconfigTimeouts>;
}
