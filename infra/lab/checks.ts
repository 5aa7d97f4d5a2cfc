/**
 * Checks on what the lab VM received: the served machine config must be valid multi-document
 * Talos YAML for that machine. Pure: takes the config text and expectations, returns results.
 */
import { parseAllDocuments } from "yaml";
import type { BootServiceEvent } from "./boot-service";
import type { LabEvent } from "./events";

export interface CheckResult {
    name: string;
    ok: boolean;
    detail: string;
}

export interface ConfigExpectations {
    hostname: string;
    site: string;
    /** Labels the node must carry (besides the zone label, which is always checked). */
    labels: Record<string, string>;
    installerImage: string;
    /** Keys the key backend minted during the run; the config must carry one of them. */
    mintedKeys: string[];
}

type Doc = Record<string, unknown>;

function isRecord(v: unknown): v is Doc {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function get(doc: unknown, ...path: string[]): unknown {
    let cur: unknown = doc;
    for (const key of path) {
        if (!isRecord(cur)) return undefined;
        cur = cur[key];
    }
    return cur;
}

/** Parses multi-document YAML; throws with the first parse error. */
export function parseTalosDocuments(text: string): Doc[] {
    const docs = parseAllDocuments(text);
    if (!Array.isArray(docs)) {
        throw new Error("config is empty");
    }
    const out: Doc[] = [];
    for (const [i, doc] of docs.entries()) {
        if (doc.errors.length > 0) {
            throw new Error(`YAML document ${i + 1}: ${doc.errors[0]!.message}`);
        }
        const value: unknown = doc.toJS();
        if (value === null || value === undefined) continue;
        if (!isRecord(value)) {
            throw new Error(`YAML document ${i + 1} is not a mapping`);
        }
        out.push(value);
    }
    return out;
}

/** The value of `NAME=` in an ExtensionServiceConfig environment list. */
function envValue(environment: unknown, name: string): string | undefined {
    if (!Array.isArray(environment)) return undefined;
    const entry = environment.find((e) => typeof e === "string" && e.startsWith(`${name}=`));
    return typeof entry === "string" ? entry.slice(name.length + 1) : undefined;
}

/** Everything the issue asks of the served config; one result per property. */
export function checkTalosConfig(text: string, expect: ConfigExpectations): CheckResult[] {
    const results: CheckResult[] = [];
    const add = (name: string, ok: boolean, detail: string): void => {
        results.push({ name, ok, detail });
    };
    let docs: Doc[];
    try {
        docs = parseTalosDocuments(text);
    } catch (err) {
        add("config is multi-document YAML", false, (err as Error).message);
        return results;
    }
    add("config is multi-document YAML", docs.length >= 2, `${docs.length} documents`);

    const main = docs.filter((d) => d.version === "v1alpha1" && isRecord(d.machine));
    add("one v1alpha1 machine document", main.length === 1, `${main.length} found`);
    const v1 = main[0];
    const type = get(v1, "machine", "type");
    add("machine type is worker", type === "worker", `machine.type = ${JSON.stringify(type)}`);

    const labels = get(v1, "machine", "nodeLabels");
    const wanted: Record<string, string> = { "topology.kubernetes.io/zone": expect.site, ...expect.labels };
    for (const [key, value] of Object.entries(wanted)) {
        const got = isRecord(labels) ? labels[key] : undefined;
        add(`label ${key}=${value}`, got === value, `machine.nodeLabels[${key}] = ${JSON.stringify(got)}`);
    }

    const image = get(v1, "machine", "install", "image");
    add("installer image", image === expect.installerImage, `machine.install.image = ${JSON.stringify(image)}`);

    const hostnameDocs = docs.filter((d) => d.kind === "HostnameConfig");
    const hostname = hostnameDocs[0]?.hostname;
    add(
        `HostnameConfig hostname ${expect.hostname}`,
        hostnameDocs.length === 1 && hostname === expect.hostname && hostnameDocs[0]?.auto === undefined,
        `${hostnameDocs.length} HostnameConfig document(s), hostname = ${JSON.stringify(hostname)}`,
    );

    const tailscale = docs.filter((d) => d.kind === "ExtensionServiceConfig" && d.name === "tailscale");
    add("tailscale ExtensionServiceConfig", tailscale.length === 1, `${tailscale.length} found`);
    const env = tailscale[0]?.environment;
    const authKey = envValue(env, "TS_AUTHKEY");
    add(
        "TS_AUTHKEY is a key the key API minted",
        authKey !== undefined && expect.mintedKeys.includes(authKey),
        authKey === undefined ? "TS_AUTHKEY missing" : `${expect.mintedKeys.length} key(s) minted during the run; ${expect.mintedKeys.includes(authKey) ? "match" : "no match"}`,
    );
    add("TS_AUTH_ONCE=true", envValue(env, "TS_AUTH_ONCE") === "true", `TS_AUTH_ONCE = ${JSON.stringify(envValue(env, "TS_AUTH_ONCE"))}`);
    add("TS_HOSTNAME", envValue(env, "TS_HOSTNAME") === expect.hostname, `TS_HOSTNAME = ${JSON.stringify(envValue(env, "TS_HOSTNAME"))}`);
    return results;
}

/** What the lab saw while the enrolled machine booted a second time. */
export interface LocalRebootObservation {
    /** Inventory name of the machine that booted again. */
    machine: string;
    /** Ticket of the first boot's config; the enrollment the service cites must be that one. */
    enrolledTicketRef: string | undefined;
    /** Events of the second boot (service audit events, serial console, asset server), in arrival order. */
    events: ReadonlyArray<LabEvent | BootServiceEvent>;
    /** Run-wide counts taken before the second boot started and after its VM was stopped. */
    before: RunCounts;
    after: RunCounts;
}

/** Run-wide counters the second boot must not move. */
export interface RunCounts {
    /** `ticket_issued` audit events. */
    ticketsIssued: number;
    /** Keys the fake Tailscale API minted. */
    keysMinted: number;
    /** `config_served` audit events. */
    configsServed: number;
}

/**
 * The re-boot of an enrolled machine (decision 0101): the machine script is the local-boot
 * script (`enrolled_local_boot`), iPXE runs it and hands control back to the firmware, and
 * nothing is issued: no ticket, no key, no config, no kernel download.
 */
export function checkLocalReboot(o: LocalRebootObservation): CheckResult[] {
    const results: CheckResult[] = [];
    const add = (name: string, ok: boolean, detail: string): void => {
        results.push({ name, ok, detail });
    };
    const audit = o.events.find((e): e is Extract<BootServiceEvent, { kind: "local-boot" }> => e.kind === "local-boot" && e.machine === o.machine);
    add(
        "re-boot: machine script is the local-boot script (audit event enrolled_local_boot)",
        audit !== undefined && o.enrolledTicketRef !== undefined && audit.enrolledTicketRef === o.enrolledTicketRef,
        audit === undefined
            ? `no enrolled_local_boot for ${o.machine}`
            : `enrollment ${audit.enrollment ?? "?"} by ticket ${audit.enrolledTicketRef ?? "-"}, first boot's ticket ${o.enrolledTicketRef ?? "-"}`,
    );

    const echoed = o.events.findIndex((e) => e.kind === "serial-local-boot" && e.machine === o.machine);
    const echo = o.events[echoed];
    add(
        "re-boot: iPXE ran the local-boot script (serial console)",
        echo?.kind === "serial-local-boot",
        echo?.kind === "serial-local-boot" ? `"${echo.machine} at site ${echo.site} already got its config, enrollment ${echo.enrollment}…"` : "no local-boot message on the console",
    );

    // Only what follows the script counts: SeaBIOS also says "Booting from ROM" before iPXE runs.
    const after = echoed >= 0 ? o.events.slice(echoed + 1) : [];
    const exits = after.filter((e): e is Extract<LabEvent, { kind: "serial-ipxe-exit" }> => e.kind === "serial-ipxe-exit");
    add(
        "re-boot: iPXE left the script and gave control back to the firmware",
        exits.length > 0,
        exits.length > 0 ? exits.map((e) => e.text).join("; ") : "no iPXE exit after the local-boot script",
    );
    const nextDevice = after.filter(
        (e): e is Extract<LabEvent, { kind: "serial-firmware" }> => e.kind === "serial-firmware" && !/^Boot failed/.test(e.text) && e.text !== "Booting from ROM",
    );
    add(
        "re-boot: the firmware went on to the next boot device",
        nextDevice.length > 0,
        nextDevice.length > 0 ? `SeaBIOS: ${nextDevice.map((e) => e.text).join(" → ")}` : "no SeaBIOS boot-device message after the local-boot script",
    );

    const tickets = o.events.filter((e) => e.kind === "ticket-issued").length;
    add(
        "re-boot: no ticket issued",
        tickets === 0 && o.after.ticketsIssued === o.before.ticketsIssued,
        `ticket_issued ${o.before.ticketsIssued} before, ${o.after.ticketsIssued} after`,
    );

    const leaked = o.events.filter((e) => e.kind === "config-served" || e.kind === "asset-served" || e.kind === "serial-kernel").map((e) => e.kind);
    add(
        "re-boot: no key minted, no config served, no kernel loaded",
        leaked.length === 0 && o.after.keysMinted === o.before.keysMinted && o.after.configsServed === o.before.configsServed,
        `keys minted ${o.before.keysMinted} before, ${o.after.keysMinted} after; config_served ${o.before.configsServed} → ${o.after.configsServed}` +
            (leaked.length > 0 ? `; seen: ${[...new Set(leaked)].join(", ")}` : ""),
    );
    return results;
}
