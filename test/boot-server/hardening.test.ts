/**
 * The HTTP hardening properties, each over real HTTP on 127.0.0.1:
 *  - every answered request counts against the per-address rate limit, refusals included
 *    (400 framework errors, 404, 405, 413, 414), and only /healthz is exempt;
 *  - long paths get the documented 414, whichever layer sees them first;
 *  - answers of the HTTP layer (400, 408, 431, 414) carry Cache-Control: no-store and
 *    X-Content-Type-Options: nosniff;
 *  - no X-Forwarded-* header is trusted by default (trustedProxyHops 0), and with publicUrl set
 *    no Host or X-Forwarded-Host changes the URLs written into scripts;
 *  - /healthz fails when the store cannot write (closed PGlite; PostgreSQL refusing writes).
 */
import { strict as assert } from "node:assert";
import * as crypto from "node:crypto";
import * as net from "node:net";
import type { AddressInfo, Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import { Client } from "pg";
import { buildApp } from "../../infra/boot-server/src/app";
import { clientErrorAnswer, clientErrorHandler } from "../../infra/boot-server/src/http/hardening";
import { STORE_HEALTH_TTL_MS, StoreWriteProbe } from "../../infra/boot-server/src/http/store-health";
import { parseBootSettings, type BootSettingsInput } from "../../infra/boot-server/src/settings";
import { createPgliteStore } from "../../infra/boot-server/src/store/pglite";
import { createPostgresStore } from "../../infra/boot-server/src/store/postgres";
import type { BootStore } from "../../infra/boot-server/src/store/types";
import { BASE_CONFIG, FakeMinter, rawRequest, RawResponse, settingsInput, SITE_TOKENS } from "./fixtures";

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || "postgres://talos_boot:talos_boot@127.0.0.1:5432/talos_boot_test";
const A = SITE_TOKENS.alpha;

function assertAlwaysHeaders(res: { headers: Record<string, unknown> }, what: string): void {
    assert.equal(res.headers["cache-control"], "no-store", `${what}: Cache-Control`);
    assert.equal(res.headers["x-content-type-options"], "nosniff", `${what}: X-Content-Type-Options`);
}

/** Sends raw bytes; parses the status line and headers of what comes back. */
function rawExchange(port: number, bytes: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    return new Promise((resolve, reject) => {
        const socket = net.connect(port, "127.0.0.1", () => socket.write(bytes));
        let out = "";
        socket.on("data", (d) => (out += d.toString("latin1")));
        socket.on("error", reject);
        socket.on("close", () => {
            const [head, body = ""] = out.split("\r\n\r\n");
            const [statusLine, ...lines] = head.split("\r\n");
            const headers: Record<string, string> = {};
            for (const l of lines) headers[l.slice(0, l.indexOf(":")).toLowerCase()] = l.slice(l.indexOf(":") + 1).trim();
            resolve({ status: Number(statusLine.split(" ")[1]), headers, body });
        });
        setTimeout(() => socket.destroy(), 5000).unref();
    });
}

describe("boot-server hardening (HTTP)", function () {
    this.timeout(120_000);

    const apps: FastifyInstance[] = [];
    let store: BootStore;
    let nowMs = Date.parse("2026-06-01T08:00:00.000Z");

    async function start(input: BootSettingsInput, over: { store?: BootStore } = {}): Promise<{ port: number; logs: string[] }> {
        const logs: string[] = [];
        const app = await buildApp({
            settings: parseBootSettings(input),
            secrets: { baseConfig: BASE_CONFIG, siteTokens: SITE_TOKENS },
            store: over.store ?? store,
            minter: new FakeMinter(),
            logSink: { write: (line: string) => void logs.push(line) },
            now: () => new Date(nowMs),
        });
        await app.listen({ port: 0, host: "127.0.0.1" });
        apps.push(app);
        return { port: (app.server.address() as AddressInfo).port, logs };
    }

    before(async () => {
        store = await createPgliteStore();
    });
    after(async () => {
        for (const app of apps) await app.close();
        await store?.close();
    });

    describe("every answered request counts against the rate limit", () => {
        const kinds: Array<{ name: string; status: number; error: string; send: (port: number) => Promise<RawResponse> }> = [
            { name: "405 (POST to a GET route)", status: 405, error: "method_not_allowed", send: (p) => rawRequest(p, { method: "POST", path: "/healthz" }) },
            {
                name: "413 (a body)",
                status: 413,
                error: "body_too_large",
                send: (p) => rawRequest(p, { method: "POST", path: "/x", headers: { "content-type": "text/plain" }, body: "b".repeat(2000) }),
            },
            { name: "414 (URL over 2048)", status: 414, error: "uri_too_long", send: (p) => rawRequest(p, { path: `/v1/sites/alpha/boot.ipxe?token=${A}&p=${"p".repeat(2100)}` }) },
            { name: "414 (a path segment over 100)", status: 414, error: "uri_too_long", send: (p) => rawRequest(p, { path: `/v1/config/${"c".repeat(150)}` }) },
            { name: "400 (bad percent-encoding)", status: 400, error: "bad_request", send: (p) => rawRequest(p, { path: "/v1/sites/%E0%A4%A/boot.ipxe" }) },
            { name: "400 (invalid parameter)", status: 400, error: "invalid_request", send: (p) => rawRequest(p, { path: "/v1/sites/ALPHA/boot.ipxe?token=x" }) },
            { name: "404 (unrouted)", status: 404, error: "not_found", send: (p) => rawRequest(p, { path: "//v1/config/x" }) },
            { name: "401 (no token)", status: 401, error: "token_required", send: (p) => rawRequest(p, { path: "/v1/sites/alpha/boot.ipxe" }) },
        ];
        for (const kind of kinds) {
            it(`${kind.name}: counted, then refused with 429 rate_limited, and so is the next valid request`, async () => {
                const { port } = await start(settingsInput({ rateLimitPerMinute: 3 }));
                for (let i = 0; i < 3; i++) {
                    const res = await kind.send(port);
                    assert.equal(res.status, kind.status, res.body);
                    assert.equal(JSON.parse(res.body).error, kind.error);
                    assert.equal(res.headers["x-ratelimit-remaining"], String(2 - i), "counted");
                    assertAlwaysHeaders(res, kind.name);
                }
                const over = await kind.send(port);
                assert.equal(over.status, 429, over.body);
                assert.deepEqual(JSON.parse(over.body), { error: "rate_limited" });
                assert.match(over.headers["retry-after"] ?? "", /^[1-9][0-9]*$/);
                assertAlwaysHeaders(over, `${kind.name} over the limit`);
                const valid = await rawRequest(port, { path: `/v1/sites/alpha/boot.ipxe?token=${A}` });
                assert.equal(valid.status, 429);
                assert.equal((await rawRequest(port, { path: "/healthz" })).status, 200, "/healthz is exempt");
            });
        }

        it("keys on the connection's address: X-Forwarded-For is not trusted by default", async () => {
            const input = settingsInput({ rateLimitPerMinute: 2 });
            delete input.trustedProxyHops;
            assert.equal(parseBootSettings(input).trustedProxyHops, 0);
            const { port, logs } = await start(input);
            const statuses = [];
            for (const xff of ["203.0.113.1", "203.0.113.2", "203.0.113.3"]) {
                statuses.push((await rawRequest(port, { path: `/v1/sites/alpha/boot.ipxe?token=${A}`, headers: { "x-forwarded-for": xff } })).status);
            }
            assert.deepEqual(statuses, [200, 200, 429], "three addresses claimed, one counted");
            const audited = logs.map((l) => JSON.parse(l) as Record<string, any>).filter((l) => l.event === "script_issued");
            assert.ok(audited.length > 0 && audited.every((l) => l.req.remoteAddress === "127.0.0.1"));
        });
    });

    describe("long paths get the documented 414", () => {
        let port: number;
        before(async () => {
            ({ port } = await start(settingsInput()));
        });
        const cases: Array<[string, string]> = [
            ["a query string making the URL 2049 characters", `/v1/sites/alpha/boot.ipxe?token=${A}&p=`],
            ["a 101-character ticket", `/v1/config/${"t".repeat(101)}`],
            ["a 150-character site", `/v1/sites/${"s".repeat(150)}/boot.ipxe?token=${A}`],
            ["a 5000-character path", `/v1/sites/${"a".repeat(5000)}/boot.ipxe`],
            ["a 9000-character path (longer than the header limit)", `/v1/sites/${"a".repeat(9000)}/boot.ipxe`],
            ["a 30000-character path", `/${"b".repeat(30000)}`],
        ];
        for (const [name, base] of cases) {
            it(`${name} -> 414 uri_too_long`, async () => {
                const path = base.endsWith("&p=") ? `${base}${"p".repeat(2049 - base.length)}` : base;
                const res = await rawRequest(port, { path });
                assert.equal(res.status, 414, `${path.length} characters: ${res.body}`);
                assert.deepEqual(JSON.parse(res.body), { error: "uri_too_long" });
                assertAlwaysHeaders(res, name);
            });
        }

        it("a 2048-character URL is still served", async () => {
            const base = `/v1/sites/alpha/boot.ipxe?token=${A}&token=`;
            const res = await rawRequest(port, { path: `${base}${"p".repeat(2048 - base.length)}` });
            assert.equal(res.status, 400, "the duplicated token is refused by validation, not by length");
            assert.equal(JSON.parse(res.body).error, "invalid_request");
        });

        it("a header block over 8 KiB with a short URL stays 431 headers_too_large", async () => {
            const res = await rawRequest(port, { path: "/healthz", headers: { "x-padding": "h".repeat(20_000) } });
            assert.equal(res.status, 431);
            assert.deepEqual(JSON.parse(res.body), { error: "headers_too_large" });
            assertAlwaysHeaders(res, "431");
        });

        it("tells an overflowing request line from overflowing headers by the packet the parser saw", () => {
            const overflow = (packet: string) => clientErrorAnswer({ code: "HPE_HEADER_OVERFLOW", rawPacket: Buffer.from(packet, "latin1") });
            assert.deepEqual(overflow(`GET /${"a".repeat(9000)}`), { status: 414, code: "uri_too_long" });
            assert.deepEqual(overflow(`GET /${"a".repeat(3000)} HTTP/1.1\r\nHost: x\r\n`), { status: 414, code: "uri_too_long" });
            assert.deepEqual(overflow(`GET /healthz HTTP/1.1\r\nX-Pad: ${"h".repeat(9000)}`), { status: 431, code: "headers_too_large" });
            assert.deepEqual(overflow("h".repeat(9000)), { status: 431, code: "headers_too_large" }, "a chunk from the middle of the headers");
            assert.deepEqual(clientErrorAnswer({ code: "HPE_HEADER_OVERFLOW" }), { status: 431, code: "headers_too_large" });
            assert.deepEqual(clientErrorAnswer({ code: "ERR_HTTP_REQUEST_TIMEOUT" }), { status: 408, code: "request_timeout" });
            assert.deepEqual(clientErrorAnswer({ code: "HPE_INVALID_METHOD" }), { status: 400, code: "bad_request" });
        });
    });

    describe("answers of the HTTP layer carry the documented headers", () => {
        let port: number;
        before(async () => {
            ({ port } = await start(settingsInput()));
        });

        it("400 for bytes that are no HTTP request", async () => {
            const res = await rawExchange(port, "GARBAGE\r\n\r\n");
            assert.equal(res.status, 400);
            assert.deepEqual(JSON.parse(res.body), { error: "bad_request" });
            assertAlwaysHeaders(res, "400");
        });

        it("400 for a malformed header line", async () => {
            const res = await rawExchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nNot a header\r\n\r\n");
            assert.equal(res.status, 400);
            assertAlwaysHeaders(res, "400");
        });

        it("431 and 414 from the parser", async () => {
            const big = await rawExchange(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${"h".repeat(10_000)}\r\n\r\n`);
            assert.equal(big.status, 431);
            assertAlwaysHeaders(big, "431");
            const long = await rawExchange(port, `GET /${"u".repeat(10_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
            assert.equal(long.status, 414);
            assertAlwaysHeaders(long, "414");
        });

        it("408 for a request that timed out (the handler Node calls, with a socket double)", () => {
            let written = "";
            const socket = { destroyed: false, writable: true, write: (s: string) => void (written += s), destroy: () => undefined } as unknown as Socket;
            const logged: unknown[] = [];
            const app = { log: { info: (o: unknown) => void logged.push(o) } } as unknown as FastifyInstance;
            clientErrorHandler.call(app, { code: "ERR_HTTP_REQUEST_TIMEOUT" }, socket);
            assert.match(written, /^HTTP\/1\.1 408 Request Timeout\r\n/);
            assert.match(written, /\r\ncache-control: no-store\r\n/);
            assert.match(written, /\r\nx-content-type-options: nosniff\r\n/);
            assert.match(written, /\r\n\r\n\{"error":"request_timeout"\}$/);
            assert.deepEqual(logged, [{ clientError: "ERR_HTTP_REQUEST_TIMEOUT", statusCode: 408 }]);
        });
    });

    describe("script URLs", () => {
        it("with publicUrl, no Host or X-Forwarded-Host (even from a trusted proxy) changes them", async () => {
            const { port } = await start(settingsInput({ publicUrl: "https://boot-123456789.europe-west4.run.app", trustedProxyHops: 1 }));
            for (const headers of <Array<Record<string, string>>>[
                { host: "evil.example" },
                { host: "evil.example", "x-forwarded-host": "evil2.example", "x-forwarded-proto": "http", "x-forwarded-for": "203.0.113.5" },
                { "x-forwarded-host": "evil3.example:8443" },
            ]) {
                const res = await rawRequest(port, { path: `/v1/sites/alpha/boot.ipxe?token=${A}`, headers });
                assert.equal(res.status, 200, res.body);
                assert.ok(res.body.includes("chain --replace --autofree https://boot-123456789.europe-west4.run.app/v1/sites/alpha/machine.ipxe?"), res.body);
                assert.ok(!/evil/.test(res.body));
            }
        });

        it("without publicUrl and without trusted proxies, X-Forwarded-Host and -Proto are ignored", async () => {
            const { port } = await start(settingsInput({ trustedProxyHops: 0 }));
            const res = await rawRequest(port, { path: `/v1/sites/alpha/boot.ipxe?token=${A}`, headers: { host: "lab.local:8080", "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" } });
            assert.ok(res.body.includes("--autofree http://lab.local:8080/v1/"), res.body);
        });
    });

    describe("/healthz fails when the store cannot write", () => {
        it("answers 503 store_unavailable once the store is closed", async () => {
            const own = await createPgliteStore();
            const { port, logs } = await start(settingsInput(), { store: own });
            const ok = await rawRequest(port, { path: "/healthz" });
            assert.equal(ok.status, 200);
            assert.deepEqual(JSON.parse(ok.body), { status: "ok" });
            await own.close();
            nowMs += STORE_HEALTH_TTL_MS;
            const down = await rawRequest(port, { path: "/healthz" });
            assert.equal(down.status, 503);
            assert.deepEqual(JSON.parse(down.body), { error: "store_unavailable", status: "unavailable" });
            assertAlwaysHeaders(down, "503");
            assert.ok(logs.some((l) => l.includes("health check: the store cannot write")));
        });

        it("answers 503 while PostgreSQL refuses the service's writes (reads still work), and 200 again once it accepts them", async () => {
            const schema = `health_${crypto.randomBytes(4).toString("hex")}`;
            const admin = new Client({ connectionString: TEST_DATABASE_URL });
            await admin.connect();
            let pg: BootStore | undefined;
            try {
                pg = await createPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
                const { port } = await start(settingsInput(), { store: pg });
                assert.equal((await rawRequest(port, { path: "/healthz" })).status, 200);

                await admin.query(`REVOKE INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} FROM CURRENT_USER`);
                nowMs += STORE_HEALTH_TTL_MS;
                assert.deepEqual(await pg.listPending(), [], "reads still work");
                const down = await rawRequest(port, { path: "/healthz" });
                assert.equal(down.status, 503, down.body);
                assert.equal(JSON.parse(down.body).error, "store_unavailable");

                await admin.query(`GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO CURRENT_USER`);
                assert.equal((await rawRequest(port, { path: "/healthz" })).status, 503, "the answer is kept for the TTL");
                nowMs += STORE_HEALTH_TTL_MS;
                assert.equal((await rawRequest(port, { path: "/healthz" })).status, 200);
            } finally {
                await pg?.close();
                await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
                await admin.end();
            }
        });

        it("writes at most once per TTL however many probes arrive, sharing one check between concurrent ones", async () => {
            let writes = 0;
            let clock = 0;
            let release: () => void = () => undefined;
            const probe = new StoreWriteProbe(
                {
                    checkWritable: () => {
                        writes++;
                        return new Promise<void>((resolve) => (release = resolve));
                    },
                },
                () => clock,
                1000,
            );
            const concurrent = Array.from({ length: 20 }, () => probe.check());
            release();
            const answers = await Promise.all(concurrent);
            assert.equal(writes, 1);
            assert.equal(answers.filter((a) => a.fresh).length, 1, "one caller ran the check");
            assert.ok(answers.every((a) => a.ok));
            for (let i = 0; i < 50; i++) await probe.check();
            assert.equal(writes, 1, "fresh answers are reused");
            clock += 1000;
            const again = probe.check();
            release();
            assert.equal((await again).fresh, true);
            assert.equal(writes, 2);
        });
    });
});
