/**
 * The `metal-iso` config volume: a minimal ISO 9660 image whose volume label is `metal-iso` and
 * whose root holds `config.yaml`. A metal Talos booted with `talos.config=metal-iso` reads its
 * machine config from it at first boot (siderolabs/talos v1.12.4 `platform/metal/metal.go`:
 * `readConfigFromISO` finds the volume by label `constants.MetalConfigISOLabel` and reads
 * `constants.ConfigFilename`), so the node never waits in maintenance mode for a config.
 *
 * Layout (ECMA-119): system area, primary volume descriptor (sector 16), set terminator (17),
 * the L and M path tables (18, 19), the root directory (20), the file (21...). No Joliet, no
 * Rock Ridge: Linux shows `CONFIG.YAML;1` as `config.yaml` (iso9660 `map=normal`, the default),
 * and blkid reports the primary descriptor's volume identifier as the label. Dates are fixed, so
 * the same config always gives the same bytes.
 *
 * The content is the node's machine config: the image is secret.
 */

/** The label Talos looks for (`constants.MetalConfigISOLabel`). */
export const METAL_ISO_LABEL = "metal-iso";
/** The kernel argument that makes a metal Talos read its config from that volume. */
export const METAL_ISO_KERNEL_ARG = "talos.config=metal-iso";

const SECTOR = 2048;
const PVD_SECTOR = 16;
const L_PATH_TABLE_SECTOR = 18;
const M_PATH_TABLE_SECTOR = 19;
const ROOT_SECTOR = 20;
const FILE_SECTOR = 21;
const FILE_IDENTIFIER = "CONFIG.YAML;1";
/** 1980-01-01 00:00:00 UTC as a directory-record date (years since 1900, month, day, h, m, s, offset). */
const RECORD_DATE = [80, 1, 1, 0, 0, 0, 0];

class Sectors {
    readonly bytes: Uint8Array;

    constructor(count: number) {
        this.bytes = new Uint8Array(count * SECTOR);
    }

    put(offset: number, values: readonly number[]): void {
        values.forEach((v, i) => {
            this.bytes[offset + i] = v;
        });
    }

    text(offset: number, s: string, width: number): void {
        this.put(offset, [...s.padEnd(width, " ").slice(0, width)].map((c) => c.charCodeAt(0)));
    }
}

const le16 = (n: number) => [n & 0xff, (n >>> 8) & 0xff];
const be16 = (n: number) => le16(n).reverse();
const le32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const be32 = (n: number) => le32(n).reverse();
/** ECMA-119 "both-byte orders" fields. */
const both16 = (n: number) => [...le16(n), ...be16(n)];
const both32 = (n: number) => [...le32(n), ...be32(n)];

/** A directory record (ECMA-119 9.1). */
function directoryRecord(extent: number, length: number, directory: boolean, identifier: number[]): number[] {
    const size = 33 + identifier.length + (identifier.length % 2 === 0 ? 1 : 0);
    const record = [size, 0, ...both32(extent), ...both32(length), ...RECORD_DATE, directory ? 2 : 0, 0, 0, ...both16(1), identifier.length, ...identifier];
    while (record.length < size) {
        record.push(0);
    }
    return record;
}

/** Checks the config text; throws when it cannot be a machine config file. */
function checkConfig(content: string): Buffer {
    if (content.trim().length === 0) {
        throw new Error("metal-iso: the machine config is empty");
    }
    return Buffer.from(content, "utf8");
}

/** The ISO image holding `config.yaml` = `content`. */
export function metalIsoImage(content: string): Buffer {
    const file = checkConfig(content);
    const total = FILE_SECTOR + Math.max(1, Math.ceil(file.length / SECTOR));
    const image = new Sectors(total);
    const root = directoryRecord(ROOT_SECTOR, SECTOR, true, [0]);
    const ascii = (t: string) => [...t].map((c) => c.charCodeAt(0));

    // Primary volume descriptor (ECMA-119 8.4).
    const pvd = PVD_SECTOR * SECTOR;
    image.put(pvd, [1, ...ascii("CD001"), 1, 0]);
    image.text(pvd + 8, "", 32); // system identifier
    image.text(pvd + 40, METAL_ISO_LABEL, 32); // volume identifier
    image.put(pvd + 80, both32(total));
    image.put(pvd + 120, both16(1)); // volume set size
    image.put(pvd + 124, both16(1)); // volume sequence number
    image.put(pvd + 128, both16(SECTOR));
    image.put(pvd + 132, both32(10)); // path table size: one 10-byte entry
    image.put(pvd + 140, le32(L_PATH_TABLE_SECTOR));
    image.put(pvd + 148, be32(M_PATH_TABLE_SECTOR));
    image.put(pvd + 156, root);
    image.text(pvd + 190, "", 128 * 4 + 37 * 3); // volume set, publisher, preparer, application, copyright, abstract, bibliographic
    for (const at of [813, 830, 847, 864]) {
        // Dates "not specified": sixteen '0' digits and a zero offset.
        image.text(pvd + at, "0".repeat(16), 16);
    }
    image.put(pvd + 881, [1]); // file structure version

    // Volume descriptor set terminator.
    image.put((PVD_SECTOR + 1) * SECTOR, [255, ...ascii("CD001"), 1]);

    // Path tables (ECMA-119 9.4): the root only.
    image.put(L_PATH_TABLE_SECTOR * SECTOR, [1, 0, ...le32(ROOT_SECTOR), ...le16(1), 0, 0]);
    image.put(M_PATH_TABLE_SECTOR * SECTOR, [1, 0, ...be32(ROOT_SECTOR), ...be16(1), 0, 0]);

    // Root directory: ".", "..", CONFIG.YAML;1.
    const entries = [root, directoryRecord(ROOT_SECTOR, SECTOR, true, [1]), directoryRecord(FILE_SECTOR, file.length, false, ascii(FILE_IDENTIFIER))];
    let at = ROOT_SECTOR * SECTOR;
    for (const e of entries) {
        image.put(at, e);
        at += e.length;
    }
    image.bytes.set(file, FILE_SECTOR * SECTOR);
    return Buffer.from(image.bytes);
}
