/**
 * One suite, run against both stores: embedded PGlite and a real PostgreSQL server.
 * PostgreSQL comes from TEST_DATABASE_URL (default: the role and database scripts/setup-dev.sh
 * creates); each run uses its own throwaway schema. If the server is not reachable the
 * PostgreSQL tests fail with instructions: they are not skipped.
 */
import { strict as assert } from "node:assert";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { createPgliteStore } from "../../infra/boot-server/src/store/pglite";
import { createPostgresStore } from "../../infra/boot-server/src/store/postgres";
import type { BootStore, NewTicket } from "../../infra/boot-server/src/store/types";
import { newTicket, ticketId } from "../../infra/boot-server/src/tickets";

const DEFAULT_TEST_DATABASE_URL = "postgres://talos_boot:talos_boot@127.0.0.1:5432/talos_boot_test";
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;

function withoutPassword(url: string): string {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
}

const T0 = new Date("2026-05-01T12:00:00.000Z");
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

function ticket(overrides: Partial<NewTicket> = {}): NewTicket {
    return {
        id: ticketId(newTicket()),
        site: "alpha",
        machine: "edge-1",
        mac: "52:54:00:00:01:01",
        uuid: "11111111-2222-3333-4444-000000000101",
        serial: undefined,
        arch: "x86_64",
        platform: "efi",
        sourceIp: "192.0.2.10",
        createdAt: T0,
        expiresAt: at(900),
        ...overrides,
    };
}

interface Backend {
    name: string;
    /** Opens the store; `reopen` opens the same database again (after `close`). */
    open(): Promise<BootStore>;
    reopen(): Promise<BootStore>;
    cleanup(): Promise<void>;
}

function pgliteBackend(): Backend {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "boot-store-pglite-"));
    return {
        name: "PGlite",
        open: () => createPgliteStore({ dataDir: dir }),
        reopen: () => createPgliteStore({ dataDir: dir }),
        cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
}

function postgresBackend(): Backend {
    const schema = `boot_test_${process.pid}_${crypto.randomBytes(4).toString("hex")}`;
    return {
        name: "PostgreSQL",
        open: async () => {
            try {
                return await createPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
            } catch (err) {
                throw new Error(
                    `PostgreSQL is not reachable at ${withoutPassword(TEST_DATABASE_URL)} (${(err as Error).message}). ` +
                        "Start it with `sudo scripts/setup-dev.sh` (installs PostgreSQL and creates role/database talos_boot/talos_boot_test), " +
                        "or point TEST_DATABASE_URL at a server.",
                );
            }
        },
        reopen: () => createPostgresStore({ connectionString: TEST_DATABASE_URL, schema }),
        cleanup: async () => {
            const client = new Client({ connectionString: TEST_DATABASE_URL });
            await client.connect();
            try {
                await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
            } finally {
                await client.end();
            }
        },
    };
}

for (const make of [pgliteBackend, postgresBackend]) {
    const backend = make();
    describe(`boot-server store (${backend.name})`, function () {
        this.timeout(60_000);
        let store: BootStore;

        before(async () => {
            store = await backend.open();
        });
        after(async () => {
            if (!store) return; // never opened: the before hook already failed with instructions
            await store.close();
            await backend.cleanup();
        });

        it("consumes a ticket exactly once", async () => {
            const t = ticket();
            await store.createTicket(t);
            const first = await store.consumeTicket(t.id, at(10));
            assert.equal(first.status, "consumed");
            assert.equal(first.status === "consumed" && first.ticket.machine, "edge-1");
            assert.equal(first.status === "consumed" && first.ticket.consumedAt?.toISOString(), at(10).toISOString());
            assert.equal(first.status === "consumed" && first.ticket.serial, undefined);
            const again = await store.consumeTicket(t.id, at(11));
            assert.equal(again.status, "used");
        });

        it("gives exactly one of 50 concurrent consumers the ticket", async () => {
            const t = ticket();
            await store.createTicket(t);
            const results = await Promise.all(Array.from({ length: 50 }, () => store.consumeTicket(t.id, at(5))));
            assert.equal(results.filter((r) => r.status === "consumed").length, 1);
            assert.equal(results.filter((r) => r.status === "used").length, 49);
        });

        it("refuses an expired ticket and does not consume it", async () => {
            const t = ticket({ expiresAt: at(900) });
            await store.createTicket(t);
            assert.equal((await store.consumeTicket(t.id, at(900))).status, "expired", "expiry is exclusive");
            assert.equal((await store.consumeTicket(t.id, at(899))).status, "consumed");
        });

        it("supersedes a machine's unused ticket when it gets a new one", async () => {
            const older = ticket({ machine: "edge-9", createdAt: at(0) });
            const other = ticket({ machine: "edge-8", createdAt: at(0) });
            await store.createTicket(older);
            await store.createTicket(other);
            const newer = ticket({ machine: "edge-9", createdAt: at(60), expiresAt: at(960) });
            await store.createTicket(newer);
            assert.equal((await store.consumeTicket(older.id, at(61))).status, "expired");
            assert.equal((await store.consumeTicket(newer.id, at(61))).status, "consumed");
            assert.equal((await store.consumeTicket(other.id, at(61))).status, "consumed", "other machines keep theirs");
        });

        it("reports an unknown ticket", async () => {
            assert.deepEqual(await store.consumeTicket(ticketId("never-issued"), at(1)), { status: "unknown" });
        });

        it("releases a consumed ticket for one more try", async () => {
            const t = ticket();
            await store.createTicket(t);
            assert.equal((await store.consumeTicket(t.id, at(1))).status, "consumed");
            assert.equal(await store.releaseTicket(t.id), true);
            assert.equal(await store.releaseTicket(t.id), false, "already released");
            assert.equal((await store.consumeTicket(t.id, at(2))).status, "consumed");
        });

        it("only stores ticket hashes", async () => {
            const raw = newTicket();
            await assert.rejects(store.createTicket(ticket({ id: raw })), /check|constraint/i);
        });

        it("records a pending machine with first and last seen", async () => {
            const s = { site: "alpha", mac: "52:54:00:00:09:01", uuid: undefined, serial: "SN 9", arch: "x86_64", platform: "pcbios", sourceIp: "192.0.2.7" };
            const a = await store.recordPending({ ...s, seenAt: at(0) }, 100);
            assert.equal(a.recorded, true);
            const b = await store.recordPending({ ...s, uuid: "11111111-2222-3333-4444-000000000901", sourceIp: "192.0.2.8", seenAt: at(30) }, 100);
            assert.equal(b.pending?.seenCount, 2);
            const list = (await store.listPending("alpha")).filter((p) => p.mac === s.mac);
            assert.equal(list.length, 1);
            const p = list[0];
            assert.equal(p.firstSeen.toISOString(), at(0).toISOString());
            assert.equal(p.lastSeen.toISOString(), at(30).toISOString());
            assert.equal(p.uuid, "11111111-2222-3333-4444-000000000901", "latest values kept");
            assert.equal(p.sourceIp, "192.0.2.8");
            assert.equal(p.serial, "SN 9");
            assert.equal(p.platform, "pcbios");
            assert.equal(await store.removePending("alpha", s.mac), true);
            assert.equal((await store.listPending("alpha")).some((x) => x.mac === s.mac), false);
            assert.equal(await store.removePending("alpha", s.mac), false);
        });

        it("caps new pending machines per site but keeps refreshing known ones", async () => {
            const base = { site: "capped", uuid: undefined, serial: undefined, arch: "arm64", platform: "efi", sourceIp: "192.0.2.9" };
            assert.equal((await store.recordPending({ ...base, mac: "52:54:00:00:0a:01", seenAt: at(0) }, 2)).recorded, true);
            assert.equal((await store.recordPending({ ...base, mac: "52:54:00:00:0a:02", seenAt: at(1) }, 2)).recorded, true);
            assert.equal((await store.recordPending({ ...base, mac: "52:54:00:00:0a:03", seenAt: at(2) }, 2)).recorded, false);
            const refreshed = await store.recordPending({ ...base, mac: "52:54:00:00:0a:01", seenAt: at(3) }, 2);
            assert.equal(refreshed.recorded, true);
            assert.equal(refreshed.pending?.seenCount, 2);
            assert.deepEqual((await store.listPending("capped")).map((p) => p.mac), ["52:54:00:00:0a:01", "52:54:00:00:0a:02"]);
            assert.equal((await store.listPending()).some((p) => p.site === "capped"), true, "all sites");
        });

        it("keeps enrollment records with the key id, filtered by site and machine", async () => {
            const record = {
                ticketRef: "0123456789ab",
                site: "alpha",
                machine: "edge-1",
                mac: "52:54:00:00:01:01",
                uuid: "11111111-2222-3333-4444-000000000101",
                serial: undefined,
                sourceIp: "192.0.2.10",
                keyBackend: "tailscale",
                keyId: "kABC123CNTRL",
                keyExpiresAt: "2026-05-01T13:00:00Z",
                configSha256: "a".repeat(64),
                servedAt: at(20),
            };
            await store.recordEnrollment(record);
            await store.recordEnrollment({ ...record, machine: "edge-2", keyId: "kDEF456CNTRL", servedAt: at(25) });
            const mine = await store.listEnrollments({ site: "alpha", machine: "edge-1" });
            assert.deepEqual(mine, [record]);
            assert.deepEqual((await store.listEnrollments({ site: "alpha" })).map((e) => e.machine), ["edge-1", "edge-2"]);
            assert.equal((await store.listEnrollments({ site: "beta" })).length, 0);
        });

        it("purges tickets that expired before a cut-off", async () => {
            const old = ticket({ expiresAt: at(-3600) });
            const fresh = ticket({ expiresAt: at(3600) });
            await store.createTicket(old);
            await store.createTicket(fresh);
            assert.ok((await store.purgeTickets(at(0))) >= 1);
            assert.equal((await store.consumeTicket(old.id, at(1))).status, "unknown");
            assert.equal((await store.consumeTicket(fresh.id, at(1))).status, "consumed");
        });

        it("answers a ping", async () => {
            await store.ping();
        });

        it("enrollment survives a restart", async () => {
            const record = {
                ticketRef: "fedcba987654",
                site: "beta",
                machine: "beta-1",
                mac: "52:54:00:00:02:01",
                uuid: undefined,
                serial: "SN-B1",
                sourceIp: "198.51.100.4",
                keyBackend: "headscale",
                keyId: "42",
                keyExpiresAt: "2026-05-01T13:00:00Z",
                configSha256: "b".repeat(64),
                servedAt: at(40),
            };
            await store.recordEnrollment(record);
            const t = ticket();
            await store.createTicket(t);
            await store.close();
            store = await backend.reopen();
            assert.deepEqual(await store.listEnrollments({ site: "beta", machine: "beta-1" }), [record]);
            assert.equal((await store.consumeTicket(t.id, at(1))).status, "consumed", "tickets survive too");
        });
    });
}
