/**
 * The install and uninstall scripts `EdgeSite` runs on the host over SSH (as its install
 * command's create and delete), and the names of the files it stages for the install.
 */
import { DEBIAN_IPXE_TFTP_NAMES, type DebianIpxePackage } from "../../lib/ipxe/debianPackage";
import { checkFileName } from "./checks";
import { GENERATED_HEADER } from "./generated";
import { EdgeHostPaths, edgeHostPaths } from "./paths";
import { shq } from "./shell";
import { EdgeNetworkSite, checkEdgeNetwork } from "./site";

/** Files the EdgeSite component copies into the staging directory, by role. */
export const STAGED_FILES = {
    dnsmasqConf: "dnsmasq.conf",
    netUnit: "net.service",
    dhcpUnit: "dhcp.service",
    setupScript: "net-setup.sh",
    teardownScript: "net-teardown.sh",
    ipxeEfi: "ipxe.efi",
    ipxeBios: "undionly.kpxe",
    ipxeRoots: "ipxe-roots.txt",
} as const;

/** Where the binaries a site serves come from. */
export type IpxeSource =
    /** A custom build (infra/ipxe/build.sh) the deploy copies into the staging directory. */
    | { kind: "custom" }
    /** A pinned Debian package the host fetches from Debian's archive and checks by SHA-256. */
    | { kind: "debian"; package: DebianIpxePackage };

export interface InstallOptions {
    /** Where the iPXE binaries come from. */
    ipxe: IpxeSource;
    /**
     * Serve iPXE's cross-signed-certificate files (staged as `ipxe-roots.txt`: one `<crc>.der
     * <base64>` line per file) from `<tftp root>/<crossCertDir>`. Default: none.
     */
    crossCertDir?: string;
    /** TFTP file names; defaults as in `DnsmasqOptions` (custom) or `DEBIAN_IPXE_TFTP_NAMES` (Debian). */
    ipxeEfi?: string;
    ipxeBios?: string;
    ipxeArm64Efi?: string;
}

/** Host-wide cache of fetched packages (one download per host, not per site). */
export const PACKAGE_CACHE_DIR = "/var/cache/talos-edge";

/**
 * Lines (of the install script: they use its helpers and `$TFTP_ROOT`) that fetch the pinned Debian
 * iPXE package into `cacheDir` unless a file with its SHA-256 is already there, trying each URL in
 * turn, then unpack it, check each binary's SHA-256 and install it into the TFTP root.
 */
export function renderDebianIpxeInstall(pkg: DebianIpxePackage, names: { efi: string; bios: string; arm64Efi: string }, cacheDir = PACKAGE_CACHE_DIR): string {
    const hex = /^[0-9a-f]{64}$/;
    if (!/^[a-z0-9][a-z0-9.+-]*$/.test(pkg.name) || !/^[A-Za-z0-9.+~:-]+$/.test(pkg.version) || !hex.test(pkg.sha256)) {
        throw new Error(`Debian iPXE package pin ${JSON.stringify(pkg.name)} ${JSON.stringify(pkg.version)} is malformed; give a package name, a version and a SHA-256`);
    }
    checkFileName(pkg.debFile, "Debian iPXE debFile");
    for (const url of pkg.urls) {
        if (!/^https?:\/\/[A-Za-z0-9.-]+(?::[0-9]{1,5})?\/[A-Za-z0-9._~%+\/-]*$/.test(url)) throw new Error(`Debian iPXE URL ${JSON.stringify(url)} is not a plain http(s) URL`);
    }
    const files = [
        [pkg.files.bios, names.bios],
        [pkg.files.efi, names.efi],
        [pkg.files.arm64Efi, names.arm64Efi],
    ] as const;
    for (const [f] of files) {
        if (!/^[A-Za-z0-9._/+-]+$/.test(f.path) || f.path.includes("..") || !hex.test(f.sha256)) throw new Error(`Debian iPXE file ${JSON.stringify(f.path)} is malformed`);
    }
    return `# iPXE: ${pkg.release} package ${pkg.name} ${pkg.version}, pinned by SHA-256 (docs/decisions/0009).
IPXE_DEB=${shq(`${cacheDir}/${pkg.debFile}`)}
IPXE_DEB_SHA256=${shq(pkg.sha256)}
install -d -m 0755 ${shq(cacheDir)}
if ! { [[ -f $IPXE_DEB ]] && echo "$IPXE_DEB_SHA256  $IPXE_DEB" | sha256sum --check --status; }; then
    fetched=0
    for url in ${pkg.urls.map(shq).join(" ")}; do
        log "fetching ${pkg.name} ${pkg.version} from $url"
        if curl --fail --silent --show-error --location --retry 3 --connect-timeout 15 --max-time 600 --output "$IPXE_DEB.part" "$url"; then
            if echo "$IPXE_DEB_SHA256  $IPXE_DEB.part" | sha256sum --check --status; then
                mv "$IPXE_DEB.part" "$IPXE_DEB"
                fetched=1
                break
            fi
            log "$url did not serve the pinned file (SHA-256 mismatch); trying the next source"
        fi
        rm -f "$IPXE_DEB.part"
    done
    ((fetched)) || die "could not fetch ${pkg.debFile} with SHA-256 $IPXE_DEB_SHA256 from any source; check the host's internet access"
fi
ipxe_unpacked=$(mktemp -d)
trap 'rm -rf "$ipxe_unpacked"' EXIT
dpkg-deb --extract "$IPXE_DEB" "$ipxe_unpacked"
${files
    .map(
        ([f, name]) => `echo ${shq(`${f.sha256}  ${f.path}`)} | (cd "$ipxe_unpacked" && sha256sum --check --status) || die ${shq(`${f.path} in ${pkg.debFile} does not have its pinned SHA-256`)}
if put "$ipxe_unpacked/"${shq(f.path)} "$TFTP_ROOT/"${shq(name)} 0644; then log ${shq(`installed ${name} from ${pkg.name} ${pkg.version}`)}; fi`,
    )
    .join("\n")}
rm -rf "$ipxe_unpacked"
trap - EXIT`;
}

/** The staged `ipxe-roots.txt`: one `<file name> <base64 of its content>` line per root file. */
export function renderRootsList(files: ReadonlyArray<{ fileName: string; der: Buffer }>): string {
    return files.map((f) => `${checkFileName(f.fileName, "iPXE root file name")} ${f.der.toString("base64")}\n`).join("");
}

/**
 * Lines (of the install script) that write the staged cross-signed-certificate files into
 * `<tftp root>/<dir>`, replacing the previous set when it differs.
 */
export function renderRootsInstall(dir: string): string {
    checkFileName(dir, "crossCertDir");
    return `# iPXE's cross-signed-certificate source: the roots the boot URL chains to (docs/decisions/0009).
roots_new=$(mktemp -d)
while read -r name data; do
    [[ $name =~ ^[0-9a-f]{8}\\.der$ ]] || die "malformed line in $STAGE/${STAGED_FILES.ipxeRoots}"
    printf '%s' "$data" | base64 --decode >"$roots_new/$name"
done <"$STAGE/"${shq(STAGED_FILES.ipxeRoots)}
if ! diff -r -q "$roots_new" "$TFTP_ROOT/"${shq(dir)} >/dev/null 2>&1; then
    rm -rf "$TFTP_ROOT/"${shq(dir)}
    install -d -m 0755 "$TFTP_ROOT/"${shq(dir)}
    find "$roots_new" -name '*.der' -exec install -m 0644 -t "$TFTP_ROOT/"${shq(dir)} {} +
    log "installed iPXE's root certificates in $TFTP_ROOT/"${shq(dir)}
fi
rm -rf "$roots_new"`;
}

/** `log`, `die` and `put`, the install script's helpers (they read `$SITE`). */
export const INSTALL_HELPERS = `log() { echo "talos-edge-install[$SITE]: $*"; }
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
}`;

/**
 * Puts the staged files in place (only those that changed), reloads systemd, enables both
 * units, re-runs the network setup if its files changed and restarts dnsmasq if its config
 * changed. Prints what it did; never prints file contents (dnsmasq.conf holds the site token).
 */
export function renderInstallScript(site: EdgeNetworkSite, opts: InstallOptions, paths: EdgeHostPaths = edgeHostPaths(site.name)): string {
    const net = checkEdgeNetwork(site);
    const s = (f: string) => `"$STAGE/"${shq(f)}`;
    let ipxeBlock: string;
    if (opts.ipxe.kind === "custom") {
        const efi = checkFileName(opts.ipxeEfi ?? "ipxe.efi", "ipxeEfi");
        const bios = checkFileName(opts.ipxeBios ?? "undionly.kpxe", "ipxeBios");
        ipxeBlock = `if put ${s(STAGED_FILES.ipxeEfi)} "$TFTP_ROOT/"${shq(efi)} 0644; then log "installed custom ${efi}"; fi
if put ${s(STAGED_FILES.ipxeBios)} "$TFTP_ROOT/"${shq(bios)} 0644; then log "installed custom ${bios}"; fi`;
    } else {
        ipxeBlock = renderDebianIpxeInstall(opts.ipxe.package, {
            efi: checkFileName(opts.ipxeEfi ?? DEBIAN_IPXE_TFTP_NAMES.efi, "ipxeEfi"),
            bios: checkFileName(opts.ipxeBios ?? DEBIAN_IPXE_TFTP_NAMES.bios, "ipxeBios"),
            arm64Efi: checkFileName(opts.ipxeArm64Efi ?? DEBIAN_IPXE_TFTP_NAMES.arm64Efi, "ipxeArm64Efi"),
        });
    }
    if (opts.crossCertDir !== undefined) ipxeBlock += `
${renderRootsInstall(checkFileName(opts.crossCertDir, "crossCertDir"))}`;
    return `#!/bin/bash
${GENERATED_HEADER}
# Installs edge site ${net.site} from ${paths.stagingDir}. Rerunnable.
set -euo pipefail

SITE=${shq(net.site)}
STAGE=${shq(paths.stagingDir)}
TFTP_ROOT=${shq(paths.tftpRoot)}
NET_UNIT=${shq(paths.netUnit)}
DHCP_UNIT=${shq(paths.dhcpUnit)}

${INSTALL_HELPERS}

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
${GENERATED_HEADER}
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
