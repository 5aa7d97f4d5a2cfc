/**
 * The lab's dnsmasq config, rendered by the edge site component's own renderer
 * (infra/edge-host/dnsmasq.ts) so the lab exercises the config real sites get; only the
 * values differ (lab subnet, work-dir paths, the lab boot service URL).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { siteScriptUrl } from "../boot-server/src/ipxe";
import { renderDnsmasqConf } from "../edge-host/dnsmasq";
import { bootServiceBaseUrl } from "./boot-service";
import { DHCP_RANGE, KNOWN_MACHINE, LAB_BRIDGE, LAB_GATEWAY, LAB_IPV6_PREFIX, LAB_NETMASK, LAB_PREFIX_LENGTH, LAB_SITE } from "./plan";

/** iPXE binaries for firmware that is not iPXE yet (TFTP). The lab's VMs boot the iPXE NIC ROM and never use them. */
export const IPXE_TFTP_FILES = { bios: "/usr/lib/ipxe/undionly.kpxe", efi: "/usr/lib/ipxe/snponly.efi" };

/** Command-line options the lab adds: stay in the foreground, log to stderr (the lab reads it). */
export const DNSMASQ_LAB_ARGS = ["--keep-in-foreground", "--log-facility=-"];

export interface LabDnsmasq {
    /** The rendered config file content. */
    text: string;
    /** Extra command-line arguments. */
    args: string[];
    /** Which code rendered it, for the output. */
    renderer: string;
}

/** Renders the lab config and lays out the TFTP root it names. */
export function labDnsmasqConfig(opts: { workDir: string; siteToken: string }): LabDnsmasq {
    const tftpRoot = path.join(opts.workDir, "tftp");
    fs.mkdirSync(tftpRoot, { recursive: true });
    for (const file of Object.values(IPXE_TFTP_FILES)) {
        // Missing only when ipxe is not installed; preflight says so before a real run.
        if (fs.existsSync(file)) fs.copyFileSync(file, path.join(tftpRoot, path.basename(file)));
    }
    const text = renderDnsmasqConf({
        interface: LAB_BRIDGE,
        listenAddress: LAB_GATEWAY,
        gateway: LAB_GATEWAY,
        netmask: LAB_NETMASK,
        prefixLength: LAB_PREFIX_LENGTH,
        rangeStart: DHCP_RANGE.start,
        rangeEnd: DHCP_RANGE.end,
        leaseTime: "1h",
        // No DNS in the lab (dnsmasq runs with port=0), so none is handed out.
        dnsServers: [],
        hosts: [{ mac: KNOWN_MACHINE.mac, ip: KNOWN_MACHINE.ip, hostname: KNOWN_MACHINE.name }],
        bootUrl: siteScriptUrl(bootServiceBaseUrl(), LAB_SITE, opts.siteToken),
        tftpRoot,
        leaseFile: path.join(opts.workDir, "dnsmasq.leases"),
        ipxeEfi: path.basename(IPXE_TFTP_FILES.efi),
        ipxeBios: path.basename(IPXE_TFTP_FILES.bios),
        ipv6RaPrefix: LAB_IPV6_PREFIX,
        pidFile: path.join(opts.workDir, "dnsmasq.pid"),
        logDhcp: true,
        skipProxyDhcpWait: true,
    });
    return { text, args: DNSMASQ_LAB_ARGS, renderer: "infra/edge-host/dnsmasq.ts renderDnsmasqConf" };
}
