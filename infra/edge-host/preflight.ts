/**
 * The preflight script `EdgeSite` runs on the host before anything else: required packages
 * (installed with apt when missing), Open vSwitch enabled, the staging directory created.
 */
import { fail } from "./checks";
import { GENERATED_HEADER } from "./generated";
import { OVMF_CODE } from "./libvirt";
import { EdgeHostPaths, edgeHostPaths } from "./paths";
import { shq } from "./shell";
import { EdgeNetworkSite, checkEdgeNetwork } from "./site";


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
    /** The site serves the pinned Debian iPXE package, which the install fetches and unpacks. */
    debianIpxe: boolean;
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
    if (opts.debianIpxe) reqs.push({ check: "curl", aptPackage: "curl" }, { check: "dpkg-deb", aptPackage: "dpkg" });
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
${GENERATED_HEADER}
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
