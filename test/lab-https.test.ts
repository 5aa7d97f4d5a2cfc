/**
 * The lab's HTTPS parts (issue 14): the HTTPS, credentials and wrong-pin checks the lab runs on
 * what its TLS front end and the VMs' consoles report, and the `talos.config.early` argument that
 * makes real Talos trust the lab root. The boots themselves run in `npm run lab`.
 *
 * Needs the apt packages zstd and ca-certificates.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { parseBootSettings } from "../infra/boot-server/src/settings";
import { labBootSettings, OFFLINE_INSTALLER_IMAGE, talosTrustedRootsArg, zstdRawFrame } from "../infra/lab/boot-service";
import { checkHttpsChain, checkWrongPin, HttpsRequestSeen, negotiated } from "../infra/lab/https-checks";

describe("lab: the real-Talos path trusts the lab root through talos.config.early", () => {
    it("wraps the TrustedRootsConfig in a zstd frame that zstd itself decodes", () => {
        const data = Buffer.from("apiVersion: v1alpha1\nkind: TrustedRootsConfig\n".repeat(40));
        const frame = zstdRawFrame(data);
        const out = spawnSync("zstd", ["-d", "-c"], { input: frame });
        assert.equal(out.status, 0, String(out.stderr));
        assert.ok(Buffer.from(out.stdout).equals(data));
        assert.throws(() => zstdRawFrame(Buffer.alloc(200 * 1024)), /more than one block/);
    });

    it("puts the root in a TrustedRootsConfig argument the service accepts as a kernel argument", () => {
        const pem = fs.readFileSync("/usr/share/ca-certificates/mozilla/GTS_Root_R1.crt", "utf8");
        const arg = talosTrustedRootsArg(pem);
        const m = /^talos\.config\.early=([A-Za-z0-9+/=]+)$/.exec(arg);
        assert.ok(m, arg.slice(0, 40));
        const out = spawnSync("zstd", ["-d", "-c"], { input: Buffer.from(m[1]!, "base64") });
        const doc = parseYaml(Buffer.from(out.stdout).toString()) as Record<string, string>;
        assert.equal(doc.kind, "TrustedRootsConfig");
        assert.equal(doc.certificates, pem.trim() + "\n");
        // The boot service validates kernel arguments: it must accept this one.
        const settings = parseBootSettings(labBootSettings({ assetsUrl: "http://10.77.0.1:8081/assets", kernelName: "k", initramfsName: "i", tailscaleApiUrl: "http://127.0.0.1:1", installerImage: OFFLINE_INSTALLER_IMAGE, kernelArgs: [arg] }));
        assert.ok(settings.kernelArgs.includes(arg));
    });
});

describe("lab: HTTPS chain checks", () => {
    const req = (path: string, status: number, auth: string, extra: Partial<HttpsRequestSeen> = {}): HttpsRequestSeen => ({ path, status, auth, queryHasToken: false, tls: "TLSv1.2", cipher: "ECDHE-RSA-AES256-GCM-SHA384", ...extra });
    const good = [
        req("/v1/sites/lab/boot.ipxe", 401, "none"),
        req("/v1/sites/lab/boot.ipxe", 200, "basic"),
        req("/v1/sites/lab/machine.ipxe", 401, "none"),
        req("/v1/sites/lab/machine.ipxe", 200, "basic"),
        req("/v1/config/[ticket]", 200, "none", { cipher: "ECDHE-RSA-AES128-GCM-SHA256" }),
    ];

    it("passes the chain iPXE and the stand-in walk, and names what they negotiated", () => {
        assert.deepEqual(checkHttpsChain("BIOS", "lab", good, 0).filter((c) => !c.ok), []);
        assert.equal(negotiated(good), "TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384");
    });

    it("fails a site script served without the challenge, a token in a query, a request below TLS 1.2, a missing config fetch", () => {
        const failed = (rs: HttpsRequestSeen[], warnings = 0) => checkHttpsChain("UEFI", "lab", rs, warnings).filter((c) => !c.ok).map((c) => c.name);
        assert.deepEqual(failed([good[1]!, ...good.slice(2)]), ["UEFI: site script over HTTPS: 401 challenge, then served for Basic credentials"]);
        assert.deepEqual(failed(good.map((r, i) => (i === 1 ? { ...r, queryHasToken: true } : r))), ["UEFI: the site token only as credentials, never in a query string"]);
        assert.deepEqual(failed(good, 1), ["UEFI: the site token only as credentials, never in a query string"]);
        assert.deepEqual(failed(good.map((r, i) => (i === 4 ? { ...r, tls: "TLSv1.1" } : r))), ["UEFI: every request over TLS 1.2"]);
        assert.deepEqual(failed(good.slice(0, 4)), ["UEFI: talos.config fetched over HTTPS"]);
        assert.deepEqual(failed(good.map((r, i) => (i === 3 ? { ...r, auth: "none" } : r))), ["UEFI: machine script over HTTPS with the same credentials"]);
    });

    it("passes the wrong-pin VM only when it refused and nothing reached the service", () => {
        const refused = { consoleRefusal: "Permission denied (https://ipxe.org/0216eb3c)", handshakesAborted: 1, requests: 0, issued: [] };
        assert.deepEqual(checkWrongPin("lab-edge-03", refused).filter((c) => !c.ok), []);
        assert.equal(checkWrongPin("lab-edge-03", { ...refused, consoleRefusal: undefined }).filter((c) => !c.ok).length, 1);
        assert.equal(checkWrongPin("lab-edge-03", { ...refused, requests: 2, issued: ["site-script"] }).filter((c) => !c.ok).length, 1);
    });
});
