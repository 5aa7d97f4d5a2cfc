/**
 * BOOT_VM_IDENTITY_KEY: the stack's VM identity key (components/edgeVmIdentities.ts). Every
 * inventory machine marked `derivedIdentity` (a VM the stack creates) gets the SMBIOS UUID and
 * serial its config does not set from `deriveVmIdentity(key, name)` (model/vmIdentity.ts), the
 * same function that wrote the VM's libvirt domain, so the service requires exactly what the VM
 * reports.
 *
 * A secret (Secret Manager on Cloud Run): whoever holds it can compute every VM's serial, which
 * is what keeps a VM's identity off the site's L2 (it travels only inside HTTPS). Its value is
 * never shown in an error.
 */
import { BOOT_SECRET_ENV } from "../../../../model/bootContract";
import { deriveVmIdentity, vmIdentityKeyCheck } from "../../../../model/vmIdentity";
import { BootSite, SettingsError } from "./types";

const V = BOOT_SECRET_ENV.vmIdentityKey;
/** The variable that listed every VM's identity before the key replaced it. */
const RETIRED = "BOOT_MACHINE_IDENTITIES";

/** Names listed in a message: a few, then a count. */
function some(names: string[]): string {
    return names.length <= 5 ? names.join(", ") : `${names.slice(0, 5).join(", ")} and ${names.length - 5} more`;
}

/**
 * The inventory with the missing UUID and serial of each `derivedIdentity` machine filled in.
 * No such machine: `sites` unchanged (a key that is set is still checked). Throws SettingsError
 * when the key is needed but missing or unusable, or when a derived value would identify two
 * machines.
 */
export function withDerivedIdentities(sites: BootSite[], key: string | undefined): BootSite[] {
    const derived = sites.flatMap((s) => s.machines.filter((m) => m.derivedIdentity === true).map((m) => m.name));
    if (key !== undefined) {
        const problem = vmIdentityKeyCheck(key);
        if (problem !== undefined) throw new SettingsError([`${V}: ${problem}`]);
    }
    if (derived.length === 0) return sites;
    if (key === undefined) {
        throw new SettingsError([
            `${V}: is required: the inventory marks ${derived.length} machine(s) derivedIdentity (${some(derived)}), VMs whose SMBIOS ` +
                "UUID and serial the service derives from the stack's VM identity key; set it to that key (the stack's BootService " +
                "passes EdgeVmIdentities' key as a Secret Manager secret), or set uuid and serial for them in the inventory",
        ]);
    }
    const merged = sites.map((site) => ({
        ...site,
        machines: site.machines.map((m) => {
            if (m.derivedIdentity !== true) return m;
            const id = deriveVmIdentity(key, m.name);
            return { ...m, uuid: m.uuid ?? id.uuid, serial: m.serial ?? id.serial };
        }),
    }));
    // Lookups index by identifier, so each must still point at one machine.
    const problems: string[] = [];
    for (const field of ["uuid", "serial"] as const) {
        const owner = new Map<string, string>();
        for (const m of merged.flatMap((s) => s.machines)) {
            const value = m[field];
            if (value === undefined) continue;
            const other = owner.get(value);
            if (other !== undefined) {
                problems.push(`${V}: ${other} and ${m.name} would share a ${field} once derived; every machine needs its own (set ${field} of one of them in the stack config)`);
            }
            owner.set(value, m.name);
        }
    }
    if (problems.length > 0) throw new SettingsError(problems);
    return merged;
}

/**
 * Refuses the retired BOOT_MACHINE_IDENTITIES rather than ignoring it: a service started with
 * it would otherwise require none of the identities it lists.
 */
export function refuseRetiredIdentities(text: string | undefined): void {
    if (text === undefined || text.trim() === "") return;
    throw new SettingsError([
        `${RETIRED}: is no longer read: VM identities are derived from ${V} (the stack's VM identity key) for the machines the inventory ` +
            "marks derivedIdentity; unset it (and redeploy from the stack)",
    ]);
}
