/**
 * `npm run lab`: an offline rehearsal of an edge machine's network boot through the real
 * chain, on this machine only. See infra/lab/README.md and `npm run lab -- --help`.
 *
 * Everything runs in a private network namespace (10.77.0.0/24 on a bridge, plus the
 * namespace's own loopback): dnsmasq with the config rendered by infra/edge-host, the boot
 * service on its embedded store, a static asset server, the fake Tailscale API, and QEMU VMs
 * on tap devices. VM 1 boots twice: first to its config, then, enrolled, to the local-boot
 * script that hands it back to the firmware (decision 0101). Teardown (processes by PID and
 * process group, the namespace, the work dir) runs on success, failure, Ctrl-C, SIGTERM and
 * uncaught errors.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    BootAssets,
    buildStandinInitramfs,
    ensureStandinKernel,
    ensureTalosAssets,
} from "./assets";
import {
    bootServiceBaseUrl,
    BootServiceEvent,
    labBaseConfig,
    labBootEnv,
    labBootSettings,
    labSecrets,
    LAB_KEY_TAGS,
    LAB_MACHINE_LABELS,
    OFFLINE_INSTALLER_IMAGE,
    parseBootServiceLine,
    RequestAddresses,
} from "./boot-service";
import { createPgliteStore } from "../boot-server/src/store/pglite";
import { checkLocalReboot, checkTalosConfig, CheckResult, RunCounts } from "./checks";
import { LabOptions, parseLabArgs, USAGE } from "./cli";
import { labDnsmasqConfig } from "./dnsmasq";
import {
    formatBytes,
    formatTimelineLine,
    LabEvent,
    parseDnsmasqLine,
    parseSerialLine,
    parseServicesLine,
    StandinConfigCollector,
} from "./events";
import {
    ASSETS_PORT,
    chooseAccel,
    KNOWN_MACHINE,
    LAB_GATEWAY,
    LAB_SITE,
    missingPackagesCommand,
    namespaceName,
    namespaceOwnerPid,
    namespaceSetupCommands,
    qemuArgs,
    REBOOT_WATCH_SECONDS,
    UNKNOWN_VM,
    VmSpec,
} from "./plan";
import { deleteNamespace, ManagedProcess, Resources, run, sleep, waitFor } from "./runtime";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const CACHE_DIR = path.join(REPO_ROOT, ".lab", "cache");
const BOOT_SERVER_MAIN = path.join(REPO_ROOT, "infra", "boot-server", "src", "server.ts");
const NS_SERVICES_MAIN = path.join(__dirname, "ns-services.ts");
const TS_NODE = ["-r", "ts-node/register/transpile-only"];

class LabFailure extends Error {}

/** Console output: progress lines prefixed "lab:", timeline lines "[  4.9s] …". */
class Output {
    constructor(private readonly verbose: boolean) {}

    say(msg: string): void {
        process.stdout.write(`lab: ${msg}\n`);
    }

    raw(source: string, line: string): void {
        if (this.verbose) process.stdout.write(`      ${source}| ${line}\n`);
    }

    timeline(vmStart: number, text: string): void {
        process.stdout.write(`${formatTimelineLine(Date.now() - vmStart, text)}\n`);
    }
}

type Listener = (event: LabEvent | BootServiceEvent, at: number) => void;

/** Fans events from every log source out to whoever listens (the VM currently booting, the checks). */
class EventBus {
    private listeners: Listener[] = [];
    readonly history: Array<{ event: LabEvent | BootServiceEvent; at: number }> = [];

    emit(event: LabEvent | BootServiceEvent): void {
        const at = Date.now();
        this.history.push({ event, at });
        for (const l of [...this.listeners]) l(event, at);
    }

    on(listener: Listener): () => void {
        this.listeners.push(listener);
        return () => {
            this.listeners = this.listeners.filter((l) => l !== listener);
        };
    }
}

interface Context {
    opts: LabOptions;
    out: Output;
    res: Resources;
    bus: EventBus;
    signal: AbortSignal;
    ns: string;
    workDir: string;
}

/** Rejects when the run is aborted (Ctrl-C, --timeout, uncaught error), so no wait outlives it. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
        const onAbort = (): void => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        promise.then(
            (v) => {
                signal.removeEventListener("abort", onAbort);
                resolve(v);
            },
            (e) => {
                signal.removeEventListener("abort", onAbort);
                reject(e);
            },
        );
    });
}

// ---------------------------------------------------------------- preflight

function preflight(ctx: Pick<Context, "opts" | "out">): "kvm" | "tcg" {
    if (process.platform !== "linux") throw new LabFailure("the lab needs Linux (network namespaces, tap devices)");
    if (process.getuid?.() !== 0) {
        throw new LabFailure("run as root: the lab creates a network namespace, a bridge and tap devices (sudo npm run lab)");
    }
    const install = missingPackagesCommand((p) => fs.existsSync(p));
    if (install) throw new LabFailure(`missing packages; install them with: ${install}`);
    const owner = run("dpkg", ["-S", "/bin/busybox"], { allowFail: true }).stdout;
    if (!owner.startsWith("busybox-static:")) {
        throw new LabFailure("/bin/busybox must come from busybox-static (the initramfs has no libc): apt-get install -y busybox-static");
    }
    if (!fs.existsSync("/dev/net/tun")) throw new LabFailure("/dev/net/tun is missing (modprobe tun)");
    const cpuinfo = fs.readFileSync("/proc/cpuinfo", "utf8");
    const accel = ctx.opts.accel === "auto" ? chooseAccel(cpuinfo, fs.existsSync("/dev/kvm")) : ctx.opts.accel;
    const qemu = /version (\S+)/.exec(run("qemu-system-x86_64", ["--version"]).stdout)?.[1] ?? "?";
    const dnsmasq = /version (\S+)/.exec(run("dnsmasq", ["--version"]).stdout)?.[1] ?? "?";
    ctx.out.say(`preflight ok: root, QEMU ${qemu} (accel ${accel}${accel === "tcg" ? ": no usable KVM" : ""}), dnsmasq ${dnsmasq}, busybox-static, iPXE ROM`);

    // Namespaces left by a lab that was killed outright (SIGKILL): their owner PID is gone.
    for (const line of run("ip", ["netns", "list"], { allowFail: true }).stdout.split("\n")) {
        const ns = line.split(/\s/)[0] ?? "";
        const pid = namespaceOwnerPid(ns);
        if (pid === undefined || pid === process.pid) continue;
        let alive = true;
        try {
            process.kill(pid, 0);
        } catch {
            alive = false;
        }
        if (!alive) {
            deleteNamespace(ns);
            ctx.out.say(`removed namespace ${ns} and its processes, left by an earlier run (killed, or --keep)`);
        }
    }
    return accel;
}

// ---------------------------------------------------------------- assets

async function prepareAssets(ctx: Context): Promise<BootAssets & { installerImage: string; kernelArgs: string[] }> {
    const { opts, out } = ctx;
    if (opts.assets !== "standin") {
        try {
            out.say(`assets: asking Image Factory ${opts.factoryUrl} for Talos ${opts.talosVersion} (timeout 5 s)`);
            const talos = await abortable(
                ensureTalosAssets({
                    cacheDir: CACHE_DIR,
                    factoryUrl: opts.factoryUrl,
                    talosVersion: opts.talosVersion,
                    probeTimeoutMs: 5000,
                    downloadTimeoutMs: 90_000,
                    say: (m) => out.say(m),
                }),
                ctx.signal,
            );
            out.say(`assets: REAL Talos ${opts.talosVersion} kernel + initramfs (schematic ${talos.schematicId.slice(0, 12)}…, siderolabs/tailscale)`);
            return {
                kind: "talos",
                description: `Talos ${opts.talosVersion} from Image Factory`,
                kernelPath: talos.kernel,
                initramfsPath: talos.initramfs,
                kernelName: "kernel-amd64",
                initramfsName: "initramfs-amd64.xz",
                memoryMiB: 2048,
                installerImage: talos.installer,
                // The schematic's defaults; panic=-1 so a crash ends QEMU (-no-reboot) instead of hanging the run.
                kernelArgs: [...talos.kernelArgs, "panic=-1"],
            };
        } catch (err) {
            if (ctx.signal.aborted) throw err;
            const why = (err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
            if (opts.assets === "talos") throw new LabFailure(`--assets talos: Image Factory not usable (${why})`);
            out.say(`assets: Image Factory not reachable (${why}); using the stand-in`);
        }
    }
    const kernel = ensureStandinKernel(CACHE_DIR, (m) => out.say(m));
    const initramfs = buildStandinInitramfs({
        busybox: "/bin/busybox",
        moduleDir: kernel.moduleDir,
        workDir: ctx.workDir,
        output: path.join(ctx.workDir, "assets", "initramfs.cpio.gz"),
    });
    out.say(`assets: STAND-IN, not Talos: Debian kernel ${kernel.version} + busybox /init that fetches talos.config and prints it (${formatBytes(fs.statSync(initramfs).size)})`);
    return {
        kind: "standin",
        description: `stand-in (Debian kernel ${kernel.version} + busybox /init)`,
        kernelPath: kernel.vmlinuz,
        initramfsPath: initramfs,
        kernelName: "vmlinuz",
        initramfsName: "initramfs.cpio.gz",
        memoryMiB: 512,
        installerImage: OFFLINE_INSTALLER_IMAGE,
        kernelArgs: ["panic=-1"],
    };
}

// ---------------------------------------------------------------- namespace and services

function setupNamespace(ctx: Context, taps: string[]): void {
    ctx.res.addNamespace(ctx.ns);
    for (const args of namespaceSetupCommands(ctx.ns, taps)) {
        run("ip", args);
    }
    ctx.out.say(`namespace ${ctx.ns}: bridge br-lab ${LAB_GATEWAY}/24 + fd77::1/64 (router advertisements), taps ${taps.join(", ")}; nothing on the host network`);
}

function nodeInNamespace(ctx: Context, name: string, script: string, env: Record<string, string>, onLine: (line: string) => void): ManagedProcess {
    return ctx.res.start(name, "ip", ["netns", "exec", ctx.ns, process.execPath, ...TS_NODE, script], {
        cwd: REPO_ROOT,
        env: { ...process.env, ...env, TS_NODE_PROJECT: path.join(REPO_ROOT, "tsconfig.json") },
        logFile: path.join(ctx.workDir, `${name}.log`),
        onLine: (line) => {
            ctx.out.raw(name, line);
            onLine(line);
        },
    });
}

/** Waits for `ready` or fails with the process' exit, whichever comes first. */
async function waitReady<T>(ctx: Context, proc: ManagedProcess, what: string, ready: Promise<T>, timeoutMs: number): Promise<T> {
    const exited = proc.exited.then((code) => {
        throw new LabFailure(`${what} exited (${code}) before it was ready; see ${path.join(ctx.workDir, `${proc.name}.log`)}${ctx.opts.keep ? "" : " (run with --keep to keep it)"}`);
    });
    const timer = sleep(timeoutMs, ctx.signal).then(() => {
        throw new LabFailure(`${what} not ready after ${timeoutMs / 1000} s`);
    });
    return abortable(Promise.race([ready, exited, timer]), ctx.signal);
}

function nextEvent<K extends (LabEvent | BootServiceEvent)["kind"]>(
    bus: EventBus,
    kind: K,
): Promise<Extract<LabEvent | BootServiceEvent, { kind: K }>> {
    return new Promise((resolve) => {
        const off = bus.on((e) => {
            if (e.kind === kind) {
                off();
                resolve(e as Extract<LabEvent | BootServiceEvent, { kind: K }>);
            }
        });
    });
}

/** GET from inside the namespace (the lab process itself lives on the host network). */
async function nsHttpGet(ctx: Context, url: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
    const script =
        "fetch(process.argv[1],{signal:AbortSignal.timeout(8000)}).then(async r=>console.log(JSON.stringify({status:r.status,body:(await r.text()).slice(0,4000)})))" +
        ".catch(e=>console.log(JSON.stringify({status:0,body:String(e&&e.cause&&e.cause.code||e)})))";
    return abortable(
        new Promise((resolve, reject) => {
            const child = spawn("ip", ["netns", "exec", ctx.ns, process.execPath, "-e", script, url], { stdio: ["ignore", "pipe", "pipe"] });
            let stdout = "";
            child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
            const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
            child.on("exit", () => {
                clearTimeout(timer);
                try {
                    resolve(JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as { status: number; body: string });
                } catch {
                    reject(new Error(`probe of ${url} gave no answer`));
                }
            });
        }),
        ctx.signal,
    );
}

// ---------------------------------------------------------------- VMs

interface VmRecord {
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
        case "dhcp-ack":
            return `dhcp lease ${e.ip} → ${e.mac}${e.hostname ? ` (${e.hostname})` : ""}, ${vm.acks === 1 ? "iPXE" : "booted OS"}`;
        case "site-script":
            return `site script      GET /v1/sites/${e.site}/boot.ipxe (site token checked)`;
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
        case "serial-ipxe":
            return e.text === "iPXE started" ? "iPXE started     (Debian 12 iPXE ROM: HTTP only)" : `iPXE: ${e.text}`;
        default:
            return undefined;
    }
}

function startVm(ctx: Context, spec: VmSpec): VmRecord {
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
    ctx.out.say(`${spec.name}: QEMU ${spec.accel.toUpperCase()} ${spec.memoryMiB} MiB, MAC ${spec.mac}, SMBIOS UUID ${spec.uuid}, BIOS network boot (iPXE ROM); serial log ${serialLog}`);
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

function has(vm: VmRecord, kind: string): boolean {
    return vm.events.some((e) => e.event.kind === kind);
}

// ---------------------------------------------------------------- the run

interface Summary {
    text: string;
}

async function runLab(ctx: Context, accel: "kvm" | "tcg"): Promise<Summary> {
    const { out, res, bus } = ctx;
    const t0 = Date.now();
    const checks: CheckResult[] = [];
    const check = (name: string, ok: boolean, detail: string): void => {
        checks.push({ name, ok, detail });
    };

    fs.mkdirSync(path.join(ctx.workDir, "assets"), { recursive: true });
    const assets = await prepareAssets(ctx);
    const files: Record<string, string> = { [assets.kernelName]: assets.kernelPath, [assets.initramfsName]: assets.initramfsPath };

    const taps = ctx.opts.secondVm ? ["tap1", "tap2"] : ["tap1"];
    setupNamespace(ctx, taps);
    out.say(`plain HTTP inside the namespace: Debian 12's iPXE has no HTTPS. HTTPS is proven by the custom iPXE build (infra/ipxe), not by this lab`);

    // dnsmasq, with the edge site component's renderer.
    const secrets = labSecrets();
    const dnsmasq = labDnsmasqConfig({ workDir: ctx.workDir, siteToken: secrets.siteToken });
    const confFile = path.join(ctx.workDir, "dnsmasq.conf");
    fs.writeFileSync(confFile, dnsmasq.text, { mode: 0o600 });
    const syntax = run("dnsmasq", ["--test", `--conf-file=${confFile}`], { allowFail: true });
    if (syntax.status !== 0) throw new LabFailure(`dnsmasq rejects the rendered config: ${(syntax.stderr || syntax.stdout).trim()}`);
    let dnsmasqProc: ManagedProcess | undefined;
    const dnsmasqReady = new Promise<void>((resolve) => {
        dnsmasqProc = res.start("dnsmasq", "ip", ["netns", "exec", ctx.ns, "dnsmasq", ...dnsmasq.args, `--conf-file=${confFile}`], {
            logFile: path.join(ctx.workDir, "dnsmasq.log"),
            onLine: (line) => {
                ctx.out.raw("dnsmasq", line);
                if (/DHCP, sockets bound exclusively|DHCP, IP range/.test(line)) resolve();
                const e = parseDnsmasqLine(line);
                if (e) bus.emit(e);
            },
        });
    });
    await waitReady(ctx, dnsmasqProc!, "dnsmasq", dnsmasqReady, 10_000);
    out.say(`dnsmasq: PID ${dnsmasqProc!.pid}, config from ${dnsmasq.renderer} (syntax ok), static lease ${KNOWN_MACHINE.ip} for ${KNOWN_MACHINE.mac}, iPXE → ${bootServiceBaseUrl()}/v1/sites/${LAB_SITE}/boot.ipxe?token=…`);

    // Asset server + fake Tailscale API.
    const servicesReady = nextEvent(bus, "services-ready");
    const services = nodeInNamespace(
        ctx,
        "ns-services",
        NS_SERVICES_MAIN,
        {
            LAB_SERVICES: JSON.stringify({
                assetsHost: LAB_GATEWAY,
                assetsPort: ASSETS_PORT,
                files,
                oauthClientId: secrets.oauthClientId,
                oauthClientSecret: secrets.oauthClientSecret,
                clientTags: LAB_KEY_TAGS,
            }),
        },
        (line) => {
            const e = parseServicesLine(line);
            if (e) bus.emit(e);
        },
    );
    const ready = await waitReady(ctx, services, "asset server / fake Tailscale API", servicesReady, 30_000);
    out.say(`asset server ${ready.assetsUrl} and fake Tailscale API ${ready.tailscaleApiUrl} (namespace loopback): PID ${services.pid}`);

    // The boot service, its real entry point, on the embedded store.
    const caPem = makeLabCa(ctx.workDir);
    const baseConfigFile = path.join(ctx.workDir, "base-config.yaml");
    fs.writeFileSync(baseConfigFile, labBaseConfig(caPem), { mode: 0o600 });
    const settings = labBootSettings({
        assetsUrl: ready.assetsUrl,
        kernelName: assets.kernelName,
        initramfsName: assets.initramfsName,
        tailscaleApiUrl: ready.tailscaleApiUrl,
        installerImage: assets.installerImage,
        kernelArgs: assets.kernelArgs,
    });
    const dataDir = path.join(ctx.workDir, "store");
    const addresses = new RequestAddresses();
    const bootService = nodeInNamespace(ctx, "boot-service", BOOT_SERVER_MAIN, labBootEnv({ settings, secrets, baseConfigFile, dataDir }), (line) => {
        const e = parseBootServiceLine(line, addresses);
        if (e) bus.emit(e);
    });
    await waitReady(
        ctx,
        bootService,
        "boot service",
        waitFor(
            "the boot service's /healthz",
            async () => ((await nsHttpGet(ctx, `${bootServiceBaseUrl()}/healthz`, 3000).catch(() => ({ status: 0 }))).status === 200 ? true : undefined),
            { timeoutMs: 45_000, intervalMs: 300, signal: ctx.signal },
        ),
        50_000,
    );
    out.say(`boot service ${bootServiceBaseUrl()}: PID ${bootService.pid}, embedded PGlite store in ${dataDir}, inventory site "${LAB_SITE}" with ${KNOWN_MACHINE.name} (${KNOWN_MACHINE.mac}), key backend tailscale → fake API; /healthz ok`);
    out.say(`services up after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // VM 1: the inventory machine boots all the way to the config fetch.
    const vm1 = startVm(ctx, { name: "vm1", mac: KNOWN_MACHINE.mac, uuid: KNOWN_MACHINE.uuid, tap: "tap1", memoryMiB: assets.memoryMiB, accel });
    const vm1Done = (): boolean | undefined =>
        vm1.standinResult !== undefined || (assets.kind === "talos" && has(vm1, "config-served")) || vm1.exitCode !== undefined ? true : undefined;
    await waitFor("vm1 to fetch its config", vm1Done, { timeoutMs: 120_000, intervalMs: 100, signal: ctx.signal }).catch((err: Error) => {
        if (ctx.signal.aborted) throw err;
        throw new LabFailure(`vm1 did not finish: ${err.message}; last events: ${vm1.events.slice(-3).map((e) => e.event.kind).join(", ") || "none"}`);
    });
    const bootSeconds = ((Date.now() - vm1.start) / 1000).toFixed(1);
    if (assets.kind === "talos") {
        // Real Talos would go on to install; the lab stops at the config fetch.
        await sleep(500, ctx.signal);
    } else {
        await abortable(Promise.race([vm1.proc!.exited, sleep(5000)]), ctx.signal);
    }
    await res.stop(vm1.proc!);
    out.say(`vm1: ${vm1.exitCode !== undefined ? `QEMU exited (${vm1.exitCode})` : "stopped"} after ${bootSeconds} s`);

    // Chain checks for vm1.
    check("dhcp lease for the inventory MAC (static address)", vm1.events.some((e) => e.event.kind === "dhcp-ack" && e.event.ip === KNOWN_MACHINE.ip), `expected ${KNOWN_MACHINE.ip}`);
    check("site script served", has(vm1, "site-script"), "boot service audit event script_issued");
    check("machine script with a ticket for the known machine", vm1.events.some((e) => e.event.kind === "ticket-issued" && e.event.machine === KNOWN_MACHINE.name), "audit event ticket_issued");
    check("kernel and initramfs fetched from the asset server", [assets.kernelName, assets.initramfsName].every((n) => vm1.events.some((e) => e.event.kind === "asset-served" && e.event.name === n && e.event.status === 200)), "asset server log");
    const served = vm1.events.map((e) => e.event).find((e): e is Extract<BootServiceEvent, { kind: "config-served" }> => e.kind === "config-served");
    check("config served for the machine", served !== undefined, "audit event config_served");

    const minted = bus.history.filter((h) => h.event.kind === "key-minted").map((h) => h.event as Extract<LabEvent, { kind: "key-minted" }>);
    if (assets.kind === "standin") {
        check("stand-in fetched the talos.config URL", vm1.standinResult?.ok === true, vm1.standinResult?.detail ?? "no result marker on the serial console");
        const text = vm1.config.text();
        if (text === undefined) {
            check("config printed by the stand-in", false, "no BEGIN/END CONFIG block on the serial console");
        } else {
            fs.writeFileSync(path.join(ctx.workDir, "vm1-config.yaml"), text, { mode: 0o600 });
            // The serial console is the only way the stand-in's copy reaches the lab: prove it arrived intact.
            const printed = createHash("sha256").update(text).digest("hex");
            check(
                "config printed on the console is the one the service served (sha256)",
                served !== undefined && printed === served.configSha256,
                `printed ${printed.slice(0, 12)}, served ${served?.configSha256.slice(0, 12) ?? "-"}`,
            );
            checks.push(
                ...checkTalosConfig(text, {
                    hostname: KNOWN_MACHINE.name,
                    site: LAB_SITE,
                    labels: LAB_MACHINE_LABELS,
                    installerImage: assets.installerImage,
                    mintedKeys: minted.map((k) => k.key),
                }),
            );
        }
    } else {
        out.say("real Talos consumed the config; its content is checked by the boot-server tests, here only its delivery");
    }
    const mintedForVm1 = served ? minted.find((k) => k.id === served.keyId) : undefined;
    check("key minted by the fake Tailscale API (OAuth + create-key)", mintedForVm1 !== undefined && LAB_KEY_TAGS.every((t) => mintedForVm1.tags.includes(t)), mintedForVm1 ? `key ${mintedForVm1.id}, tags ${mintedForVm1.tags.join(",")}` : "no matching key-minted record");

    // Replay: the same ticket again, from inside the namespace.
    if (vm1.configUrl) {
        const replay = await nsHttpGet(ctx, vm1.configUrl);
        check("second fetch of the same ticket refused", replay.status >= 400 && replay.status < 500, `HTTP ${replay.status} ${replay.body.trim().slice(0, 80)}`);
        out.say(`replay: GET <same talos.config URL> → HTTP ${replay.status} ${replay.body.trim().slice(0, 80)}`);
    } else {
        check("second fetch of the same ticket refused", false, "the talos.config URL was not seen on the serial console");
    }

    // Re-boot: the same machine (MAC and SMBIOS UUID) network-boots again, as an installed node
    // whose firmware tries the network first does on every boot (decision 0101).
    const runCounts = (): RunCounts => ({
        ticketsIssued: bus.history.filter((h) => h.event.kind === "ticket-issued").length,
        keysMinted: bus.history.filter((h) => h.event.kind === "key-minted").length,
        configsServed: bus.history.filter((h) => h.event.kind === "config-served").length,
    });
    const before = runCounts();
    const again = startVm(ctx, { name: "vm1-reboot", mac: KNOWN_MACHINE.mac, uuid: KNOWN_MACHINE.uuid, tap: "tap1", memoryMiB: assets.memoryMiB, accel });
    // The lab VM has no disk: SeaBIOS tries the hard disk and floppy, then halts at "No bootable
    // device." (QEMU's default reboot-timeout), so the lab stops QEMU itself.
    const firmwareMovedOn = (): boolean => {
        const i = again.events.findIndex((e) => e.event.kind === "serial-local-boot");
        return i >= 0 && again.events.slice(i + 1).some((e) => e.event.kind === "serial-firmware" && e.event.text.startsWith("No bootable device"));
    };
    await waitFor("vm1 re-boot to leave iPXE", () => (firmwareMovedOn() || again.exitCode !== undefined ? true : undefined), {
        timeoutMs: REBOOT_WATCH_SECONDS * 1000,
        intervalMs: 100,
        signal: ctx.signal,
    }).catch((err: Error) => {
        if (ctx.signal.aborted) throw err;
    });
    const rebootSeconds = ((Date.now() - again.start) / 1000).toFixed(1);
    await res.stop(again.proc!);
    out.say(`vm1-reboot: ${firmwareMovedOn() ? "SeaBIOS found no bootable device (it has no disk)" : `no "No bootable device" within ${REBOOT_WATCH_SECONDS} s`}; stopped after ${rebootSeconds} s`);
    checks.push(
        ...checkLocalReboot({
            machine: KNOWN_MACHINE.name,
            enrolledTicketRef: served?.ticketRef,
            events: again.events.map((e) => e.event),
            before,
            after: runCounts(),
        }),
    );

    // VM 2: a MAC the inventory does not know.
    if (ctx.opts.secondVm) {
        const vm2 = startVm(ctx, { name: "vm2", mac: UNKNOWN_VM.mac, uuid: UNKNOWN_VM.uuid, tap: "tap2", memoryMiB: 256, accel });
        const windowMs = ctx.opts.unknownVmSeconds * 1000;
        // Two sightings show the wait-and-retry loop working; the window bounds the wait either way.
        await waitFor(
            "vm2 to ask twice",
            () => (vm2.events.filter((e) => e.event.kind === "unknown-machine").length >= 2 || vm2.exitCode !== undefined ? true : undefined),
            { timeoutMs: windowMs, intervalMs: 200, signal: ctx.signal },
        ).catch((err: Error) => {
            if (ctx.signal.aborted) throw err;
        });
        await res.stop(vm2.proc!);
        const sightings = vm2.events.filter((e) => e.event.kind === "unknown-machine");
        out.say(`vm2: stopped after ${((Date.now() - vm2.start) / 1000).toFixed(1)} s, ${sightings.length} wait-and-retry answer(s)`);
        check("unknown MAC got the wait-and-retry script", sightings.length >= 1, `${sightings.length} unknown_machine event(s)`);
        check("unknown MAC recorded as pending (service log)", sightings.some((e) => e.event.kind === "unknown-machine" && e.event.recorded), "unknown_machine.recorded");
        const leaked = vm2.events.filter((e) => ["ticket-issued", "config-served", "asset-served"].includes(e.event.kind));
        check("unknown MAC received no ticket, assets or config", leaked.length === 0, leaked.length === 0 ? "none" : leaked.map((e) => e.event.kind).join(", "));
    }

    // Stop the service so its embedded store is flushed, then read the store directly.
    await res.stop(bootService, 10_000);
    await checkStore(ctx, dataDir, check);

    // Report.
    let failed = 0;
    for (const c of checks) {
        if (!c.ok) failed += 1;
        out.say(`check ${c.ok ? "ok  " : "FAIL"} ${c.name}${c.detail ? ` (${c.detail})` : ""}`);
    }
    const kind = assets.kind === "talos" ? `real Talos ${ctx.opts.talosVersion}` : "stand-in kernel+busybox (not Talos)";
    if (failed > 0) {
        const first = checks.find((c) => !c.ok)!;
        throw new LabFailure(`${failed} of ${checks.length} checks failed, first: ${first.name} (${first.detail})`);
    }
    return {
        text: `${kind}: DHCP → iPXE → site script → machine script → kernel+initramfs → talos.config in ${bootSeconds} s; re-boot → local boot (no ticket, no key) in ${rebootSeconds} s; ${checks.length}/${checks.length} checks`,
    };
}

async function checkStore(ctx: Context, dataDir: string, check: (name: string, ok: boolean, detail: string) => void): Promise<void> {
    const store = await abortable(createPgliteStore({ dataDir }), ctx.signal);
    try {
        const pending = await store.listPending(LAB_SITE);
        const enrollments = await store.listEnrollments({ site: LAB_SITE });
        if (ctx.opts.secondVm) {
            const p = pending.find((m) => m.mac === UNKNOWN_VM.mac);
            check("store lists the unknown MAC as pending", p !== undefined, p ? `seen ${p.seenCount}×, uuid ${p.uuid ?? "-"}, ${p.arch}/${p.platform}` : `pending: ${pending.map((m) => m.mac).join(", ") || "none"}`);
        }
        check("store has no pending entry for the known MAC", !pending.some((m) => m.mac === KNOWN_MACHINE.mac), `${pending.length} pending`);
        check(
            "store records exactly one enrollment, for the known machine",
            enrollments.length === 1 && enrollments[0]!.machine === KNOWN_MACHINE.name,
            enrollments.map((e) => `${e.machine} key ${e.keyId}`).join(", ") || "none",
        );
    } finally {
        await store.close();
    }
}

/** A throwaway CA certificate for the lab worker config (openssl), or a placeholder when openssl is absent. */
function makeLabCa(workDir: string): string {
    const crt = path.join(workDir, "lab-ca.crt");
    const res = run(
        "openssl",
        ["req", "-x509", "-newkey", "ed25519", "-nodes", "-keyout", path.join(workDir, "lab-ca.key"), "-subj", "/O=talos-cloud-edge lab", "-days", "1", "-out", crt],
        { allowFail: true },
    );
    return res.status === 0 && fs.existsSync(crt) ? fs.readFileSync(crt, "utf8") : "-----BEGIN CERTIFICATE-----\nlab placeholder\n-----END CERTIFICATE-----\n";
}

/** Copies the run's logs (not assets, not the store) to .lab/last-failure/ before teardown removes the work dir. */
function keepFailureLogs(workDir: string): string | undefined {
    const dest = path.join(REPO_ROOT, ".lab", "last-failure");
    try {
        fs.rmSync(dest, { recursive: true, force: true });
        fs.mkdirSync(dest, { recursive: true });
        for (const f of fs.readdirSync(workDir)) {
            if (/\.(log|conf|yaml)$/.test(f)) fs.copyFileSync(path.join(workDir, f), path.join(dest, f));
        }
        return dest;
    } catch {
        return undefined;
    }
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
    let opts: LabOptions;
    try {
        opts = parseLabArgs(process.argv.slice(2));
    } catch (err) {
        process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
        process.stdout.write(`lab: FAIL ${(err as Error).message}\n`);
        return 1;
    }
    if (opts.help) {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    const t0 = Date.now();
    const out = new Output(opts.verbose);
    const res = new Resources((m) => out.say(m));
    const controller = new AbortController();
    const abort = (reason: string): void => {
        if (!controller.signal.aborted) controller.abort(new LabFailure(reason));
    };
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals): void => {
        signals += 1;
        if (signals > 1) {
            out.say(`second ${sig}: tearing down immediately`);
            void res.teardown().finally(() => process.exit(1));
            return;
        }
        out.say(`${sig} received: stopping`);
        abort(`interrupted by ${sig}`);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    process.on("SIGHUP", onSignal);
    process.on("uncaughtException", (err) => abort(`uncaught error: ${err.message}`));
    process.on("unhandledRejection", (err) => abort(`unhandled rejection: ${err instanceof Error ? err.message : String(err)}`));
    const deadline = setTimeout(() => abort(`--timeout ${opts.timeoutSeconds} s reached`), opts.timeoutSeconds * 1000);

    let verdict: string;
    let code: number;
    let workDir: string | undefined;
    try {
        const accel = preflight({ opts, out });
        workDir = fs.mkdtempSync(path.join(os.tmpdir(), "tcelab-"));
        fs.chmodSync(workDir, 0o755); // dnsmasq drops to its own user and reads the TFTP root
        res.addTempDir(workDir);
        const ctx: Context = { opts, out, res, bus: new EventBus(), signal: controller.signal, ns: namespaceName(process.pid), workDir };
        out.say(`work dir ${workDir}, namespace ${ctx.ns}, run timeout ${opts.timeoutSeconds} s`);
        const summary = await abortable(runLab(ctx, accel), controller.signal);
        verdict = `PASS ${summary.text}; total ${((Date.now() - t0) / 1000).toFixed(1)} s`;
        code = 0;
    } catch (err) {
        const reason = controller.signal.aborted ? (controller.signal.reason as Error).message : (err as Error).message;
        if (!(err instanceof LabFailure) && !controller.signal.aborted && (err as Error).stack) {
            process.stderr.write(`${(err as Error).stack}\n`);
        }
        verdict = `FAIL ${reason}`;
        code = 1;
        if (workDir && !opts.keep) {
            const kept = keepFailureLogs(workDir);
            if (kept) out.say(`logs of this failed run kept in ${kept}`);
        }
    } finally {
        clearTimeout(deadline);
        const before = Date.now();
        await res.teardown({ keepNamespace: opts.keep });
        if (!opts.keep) out.say(`teardown done in ${((Date.now() - before) / 1000).toFixed(1)} s (processes, namespace, work dir)`);
    }
    process.stdout.write(`lab: ${verdict}\n`);
    return code;
}

main().then(
    (code) => process.exit(code),
    (err: unknown) => {
        process.stdout.write(`lab: FAIL ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
    },
);
