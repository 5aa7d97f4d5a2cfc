/**
 * Inventory lookup: which configured machine a boot request describes. Identifiers that point at
 * two machines, contradict what the inventory says about the matched machine, or leave out one
 * it records, are refused rather than guessed at.
 *
 * MAC and UUID are seen on the site's L2 (Ethernet frames; DHCP option 97 carries the SMBIOS
 * UUID in clear), so they only select. The serial travels only inside HTTPS: a machine whose
 * inventory entry records a serial the L2 never sees (the stack derives each VM's from a secret key)
 * cannot be impersonated by someone who only holds the site token and watches the wire.
 *
 * Matching rules:
 *  - a machine is a candidate when its MAC, its UUID (if the inventory has one) or its serial
 *    (if the inventory has one) equals the request's;
 *  - more than one candidate -> conflict;
 *  - every identifier the inventory records for the candidate (UUID, serial) must be in the
 *    request and equal (placeholder UUIDs and vendor placeholder serials count as absent, so
 *    they are refused too);
 *  - a different MAC is fine when UUID or serial matched: the machine may boot from another NIC.
 */
import type { BootMachine, BootSite } from "./settings";
import { normaliseMac, normaliseSerial, normaliseUuid } from "./formats";

/** What a request says about the machine, already format-checked by the route schema. */
export interface MachineIdentity {
    /** Lower-case colon form. */
    mac: string;
    /** Lower case; undefined when absent or a placeholder. */
    uuid?: string;
    /** Trimmed; undefined when absent or a placeholder. */
    serial?: string;
}

export type LookupResult =
    | { kind: "known"; machine: BootMachine; matchedBy: Array<"mac" | "uuid" | "serial"> }
    | { kind: "unknown" }
    | { kind: "conflict"; reason: string; machines: string[] };

/** Normalises request identifiers (format already validated); MAC must be valid. */
export function identityFromRequest(mac: string, uuid?: string, serial?: string): MachineIdentity {
    const normalMac = normaliseMac(mac);
    if (normalMac === undefined) throw new Error("identityFromRequest: MAC not validated");
    return {
        mac: normalMac,
        uuid: uuid ? normaliseUuid(uuid) : undefined,
        serial: serial ? normaliseSerial(serial.trim()) : undefined,
    };
}

interface SiteIndex {
    byMac: Map<string, BootMachine>;
    byUuid: Map<string, BootMachine>;
    bySerial: Map<string, BootMachine>;
}

/**
 * Site inventories indexed for lookup: one map per identifier (settings guarantee each MAC,
 * UUID and serial is unique within a site), built once per settings load, so a lookup costs
 * three map reads whatever the inventory's size.
 */
export class Inventory {
    private readonly sites = new Map<string, SiteIndex>();

    constructor(sites: readonly BootSite[]) {
        for (const site of sites) {
            const index: SiteIndex = { byMac: new Map(), byUuid: new Map(), bySerial: new Map() };
            for (const m of site.machines) {
                index.byMac.set(m.mac, m);
                if (m.uuid !== undefined) index.byUuid.set(m.uuid, m);
                if (m.serial !== undefined) index.bySerial.set(m.serial, m);
            }
            this.sites.set(site.name, index);
        }
    }

    hasSite(site: string): boolean {
        return this.sites.has(site);
    }

    lookup(site: string, id: MachineIdentity): LookupResult {
        const s = this.sites.get(site);
        if (!s) return { kind: "unknown" };
        const candidates = new Map<string, { machine: BootMachine; matchedBy: Array<"mac" | "uuid" | "serial"> }>();
        const note = (m: BootMachine | undefined, by: "mac" | "uuid" | "serial"): void => {
            if (m === undefined) return;
            const entry = candidates.get(m.name) ?? { machine: m, matchedBy: [] };
            entry.matchedBy.push(by);
            candidates.set(m.name, entry);
        };
        note(s.byMac.get(id.mac), "mac");
        if (id.uuid !== undefined) note(s.byUuid.get(id.uuid), "uuid");
        if (id.serial !== undefined) note(s.bySerial.get(id.serial), "serial");
        if (candidates.size === 0) return { kind: "unknown" };
        if (candidates.size > 1) {
            return {
                kind: "conflict",
                reason: "identifiers match more than one inventory machine",
                machines: [...candidates.keys()].sort(),
            };
        }
        const [{ machine, matchedBy }] = [...candidates.values()];
        const contradiction = missingOrDifferent("UUID", machine.uuid, id.uuid) ?? missingOrDifferent("serial", machine.serial, id.serial);
        if (contradiction !== undefined) return { kind: "conflict", reason: contradiction, machines: [machine.name] };
        return { kind: "known", machine, matchedBy };
    }
}

/** Why a presented identifier fails the one the inventory records, or undefined when it matches (or none is recorded). */
function missingOrDifferent(what: "UUID" | "serial", recorded: string | undefined, presented: string | undefined): string | undefined {
    if (recorded === undefined) return undefined;
    if (presented === undefined) return `${what} missing from the request; the inventory records one`;
    return presented === recorded ? undefined : `${what} differs from the inventory`;
}
