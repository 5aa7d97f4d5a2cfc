/**
 * BOOT_INVENTORY_FILE: the inventory (`{"sites": [...]}`, BootSettingsInput.sites) read from a
 * file instead of BOOT_SETTINGS. The stack ships it inside the service's source bundle
 * (infra/boot-server/pack.ts), because Cloud Run caps one environment variable at 32 KiB and an
 * inventory of a few hundred machines is larger. The sites go through the same parser as
 * BOOT_SETTINGS.sites; problems name the file.
 */
import * as fs from "node:fs";
import { isObj } from "../../../../model/readers";
import { parseBootSettings } from "./parse";
import { BootSettings, SettingsError } from "./types";

const VARIABLE = "BOOT_INVENTORY_FILE";

/** BOOT_SETTINGS (`settings`, parsed JSON without `sites`) completed with the file's sites, validated. */
export function readInventoryFile(file: string, settings: unknown): BootSettings {
    const where = `${VARIABLE} ${JSON.stringify(file)}`;
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new SettingsError([`${where}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? "error"}); point ${VARIABLE} at the inventory JSON`]);
    }
    let inventory: unknown;
    try {
        inventory = JSON.parse(text);
    } catch (err) {
        throw new SettingsError([`${where}: is not valid JSON (${(err as Error).message})`]);
    }
    if (!isObj(inventory) || !Array.isArray(inventory.sites) || Object.keys(inventory).some((k) => k !== "sites")) {
        throw new SettingsError([`${where}: must be a JSON object {"sites": [...]} with nothing else in it (as infra/boot-server/pack.ts writes it)`]);
    }
    if (!isObj(settings)) return parseBootSettings(settings);
    if (settings.sites !== undefined) {
        throw new SettingsError([`BOOT_SETTINGS.sites: the inventory is also in ${where}; give it in one place (remove sites from BOOT_SETTINGS)`]);
    }
    try {
        return parseBootSettings({ ...settings, sites: inventory.sites });
    } catch (err) {
        if (!(err instanceof SettingsError)) throw err;
        throw new SettingsError(err.problems.map((p) => (p.startsWith("BOOT_SETTINGS.sites") ? `${where}: sites${p.slice("BOOT_SETTINGS.sites".length)}` : p)));
    }
}
