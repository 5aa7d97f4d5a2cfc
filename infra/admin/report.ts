/**
 * What the `machines` CLI prints: tables of pending and enrolled machines, one machine's record,
 * and the `pulumi config set --path` lines that enroll or re-enroll a machine. Pure functions
 * from the admin API's answers (and, with `--stack`, the stack config's layout) to text.
 */
import type { AwaitingView, EnrolledAnswer, MachineAnswer, PendingAnswer, PendingView, SiteSummary } from "../boot-server/src/admin/views";
import { enrollLines, nextFreeIp, reenrollLine, suggestName, type Placement, type StackSiteLayout } from "./enroll";

/** Operator choices for one new machine; undefined fields get the CLI's proposal. */
export interface EnrollOverrides {
    name?: string;
    ip?: string;
    installDisk?: string;
}

/** The install disk proposed when none is given (Talos erases it). */
export const DEFAULT_INSTALL_DISK = "/dev/sda";

/** A plain-text table: a header row and left-aligned columns two spaces apart. */
export function formatTable(header: string[], rows: string[][]): string {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const line = (cells: string[]) =>
        cells
            .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
            .join("  ")
            .trimEnd();
    return [line(header), ...rows.map(line)].join("\n");
}

const dash = (v: string | number | undefined): string => (v === undefined || v === "" ? "-" : String(v));
const when = (iso: string): string => iso.replace(/\.\d{3}Z$/, "Z");

/**
 * Where new machines go, allotted one after another: per site the next index, a fresh name and
 * a free address. From the stack config when given (what `pulumi config set` edits), else from
 * the service's inventory (then addresses are left to the operator).
 */
export class Placer {
    private readonly nextIndex = new Map<string, number>();
    private readonly names = new Set<string>();
    private readonly ips = new Set<string>();

    constructor(
        private readonly serviceSites: readonly SiteSummary[],
        private readonly stackSites?: readonly StackSiteLayout[],
    ) {
        for (const s of stackSites ?? []) {
            for (const m of s.machines) {
                this.names.add(m.name);
                if (m.ip) this.ips.add(m.ip);
            }
        }
    }

    /** Where the stack config already lists `mac`, if it does. */
    existing(mac: string): { site: StackSiteLayout; machineIndex: number; name: string; enrollment: number } | undefined {
        for (const site of this.stackSites ?? []) {
            const machineIndex = site.machines.findIndex((m) => m.mac === mac);
            if (machineIndex >= 0) return { site, machineIndex, name: site.machines[machineIndex].name, enrollment: site.machines[machineIndex].enrollment };
        }
        return undefined;
    }

    /** The next free place at `site`, or a sentence saying why there is none. */
    place(site: string, mac: string, overrides: EnrollOverrides): { placement: Placement; name: string; ip?: string; installDisk: string } | { problem: string } {
        const fromStack = this.stackSites?.find((s) => s.name === site);
        const fromService = this.serviceSites.find((s) => s.name === site);
        if (this.stackSites !== undefined && fromStack === undefined) return { problem: `site ${site} is not in the stack config's edgeSites` };
        if (fromStack === undefined && fromService === undefined) return { problem: `site ${site} is not in the service's inventory` };
        const siteIndex = fromStack?.index ?? fromService!.index;
        const machineIndex = this.nextIndex.get(site) ?? fromStack?.machines.length ?? fromService!.machineCount;
        this.nextIndex.set(site, machineIndex + 1);
        const name = overrides.name ?? suggestName(site, mac, this.names);
        this.names.add(name);
        const ip = overrides.ip ?? (fromStack ? nextFreeIp(fromStack, this.ips) : undefined);
        if (ip) this.ips.add(ip);
        return { placement: { siteIndex, machineIndex }, name, ...(ip ? { ip } : {}), installDisk: overrides.installDisk ?? DEFAULT_INSTALL_DISK };
    }
}

/** The block that enrolls one pending machine, or a note why it prints none. */
export function enrollBlock(p: PendingView, placer: Placer, overrides: EnrollOverrides, stack?: string): string {
    const listed = placer.existing(p.mac);
    if (listed) {
        return `# ${p.mac} is already in the stack config as ${listed.name} (edgeSites[${listed.site.index}].machines[${listed.machineIndex}]): run pulumi up to deploy it`;
    }
    const spot = placer.place(p.site, p.mac, overrides);
    if ("problem" in spot) return `# ${p.mac}: no lines: ${spot.problem}`;
    const at = `edgeSites[${spot.placement.siteIndex}].machines[${spot.placement.machineIndex}]`;
    const notes = [
        `# Enroll ${p.mac} at site ${p.site} as ${at}; then run pulumi up. The machine boots on its next try.`,
        `# ${spot.installDisk} is erased by the install${overrides.installDisk ? "" : " (--install-disk to choose another)"}.`,
    ];
    if (spot.ip === undefined) notes.push("# Replace <ip> with a free static lease address in the site subnet (or pass --ip).");
    return [...notes, ...enrollLines(p, spot.placement, { name: spot.name, ip: spot.ip, installDisk: spot.installDisk }, stack)].join("\n");
}

export function pendingReport(answer: PendingAnswer, placer: Placer, overrides: EnrollOverrides, stack?: string): string {
    if (answer.pending.length === 0) return "No pending machines: every machine that asked to boot is in the inventory.";
    const table = formatTable(
        ["SITE", "MAC", "UUID", "SERIAL", "ARCH", "SEEN", "FIRST SEEN", "LAST SEEN", "FROM"],
        answer.pending.map((p) => [p.site, p.mac, dash(p.uuid), dash(p.serial), `${p.arch}/${p.platform}`, String(p.seenCount), when(p.firstSeen), when(p.lastSeen), p.sourceIp]),
    );
    const blocks = answer.pending.map((p) => enrollBlock(p, placer, overrides, stack));
    const order =
        answer.pending.length > 1 ? "\n# The blocks below take consecutive positions: run them in order, or use `show <mac>` to enroll one machine." : "";
    return `${answer.pending.length} pending machine${answer.pending.length === 1 ? "" : "s"}:\n\n${table}\n${order}\n\n${blocks.join("\n\n")}`;
}

export function enrolledReport(answer: EnrolledAnswer): string {
    const parts: string[] = [];
    if (answer.enrolled.length === 0) {
        parts.push("No machine has been served a config yet.");
    } else {
        parts.push(
            `${answer.enrolled.length} enrolled machine${answer.enrolled.length === 1 ? "" : "s"}:\n\n` +
                formatTable(
                    ["SITE", "MACHINE", "MAC", "GENERATION", "STATE", "SERVED AT", "FROM", "KEY ID"],
                    answer.enrolled.map((e) => [
                        e.site,
                        e.machine,
                        e.mac,
                        e.inventory ? `${e.enrollment} of ${e.inventory.enrollment}` : String(e.enrollment),
                        e.current ? "enrolled" : e.inventory ? "re-enrolling" : "not in inventory",
                        when(e.servedAt),
                        e.sourceIp,
                        e.keyId,
                    ]),
                ),
        );
    }
    if (answer.awaiting.length > 0) {
        parts.push(
            `${answer.awaiting.length} inventory machine${answer.awaiting.length === 1 ? "" : "s"} awaiting a config:\n\n` +
                formatTable(
                    ["SITE", "MACHINE", "MAC", "GENERATION", "LAST ENROLLED", "POSITION"],
                    answer.awaiting.map((a: AwaitingView) => [
                        a.site,
                        a.machine,
                        a.mac,
                        String(a.enrollment),
                        dash(a.lastEnrolledGeneration),
                        `edgeSites[${a.position.siteIndex}].machines[${a.position.machineIndex}]`,
                    ]),
                ),
        );
    }
    return parts.join("\n\n");
}

/** The re-enroll line for an inventory machine: position and generation from the stack config when given. */
export function reenrollFor(answer: MachineAnswer, placer: Placer, stack?: string): { line: string; machine: string; next: number } | { problem: string } {
    const listed = placer.existing(answer.mac);
    if (listed) return { line: reenrollLine({ siteIndex: listed.site.index, machineIndex: listed.machineIndex }, listed.enrollment, stack), machine: listed.name, next: listed.enrollment + 1 };
    const inv = answer.inventory[0];
    if (inv === undefined) return { problem: `${answer.mac} is not in the inventory; enroll it first (see \`show ${answer.mac}\`)` };
    if (answer.inventory.length > 1) return { problem: `${answer.mac} is in the inventory of several sites (${answer.inventory.map((m) => m.site).join(", ")}); edit the stack config by hand` };
    return { line: reenrollLine(inv.position, inv.enrollment, stack), machine: inv.machine, next: inv.enrollment + 1 };
}

export function machineReport(answer: MachineAnswer, placer: Placer, overrides: EnrollOverrides, stack?: string): string {
    const parts: string[] = [`MAC ${answer.mac}`];
    for (const m of answer.inventory) {
        parts.push(
            formatTable(
                ["INVENTORY", ""],
                [
                    ["site", m.site],
                    ["machine", m.machine],
                    ["position", `edgeSites[${m.position.siteIndex}].machines[${m.position.machineIndex}]`],
                    ["uuid", dash(m.uuid)],
                    ["serial", dash(m.serial)],
                    ["arch", m.arch],
                    ["generation", String(m.enrollment)],
                    ["state", m.enrolledForCurrentGeneration ? "enrolled for this generation (network boots go to the disk)" : "awaiting a config for this generation"],
                ],
            ),
        );
    }
    for (const p of answer.pending) {
        parts.push(
            formatTable(
                ["PENDING", ""],
                [
                    ["site", p.site],
                    ["uuid", dash(p.uuid)],
                    ["serial", dash(p.serial)],
                    ["arch", `${p.arch}/${p.platform}`],
                    ["seen", `${p.seenCount} times, ${when(p.firstSeen)} .. ${when(p.lastSeen)}, from ${p.sourceIp}`],
                ],
            ),
        );
    }
    if (answer.enrollments.length > 0) {
        parts.push(
            formatTable(
                ["SERVED CONFIGS", "MACHINE", "GENERATION", "FROM", "KEY ID", "TICKET"],
                answer.enrollments.map((e) => [when(e.servedAt), `${e.site}/${e.machine}`, String(e.enrollment), e.sourceIp, e.keyId, e.ticketRef]),
            ),
        );
    }
    for (const p of answer.pending) parts.push(enrollBlock(p, placer, overrides, stack));
    if (answer.inventory.length > 0) {
        const r = reenrollFor(answer, placer, stack);
        parts.push(
            "problem" in r
                ? `# ${r.problem}`
                : `# To reinstall ${r.machine} (enrollment generation ${r.next}), run this, then pulumi up, then network-boot the machine:\n${r.line}`,
        );
    }
    return parts.join("\n\n");
}
