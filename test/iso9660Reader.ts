/**
 * A minimal ISO 9660 reader for tests, written from ECMA-119 independently of the writer in
 * lib/talos/metalIso.ts: finds the primary volume descriptor, walks the root directory and
 * returns its files (identifiers as the Linux kernel shows them with `map=normal`: lower case,
 * without the ";1" version).
 */

export interface IsoVolume {
    /** Volume identifier, trailing spaces removed (what blkid reports as LABEL). */
    label: string;
    /** Volume space size in logical blocks. */
    blocks: number;
    files: Record<string, Buffer>;
}

const BLOCK = 2048;

export function readIso(image: Buffer): IsoVolume {
    let pvd: Buffer | undefined;
    for (let sector = 16; sector < 16 + 32; sector++) {
        const vd = image.subarray(sector * BLOCK, (sector + 1) * BLOCK);
        if (vd.length < BLOCK || vd.toString("latin1", 1, 6) !== "CD001") {
            throw new Error(`sector ${sector}: no volume descriptor`);
        }
        if (vd[0] === 255) {
            break;
        }
        if (vd[0] === 1) {
            pvd = vd;
        }
    }
    if (!pvd) {
        throw new Error("no primary volume descriptor before the set terminator");
    }
    // Both-byte-order fields must agree (ECMA-119 7.2.3, 7.3.3).
    const both32 = (b: Buffer, at: number) => {
        const le = b.readUInt32LE(at);
        if (le !== b.readUInt32BE(at + 4)) {
            throw new Error(`both-byte-order field at ${at} disagrees`);
        }
        return le;
    };
    if (pvd.readUInt16LE(128) !== BLOCK) {
        throw new Error("logical block size is not 2048");
    }
    const root = pvd.subarray(156, 156 + 34);
    const rootExtent = both32(root, 2);
    const rootSize = both32(root, 10);
    const files: Record<string, Buffer> = {};
    let at = rootExtent * BLOCK;
    const end = at + rootSize;
    while (at < end) {
        const length = image[at];
        if (length === 0) {
            // Records do not cross sectors: skip to the next one.
            at = (Math.floor(at / BLOCK) + 1) * BLOCK;
            continue;
        }
        const record = image.subarray(at, at + length);
        const flags = record[25];
        const idLength = record[32];
        const id = record.toString("latin1", 33, 33 + idLength);
        if (!(idLength === 1 && (record[33] === 0 || record[33] === 1)) && (flags & 2) === 0) {
            const extent = both32(record, 2);
            const size = both32(record, 10);
            files[id.replace(/;1$/, "").toLowerCase()] = image.subarray(extent * BLOCK, extent * BLOCK + size);
        }
        at += length;
    }
    return { label: pvd.toString("latin1", 40, 72).replace(/ +$/, ""), blocks: both32(pvd, 80), files };
}
