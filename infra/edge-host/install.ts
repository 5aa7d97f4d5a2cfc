/**
 * The install and uninstall scripts `EdgeSite` runs on the host over SSH (as its install
 * command's create and delete), and the names of the files it stages for the install.
 */
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
${GENERATED_HEADER}
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
