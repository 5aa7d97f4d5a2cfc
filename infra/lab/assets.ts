/**
 * Boot assets for the lab VM: the real Talos kernel + initramfs from Image Factory when it
 * is reachable, otherwise a stand-in (the stock Debian cloud kernel, fetched with
 * `apt-get download` and unpacked with `dpkg-deb`, never installed, plus a busybox
 * initramfs whose /init imitates Talos' config download).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { run } from "../process/processes";

/** Loaded in this order by the stand-in /init: the cloud kernel builds virtio networking as modules. */
export const STANDIN_MODULES: ReadonlyArray<{ name: string; path: string }> = [
    { name: "virtio_ring", path: "drivers/virtio/virtio_ring.ko" },
    { name: "virtio", path: "drivers/virtio/virtio.ko" },
    { name: "virtio_pci_modern_dev", path: "drivers/virtio/virtio_pci_modern_dev.ko" },
    { name: "virtio_pci_legacy_dev", path: "drivers/virtio/virtio_pci_legacy_dev.ko" },
    { name: "virtio_pci", path: "drivers/virtio/virtio_pci.ko" },
    { name: "failover", path: "net/core/failover.ko" },
    { name: "net_failover", path: "drivers/net/net_failover.ko" },
    { name: "virtio_net", path: "drivers/net/virtio_net.ko" },
];

/** The Debian meta package that always depends on the current cloud kernel image package. */
export const DEBIAN_CLOUD_KERNEL_META = "linux-image-cloud-amd64";

/** Files of the stand-in initramfs that live in the repository. */
export const STANDIN_SOURCE_DIR = path.join(__dirname, "standin");

export type AssetKind = "talos" | "standin";

export interface BootAssets {
    kind: AssetKind;
    /** Human description for the output ("Talos v1.12.4 (schematic 1234abcd…) from Image Factory"). */
    description: string;
    /** Absolute path of the kernel file to serve. */
    kernelPath: string;
    /** Absolute path of the initramfs file to serve. */
    initramfsPath: string;
    /** File names the static server publishes them under. */
    kernelName: string;
    initramfsName: string;
    /** Guest memory the assets need, MiB (Talos refuses to run in less than 2 GiB). */
    memoryMiB: number;
}

/** The package name from a `Depends:` field such as "linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)". */
export function kernelPackageFromDepends(depends: string): string {
    const first = depends.split(",")[0]?.split("|")[0]?.trim() ?? "";
    const name = first.split(/\s|\(/)[0] ?? "";
    if (!/^linux-image-[0-9][\w.+-]*$/.test(name)) {
        throw new Error(`unexpected Depends of ${DEBIAN_CLOUD_KERNEL_META}: ${JSON.stringify(depends)} (expected linux-image-<version>-cloud-amd64)`);
    }
    return name;
}

function aptDownload(pkg: string, dir: string): string {
    // Sandbox user root: the cache dir belongs to root and apt's _apt user could not write it.
    run("apt-get", ["download", "-q", "-o", "APT::Sandbox::User=root", pkg], { cwd: dir, timeoutMs: 120_000 });
    const deb = fs.readdirSync(dir).find((f) => f.startsWith(`${pkg}_`) && f.endsWith(".deb"));
    if (!deb) {
        throw new Error(`apt-get download ${pkg} produced no .deb in ${dir}`);
    }
    return path.join(dir, deb);
}

export interface StandinKernel {
    version: string;
    vmlinuz: string;
    moduleDir: string;
}

/**
 * The Debian cloud kernel and the eight virtio modules, cached under `cacheDir`.
 * First run: `apt-get download` (needs the Debian mirror, not Image Factory) + `dpkg-deb -x`.
 */
export function ensureStandinKernel(cacheDir: string, say: (msg: string) => void): StandinKernel {
    const root = path.join(cacheDir, "debian-kernel");
    fs.mkdirSync(root, { recursive: true });
    const cached = fs.readdirSync(root).filter((d) => fs.existsSync(path.join(root, d, "complete")));
    if (cached.length > 0) {
        const version = cached.sort().at(-1)!;
        return { version, vmlinuz: path.join(root, version, "vmlinuz"), moduleDir: path.join(root, version, "modules") };
    }
    const debs = fs.mkdtempSync(path.join(root, "download-"));
    try {
        say(`assets: apt-get download ${DEBIAN_CLOUD_KERNEL_META} (stand-in kernel, not installed)`);
        const meta = aptDownload(DEBIAN_CLOUD_KERNEL_META, debs);
        const pkg = kernelPackageFromDepends(run("dpkg-deb", ["-f", meta, "Depends"]).stdout);
        say(`assets: apt-get download ${pkg}`);
        const deb = aptDownload(pkg, debs);
        const extracted = path.join(debs, "x");
        run("dpkg-deb", ["-x", deb, extracted], { timeoutMs: 120_000 });
        const bootFiles = fs.readdirSync(path.join(extracted, "boot")).filter((f) => f.startsWith("vmlinuz-"));
        if (bootFiles.length !== 1) {
            throw new Error(`expected one boot/vmlinuz-* in ${deb}, found ${bootFiles.length}`);
        }
        const version = bootFiles[0]!.slice("vmlinuz-".length);
        const dest = path.join(root, version);
        fs.rmSync(dest, { recursive: true, force: true });
        fs.mkdirSync(path.join(dest, "modules"), { recursive: true });
        fs.copyFileSync(path.join(extracted, "boot", bootFiles[0]!), path.join(dest, "vmlinuz"));
        for (const mod of STANDIN_MODULES) {
            const src = path.join(extracted, "lib", "modules", version, "kernel", mod.path);
            if (!fs.existsSync(src)) {
                throw new Error(`kernel ${version} has no ${mod.path} (the stand-in expects modular virtio networking)`);
            }
            fs.copyFileSync(src, path.join(dest, "modules", `${mod.name}.ko`));
        }
        fs.writeFileSync(path.join(dest, "complete"), `${pkg}\n`);
        return { version, vmlinuz: path.join(dest, "vmlinuz"), moduleDir: path.join(dest, "modules") };
    } finally {
        fs.rmSync(debs, { recursive: true, force: true });
    }
}

/** Paths inside the stand-in initramfs, relative to its root, and where each comes from. */
export function standinLayout(busyboxPath: string, moduleDir: string): Array<{ dest: string; src?: string; mode: number; symlink?: string }> {
    return [
        { dest: "bin/busybox", src: busyboxPath, mode: 0o755 },
        { dest: "bin/sh", symlink: "busybox", mode: 0o777 },
        { dest: "init", src: path.join(STANDIN_SOURCE_DIR, "init"), mode: 0o755 },
        { dest: "etc/udhcpc.script", src: path.join(STANDIN_SOURCE_DIR, "udhcpc.script"), mode: 0o755 },
        ...STANDIN_MODULES.map((m) => ({ dest: `lib/modules/${m.name}.ko`, src: path.join(moduleDir, `${m.name}.ko`), mode: 0o644 })),
    ];
}

/** Builds the gzip'd newc cpio with `busybox cpio` (no host cpio needed). Returns the output path. */
export function buildStandinInitramfs(opts: { busybox: string; moduleDir: string; workDir: string; output: string }): string {
    const root = path.join(opts.workDir, "initramfs-root");
    fs.rmSync(root, { recursive: true, force: true });
    for (const dir of ["bin", "etc", "lib/modules", "proc", "sys", "dev", "tmp"]) {
        fs.mkdirSync(path.join(root, dir), { recursive: true });
    }
    for (const entry of standinLayout(opts.busybox, opts.moduleDir)) {
        const dest = path.join(root, entry.dest);
        if (entry.symlink) {
            fs.symlinkSync(entry.symlink, dest);
        } else {
            fs.copyFileSync(entry.src!, dest);
            fs.chmodSync(dest, entry.mode);
        }
    }
    const list = run("find", ["."], { cwd: root }).stdout;
    // Raw buffers (no encoding): the archive is binary.
    const cpio = spawnSync(opts.busybox, ["cpio", "-o", "-H", "newc", "-R", "0:0"], {
        cwd: root,
        input: list,
        maxBuffer: 256 * 1024 * 1024,
        timeout: 60_000,
    });
    if (cpio.status !== 0) {
        throw new Error(`busybox cpio failed: ${String(cpio.stderr)}`);
    }
    const partial = `${opts.output}.partial`;
    fs.writeFileSync(partial, zlib.gzipSync(cpio.stdout, { level: 9 }));
    fs.renameSync(partial, opts.output);
    fs.rmSync(root, { recursive: true, force: true });
    return opts.output;
}

/** The lab's edge schematic: the official Tailscale extension, as edge nodes get it. */
export const LAB_SCHEMATIC = { customization: { systemExtensions: { officialExtensions: ["siderolabs/tailscale"] } } };

export interface TalosAssetOptions {
    cacheDir: string;
    factoryUrl: string;
    talosVersion: string;
    /** Bound on the reachability probe and the schematic request, ms. */
    probeTimeoutMs: number;
    /** Bound on each asset download, ms. */
    downloadTimeoutMs: number;
    say: (msg: string) => void;
}

/** Image Factory URLs for a schematic and version (`kernel-<arch>`, `initramfs-<arch>.xz`). */
export function factoryAssetUrls(factoryUrl: string, schematicId: string, version: string, arch = "amd64"): { kernel: string; initramfs: string; cmdline: string; installer: string } {
    const base = factoryUrl.replace(/\/+$/, "");
    const host = new URL(base).host;
    return {
        kernel: `${base}/image/${schematicId}/${version}/kernel-${arch}`,
        initramfs: `${base}/image/${schematicId}/${version}/initramfs-${arch}.xz`,
        cmdline: `${base}/image/${schematicId}/${version}/cmdline-metal-${arch}`,
        installer: `${host}/metal-installer/${schematicId}:${version}`,
    };
}

async function download(url: string, dest: string, timeoutMs: number, say: (msg: string) => void): Promise<void> {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "follow" });
    if (!res.ok || !res.body) {
        throw new Error(`GET ${url}: HTTP ${res.status}`);
    }
    const total = Number(res.headers.get("content-length") ?? 0);
    const partial = `${dest}.partial`;
    const out = fs.createWriteStream(partial);
    let got = 0;
    let nextReport = Date.now() + 2000;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        got += chunk.length;
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
        if (Date.now() >= nextReport) {
            say(`assets: ${path.basename(dest)} ${(got / 1e6).toFixed(1)}${total ? ` / ${(total / 1e6).toFixed(1)}` : ""} MB`);
            nextReport = Date.now() + 2000;
        }
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    fs.renameSync(partial, dest);
}

/**
 * The real Talos kernel + initramfs for the lab schematic, cached under `cacheDir`.
 * Throws (the caller falls back to the stand-in) when Image Factory is unreachable.
 */
/**
 * The schematic's default kernel arguments for the boot service's `kernelArgs` setting, without
 * the ones the service sets itself (`talos.platform`, `console`) and any `talos.config`.
 */
export function extraKernelArgs(cmdline: string): string[] {
    return cmdline
        .trim()
        .split(/\s+/)
        .filter((a) => a !== "" && !/^(talos\.platform|console|talos\.config)=/.test(a));
}

export async function ensureTalosAssets(opts: TalosAssetOptions): Promise<{ schematicId: string; kernel: string; initramfs: string; installer: string; kernelArgs: string[] }> {
    const base = opts.factoryUrl.replace(/\/+$/, "");
    const res = await fetch(`${base}/schematics`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(LAB_SCHEMATIC),
        signal: AbortSignal.timeout(opts.probeTimeoutMs),
    });
    if (!res.ok) {
        throw new Error(`POST ${base}/schematics: HTTP ${res.status}`);
    }
    const { id } = (await res.json()) as { id?: unknown };
    if (typeof id !== "string" || !/^[0-9a-f]{64}$/.test(id)) {
        throw new Error(`POST ${base}/schematics returned no schematic id`);
    }
    const urls = factoryAssetUrls(base, id, opts.talosVersion);
    const dir = path.join(opts.cacheDir, `talos-${opts.talosVersion}-${id.slice(0, 12)}`);
    fs.mkdirSync(dir, { recursive: true });
    const cmdlineFile = path.join(dir, "cmdline-metal-amd64");
    if (!fs.existsSync(cmdlineFile)) {
        const cmd = await fetch(urls.cmdline, { signal: AbortSignal.timeout(opts.probeTimeoutMs) });
        if (!cmd.ok) throw new Error(`GET ${urls.cmdline}: HTTP ${cmd.status}`);
        fs.writeFileSync(cmdlineFile, await cmd.text());
    }
    const kernel = path.join(dir, "kernel-amd64");
    const initramfs = path.join(dir, "initramfs-amd64.xz");
    for (const [url, dest] of [[urls.kernel, kernel], [urls.initramfs, initramfs]] as const) {
        if (fs.existsSync(dest)) continue;
        opts.say(`assets: downloading ${url}`);
        await download(url, dest, opts.downloadTimeoutMs, opts.say);
    }
    return { schematicId: id, kernel, initramfs, installer: urls.installer, kernelArgs: extraKernelArgs(fs.readFileSync(cmdlineFile, "utf8")) };
}
