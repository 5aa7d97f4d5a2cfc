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
import { LabOptions, parseLabArgs, USAGE } from "./cli";
import { abortable, Context, EventBus, LabFailure, nsHttpGet, Output } from "./context";
import type { LabEvent } from "./events";
import { KNOWN_MACHINE, LAB_SITE, namespaceName, REBOOT_WATCH_SECONDS, UNKNOWN_VM } from "./plan";
import { prepareAssets, preflight, setupNamespace } from "./prepare";
import { keepFailureLogs, reportChecks } from "./report";
import { Resources } from "./runtime";
import { startServices } from "./services";
import { has, startVm } from "./vm";

/** The run, step by step: assets, namespace, services, the VMs, then the checks. */
async function runLab(ctx: Context, accel: "kvm" | "tcg"): Promise<{ text: string }> {
    const { out, res, bus } = ctx;
    const t0 = Date.now();
    const checks: CheckResult[] = [];
    const check = (name: string, ok: boolean, detail: string): void => {
        checks.push({ name, ok, detail });
    };

    fs.mkdirSync(path.join(ctx.workDir, "assets"), { recursive: true });
    const assets = await prepareAssets(ctx);

    const taps = ctx.opts.secondVm ? ["tap1", "tap2"] : ["tap1"];
    setupNamespace(ctx, taps);
    out.say(`plain HTTP inside the namespace: Debian 12's iPXE has no HTTPS. HTTPS is proven by the custom iPXE build (infra/ipxe), not by this lab`);

    const { bootService, dataDir } = await startServices(ctx, assets);
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

    reportChecks(out, checks);
    const kind = assets.kind === "talos" ? `real Talos ${ctx.opts.talosVersion}` : "stand-in kernel+busybox (not Talos)";
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
