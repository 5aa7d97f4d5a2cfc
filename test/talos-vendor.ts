/**
 * Where the tests find the vendored, unmodified Talos v1.12.4 reference data (schema, Talos's
 * own generated configs, the official extension list): `../shared/vendor/talos-v1.12.4` beside
 * the repository, as CI lays it out, or the directory in TALOS_VENDOR_DIR. A missing directory
 * fails the suites that need it with this message rather than skipping them.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const TALOS_VENDOR_DIR = path.resolve(process.env.TALOS_VENDOR_DIR ?? path.join(__dirname, "..", "..", "shared", "vendor", "talos-v1.12.4"));

/** Absolute path of a vendored file; throws naming the directory and the override when absent. */
export function vendorFile(name: string): string {
    const file = path.join(TALOS_VENDOR_DIR, name);
    if (!fs.existsSync(file)) {
        throw new Error(`Talos reference data ${name} not found in ${TALOS_VENDOR_DIR}; put the shared data beside the repository (../shared) or set TALOS_VENDOR_DIR`);
    }
    return file;
}

/** Text of a vendored file. */
export function readVendorFile(name: string): string {
    return fs.readFileSync(vendorFile(name), "utf8");
}
