/**
 * `npm run lab`: an offline rehearsal of an edge machine's network boot through the real
 * chain, on this machine only. See infra/lab/README.md and `npm run lab -- --help`.
 *
 * Everything runs in a private network namespace (10.77.0.0/24 on a bridge, plus the
 * namespace's own loopback): dnsmasq with the config rendered by infra/edge-host, the boot
 * service on its embedded store behind a TLS front end, a static asset server, the fake Tailscale
 * API, and QEMU VMs on tap devices. A BIOS and a UEFI VM boot Debian 13's pinned iPXE over HTTPS
 * to their configs (decision 0009, the token as Basic credentials: 0008); the BIOS one boots
 * again, enrolled, to the local-boot script that hands it back to the firmware (decision 0101);
 * a VM whose DHCP pins another root must refuse the service. Teardown (processes by PID and
 * process group, the namespace, the work dir) runs on success, failure, Ctrl-C, SIGTERM and
 * uncaught errors.
 *
 * This file is the sequence; the steps live beside it: prepare.ts (preflight, boot assets,
 * namespace), services.ts (dnsmasq, asset server + fake Tailscale API, boot service), vm.ts (one
 * QEMU VM and its timeline), report.ts (checks and verdict), context.ts (what they share).
 * Processes and teardown come from infra/process.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { createPgliteStore } from "../boot-server/src/store/pglite";
import { sleep, waitFor } from "../process/processes";
import { BootServiceEvent, LAB_KEY_TAGS, LAB_MACHINE_LABELS } from "./boot-service";
import { checkLocalReboot, checkTalosConfig, CheckResult, RunCounts } from "./checks";
import { checkHttpsChain, checkWrongPin, HttpsRequestSeen, negotiated } from "./https-checks";
import { LabOptions, parseLabArgs, USAGE } from "./cli";
import { abortable, Context, EventBus, LabFailure, nsHttpGet, Output } from "./context";
import type { LabEvent } from "./events";
import {
    INVENTORY_MACHINES,
    KNOWN_MACHINE,
    LAB_SITE,
    LabMachine,
    namespaceName,
    OVMF_VARS_TEMPLATE,
    REBOOT_WATCH_SECONDS,
    UEFI_MACHINE,
    UNKNOWN_VM,
    VmSpec,
    WRONG_PIN_MACHINE,
    WRONG_PIN_WATCH_SECONDS,
} from "./plan";
import { LabAssets, prepareAssets, preflight, setupNamespace } from "./prepare";
import { keepFailureLogs, reportChecks } from "./report";
import { Resources } from "./runtime";
import { startServices } from "./services";
import { has, startVm, VmRecord } from "./vm";

type Check = (name: string, ok: boolean, detail: string) => void;

/** What one known machine's boot through the chain produced. */
interface ChainBoot {
    vm: VmRecord;
    seconds: string;
    served?: Extract<BootServiceEvent, { kind: "config-served" }>;
    requests: HttpsRequestSeen[];
}

/** The https-request events of a VM, as the HTTPS checks read them. */
function httpsRequestsOf(vm: VmRecord): HttpsRequestSeen[] {
    return vm.events.map((e) => e.event).filter((e): e is Extract<LabEvent, { kind: "https-request" }> => e.kind === "https-request");
}

/**
 * An inventory machine boots all the way to its config over HTTPS; then the chain, HTTPS and
 * served-config checks, prefixed with `label` (its firmware).
 */
async function bootToConfig(ctx: Context, spec: VmSpec, machine: LabMachine, label: string, assets: LabAssets, checks: CheckResult[]): Promise<ChainBoot> {
    const { res, bus } = ctx;
    const check: Check = (name, ok, detail) => checks.push({ name: `${label}: ${name}`, ok, detail });
    const vm = startVm(ctx, spec);
    const done = (): boolean | undefined =>
        vm.standinResult !== undefined || (assets.kind === "talos" && has(vm, "config-served")) || vm.exitCode !== undefined ? true : undefined;
    await waitFor(`${spec.name} to fetch its config`, done, { timeoutMs: 150_000, intervalMs: 100, signal: ctx.signal }).catch((err: Error) => {
        if (ctx.signal.aborted) throw err;
        throw new LabFailure(`${spec.name} did not finish: ${err.message}; last events: ${vm.events.slice(-3).map((e) => e.event.kind).join(", ") || "none"}`);
    });
    const seconds = ((Date.now() - vm.start) / 1000).toFixed(1);
    if (assets.kind === "talos") {
        // Real Talos would go on to install; the lab stops at the config fetch.
        await sleep(500, ctx.signal);
    } else {
        await abortable(Promise.race([vm.proc!.exited, sleep(5000)]), ctx.signal);
    }
    await res.stop(vm.proc!);
    ctx.out.say(`${spec.name}: ${vm.exitCode !== undefined ? `QEMU exited (${vm.exitCode})` : "stopped"} after ${seconds} s`);

    check("dhcp lease for the inventory MAC (static address)", vm.events.some((e) => e.event.kind === "dhcp-ack" && e.event.ip === machine.ip), `expected ${machine.ip}`);
    const tftp = vm.events.map((e) => e.event).filter((e): e is Extract<LabEvent, { kind: "serial-tftp-ipxe" }> => e.kind === "serial-tftp-ipxe");
    check("firmware loaded the site's iPXE over TFTP", tftp.length > 0, tftp.map((e) => e.file).join(", ") || "no TFTP load on the console");
    check("site script served", has(vm, "site-script"), "boot service audit event script_issued");
    check("machine script with a ticket for the machine", vm.events.some((e) => e.event.kind === "ticket-issued" && e.event.machine === machine.name), "audit event ticket_issued");
    check("kernel and initramfs fetched from the asset server", [assets.kernelName, assets.initramfsName].every((n) => vm.events.some((e) => e.event.kind === "asset-served" && e.event.name === n && e.event.status === 200)), "asset server log");
    const served = vm.events.map((e) => e.event).find((e): e is Extract<BootServiceEvent, { kind: "config-served" }> => e.kind === "config-served");
    check("config served for the machine", served !== undefined, "audit event config_served");
    const requests = httpsRequestsOf(vm);
    for (const c of checkHttpsChain(label, LAB_SITE, requests, vm.events.filter((e) => e.event.kind === "token-in-query").length)) checks.push(c);

    const minted = bus.history.filter((h) => h.event.kind === "key-minted").map((h) => h.event as Extract<LabEvent, { kind: "key-minted" }>);
    if (assets.kind === "standin") {
        check("stand-in fetched the talos.config URL", vm.standinResult?.ok === true, vm.standinResult?.detail ?? "no result marker on the serial console");
        const text = vm.config.text();
        if (text === undefined) {
            check("config printed by the stand-in", false, "no BEGIN/END CONFIG block on the serial console");
        } else {
            fs.writeFileSync(path.join(ctx.workDir, `${spec.name}-config.yaml`), text, { mode: 0o600 });
            // The serial console is the only way the stand-in's copy reaches the lab: prove it arrived intact.
            const printed = createHash("sha256").update(text).digest("hex");
            check(
                "config printed on the console is the one the service served (sha256)",
                served !== undefined && printed === served.configSha256,
                `printed ${printed.slice(0, 12)}, served ${served?.configSha256.slice(0, 12) ?? "-"}`,
            );
            for (const c of checkTalosConfig(text, { hostname: machine.name, site: LAB_SITE, labels: LAB_MACHINE_LABELS, installerImage: assets.installerImage, mintedKeys: minted.map((k) => k.key) })) {
                checks.push({ ...c, name: `${label}: ${c.name}` });
            }
        }
    }
    const mintedForVm = served ? minted.find((k) => k.id === served.keyId) : undefined;
    check("key minted by the fake Tailscale API (OAuth + create-key)", mintedForVm !== undefined && LAB_KEY_TAGS.every((t) => mintedForVm.tags.includes(t)), mintedForVm ? `key ${mintedForVm.id}, tags ${mintedForVm.tags.join(",")}` : "no matching key-minted record");
    return { vm, seconds, served, requests };
}

/**
 * Wrong pin: an inventory machine whose DHCP answers pin an unrelated root must refuse the
 * service's certificate, so no request of it reaches the service and nothing is issued to it.
 */
async function wrongPinVm(ctx: Context, accel: "kvm" | "tcg", checks: CheckResult[]): Promise<void> {
    const wrong = startVm(ctx, { name: "vm4-wrong-pin", mac: WRONG_PIN_MACHINE.mac, uuid: WRONG_PIN_MACHINE.uuid, tap: "tap4", memoryMiB: 256, accel, firmware: "bios" });
    await waitFor("vm4-wrong-pin to refuse the certificate", () => (has(wrong, "serial-tls-refused") && has(wrong, "tls-refused")) || wrong.exitCode !== undefined ? true : undefined, {
        timeoutMs: WRONG_PIN_WATCH_SECONDS * 1000,
        intervalMs: 100,
        signal: ctx.signal,
    }).catch((err: Error) => {
        if (ctx.signal.aborted) throw err;
    });
    // A moment for any request that would follow (there must be none).
    await sleep(1000, ctx.signal);
    await ctx.res.stop(wrong.proc!);
    ctx.out.say(`vm4-wrong-pin: stopped after ${((Date.now() - wrong.start) / 1000).toFixed(1)} s`);
    const wrongEvents = wrong.events.map((e) => e.event);
    checks.push(
        ...checkWrongPin(WRONG_PIN_MACHINE.name, {
            consoleRefusal: wrongEvents.find((e): e is Extract<LabEvent, { kind: "serial-tls-refused" }> => e.kind === "serial-tls-refused")?.text,
            handshakesAborted: wrongEvents.filter((e) => e.kind === "tls-refused").length,
            requests: wrongEvents.filter((e) => e.kind === "https-request").length,
            issued: [
                ...ctx.bus.history.map((h) => h.event).filter((e) => (e.kind === "site-script" && e.remote === WRONG_PIN_MACHINE.ip) || (["ticket-issued", "config-served", "local-boot", "unknown-machine"].includes(e.kind) && "mac" in e && e.mac.toLowerCase() === WRONG_PIN_MACHINE.mac)).map((e) => e.kind),
            ],
        }),
    );
}

/** The run, step by step: assets, namespace, services, the VMs, then the checks. */
async function runLab(ctx: Context, accel: "kvm" | "tcg"): Promise<{ text: string }> {
    const { out, res, bus } = ctx;
    const checks: CheckResult[] = [];
    const check: Check = (name, ok, detail) => {
        checks.push({ name, ok, detail });
    };

    fs.mkdirSync(path.join(ctx.workDir, "assets"), { recursive: true });
    const assets = await prepareAssets(ctx);
    const t0 = Date.now();

    const taps = ["tap1", "tap3", "tap4", ...(ctx.opts.secondVm ? ["tap2"] : [])];
    setupNamespace(ctx, taps);

    const { bootService, dataDir, pki, ipxe } = await startServices(ctx, assets);
    out.say(`services up after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // BIOS: SeaBIOS and the iPXE NIC ROM load the site's undionly.kpxe, which boots to the config.
    const bios = await bootToConfig(ctx, { name: "vm1", mac: KNOWN_MACHINE.mac, uuid: KNOWN_MACHINE.uuid, tap: "tap1", memoryMiB: assets.memoryMiB, accel, firmware: "bios" }, KNOWN_MACHINE, "BIOS", assets, checks);

    // Replay: the same ticket again, from inside the namespace, verifying the lab root as Talos would.
    if (bios.vm.configUrl) {
        const replay = await nsHttpGet(ctx, bios.vm.configUrl, 10_000, pki.rootFile);
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
    const again = startVm(ctx, { name: "vm1-reboot", mac: KNOWN_MACHINE.mac, uuid: KNOWN_MACHINE.uuid, tap: "tap1", memoryMiB: assets.memoryMiB, accel, firmware: "bios" });
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
    checks.push(...checkLocalReboot({ machine: KNOWN_MACHINE.name, enrolledTicketRef: bios.served?.ticketRef, events: again.events.map((e) => e.event), before, after: runCounts() }));

    // UEFI: OVMF's own PXE (no NIC ROM) loads the site's snponly.efi, which boots to the config.
    const vars = path.join(ctx.workDir, "vm3-uefi.OVMF_VARS.fd");
    fs.copyFileSync(OVMF_VARS_TEMPLATE, vars);
    const uefi = await bootToConfig(
        ctx,
        { name: "vm3-uefi", mac: UEFI_MACHINE.mac, uuid: UEFI_MACHINE.uuid, tap: "tap3", memoryMiB: Math.max(assets.memoryMiB, 512), accel, firmware: "uefi", ovmfVars: vars },
        UEFI_MACHINE,
        "UEFI",
        assets,
        checks,
    );

    // Wrong pin: an inventory machine whose DHCP answers pin an unrelated root. A custom build's
    // TRUST= list ignores the DHCP pin, so the scenario applies to the pinned Debian iPXE only.
    const wrongPinRun = ipxe.kind === "debian";
    if (wrongPinRun) await wrongPinVm(ctx, accel, checks);
    else out.say(`vm4-wrong-pin: skipped: the custom build's TRUST= list ignores the DHCP pin (decision 0009)`);

    // VM 2: a MAC the inventory does not know.
    if (ctx.opts.secondVm) {
        const vm2 = startVm(ctx, { name: "vm2", mac: UNKNOWN_VM.mac, uuid: UNKNOWN_VM.uuid, tap: "tap2", memoryMiB: 256, accel, firmware: "bios" });
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

    reportChecks(out, checks);
    const kind = assets.kind === "talos" ? `real Talos ${ctx.opts.talosVersion}` : "stand-in kernel+busybox (not Talos)";
    const tls = (b: ChainBoot) => negotiated(b.requests) ?? "TLS ?";
    return {
        text:
            `${kind}, HTTPS with a pinned root, token only as Basic credentials: ` +
            `BIOS (NIC ROM → ${ipxe.tftpNames.bios}) to talos.config in ${bios.seconds} s over ${tls(bios)}; ` +
            `UEFI (OVMF PXE → ${ipxe.tftpNames.efi}) in ${uefi.seconds} s over ${tls(uefi)}; ` +
            `${wrongPinRun ? "wrong pin refused" : "wrong pin skipped (custom build)"}; re-boot → local boot (no ticket, no key) in ${rebootSeconds} s; iPXE: ${ipxe.description}; ${checks.length}/${checks.length} checks`,
    };
}

async function checkStore(ctx: Context, dataDir: string, check: Check): Promise<void> {
    const store = await abortable(createPgliteStore({ dataDir }), ctx.signal);
    try {
        const pending = await store.listPending(LAB_SITE);
        const enrollments = await store.listEnrollments({ site: LAB_SITE });
        if (ctx.opts.secondVm) {
            const p = pending.find((m) => m.mac === UNKNOWN_VM.mac);
            check("store lists the unknown MAC as pending", p !== undefined, p ? `seen ${p.seenCount}×, uuid ${p.uuid ?? "-"}, ${p.arch}/${p.platform}` : `pending: ${pending.map((m) => m.mac).join(", ") || "none"}`);
        }
        check("store has no pending entry for an inventory MAC", !pending.some((m) => INVENTORY_MACHINES.some((i) => i.mac === m.mac)), `${pending.length} pending`);
        const enrolled = enrollments.map((e) => e.machine).sort();
        check(
            "store records one enrollment each for the BIOS and the UEFI machine, none for the wrong-pin one",
            enrolled.join(",") === [KNOWN_MACHINE.name, UEFI_MACHINE.name].sort().join(","),
            enrollments.map((e) => `${e.machine} key ${e.keyId}`).join(", ") || "none",
        );
    } finally {
        await store.close();
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
    // First signal: abort the run, whose `finally` tears down; a second one tears down at once.
    res.exitOnSignals((sig) => {
        out.say(`${sig} received: stopping`);
        abort(`interrupted by ${sig}`);
        return "handled";
    });
    process.on("uncaughtException", (err) => abort(`uncaught error: ${err.message}`));
    process.on("unhandledRejection", (err) => abort(`unhandled rejection: ${err instanceof Error ? err.message : String(err)}`));
    const deadline = setTimeout(() => abort(`--timeout ${opts.timeoutSeconds} s reached`), opts.timeoutSeconds * 1000);

    let verdict: string;
    let code: number;
    let workDir: string | undefined;
    try {
        const accel = preflight({ opts, out });
        workDir = res.makeTempDir("tcelab-", 0o755); // dnsmasq drops to its own user and reads the TFTP root
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
