/** Command-line options of `npm run lab` (pure, so the parser is unit-tested). */

export type AssetChoice = "auto" | "talos" | "standin";

export interface LabOptions {
    help: boolean;
    /** Leave the namespace, its processes and the work dir for debugging. */
    keep: boolean;
    /** Bound on the whole run, seconds. */
    timeoutSeconds: number;
    /** Boot the second VM (unknown MAC) as well. */
    secondVm: boolean;
    /** How long the unknown VM is watched for (pending + no config), seconds. */
    unknownVmSeconds: number;
    assets: AssetChoice;
    /** Echo every serial/dnsmasq/service line, not just the timeline. */
    verbose: boolean;
    talosVersion: string;
    factoryUrl: string;
    accel: "auto" | "kvm" | "tcg";
}

export const DEFAULT_OPTIONS: LabOptions = {
    help: false,
    keep: false,
    timeoutSeconds: 150,
    secondVm: true,
    unknownVmSeconds: 20,
    assets: "auto",
    verbose: false,
    talosVersion: "v1.12.4",
    factoryUrl: "https://factory.talos.dev",
    accel: "auto",
};

export const USAGE = `Usage: npm run lab -- [options]     (as root, Debian 12)

Rehearses an edge machine's network boot through the real chain, offline, on this machine:
a private network namespace with a bridge, dnsmasq (config rendered by infra/edge-host),
the boot service (embedded store, lab inventory, fake Tailscale key API), a static asset
server and QEMU VMs that boot DHCP -> iPXE -> site script -> machine script -> kernel +
initramfs -> talos.config fetch. The same machine then boots again and must be sent to its
local disk (enrolled: no ticket, no key). Prints a timeline, runs checks, tears everything
down and ends with "lab: PASS ..." (exit 0) or "lab: FAIL <reason>" (exit 1).

Options:
  --help                 Show this help.
  --keep                 Leave the namespace, processes and work dir running for debugging
                         (prints the command that removes them; the next run also removes
                         the namespace and its processes).
  --timeout <seconds>    Bound on the whole run (default ${DEFAULT_OPTIONS.timeoutSeconds}).
  --no-second-vm         Skip the unknown-MAC VM (pending machine, no config).
  --unknown-vm-seconds <s>  How long the unknown VM is watched (default ${DEFAULT_OPTIONS.unknownVmSeconds}).
  --assets <auto|talos|standin>
                         auto (default): real Talos kernel + initramfs from Image Factory when
                         reachable, else the stand-in (Debian kernel + busybox /init).
  --talos-version <v>    Talos version for Image Factory assets (default ${DEFAULT_OPTIONS.talosVersion}).
  --factory-url <url>    Image Factory (default ${DEFAULT_OPTIONS.factoryUrl}).
  --accel <auto|kvm|tcg> QEMU accelerator (default auto: KVM only with VMX/SVM, else TCG).
  --verbose              Echo every log line (dnsmasq, boot service, serial consoles).

Requires: root; apt packages qemu-system-x86 ipxe ipxe-qemu dnsmasq-base busybox-static iproute2.
The lab uses plain HTTP inside the namespace (Debian 12's iPXE has no HTTPS); HTTPS is proven
by the custom iPXE build (infra/ipxe), not by the lab.`;

function positiveNumber(flag: string, raw: string | undefined): number {
    const n = Number(raw);
    if (raw === undefined || !Number.isFinite(n) || n <= 0) {
        throw new Error(`${flag} needs a positive number of seconds (got ${JSON.stringify(raw ?? "")})`);
    }
    return n;
}

function oneOf<T extends string>(flag: string, raw: string | undefined, allowed: readonly T[]): T {
    if (raw === undefined || !(allowed as readonly string[]).includes(raw)) {
        throw new Error(`${flag} must be one of ${allowed.join(", ")} (got ${JSON.stringify(raw ?? "")})`);
    }
    return raw as T;
}

/** Parses argv (without node and script). Throws an Error naming the bad option. */
export function parseLabArgs(argv: string[]): LabOptions {
    const opts: LabOptions = { ...DEFAULT_OPTIONS };
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i]!;
        const eq = arg.indexOf("=");
        const flag = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
        const inline = arg.startsWith("--") && eq > 0 ? arg.slice(eq + 1) : undefined;
        const value = (): string | undefined => inline ?? argv[++i];
        switch (flag) {
            case "--help":
            case "-h":
                opts.help = true;
                break;
            case "--keep":
                opts.keep = true;
                break;
            case "--no-second-vm":
                opts.secondVm = false;
                break;
            case "--verbose":
            case "-v":
                opts.verbose = true;
                break;
            case "--timeout":
                opts.timeoutSeconds = positiveNumber(flag, value());
                break;
            case "--unknown-vm-seconds":
                opts.unknownVmSeconds = positiveNumber(flag, value());
                break;
            case "--assets":
                opts.assets = oneOf(flag, value(), ["auto", "talos", "standin"] as const);
                break;
            case "--accel":
                opts.accel = oneOf(flag, value(), ["auto", "kvm", "tcg"] as const);
                break;
            case "--talos-version": {
                const v = value();
                if (!v || !/^v\d+\.\d+\.\d+(?:-[\w.]+)?$/.test(v)) {
                    throw new Error(`--talos-version must look like v1.12.4 (got ${JSON.stringify(v ?? "")})`);
                }
                opts.talosVersion = v;
                break;
            }
            case "--factory-url": {
                const v = value();
                if (!v || !/^https?:\/\/[^\s/]+\/?$/.test(v)) {
                    throw new Error(`--factory-url must be an http(s) origin such as https://factory.talos.dev (got ${JSON.stringify(v ?? "")})`);
                }
                opts.factoryUrl = v.replace(/\/$/, "");
                break;
            }
            default:
                throw new Error(`unknown option ${JSON.stringify(arg)} (see --help)`);
        }
    }
    return opts;
}
