/** The scripts that create and remove a VM's disk as an LVM logical volume (run by `EdgeVm` over SSH). */
import { fail } from "./checks";
import { GENERATED_HEADER } from "./generated";
import { shq } from "./shell";

const VG_OR_LV_RE = /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,126}$/;

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
${GENERATED_HEADER}
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
${GENERATED_HEADER}
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
