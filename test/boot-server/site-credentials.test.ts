/**
 * The site token as HTTP Basic credentials, over real HTTP on 127.0.0.1 (docs/decisions/0008):
 * the URL the stack hands DHCP (`siteBootUrl`) carries `<site>:<token>@`, the service answers a
 * request without credentials with a Basic challenge, and a client that behaves as iPXE does
 * (retry with the URL's credentials after a 401, resolve the script's relative machine URL against
 * the URL it fetched, keeping the credentials) boots a machine without the token ever appearing
 * in a request line, a script or a log line. The old `?token=` form still boots, with a
 * deprecation warning, for one release.
 */
import { strict as assert } from "node:assert";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../infra/boot-server/src/app";
import { MACHINE_URL } from "../../infra/boot-server/src/ipxe";
import { parseBootSettings } from "../../infra/boot-server/src/settings";
import { createPgliteStore } from "../../infra/boot-server/src/store/pglite";
import type { BootStore } from "../../infra/boot-server/src/store/types";
import { siteBootUrl } from "../../model/bootContract";
import { BASE_CONFIG, EDGE1, expandIpxe, FakeMinter, rawRequest, type RawResponse, settingsInput, SITE_TOKENS } from "./fixtures";

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("boot-server site credentials (HTTP Basic)", function () {
    this.timeout(60_000);
    const logs: string[] = [];
    let app: FastifyInstance;
    let store: BootStore;
    let port: number;
    let base: string;
    /** Every request line the service saw, as a client would have sent it (method + path?query). */
    const requestLines: string[] = [];

    before(async () => {
        store = await createPgliteStore();
        const input = settingsInput();
        input.sites[0].machines.push({ name: "spare-1", mac: "52:54:00:00:0e:01", installDisk: "/dev/vda" }, { name: "spare-2", mac: "52:54:00:00:0e:02", installDisk: "/dev/vda" });
        app = await buildApp({
            settings: parseBootSettings(input),
            secrets: { baseConfig: BASE_CONFIG, siteTokens: SITE_TOKENS },
            store,
            minter: new FakeMinter(),
            logSink: { write: (line: string) => void logs.push(line) },
        });
        app.addHook("onRequest", async (req) => {
            requestLines.push(req.raw.url ?? "");
        });
        await app.listen({ port: 0, host: "127.0.0.1" });
        port = (app.server.address() as AddressInfo).port;
        base = `http://127.0.0.1:${port}`;
    });
    after(async () => {
        await app?.close();
        await store?.close();
    });

    const get = (path: string, headers?: Record<string, string>): Promise<RawResponse> => rawRequest(port, { path, headers });
    const parsedLogs = () => logs.map((l) => JSON.parse(l) as Record<string, unknown>);

    /**
     * GET `url` as iPXE does: no credentials first; after a 401 with a Basic challenge, once more
     * with the URL's user and password. Returns the final answer and how many requests it took.
     */
    async function ipxeGet(url: string): Promise<{ res: RawResponse; requests: number }> {
        const u = new URL(url);
        const path = `${u.pathname}${u.search}`;
        const first = await get(path);
        if (first.status !== 401 || u.username === "") return { res: first, requests: 1 };
        assert.match(first.headers["www-authenticate"] ?? "", /^Basic realm="[^"]+"/, "iPXE retries only on a Basic (or Digest) challenge");
        const second = await get(path, { authorization: basic(decodeURIComponent(u.username), decodeURIComponent(u.password)) });
        return { res: second, requests: 2 };
    }

    /** The URL of the script's `chain` line, resolved as iPXE resolves it (against the script's own URL, keeping credentials). */
    function chainTarget(script: string, scriptUrl: string): string {
        const m = /^chain --replace --autofree (\S+) \|\| goto retry$/m.exec(script);
        assert.ok(m, script);
        return new URL(m[1], scriptUrl).href;
    }

    it("boots a machine with the URL the stack hands DHCP: challenge, credentials, relative chain, ticket, config", async () => {
        requestLines.length = 0;
        const dhcpUrl = siteBootUrl(base, "alpha", SITE_TOKENS.alpha);
        assert.equal(new URL(dhcpUrl).search, "", "no query string in the DHCP-provided URL");

        const site = await ipxeGet(dhcpUrl);
        assert.equal(site.requests, 2);
        assert.equal(site.res.status, 200, site.res.body);
        assert.ok(site.res.body.includes(`chain --replace --autofree ${MACHINE_URL} || goto retry`), site.res.body);
        assert.ok(!site.res.body.includes(SITE_TOKENS.alpha), "the site script carries no token");

        const machineUrl = expandIpxe(chainTarget(site.res.body, dhcpUrl), { mac: EDGE1.mac, uuid: EDGE1.uuid, serial: EDGE1.serial, buildarch: "x86_64", platform: "efi" });
        assert.equal(new URL(machineUrl).username, "alpha", "resolving the relative URL keeps the credentials");
        const machine = await ipxeGet(machineUrl);
        assert.equal(machine.res.status, 200, machine.res.body);
        const ticket = /talos\.config=\S+\/v1\/config\/([A-Za-z0-9_-]{43})/.exec(machine.res.body)?.[1];
        assert.ok(ticket, machine.res.body);

        const config = await get(`/v1/config/${ticket}`);
        assert.equal(config.status, 200);

        // Four script requests (two challenges) and the config fetch; no token in any request line.
        assert.equal(requestLines.length, 5);
        for (const line of requestLines) assert.ok(!line.includes(SITE_TOKENS.alpha) && !line.includes("token="), `token in request line ${line}`);
        const challenges = parsedLogs().filter((l) => l.event === "token_refused" && l.reason === "missing");
        assert.ok(challenges.length >= 2);
    });

    it("answers a request without credentials 401 with a Basic challenge, on both script routes", async () => {
        for (const path of ["/v1/sites/alpha/boot.ipxe", `/v1/sites/alpha/machine.ipxe?mac=52-54-00-00-01-01&uuid=&serial=&arch=x86_64&platform=efi`]) {
            const res = await get(path);
            assert.equal(res.status, 401, path);
            assert.deepEqual(JSON.parse(res.body), { error: "token_required" });
            assert.equal(res.headers["www-authenticate"], 'Basic realm="talos-cloud-edge site", charset="UTF-8"');
        }
    });

    it("refuses wrong credentials with 403 and no challenge (iPXE gives up), telling the cases apart only in the audit log", async () => {
        const cases: Array<{ name: string; site: string; header: string; reason: string }> = [
            { name: "wrong token", site: "alpha", header: basic("alpha", "x".repeat(SITE_TOKENS.alpha.length)), reason: "mismatch" },
            { name: "another site's token", site: "alpha", header: basic("alpha", SITE_TOKENS.beta), reason: "mismatch" },
            { name: "the right token under another site's name", site: "alpha", header: basic("beta", SITE_TOKENS.alpha), reason: "user_mismatch" },
            { name: "no user", site: "alpha", header: basic("", SITE_TOKENS.alpha), reason: "user_mismatch" },
            { name: "a site that does not exist", site: "gamma", header: basic("gamma", SITE_TOKENS.alpha), reason: "unknown_site" },
            { name: "not Basic", site: "alpha", header: `Bearer ${SITE_TOKENS.alpha}`, reason: "malformed" },
            { name: "Basic without a colon", site: "alpha", header: `Basic ${Buffer.from(SITE_TOKENS.alpha).toString("base64")}`, reason: "malformed" },
        ];
        for (const c of cases) {
            logs.length = 0;
            const res = await get(`/v1/sites/${c.site}/boot.ipxe`, { authorization: c.header });
            assert.equal(res.status, 403, c.name);
            assert.deepEqual(JSON.parse(res.body), { error: "forbidden" }, c.name);
            assert.equal(res.headers["www-authenticate"], undefined, `${c.name}: a second challenge would only repeat the same credentials`);
            const refused = parsedLogs().filter((l) => l.event === "token_refused");
            assert.deepEqual(refused.map((l) => l.reason), [c.reason], c.name);
            for (const line of logs) assert.ok(!line.includes(SITE_TOKENS.alpha) && !line.includes(c.header.split(" ")[1]), `${c.name}: credentials in a log line`);
        }
    });

    it("still boots from an old ?token= URL for one release: legacy machine URL, a deprecation warning, no token logged", async () => {
        logs.length = 0;
        const res = await get(`/v1/sites/alpha/boot.ipxe?token=${SITE_TOKENS.alpha}`);
        assert.equal(res.status, 200, res.body);
        // The old DHCP URL has no credentials for a relative URL to inherit: the script keeps the old form.
        const target = chainTarget(res.body, `${base}/v1/sites/alpha/boot.ipxe?token=${SITE_TOKENS.alpha}`);
        assert.ok(target.startsWith(`${base}/v1/sites/alpha/machine.ipxe?token=${SITE_TOKENS.alpha}&mac=`), target);
        const machine = await get(new URL(expandIpxe(target, { mac: "52:54:00:00:0e:01", buildarch: "x86_64", platform: "efi" })).href.replace(base, ""));
        assert.equal(machine.status, 200, machine.body);
        const warnings = parsedLogs().filter((l) => l.event === "token_in_query");
        assert.equal(warnings.length, 2);
        for (const w of warnings) {
            assert.equal(w.severity, "WARNING");
            assert.equal(w.site, "alpha");
            assert.match(String(w.message), /deprecated, refused from the next release; run pulumi up/);
        }
        for (const line of logs) assert.ok(!line.includes(SITE_TOKENS.alpha), `token in a log line: ${line}`);
        // Credentials win over a query token; the query token is still reported.
        logs.length = 0;
        const both = await get(`/v1/sites/alpha/boot.ipxe?token=${"z".repeat(30)}`, { authorization: basic("alpha", SITE_TOKENS.alpha) });
        assert.equal(both.status, 200);
        assert.ok(both.body.includes(MACHINE_URL));
        assert.equal(parsedLogs().filter((l) => l.event === "token_in_query").length, 1);
    });

    it("sends the unknown machine's wait script to the relative machine URL too", async () => {
        const url = `${base}/v1/sites/alpha/machine.ipxe?mac=52-54-00-00-0f-0f&uuid=&serial=&arch=x86_64&platform=efi`;
        const res = await get(new URL(url).pathname + new URL(url).search, { authorization: basic("alpha", SITE_TOKENS.alpha) });
        assert.equal(res.status, 200, res.body);
        assert.match(res.body, /is not in the inventory of site alpha/);
        assert.ok(res.body.includes(`chain --replace --autofree ${MACHINE_URL} || goto retry`));
        assert.ok(!res.body.includes(SITE_TOKENS.alpha));
    });
});
