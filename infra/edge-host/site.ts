/**
 * The part of an edge site the host renderers read (its network), and the check that its parts
 * agree with each other.
 */
import { formatIPv4 } from "../../model/net";
import type { EdgeBridgeConfig, EdgeDhcpConfig, EdgeHostConfig } from "../../model/stack";
import { broadcastOf, checkIfname, checkIPv4, checkPrefix, fail, networkOf } from "./checks";
import { checkSiteName } from "./paths";

/** What the network renderers read from a site: a slice of the stack model's site (model/stack.ts). */
export interface EdgeNetworkSite {
    /** Site name, a DNS label; part of every host object name (see `edgeHostPaths`). */
    name: string;
    bridge: EdgeBridgeConfig;
    dhcp: Pick<EdgeDhcpConfig, "serverAddress">;
    host: Pick<EdgeHostConfig<unknown>, "uplinkInterface">;
}

/** A site network that passed `checkEdgeNetwork`, in canonical form. */
export interface CheckedNetwork {
    site: string;
    bridge: string;
    gatewayCidr: string;
    gateway: string;
    subnetCidr: string;
    prefix: number;
    mtu: number;
    dhcpCidr: string;
    dhcpAddress: string;
    uplink: string;
}

/** Validates the site's network description and that its parts agree with each other. */
export function checkEdgeNetwork(site: EdgeNetworkSite): CheckedNetwork {
    const name = checkSiteName(site.name);
    const what = `edge site ${name}`;
    const bridge = checkIfname(site.bridge.name, `${what} bridge.name`);
    const prefix = checkPrefix(site.bridge.prefixLength, `${what} bridge.prefixLength`);
    const gw = checkIPv4(site.bridge.gateway, `${what} bridge.gateway`);
    if (site.bridge.gatewayCidr !== `${formatIPv4(gw)}/${prefix}`) {
        fail(`${what} bridge.gatewayCidr`, `${JSON.stringify(site.bridge.gatewayCidr)} does not match gateway ${site.bridge.gateway} and prefix ${prefix}`, 'derive them from one "a.b.c.d/nn" value');
    }
    const network = networkOf(gw, prefix);
    if (site.bridge.subnetCidr !== `${formatIPv4(network)}/${prefix}`) {
        fail(`${what} bridge.subnetCidr`, `${JSON.stringify(site.bridge.subnetCidr)} is not the subnet of ${site.bridge.gatewayCidr}`, `use "${formatIPv4(network)}/${prefix}"`);
    }
    const broadcast = broadcastOf(network, prefix);
    if (gw === network || gw === broadcast) {
        fail(`${what} bridge.gateway`, `${site.bridge.gateway} is the network or broadcast address`, "pick a host address");
    }
    const dhcp = checkIPv4(site.dhcp.serverAddress, `${what} dhcp.serverAddress`);
    if (networkOf(dhcp, prefix) !== network || dhcp === network || dhcp === broadcast) {
        fail(`${what} dhcp.serverAddress`, `${site.dhcp.serverAddress} is not a host address in ${site.bridge.subnetCidr}`, "pick an address inside the site subnet");
    }
    if (dhcp === gw) {
        fail(`${what} dhcp.serverAddress`, `equals the gateway ${site.bridge.gateway}`, "dnsmasq runs in its own network namespace and needs its own address, e.g. gateway + 1");
    }
    const mtu = site.bridge.mtu;
    if (!Number.isInteger(mtu) || mtu < 576 || mtu > 9216) {
        fail(`${what} bridge.mtu`, `must be a whole number between 576 and 9216 (got ${JSON.stringify(mtu)})`, "use 1500 unless the uplink needs less");
    }
    const uplink = checkIfname(site.host.uplinkInterface, `${what} host.uplinkInterface`);
    if (uplink === bridge) {
        fail(`${what} host.uplinkInterface`, `is the site bridge ${bridge}`, "name the host interface traffic leaves by, e.g. eno1");
    }
    return {
        site: name,
        bridge,
        gatewayCidr: site.bridge.gatewayCidr,
        gateway: formatIPv4(gw),
        subnetCidr: site.bridge.subnetCidr,
        prefix,
        mtu,
        dhcpCidr: `${formatIPv4(dhcp)}/${prefix}`,
        dhcpAddress: formatIPv4(dhcp),
        uplink,
    };
}
