/**
 * The lab's dnsmasq config, rendered by the edge site component's own renderer
 * (infra/edge-host/dnsmasq.ts) with the options an edge site uses (components/edgeSite.ts
 * `siteDnsmasqOptions`): the HTTPS boot URL with the site token as credentials, the roots pinned
 * in every answer (175.90) and the site's root directory (175.93), the user class announced so
 * the iPXE loaded over TFTP gets the boot URL. Only the values differ (lab subnet, work-dir paths,
 * the lab's TLS front end and roots), plus one lab-only line: the wrong-pin VM's answers pin an
 * unrelated root.
 */
import * as path from "node:path";
import type { IpxeTrustAnchors } from "../../lib/ipxe/trust";
import { dnsmasqHexBytes } from "../../lib/ipxe/trust";
import { siteBootUrl } from "../../model/bootContract";
import { IPXE_USER_CLASS, renderDnsmasqConf } from "../edge-host/dnsmasq";
import { bootServicePublicUrl } from "./boot-service";
import { LAB_ROOTS_DIR, type LabIpxe } from "./ipxe";
import { DHCP_RANGE, INVENTORY_MACHINES, LAB_BRIDGE, LAB_GATEWAY, LAB_IPV6_PREFIX, LAB_NETMASK, LAB_PREFIX_LENGTH, LAB_SITE, WRONG_PIN_MACHINE } from "./plan";

/** Command-line options the lab adds: stay in the foreground, log to stderr (the lab reads it). */
export const DNSMASQ_LAB_ARGS = ["--keep-in-foreground", "--log-facility=-"];

/** dnsmasq tag of the wrong-pin VM. */
export const WRONG_PIN_TAG = "lab-wrong-pin";

export interface LabDnsmasq {
    /** The rendered config file content. */
    text: string;
    /** Extra command-line arguments. */
    args: string[];
    /** Which code rendered it, for the output. */
    renderer: string;
    /** The URL iPXE gets (secret: it carries the site token). */
    bootUrl: string;
}

/** Renders the lab config for a TFTP root laid out by infra/lab/ipxe.ts. */
export function labDnsmasqConfig(opts: { workDir: string; siteToken: string; anchors: IpxeTrustAnchors; wrongAnchors: IpxeTrustAnchors; ipxe: LabIpxe }): LabDnsmasq {
    const bootUrl = siteBootUrl(bootServicePublicUrl(), LAB_SITE, opts.siteToken);
    const rendered = renderDnsmasqConf({
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
        hosts: INVENTORY_MACHINES.map((m) => ({ mac: m.mac, ip: m.ip, hostname: m.name })),
        bootUrl,
        tftpRoot: path.join(opts.workDir, "tftp"),
        leaseFile: path.join(opts.workDir, "dnsmasq.leases"),
        ipxeEfi: opts.ipxe.tftpNames.efi,
        ipxeBios: opts.ipxe.tftpNames.bios,
        ipv6RaPrefix: LAB_IPV6_PREFIX,
        pidFile: path.join(opts.workDir, "dnsmasq.pid"),
        logDhcp: true,
        skipProxyDhcpWait: true,
        ipxeUserClass: IPXE_USER_CLASS,
        // Our build sets the class itself; Debian's copies it from the firmware's answer.
        announceUserClass: opts.ipxe.kind === "debian",
        ipxeTrust: { fingerprints: opts.anchors.fingerprints, crossCertDir: LAB_ROOTS_DIR },
    });
    // Lab only: a tagged option wins over the untagged one for the clients that carry the tag.
    const wrongPin = [
        "",
        `# Lab only: ${WRONG_PIN_MACHINE.name}'s answers pin ${opts.wrongAnchors.name}, so its iPXE must refuse the service.`,
        `dhcp-mac=set:${WRONG_PIN_TAG},${WRONG_PIN_MACHINE.mac}`,
        `dhcp-option-force=tag:${WRONG_PIN_TAG},encap:175,90,${dnsmasqHexBytes(opts.wrongAnchors.fingerprints)}`,
        "",
    ].join("\n");
    return { text: rendered + wrongPin, args: DNSMASQ_LAB_ARGS, renderer: "infra/edge-host/dnsmasq.ts renderDnsmasqConf", bootUrl };
}
