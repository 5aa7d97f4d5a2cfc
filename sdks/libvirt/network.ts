import * as pulumi from "@pulumi/pulumi";
import * as inputs from "./types/input";
import * as outputs from "./types/output";
import * as manifest from "./manifest";
import * as utilities from "./utilities";

/**
 * A libvirt virtual network, `libvirt_network`. The id is the network UUID
 * (`DomainNetworkInterface.networkId`).
 */
export class Network extends pulumi.CustomResource {
    /**
     * Looks up an existing Network resource's state by name and provider ID.
     *
     * @param name The unique name of the resulting resource.
     * @param id The provider ID of the resource to look up.
     * @param state Extra properties to qualify the lookup.
     * @param opts Resource options.
     */
    public static get(name: string, id: pulumi.Input<pulumi.ID>, state?: NetworkState, opts?: pulumi.CustomResourceOptions): Network {
        return new Network(name, state as any, { ...opts, id: id });
    }

    /** @internal */
    public static readonly __pulumiType = "libvirt:index/network:Network";

    /** True when `obj` is a Network, even across copies of the Pulumi SDK in one process. */
    public static isInstance(obj: any): obj is Network {
        if (obj === undefined || obj === null) {
            return false;
        }
        return obj["__pulumiType"] === Network.__pulumiType;
    }

    /**
     * Up to one IPv4 and one IPv6 subnet in CIDR form; the host takes the first address and, with
     * DHCP on, the rest form the DHCP range.
     */
    declare public readonly addresses: pulumi.Output<string[] | undefined>;
    /** Start the network when the host boots; default false. */
    declare public readonly autostart: pulumi.Output<boolean>;
    /**
     * Host bridge name; generated for none/nat/route/open, mandatory for `bridge` mode (an existing
     * host bridge).
     */
    declare public readonly bridge: pulumi.Output<string>;
    /** DHCP server settings. */
    declare public readonly dhcp: pulumi.Output<outputs.NetworkDhcp>;
    /** DNS server settings. */
    declare public readonly dns: pulumi.Output<outputs.NetworkDns>;
    /** Extra dnsmasq options. */
    declare public readonly dnsmasqOptions: pulumi.Output<outputs.NetworkDnsmasqOptions | undefined>;
    /** DNS domain served to guests. */
    declare public readonly domain: pulumi.Output<string | undefined>;
    /** `none`, `nat` (default), `route`, `open` or `bridge`. */
    declare public readonly mode: pulumi.Output<string | undefined>;
    /** MTU of the network's interfaces (libvirt >= 5.1 also advertises it over DHCP). */
    declare public readonly mtu: pulumi.Output<number | undefined>;
    /** Network name, unique on the host. */
    declare public readonly name: pulumi.Output<string>;
    /** Static routes; each gateway must be reachable via the bridge. */
    declare public readonly routes: pulumi.Output<outputs.NetworkRoute[] | undefined>;
    /** XSLT applied to the generated network XML. */
    declare public readonly xml: pulumi.Output<outputs.NetworkXml | undefined>;

    /**
     * @param name The unique name of the resource.
     * @param args The arguments to use to populate this resource's properties.
     * @param opts Resource options.
     */
    constructor(name: string, args?: NetworkArgs, opts?: pulumi.CustomResourceOptions);
    constructor(name: string, argsOrState?: NetworkArgs | NetworkState, opts?: pulumi.CustomResourceOptions) {
        const spec = manifest.resources[Network.__pulumiType];
        opts = opts || {};
        const resourceInputs = utilities.resourceInputs(spec, argsOrState, opts);
        super(Network.__pulumiType, name, resourceInputs, utilities.resourceOptions(spec, opts));
    }
}

/** Properties used to qualify a Network lookup. */
export interface NetworkState {
    /**
     * Up to one IPv4 and one IPv6 subnet in CIDR form; the host takes the first address and, with
     * DHCP on, the rest form the DHCP range.
     */
    addresses?: pulumi.Input<pulumi.Input<string>[]>;
    /** Start the network when the host boots; default false. */
    autostart?: pulumi.Input<boolean>;
    /**
     * Host bridge name; generated for none/nat/route/open, mandatory for `bridge` mode (an existing
     * host bridge).
     */
    bridge?: pulumi.Input<string>;
    /** DHCP server settings. */
    dhcp?: pulumi.Input<inputs.NetworkDhcp>;
    /** DNS server settings. */
    dns?: pulumi.Input<inputs.NetworkDns>;
    /** Extra dnsmasq options. */
    dnsmasqOptions?: pulumi.Input<inputs.NetworkDnsmasqOptions>;
    /** DNS domain served to guests. */
    domain?: pulumi.Input<string>;
    /** `none`, `nat` (default), `route`, `open` or `bridge`. */
    mode?: pulumi.Input<string>;
    /** MTU of the network's interfaces (libvirt >= 5.1 also advertises it over DHCP). */
    mtu?: pulumi.Input<number>;
    /** Network name, unique on the host. */
    name?: pulumi.Input<string>;
    /** Static routes; each gateway must be reachable via the bridge. */
    routes?: pulumi.Input<pulumi.Input<inputs.NetworkRoute>[]>;
    /** XSLT applied to the generated network XML. */
    xml?: pulumi.Input<inputs.NetworkXml>;
}

/** Arguments of a Network resource. */
export interface NetworkArgs {
    /**
     * Up to one IPv4 and one IPv6 subnet in CIDR form; the host takes the first address and, with
     * DHCP on, the rest form the DHCP range.
     */
    addresses?: pulumi.Input<pulumi.Input<string>[]>;
    /** Start the network when the host boots; default false. */
    autostart?: pulumi.Input<boolean>;
    /**
     * Host bridge name; generated for none/nat/route/open, mandatory for `bridge` mode (an existing
     * host bridge).
     */
    bridge?: pulumi.Input<string>;
    /** DHCP server settings. */
    dhcp?: pulumi.Input<inputs.NetworkDhcp>;
    /** DNS server settings. */
    dns?: pulumi.Input<inputs.NetworkDns>;
    /** Extra dnsmasq options. */
    dnsmasqOptions?: pulumi.Input<inputs.NetworkDnsmasqOptions>;
    /** DNS domain served to guests. */
    domain?: pulumi.Input<string>;
    /** `none`, `nat` (default), `route`, `open` or `bridge`. */
    mode?: pulumi.Input<string>;
    /** MTU of the network's interfaces (libvirt >= 5.1 also advertises it over DHCP). */
    mtu?: pulumi.Input<number>;
    /** Network name, unique on the host. */
    name?: pulumi.Input<string>;
    /** Static routes; each gateway must be reachable via the bridge. */
    routes?: pulumi.Input<pulumi.Input<inputs.NetworkRoute>[]>;
    /** XSLT applied to the generated network XML. */
    xml?: pulumi.Input<inputs.NetworkXml>;
}
