/**
 * The `pulumi config set --path` lines that add a pending machine to the stack config's
 * inventory, or re-enroll an inventory machine (raise its enrollment generation): pure
 * functions, so what the `machines` CLI prints is checked without a stack.
 *
 * Every value is quoted for a POSIX shell (single quotes; the identity allowlists exclude `'`),
 * and string values Pulumi would read as a number or boolean get `--type string`: in `--path`
 * mode `pulumi config set` stores `123` as a number and `true` as a boolean.
 */
import { formatIPv4, normaliseMac, parseIPv4, parseIPv4Cidr } from "../../model/net";
import type { Architecture } from "../../model/edgeMachine";

/** A site as the stack config has it, as far as placing a new machine needs. */
export interface StackSiteLayout {
    name: string;
    /** Its position in `edgeSites`. */
    index: number;
    machines: Array<{ name: string; mac: string; ip?: string; enrollment: number }>;
    /** DHCP range and server, and the bridge gateway: where a free static lease can come from. */
    dhcp?: { rangeStart: string; rangeEnd: string; serverAddress: string };
    gatewayCidr?: string;
}

/** What the operator decides (or the CLI proposes) for a new machine. */
export interface EnrollChoices {
    name: string;
    /** Static lease address; undefined = a placeholder the operator must fill in. */
    ip?: string;
    installDisk: string;
}

/** A pending machine as the admin API reports it. */
export interface PendingMachineFacts {
    site: string;
    mac: string;
    uuid?: string;
    serial?: string;
    talosArch?: Architecture;
}

/** Where a new machine goes: `edgeSites[siteIndex].machines[machineIndex]`. */
export interface Placement {
    siteIndex: number;
    machineIndex: number;
}

/** Shell-quotes `value` unless it is made only of characters no POSIX shell treats specially. */
export function shellQuote(value: string): string {
    if (/^[A-Za-z0-9_./:@%+=-]+$/.test(value)) return value;
    return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** `pulumi config set [--stack <name>] --path <path>`, without the value. */
function configSetCommand(path: string, stack: string | undefined): string {
    return `pulumi config set${stack ? ` --stack ${shellQuote(stack)}` : ""} --path ${shellQuote(path)}`;
}

/** One `pulumi config set --path` line; `stack` adds `--stack <name>`. */
export function configSetLine(path: string, value: string | number, stack?: string): string {
    const typed = typeof value === "string" && /^(-?[0-9]+(\.[0-9]+)?|true|false)$/i.test(value) ? " --type string" : "";
    return `${configSetCommand(path, stack)}${typed} ${shellQuote(String(value))}`;
}

/** A name for a new machine: `<site>-<last three MAC octets>`, cut to a DNS label, not one of `taken`. */
export function suggestName(site: string, mac: string, taken: ReadonlySet<string>): string {
    const tail = (normaliseMac(mac) ?? mac).split(":").slice(3).join("");
    const base = `${site.slice(0, 63 - tail.length - 1).replace(/-+$/, "")}-${tail}`;
    if (!taken.has(base)) return base;
    for (let n = 2; ; n++) {
        const candidate = `${base.slice(0, 63 - String(n).length - 1)}-${n}`;
        if (!taken.has(candidate)) return candidate;
    }
}

/**
 * The lowest address of the site's DHCP range that is no machine's static lease, not the DHCP
 * server and not the gateway; undefined when the layout does not say or the range is full.
 */
export function nextFreeIp(site: StackSiteLayout, alsoTaken: ReadonlySet<string> = new Set()): string | undefined {
    if (site.dhcp === undefined) return undefined;
    const start = parseIPv4(site.dhcp.rangeStart);
    const end = parseIPv4(site.dhcp.rangeEnd);
    if (start === undefined || end === undefined) return undefined;
    const taken = new Set<bigint>();
    for (const text of [...site.machines.map((m) => m.ip), site.dhcp.serverAddress, ...alsoTaken]) {
        const v = text === undefined ? undefined : parseIPv4(text);
        if (v !== undefined) taken.add(v);
    }
    const gateway = site.gatewayCidr === undefined ? undefined : parseIPv4Cidr(site.gatewayCidr)?.address;
    if (gateway !== undefined) taken.add(gateway);
    for (let a = start; a <= end; a++) {
        if (!taken.has(a)) return formatIPv4(a);
    }
    return undefined;
}

/** The lines that add `pending` at `placement`; `ip` undefined writes the placeholder `<ip>` (and the caller says so). */
export function enrollLines(pending: PendingMachineFacts, placement: Placement, choices: EnrollChoices, stack?: string): string[] {
    const at = (field: string) => `edgeSites[${placement.siteIndex}].machines[${placement.machineIndex}].${field}`;
    const lines = [
        configSetLine(at("name"), choices.name, stack),
        configSetLine(at("mac"), normaliseMac(pending.mac) ?? pending.mac, stack),
        choices.ip === undefined ? `${configSetCommand(at("ip"), stack)} <ip>` : configSetLine(at("ip"), choices.ip, stack),
    ];
    // Recorded identifiers must be reported on every boot: record exactly what the machine reported.
    if (pending.uuid !== undefined) lines.push(configSetLine(at("uuid"), pending.uuid, stack));
    if (pending.serial !== undefined) lines.push(configSetLine(at("serial"), pending.serial, stack));
    if (pending.talosArch !== undefined && pending.talosArch !== "amd64") lines.push(configSetLine(at("arch"), pending.talosArch, stack));
    lines.push(configSetLine(at("installDisk"), choices.installDisk, stack));
    return lines;
}

/** The one line that lets an enrolled machine fetch a config again: its enrollment generation plus one. */
export function reenrollLine(placement: Placement, currentEnrollment: number, stack?: string): string {
    return configSetLine(`edgeSites[${placement.siteIndex}].machines[${placement.machineIndex}].enrollment`, currentEnrollment + 1, stack);
}
