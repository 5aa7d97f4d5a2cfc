/**
 * Shared fixtures of the edge-host renderer tests: the seed's site, dnsmasq options for it, and
 * runners for the tools that consume the rendered files.
 *
 * Those tools need root and the apt packages in scripts/apt-packages.txt (dnsmasq-base, systemd,
 * shellcheck, nftables, xsltproc, libvirt-clients, libxml2-utils, busybox-static, iproute2).
 */
import * as assert from "node:assert/strict";
import { spawnSync, SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DnsmasqOptions } from "../../infra/edge-host/dnsmasq";
import { EdgeNetworkSite } from "../../infra/edge-host/site";

export const TOKEN = "s3cr3tSiteToken0123456789abcdefABCDEF";
export const BOOT_URL = `https://talos-boot-abc123xyz-ew.a.run.app/v1/sites/site-1/boot.ipxe?token=${TOKEN}`;

/** The seed's site: bridge setup02-edge at 10.0.20.1/24, dnsmasq at 10.0.20.2, range .10-.200. */
export const SITE: EdgeNetworkSite = {
    name: "site-1",
    bridge: { name: "setup02-edge", gatewayCidr: "10.0.20.1/24", subnetCidr: "10.0.20.0/24", gateway: "10.0.20.1", prefixLength: 24, mtu: 1500 },
    dhcp: { serverAddress: "10.0.20.2" },
    host: { uplinkInterface: "eno1" },
};

export function dnsmasqOptions(overrides: Partial<DnsmasqOptions> = {}): DnsmasqOptions {
    return {
        interface: "setup02-edge",
        listenAddress: "10.0.20.2",
        gateway: "10.0.20.1",
        prefixLength: 24,
        rangeStart: "10.0.20.10",
        rangeEnd: "10.0.20.200",
        leaseTime: "1h",
        dnsServers: ["1.1.1.1", "8.8.8.8"],
        mtu: 1500,
        hosts: [{ mac: "52:54:00:00:02:01", ip: "10.0.20.10", hostname: "talos-edge-1" }],
        bootUrl: BOOT_URL,
        tftpRoot: "/var/lib/talos-edge/sites/site-1/tftp",
        leaseFile: "/var/lib/talos-edge/sites/site-1/dnsmasq.leases",
        ...overrides,
    };
}

const tmpDirs: string[] = [];

/** A fresh temporary directory, removed by `removeTmpDirs` (register it with `after`). */
export function tmpDir(): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "edge-render-"));
    tmpDirs.push(d);
    return d;
}

export function removeTmpDirs(): void {
    for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
    const r = spawnSync(cmd, args, { encoding: "utf8", input: opts.input, timeout: opts.timeoutMs ?? 30_000 });
    if (r.error) {
        throw new Error(`${cmd} could not run (${r.error.message}); install the packages in scripts/apt-packages.txt`);
    }
    return r;
}

export function writeFile(dir: string, name: string, text: string, mode = 0o644): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text, { mode });
    return file;
}

export function dnsmasqTest(text: string): SpawnSyncReturns<string> {
    return run("dnsmasq", ["--test", `--conf-file=${writeFile(tmpDir(), "dnsmasq.conf", text)}`]);
}

/** shellcheck at its strictest severity plus bash's own parser; returns all output (empty = clean). */
export function checkScript(text: string): string {
    const file = writeFile(tmpDir(), "script.sh", text, 0o755);
    const parse = run("bash", ["-n", file]);
    const lint = run("shellcheck", ["--severity=style", "--shell=bash", file]);
    return `${parse.stdout}${parse.stderr}${lint.stdout}${lint.stderr}`.trim();
}

/** The checks every rendered script must pass: bash -n and shellcheck silent, bash shebang, strict mode. */
export function assertCleanScript(text: string): void {
    assert.equal(checkScript(text), "");
    assert.match(text, /^#!\/bin\/bash\n/);
    assert.match(text, /^set -euo pipefail$/m);
}
