/**
 * The read-only admin API over real HTTP on 127.0.0.1: who may call it (only the bearer admin
 * credential, never a site token, never in a URL), what it lists (pending machines, enrolled
 * machines and those awaiting a config, everything about one MAC, with stack-config positions),
 * and that it counts against the rate limit and never logs the credential.
 */
import { strict as assert } from "node:assert";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../infra/boot-server/src/app";
import type { EnrolledAnswer, MachineAnswer, PendingAnswer } from "../../infra/boot-server/src/admin/views";
import { parseAdminToken, parseBootSettings, SettingsError, type BootSettingsInput } from "../../infra/boot-server/src/settings";
import { createPgliteStore } from "../../infra/boot-server/src/store/pglite";
import type { BootStore } from "../../infra/boot-server/src/store/types";
import { BASE_CONFIG, BETA1, EDGE1, EDGE2, FakeMinter, NEWBIE, rawRequest, RawResponse, settingsInput, SITE_TOKENS } from "./fixtures";

const ADMIN_TOKEN = "adminTokenZZZZZZZZZZZZZZZZZZZZZZZZZZ9";

describe("boot-server admin API (HTTP)", function () {
    this.timeout(60_000);

    const logs: string[] = [];
    const apps: FastifyInstance[] = [];
    let store: BootStore;
    let port: number;

    async function start(input: BootSettingsInput, adminToken: string | undefined): Promise<number> {
        const app = await buildApp({
            settings: parseBootSettings(input),
            secrets: { baseConfig: BASE_CONFIG, siteTokens: SITE_TOKENS, adminToken },
            store,
            minter: new FakeMinter(),
            logSink: { write: (line: string) => void logs.push(line) },
        });
        await app.listen({ port: 0, host: "127.0.0.1" });
        apps.push(app);
        return (app.server.address() as AddressInfo).port;
    }

    const admin = (path: string, token: string | undefined = ADMIN_TOKEN, at = port, extra: Record<string, string> = {}): Promise<RawResponse> =>
        rawRequest(at, { path, headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...extra } });

    function machineQuery(m: { mac: string; uuid?: string; serial?: string }, token = SITE_TOKENS.alpha, arch = "x86_64"): string {
        return `token=${token}&mac=${m.mac.replace(/:/g, "-")}&uuid=${m.uuid ?? ""}&serial=${encodeURIComponent(m.serial ?? "")}&arch=${arch}&platform=efi`;
    }

    before(async () => {
        store = await createPgliteStore();
        port = await start(settingsInput(), ADMIN_TOKEN);
        // A pending machine (twice, from the same address) and an enrolled one.
        for (let i = 0; i < 2; i++) {
            const r = await rawRequest(port, { path: `/v1/sites/alpha/machine.ipxe?${machineQuery({ ...NEWBIE, serial: "NEW 01" })}` });
            assert.equal(r.status, 200, r.body);
        }
        const boot = await rawRequest(port, { path: `/v1/sites/alpha/machine.ipxe?${machineQuery(EDGE1)}` });
        const ticket = /\/v1\/config\/([A-Za-z0-9_-]{43})/.exec(boot.body)?.[1];
        assert.ok(ticket, boot.body);
        assert.equal((await rawRequest(port, { path: `/v1/config/${ticket}` })).status, 200);
    });

    after(async () => {
        for (const app of apps) await app.close();
        await store?.close();
    });

    it("lists pending machines with what the inventory entry needs and where it goes", async () => {
        const res = await admin("/v1/admin/machines/pending");
        assert.equal(res.status, 200, res.body);
        assert.match(res.headers["content-type"] ?? "", /^application\/json/);
        assert.equal(res.headers["cache-control"], "no-store");
        const body = JSON.parse(res.body) as PendingAnswer;
        assert.deepEqual(body.sites, [
            { name: "alpha", index: 0, machineCount: 2 },
            { name: "beta", index: 1, machineCount: 1 },
        ]);
        assert.equal(body.pending.length, 1);
        const p = body.pending[0];
        assert.deepEqual(
            { site: p.site, mac: p.mac, uuid: p.uuid, serial: p.serial, arch: p.arch, platform: p.platform, talosArch: p.talosArch, seenCount: p.seenCount, sourceIp: p.sourceIp },
            { site: "alpha", mac: NEWBIE.mac, uuid: NEWBIE.uuid, serial: "NEW 01", arch: "x86_64", platform: "efi", talosArch: "amd64", seenCount: 2, sourceIp: "127.0.0.1" },
        );
        assert.match(p.firstSeen, /^\d{4}-\d\d-\d\dT/);
        const beta = JSON.parse((await admin("/v1/admin/machines/pending?site=beta")).body) as PendingAnswer;
        assert.deepEqual(beta.pending, [], "narrowed to one site");
    });

    it("lists enrolled machines and the inventory machines still awaiting a config, with positions", async () => {
        const res = await admin("/v1/admin/machines/enrolled");
        assert.equal(res.status, 200, res.body);
        const body = JSON.parse(res.body) as EnrolledAnswer;
        assert.deepEqual(body.enrolled.map((e) => [e.site, e.machine, e.enrollment, e.current]), [["alpha", "edge-1", 1, true]]);
        const e = body.enrolled[0];
        assert.equal(e.mac, EDGE1.mac);
        assert.equal(e.keyBackend, "fake");
        assert.match(e.ticketRef, /^[0-9a-f]{12}$/);
        assert.deepEqual(e.inventory?.position, { siteIndex: 0, machineIndex: 0 });
        assert.deepEqual(
            body.awaiting.map((a) => [a.site, a.machine, a.position.siteIndex, a.position.machineIndex, a.enrollment]),
            [
                ["alpha", "edge-2", 0, 1, 1],
                ["beta", "beta-1", 1, 0, 1],
            ],
        );
        const beta = JSON.parse((await admin("/v1/admin/machines/enrolled?site=beta")).body) as EnrolledAnswer;
        assert.deepEqual(beta.enrolled, []);
        assert.deepEqual(beta.awaiting.map((a) => a.machine), [BETA1.name]);
    });

    it("shows everything about one MAC, in either MAC form; 404 machine_unknown for a MAC nobody knows", async () => {
        const known = JSON.parse((await admin(`/v1/admin/machines/${EDGE1.mac.replace(/:/g, "-").toUpperCase()}`)).body) as MachineAnswer;
        assert.equal(known.mac, EDGE1.mac);
        assert.equal(known.inventory.length, 1);
        assert.deepEqual(
            { ...known.inventory[0] },
            {
                site: "alpha",
                machine: "edge-1",
                position: { siteIndex: 0, machineIndex: 0 },
                mac: EDGE1.mac,
                uuid: EDGE1.uuid,
                serial: EDGE1.serial,
                arch: "amd64",
                enrollment: 1,
                enrolledForCurrentGeneration: true,
            },
        );
        assert.equal(known.enrollments.length, 1);
        assert.deepEqual(known.pending, []);

        const pending = JSON.parse((await admin(`/v1/admin/machines/${NEWBIE.mac}`)).body) as MachineAnswer;
        assert.deepEqual(pending.inventory, []);
        assert.equal(pending.pending[0]?.serial, "NEW 01");

        const unknown = await admin("/v1/admin/machines/52:54:00:99:99:99");
        assert.equal(unknown.status, 404);
        assert.deepEqual(JSON.parse(unknown.body), { error: "machine_unknown" });
        const edge2 = JSON.parse((await admin(`/v1/admin/machines/${EDGE2.mac}`)).body) as MachineAnswer;
        assert.equal(edge2.inventory[0]?.enrolledForCurrentGeneration, false);
    });

    describe("who may call it", () => {
        const refusals: Array<{ name: string; path?: string; headers: Record<string, string>; status: number; error: string; field?: string }> = [
            { name: "no Authorization header", headers: {}, status: 401, error: "token_required" },
            { name: "a wrong bearer token", headers: { authorization: `Bearer ${"w".repeat(ADMIN_TOKEN.length)}` }, status: 403, error: "forbidden" },
            { name: "the admin token one character short", headers: { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }, status: 403, error: "forbidden" },
            { name: "a site token as the bearer", headers: { authorization: `Bearer ${SITE_TOKENS.alpha}` }, status: 403, error: "forbidden" },
            { name: "the admin token in Basic auth", headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString("base64")}` }, status: 403, error: "forbidden" },
            { name: "the admin token with no scheme", headers: { authorization: ADMIN_TOKEN }, status: 403, error: "forbidden" },
            { name: "the admin token in the query string", path: `/v1/admin/machines/pending?token=${ADMIN_TOKEN}`, headers: {}, status: 400, error: "invalid_request" },
            { name: "a site token in the query string", path: `/v1/admin/machines/enrolled?token=${SITE_TOKENS.alpha}`, headers: {}, status: 400, error: "invalid_request" },
            { name: "a site that is no DNS label", path: "/v1/admin/machines/pending?site=ALPHA", headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, status: 400, error: "invalid_request", field: "site" },
            { name: "a MAC that is no MAC", path: "/v1/admin/machines/52-54-00-00-01", headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, status: 400, error: "invalid_request", field: "mac" },
        ];
        for (const row of refusals) {
            it(`refuses ${row.name} -> ${row.status} ${row.error}`, async () => {
                const res = await rawRequest(port, { path: row.path ?? "/v1/admin/machines/pending", headers: row.headers });
                assert.equal(res.status, row.status, res.body);
                const body = JSON.parse(res.body) as Record<string, unknown>;
                assert.equal(body.error, row.error);
                if (row.field) assert.equal(body.field, row.field);
                assert.ok(!res.body.includes(NEWBIE.mac), "no machine listed on a refusal");
                if (row.status === 401) assert.equal(res.headers["www-authenticate"], 'Bearer realm="talos-boot-admin"');
            });
        }

        it("answers 403 admin_disabled on a service without BOOT_ADMIN_TOKEN, whatever is sent", async () => {
            const off = await start(settingsInput(), undefined);
            for (const token of [ADMIN_TOKEN, SITE_TOKENS.alpha, undefined]) {
                const res = await admin("/v1/admin/machines/pending", token, off);
                assert.equal(res.status, 403);
                assert.deepEqual(JSON.parse(res.body), { error: "admin_disabled" });
            }
        });

        it("counts admin requests against the per-address rate limit", async () => {
            const limited = await start(settingsInput({ rateLimitPerMinute: 2 }), ADMIN_TOKEN);
            const statuses = [];
            for (let i = 0; i < 3; i++) statuses.push((await admin("/v1/admin/machines/enrolled", ADMIN_TOKEN, limited)).status);
            assert.deepEqual(statuses, [200, 200, 429]);
        });

        it("audits every refusal and read, and never logs the credential or the Authorization header", () => {
            const lines = logs.map((l) => JSON.parse(l) as Record<string, any>);
            const reasons = new Set(lines.filter((l) => l.event === "admin_refused").map((l) => l.reason));
            assert.deepEqual([...reasons].sort(), ["disabled", "malformed", "mismatch", "missing"]);
            assert.ok(lines.some((l) => l.event === "admin_read" && l.what === "pending" && l.count === 1));
            assert.ok(lines.some((l) => l.event === "admin_read" && l.what === "machine" && l.mac === EDGE1.mac));
            for (const line of logs) {
                assert.ok(!line.includes(ADMIN_TOKEN) && !line.includes(ADMIN_TOKEN.slice(0, -1)), `admin token in ${line}`);
                assert.ok(!/authorization|bearer/i.test(line), `authorization header in ${line}`);
                for (const t of Object.values(SITE_TOKENS)) assert.ok(!line.includes(t), `site token in ${line}`);
            }
        });
    });

    describe("BOOT_ADMIN_TOKEN", () => {
        it("is optional, and taken as given when well-formed", () => {
            assert.equal(parseAdminToken(undefined, SITE_TOKENS), undefined);
            assert.equal(parseAdminToken("  ", SITE_TOKENS), undefined);
            assert.equal(parseAdminToken(`${ADMIN_TOKEN}\n`, SITE_TOKENS), ADMIN_TOKEN);
        });

        it("refuses a site token, naming the site and never the value", () => {
            assert.throws(
                () => parseAdminToken(SITE_TOKENS.beta, SITE_TOKENS),
                (err: Error) => err instanceof SettingsError && /site token of site "beta"/.test(err.message) && !err.message.includes(SITE_TOKENS.beta),
            );
        });

        it("refuses a short or oddly-charactered token without quoting it", () => {
            for (const bad of ["short-token", `${"a".repeat(30)} b`, `${"a".repeat(30)}/`]) {
                assert.throws(
                    () => parseAdminToken(bad, SITE_TOKENS),
                    (err: Error) => err instanceof SettingsError && /BOOT_ADMIN_TOKEN: must be 22\.\.128 characters/.test(err.message) && !err.message.includes(bad.trim()),
                );
            }
        });
    });
});
