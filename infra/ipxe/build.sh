#!/bin/bash
# Builds the iPXE binaries an edge site serves over TFTP (docs/decisions/0103):
#   bin/undionly.kpxe        -> undionly.kpxe   (legacy BIOS PXE)
#   bin-x86_64-efi/ipxe.efi  -> ipxe.efi        (x86-64 UEFI)
#   bin-arm64-efi/ipxe.efi   -> ipxe-arm64.efi  (arm64 UEFI, with --arm64)
# from upstream iPXE source, with HTTPS and NTP enabled, TRUST= pinned to the CA roots the boot
# URL presents, and EMBED= a script that chains to the site URL DHCP hands out. Reproducible:
# SOURCE_DATE_EPOCH and path-mapping compiler flags, so the same inputs give the same bytes.
# Run `build.sh --help` for usage; infra/ipxe/README.md explains the choices.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
UPSTREAM=https://github.com/ipxe/ipxe.git
MOZILLA_CA_DIR=/usr/share/ca-certificates/mozilla

usage() {
    cat <<EOF
Usage: infra/ipxe/build.sh (--ca <pem>[,<pem>...] | --ca-preset google) [options]

Builds undionly.kpxe (BIOS) and ipxe.efi (x86-64 UEFI) from upstream iPXE with HTTPS, NTP,
a pinned trust list and an embedded boot script, and writes them to --out.

Trust (one of them is required):
  --ca <pem>[,<pem>...]  PEM files (bundles allowed) of the root CAs the boot URL's certificate
                         chain ends in. Only these roots are trusted; runtime overrides are off.
  --ca-preset google     The roots of Google-hosted endpoints (*.run.app): GTS Root R1-R4 and
                         GlobalSign Root CA (cross-signs GTS Root R1), read from Debian's
                         ca-certificates ($MOZILLA_CA_DIR).

Options:
  --no-crosscert         Build with CROSSCERT "": iPXE never fetches cross-signed certificates
                         (by default from http://ca.ipxe.org/auto) when a chain does not reach a
                         trusted root. A site's DHCP option 175.93 still overrides it.
  --source-date-epoch <seconds>
                         Build time recorded in the binaries (default: \$SOURCE_DATE_EPOCH, else
                         the source commit's time; required for a --src tree that is no git checkout).
  --embed <script>       iPXE script built in (default: $SCRIPT_DIR/embed.ipxe).
  --ref <tag>            Upstream tag or branch to clone (default: v2.0.0).
  --src <dir>            Use an existing iPXE source tree (its top directory or its src/) instead
                         of cloning; --ref is then ignored. E.g. a Debian source package:
                         'apt-get source ipxe' (needs deb-src entries), then --src ipxe-<version>.
  --out <dir>            Where the binaries go (default: $SCRIPT_DIR/dist).
  --work <dir>           Scratch directory for the clone and the split CA files
                         (default: a new temporary directory, removed afterwards).
  --jobs <n>             Parallel make jobs (default: number of CPUs).
  --arm64                Also build the arm64 UEFI binary (needs gcc-aarch64-linux-gnu).
  --dry-run              Prepare the tree and print the make command without building.
  -h, --help             Show this help.

Needs: bash, git (unless --src), make, gcc, perl, openssl, liblzma headers.
  Debian/Ubuntu: apt-get install build-essential git perl openssl liblzma-dev ca-certificates
A full build of both targets takes about 2.5 minutes on 2 idle cores.

Output (in --out): undionly.kpxe, ipxe.efi, [ipxe-arm64.efi], SHA256SUMS, BUILD-INFO (source,
commit, build time, HTTPS, cross-signing source, trusted roots, each binary's SHA-256).
The binaries are GPL-2.0-or-later (iPXE's TLS code has no UBDL option): whoever ships them ships
or offers the corresponding source, which BUILD-INFO names.
Serve it from every site: pulumi config set --path talos-cloud-edge:images.ipxeEfi <out>/ipxe.efi
(and images.ipxeBios <out>/undionly.kpxe); BUILD-INFO must stay next to ipxe.efi.
EOF
}

die() {
    echo "build.sh: error: $*" >&2
    exit 1
}
usage_error() {
    echo "build.sh: $*" >&2
    echo "Run 'infra/ipxe/build.sh --help' for usage." >&2
    exit 2
}

START=$SECONDS
step() { echo "==> [$((SECONDS - START))s] $*"; }

ca_list=""
ca_preset=""
no_crosscert=0
source_date_epoch=${SOURCE_DATE_EPOCH:-}
embed="$SCRIPT_DIR/embed.ipxe"
ref="v2.0.0"
src=""
out="$SCRIPT_DIR/dist"
work=""
jobs=$(nproc 2>/dev/null || echo 2)
arm64=0
dry_run=0

need_value() {
    [[ $# -ge 2 && -n $2 ]] || usage_error "$1 needs a value"
}
while [[ $# -gt 0 ]]; do
    case $1 in
    --ca) need_value "$@"; ca_list=$2; shift 2 ;;
    --ca-preset) need_value "$@"; ca_preset=$2; shift 2 ;;
    --no-crosscert) no_crosscert=1; shift ;;
    --source-date-epoch) need_value "$@"; source_date_epoch=$2; shift 2 ;;
    --embed) need_value "$@"; embed=$2; shift 2 ;;
    --ref) need_value "$@"; ref=$2; shift 2 ;;
    --src) need_value "$@"; src=$2; shift 2 ;;
    --out) need_value "$@"; out=$2; shift 2 ;;
    --work) need_value "$@"; work=$2; shift 2 ;;
    --jobs) need_value "$@"; jobs=$2; shift 2 ;;
    --arm64) arm64=1; shift ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
    esac
done

# --- inputs ------------------------------------------------------------------------------------

if [[ -n $ca_list && -n $ca_preset ]]; then
    usage_error "give --ca or --ca-preset, not both"
fi
case $ca_preset in
"") ;;
google)
    ca_list=""
    for name in GTS_Root_R1 GTS_Root_R2 GTS_Root_R3 GTS_Root_R4 GlobalSign_Root_CA; do
        f="$MOZILLA_CA_DIR/$name.crt"
        [[ -f $f ]] || die "$f not found: install Debian's ca-certificates package, or pass the roots with --ca"
        ca_list+="${ca_list:+,}$f"
    done
    ;;
*) usage_error "unknown --ca-preset '$ca_preset' (known: google)" ;;
esac
[[ -n $ca_list ]] || usage_error "missing --ca or --ca-preset: the build must pin the CA roots the boot URL presents"
[[ $jobs =~ ^[1-9][0-9]*$ ]] || usage_error "--jobs must be a positive number, got '$jobs'"
[[ -z $source_date_epoch || $source_date_epoch =~ ^[0-9]{1,12}$ ]] || usage_error "--source-date-epoch must be seconds since 1970, got '$source_date_epoch'"
[[ -f $embed ]] || die "embedded script $embed not found"
head -n 1 "$embed" | grep -q '^#!ipxe' || die "$embed does not start with #!ipxe"
embed=$(cd "$(dirname "$embed")" && pwd)/$(basename "$embed")

for tool in make gcc perl openssl awk; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found; on Debian: apt-get install build-essential git perl openssl liblzma-dev"
done
if [[ -z $src ]]; then
    command -v git >/dev/null 2>&1 || die "git not found (or pass --src <existing iPXE tree>)"
fi
if ((arm64)); then
    command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || die "--arm64 needs aarch64-linux-gnu-gcc (apt-get install gcc-aarch64-linux-gnu)"
fi

cleanup_work=0
if [[ -z $work ]]; then
    work=$(mktemp -d "${TMPDIR:-/tmp}/ipxe-build.XXXXXX")
    cleanup_work=1
fi
mkdir -p "$work"
work=$(cd "$work" && pwd)
cleanup() {
    if ((cleanup_work)) && ((!dry_run)); then rm -rf "$work"; fi
}
trap cleanup EXIT

# --- trust list: one certificate per file (TRUST= fingerprints only a file's first certificate) ---

step "splitting the CA roots into single certificates"
trust_dir="$work/trust"
rm -rf "$trust_dir"
mkdir -p "$trust_dir"
IFS=, read -r -a ca_files <<<"$ca_list"
for f in "${ca_files[@]}"; do
    [[ -f $f ]] || die "CA file $f not found"
done
awk -v dir="$trust_dir" '
    /-----BEGIN CERTIFICATE-----/ { n++; file = sprintf("%s/ca-%03d.pem", dir, n); inside = 1 }
    inside { print > file }
    /-----END CERTIFICATE-----/ { inside = 0; close(file) }
' "${ca_files[@]}"
shopt -s nullglob
trust_files=("$trust_dir"/ca-*.pem)
shopt -u nullglob
((${#trust_files[@]} > 0)) || die "no PEM certificate found in $ca_list"
trust=""
for f in "${trust_files[@]}"; do
    subject=$(openssl x509 -in "$f" -noout -subject 2>/dev/null) || die "$f is not a valid certificate"
    fingerprint=$(openssl x509 -in "$f" -noout -fingerprint -sha256 | cut -d= -f2)
    echo "    trusting ${subject#subject=} (sha256 $fingerprint)"
    trust+="${trust:+,}$f"
done

# --- source ------------------------------------------------------------------------------------

src_given=$src
if [[ -n $src ]]; then
    [[ -d $src ]] || die "--src $src is not a directory"
    src=$(cd "$src" && pwd)
    [[ -f $src/Makefile && -d $src/config ]] || src="$src/src"
    [[ -f $src/Makefile && -d $src/config ]] || die "--src does not look like an iPXE tree (no src/Makefile and src/config/)"
    step "using iPXE source in $src"
else
    step "cloning $UPSTREAM at $ref"
    rm -rf "$work/ipxe"
    if ((dry_run)); then
        echo "    (dry run: would run git clone --depth 1 --branch $ref $UPSTREAM $work/ipxe)"
        mkdir -p "$work/ipxe/src/config"
    else
        git clone --quiet --depth 1 --branch "$ref" "$UPSTREAM" "$work/ipxe"
    fi
    src="$work/ipxe/src"
fi
# The tree's own commit only: git -C would otherwise report a repository the tree merely sits in.
top=$(cd "$src/.." && pwd)
commit="unknown (not a git checkout)"
commit_time=""
if [[ $(git -C "$top" rev-parse --show-toplevel 2>/dev/null) == "$top" ]]; then
    commit=$(git -C "$top" rev-parse HEAD)
    commit_time=$(git -C "$top" log -1 --format=%ct)
fi
echo "    source commit: $commit"
if [[ -n $src_given ]]; then
    source_desc="--src $src_given (resolved to $src)"
else
    source_desc="$UPSTREAM ref $ref"
fi
if [[ -z $source_date_epoch ]]; then
    if [[ -n $commit_time ]]; then
        source_date_epoch=$commit_time
    elif ((dry_run)) && [[ -z $src_given ]]; then
        source_date_epoch=0
        echo "    (dry run: a real build takes the clone's commit time)"
    else
        die "cannot tell the source's date ($top is no git checkout); pass --source-date-epoch <seconds>, e.g. the release date of that source"
    fi
fi
echo "    build time recorded in the binaries: $source_date_epoch ($(date -u -d "@$source_date_epoch" +%Y-%m-%dT%H:%M:%SZ))"

# --- build configuration -----------------------------------------------------------------------

step "writing $src/config/local/general.h"
mkdir -p "$src/config/local"
cat >"$src/config/local/general.h" <<'EOF'
/* Written by talos-cloud-edge infra/ipxe/build.sh; rewritten on every build. */

/* The site boot URL is HTTPS. On by default for EFI builds since v2.0.0, off for BIOS builds. */
#define DOWNLOAD_PROTO_HTTPS

/* `ntp <server>`: certificates are checked against the clock, and edge RTCs drift. */
#define NTP_CMD
EOF
if ((no_crosscert)); then
    step "writing $src/config/local/crypto.h (no cross-signed certificate lookups)"
    cat >"$src/config/local/crypto.h" <<'EOF'
/* Written by talos-cloud-edge infra/ipxe/build.sh --no-crosscert; rewritten on every build. */

/* Never fetch cross-signed certificates (upstream: http://ca.ipxe.org/auto) for a chain that does
 * not reach a trusted root: with TRUST= such a chain fails at once. A `crosscert` setting (DHCP
 * option 175.93, e.g. a site's own TFTP directory of roots) still applies. */
#undef CROSSCERT
#define CROSSCERT ""
EOF
    crosscert_desc='disabled (CROSSCERT "")'
else
    rm -f "$src/config/local/crypto.h"
    crosscert_desc="upstream default (http://ca.ipxe.org/auto) unless DHCP option 175.93 names another source"
fi

# Reproducible output: the build time comes from SOURCE_DATE_EPOCH, and no absolute path of this
# machine reaches the objects (debug info and __FILE__ feed the build ID iPXE links in).
prefix_maps="-ffile-prefix-map=$src=ipxe/src -ffile-prefix-map=$work=build -ffile-prefix-map=$(dirname "$embed")=embed"
export SOURCE_DATE_EPOCH=$source_date_epoch

targets=(bin/undionly.kpxe bin-x86_64-efi/ipxe.efi)
make_cmd=(make -C "$src" -j"$jobs" "${targets[@]}" "EMBED=$embed" "TRUST=$trust" "CERT=$trust" "EXTRA_CFLAGS=$prefix_maps")
arm_cmd=(make -C "$src" -j"$jobs" bin-arm64-efi/ipxe.efi CROSS=aarch64-linux-gnu- "EMBED=$embed" "TRUST=$trust" "CERT=$trust" "EXTRA_CFLAGS=$prefix_maps")

if ((dry_run)); then
    step "dry run: would build with SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"
    printf '   '
    printf ' %q' "${make_cmd[@]}"
    echo
    if ((arm64)); then
        printf '   '
        printf ' %q' "${arm_cmd[@]}"
        echo
    fi
    exit 0
fi

# --- build -------------------------------------------------------------------------------------

step "building ${targets[*]} (iPXE prints one line per object)"
"${make_cmd[@]}"
if ((arm64)); then
    step "building bin-arm64-efi/ipxe.efi"
    "${arm_cmd[@]}"
fi

step "copying the binaries to $out"
mkdir -p "$out"
install -m 0644 "$src/bin/undionly.kpxe" "$out/undionly.kpxe"
install -m 0644 "$src/bin-x86_64-efi/ipxe.efi" "$out/ipxe.efi"
files=(undionly.kpxe ipxe.efi)
if ((arm64)); then
    install -m 0644 "$src/bin-arm64-efi/ipxe.efi" "$out/ipxe-arm64.efi"
    files+=(ipxe-arm64.efi)
fi
(cd "$out" && sha256sum "${files[@]}" >SHA256SUMS)
{
    echo "built by: talos-cloud-edge infra/ipxe/build.sh"
    echo "iPXE source: $source_desc"
    echo "iPXE commit: $commit"
    echo "source date epoch: $source_date_epoch"
    echo "https: enabled (DOWNLOAD_PROTO_HTTPS)"
    echo "cross-signed certificates: $crosscert_desc"
    echo "embedded script: $(basename "$embed") sha256 $(sha256sum "$embed" | cut -d' ' -f1)"
    for f in "${trust_files[@]}"; do
        echo "trusted root: $(openssl x509 -in "$f" -noout -subject | sed 's/^subject=//') sha256 $(openssl x509 -in "$f" -noout -fingerprint -sha256 | cut -d= -f2)"
    done
    for f in "${files[@]}"; do
        echo "binary: $f sha256 $(sha256sum "$out/$f" | cut -d' ' -f1)"
    done
    local_headers="config/local/general.h"
    ((no_crosscert)) && local_headers+=" and config/local/crypto.h"
    echo "licence: GPL-2.0-or-later (iPXE's TLS code); corresponding source: the iPXE source above at that commit, with $local_headers as this script writes them, and the embedded script"
} >"$out/BUILD-INFO"
step "done in $((SECONDS - START))s:"
sed 's/^/    /' "$out/SHA256SUMS"
