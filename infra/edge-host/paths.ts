/**
 * Where one edge site's files live on its KVM host and what its host objects are called.
 *
 * Host layout for site `<s>`:
 *   /etc/talos-edge/<s>/dnsmasq.conf                 0600 root (holds the site boot URL and its token)
 *   /usr/local/lib/talos-edge/<s>/net-{setup,teardown}.sh
 *   /etc/systemd/system/talos-edge-{net,dhcp}-<s>.service
 *   /var/lib/talos-edge/sites/<s>/{tftp/,dnsmasq.leases,bridge}
 *   /var/lib/talos-edge/staging/<s>/                 0700, owned by the SSH user (CopyToRemote target)
 */
import { createHash } from "node:crypto";
import { checkHostname } from "./checks";

export interface EdgeHostPaths {
    /** Holds dnsmasq.conf. */
    configDir: string;
    dnsmasqConf: string;
    /** Holds the network scripts. */
    libDir: string;
    setupScript: string;
    teardownScript: string;
    /** Per-site state: TFTP root, leases, the name of the bridge last set up. */
    stateDir: string;
    tftpRoot: string;
    leaseFile: string;
    bridgeStateFile: string;
    /** Where CopyToRemote drops files before the install script puts them in place. */
    stagingDir: string;
    unitDir: string;
    netUnit: string;
    dhcpUnit: string;
    /** Network namespace dnsmasq runs in. */
    netns: string;
    /** OVS internal port (moved into `netns`) that carries the DHCP server address. */
    dhcpPort: string;
    /** nftables table (family ip) holding the site's NAT rule. */
    nftTable: string;
    /** systemd RuntimeDirectory of the DHCP unit (under /run). */
    runtimeDir: string;
    /** dnsmasq binary the DHCP unit runs. */
    dnsmasqBinary: string;
}

/** The site-name part of host names, validated once. */
export function checkSiteName(name: string): string {
    return checkHostname(name, "edge site name");
}

/** Where one site's files live on its host and what its host objects are called. */
export function edgeHostPaths(siteName: string): EdgeHostPaths {
    const site = checkSiteName(siteName);
    const stateDir = `/var/lib/talos-edge/sites/${site}`;
    const libDir = `/usr/local/lib/talos-edge/${site}`;
    const configDir = `/etc/talos-edge/${site}`;
    // Interface names are capped at 15 bytes; a hash keeps long site names unique and stable.
    const portHash = createHash("sha256").update(site).digest("hex").slice(0, 10);
    return {
        configDir,
        dnsmasqConf: `${configDir}/dnsmasq.conf`,
        libDir,
        setupScript: `${libDir}/net-setup.sh`,
        teardownScript: `${libDir}/net-teardown.sh`,
        stateDir,
        tftpRoot: `${stateDir}/tftp`,
        leaseFile: `${stateDir}/dnsmasq.leases`,
        bridgeStateFile: `${stateDir}/bridge`,
        stagingDir: `/var/lib/talos-edge/staging/${site}`,
        unitDir: "/etc/systemd/system",
        netUnit: `talos-edge-net-${site}.service`,
        dhcpUnit: `talos-edge-dhcp-${site}.service`,
        netns: `talos-edge-${site}`,
        dhcpPort: `td-${portHash}`,
        nftTable: `talos_edge_${site.replace(/-/g, "_")}`,
        runtimeDir: `talos-edge-dhcp-${site}`,
        dnsmasqBinary: "/usr/sbin/dnsmasq",
    };
}
