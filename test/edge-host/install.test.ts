/**
 * The install, uninstall and preflight scripts `EdgeSite` runs over SSH (`bash -n` + shellcheck),
 * and the install's iPXE parts run for real: the pinned-package fetch against a local HTTP server
 * (a stand-in .deb built with dpkg-deb) and the roots directory. Needs the packages listed in
 * ./helpers.ts plus curl and dpkg.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { DEBIAN_IPXE, type DebianIpxePackage } from "../../lib/ipxe/debianPackage";
import { GOOGLE_RUN_APP_TRUST } from "../../lib/ipxe/googleTrust";
import { ipxeTrustAnchors, pemCertificates } from "../../lib/ipxe/trust";
import { INSTALL_HELPERS, STAGED_FILES, renderDebianIpxeInstall, renderInstallScript, renderRootsInstall, renderRootsList, renderUninstallScript } from "../../infra/edge-host/install";
import { edgeHostPaths } from "../../infra/edge-host/paths";
import { renderPreflightScript } from "../../infra/edge-host/preflight";
import { shq } from "../../infra/edge-host/shell";
import { SITE, assertCleanScript, removeTmpDirs, run, tmpDir } from "./helpers";

const NAMES = { bios: "undionly.kpxe", efi: "snponly.efi", arm64Efi: "ipxe-arm64.efi" };
const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/** A stand-in for Debian's ipxe .deb (three small binaries) and its pin, served from `urls`. */
function standInPackage(dir: string, urls: string[]): { pkg: DebianIpxePackage; deb: Buffer; contents: Record<string, string> } {
    const root = path.join(dir, "pkg");
    fs.mkdirSync(path.join(root, "DEBIAN"), { recursive: true });
    fs.mkdirSync(path.join(root, "usr/lib/ipxe"), { recursive: true });
    fs.writeFileSync(path.join(root, "DEBIAN/control"), "Package: ipxe\nVersion: 9.9-test\nArchitecture: all\nMaintainer: test <t@example.invalid>\nDescription: stand-in\n");
    const contents: Record<string, string> = { "undionly.kpxe": "bios binary\n", "snponly.efi": "efi binary\n", "ipxe-arm64.efi": "arm64 binary\n" };
    for (const [f, text] of Object.entries(contents)) fs.writeFileSync(path.join(root, "usr/lib/ipxe", f), text);
    const debFile = path.join(dir, "ipxe_9.9-test_all.deb");
    const built = run("dpkg-deb", ["--root-owner-group", "--build", root, debFile]);
    assert.equal(built.status, 0, built.stderr);
    const deb = fs.readFileSync(debFile);
    const file = (name: string) => ({ path: `usr/lib/ipxe/${name}`, sha256: sha256(contents[name]) });
    const pkg: DebianIpxePackage = {
        ...DEBIAN_IPXE,
        version: "9.9-test",
        debFile: "ipxe_9.9-test_all.deb",
        sha256: sha256(deb),
        size: deb.length,
        urls,
        files: { bios: file("undionly.kpxe"), efi: file("snponly.efi"), arm64Efi: file("ipxe-arm64.efi") },
    };
    return { pkg, deb, contents };
}

/** Runs `lines` with the install script's helpers and variables, asynchronously (the HTTP server lives in this process). */
function runInstallLines(lines: string, vars: { stage: string; tftpRoot: string }): Promise<{ status: number | null; out: string }> {
    const script = `#!/bin/bash\nset -euo pipefail\nSITE=test\nSTAGE='${vars.stage}'\nTFTP_ROOT='${vars.tftpRoot}'\n${INSTALL_HELPERS}\n${lines}\n`;
    return new Promise((resolve, reject) => {
        const child = spawn("bash", ["-c", script], { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (b: Buffer) => (out += b.toString()));
        child.stderr.on("data", (b: Buffer) => (out += b.toString()));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, out }));
    });
}

describe("edge-host install, uninstall and preflight scripts", () => {
    after(removeTmpDirs);

    for (const [label, text] of [
        ["install (pinned Debian iPXE, roots)", renderInstallScript(SITE, { ipxe: { kind: "debian", package: DEBIAN_IPXE }, crossCertDir: "ipxe-roots" })],
        ["install (custom iPXE)", renderInstallScript(SITE, { ipxe: { kind: "custom" } })],
        ["uninstall", renderUninstallScript(SITE)],
        ["preflight", renderPreflightScript(SITE, { sshUser: "ops", vms: true, uefi: true, lvm: true, debianIpxe: true })],
    ]) {
        it(`${label}: bash -n and shellcheck are silent, strict mode is on`, () => assertCleanScript(text));
    }

    it("install only restarts what changed and never prints file contents", () => {
        const install = renderInstallScript(SITE, { ipxe: { kind: "debian", package: DEBIAN_IPXE }, crossCertDir: "ipxe-roots" });
        assert.match(install, /if put "\$STAGE\/"'dnsmasq\.conf' '\/etc\/talos-edge\/site-1\/dnsmasq\.conf' 0600; then dhcp_changed=1; fi/);
        assert.match(install, /systemctl enable --quiet "\$NET_UNIT" "\$DHCP_UNIT"/);
        assert.match(install, /systemctl restart "\$DHCP_UNIT"/);
        assert.match(install, /systemctl daemon-reload/);
        assert.doesNotMatch(install, /\bcat\b/);
    });

    it("uninstall disables both units, runs the teardown and removes every installed path", () => {
        const p = edgeHostPaths("site-1");
        const uninstall = renderUninstallScript(SITE);
        assert.match(uninstall, /systemctl disable --now --quiet "\$unit"/);
        assert.match(uninstall, /"\$TEARDOWN"/);
        for (const dir of [p.configDir, p.libDir, p.stateDir, p.stagingDir]) {
            assert.ok(uninstall.includes(shq(dir)), `does not remove ${dir}`);
        }
    });

    it("preflight rejects an SSH user that could reach a root shell unquoted", () => {
        assert.throws(() => renderPreflightScript(SITE, { sshUser: "root;id", vms: false, uefi: false, lvm: false, debianIpxe: false }), /not a plain Unix user name/);
    });

    it("preflight needs curl and dpkg-deb only when the site serves the pinned Debian iPXE", () => {
        const withDebian = renderPreflightScript(SITE, { sshUser: "root", vms: false, uefi: false, lvm: false, debianIpxe: true });
        assert.ok(withDebian.includes("command -v 'curl' >/dev/null 2>&1 || missing+=('curl')"));
        assert.ok(withDebian.includes("command -v 'dpkg-deb' >/dev/null 2>&1 || missing+=('dpkg')"));
        const custom = renderPreflightScript(SITE, { sshUser: "root", vms: false, uefi: false, lvm: false, debianIpxe: false });
        assert.doesNotMatch(custom, /'curl'/);
    });

    describe("the pinned Debian iPXE, fetched for real from a local HTTP server", function () {
        this.timeout(60_000);
        let server: http.Server;
        let base = "";
        const requests: string[] = [];
        const served: Record<string, Buffer> = {};

        before(async () => {
            server = http.createServer((req, res) => {
                requests.push(req.url ?? "");
                const body = served[req.url ?? ""];
                res.statusCode = body ? 200 : 404;
                res.end(body ?? "");
            });
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        });
        after(() => server?.close());
        beforeEach(() => {
            requests.length = 0;
        });

        it("skips a source that serves other bytes, installs the checked binaries, and uses its cache the next time", async () => {
            const dir = tmpDir();
            const { pkg, deb, contents } = standInPackage(dir, [`${base}/tampered.deb`, `${base}/good.deb`]);
            served["/tampered.deb"] = Buffer.concat([deb, Buffer.from("x")]);
            served["/good.deb"] = deb;
            const tftpRoot = path.join(dir, "tftp");
            const lines = renderDebianIpxeInstall(pkg, NAMES, path.join(dir, "cache"));
            const first = await runInstallLines(lines, { stage: dir, tftpRoot });
            assert.equal(first.status, 0, first.out);
            assert.deepEqual(requests, ["/tampered.deb", "/good.deb"]);
            assert.match(first.out, /tampered\.deb did not serve the pinned file \(SHA-256 mismatch\)/);
            for (const name of Object.values(NAMES)) {
                assert.equal(fs.readFileSync(path.join(tftpRoot, name), "utf8"), contents[name]);
                assert.match(first.out, new RegExp(`installed ${name.replace(".", "\\.")} from ipxe 9\\.9-test`));
            }
            assert.deepEqual(fs.readdirSync(path.join(dir, "cache")), ["ipxe_9.9-test_all.deb"]);

            requests.length = 0;
            const again = await runInstallLines(lines, { stage: dir, tftpRoot });
            assert.equal(again.status, 0, again.out);
            assert.deepEqual(requests, [], "the cached, checked package is not fetched again");
            assert.doesNotMatch(again.out, /installed/, "unchanged binaries are left alone");
        });

        it("fails without installing anything when no source serves the pinned bytes, or a binary does not match its pin", async () => {
            const dir = tmpDir();
            const { pkg, deb } = standInPackage(dir, [`${base}/other.deb`, `${base}/missing.deb`]);
            served["/other.deb"] = Buffer.from("not the package");
            const tftpRoot = path.join(dir, "tftp");
            const none = await runInstallLines(renderDebianIpxeInstall(pkg, NAMES, path.join(dir, "cache")), { stage: dir, tftpRoot });
            assert.equal(none.status, 1);
            assert.match(none.out, /ERROR: could not fetch ipxe_9\.9-test_all\.deb with SHA-256 [0-9a-f]{64} from any source/);
            assert.ok(!fs.existsSync(tftpRoot));

            served["/good2.deb"] = deb;
            const wrongBinary = { ...pkg, urls: [`${base}/good2.deb`], files: { ...pkg.files, bios: { ...pkg.files.bios, sha256: sha256("something else") } } };
            const bad = await runInstallLines(renderDebianIpxeInstall(wrongBinary, NAMES, path.join(dir, "cache")), { stage: dir, tftpRoot });
            assert.equal(bad.status, 1);
            assert.match(bad.out, /ERROR: usr\/lib\/ipxe\/undionly\.kpxe in ipxe_9\.9-test_all\.deb does not have its pinned SHA-256/);
            assert.ok(!fs.existsSync(path.join(tftpRoot, "undionly.kpxe")));
        });

        it("refuses a malformed pin before rendering anything", () => {
            assert.throws(() => renderDebianIpxeInstall({ ...DEBIAN_IPXE, sha256: "abc" }, NAMES), /package pin "ipxe" .* is malformed/);
            assert.throws(() => renderDebianIpxeInstall({ ...DEBIAN_IPXE, urls: ["https://x.example/a b"] }, NAMES), /is not a plain http\(s\) URL/);
            assert.throws(() => renderDebianIpxeInstall({ ...DEBIAN_IPXE, files: { ...DEBIAN_IPXE.files, efi: { path: "../etc/passwd", sha256: DEBIAN_IPXE.sha256 } } }, NAMES), /is malformed/);
        });
    });

    it("writes iPXE's root files from the staged list and replaces a stale set", async () => {
        const dir = tmpDir();
        const tftpRoot = path.join(dir, "tftp");
        fs.writeFileSync(path.join(dir, STAGED_FILES.ipxeRoots), renderRootsList(GOOGLE_RUN_APP_TRUST.crossCerts));
        const first = await runInstallLines(renderRootsInstall("ipxe-roots"), { stage: dir, tftpRoot });
        assert.equal(first.status, 0, first.out);
        const rootsDir = path.join(tftpRoot, "ipxe-roots");
        assert.deepEqual(fs.readdirSync(rootsDir).sort(), GOOGLE_RUN_APP_TRUST.crossCerts.map((c) => c.fileName).sort());
        for (const c of GOOGLE_RUN_APP_TRUST.crossCerts) assert.ok(fs.readFileSync(path.join(rootsDir, c.fileName)).equals(c.der), c.subject);

        const r1Only = ipxeTrustAnchors("R1 only", pemCertificates(fs.readFileSync("/usr/share/ca-certificates/mozilla/GTS_Root_R1.crt", "utf8")));
        fs.writeFileSync(path.join(dir, STAGED_FILES.ipxeRoots), renderRootsList(r1Only.crossCerts));
        const second = await runInstallLines(renderRootsInstall("ipxe-roots"), { stage: dir, tftpRoot });
        assert.equal(second.status, 0, second.out);
        assert.deepEqual(fs.readdirSync(rootsDir), [r1Only.crossCerts[0].fileName]);

        fs.writeFileSync(path.join(dir, STAGED_FILES.ipxeRoots), "../../etc/passwd AAAA\n");
        const hostile = await runInstallLines(renderRootsInstall("ipxe-roots"), { stage: dir, tftpRoot });
        assert.equal(hostile.status, 1);
        assert.match(hostile.out, /malformed line/);
    });
});
