/**
 * Turns the lab's raw output lines (dnsmasq log, boot-service JSON log, helper-service JSON
 * lines, VM serial console) into typed events, and formats the timeline. Pure functions: the
 * orchestrator feeds lines in as they arrive and stamps them with the arrival time.
 */

export type LabEvent =
    | { kind: "dhcp-ack"; ip: string; mac: string; hostname?: string }
    | { kind: "asset-request"; name: string; remote: string }
    | { kind: "asset-served"; name: string; status: number; bytes: number; remote: string }
    | { kind: "key-minted"; id: string; key: string; tags: string[] }
    | { kind: "services-ready"; assetsUrl: string; tailscaleApiUrl: string; httpsUrl: string }
    /** A request through the boot service's TLS front end (ns-services.ts): never a credential's value. */
    | { kind: "https-request"; remote: string; method: string; path: string; queryHasToken: boolean; auth: string; tls: string; cipher: string; status: number }
    /** A TLS handshake the client aborted (e.g. iPXE refusing our certificate). */
    | { kind: "tls-refused"; remote: string; reason: string }
    /** iPXE refusing the server's certificate ("Permission denied (https://ipxe.org/0216eb…)"). */
    | { kind: "serial-tls-refused"; text: string }
    /** The firmware or an iPXE loading an iPXE binary over TFTP ("NBP filename is snponly.efi", "tftp://…/undionly.kpxe... ok"). */
    | { kind: "serial-tftp-ipxe"; file: string }
    | { kind: "services-error"; message: string }
    | { kind: "serial-ipxe"; text: string }
    | { kind: "serial-kernel"; version: string }
    | { kind: "serial-cmdline"; configUrl?: string }
    /** The boot service's local-boot script, echoed by iPXE (infra/boot-server/src/ipxe.ts renderLocalBootScript). */
    | { kind: "serial-local-boot"; machine: string; site: string; enrollment: number }
    /** iPXE giving control back ("Could not boot image: Error 0x00000001 …" after `exit 1`, "No more network devices"). */
    | { kind: "serial-ipxe-exit"; text: string }
    /** SeaBIOS choosing or failing a boot device ("Booting from …", "Boot failed: …", "No bootable device."). */
    | { kind: "serial-firmware"; text: string }
    | { kind: "standin-url"; configUrl: string }
    | { kind: "standin-lease"; ip: string }
    | { kind: "standin-result"; ok: boolean; detail: string }
    | { kind: "standin-config-line"; text: string }
    | { kind: "standin-config-begin" }
    | { kind: "standin-config-end" };

const DHCPACK = /\bDHCPACK\(([^)]+)\)\s+(\d{1,3}(?:\.\d{1,3}){3})\s+([0-9a-f]{2}(?::[0-9a-f]{2}){5})(?:\s+(\S+))?/i;

/** A dnsmasq DHCPACK line ("dnsmasq-dhcp[9]: 1271 DHCPACK(br-lab) 10.77.0.10 52:54:00:00:02:01 lab-edge-01"). */
export function parseDnsmasqLine(line: string): LabEvent | undefined {
    const m = DHCPACK.exec(line);
    if (!m) return undefined;
    return { kind: "dhcp-ack", ip: m[2]!, mac: m[3]!.toLowerCase(), ...(m[4] ? { hostname: m[4] } : {}) };
}

function parseJson(line: string): Record<string, unknown> | undefined {
    const trimmed = line.trim();
    if (!trimmed.startsWith("{")) return undefined;
    try {
        const value: unknown = JSON.parse(trimmed);
        return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
        return undefined;
    }
}

const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));
const num = (v: unknown): number => (typeof v === "number" ? v : Number(v));

/** One JSON line of infra/lab/ns-services.ts. */
export function parseServicesLine(line: string): LabEvent | undefined {
    const j = parseJson(line);
    if (!j || j.source !== "ns-services") return undefined;
    switch (j.event) {
        case "ready":
            return { kind: "services-ready", assetsUrl: str(j.assetsUrl), tailscaleApiUrl: str(j.tailscaleApiUrl), httpsUrl: str(j.httpsUrl) };
        case "https-request":
            return {
                kind: "https-request",
                remote: str(j.remote),
                method: str(j.method),
                path: str(j.path),
                queryHasToken: j.queryHasToken === true,
                auth: str(j.auth),
                tls: str(j.tls),
                cipher: str(j.cipher),
                status: num(j.status),
            };
        case "tls-refused":
            return { kind: "tls-refused", remote: str(j.remote), reason: str(j.reason) };
        case "asset-request":
            return { kind: "asset-request", name: str(j.name), remote: str(j.remote) };
        case "asset-served":
            return { kind: "asset-served", name: str(j.name), status: num(j.status), bytes: num(j.bytes), remote: str(j.remote) };
        case "key-minted":
            return { kind: "key-minted", id: str(j.id), key: str(j.key), tags: Array.isArray(j.tags) ? j.tags.map(str) : [] };
        case "error":
            return { kind: "services-error", message: str(j.message) };
        default:
            return undefined;
    }
}

/** The `talos.config=` value in a kernel command line, if any. */
export function talosConfigArg(cmdline: string): string | undefined {
    const m = /(?:^|\s)talos\.config=(\S+)/.exec(cmdline);
    return m ? m[1] : undefined;
}

const STANDIN = /^STANDIN: (.*)$/;

/**
 * One line of a VM's serial console. `inConfig` says whether the line sits between the
 * stand-in's BEGIN/END CONFIG markers (then it is config text, verbatim).
 */
export function parseSerialLine(line: string, inConfig: boolean): LabEvent | undefined {
    // Escape sequences (SeaBIOS/iPXE colour and screen clears) are noise for matching.
    const clean = line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\x1bc/g, "");
    const standin = STANDIN.exec(clean);
    if (inConfig && !standin) return { kind: "standin-config-line", text: line };
    if (standin) {
        const body = standin[1]!;
        if (body === "----- BEGIN CONFIG -----") return { kind: "standin-config-begin" };
        if (body === "----- END CONFIG -----") return { kind: "standin-config-end" };
        if (body === "CONFIG_FETCH_OK") return { kind: "standin-result", ok: true, detail: body };
        if (body.startsWith("CONFIG_FETCH_FAILED")) return { kind: "standin-result", ok: false, detail: body };
        const url = /^talos\.config=(\S+)$/.exec(body);
        if (url) return { kind: "standin-url", configUrl: url[1]! };
        const lease = /^dhcp lease (\S+)/.exec(body);
        if (lease) return { kind: "standin-lease", ip: lease[1]! };
        return undefined;
    }
    const kernel = /Linux version (\S+)/.exec(clean);
    if (kernel) return { kind: "serial-kernel", version: kernel[1]! };
    const cmdline = /\bKernel command line: (.*)$/.exec(clean);
    if (cmdline) {
        const configUrl = talosConfigArg(cmdline[1]!);
        return { kind: "serial-cmdline", ...(configUrl ? { configUrl } : {}) };
    }
    // "iPXE 1.21.1+git… -- Open …", "iPXE 2.0.0 (g12798) -- Open …" (a build from git).
    const banner = /^iPXE (\S+)(?: \([^)]*\))? -- Open Source Network Boot Firmware/.exec(clean.trim());
    if (banner) return { kind: "serial-ipxe", text: `iPXE ${banner[1]} started` };
    if (/Operation not supported/.test(clean)) return { kind: "serial-ipxe", text: clean.trim() };
    // Only the error (the URL before it may carry credentials on some iPXE versions); iPXE wraps
    // at 80 columns, so the error code may continue on the next line.
    const denied = /(Permission denied \(https?:\/\/[^\s)]*\)?)/.exec(clean);
    if (denied) return { kind: "serial-tls-refused", text: denied[1]! };
    const nbp = /NBP filename is (\S+)/.exec(clean) ?? /tftp:\/\/[0-9.]+\/([A-Za-z0-9._-]+)\.\.\. ok/.exec(clean);
    if (nbp) return { kind: "serial-tftp-ipxe", file: nbp[1]! };
    // Only the start of the echo: SeaBIOS copies the 80-column text screen, so the rest may wrap.
    const local = /(?:^|\s)([a-z0-9-]+) at site ([a-z0-9-]+) already got its config, enrollment (\d+)\b/.exec(clean);
    if (local) return { kind: "serial-local-boot", machine: local[1]!, site: local[2]!, enrollment: Number(local[3]) };
    const ipxeExit = /(Could not boot image: .*?|No more network devices)\s*$/.exec(clean);
    if (ipxeExit) return { kind: "serial-ipxe-exit", text: ipxeExit[1]! };
    const firmware = /(No bootable device\.?|Boot failed: [^.\r]*|Booting from [^.\r]*)/.exec(clean);
    if (firmware) return { kind: "serial-firmware", text: firmware[1]!.trim() };
    return undefined;
}

/** Collects the config text printed between the stand-in's markers. */
export class StandinConfigCollector {
    private lines: string[] = [];
    private state: "before" | "inside" | "done" = "before";

    get inside(): boolean {
        return this.state === "inside";
    }

    feed(event: LabEvent): void {
        if (event.kind === "standin-config-begin") {
            this.state = "inside";
            this.lines = [];
        } else if (event.kind === "standin-config-end") {
            this.state = "done";
        } else if (event.kind === "standin-config-line" && this.state === "inside") {
            this.lines.push(event.text);
        }
    }

    /** The config text once the END marker was seen, else undefined. */
    text(): string | undefined {
        return this.state === "done" ? `${this.lines.join("\n").trimEnd()}\n` : undefined;
    }
}

/** "[  4.9s] text": seconds since the VM was started, right-aligned so the column lines up. */
export function formatTimelineLine(elapsedMs: number, text: string): string {
    const secs = (elapsedMs / 1000).toFixed(1);
    return `[${secs.padStart(5)}s] ${text}`;
}

/** Human size: 14.2 MB, 1.1 MB, 512 B. */
export function formatBytes(bytes: number): string {
    if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
    if (bytes >= 1_000) return `${(bytes / 1_000).toFixed(1)} kB`;
    return `${bytes} B`;
}
