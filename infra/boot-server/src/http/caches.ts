/**
 * Per-instance caches the handlers share. Each holds only what cannot go stale for this
 * instance's settings, so none needs invalidation.
 */
import { BaseConfig, MachineConfigInput, PreparedMachineConfig, prepareMachineConfig } from "../machine-config";
import type { BootMachine } from "../settings";

/** Rendered site scripts kept per instance (origin x site); more are rendered per request. */
export const SITE_SCRIPT_CACHE_ENTRIES = 256;

/** A machine's enrollment for its current generation, with the local-boot answer it gets. */
export interface Enrolled {
    enrollment: number;
    enrolledAt: string;
    ticketRef: string;
    /** Rendered on first use. */
    script?: string;
}

/**
 * Machines known to be enrolled for their current generation (site/name -> that enrollment).
 * Only positive answers are kept, and they never go stale: enrollment records are never
 * deleted and the generation is fixed for this instance's settings. So an enrolled machine's
 * network boot needs no store round trip (and still works while the store is down); every
 * other answer comes from the store, which several instances share.
 */
export class EnrolledMachines {
    private readonly bySiteAndName = new Map<string, Enrolled>();

    get(site: string, machine: string): Enrolled | undefined {
        return this.bySiteAndName.get(`${site}/${machine}`);
    }

    /** Records an enrollment and returns the record (its `script` still to be rendered). */
    remember(site: string, machine: string, enrollment: number, enrolledAt: string, ticketRef: string): Enrolled {
        const record = { enrollment, enrolledAt, ticketRef };
        this.bySiteAndName.set(`${site}/${machine}`, record);
        return record;
    }
}

/**
 * Site scripts by origin and site. The origin comes from the Host header when publicUrl is
 * unset, so the cache is capped: past the cap, scripts are rendered per request.
 */
export class SiteScripts {
    private readonly byOriginAndSite = new Map<string, string>();

    constructor(private readonly maxEntries: number = SITE_SCRIPT_CACHE_ENTRIES) {}

    /** The cached script for `base` and `site`, else `render()`'s, cached while there is room. */
    get(base: string, site: string, render: () => string): string {
        const key = `${base} ${site}`;
        let script = this.byOriginAndSite.get(key);
        if (script === undefined) {
            script = render();
            if (this.byOriginAndSite.size < this.maxEntries) this.byOriginAndSite.set(key, script);
        }
        return script;
    }
}

/** What every machine's config shares beyond the base config (derived from settings once). */
export type SharedConfigInputs = Pick<MachineConfigInput, "installerImage" | "validSubnets" | "tailscaleExtraArgs">;

/** Per machine (by name): its config with everything but the per-boot key rendered, made on first use. */
export class PreparedConfigs {
    private readonly byMachine = new Map<string, PreparedMachineConfig>();

    constructor(
        private readonly baseConfig: BaseConfig,
        private readonly shared: SharedConfigInputs,
    ) {}

    for(site: string, machine: BootMachine): PreparedMachineConfig {
        let prepared = this.byMachine.get(machine.name);
        if (prepared === undefined) {
            prepared = prepareMachineConfig(this.baseConfig, { site, machine, ...this.shared });
            this.byMachine.set(machine.name, prepared);
        }
        return prepared;
    }
}
