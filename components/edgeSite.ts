/**
 * One edge site on its KVM host, over SSH: an Open vSwitch bridge holding the site gateway,
 * dnsmasq (DHCP + TFTP, in its own network namespace) as a systemd service with a static lease
 * per inventory machine, NAT for the site subnet, and a libvirt VM for every inventory machine
 * that asks for one.
 *
 * Firmware PXE clients get an iPXE binary over TFTP (by default Debian 13's pinned `ipxe` package,
 * fetched by the host; or a custom build); iPXE gets the site boot URL (which carries the site token
 * as its credentials, so the dnsmasq config is secret in state and on the host). Every DHCP answer
 * pins the roots the boot URL chains to (option 175.90) and names the site's TFTP directory of those
 * roots as iPXE's cross-signed-certificate source (175.93): docs/decisions/0009.
 *
 * Idempotence: files are rendered deterministically and copied to a staging directory; one
 * install command puts them in place. Its `create` string carries a hash of every file, so a
 * content change is an in-place update that re-runs the install (which only touches what
 * changed), and an unchanged site is a no-op on the next `pulumi up`. `triggers` is not used for
 * content: it forces replacement, which would tear the site down and set it up again.
 * Destroy runs the uninstall script: units stopped and removed, bridge, namespace and NAT gone.
 */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as libvirt from "@pulumi/libvirt";
import { EdgeHostConfig, EdgeSiteConfig, PROJECT } from "./model";
import { checkMac as normaliseMac } from "../infra/edge-host/checks";
import { DEBIAN_IPXE, DEBIAN_IPXE_TFTP_NAMES } from "../lib/ipxe/debianPackage";
import { GOOGLE_RUN_APP_TRUST } from "../lib/ipxe/googleTrust";
import { type IpxeTrustAnchors } from "../lib/ipxe/trust";
import { DnsmasqOptions, IPXE_USER_CLASS, renderDnsmasqConf } from "../infra/edge-host/dnsmasq";
import { STAGED_FILES, renderInstallScript, renderRootsList, renderUninstallScript } from "../infra/edge-host/install";
import { renderNetworkSetupScript, renderNetworkTeardownScript } from "../infra/edge-host/network";
import { EdgeHostPaths, edgeHostPaths } from "../infra/edge-host/paths";
import { renderPreflightScript } from "../infra/edge-host/preflight";
import { contentHash, remoteBashCommand } from "../infra/edge-host/shell";
import { checkEdgeNetwork } from "../infra/edge-host/site";
import { renderDnsmasqUnit, renderNetworkUnit } from "../infra/edge-host/units";
import { type SmbiosIdentity } from "../infra/edge-host/libvirt";
import { EdgeVm, edgeVmPlan } from "./edgeVm";

/** A custom iPXE build (infra/ipxe/build.sh) to serve over TFTP instead of the host's package. */
export interface EdgeSiteIpxeAssets {
    /** Local path (on the Pulumi runner) of the x86-64 UEFI binary, `bin-x86_64-efi/ipxe.efi`. */
    efi: string;
    /** Local path (on the Pulumi runner) of the BIOS binary, `bin/undionly.kpxe`. */
    bios: string;
}

export interface EdgeSiteArgs {
    /** The site from stack config (validated by `parseStackConfig`). */
    site: EdgeSiteConfig;
    /**
     * The URL iPXE chains to, `https://<site>:<siteToken>@<svc>/v1/sites/<site>/boot.ipxe`
     * (`siteBootUrl`). Secret (marked secret here whatever the caller passes); at most 250
     * characters, no commas or quotes.
     */
    bootUrl: pulumi.Input<string>;
    /**
     * Custom iPXE binaries (infra/ipxe/build.sh: HTTPS, TRUST=, EMBED retry script) to serve over
     * TFTP. Default: Debian 13's `ipxe` package pinned in lib/ipxe/debianPackage.ts, fetched from
     * Debian's archive by the host and checked by SHA-256 (`undionly.kpxe`, `snponly.efi`,
     * `ipxe-arm64.efi`).
     */
    ipxeAssets?: EdgeSiteIpxeAssets;
    /**
     * The roots the boot URL's certificate chains to: pinned in every DHCP answer and served as
     * iPXE's cross-signed-certificate source. Default: Google Trust Services, for Cloud Run's
     * `*.run.app` (lib/ipxe/googleTrust.ts). Not secret.
     */
    ipxeTrust?: IpxeTrustAnchors;
    /** Create a libvirt VM for every inventory machine with `vm` set. Default true. */
    manageVms?: boolean;
    /**
     * Machine name -> the SMBIOS UUID and serial its VM reports (EdgeVmIdentities.byMachine; the
     * boot service's inventory records the same). A VM without an entry gets libvirt's random
     * UUID and no serial. Default {}.
     */
    vmIdentities?: Record<string, pulumi.Input<SmbiosIdentity>>;
    /**
     * dnsmasq `log-dhcp`: log every DHCP exchange with all options. Default false, because the
     * host journal would then hold the boot URL and its site token.
     */
    logDhcp?: boolean;
}

/** A static DHCP lease, as the site serves it. */
export interface EdgeLease {
    /** Hostname handed out (the inventory machine name). */
    name: string;
    /** MAC, lower-case colon form. */
    mac: string;
    /** Leased address. */
    ip: string;
}

/**
 * SSH connection to an edge host. The host key is pinned (commands refuse any other key). With no
 * private key the command provider uses the runner's ssh-agent (SSH_AUTH_SOCK); the socket path is
 * deliberately not put in the inputs, where a new agent session would show up as a change.
 */
export function edgeHostConnection(host: EdgeHostConfig): command.types.input.remote.ConnectionArgs {
    return {
        host: host.address,
        port: host.port,
        user: host.user,
        hostKey: host.hostKey,
        privateKey: host.privateKey === undefined ? undefined : pulumi.secret(host.privateKey),
        // Bounded: an unreachable host fails after 5 dials of at most 15 s, not after the default 10.
        dialErrorLimit: 5,
        perDialTimeout: 15,
    };
}

/** TFTP directory (under the site's TFTP root) of the roots iPXE may fetch to complete a chain. */
export const IPXE_ROOTS_DIR = "ipxe-roots";

/** The dnsmasq options of a site: DHCP served from the site's DHCP port inside its namespace. */
export function siteDnsmasqOptions(
    site: EdgeSiteConfig,
    bootUrl: string,
    paths: EdgeHostPaths,
    opts: { logDhcp: boolean; customIpxe: boolean; trust: IpxeTrustAnchors },
): DnsmasqOptions {
    return {
        interface: paths.dhcpPort,
        listenAddress: site.dhcp.serverAddress,
        gateway: site.bridge.gateway,
        prefixLength: site.bridge.prefixLength,
        rangeStart: site.dhcp.rangeStart,
        rangeEnd: site.dhcp.rangeEnd,
        leaseTime: site.dhcp.leaseTime,
        dnsServers: site.dhcp.dnsServers,
        mtu: site.bridge.mtu,
        hosts: site.machines.map((m) => ({ mac: m.mac, ip: m.ip, hostname: m.name })),
        bootUrl,
        tftpRoot: paths.tftpRoot,
        leaseFile: paths.leaseFile,
        pidFile: `/run/${paths.runtimeDir}/dnsmasq.pid`,
        logDhcp: opts.logDhcp,
        skipProxyDhcpWait: true,
        // Only the iPXE the site serves gets the boot URL; a NIC option ROM's iPXE (often without
        // HTTPS, and started before any pin) loads it first. Our build sets the user class in its
        // embedded script; Debian's copies it from the firmware's cached answer (announceUserClass).
        ipxeUserClass: IPXE_USER_CLASS,
        announceUserClass: !opts.customIpxe,
        ipxeEfi: opts.customIpxe ? "ipxe.efi" : DEBIAN_IPXE_TFTP_NAMES.efi,
        ipxeBios: opts.customIpxe ? "undionly.kpxe" : DEBIAN_IPXE_TFTP_NAMES.bios,
        ipxeArm64Efi: opts.customIpxe ? "ipxe-arm64.efi" : DEBIAN_IPXE_TFTP_NAMES.arm64Efi,
        ipxeTrust: { fingerprints: opts.trust.fingerprints, crossCertDir: IPXE_ROOTS_DIR },
    };
}

/** The site's files that hold no secret, by staged file role. */
export function edgeSiteStaticFiles(site: EdgeSiteConfig, paths: EdgeHostPaths = edgeHostPaths(site.name)) {
    return {
        netUnit: renderNetworkUnit(site, paths),
        dhcpUnit: renderDnsmasqUnit(site, paths),
        setupScript: renderNetworkSetupScript(site, paths),
        teardownScript: renderNetworkTeardownScript(site, paths),
    };
}

/** A syntactically valid stand-in for the secret boot URL, used to validate before any resource exists. */
const PLACEHOLDER_BOOT_URL = "https://placeholder:0000000000000000000000000000000000000000000@boot.invalid/v1/sites/placeholder/boot.ipxe";

/** Validates everything about a site that does not depend on the boot URL; throws naming the problem. */
export function validateEdgeSite(site: EdgeSiteConfig, manageVms = true): void {
    checkEdgeNetwork(site);
    renderDnsmasqConf(siteDnsmasqOptions(site, PLACEHOLDER_BOOT_URL, edgeHostPaths(site.name), { logDhcp: false, customIpxe: false, trust: GOOGLE_RUN_APP_TRUST }));
    if (manageVms) {
        for (const m of site.machines) {
            if (m.vm) edgeVmPlan(site, m);
        }
    }
}

/** Leases in inventory order. */
export function edgeSiteLeases(site: EdgeSiteConfig): EdgeLease[] {
    return site.machines.map((m) => ({ name: m.name, mac: normaliseMac(m.mac, `edge machine ${m.name} mac`), ip: m.ip }));
}

/**
 * The install command string: the install script plus a hash of everything it installs, so any
 * content change changes the command (an in-place update that re-runs it).
 */
export function edgeSiteInstallCommand(site: EdgeSiteConfig, contentSha256: string, customIpxe: boolean, paths: EdgeHostPaths = edgeHostPaths(site.name)): string {
    const ipxe = customIpxe ? ({ kind: "custom" } as const) : ({ kind: "debian", package: DEBIAN_IPXE } as const);
    return remoteBashCommand(renderInstallScript(site, { ipxe, crossCertDir: IPXE_ROOTS_DIR }, paths), {
        sshUser: site.host.user,
        comment: `talos-cloud-edge install of edge site ${site.name}; content sha256 ${contentSha256}`,
    });
}

/**
 * An edge site: host network, DHCP/TFTP service, NAT and the site's VMs.
 */
export class EdgeSite extends pulumi.ComponentResource {
    public readonly siteName: pulumi.Output<string>;
    /** Site subnet CIDR. */
    public readonly subnet: pulumi.Output<string>;
    /** Gateway address on the bridge. */
    public readonly gateway: pulumi.Output<string>;
    /** Address dnsmasq serves DHCP and TFTP from. */
    public readonly dhcpServer: pulumi.Output<string>;
    /** Open vSwitch bridge name. */
    public readonly bridgeName: pulumi.Output<string>;
    /** Static leases, one per inventory machine. */
    public readonly leases: pulumi.Output<EdgeLease[]>;
    /** The command that installs the site; depend on it for "the site network is up". */
    public readonly installCommand: command.remote.Command;
    /** libvirt provider for the site's host; undefined when the site has no VMs. */
    public readonly libvirtProvider?: libvirt.Provider;
    /** VMs by machine name. */
    public readonly vms: Record<string, EdgeVm>;

    constructor(name: string, args: EdgeSiteArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:edge:EdgeSite`, name, {}, opts);
        const site = args.site;
        const manageVms = args.manageVms ?? true;
        validateEdgeSite(site, manageVms);
        const paths = edgeHostPaths(site.name);
        const connection = edgeHostConnection(site.host);
        const bootUrl = pulumi.secret(args.bootUrl);
        const vmMachines = manageVms ? site.machines.filter((m) => m.vm !== undefined) : [];
        const ipxe = args.ipxeAssets;
        const trust = args.ipxeTrust ?? GOOGLE_RUN_APP_TRUST;
        const ipxeBytes = ipxe ? { ipxeEfi: readAsset(ipxe.efi, "ipxeAssets.efi"), ipxeBios: readAsset(ipxe.bios, "ipxeAssets.bios") } : undefined;

        const preflight = new command.remote.Command(
            `${name}-preflight`,
            {
                connection,
                create: remoteBashCommand(
                    renderPreflightScript(site, {
                        sshUser: site.host.user,
                        vms: vmMachines.length > 0,
                        uefi: vmMachines.some((m) => m.vm?.firmware === "uefi"),
                        lvm: vmMachines.length > 0 && site.storage.kind === "lvm",
                        debianIpxe: ipxe === undefined,
                    }),
                    { sshUser: site.host.user },
                ),
                logging: "stdoutAndStderr",
            },
            { parent: this },
        );

        // The staging directory is created by the preflight; nothing in the copies' inputs says so.
        const copyOpts = { parent: this, dependsOn: [preflight] };
        const staged = (role: keyof typeof STAGED_FILES) => `${paths.stagingDir}/${STAGED_FILES[role]}`;
        const staticFiles = { ...edgeSiteStaticFiles(site, paths), ipxeRoots: renderRootsList(trust.crossCerts) };
        const copies: command.remote.CopyToRemote[] = (Object.keys(staticFiles) as (keyof typeof staticFiles)[]).map(
            (role) =>
                new command.remote.CopyToRemote(
                    `${name}-copy-${role}`,
                    { connection, source: new pulumi.asset.StringAsset(staticFiles[role]), remotePath: staged(role) },
                    copyOpts,
                ),
        );
        const dnsmasqConf = bootUrl.apply((url) =>
            renderDnsmasqConf(siteDnsmasqOptions(site, url, paths, { logDhcp: args.logDhcp ?? false, customIpxe: ipxe !== undefined, trust })),
        );
        copies.push(
            new command.remote.CopyToRemote(
                `${name}-copy-dnsmasqConf`,
                // Derived from the secret boot URL, so the asset is secret in state too.
                { connection, source: dnsmasqConf.apply((text) => new pulumi.asset.StringAsset(text)), remotePath: staged("dnsmasqConf") },
                copyOpts,
            ),
        );
        if (ipxe) {
            copies.push(
                new command.remote.CopyToRemote(`${name}-copy-ipxeEfi`, { connection, source: new pulumi.asset.FileAsset(ipxe.efi), remotePath: staged("ipxeEfi") }, copyOpts),
                new command.remote.CopyToRemote(`${name}-copy-ipxeBios`, { connection, source: new pulumi.asset.FileAsset(ipxe.bios), remotePath: staged("ipxeBios") }, copyOpts),
            );
        }

        // A SHA-256 over files whose only secret is a high-entropy site token reveals nothing about
        // the token; unsecreting it keeps the install command readable in previews and diffs.
        const hash = pulumi.unsecret(dnsmasqConf.apply((conf) => contentHash({ ...staticFiles, dnsmasqConf: conf, ...(ipxeBytes ?? {}) })));
        this.installCommand = new command.remote.Command(
            `${name}-install`,
            {
                connection,
                create: hash.apply((h) => edgeSiteInstallCommand(site, h, ipxe !== undefined, paths)),
                delete: remoteBashCommand(renderUninstallScript(site, paths), { sshUser: site.host.user }),
                // The scripts print progress and unit names, never file contents.
                logging: "stdoutAndStderr",
            },
            {
                parent: this,
                // The install reads the staged files; the copies produce no output it consumes.
                dependsOn: copies,
                // One per site on the host (fixed unit and bridge names): a replacement must remove the
                // old install before the new one is set up, not after.
                deleteBeforeReplace: true,
            },
        );

        this.vms = {};
        if (vmMachines.length > 0) {
            this.libvirtProvider = new libvirt.Provider(`${name}-libvirt`, { uri: site.host.libvirtUri }, { parent: this });
            for (const machine of vmMachines) {
                this.vms[machine.name] = new EdgeVm(
                    `${name}-vm-${machine.name}`,
                    { site, machine, provider: this.libvirtProvider, connection, siteReady: [this.installCommand], smbios: args.vmIdentities?.[machine.name] },
                    { parent: this },
                );
            }
        }

        this.siteName = pulumi.output(site.name);
        this.subnet = pulumi.output(site.bridge.subnetCidr);
        this.gateway = pulumi.output(site.bridge.gateway);
        this.dhcpServer = pulumi.output(site.dhcp.serverAddress);
        this.bridgeName = pulumi.output(site.bridge.name);
        this.leases = pulumi.output(edgeSiteLeases(site));
        this.registerOutputs({
            siteName: this.siteName,
            subnet: this.subnet,
            gateway: this.gateway,
            dhcpServer: this.dhcpServer,
            bridgeName: this.bridgeName,
            leases: this.leases,
        });
    }
}

function readAsset(path: string, what: string): Buffer {
    try {
        return fs.readFileSync(path);
    } catch (e) {
        throw new Error(`${what}: cannot read ${path} (${(e as Error).message}); build the binaries with infra/ipxe/build.sh or leave ipxeAssets unset`);
    }
}
