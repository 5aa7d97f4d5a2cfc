/**
 * Before anything runs: the preflight checks (root, packages, KVM or TCG, namespaces left by
 * a killed run), the boot assets (real Talos from Image Factory, or the stand-in), and the
 * network namespace with its bridge and tap devices.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { run } from "../process/processes";
import { BootAssets, buildStandinInitramfs, ensureStandinKernel, ensureTalosAssets } from "./assets";
import { OFFLINE_INSTALLER_IMAGE } from "./boot-service";
import { abortable, Context, LabFailure, REPO_ROOT } from "./context";
import { formatBytes } from "./events";
import { chooseAccel, LAB_GATEWAY, missingPackagesCommand, namespaceOwnerPid, namespaceSetupCommands } from "./plan";
import { deleteNamespace } from "./runtime";

/** Downloads kept between runs (kernel, Talos assets, the pinned iPXE package, the lab PKI). */
export const CACHE_DIR = path.join(REPO_ROOT, ".lab", "cache");

/** The boot assets plus what the boot service needs to know about them. */
export type LabAssets = BootAssets & { installerImage: string; kernelArgs: string[] };

export function preflight(ctx: Pick<Context, "opts" | "out">): "kvm" | "tcg" {
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

export async function prepareAssets(ctx: Context): Promise<LabAssets> {
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

export function setupNamespace(ctx: Context, taps: string[]): void {
    ctx.res.addNamespace(ctx.ns);
    for (const args of namespaceSetupCommands(ctx.ns, taps)) {
        run("ip", args);
    }
    ctx.out.say(`namespace ${ctx.ns}: bridge br-lab ${LAB_GATEWAY}/24 + fd77::1/64 (router advertisements), taps ${taps.join(", ")}; nothing on the host network`);
}
