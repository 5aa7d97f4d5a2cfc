/**
 * The two systemd units of an edge site: `talos-edge-net-<site>.service` (the network scripts)
 * and `talos-edge-dhcp-<site>.service` (dnsmasq in the site's network namespace).
 */
import { GENERATED_HEADER } from "./generated";
import { EdgeHostPaths, edgeHostPaths } from "./paths";
import { EdgeNetworkSite, checkEdgeNetwork } from "./site";

/** `talos-edge-net-<site>.service`: a oneshot that sets the site network up and tears it down on stop. */
export function renderNetworkUnit(site: EdgeNetworkSite, paths: EdgeHostPaths = edgeHostPaths(site.name)): string {
    const net = checkEdgeNetwork(site);
    return [
        GENERATED_HEADER,
        "[Unit]",
        `Description=talos-cloud-edge network of edge site ${net.site} (OVS bridge ${net.bridge}, DHCP namespace, NAT)`,
        "Wants=openvswitch-switch.service",
        "After=openvswitch-switch.service network.target",
        "# VMs that autostart attach to the bridge, so it must exist before libvirt starts them.",
        "Before=libvirtd.service virtqemud.service",
        "",
        "[Service]",
        "Type=oneshot",
        "RemainAfterExit=yes",
        `ExecStart=${paths.setupScript}`,
        "# The setup script converges a running network without tearing it down.",
        `ExecReload=${paths.setupScript}`,
        `ExecStop=${paths.teardownScript}`,
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ].join("\n");
}

/** `talos-edge-dhcp-<site>.service`: dnsmasq in the site's network namespace, hardened. */
export function renderDnsmasqUnit(site: EdgeNetworkSite, paths: EdgeHostPaths = edgeHostPaths(site.name)): string {
    const net = checkEdgeNetwork(site);
    return [
        GENERATED_HEADER,
        "[Unit]",
        `Description=talos-cloud-edge DHCP/TFTP (dnsmasq) of edge site ${net.site}`,
        "Documentation=man:dnsmasq(8)",
        `Requires=${paths.netUnit}`,
        `After=${paths.netUnit}`,
        "",
        "[Service]",
        "Type=simple",
        `ExecStartPre=${paths.dnsmasqBinary} --test --conf-file=${paths.dnsmasqConf}`,
        `ExecStart=${paths.dnsmasqBinary} --keep-in-foreground --conf-file=${paths.dnsmasqConf}`,
        "Restart=on-failure",
        "RestartSec=2s",
        "# Only the site's DHCP port is visible to dnsmasq; host interfaces are not.",
        `NetworkNamespacePath=/run/netns/${paths.netns}`,
        `RuntimeDirectory=${paths.runtimeDir}`,
        "ProtectSystem=strict",
        `ReadWritePaths=${paths.stateDir}`,
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "PrivateDevices=yes",
        "ProtectKernelModules=yes",
        "ProtectKernelTunables=yes",
        "ProtectControlGroups=yes",
        "NoNewPrivileges=yes",
        "LockPersonality=yes",
        "RestrictRealtime=yes",
        "MemoryDenyWriteExecute=yes",
        "SystemCallArchitectures=native",
        "# Bind port 67/69, set ARP entries for unicast replies, then drop to the dnsmasq user.",
        "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_NET_RAW CAP_SETUID CAP_SETGID CAP_CHOWN",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ].join("\n");
}
