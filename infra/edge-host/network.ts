/**
 * The network setup and teardown scripts of an edge site, run by its network unit: an Open
 * vSwitch bridge holding the gateway, an OVS internal port in the dnsmasq namespace holding the
 * DHCP server address, IPv4 forwarding and the NAT table. Both are safe to run any number of times.
 */
import { GENERATED_HEADER } from "./generated";
import { renderNatRuleset } from "./nat";
import { EdgeHostPaths, edgeHostPaths } from "./paths";
import { shq } from "./shell";
import { EdgeNetworkSite, checkEdgeNetwork } from "./site";

/**
 * Brings the site network to the desired state; safe to run any number of times:
 * OVS bridge with the gateway address and MTU, an OVS internal port moved into the
 * dnsmasq namespace with the DHCP server address, IPv4 forwarding, and the NAT table.
 */
export function renderNetworkSetupScript(site: EdgeNetworkSite, paths: EdgeHostPaths = edgeHostPaths(site.name)): string {
    const net = checkEdgeNetwork(site);
    const nat = renderNatRuleset(site, paths);
    return `#!/bin/bash
${GENERATED_HEADER}
# Sets up the network of edge site ${net.site}. Rerunnable: every step converges.
set -euo pipefail

SITE=${shq(net.site)}
BRIDGE=${shq(net.bridge)}
GATEWAY_CIDR=${shq(net.gatewayCidr)}
MTU=${shq(net.mtu)}
NETNS=${shq(paths.netns)}
DHCP_PORT=${shq(paths.dhcpPort)}
DHCP_CIDR=${shq(net.dhcpCidr)}
BRIDGE_STATE=${shq(paths.bridgeStateFile)}

log() { echo "talos-edge-net[$SITE]: $*"; }

# Keeps exactly one IPv4 address on an interface (optionally inside a namespace).
converge_address() {
    local want=$1 dev=$2 ns=\${3:-} cidr
    local -a ipcmd=(ip)
    if [[ -n $ns ]]; then ipcmd=(ip -n "$ns"); fi
    "\${ipcmd[@]}" addr replace "$want" dev "$dev"
    while read -r cidr; do
        if [[ -n $cidr && $cidr != "$want" ]]; then
            log "removing stale address $cidr from $dev"
            "\${ipcmd[@]}" addr del "$cidr" dev "$dev"
        fi
    done < <("\${ipcmd[@]}" -4 -o addr show dev "$dev" | awk '{print $4}')
}

# A renamed bridge: remove the one this site set up before.
if [[ -f $BRIDGE_STATE ]]; then
    previous=$(<"$BRIDGE_STATE")
    if [[ -n $previous && $previous != "$BRIDGE" ]]; then
        log "removing previous bridge $previous"
        ovs-vsctl --if-exists del-br "$previous"
    fi
fi

log "bridge $BRIDGE (gateway $GATEWAY_CIDR, MTU $MTU)"
ovs-vsctl --may-exist add-br "$BRIDGE" -- set interface "$BRIDGE" mtu_request="$MTU"
ovs-vsctl --may-exist add-port "$BRIDGE" "$DHCP_PORT" -- set interface "$DHCP_PORT" type=internal
mkdir -p "$(dirname "$BRIDGE_STATE")"
printf '%s\\n' "$BRIDGE" >"$BRIDGE_STATE"
converge_address "$GATEWAY_CIDR" "$BRIDGE"
ip link set dev "$BRIDGE" up

# dnsmasq gets its own namespace holding only the DHCP port: its address cannot clash with the
# gateway's connected route, and it sees no host interface.
log "DHCP port $DHCP_PORT ($DHCP_CIDR) in namespace $NETNS"
if [[ ! -e /run/netns/$NETNS ]]; then
    ip netns add "$NETNS"
fi
if ip link show dev "$DHCP_PORT" >/dev/null 2>&1; then
    # Still in the host namespace: first run, or OVS re-created it after a reboot.
    ip link set dev "$DHCP_PORT" netns "$NETNS"
fi
ip -n "$NETNS" link set dev lo up
ip -n "$NETNS" link set dev "$DHCP_PORT" mtu "$MTU"
converge_address "$DHCP_CIDR" "$DHCP_PORT" "$NETNS"
ip -n "$NETNS" link set dev "$DHCP_PORT" up

log "IPv4 forwarding and NAT (table ip ${paths.nftTable})"
sysctl -q -w net.ipv4.ip_forward=1
nft -f - <<'NFT'
${nat}NFT

# Docker sets the FORWARD policy to DROP; its DOCKER-USER chain is the supported place to let
# the site's traffic through.
if command -v iptables >/dev/null 2>&1 && iptables -w -n -L DOCKER-USER >/dev/null 2>&1; then
    log "allowing the bridge in Docker's DOCKER-USER chain"
    iptables -w -C DOCKER-USER -i "$BRIDGE" -j ACCEPT 2>/dev/null ||
        iptables -w -I DOCKER-USER -i "$BRIDGE" -j ACCEPT
    iptables -w -C DOCKER-USER -o "$BRIDGE" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null ||
        iptables -w -I DOCKER-USER -o "$BRIDGE" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
fi

log "ready"
`;
}

/** Removes everything the setup script created; safe to run when parts are already gone. */
export function renderNetworkTeardownScript(site: EdgeNetworkSite, paths: EdgeHostPaths = edgeHostPaths(site.name)): string {
    const net = checkEdgeNetwork(site);
    return `#!/bin/bash
${GENERATED_HEADER}
# Tears down the network of edge site ${net.site}. Rerunnable.
set -euo pipefail

SITE=${shq(net.site)}
BRIDGE=${shq(net.bridge)}
NETNS=${shq(paths.netns)}
NFT_TABLE=${shq(paths.nftTable)}
BRIDGE_STATE=${shq(paths.bridgeStateFile)}

log() { echo "talos-edge-net[$SITE]: $*"; }

if nft list table ip "$NFT_TABLE" >/dev/null 2>&1; then
    log "deleting NAT table $NFT_TABLE"
    nft delete table ip "$NFT_TABLE"
fi

if command -v iptables >/dev/null 2>&1 && iptables -w -n -L DOCKER-USER >/dev/null 2>&1; then
    for _ in 1 2 3 4 5; do
        iptables -w -D DOCKER-USER -i "$BRIDGE" -j ACCEPT 2>/dev/null || break
    done
    for _ in 1 2 3 4 5; do
        iptables -w -D DOCKER-USER -o "$BRIDGE" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT 2>/dev/null || break
    done
fi

# Deleting the bridge also deletes its ports, including the DHCP port inside the namespace.
log "deleting bridge $BRIDGE"
ovs-vsctl --if-exists del-br "$BRIDGE"
if [[ -e /run/netns/$NETNS ]]; then
    log "deleting namespace $NETNS"
    ip netns del "$NETNS"
fi
rm -f "$BRIDGE_STATE"
log "removed"
`;
}
