/**
 * The dnsmasq config of an edge site: DHCP and TFTP only (no DNS) on one interface, a static
 * lease per inventory machine, an iPXE binary over TFTP for firmware PXE and the site boot URL
 * for iPXE. The offline lab (infra/lab/dnsmasq.ts) renders its config with the same function.
 */
import { formatIPv4 } from "../../model/net";
import { dnsmasqHexBytes, normaliseFingerprint } from "../../lib/ipxe/trust";
import { broadcastOf, checkAbsPath, checkFileName, checkHostname, checkIfname, checkIPv4, checkMac, checkPrefix, fail, netmaskFromPrefix, networkOf, prefixFromNetmask } from "./checks";
import { GENERATED_HEADER } from "./generated";

const LEASE_TIME_RE = /^(infinite|[1-9][0-9]*[smhdw]?)$/;

/**
 * The boot URL is secret (it carries the site token), so errors about it never quote it.
 * DHCP option 67 holds at most 255 bytes; dnsmasq strips `"` and treats `,` as a separator.
 */
function checkBootUrl(value: string): string {
    if (typeof value !== "string" || !/^https?:\/\/[^/?#\s]+/.test(value)) {
        fail("bootUrl", "must be an http:// or https:// URL (value not shown: it holds the site token)", "pass the boot service's site URL");
    }
    const bad = /[^\x21-\x7e]|[",\\]/.exec(value);
    if (bad) {
        const code = bad[0].charCodeAt(0);
        const shown = code >= 0x21 && code <= 0x7e ? `'${bad[0]}'` : `character code ${code}`;
        fail("bootUrl", `contains ${shown} at position ${bad.index}, which would break the dnsmasq line (value not shown: it holds the site token)`, "percent-encode it or use a token of letters and digits");
    }
    if (value.length > 250) {
        fail("bootUrl", `is ${value.length} characters long`, "keep it at most 250 characters: DHCP option 67 carries at most 255 bytes");
    }
    return value;
}

export interface DnsmasqHost {
    /** MAC address; any case, colons or dashes. Rendered lower-case with colons. */
    mac: string;
    /** Static address inside the subnet. */
    ip: string;
    /** Hostname handed out with the lease (DHCP option 12); a DNS label. */
    hostname: string;
}

export interface DnsmasqOptions {
    /** Interface dnsmasq serves (`interface=`), e.g. the bridge or the DHCP port. */
    interface: string;
    /** Address dnsmasq binds to and names as TFTP server (`listen-address=`, next-server). */
    listenAddress: string;
    /** Default gateway handed to clients (option 3). */
    gateway: string;
    /** Subnet prefix length, e.g. 24. Give this or `netmask` (both must agree if both are given). */
    prefixLength?: number;
    /** Subnet mask, e.g. "255.255.255.0". Give this or `prefixLength`. */
    netmask?: string;
    /** First dynamic address. */
    rangeStart: string;
    /** Last dynamic address (not before `rangeStart`: dnsmasq accepts a reversed range silently). */
    rangeEnd: string;
    /** Lease time of dynamic addresses, dnsmasq syntax ("1h", "30m", "infinite"). */
    leaseTime: string;
    /** DNS servers handed out (option 6); none = the option is omitted. */
    dnsServers: string[];
    /** MTU handed out (option 26); omitted when undefined. */
    mtu?: number;
    /** Static leases, one per inventory machine; lease time infinite. */
    hosts: DnsmasqHost[];
    /** URL iPXE chains to (the site script URL). SECRET: it carries the site token. */
    bootUrl: string;
    /** Directory served over TFTP (holds the iPXE binaries). */
    tftpRoot: string;
    /** dnsmasq lease database. */
    leaseFile: string;
    /** TFTP file name for x86-64 UEFI firmware (client-arch 7 and 9). Default "ipxe.efi". */
    ipxeEfi?: string;
    /** TFTP file name for legacy BIOS firmware. Default "undionly.kpxe". */
    ipxeBios?: string;
    /** TFTP file name for arm64 UEFI firmware (client-arch 11). Default "ipxe-arm64.efi". */
    ipxeArm64Efi?: string;
    /**
     * IPv6 prefix to announce with router advertisements only (e.g. "fd77::"): iPXE otherwise
     * waits ~16 s for IPv6 autoconfiguration on every boot. The interface needs an address in it.
     * The RA says "not a default router", so clients get no IPv6 default route. Default: off.
     */
    ipv6RaPrefix?: string;
    /** Where dnsmasq writes its PID; default: the option is omitted (dnsmasq's compiled default). */
    pidFile?: string;
    /**
     * Log every DHCP exchange with all options (`log-dhcp`). Default false: the log would
     * contain the boot URL and so the site token. The lab turns it on.
     */
    logDhcp?: boolean;
    /** Tell iPXE not to wait for ProxyDHCP offers (option 175.176 = 1); saves ~3 s per boot. Default true. */
    skipProxyDhcpWait?: boolean;
    /**
     * DHCP user class (option 77) our iPXE build sets before `dhcp` (`IPXE_USER_CLASS`). When
     * given, only that build gets `bootUrl`; every other client, firmware PXE or stock iPXE (a
     * NIC option ROM, e.g. QEMU's), gets our binary over TFTP first (docs/decisions/0103).
     * When undefined, any iPXE (option 175) gets `bootUrl`: right for stock binaries (the lab,
     * a distribution package), which would otherwise chain-load themselves forever.
     */
    ipxeUserClass?: string;
    /**
     * Send `ipxeUserClass` to every client (option 77, forced). A stock iPXE chainloaded over TFTP
     * (e.g. Debian's `undionly.kpxe`) copies the user class it finds in the firmware's cached DHCP
     * answer into its own request, so it is told apart from the firmware PXE or NIC option ROM that
     * loaded it without an embedded script. Needs `ipxeUserClass`. Default false.
     */
    announceUserClass?: boolean;
    /**
     * What iPXE trusts for the boot URL's certificate (docs/decisions/0009). Not secret.
     *  - `fingerprints`: SHA-256 fingerprints of the trust anchors (hex, colons optional), sent as
     *    option 175.90 (iPXE's `trust` setting). Forced, because firmware PXE does not ask for
     *    option 175 and iPXE reads `trust` only when it starts, from the firmware's cached answer.
     *    Builds with `TRUST=` ignore it.
     *  - `crossCertDir`: directory under `tftpRoot` holding the roots as iPXE's cross-signed
     *    certificate files (`<crc>.der`), sent as option 175.93 (`crosscert` =
     *    `tftp://<listenAddress>/<dir>`): a chain that stops below its root fetches it from here,
     *    never from ca.ipxe.org.
     * Default: neither option is sent (iPXE then trusts its built-in list).
     */
    ipxeTrust?: { fingerprints: string[]; crossCertDir?: string };
}

/** DHCP option 175 (iPXE's encapsulated options) holds at most 255 bytes in all. */
const MAX_OPTION_175_BYTES = 255;

/** The user class our iPXE build announces (infra/ipxe/embed.ipxe sets it). */
export const IPXE_USER_CLASS = "talos-cloud-edge";

/** The trust options after checking, as dnsmasq writes them. */
function checkIpxeTrust(trust: { fingerprints: string[]; crossCertDir?: string }, server: string, skipProxyDhcpWait: boolean): { hex: string; crossCertUrl?: string } {
    if (!Array.isArray(trust.fingerprints) || trust.fingerprints.length === 0) {
        fail("dnsmasq ipxeTrust.fingerprints", "is empty", "give the SHA-256 fingerprint of at least one root the boot URL's certificate chains to");
    }
    const fingerprints = trust.fingerprints.map((f, i) => normaliseFingerprint(f, `dnsmasq ipxeTrust.fingerprints[${i}]`));
    const crossCertUrl = trust.crossCertDir === undefined ? undefined : `tftp://${server}/${checkFileName(trust.crossCertDir, "dnsmasq ipxeTrust.crossCertDir")}`;
    const size = (skipProxyDhcpWait ? 3 : 0) + 2 + 32 * fingerprints.length + (crossCertUrl === undefined ? 0 : 2 + crossCertUrl.length);
    if (32 * fingerprints.length > 255 || size > MAX_OPTION_175_BYTES) {
        fail("dnsmasq ipxeTrust", `needs ${size} bytes of DHCP option 175 (${fingerprints.length} fingerprints), which holds ${MAX_OPTION_175_BYTES}`, "pin fewer roots or use a shorter crossCertDir");
    }
    return { hex: dnsmasqHexBytes(fingerprints), crossCertUrl };
}

/**
 * Renders a dnsmasq config that serves DHCP and TFTP only (no DNS) on one interface:
 * firmware PXE clients get an iPXE binary over TFTP (UEFI x86-64, arm64 or BIOS by
 * client-arch), iPXE itself (it sends option 175) gets `bootUrl`. Throws on any value that
 * is malformed or would change the meaning of the file.
 */
export function renderDnsmasqConf(opts: DnsmasqOptions): string {
    const iface = checkIfname(opts.interface, "dnsmasq interface");
    const listen = checkIPv4(opts.listenAddress, "dnsmasq listenAddress");
    const gateway = checkIPv4(opts.gateway, "dnsmasq gateway");
    let prefix: number;
    if (opts.prefixLength !== undefined) {
        prefix = checkPrefix(opts.prefixLength, "dnsmasq prefixLength");
        if (opts.netmask !== undefined && prefixFromNetmask(opts.netmask, "dnsmasq netmask") !== prefix) {
            fail("dnsmasq netmask", `${opts.netmask} does not match prefixLength ${prefix}`, "give one of them, or make them agree");
        }
    } else if (opts.netmask !== undefined) {
        prefix = checkPrefix(prefixFromNetmask(opts.netmask, "dnsmasq netmask"), "dnsmasq netmask prefix");
    } else {
        fail("dnsmasq options", "have neither prefixLength nor netmask", "give the subnet's prefix length, e.g. prefixLength: 24");
    }
    const network = networkOf(listen, prefix);
    const broadcast = broadcastOf(network, prefix);
    const inSubnet = (n: bigint) => n > network && n < broadcast;
    const ipInSubnet = (value: string, what: string) => {
        const n = checkIPv4(value, what);
        if (!inSubnet(n)) {
            fail(what, `${value} is not a host address in ${formatIPv4(network)}/${prefix}`, "pick an address inside the site subnet (not its network or broadcast address)");
        }
        return n;
    };
    ipInSubnet(opts.listenAddress, "dnsmasq listenAddress");
    ipInSubnet(opts.gateway, "dnsmasq gateway");
    const start = ipInSubnet(opts.rangeStart, "dnsmasq rangeStart");
    const end = ipInSubnet(opts.rangeEnd, "dnsmasq rangeEnd");
    if (start > end) {
        fail("dnsmasq range", `starts at ${opts.rangeStart}, after its end ${opts.rangeEnd}`, "swap rangeStart and rangeEnd (dnsmasq would accept this and hand out nothing)");
    }
    for (const [label, n] of [["gateway", gateway], ["listenAddress", listen]] as const) {
        if (n >= start && n <= end) {
            fail("dnsmasq range", `${opts.rangeStart}-${opts.rangeEnd} contains the ${label} ${formatIPv4(n)}`, "move the range so it leaves the gateway and the DHCP server out");
        }
    }
    if (typeof opts.leaseTime !== "string" || !LEASE_TIME_RE.test(opts.leaseTime)) {
        fail("dnsmasq leaseTime", `is not a dnsmasq lease time (got ${JSON.stringify(opts.leaseTime)})`, 'use e.g. "1h", "30m", "3600" or "infinite"');
    }
    const dns = (opts.dnsServers ?? []).map((d, i) => formatIPv4(checkIPv4(d, `dnsmasq dnsServers[${i}]`)));
    if (opts.mtu !== undefined && (!Number.isInteger(opts.mtu) || opts.mtu < 576 || opts.mtu > 9216)) {
        fail("dnsmasq mtu", `must be a whole number between 576 and 9216 (got ${JSON.stringify(opts.mtu)})`, "use the bridge MTU, usually 1500");
    }
    const seenMac = new Map<string, string>();
    const seenIp = new Map<string, string>();
    const seenName = new Set<string>();
    const hosts = (opts.hosts ?? []).map((h, i) => {
        const what = `dnsmasq hosts[${i}]`;
        const mac = checkMac(h.mac, `${what}.mac`);
        const hostname = checkHostname(h.hostname, `${what}.hostname`);
        const ipNum = ipInSubnet(h.ip, `${what}.ip`);
        const ip = formatIPv4(ipNum);
        if (ipNum === gateway || ipNum === listen) {
            fail(`${what}.ip`, `${ip} is the gateway or the DHCP server address`, "give the machine its own address");
        }
        if (seenMac.has(mac)) fail(`${what}.mac`, `${mac} is also used by ${seenMac.get(mac)}`, "every machine needs its own MAC");
        if (seenIp.has(ip)) fail(`${what}.ip`, `${ip} is also used by ${seenIp.get(ip)}`, "every machine needs its own address");
        if (seenName.has(hostname)) fail(`${what}.hostname`, `${hostname} appears twice`, "hostnames must be unique");
        seenMac.set(mac, hostname);
        seenIp.set(ip, hostname);
        seenName.add(hostname);
        return { mac, ip, hostname };
    });
    const bootUrl = checkBootUrl(opts.bootUrl);
    const tftpRoot = checkAbsPath(opts.tftpRoot, "dnsmasq tftpRoot");
    const leaseFile = checkAbsPath(opts.leaseFile, "dnsmasq leaseFile");
    const pidFile = opts.pidFile === undefined ? undefined : checkAbsPath(opts.pidFile, "dnsmasq pidFile");
    const ipxeEfi = checkFileName(opts.ipxeEfi ?? "ipxe.efi", "dnsmasq ipxeEfi");
    const ipxeBios = checkFileName(opts.ipxeBios ?? "undionly.kpxe", "dnsmasq ipxeBios");
    const ipxeArm64 = checkFileName(opts.ipxeArm64Efi ?? "ipxe-arm64.efi", "dnsmasq ipxeArm64Efi");
    let raPrefix: string | undefined;
    if (opts.ipv6RaPrefix !== undefined) {
        raPrefix = opts.ipv6RaPrefix;
        if (typeof raPrefix !== "string" || !/^[0-9a-f:]{2,39}$/i.test(raPrefix) || !raPrefix.includes("::")) {
            fail("dnsmasq ipv6RaPrefix", `is not an IPv6 prefix like "fd77::" (got ${JSON.stringify(raPrefix)})`, "give the /64 prefix ending in ::");
        }
    }
    const userClass = opts.ipxeUserClass;
    if (userClass !== undefined && (typeof userClass !== "string" || !/^[A-Za-z0-9._-]{1,64}$/.test(userClass))) {
        fail("dnsmasq ipxeUserClass", `is not a plain user class (got ${JSON.stringify(userClass)})`, "use letters, digits and . _ - only");
    }
    if (opts.announceUserClass && userClass === undefined) {
        fail("dnsmasq announceUserClass", "is set without ipxeUserClass", "give the user class to announce, e.g. IPXE_USER_CLASS");
    }
    // The tag of clients that get the boot URL; everything else gets an iPXE binary over TFTP.
    const booting = userClass === undefined ? "ipxe" : "talos-ipxe";
    const server = formatIPv4(listen);
    const trust = opts.ipxeTrust === undefined ? undefined : checkIpxeTrust(opts.ipxeTrust, server, opts.skipProxyDhcpWait ?? true);

    const lines = [
        GENERATED_HEADER,
        "# DHCP + TFTP for PXE/iPXE boot; DNS is off.",
        "port=0",
        `interface=${iface}`,
        "bind-interfaces",
        `listen-address=${server}`,
        "dhcp-authoritative",
        `dhcp-range=${formatIPv4(start)},${formatIPv4(end)},${formatIPv4(netmaskFromPrefix(prefix))},${opts.leaseTime}`,
        `dhcp-option=option:router,${formatIPv4(gateway)}`,
    ];
    if (dns.length > 0) lines.push(`dhcp-option=option:dns-server,${dns.join(",")}`);
    if (opts.mtu !== undefined) lines.push(`dhcp-option=option:mtu,${opts.mtu}`);
    if (raPrefix !== undefined) {
        lines.push(
            "# Router advertisements only, router lifetime 0: iPXE stops waiting for IPv6, clients get no IPv6 default route.",
            "enable-ra",
            `dhcp-range=${raPrefix},ra-only`,
            `ra-param=${iface},0,0`,
        );
    }
    lines.push("", "# One static lease per inventory machine.");
    for (const h of hosts) lines.push(`dhcp-host=${h.mac},${h.ip},${h.hostname},infinite`);
    lines.push(
        "",
        "# iPXE sends option 175; firmware PXE clients are told apart by client-arch (option 93).",
        "dhcp-match=set:ipxe,175",
    );
    if (userClass !== undefined) {
        lines.push("# Our iPXE build announces its own user class; stock iPXE (NIC option ROMs) does not.", `dhcp-userclass=set:${booting},${userClass}`);
    }
    lines.push(
        "dhcp-match=set:efi-x86_64,option:client-arch,7",
        "dhcp-match=set:efi-x86_64,option:client-arch,9",
        "dhcp-match=set:efi-arm64,option:client-arch,11",
        userClass === undefined ? "# Firmware PXE -> an iPXE binary over TFTP from this server." : "# Firmware PXE and stock iPXE -> our iPXE binary over TFTP from this server.",
        `dhcp-boot=tag:!${booting},tag:efi-x86_64,${ipxeEfi},,${server}`,
        `dhcp-boot=tag:!${booting},tag:efi-arm64,${ipxeArm64},,${server}`,
        `dhcp-boot=tag:!${booting},tag:!efi-x86_64,tag:!efi-arm64,${ipxeBios},,${server}`,
        userClass === undefined ? "# iPXE -> the site boot script." : "# Our iPXE -> the site boot script.",
        `dhcp-boot=tag:${booting},${bootUrl}`,
    );
    if (opts.skipProxyDhcpWait ?? true) {
        lines.push("# iPXE setting no-pxedhcp (175.176): do not wait for ProxyDHCP offers.", "dhcp-option=tag:ipxe,encap:175,176,1");
    }
    if (trust !== undefined) {
        lines.push(
            "# iPXE's trust anchors for the boot URL (175.90) and where it fetches a chain's missing root",
            "# (175.93, from this server). Forced: firmware PXE does not ask for option 175, and iPXE reads",
            "# its trust once, at start-up, from the firmware's cached answer. Not secret.",
            `dhcp-option-force=encap:175,90,${trust.hex}`,
        );
        if (trust.crossCertUrl !== undefined) lines.push(`dhcp-option-force=encap:175,93,${trust.crossCertUrl}`);
    }
    if (opts.announceUserClass) {
        lines.push(
            "# A chainloaded stock iPXE copies this user class from the firmware's cached answer into its own",
            "# request, and so gets the boot URL instead of itself again.",
            `dhcp-option-force=77,${userClass}`,
        );
    }
    lines.push("", "enable-tftp", `tftp-root=${tftpRoot}`, `dhcp-leasefile=${leaseFile}`, "log-facility=-");
    if (pidFile !== undefined) lines.push(`pid-file=${pidFile}`);
    if (opts.logDhcp ?? false) lines.push("log-dhcp");
    return lines.join("\n") + "\n";
}
