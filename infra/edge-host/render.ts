/**
 * Renderers for everything an edge site puts on its KVM host: the dnsmasq config, the two
 * systemd units, the network setup/teardown scripts, the install/uninstall scripts the
 * `EdgeSite` component runs over SSH, the LVM disk scripts, and the XSLT that adapts the
 * libvirt provider's domain XML to an Open vSwitch bridge.
 *
 * Pure functions over plain values (no Pulumi types), so the offline lab (infra/lab) renders
 * the same dnsmasq config a real site gets. Every value that lands in a file is validated
 * here and every value that lands in a shell script is also single-quoted: these renderers
 * are the last line of defence between stack config and a root shell on the host.
 *
 * Host layout for site `<s>` (see `edgeHostPaths`):
 *   /etc/talos-edge/<s>/dnsmasq.conf                 0600 root (holds the site boot URL and its token)
 *   /usr/local/lib/talos-edge/<s>/net-{setup,teardown}.sh
 *   /etc/systemd/system/talos-edge-{net,dhcp}-<s>.service
 *   /var/lib/talos-edge/sites/<s>/{tftp/,dnsmasq.leases,bridge}
 *   /var/lib/talos-edge/staging/<s>/                 0700, owned by the SSH user (CopyToRemote target)
 */
import { createHash } from "node:crypto";
import type { EdgeBridgeConfig, EdgeDhcpConfig, EdgeHostConfig, EdgeSiteConfig, EdgeMachineConfig, EdgeVmConfig } from "../../stacks/model";

// ---------------------------------------------------------------------------------------------
// Validation helpers
// ---------------------------------------------------------------------------------------------

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const DNS_LABEL_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no slash, colon or whitespace. */
const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;
const ABS_PATH_RE = /^\/[A-Za-z0-9._/+-]*$/;
const FILE_NAME_RE = /^[A-Za-z0-9._+-]{1,100}$/;
const LEASE_TIME_RE = /^(infinite|[1-9][0-9]*[smhdw]?)$/;
const VG_OR_LV_RE = /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$/;

function fail(what: string, problem: string, fix: string): never {
    throw new Error(`${what} ${problem}; ${fix}`);
}

/** Parses a dotted-quad IPv4 address (no leading zeros) into a 32-bit number. */
export function parseIpv4(value: string, what: string): number {
    const parts = typeof value === "string" ? value.split(".") : [];
    if (parts.length !== 4 || parts.some((p) => !/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255)) {
        fail(what, `is not an IPv4 address (got ${JSON.stringify(value)})`, 'write it as four decimal numbers 0-255, e.g. "10.0.20.1"');
    }
    return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIpv4(n: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

function checkPrefix(prefix: number, what: string): number {
    if (!Number.isInteger(prefix) || prefix < 8 || prefix > 30) {
        fail(what, `must be a whole number between 8 and 30 (got ${JSON.stringify(prefix)})`, "a DHCP subnet needs room for a gateway, a server and clients");
    }
    return prefix;
}

function netmaskFromPrefix(prefix: number): string {
    return formatIpv4(2 ** 32 - 2 ** (32 - prefix));
}

function prefixFromNetmask(netmask: string, what: string): number {
    const n = parseIpv4(netmask, what);
    const bits = n.toString(2).padStart(32, "0");
    if (!/^1*0*$/.test(bits)) {
        fail(what, `is not a contiguous netmask (got ${JSON.stringify(netmask)})`, 'use e.g. "255.255.255.0"');
    }
    return bits.indexOf("0") === -1 ? 32 : bits.indexOf("0");
}

function networkOf(ip: number, prefix: number): number {
    const size = 2 ** (32 - prefix);
    return Math.floor(ip / size) * size;
}

/** Normalises a MAC to lower-case colon form and rejects what a NIC cannot use. */
export function normaliseMac(value: string, what: string): string {
    const mac = typeof value === "string" ? value.trim().toLowerCase().replace(/-/g, ":") : "";
    if (!MAC_RE.test(mac)) {
        fail(what, `is not a MAC address (got ${JSON.stringify(value)})`, 'write six hex pairs, e.g. "52:54:00:00:02:01"');
    }
    if (parseInt(mac.slice(0, 2), 16) & 1) {
        fail(what, `is a multicast MAC (got ${mac})`, "the first octet must be even (52:54:00:... is the usual KVM prefix)");
    }
    return mac;
}

function checkHostname(value: string, what: string): string {
    if (typeof value !== "string" || !DNS_LABEL_RE.test(value)) {
        fail(what, `is not a DNS label (got ${JSON.stringify(value)})`, "use 1-63 lower-case letters, digits and dashes, not starting or ending with a dash");
    }
    return value;
}

function checkIfname(value: string, what: string): string {
    if (typeof value !== "string" || !IFNAME_RE.test(value)) {
        fail(what, `is not a usable interface name (got ${JSON.stringify(value)})`, "use at most 15 letters, digits, '.', '_' or '-'");
    }
    return value;
}

function checkAbsPath(value: string, what: string): string {
    if (typeof value !== "string" || !ABS_PATH_RE.test(value) || value.includes("..")) {
        fail(what, `is not a plain absolute path (got ${JSON.stringify(value)})`, "use an absolute path of letters, digits and . _ / + - only");
    }
    return value;
}

function checkFileName(value: string, what: string): string {
    if (typeof value !== "string" || !FILE_NAME_RE.test(value) || value === "." || value === "..") {
        fail(what, `is not a plain file name (got ${JSON.stringify(value)})`, "use letters, digits and . _ + - only (it is looked up in the TFTP root)");
    }
    return value;
}

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

/** Single-quotes a value for bash. Validation already keeps quotes out; this is the second guard. */
export function shq(value: string | number): string {
    return `'${String(value).replace(/'/g, `'\\''`)}'`;
}

function xmlEscape(value: string | number): string {
    return String(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

// ---------------------------------------------------------------------------------------------
// dnsmasq
// ---------------------------------------------------------------------------------------------

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
}

/** The user class our iPXE build announces (infra/ipxe/embed.ipxe sets it). */
export const IPXE_USER_CLASS = "talos-cloud-edge";

/**
 * Renders a dnsmasq config that serves DHCP and TFTP only (no DNS) on one interface:
 * firmware PXE clients get an iPXE binary over TFTP (UEFI x86-64, arm64 or BIOS by
 * client-arch), iPXE itself (it sends option 175) gets `bootUrl`. Throws on any value that
 * is malformed or would change the meaning of the file.
 */
export function renderDnsmasqConf(opts: DnsmasqOptions): string {
    const iface = checkIfname(opts.interface, "dnsmasq interface");
    const listen = parseIpv4(opts.listenAddress, "dnsmasq listenAddress");
    const gateway = parseIpv4(opts.gateway, "dnsmasq gateway");
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
    const broadcast = network + 2 ** (32 - prefix) - 1;
    const inSubnet = (n: number) => n > network && n < broadcast;
    const ipInSubnet = (value: string, what: string) => {
        const n = parseIpv4(value, what);
        if (!inSubnet(n)) {
            fail(what, `${value} is not a host address in ${formatIpv4(network)}/${prefix}`, "pick an address inside the site subnet (not its network or broadcast address)");
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
            fail("dnsmasq range", `${opts.rangeStart}-${opts.rangeEnd} contains the ${label} ${formatIpv4(n)}`, "move the range so it leaves the gateway and the DHCP server out");
        }
    }
    if (typeof opts.leaseTime !== "string" || !LEASE_TIME_RE.test(opts.leaseTime)) {
        fail("dnsmasq leaseTime", `is not a dnsmasq lease time (got ${JSON.stringify(opts.leaseTime)})`, 'use e.g. "1h", "30m", "3600" or "infinite"');
    }
    const dns = (opts.dnsServers ?? []).map((d, i) => formatIpv4(parseIpv4(d, `dnsmasq dnsServers[${i}]`)));
    if (opts.mtu !== undefined && (!Number.isInteger(opts.mtu) || opts.mtu < 576 || opts.mtu > 9216)) {
        fail("dnsmasq mtu", `must be a whole number between 576 and 9216 (got ${JSON.stringify(opts.mtu)})`, "use the bridge MTU, usually 1500");
    }
    const seenMac = new Map<string, string>();
    const seenIp = new Map<string, string>();
    const seenName = new Set<string>();
    const hosts = (opts.hosts ?? []).map((h, i) => {
        const what = `dnsmasq hosts[${i}]`;
        const mac = normaliseMac(h.mac, `${what}.mac`);
        const hostname = checkHostname(h.hostname, `${what}.hostname`);
        const ipNum = ipInSubnet(h.ip, `${what}.ip`);
        const ip = formatIpv4(ipNum);
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
    // The tag of clients that get the boot URL; everything else gets an iPXE binary over TFTP.
    const booting = userClass === undefined ? "ipxe" : "talos-ipxe";
    const server = formatIpv4(listen);

    const lines = [
        "# Generated by talos-cloud-edge (infra/edge-host/render.ts). Edits are overwritten.",
        "# DHCP + TFTP for PXE/iPXE boot; DNS is off.",
        "port=0",
        `interface=${iface}`,
        "bind-interfaces",
        `listen-address=${server}`,
        "dhcp-authoritative",
        `dhcp-range=${formatIpv4(start)},${formatIpv4(end)},${netmaskFromPrefix(prefix)},${opts.leaseTime}`,
        `dhcp-option=option:router,${formatIpv4(gateway)}`,
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
    lines.push("", "enable-tftp", `tftp-root=${tftpRoot}`, `dhcp-leasefile=${leaseFile}`, "log-facility=-");
    if (pidFile !== undefined) lines.push(`pid-file=${pidFile}`);
    if (opts.logDhcp ?? false) lines.push("log-dhcp");
    return lines.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------
// Site network: names, paths, units, scripts
// ---------------------------------------------------------------------------------------------

/** What the network renderers read from a site; `EdgeSiteConfig` satisfies it. */
export interface EdgeNetworkSite {
    name: string;
    bridge: Pick<EdgeBridgeConfig, "name" | "gatewayCidr" | "subnetCidr" | "gateway" | "prefixLength" | "mtu">;
    dhcp: Pick<EdgeDhcpConfig, "serverAddress">;
    host: Pick<EdgeHostConfig, "uplinkInterface">;
}

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
function checkSiteName(name: string): string {
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

interface CheckedNetwork {
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
    const gw = parseIpv4(site.bridge.gateway, `${what} bridge.gateway`);
    if (site.bridge.gatewayCidr !== `${formatIpv4(gw)}/${prefix}`) {
        fail(`${what} bridge.gatewayCidr`, `${JSON.stringify(site.bridge.gatewayCidr)} does not match gateway ${site.bridge.gateway} and prefix ${prefix}`, 'derive them from one "a.b.c.d/nn" value');
    }
    const network = networkOf(gw, prefix);
    if (site.bridge.subnetCidr !== `${formatIpv4(network)}/${prefix}`) {
        fail(`${what} bridge.subnetCidr`, `${JSON.stringify(site.bridge.subnetCidr)} is not the subnet of ${site.bridge.gatewayCidr}`, `use "${formatIpv4(network)}/${prefix}"`);
    }
    const broadcast = network + 2 ** (32 - prefix) - 1;
    if (gw === network || gw === broadcast) {
        fail(`${what} bridge.gateway`, `${site.bridge.gateway} is the network or broadcast address`, "pick a host address");
    }
    const dhcp = parseIpv4(site.dhcp.serverAddress, `${what} dhcp.serverAddress`);
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
        gateway: formatIpv4(gw),
        subnetCidr: site.bridge.subnetCidr,
        prefix,
        mtu,
        dhcpCidr: `${formatIpv4(dhcp)}/${prefix}`,
        dhcpAddress: formatIpv4(dhcp),
        uplink,
    };
}

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

/** `talos-edge-net-<site>.service`: a oneshot that sets the site network up and tears it down on stop. */
export function renderNetworkUnit(site: EdgeNetworkSite, paths: EdgeHostPaths = edgeHostPaths(site.name)): string {
    const net = checkEdgeNetwork(site);
    return [
        "# Generated by talos-cloud-edge (infra/edge-host/render.ts). Edits are overwritten.",
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
        "# Generated by talos-cloud-edge (infra/edge-host/render.ts). Edits are overwritten.",
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

const SCRIPT_HEADER = "# Generated by talos-cloud-edge (infra/edge-host/render.ts). Edits are overwritten.";

/**
 * Brings the site network to the desired state; safe to run any number of times:
 * OVS bridge with the gateway address and MTU, an OVS internal port moved into the
 * dnsmasq namespace with the DHCP server address, IPv4 forwarding, and the NAT table.
 */
export function renderNetworkSetupScript(site: EdgeNetworkSite, paths: EdgeHostPaths = edgeHostPaths(site.name)): string {
    const net = checkEdgeNetwork(site);
    const nat = renderNatRuleset(site, paths);
    return `#!/bin/bash
${SCRIPT_HEADER}
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
${SCRIPT_HEADER}
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

// ---------------------------------------------------------------------------------------------
// Install / uninstall / preflight (run over SSH by the EdgeSite component)
// ---------------------------------------------------------------------------------------------

/** Files the EdgeSite component copies into the staging directory, by role. */
export const STAGED_FILES = {
    dnsmasqConf: "dnsmasq.conf",
    netUnit: "net.service",
    dhcpUnit: "dhcp.service",
    setupScript: "net-setup.sh",
    teardownScript: "net-teardown.sh",
    ipxeEfi: "ipxe.efi",
    ipxeBios: "undionly.kpxe",
} as const;

export interface InstallOptions {
    /**
     * Install iPXE binaries copied into the staging directory (a custom build). When false, the
     * host distribution's `ipxe` package files are used (Debian 12 builds lack HTTPS).
     */
    customIpxe: boolean;
    /** TFTP file names; defaults as in `DnsmasqOptions`. */
    ipxeEfi?: string;
    ipxeBios?: string;
}

/**
 * Puts the staged files in place (only those that changed), reloads systemd, enables both
 * units, re-runs the network setup if its files changed and restarts dnsmasq if its config
 * changed. Prints what it did; never prints file contents (dnsmasq.conf holds the site token).
 */
export function renderInstallScript(site: EdgeNetworkSite, opts: InstallOptions, paths: EdgeHostPaths = edgeHostPaths(site.name)): string {
    const net = checkEdgeNetwork(site);
    const efi = checkFileName(opts.ipxeEfi ?? "ipxe.efi", "ipxeEfi");
    const bios = checkFileName(opts.ipxeBios ?? "undionly.kpxe", "ipxeBios");
    const s = (f: string) => `"$STAGE/"${shq(f)}`;
    const ipxeBlock = opts.customIpxe
        ? `if put ${s(STAGED_FILES.ipxeEfi)} "$TFTP_ROOT/"${shq(efi)} 0644; then log "installed custom ${efi}"; fi
if put ${s(STAGED_FILES.ipxeBios)} "$TFTP_ROOT/"${shq(bios)} 0644; then log "installed custom ${bios}"; fi`
        : `# The distribution's iPXE: Debian 12 ships ipxe.efi in package ipxe; Debian 13 moved it to
# grub-ipxe (/boot/ipxe.efi) and keeps snponly.efi, which uses the firmware's network driver.
first_existing() {
    local f
    for f in "$@"; do
        if [[ -f $f ]]; then echo "$f"; return 0; fi
    done
    return 1
}
efi_src=$(first_existing /usr/lib/ipxe/ipxe.efi /boot/ipxe.efi /usr/lib/ipxe/snponly.efi) ||
    die "no iPXE EFI binary found (install the ipxe package, or pass a custom build)"
bios_src=$(first_existing /usr/lib/ipxe/undionly.kpxe) ||
    die "no undionly.kpxe found (install the ipxe package, or pass a custom build)"
if put "$efi_src" "$TFTP_ROOT/"${shq(efi)} 0644; then log "installed $efi_src as ${efi}"; fi
if put "$bios_src" "$TFTP_ROOT/"${shq(bios)} 0644; then log "installed $bios_src as ${bios}"; fi`;
    return `#!/bin/bash
${SCRIPT_HEADER}
# Installs edge site ${net.site} from ${paths.stagingDir}. Rerunnable.
set -euo pipefail

SITE=${shq(net.site)}
STAGE=${shq(paths.stagingDir)}
TFTP_ROOT=${shq(paths.tftpRoot)}
NET_UNIT=${shq(paths.netUnit)}
DHCP_UNIT=${shq(paths.dhcpUnit)}

log() { echo "talos-edge-install[$SITE]: $*"; }
die() { echo "talos-edge-install[$SITE]: ERROR: $*" >&2; exit 1; }

# put SRC DST MODE: installs SRC as DST (root-owned) unless DST already has the same content.
# Succeeds only when it changed something.
put() {
    local src=$1 dst=$2 mode=$3
    [[ -f $src ]] || die "missing $src (copied by the site's CopyToRemote resources; re-run 'pulumi up', replacing that copy if needed)"
    if [[ -f $dst ]] && cmp -s "$src" "$dst"; then
        return 1
    fi
    install -D -m "$mode" -o root -g root "$src" "$dst"
    return 0
}

net_changed=0
dhcp_changed=0
if put ${s(STAGED_FILES.setupScript)} ${shq(paths.setupScript)} 0755; then net_changed=1; fi
if put ${s(STAGED_FILES.teardownScript)} ${shq(paths.teardownScript)} 0755; then net_changed=1; fi
if put ${s(STAGED_FILES.netUnit)} ${shq(`${paths.unitDir}/${paths.netUnit}`)} 0644; then net_changed=1; fi
if put ${s(STAGED_FILES.dnsmasqConf)} ${shq(paths.dnsmasqConf)} 0600; then dhcp_changed=1; fi
if put ${s(STAGED_FILES.dhcpUnit)} ${shq(`${paths.unitDir}/${paths.dhcpUnit}`)} 0644; then dhcp_changed=1; fi
install -d -m 0755 "$TFTP_ROOT"
${ipxeBlock}

systemctl daemon-reload
systemctl enable --quiet "$NET_UNIT" "$DHCP_UNIT"
if systemctl is-active --quiet "$NET_UNIT"; then
    if [[ $net_changed == 1 ]]; then
        log "network files changed: re-running setup"
        systemctl reload "$NET_UNIT"
    fi
else
    log "starting $NET_UNIT"
    systemctl start "$NET_UNIT"
fi
if systemctl is-active --quiet "$DHCP_UNIT"; then
    if [[ $dhcp_changed == 1 ]]; then
        log "dnsmasq config changed: restarting $DHCP_UNIT"
        systemctl restart "$DHCP_UNIT"
    fi
else
    log "starting $DHCP_UNIT"
    systemctl start "$DHCP_UNIT"
fi

for unit in "$NET_UNIT" "$DHCP_UNIT"; do
    if ! systemctl is-active --quiet "$unit"; then
        # Status without log lines: the journal can hold the boot URL when log-dhcp is on.
        systemctl status --no-pager --lines=0 "$unit" >&2 || true
        die "$unit is not active; see 'journalctl -u $unit' on the host"
    fi
done
log "installed: $NET_UNIT and $DHCP_UNIT active (network changed: $net_changed, dnsmasq config changed: $dhcp_changed)"
`;
}

/** Stops and disables the units, tears the network down and removes every file the site installed. */
export function renderUninstallScript(site: EdgeNetworkSite, paths: EdgeHostPaths = edgeHostPaths(site.name)): string {
    const net = checkEdgeNetwork(site);
    return `#!/bin/bash
${SCRIPT_HEADER}
# Removes edge site ${net.site} from this host. Rerunnable.
set -euo pipefail

SITE=${shq(net.site)}
NET_UNIT=${shq(paths.netUnit)}
DHCP_UNIT=${shq(paths.dhcpUnit)}
TEARDOWN=${shq(paths.teardownScript)}

log() { echo "talos-edge-uninstall[$SITE]: $*"; }

# Stopping the network unit runs the teardown script; running it again below covers a unit
# that never started.
for unit in "$DHCP_UNIT" "$NET_UNIT"; do
    if systemctl cat "$unit" >/dev/null 2>&1; then
        log "stopping and disabling $unit"
        systemctl disable --now --quiet "$unit" || true
    fi
done
if [[ -x $TEARDOWN ]]; then
    "$TEARDOWN"
fi
rm -f ${shq(`${paths.unitDir}/${paths.netUnit}`)} ${shq(`${paths.unitDir}/${paths.dhcpUnit}`)}
rm -rf ${shq(paths.configDir)} ${shq(paths.libDir)} ${shq(paths.stateDir)} ${shq(paths.stagingDir)}
systemctl daemon-reload
log "removed"
`;
}

/** A command that must exist on the host and the Debian package that provides it. */
export interface HostRequirement {
    /** Absolute path or command name checked with `command -v`. */
    check: string;
    /** Debian package that provides it. */
    aptPackage: string;
}

export interface PreflightOptions {
    /** The SSH user the staging directory belongs to. */
    sshUser: string;
    /** The site creates VMs: needs libvirt/QEMU (and OVMF when any VM is UEFI). */
    vms: boolean;
    /** Some VM uses UEFI firmware. */
    uefi: boolean;
    /** Some VM disk is an LVM logical volume. */
    lvm: boolean;
    /** No custom iPXE build is copied: the distribution's `ipxe` package supplies the binaries. */
    distroIpxe: boolean;
}

/** Commands the site needs on its host, with the Debian package for each. */
export function hostRequirements(opts: Omit<PreflightOptions, "sshUser">): HostRequirement[] {
    const reqs: HostRequirement[] = [
        { check: "ovs-vsctl", aptPackage: "openvswitch-switch" },
        { check: "dnsmasq", aptPackage: "dnsmasq-base" },
        { check: "nft", aptPackage: "nftables" },
        { check: "ip", aptPackage: "iproute2" },
        { check: "virsh", aptPackage: "libvirt-clients" },
    ];
    if (opts.vms) {
        reqs.push({ check: "/usr/sbin/libvirtd", aptPackage: "libvirt-daemon-system" }, { check: "qemu-system-x86_64", aptPackage: "qemu-system-x86" });
    }
    if (opts.uefi) reqs.push({ check: OVMF_CODE, aptPackage: "ovmf" });
    if (opts.lvm) reqs.push({ check: "lvcreate", aptPackage: "lvm2" });
    if (opts.distroIpxe) reqs.push({ check: "/usr/lib/ipxe/undionly.kpxe", aptPackage: "ipxe" });
    return reqs;
}

/**
 * Checks the host has what the site needs and installs missing Debian packages with apt,
 * enables Open vSwitch, and creates the staging directory (0700, owned by the SSH user) that
 * CopyToRemote writes into.
 */
export function renderPreflightScript(site: EdgeNetworkSite, opts: PreflightOptions, paths: EdgeHostPaths = edgeHostPaths(site.name)): string {
    const net = checkEdgeNetwork(site);
    if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(opts.sshUser)) {
        fail("edge host user", `is not a plain Unix user name (got ${JSON.stringify(opts.sshUser)})`, "use e.g. root or a sudo-capable account");
    }
    const checks = hostRequirements(opts)
        .map((r) => (r.check.startsWith("/") ? `[[ -e ${shq(r.check)} ]] || missing+=(${shq(r.aptPackage)})` : `command -v ${shq(r.check)} >/dev/null 2>&1 || missing+=(${shq(r.aptPackage)})`))
        .join("\n");
    return `#!/bin/bash
${SCRIPT_HEADER}
# Prepares the host of edge site ${net.site}. Rerunnable.
set -euo pipefail

SITE=${shq(net.site)}
log() { echo "talos-edge-preflight[$SITE]: $*"; }
export PATH="$PATH:/usr/sbin:/sbin"

missing=()
${checks}
if ((\${#missing[@]} > 0)); then
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "talos-edge-preflight[$SITE]: ERROR: missing \${missing[*]} and no apt-get; install them by hand" >&2
        exit 1
    fi
    log "installing \${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "\${missing[@]}"
else
    log "all required packages present"
fi
systemctl enable --now --quiet openvswitch-switch.service
install -d -m 0700 -o ${shq(opts.sshUser)} ${shq(paths.stagingDir)}
log "ready (staging directory ${paths.stagingDir})"
`;
}

/**
 * Wraps a script for remote.Command: runs it with bash as root (through `sudo -n` unless the
 * SSH user is root). The script travels in a quoted here-document, so nothing in it expands
 * on the way, and reaches bash as its `-c` argument rather than on stdin, so a command in it
 * that reads stdin cannot swallow the rest of the script. A leading comment line can carry a
 * content hash so a content change is a change of the command string (an in-place update
 * that re-runs it).
 */
export function remoteBashCommand(script: string, opts: { sshUser: string; comment?: string }): string {
    const delimiter = "TALOS_EDGE_SCRIPT_EOF";
    if (script.split("\n").includes(delimiter)) {
        fail("remote script", `contains the line ${delimiter}`, "this would end the here-document early");
    }
    if (opts.comment !== undefined && /[\r\n]/.test(opts.comment)) {
        fail("remote command comment", "contains a line break", "keep it on one line");
    }
    const sudo = opts.sshUser === "root" ? "" : "sudo -n ";
    const head = opts.comment === undefined ? "" : `# ${opts.comment}\n`;
    return `${head}${sudo}bash -c "$(cat <<'${delimiter}'\n${script.endsWith("\n") ? script : `${script}\n`}${delimiter}\n)"\n`;
}

/** SHA-256 (hex) over named parts, order-independent of how the caller built the record. */
export function contentHash(parts: Record<string, string | Buffer>): string {
    const h = createHash("sha256");
    for (const key of Object.keys(parts).sort()) {
        const value = parts[key];
        h.update(key).update("\0").update(typeof value === "string" ? Buffer.from(value, "utf8") : value).update("\0");
    }
    return h.digest("hex");
}

// ---------------------------------------------------------------------------------------------
// VM disks (LVM)
// ---------------------------------------------------------------------------------------------

/** Tag on every logical volume the stack creates: it only ever removes volumes carrying it. */
export const LV_TAG = "talos-cloud-edge";

export interface LvOptions {
    volumeGroup: string;
    /** Logical volume name (the VM name). */
    name: string;
    /** Size in GiB. */
    sizeGiB: number;
}

function checkLv(opts: LvOptions): LvOptions {
    if (!VG_OR_LV_RE.test(opts.volumeGroup)) {
        fail("LVM volume group", `is not a valid name (got ${JSON.stringify(opts.volumeGroup)})`, "use letters, digits and + _ . -");
    }
    if (!VG_OR_LV_RE.test(opts.name) || opts.name.startsWith("-")) {
        fail("LVM volume name", `is not a valid name (got ${JSON.stringify(opts.name)})`, "use letters, digits and + _ . -");
    }
    if (!Number.isInteger(opts.sizeGiB) || opts.sizeGiB < 1 || opts.sizeGiB > 65536) {
        fail("VM disk size", `must be a whole number of GiB between 1 and 65536 (got ${JSON.stringify(opts.sizeGiB)})`, "Talos needs at least 10 GiB");
    }
    return opts;
}

export function lvDevicePath(opts: Pick<LvOptions, "volumeGroup" | "name">): string {
    return `/dev/${opts.volumeGroup}/${opts.name}`;
}

/**
 * Creates the VM's logical volume if it does not exist, grows it if it is smaller than asked,
 * refuses to shrink it, and refuses to adopt a volume the stack did not create.
 */
export function renderLvCreateScript(opts: LvOptions): string {
    const lv = checkLv(opts);
    return `#!/bin/bash
${SCRIPT_HEADER}
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
VG=${shq(lv.volumeGroup)}
LV=${shq(lv.name)}
SIZE_GIB=${shq(lv.sizeGiB)}
TAG=${shq(LV_TAG)}
log() { echo "talos-edge-lv[$VG/$LV]: $*"; }

vgs "$VG" >/dev/null 2>&1 || { echo "volume group $VG not found on this host; create it (vgcreate) or fix storage.volumeGroup" >&2; exit 1; }
if lvs "$VG/$LV" >/dev/null 2>&1; then
    if ! lvs --noheadings -o lv_tags "$VG/$LV" | tr -d '[:space:]' | tr ',' '\\n' | grep -qxF "$TAG"; then
        echo "$VG/$LV exists but was not created by talos-cloud-edge; remove it, or adopt it with 'lvchange --addtag $TAG $VG/$LV'" >&2
        exit 1
    fi
    have=$(lvs --noheadings --units b --nosuffix -o lv_size "$VG/$LV" | tr -d '[:space:]')
    want=$((SIZE_GIB * 1024 * 1024 * 1024))
    if ((have < want)); then
        log "growing to \${SIZE_GIB}GiB"
        lvextend -L "\${SIZE_GIB}G" "$VG/$LV"
    elif ((have > want)); then
        echo "$VG/$LV is larger ($have bytes) than the requested \${SIZE_GIB}GiB; shrinking would destroy data, so raise diskSizeGb" >&2
        exit 1
    else
        log "present (\${SIZE_GIB}GiB)"
    fi
else
    log "creating (\${SIZE_GIB}GiB)"
    lvcreate --yes --wipesignatures y --addtag "$TAG" -L "\${SIZE_GIB}G" -n "$LV" "$VG"
fi
`;
}

/** Removes the VM's logical volume if it exists and carries the stack's tag. */
export function renderLvRemoveScript(opts: Pick<LvOptions, "volumeGroup" | "name">): string {
    const lv = checkLv({ ...opts, sizeGiB: 1 });
    return `#!/bin/bash
${SCRIPT_HEADER}
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
VG=${shq(lv.volumeGroup)}
LV=${shq(lv.name)}
TAG=${shq(LV_TAG)}
if ! lvs "$VG/$LV" >/dev/null 2>&1; then
    echo "talos-edge-lv[$VG/$LV]: already gone"
    exit 0
fi
if ! lvs --noheadings -o lv_tags "$VG/$LV" | tr -d '[:space:]' | tr ',' '\\n' | grep -qxF "$TAG"; then
    echo "talos-edge-lv[$VG/$LV]: not tagged $TAG, leaving it in place" >&2
    exit 0
fi
echo "talos-edge-lv[$VG/$LV]: removing"
lvremove --yes "$VG/$LV"
`;
}

// ---------------------------------------------------------------------------------------------
// libvirt domain XML
// ---------------------------------------------------------------------------------------------

/** OVMF (x86-64 UEFI) paths of Debian/Ubuntu's `ovmf` package; the 4M builds are current. */
export const OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd";
export const OVMF_VARS_TEMPLATE = "/usr/share/OVMF/OVMF_VARS_4M.fd";
export const NVRAM_DIR = "/var/lib/libvirt/qemu/nvram";

export interface EdgeVmXsltOptions {
    /** The OVS bridge the VM's NIC is on. */
    bridgeName: string;
    /**
     * Replace `<os><boot dev=…>` by per-device `<boot order=…>` (interface 1, first disk 2).
     * Per-device order becomes QEMU `bootindex`, which SeaBIOS and OVMF both honour; libvirt
     * refuses the two forms together, hence the replacement. Default true.
     */
    perDeviceBootOrder?: boolean;
}

/**
 * The XSLT the libvirt provider applies to its generated domain XML: the provider writes
 * `<interface type='bridge'>` for a bridge NIC, and libvirt attaches such a tap to an Open
 * vSwitch bridge only when the interface says `<virtualport type='openvswitch'/>`.
 */
export function renderEdgeVmXslt(opts: EdgeVmXsltOptions): string {
    const bridge = checkIfname(opts.bridgeName, "VM bridge");
    const perDevice = opts.perDeviceBootOrder ?? true;
    const nic = `/domain/devices/interface[@type='bridge'][source/@bridge='${bridge}']`;
    const bootTemplates = perDevice
        ? `
  <!-- libvirt rejects os/boot together with per-device boot elements. -->
  <xsl:template match="/domain/os/boot"/>

  <!-- The first disk boots second. -->
  <xsl:template match="/domain/devices/disk[@device='disk'][1]">
    <xsl:copy>
      <xsl:apply-templates select="@*|node()[not(self::boot)]"/>
      <boot order="2"/>
    </xsl:copy>
  </xsl:template>
`
        : "";
    return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by talos-cloud-edge (infra/edge-host/render.ts). -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="xml" indent="yes" omit-xml-declaration="yes"/>

  <xsl:template match="@*|node()">
    <xsl:copy>
      <xsl:apply-templates select="@*|node()"/>
    </xsl:copy>
  </xsl:template>

  <!-- The NIC on the site bridge: an Open vSwitch port${perDevice ? ", first in the boot order" : ""}. -->
  <xsl:template match="${nic}">
    <xsl:copy>
      <xsl:apply-templates select="@*|node()[not(self::virtualport)${perDevice ? " and not(self::boot)" : ""}]"/>
      <virtualport type="openvswitch"/>${perDevice ? `\n      <boot order="1"/>` : ""}
    </xsl:copy>
  </xsl:template>
${bootTemplates}</xsl:stylesheet>
`;
}

/** Where one VM's disk lives, as the EdgeVm component attaches it. */
export type EdgeVmDisk = { kind: "lvm"; devicePath: string } | { kind: "pool"; pool: string; volume: string; format: "qcow2" | "raw" };

export interface DomainPreviewOptions {
    /** Domain name. */
    name: string;
    /** NIC MAC (rendered upper-case, as the provider does). */
    mac: string;
    bridgeName: string;
    vm: Pick<EdgeVmConfig, "vcpu" | "memoryMiB" | "firmware">;
    disk: EdgeVmDisk;
    /** Machine type; default "q35". */
    machine?: string;
    /** Emulator path the provider reads from host capabilities; default Debian's. */
    emulator?: string;
}

/**
 * The domain XML the libvirt provider (terraform-provider-libvirt v0.8.1 under pulumi-libvirt
 * 0.5.4) generates for the inputs `EdgeVm` gives it, before the XSLT: used by tests to run
 * the XSLT and `virt-xml-validate` on what the host would actually receive.
 */
export function renderDomainXmlPreview(opts: DomainPreviewOptions): string {
    const name = checkHostname(opts.name, "VM name");
    const mac = normaliseMac(opts.mac, "VM mac").toUpperCase();
    const bridge = checkIfname(opts.bridgeName, "VM bridge");
    const uefi = opts.vm.firmware === "uefi";
    const disk =
        opts.disk.kind === "lvm"
            ? `    <disk type="block" device="disk">
      <driver name="qemu" type="raw"/>
      <source dev="${xmlEscape(checkAbsPath(opts.disk.devicePath, "VM disk device"))}"/>
      <target dev="vda" bus="virtio"/>
    </disk>`
            : `    <disk type="volume" device="disk">
      <driver name="qemu" type="${opts.disk.format}"/>
      <source pool="${xmlEscape(opts.disk.pool)}" volume="${xmlEscape(opts.disk.volume)}"/>
      <target dev="vda" bus="virtio"/>
    </disk>`;
    const firmware = uefi
        ? `
    <loader readonly="yes" type="pflash" secure="no">${OVMF_CODE}</loader>
    <nvram template="${OVMF_VARS_TEMPLATE}">${NVRAM_DIR}/${name}_VARS.fd</nvram>`
        : "";
    return `<domain type="kvm">
  <name>${name}</name>
  <memory unit="MiB">${Number(opts.vm.memoryMiB)}</memory>
  <vcpu placement="static">${Number(opts.vm.vcpu)}</vcpu>
  <os>
    <type arch="x86_64" machine="${xmlEscape(opts.machine ?? "q35")}">hvm</type>${firmware}
    <boot dev="network"/>
    <boot dev="hd"/>
  </os>
  <features>
    <pae/>
    <acpi/>
    <apic/>
  </features>
  <cpu mode="host-passthrough"/>
  <devices>
    <emulator>${xmlEscape(opts.emulator ?? "/usr/bin/qemu-system-x86_64")}</emulator>
${disk}
    <interface type="bridge">
      <mac address="${mac}"/>
      <source bridge="${bridge}"/>
      <model type="virtio"/>
    </interface>
    <console type="pty">
      <target type="serial" port="0"/>
    </console>
    <channel type="unix">
      <target type="virtio" name="org.qemu.guest_agent.0"/>
    </channel>
    <rng model="virtio">
      <backend model="random">/dev/urandom</backend>
    </rng>
  </devices>
</domain>
`;
}

/** Re-exported for callers that hold a full site config. */
export type { EdgeSiteConfig, EdgeMachineConfig };
