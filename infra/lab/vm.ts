/**
 * One lab VM: QEMU on a tap device inside the namespace, its serial console parsed into events,
 * the service-side events that concern it (by MAC, or by the address its lease gave it), and
 * the timeline lines printed for them as they arrive.
 */
import * as path from "node:path";
import type { ManagedProcess } from "../process/processes";
import type { BootServiceEvent } from "./boot-service";
import type { Context } from "./context";
import { formatBytes, LabEvent, parseSerialLine, StandinConfigCollector } from "./events";
import { qemuArgs, VmSpec } from "./plan";

export interface VmRecord {
    spec: VmSpec;
    start: number;
    ip?: string;
    acks: number;
    events: Array<{ event: LabEvent | BootServiceEvent; at: number }>;
    config: StandinConfigCollector;
    configUrl?: string;
    standinResult?: { ok: boolean; detail: string };
    proc?: ManagedProcess;
    exitCode?: number | string;
}

/** Whether a bus event concerns this VM (by MAC, or by the address its lease gave it). */
function concernsVm(vm: VmRecord, e: LabEvent | BootServiceEvent): boolean {
    switch (e.kind) {
        case "dhcp-ack":
        case "ticket-issued":
        case "unknown-machine":
        case "local-boot":
        case "config-served":
            return e.mac.toLowerCase() === vm.spec.mac;
        case "site-script":
        case "asset-request":
        case "asset-served":
        case "https-request":
        case "tls-refused":
        case "credentials-refused":
        case "token-in-query":
            return vm.ip !== undefined && e.remote === vm.ip;
        case "config-refused":
            return vm.ip !== undefined && e.remote === vm.ip;
        default:
            return false;
    }
}

/** A line of the timeline for an event, or undefined when the event is not shown. */
function describe(vm: VmRecord, e: LabEvent | BootServiceEvent): string | undefined {
    switch (e.kind) {
        case "dhcp-ack": {
            const who = [vm.spec.firmware === "uefi" ? "OVMF PXE" : "NIC ROM iPXE", "the site's iPXE", "booted OS"][Math.min(vm.acks, 3) - 1];
            return `dhcp lease ${e.ip} → ${e.mac}${e.hostname ? ` (${e.hostname})` : ""}, ${who}`;
        }
        case "site-script":
            return `site script      GET /v1/sites/${e.site}/boot.ipxe (site credentials checked)`;
        case "https-request":
            return e.status === 401
                ? `https            ${e.method} ${e.path} → 401 challenge (${e.tls}, ${e.cipher})`
                : `https            ${e.method} ${e.path} → ${e.status} (${e.tls}, ${e.cipher}${e.auth === "basic" ? ", Basic credentials" : ""}${e.queryHasToken ? ", TOKEN IN QUERY" : ""})`;
        case "tls-refused":
            return `TLS              handshake aborted by the client (${e.reason}): no request reached the service`;
        case "serial-tls-refused":
            return `iPXE             refused the certificate: ${e.text}`;
        case "serial-tftp-ipxe":
            return `TFTP             ${e.file}`;
        case "credentials-refused":
            return e.reason === "missing" ? undefined : `credentials      refused (${e.reason})`;
        case "token-in-query":
            return "credentials      TOKEN IN THE QUERY STRING (deprecated form)";
        case "ticket-issued":
            return `machine script   known machine ${e.machine} (${e.arch ?? "?"}/${e.platform ?? "?"}), ticket ${e.ticketRef} issued`;
        case "local-boot":
            return `machine script   enrolled machine ${e.machine} (enrollment ${e.enrollment ?? "?"}, config by ticket ${e.enrolledTicketRef ?? "?"}) → local boot (no ticket)`;
        case "serial-local-boot":
            return `iPXE             local-boot script: "${e.machine} at site ${e.site} already got its config, enrollment ${e.enrollment}: …"`;
        case "serial-ipxe-exit":
            return `iPXE exited      ${e.text}${e.text.startsWith("No more") ? " → back to SeaBIOS" : ""}`;
        case "serial-firmware":
            // SeaBIOS names a boot device before iPXE runs too; only what follows the local-boot script
            // matters, and its "Boot failed: could not read the boot disk" after each absent device is noise.
            return has(vm, "serial-local-boot") && !e.text.startsWith("Boot failed") ? `firmware         SeaBIOS: ${e.text}` : undefined;
        case "unknown-machine":
            return `machine script   unknown MAC ${e.mac} → ${e.recorded ? "recorded as pending" : "NOT recorded"} (seen ${e.seenCount ?? "?"}×), wait-and-retry script`;
        case "asset-served":
            return `${e.name.startsWith("init") ? "initramfs" : "kernel   "}        ${e.name} ${formatBytes(e.bytes)} (HTTP ${e.status})`;
        case "serial-kernel":
            return `kernel running   Linux ${e.version}`;
        case "config-served":
            return `config fetched   ticket ${e.ticketRef} consumed, tailscale key ${e.keyId} minted via the fake API`;
        case "config-refused":
            return `config refused   ${e.event}`;
        case "standin-result":
            return `stand-in         ${e.ok ? "config received and printed" : e.detail}; powering off`;
        case "serial-ipxe": {
            const started = /^iPXE (\S+) started$/.exec(e.text);
            if (!started) return `iPXE: ${e.text}`;
            return `iPXE started     ${started[1]}${started[1]!.startsWith("1.0.0") ? " (NIC ROM, no HTTPS: loads the site's iPXE)" : ""}`;
        }
        default:
            return undefined;
    }
}

export function startVm(ctx: Context, spec: VmSpec): VmRecord {
    const vm: VmRecord = { spec, start: Date.now(), acks: 0, events: [], config: new StandinConfigCollector() };
    // Service-side events arrive on the bus; this VM's serial events come from its own console below.
    const off = ctx.bus.on((e, at) => {
        if (!concernsVm(vm, e)) return;
        if (e.kind === "dhcp-ack") {
            vm.acks += 1;
            vm.ip = e.ip;
        }
        vm.events.push({ event: e, at });
        const text = describe(vm, e);
        if (text) ctx.out.timeline(vm.start, text);
    });
    const serialLog = path.join(ctx.workDir, `${spec.name}.serial.log`);
    const how = spec.firmware === "uefi" ? "UEFI network boot (OVMF PXE, no NIC ROM)" : "BIOS network boot (SeaBIOS, iPXE NIC ROM)";
    ctx.out.say(`${spec.name}: QEMU ${spec.accel.toUpperCase()} ${spec.memoryMiB} MiB, MAC ${spec.mac}, SMBIOS UUID ${spec.uuid}, ${how}; serial log ${serialLog}`);
    vm.start = Date.now();
    ctx.out.timeline(vm.start, `${spec.name} powered on`);
    vm.proc = ctx.res.start(spec.name, "ip", ["netns", "exec", ctx.ns, "qemu-system-x86_64", ...qemuArgs(spec)], {
        logFile: serialLog,
        onLine: (line) => {
            ctx.out.raw(spec.name, line);
            const e = parseSerialLine(line, vm.config.inside);
            if (!e) return;
            vm.config.feed(e);
            if (e.kind === "standin-config-line") return;
            const at = Date.now();
            vm.events.push({ event: e, at });
            if (e.kind === "standin-url") vm.configUrl = e.configUrl;
            if (e.kind === "serial-cmdline" && e.configUrl) vm.configUrl = e.configUrl;
            if (e.kind === "standin-result") vm.standinResult = { ok: e.ok, detail: e.detail };
            const text = describe(vm, e);
            if (text) ctx.out.timeline(vm.start, text);
        },
    });
    void vm.proc.exited.then((code) => {
        vm.exitCode = code;
        off();
    });
    return vm;
}

export function has(vm: VmRecord, kind: string): boolean {
    return vm.events.some((e) => e.event.kind === kind);
}
