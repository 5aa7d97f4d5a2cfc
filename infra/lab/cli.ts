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
    /** A custom iPXE build (infra/ipxe/build.sh --out) to serve instead of Debian 13's pinned package. */
    ipxeDir?: string;
}

export const DEFAULT_OPTIONS: LabOptions = {
    help: false,
    keep: false,
    timeoutSeconds: 270,
    secondVm: true,
    unknownVmSeconds: 30,
    assets: "auto",
    verbose: false,
    talosVersion: "v1.12.4",
    factoryUrl: "https://factory.talos.dev",
    accel: "auto",
};

export const USAGE = `Usage: npm run lab -- [options]     (as root, Debian 12)

Rehearses an edge machine's network boot through the real chain, offline, on this machine:
a private network namespace with a bridge, dnsmasq (config rendered by infra/edge-host: the
root pinned in every answer, the lab roots on TFTP), the boot service (embedded store, lab
inventory, fake Tailscale key API) behind a TLS front end with a lab chain shaped like Cloud
Run's, a static asset server and QEMU VMs. A BIOS VM (SeaBIOS, iPXE NIC ROM -> undionly.kpxe)
and a UEFI VM (OVMF PXE -> snponly.efi), both Debian 13's pinned iPXE, boot DHCP -> HTTPS site
script -> machine script (the site token only as Basic credentials) -> kernel + initramfs ->
talos.config over HTTPS. The BIOS machine then boots again and must be sent to its local disk
(enrolled: no ticket, no key); a VM whose DHCP pins another root must refuse the service.
Prints a timeline, runs checks, tears everything down and ends with "lab: PASS ..." (exit 0)
or "lab: FAIL <reason>" (exit 1).

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
  --ipxe <dir>           Serve a custom iPXE build (infra/ipxe/build.sh --out <dir>: ipxe.efi,
                         undionly.kpxe) instead of Debian 13's pinned package. Build it to trust
                         the lab root: --ca .lab/cache/lab-pki/root-r1.pem (made by the first run).
  --verbose              Echo every log line (dnsmasq, boot service, serial consoles).

Requires: root; apt packages qemu-system-x86 ipxe-qemu ovmf dnsmasq-base busybox-static
iproute2 openssl; Debian's archive once (the pinned iPXE package, then cached in .lab/cache).`;

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
            case "--ipxe": {
                const v = value();
                if (!v) throw new Error("--ipxe needs the directory of a custom build (infra/ipxe/build.sh --out <dir>)");
                opts.ipxeDir = v;
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
