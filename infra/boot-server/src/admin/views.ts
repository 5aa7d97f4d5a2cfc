/**
 * What the admin API answers, as JSON-ready views built from the inventory (settings) and the
 * store's records: machines waiting to be added (pending), machines that got a config
 * (enrolled) or are still to get one for their current generation (awaiting), and everything
 * known about one MAC. Pure functions: the route handlers (http/admin-*.ts) only fetch and send.
 *
 * Every inventory machine carries its `position`: its place in the stack config
 * (`edgeSites[site].machines[machine]`), which is the inventory's order (model/bootContract.ts
 * `inventoryFromSites`). The `machines` CLI turns positions into `pulumi config set --path` lines.
 */
import type { Architecture, BootMachine, BootSite } from "../settings";
import type { EnrollmentRecord, PendingMachine } from "../store/types";
import { talosArchFor, type IpxeArch } from "../formats";

/** Where an inventory machine sits in the stack config: `edgeSites[siteIndex].machines[machineIndex]`. */
export interface InventoryPosition {
    siteIndex: number;
    machineIndex: number;
}

/** One site of the inventory, in order; `machineCount` is where the next machine goes. */
export interface SiteSummary {
    name: string;
    index: number;
    machineCount: number;
}

export interface PendingView {
    site: string;
    mac: string;
    uuid?: string;
    serial?: string;
    /** iPXE's build arch and platform as reported. */
    arch: string;
    platform: string;
    /** The Talos architecture that iPXE arch boots (what the inventory entry needs). */
    talosArch?: Architecture;
    sourceIp: string;
    firstSeen: string;
    lastSeen: string;
    seenCount: number;
}

/** An inventory machine as the admin API shows it. */
export interface InventoryMachineView {
    site: string;
    machine: string;
    position: InventoryPosition;
    mac: string;
    uuid?: string;
    serial?: string;
    arch: Architecture;
    /** The inventory's enrollment generation. */
    enrollment: number;
}

/** One served config. */
export interface EnrollmentView {
    site: string;
    machine: string;
    mac: string;
    uuid?: string;
    serial?: string;
    /** The generation the config was served for. */
    enrollment: number;
    servedAt: string;
    sourceIp: string;
    keyBackend: string;
    keyId: string;
    keyExpiresAt: string;
    ticketRef: string;
    configSha256: string;
}

/** A machine's latest served config, next to what the inventory says now. */
export interface EnrolledView extends EnrollmentView {
    /** The inventory's entry now; absent when the machine left the inventory. */
    inventory?: InventoryMachineView;
    /** True when that config was served for the inventory's current generation. */
    current: boolean;
}

/** An inventory machine with no config served for its current generation. */
export interface AwaitingView extends InventoryMachineView {
    /** The newest generation a config was served for, if any (a re-enrollment in progress). */
    lastEnrolledGeneration?: number;
}

export interface PendingAnswer {
    sites: SiteSummary[];
    pending: PendingView[];
}

export interface EnrolledAnswer {
    sites: SiteSummary[];
    enrolled: EnrolledView[];
    awaiting: AwaitingView[];
}

export interface MachineAnswer {
    mac: string;
    sites: SiteSummary[];
    inventory: Array<InventoryMachineView & { enrolledForCurrentGeneration: boolean }>;
    pending: PendingView[];
    enrollments: EnrollmentView[];
}

export function siteSummaries(sites: readonly BootSite[]): SiteSummary[] {
    return sites.map((s, index) => ({ name: s.name, index, machineCount: s.machines.length }));
}

/** Every inventory machine with its position, in inventory order. */
export function inventoryMachines(sites: readonly BootSite[]): InventoryMachineView[] {
    return sites.flatMap((s, siteIndex) => s.machines.map((m, machineIndex) => inventoryView(s.name, m, { siteIndex, machineIndex })));
}

function inventoryView(site: string, m: BootMachine, position: InventoryPosition): InventoryMachineView {
    return { site, machine: m.name, position, mac: m.mac, ...optional("uuid", m.uuid), ...optional("serial", m.serial), arch: m.arch, enrollment: m.enrollment };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
    return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

export function pendingView(p: PendingMachine): PendingView {
    const arch = p.arch as IpxeArch;
    const known = arch === "x86_64" || arch === "i386" || arch === "arm64";
    return {
        site: p.site,
        mac: p.mac,
        ...optional("uuid", p.uuid),
        ...optional("serial", p.serial),
        arch: p.arch,
        platform: p.platform,
        ...(known ? { talosArch: talosArchFor(arch) } : {}),
        sourceIp: p.sourceIp,
        firstSeen: p.firstSeen.toISOString(),
        lastSeen: p.lastSeen.toISOString(),
        seenCount: p.seenCount,
    };
}

export function enrollmentView(e: EnrollmentRecord): EnrollmentView {
    return {
        site: e.site,
        machine: e.machine,
        mac: e.mac,
        ...optional("uuid", e.uuid),
        ...optional("serial", e.serial),
        enrollment: e.enrollment,
        servedAt: e.servedAt.toISOString(),
        sourceIp: e.sourceIp,
        keyBackend: e.keyBackend,
        keyId: e.keyId,
        keyExpiresAt: e.keyExpiresAt,
        ticketRef: e.ticketRef,
        configSha256: e.configSha256,
    };
}

/** Pending machines, oldest first (the store's order), optionally of one site. */
export function pendingAnswer(sites: readonly BootSite[], pending: readonly PendingMachine[], site?: string): PendingAnswer {
    return { sites: siteSummaries(sites), pending: pending.filter((p) => site === undefined || p.site === site).map(pendingView) };
}

/**
 * Per machine (site/name) its latest served config, newest generation and time winning; plus the
 * inventory machines with none for their current generation. Records are oldest first.
 */
export function enrolledAnswer(sites: readonly BootSite[], records: readonly EnrollmentRecord[], site?: string): EnrolledAnswer {
    const inventory = new Map(inventoryMachines(sites).map((m) => [`${m.site}/${m.machine}`, m]));
    const latest = new Map<string, EnrollmentRecord>();
    for (const r of records) {
        if (site !== undefined && r.site !== site) continue;
        const key = `${r.site}/${r.machine}`;
        const prev = latest.get(key);
        if (prev === undefined || r.enrollment > prev.enrollment || (r.enrollment === prev.enrollment && r.servedAt >= prev.servedAt)) latest.set(key, r);
    }
    const enrolled: EnrolledView[] = [...latest.entries()].map(([key, r]) => {
        const now = inventory.get(key);
        return { ...enrollmentView(r), ...(now ? { inventory: now } : {}), current: now !== undefined && now.enrollment === r.enrollment };
    });
    enrolled.sort((a, b) => a.site.localeCompare(b.site) || a.machine.localeCompare(b.machine));
    const awaiting: AwaitingView[] = [...inventory.entries()]
        .filter(([, m]) => site === undefined || m.site === site)
        .filter(([key, m]) => latest.get(key)?.enrollment !== m.enrollment)
        .map(([key, m]) => {
            const last = latest.get(key);
            return last === undefined ? m : { ...m, lastEnrolledGeneration: last.enrollment };
        });
    return { sites: siteSummaries(sites), enrolled, awaiting };
}

/**
 * Everything known about one MAC (lower-case colon form): the inventory machines with it, its
 * pending records, and every config served to it or to those machines. Undefined when nothing is.
 */
export function machineAnswer(
    sites: readonly BootSite[],
    mac: string,
    pending: readonly PendingMachine[],
    records: readonly EnrollmentRecord[],
): MachineAnswer | undefined {
    const inInventory = inventoryMachines(sites).filter((m) => m.mac === mac);
    const names = new Set(inInventory.map((m) => `${m.site}/${m.machine}`));
    const served = records.filter((r) => r.mac === mac || names.has(`${r.site}/${r.machine}`));
    const waiting = pending.filter((p) => p.mac === mac);
    if (inInventory.length === 0 && waiting.length === 0 && served.length === 0) return undefined;
    return {
        mac,
        sites: siteSummaries(sites),
        inventory: inInventory.map((m) => ({
            ...m,
            enrolledForCurrentGeneration: served.some((r) => r.site === m.site && r.machine === m.machine && r.enrollment === m.enrollment),
        })),
        pending: waiting.map(pendingView),
        enrollments: served.map(enrollmentView),
    };
}
