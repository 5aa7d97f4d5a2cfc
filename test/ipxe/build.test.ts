/**
 * infra/ipxe: the build script (checked with bash/shellcheck, run in --dry-run against a stand-in
 * source tree, and run to the end with a stand-in `make` that records what it was given: no
 * network here to clone iPXE) and the embedded boot script, which is
 * run by a real iPXE (Debian's ipxe.lkrn under QEMU/TCG, user-mode network, an HTTP server on
 * 127.0.0.1) to prove it chains to the DHCP-provided URL and gives up after bounded retries.
 *
 * Needs the apt packages shellcheck, qemu-system-x86, ipxe (scripts/apt-packages.txt).
 */
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { IPXE_USER_CLASS } from "../../infra/edge-host/dnsmasq";
import { ipxeProblems, parseBuildInfo, readCustomIpxeBuild, RUN_APP_BOOT_URL } from "../../lib/ipxe/check";
import { GOOGLE_TRUST_FINGERPRINTS } from "../../lib/ipxe/googleTrust";

const IPXE_DIR = path.join(__dirname, "..", "..", "infra", "ipxe");
const BUILD = path.join(IPXE_DIR, "build.sh");
const EMBED = path.join(IPXE_DIR, "embed.ipxe");
const GTS_R1 = "/usr/share/ca-certificates/mozilla/GTS_Root_R1.crt";
const GTS_R4 = "/usr/share/ca-certificates/mozilla/GTS_Root_R4.crt";

const tmpDirs: string[] = [];
function tmpDir(): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "ipxe-test-"));
    tmpDirs.push(d);
    return d;
}
after(() => {
    for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

function build(args: string[], env: NodeJS.ProcessEnv = process.env) {
    const r = spawnSync("bash", [BUILD, ...args], { encoding: "utf8", timeout: 60_000, env });
    if (r.error) throw r.error;
    return r;
}

/** A directory that looks like an iPXE checkout to build.sh (src/Makefile, src/config/). */
function fakeSourceTree(parent = tmpDir()): string {
    const top = parent;
    fs.mkdirSync(path.join(top, "src", "config"), { recursive: true });
    fs.writeFileSync(path.join(top, "src", "Makefile"), "# stand-in\n");
    return top;
}

/** A fixed build time for trees that are no git checkout. */
const EPOCH = "1767225600";

/**
 * A `make` that builds nothing: it records its arguments and the environment variables a real iPXE
 * build reads, and writes each target named on its command line (content derived from them).
 */
function fakeMakeEnv(): { env: NodeJS.ProcessEnv; log: string } {
    const bin = tmpDir();
    const log = path.join(bin, "make.log");
    fs.writeFileSync(
        path.join(bin, "make"),
        `#!/bin/bash
set -euo pipefail
{ printf 'arg %s\n' "$@"; echo "env SOURCE_DATE_EPOCH=\${SOURCE_DATE_EPOCH:-unset}"; } >>'${log}'
dir=.
[[ $1 == -C ]] && { dir=$2; shift 2; }
for a in "$@"; do
    case $a in
    bin*/*) mkdir -p "$dir/$(dirname "$a")"; echo "stand-in $a built at \${SOURCE_DATE_EPOCH:-unset}" >"$dir/$a" ;;
    esac
done
`,
        { mode: 0o755 },
    );
    return { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, log };
}

describe("infra/ipxe", () => {
    describe("build.sh", () => {
        it("passes bash -n and shellcheck without findings", () => {
            const parse = spawnSync("bash", ["-n", BUILD], { encoding: "utf8" });
            assert.equal(parse.status, 0, parse.stderr);
            const lint = spawnSync("shellcheck", ["--severity=style", BUILD], { encoding: "utf8" });
            assert.equal(lint.error, undefined, "install shellcheck");
            assert.equal(`${lint.stdout}${lint.stderr}`.trim(), "");
        });

        it("documents itself with --help", () => {
            const r = build(["--help"]);
            assert.equal(r.status, 0);
            for (const opt of ["--ca <pem>", "--ca-preset google", "--no-crosscert", "--source-date-epoch <seconds>", "--embed <script>", "--ref <tag>", "--src <dir>", "--out <dir>", "--arm64", "--dry-run", "v2.0.0", "GPL-2.0-or-later", "2.5 minutes"]) {
                assert.ok(r.stdout.includes(opt), `--help does not mention ${opt}`);
            }
        });

        it("refuses to build without a pinned trust list, or with unknown arguments", () => {
            const none = build([]);
            assert.equal(none.status, 2);
            assert.match(none.stderr, /missing --ca or --ca-preset: the build must pin the CA roots/);
            const both = build(["--ca", GTS_R1, "--ca-preset", "google"]);
            assert.equal(both.status, 2);
            assert.match(both.stderr, /give --ca or --ca-preset, not both/);
            assert.match(build(["--bogus"]).stderr, /unknown argument: --bogus/);
            assert.match(build(["--ca", "/nonexistent.pem", "--src", fakeSourceTree(), "--dry-run"]).stderr, /CA file \/nonexistent.pem not found/);
            const badEpoch = build(["--ca", GTS_R1, "--source-date-epoch", "yesterday"]);
            assert.equal(badEpoch.status, 2);
            assert.match(badEpoch.stderr, /--source-date-epoch must be seconds since 1970, got 'yesterday'/);
        });

        it("dry run: splits a CA bundle into one file per root, enables HTTPS and NTP, embeds the script", () => {
            const work = tmpDir();
            const bundle = path.join(work, "roots.pem");
            fs.writeFileSync(bundle, fs.readFileSync(GTS_R1, "utf8") + fs.readFileSync(GTS_R4, "utf8"));
            const src = fakeSourceTree();
            const r = build(["--ca", bundle, "--src", src, "--work", path.join(work, "w"), "--source-date-epoch", EPOCH, "--dry-run"]);
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /trusting C = US, O = Google Trust Services LLC, CN = GTS Root R1 \(sha256 D9:47:43:2A/);
            assert.match(r.stdout, /trusting C = US, O = Google Trust Services LLC, CN = GTS Root R4/);
            const trustFiles = fs.readdirSync(path.join(work, "w", "trust")).sort();
            assert.deepEqual(trustFiles, ["ca-001.pem", "ca-002.pem"]);

            const general = fs.readFileSync(path.join(src, "src", "config", "local", "general.h"), "utf8");
            assert.match(general, /^#define DOWNLOAD_PROTO_HTTPS$/m);
            assert.match(general, /^#define NTP_CMD$/m);

            const makeLine = r.stdout.split("\n").find((l) => l.trim().startsWith("make "));
            assert.ok(makeLine, r.stdout);
            const trustList = trustFiles.map((f) => path.join(work, "w", "trust", f)).join("\\,");
            for (const part of ["bin/undionly.kpxe", "bin-x86_64-efi/ipxe.efi", `EMBED=${EMBED}`, `TRUST=${trustList}`, `CERT=${trustList}`, `-C ${path.join(src, "src")}`]) {
                assert.ok(makeLine.includes(part), `make command lacks ${part}: ${makeLine}`);
            }
            // Reproducible: no absolute path of this machine reaches the objects.
            for (const map of [`-ffile-prefix-map=${path.join(src, "src")}=ipxe/src`, `-ffile-prefix-map=${path.join(work, "w")}=build`, `-ffile-prefix-map=${IPXE_DIR}=embed`]) {
                assert.ok(makeLine.includes(map.replace(/ /g, "\\ ")), `make command lacks ${map}: ${makeLine}`);
            }
            assert.match(r.stdout, new RegExp(`would build with SOURCE_DATE_EPOCH=${EPOCH}`));
        });

        it("dry run with the Google preset pins GTS Root R1-R4 and GlobalSign Root CA", () => {
            const r = build(["--ca-preset", "google", "--src", fakeSourceTree(), "--work", tmpDir(), "--source-date-epoch", EPOCH, "--dry-run"]);
            assert.equal(r.status, 0, r.stderr);
            const trusted = r.stdout.split("\n").filter((l) => l.includes("trusting "));
            assert.equal(trusted.length, 5);
            for (const cn of ["GTS Root R1", "GTS Root R2", "GTS Root R3", "GTS Root R4", "GlobalSign Root CA"]) {
                assert.ok(trusted.some((l) => l.includes(`CN = ${cn} `)), `${cn} not trusted`);
            }
        });
    });

    describe("build.sh to the end (a stand-in make)", () => {
        it("writes a truthful BUILD-INFO: the --src tree, no ref, build time, HTTPS, no cross-signing lookups, roots, each binary", () => {
            const { env, log } = fakeMakeEnv();
            const src = fakeSourceTree();
            const out = tmpDir();
            const r = build(["--ca-preset", "google", "--src", src, "--work", tmpDir(), "--out", out, "--source-date-epoch", EPOCH, "--no-crosscert", "--ref", "v9.9.9"], env);
            assert.equal(r.status, 0, r.stderr);
            const made = fs.readFileSync(log, "utf8");
            assert.match(made, new RegExp(`^env SOURCE_DATE_EPOCH=${EPOCH}$`, "m"));
            assert.match(made, /^arg EXTRA_CFLAGS=-ffile-prefix-map=\S+=ipxe\/src -ffile-prefix-map=\S+=build -ffile-prefix-map=\S+=embed$/m);

            const crypto = fs.readFileSync(path.join(src, "src", "config", "local", "crypto.h"), "utf8");
            assert.match(crypto, /^#undef CROSSCERT\n#define CROSSCERT ""$/m);

            const info = fs.readFileSync(path.join(out, "BUILD-INFO"), "utf8");
            assert.match(info, new RegExp(`^iPXE source: --src ${src} \\(resolved to ${path.join(src, "src")}\\)$`, "m"));
            assert.doesNotMatch(info, /v9\.9\.9|ref /, "--ref is ignored with --src, so BUILD-INFO does not name it");
            assert.match(info, /^iPXE commit: unknown \(not a git checkout\)$/m);
            assert.match(info, new RegExp(`^source date epoch: ${EPOCH}$`, "m"));
            assert.match(info, /^cross-signed certificates: disabled \(CROSSCERT ""\)$/m);
            assert.match(info, /^licence: GPL-2\.0-or-later .*config\/local\/general\.h and config\/local\/crypto\.h/m);
            const sums = fs.readFileSync(path.join(out, "SHA256SUMS"), "utf8");
            for (const f of ["undionly.kpxe", "ipxe.efi"]) {
                const sha = new RegExp(`^([0-9a-f]{64})  ${f.replace(".", "\\.")}$`, "m").exec(sums)?.[1];
                assert.ok(sha, sums);
                assert.ok(info.includes(`binary: ${f} sha256 ${sha}`), `BUILD-INFO does not list ${f}`);
            }
            const parsed = parseBuildInfo(info);
            assert.equal(parsed.trustedRoots.length, 5);
            assert.ok(parsed.trustedRoots.some((t) => t.subject.endsWith("CN = GTS Root R1") && t.fingerprint === GOOGLE_TRUST_FINGERPRINTS.gtsRootR1.replace(/:/g, "").toLowerCase()));
            // What the stack's config check reads next to the binaries: this build passes it.
            assert.deepEqual(ipxeProblems(RUN_APP_BOOT_URL, readCustomIpxeBuild({ efi: path.join(out, "ipxe.efi"), bios: path.join(out, "undionly.kpxe") })), []);
        });

        it("without --no-crosscert: removes a crypto.h an earlier build left, and says lookups follow upstream", () => {
            const { env } = fakeMakeEnv();
            const src = fakeSourceTree();
            fs.mkdirSync(path.join(src, "src", "config", "local"), { recursive: true });
            fs.writeFileSync(path.join(src, "src", "config", "local", "crypto.h"), '#define CROSSCERT ""\n');
            const out = tmpDir();
            const r = build(["--ca", GTS_R1, "--src", src, "--work", tmpDir(), "--out", out, "--source-date-epoch", EPOCH], env);
            assert.equal(r.status, 0, r.stderr);
            assert.ok(!fs.existsSync(path.join(src, "src", "config", "local", "crypto.h")));
            assert.match(fs.readFileSync(path.join(out, "BUILD-INFO"), "utf8"), /^cross-signed certificates: upstream default \(http:\/\/ca\.ipxe\.org\/auto\) unless DHCP option 175\.93 names another source$/m);
        });

        it("takes the build time from the tree's own commit, and refuses a tree it cannot date", () => {
            const { env, log } = fakeMakeEnv();
            const git = (cwd: string, ...args: string[]) => {
                const g = spawnSync("git", args, { cwd, encoding: "utf8", env: { ...env, GIT_AUTHOR_DATE: "@1735689600 +0000", GIT_COMMITTER_DATE: "@1735689600 +0000", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.invalid", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.invalid" } });
                assert.equal(g.status, 0, g.stderr);
                return g.stdout.trim();
            };
            const src = fakeSourceTree();
            git(src, "init", "-q");
            git(src, "add", "-A");
            git(src, "commit", "-q", "-m", "stand-in");
            const out = tmpDir();
            const r = build(["--ca", GTS_R1, "--src", src, "--work", tmpDir(), "--out", out], { ...env, SOURCE_DATE_EPOCH: "" });
            assert.equal(r.status, 0, r.stderr);
            const info = fs.readFileSync(path.join(out, "BUILD-INFO"), "utf8");
            assert.ok(info.includes(`iPXE commit: ${git(src, "rev-parse", "HEAD")}\n`));
            assert.match(info, /^source date epoch: 1735689600$/m);
            assert.match(fs.readFileSync(log, "utf8"), /^env SOURCE_DATE_EPOCH=1735689600$/m);

            // A tree that merely sits inside some other repository is no checkout of its own.
            const nested = fakeSourceTree(path.join(src, "vendor-ipxe"));
            const refused = build(["--ca", GTS_R1, "--src", nested, "--work", tmpDir(), "--out", tmpDir()], { ...env, SOURCE_DATE_EPOCH: "" });
            assert.equal(refused.status, 1);
            assert.match(refused.stderr, /cannot tell the source's date \(.*vendor-ipxe is no git checkout\); pass --source-date-epoch <seconds>/);
        });
    });

    describe("embed.ipxe", () => {
        const script = fs.readFileSync(EMBED, "utf8");

        it("announces the user class the site's dnsmasq hands the boot URL to", () => {
            assert.match(script, /^#!ipxe\n/);
            assert.ok(script.includes(`\nset user-class ${IPXE_USER_CLASS}\n`));
        });

        it("chains to the DHCP-provided URL a bounded number of times, then exits to the firmware", () => {
            assert.match(script, /^chain --replace --autofree \$\{filename\} \|\| goto failed$/m);
            assert.match(script, /^iseq \$\{attempt\} 3 && goto give_up \|\|$/m);
            assert.match(script, /^exit 1$/m);
            assert.doesNotMatch(script, /^reboot/m, "a reboot loop would keep an installed node off its disk (0103)");
        });

        describe("run by a real iPXE (QEMU, user-mode network)", function () {
            this.timeout(180_000);
            let server: http.Server;
            let port: number;
            const requests: string[] = [];
            let scriptFile: string;

            before(async () => {
                for (const f of ["/usr/lib/ipxe/ipxe.lkrn", "/usr/bin/qemu-system-x86_64"]) {
                    assert.ok(fs.existsSync(f), `${f} missing: install the apt packages ipxe and qemu-system-x86`);
                }
                // NTP to the host side of the user-mode network instead of the internet: this test
                // sends nothing beyond this machine.
                scriptFile = path.join(tmpDir(), "embed.ipxe");
                fs.writeFileSync(scriptFile, script.replace(/^ntp pool\.ntp\.org /m, "ntp 10.0.2.2 "));
                assert.notEqual(fs.readFileSync(scriptFile, "utf8"), script);
                server = http.createServer((req, res) => {
                    requests.push(req.url ?? "");
                    if (req.url === "/boot.ipxe") {
                        res.end("#!ipxe\necho EMBED-TEST chained mac=${mac}\n");
                    } else {
                        res.statusCode = 404;
                        res.end();
                    }
                });
                await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
                port = (server.address() as AddressInfo).port;
            });
            after(() => server?.close());

            /** Boots ipxe.lkrn with the script as initrd; resolves with the console once `until` shows up. */
            function bootIpxe(bootfile: string, until: RegExp, limitMs = 120_000): Promise<string> {
                const qemu = spawn(
                    "qemu-system-x86_64",
                    [
                        "-accel", "tcg", "-m", "256", "-nodefaults", "-machine", "graphics=off", "-display", "none", "-no-reboot",
                        "-serial", "stdio", "-monitor", "none",
                        "-netdev", `user,id=n0,bootfile=http://10.0.2.2:${port}${bootfile}`,
                        "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:00:02:01,romfile=",
                        "-kernel", "/usr/lib/ipxe/ipxe.lkrn", "-initrd", scriptFile,
                    ],
                    { stdio: ["ignore", "pipe", "pipe"] },
                );
                let out = "";
                return new Promise<string>((resolve, reject) => {
                    const timer = setTimeout(() => {
                        qemu.kill("SIGKILL");
                        reject(new Error(`no ${until} within ${limitMs} ms; console:\n${out}`));
                    }, limitMs);
                    const onData = (b: Buffer) => {
                        out += b.toString("latin1").replace(/\r/g, "");
                        if (until.test(out)) {
                            clearTimeout(timer);
                            qemu.kill("SIGKILL");
                            resolve(out);
                        }
                    };
                    qemu.stdout.on("data", onData);
                    qemu.stderr.on("data", onData);
                    qemu.on("error", (e) => {
                        clearTimeout(timer);
                        reject(e);
                    });
                });
            }

            it("gets a lease and chains to the URL DHCP handed out", async () => {
                const out = await bootIpxe("/boot.ipxe", /EMBED-TEST chained mac=52:54:00:00:02:01/);
                assert.match(out, /talos-cloud-edge: network boot, attempt 1 of 3/);
                assert.ok(requests.includes("/boot.ipxe"));
            });

            it("gives up after three failed attempts and hands back to the firmware", async () => {
                requests.length = 0;
                // SeaBIOS's message once iPXE has exited: control really went back to the firmware.
                const out = await bootIpxe("/missing.ipxe", /No bootable device/);
                assert.match(out, /attempt 1 failed, retrying in 5 s/);
                assert.match(out, /attempt 2 failed, retrying in 5 s/);
                assert.match(out, /network boot failed 3 times, handing back to the firmware/);
                assert.doesNotMatch(out, /attempt 4/);
                assert.deepEqual(requests, ["/missing.ipxe", "/missing.ipxe", "/missing.ipxe"]);
            });
        });
    });
});
