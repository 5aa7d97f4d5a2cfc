/**
 * BOOT_MACHINE_IDENTITIES: SMBIOS UUIDs and serials the graph generated for the VMs it creates
 * (components/edgeVmIdentities.ts), merged into the inventory at start-up. A secret (Secret
 * Manager on Cloud Run): the serial is what keeps a VM's identity off the site's L2 (it travels
 * only inside HTTPS), so it is not in BOOT_SETTINGS, the bundled inventory or an error message.
 *
 * JSON `{"<machine>": {"uuid": "<uuid>", "serial": "<serial>"}}`; every machine must be in the
 * inventory, and an identifier the inventory already records must be the same value.
 */
import type { MachineIdentities } from "../../../../model/bootContract";
import { normaliseSerial, uuidCheck, serialCheck } from "../../../../model/identity";
import { isObj } from "../../../../model/readers";
import { BootSite, SettingsError } from "./types";

const V = "BOOT_MACHINE_IDENTITIES";

/** The inventory with each listed machine's UUID and serial filled in. Unset or blank: `sites` unchanged. */
export function withMachineIdentities(sites: BootSite[], text: string | undefined): BootSite[] {
    if (text === undefined || text.trim() === "") return sites;
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch {
        throw new SettingsError([`${V}: is not valid JSON (expected {"<machine>": {"uuid": ..., "serial": ...}}); the value is secret and not shown`]);
    }
    if (!isObj(parsed)) throw new SettingsError([`${V}: must be a JSON object {"<machine>": {"uuid": ..., "serial": ...}}`]);
    const ids = parsed as MachineIdentities;
    const problems: string[] = [];
    const known = new Set(sites.flatMap((s) => s.machines.map((m) => m.name)));
    for (const [name, id] of Object.entries(ids)) {
        const at = `${V}.${JSON.stringify(name).slice(1, -1)}`;
        if (!known.has(name)) problems.push(`${at}: the inventory has no machine of that name; the identities must come from the same stack as the inventory`);
        if (!isObj(id) || Object.keys(id).some((k) => k !== "uuid" && k !== "serial") || (id.uuid === undefined && id.serial === undefined)) {
            problems.push(`${at}: must be {"uuid"?: <SMBIOS UUID>, "serial"?: <SMBIOS serial>} with at least one of them`);
            continue;
        }
        if (id.uuid !== undefined && (typeof id.uuid !== "string" || uuidCheck(id.uuid) !== undefined)) problems.push(`${at}.uuid: is not a usable SMBIOS UUID (8-4-4-4-12 hex, not all zeros or all f)`);
        if (id.serial !== undefined && (typeof id.serial !== "string" || serialCheck(id.serial) !== undefined)) {
            problems.push(`${at}.serial: is not a usable SMBIOS serial (1-64 letters, digits, spaces and . _ / + - :); the value is secret and not shown`);
        }
    }
    if (problems.length > 0) throw new SettingsError(problems);

    const merged = sites.map((site) => ({
        ...site,
        machines: site.machines.map((m) => {
            const id = ids[m.name];
            if (id === undefined) return m;
            const uuid = id.uuid?.toLowerCase();
            const serial = id.serial === undefined ? undefined : normaliseSerial(id.serial);
            if (uuid !== undefined && m.uuid !== undefined && m.uuid !== uuid) problems.push(`${V}.${m.name}.uuid: differs from the inventory's UUID for ${m.name}; keep one`);
            if (serial !== undefined && m.serial !== undefined && m.serial !== serial) problems.push(`${V}.${m.name}.serial: differs from the inventory's serial for ${m.name}; keep one`);
            return { ...m, ...(uuid !== undefined ? { uuid } : {}), ...(serial !== undefined ? { serial } : {}) };
        }),
    }));
    // Lookups index by identifier, so each must still point at one machine.
    for (const field of ["uuid", "serial"] as const) {
        const owner = new Map<string, string>();
        for (const m of merged.flatMap((s) => s.machines)) {
            const value = m[field];
            if (value === undefined) continue;
            const other = owner.get(value);
            if (other !== undefined) problems.push(`${V}: ${m.name} and ${other} would share a ${field}; every machine needs its own`);
            owner.set(value, m.name);
        }
    }
    if (problems.length > 0) throw new SettingsError(problems);
    return merged;
}
