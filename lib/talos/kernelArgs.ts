/**
 * The kernel command line Image Factory gives a metal boot (`…/cmdline-metal-<arch>`), and the
 * part of it the boot service's `kernelArgs` setting carries.
 *
 * Image Factory builds that line with the imager of the requested Talos version: `talos.platform`,
 * the metal platform's console for the architecture, then Talos's default arguments for that
 * version, then the schematic's `extraKernelArgs` (our schematics set none). The rules below are
 * pinned for Talos v1.12.x and checked against Image Factory's published line for v1.12.4
 * amd64 (test/talos-kernel-args.test.ts). Any other version is refused rather than guessed:
 * read `<factory>/image/<schematic>/<version>/cmdline-metal-<arch>` (or fetch it with
 * `fetchFactoryKernelCommandLine`) and extend the rules.
 *
 * v1.12.x, both architectures (Talos `kernel.DefaultArgs`, which does not depend on the
 * architecture: `pti=on` is passed on arm64 too, although only x86 kernels implement it):
 *   init_on_alloc=1 slab_nomerge pti=on consoleblank=0 nvme_core.io_timeout=4294967295
 *   printk.devkmsg=on selinux=1 module.sig_enforce=1
 * Console (metal platform): amd64 `console=tty0`; arm64 `console=ttyAMA0 console=tty0`.
 */

/** Architectures Image Factory builds metal boot assets for that the project uses. */
export type KernelArchitecture = "amd64" | "arm64";

/** Talos's default arguments for v1.12.x, in the order the imager appends them. */
const V1_12_DEFAULT_ARGS: readonly string[] = [
    "init_on_alloc=1",
    "slab_nomerge",
    "pti=on",
    "consoleblank=0",
    "nvme_core.io_timeout=4294967295",
    "printk.devkmsg=on",
    "selinux=1",
    "module.sig_enforce=1",
];

/** The metal platform's console per architecture (Talos >= 1.8 dropped ttyS0 on amd64). */
const METAL_CONSOLE: Readonly<Record<KernelArchitecture, readonly string[]>> = {
    amd64: ["console=tty0"],
    arm64: ["console=ttyAMA0", "console=tty0"],
};

/** Release lines whose rules are pinned here. */
const PINNED = /^v1\.12\.\d+(-[0-9A-Za-z.-]+)?$/;

/**
 * Image Factory's metal kernel command line for a schematic without `extraKernelArgs`, as its
 * arguments in order. Throws for a version or architecture the rules do not cover.
 */
export function factoryMetalKernelArgs(talosVersion: string, arch: KernelArchitecture): string[] {
    if (!PINNED.test(talosVersion)) {
        throw new Error(
            `kernel command line: Talos ${JSON.stringify(talosVersion)} is not covered; lib/talos/kernelArgs.ts pins Image Factory's metal command line for v1.12.x only. ` +
                `Read <factory>/image/<schematic>/${talosVersion}/cmdline-metal-<arch> and add that release's rules`,
        );
    }
    const console = METAL_CONSOLE[arch];
    if (console === undefined) throw new Error(`kernel command line: architecture ${JSON.stringify(arch)} is not amd64 or arm64`);
    return ["talos.platform=metal", ...console, ...V1_12_DEFAULT_ARGS];
}

/** The same line as one string, exactly as Image Factory serves it (without the trailing newline). */
export function factoryMetalKernelCommandLine(talosVersion: string, arch: KernelArchitecture): string {
    return factoryMetalKernelArgs(talosVersion, arch).join(" ");
}

/** A command line's arguments (split on whitespace; empty input gives []). */
export function splitKernelCommandLine(line: string): string[] {
    return line.split(/\s+/).filter((a) => a !== "");
}

/**
 * The arguments of a factory line that belong in the boot service's `kernelArgs` setting: all
 * but `talos.platform` (the service puts it first), `console` (the service's per-architecture
 * `consoleArgs` replace the factory's, so a serial console can be the primary one) and any
 * `talos.config` (the service points it at each boot's ticket). The rendered PXE line is then
 * `talos.platform=metal <consoleArgs> <these> talos.config=<ticket URL>`.
 */
export function bootServiceKernelArgs(factoryArgs: readonly string[]): string[] {
    return factoryArgs.filter((a) => !/^(talos\.platform|console|talos\.config)(=|$)/.test(a));
}

/**
 * The boot service's `kernelArgs` for edge machines of these architectures. The setting is
 * shared by every architecture, so the factory lines must agree once the console is taken out
 * (they do for v1.12.x); throws naming the architectures otherwise.
 */
export function edgeKernelArgs(talosVersion: string, architectures: readonly KernelArchitecture[]): string[] {
    if (architectures.length === 0) throw new Error("kernel command line: no edge architecture given; pass at least one of amd64, arm64");
    const [first, ...rest] = architectures;
    const args = bootServiceKernelArgs(factoryMetalKernelArgs(talosVersion, first));
    for (const arch of rest) {
        const other = bootServiceKernelArgs(factoryMetalKernelArgs(talosVersion, arch));
        if (other.join(" ") !== args.join(" ")) {
            throw new Error(`kernel command line: Talos ${talosVersion} gives ${first} and ${arch} different arguments beyond the console; the boot service's kernelArgs cannot serve both`);
        }
    }
    return args;
}

export interface FetchKernelCommandLineOptions {
    /** fetch implementation (tests pass a fake). Default: the global fetch. */
    fetch?: typeof fetch;
    /** Give up after this many milliseconds. Default 15000. */
    timeoutMs?: number;
}

/**
 * Reads a command line from Image Factory (the talos provider's `getUrls` gives its URL as
 * `kernelCommandLine`: `<factory>/image/<schematic>/<version>/cmdline-metal-<arch>`), to check
 * the pinned rules against the factory at preview time. Resolves to the arguments.
 */
export async function fetchFactoryKernelCommandLine(url: string, opts: FetchKernelCommandLineOptions = {}): Promise<string[]> {
    if (!/^https?:\/\/[^\s]+\/cmdline-[a-z0-9]+-(amd64|arm64)$/.test(url)) {
        throw new Error(`kernel command line: ${JSON.stringify(url)} is not an Image Factory cmdline URL (…/image/<schematic>/<version>/cmdline-metal-<arch>)`);
    }
    const res = await (opts.fetch ?? fetch)(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000) });
    if (!res.ok) throw new Error(`kernel command line: GET ${url}: HTTP ${res.status}`);
    const text = await res.text();
    if (text.length > 4096 || /[^\x20-\x7e\n\r\t]/.test(text)) {
        throw new Error(`kernel command line: GET ${url} did not return a kernel command line (over 4096 characters or not printable ASCII)`);
    }
    return splitKernelCommandLine(text);
}
