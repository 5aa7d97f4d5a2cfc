/**
 * The two forms one set of generated machines takes, and what each parser says about them:
 *
 *  - stack form: the filled-in dev stack (test/fixtures/Pulumi.dev.filled.yaml) with its
 *    `edgeSites` replaced by one site per generated machine list (site-1 is the fixture's own
 *    site; site-2, site-3 copies on their own bridge and subnet), each machine given a valid,
 *    distinct static lease so no stack-only address rule fires;
 *  - service form: the same machines without `ip` and `vm` (a VM machine without a disk gets
 *    the VM's disk, and a VM without both uuid and serial is marked `derivedIdentity`, as the
 *    graph's `bootMachineOf` does) inside a valid BOOT_SETTINGS with boot assets for both
 *    architectures, sent through JSON as the real variable is.
 *
 * Problems are reduced to what can be compared: per machine, the key path of each problem
 * relative to the machine (stack-only `ip`/`vm` paths dropped) and, for rules both sides word
 * the same, the full text after the path.
 */
import { RawStackConfig, StackConfigError, parseStackConfig } from "../../stacks/config";
import type { StackConfig } from "../../components/model";
import { parseBootSettings, SettingsError, type BootSettings, type BootSettingsInput } from "../../infra/boot-server/src/settings";
import { VM_INSTALL_DISK } from "../../model/edgeMachine";
import { isObj } from "../../model/readers";
import { settingsInput } from "../boot-server/fixtures";
import { FILLED_DEV_STACK_FILE, loadStackFile } from "../stackFiles";

const NS = "talos-cloud-edge";
const EDGE_SITES = `${NS}:edgeSites`;

/** The fixture stack, loaded once. */
const BASE = loadStackFile(FILLED_DEV_STACK_FILE);
const BASE_SITE = (JSON.parse(BASE.values[EDGE_SITES]) as Array<Record<string, unknown>>)[0];

export const SITE_NAMES = ["site-1", "site-2", "site-3"];
/** Third octet of each site's /24 (the fixture's site is 10.0.20.0/24). */
const SITE_OCTET = [20, 21, 22];

/** Machine `j` of site `i`: outside the DHCP server's and gateway's addresses, unique per site. */
export function machineIp(i: number, j: number): string {
    return `10.0.${SITE_OCTET[i]}.${201 + j}`;
}

/** The stack's edgeSites value for the generated machine lists; `extras[i]` overrides site `i`'s other keys (e.g. storage). */
export function stackSites(machineLists: unknown[][], extras: Array<Record<string, unknown>> = []): Array<Record<string, unknown>> {
    return machineLists.map((machines, i) => {
        const site: Record<string, unknown> =
            i === 0
                ? { ...BASE_SITE }
                : {
                      ...BASE_SITE,
                      name: SITE_NAMES[i],
                      bridge: { name: `edge-s${i + 1}`, gatewayCidr: `10.0.${SITE_OCTET[i]}.1/24` },
                      dhcp: { serverAddress: `10.0.${SITE_OCTET[i]}.2`, rangeStart: `10.0.${SITE_OCTET[i]}.10`, rangeEnd: `10.0.${SITE_OCTET[i]}.200` },
                  };
        Object.assign(site, extras[i]);
        site.machines = machines.map((m, j) => (isObj(m) ? { ...m, ip: machineIp(i, j) } : m));
        return site;
    });
}

/** The raw stack config with the generated sites (machines with `ip`). */
export function stackRaw(machineLists: unknown[][], sites = stackSites(machineLists)): RawStackConfig {
    return { values: { ...BASE.values, [EDGE_SITES]: JSON.stringify(sites) }, secretKeys: BASE.secretKeys };
}

/** The service form of one raw machine: no `ip`, no `vm`; a VM's default disk written out, a VM's derived identity marked. */
export function serviceMachine(raw: unknown): unknown {
    if (!isObj(raw)) return raw;
    const { ip: _ip, vm, ...rest } = raw;
    if (vm !== undefined && rest.installDisk == null && rest.diskSelector == null) {
        rest.installDisk = VM_INSTALL_DISK;
    }
    // A key written with no value (null) is absent, as the readers take it.
    if (vm !== undefined && (rest.uuid == null || rest.serial == null)) {
        rest.derivedIdentity = true;
    }
    return rest;
}

/** BOOT_SETTINGS for the generated machine lists, as the JSON text the service reads. */
export function serviceSettingsJson(machineLists: unknown[][]): string {
    const input = settingsInput({ sites: machineLists.map((machines, i) => ({ name: SITE_NAMES[i], machines: machines.map(serviceMachine) as never })) });
    return JSON.stringify(input);
}

export interface Verdict<T> {
    /** The parsed value when accepted. */
    value?: T;
    /** Problem lines when refused (empty when accepted). */
    problems: string[];
}

export function parseStack(raw: RawStackConfig): Verdict<StackConfig> {
    try {
        return { value: parseStackConfig(raw), problems: [] };
    } catch (err) {
        if (err instanceof StackConfigError) return { problems: err.problems };
        throw err;
    }
}

export function parseService(json: string): Verdict<BootSettings> {
    try {
        return { value: parseBootSettings(JSON.parse(json) as BootSettingsInput), problems: [] };
    } catch (err) {
        if (err instanceof SettingsError) return { problems: err.problems };
        throw err;
    }
}

export const stackMachinePath = (i: number, j: number): string => `${EDGE_SITES}[${i}].machines[${j}]`;
export const serviceMachinePath = (i: number, j: number): string => `BOOT_SETTINGS.sites[${i}].machines[${j}]`;

/** Path segments as `child`/`item` in model/readers.ts write them: `.name`, `[3]`, `["a/b"]`. */
const SEGMENT = /^(?:\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\]|\["(?:[^"\\]|\\.)*"\])/;

/** The key path of `line` below `prefix` ("" for the machine itself), or undefined when it is not under it. */
export function relativePath(line: string, prefix: string): { path: string; text: string } | undefined {
    if (!line.startsWith(prefix)) return undefined;
    let rest = line.slice(prefix.length);
    let path = "";
    for (;;) {
        if (rest.startsWith(": ")) return { path, text: rest.slice(2) };
        const seg = SEGMENT.exec(rest);
        if (!seg) return undefined;
        path += seg[0];
        rest = rest.slice(seg[0].length);
    }
}

/**
 * Rules whose wording differs by design between the two sides: uniqueness (each side names the
 * other entry its own way), secret-looking keys (each side says where secrets belong) and
 * unknown keys (the stack form also knows `ip` and `vm`). Their paths are still compared.
 */
const SIDE_WORDED = /is already used by|is also .*'s (?:mac|uuid|serial)|is a duplicate machine name|looks like a secret|unknown key;/;

/** Problems of one machine in comparable form: sorted `path` and `path: text` lists. */
export interface MachineProblems {
    paths: string[];
    texts: string[];
}

/** Stack-only fields: the static lease and the VM. */
const STACK_ONLY = /^\.(?:ip|vm)(?:$|[.[])/;

/**
 * Splits problem lines into per-machine comparable problems, problems of stack-only machine
 * fields, and the rest (which the generators keep empty). `prefix(i, j)` is the side's machine path.
 */
export function byMachine(
    lines: string[],
    machineLists: unknown[][],
    prefix: (i: number, j: number) => string,
): { machines: MachineProblems[][]; stackOnly: string[]; other: string[] } {
    const machines = machineLists.map((ms) => ms.map((): MachineProblems => ({ paths: [], texts: [] })));
    const stackOnly: string[] = [];
    const other: string[] = [];
    for (const line of lines) {
        let placed = false;
        machineLists.forEach((ms, i) =>
            ms.forEach((_, j) => {
                const rel = placed ? undefined : relativePath(line, prefix(i, j));
                if (!rel) return;
                placed = true;
                if (STACK_ONLY.test(rel.path)) {
                    stackOnly.push(line);
                    return;
                }
                machines[i][j].paths.push(rel.path);
                if (!SIDE_WORDED.test(rel.text)) machines[i][j].texts.push(`${rel.path}: ${rel.text}`);
            }),
        );
        if (!placed) other.push(line);
    }
    for (const m of machines.flat()) {
        m.paths.sort();
        m.texts.sort();
    }
    return { machines, stackOnly, other };
}
