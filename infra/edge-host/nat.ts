/** The nftables table that masquerades an edge site's subnet out of the host's uplink. */
import { EdgeHostPaths, edgeHostPaths } from "./paths";
import { EdgeNetworkSite, checkEdgeNetwork } from "./site";

/** The site's NAT table for `nft -f`: re-creating it in one transaction makes reruns idempotent. */
export function renderNatRuleset(site: EdgeNetworkSite, paths: EdgeHostPaths = edgeHostPaths(site.name)): string {
    const net = checkEdgeNetwork(site);
    return [
        `# Declaring then deleting the table makes the final definition replace any earlier one atomically.`,
        `table ip ${paths.nftTable}`,
        `delete table ip ${paths.nftTable}`,
        `table ip ${paths.nftTable} {`,
        `\tchain postrouting {`,
        `\t\ttype nat hook postrouting priority 100; policy accept;`,
        `\t\tip saddr ${net.subnetCidr} oifname "${net.uplink}" masquerade`,
        `\t}`,
        `}`,
        "",
    ].join("\n");
}
