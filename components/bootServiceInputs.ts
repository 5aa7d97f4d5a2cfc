/**
 * What the deployed boot service is given besides its secrets' values, and the limits it must
 * fit (decision 0011): BOOT_SETTINGS without the inventory, the source bundle carrying the
 * inventory as `inventory.json`, and the size checks that turn a Cloud Run or Secret Manager
 * refusal into an error naming the value at preview time. Pure functions; BootService wires them.
 */
import * as crypto from "crypto";
import { inventoryFileText, type BootSettingsInput, type BootSiteInput } from "../model/bootContract";

/** The packed service source Cloud Run deploys (see infra/boot-server/pack.ts). */
export interface BootServiceSource {
    /** Local path of the deterministic `.tar.gz` (server bundle + package.json + inventory.json). */
    path: string;
    /** sha256 of the tarball, hex; names the bucket object so each build is a new revision. */
    sha256: string;
    /**
     * sha256 of the bundled inventory file (`packBootServer(cacheDir, {inventory})`). Required:
     * the component refuses a bundle whose inventory is not exactly the one of its `sites`.
     */
    inventorySha256?: string;
}

/** Cloud Run's limit on one environment variable's value. */
export const CLOUD_RUN_ENV_VALUE_MAX_BYTES = 32 * 1024;
/** Secret Manager's limit on one secret version's payload. */
export const SECRET_MANAGER_PAYLOAD_MAX_BYTES = 64 * 1024;

/** BOOT_SETTINGS as the service gets it: everything but the inventory, which rides in the bundle. */
export function bootSettingsEnv(settings: BootSettingsInput): Omit<BootSettingsInput, "sites"> {
    const { sites: _inventory, ...rest } = settings;
    return rest;
}

/** sha256 of the inventory file the bundle must carry for `sites` (what packBootServer reports). */
export function bundledInventorySha256(sites: BootSiteInput[]): string {
    return crypto.createHash("sha256").update(inventoryFileText(sites)).digest("hex");
}

/** Throws unless the packed bundle carries exactly the inventory of `sites`. */
export function checkBundledInventory(source: BootServiceSource, sites: BootSiteInput[]): void {
    if (source.inventorySha256 === undefined) {
        throw new Error(
            `the boot service bundle ${source.path} carries no inventory: pack it with ` +
                "packBootServer(cacheDir, { inventory: inventoryFromSites(edgeSites) }) (infra/boot-server/pack.ts)",
        );
    }
    if (source.inventorySha256 !== bundledInventorySha256(sites)) {
        throw new Error(
            `the boot service bundle ${source.path} carries another inventory than the stack's edge sites: ` +
                "pack it from the same edgeSites the BootService gets (inventoryFromSites(cfg.edgeSites))",
        );
    }
}

/** Returns `value`, or throws naming it when it exceeds `max` bytes (a deploy would fail with an opaque API error). */
export function checkSize(what: string, value: string, max: number, fix: string): string {
    const bytes = Buffer.byteLength(value, "utf8");
    if (bytes > max) {
        throw new Error(`${what} is ${bytes} bytes, over the ${max}-byte limit; ${fix}`);
    }
    return value;
}
