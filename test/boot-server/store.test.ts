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
import { PGlite } from "@electric-sql/pglite";
import { Client } from "pg";
import { createPgliteStore } from "../../infra/boot-server/src/store/pglite";
import { createPostgresStore } from "../../infra/boot-server/src/store/postgres";
import { SCHEMA_VERSION } from "../../infra/boot-server/src/store/schema";
import type { BootStore, EnrollmentRecord, NewTicket } from "../../infra/boot-server/src/store/types";
import { newTicket, ticketId } from "../../infra/boot-server/src/tickets";

const DEFAULT_TEST_DATABASE_URL = "postgres://talos_boot:talos_boot@127.0.0.1:5432/talos_boot_test";
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;

function withoutPassword(url: string): string {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
}

const T0 = new Date("2026-05-01T12:00:00.000Z");
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

let machineCounter = 0;

/** A ticket for a machine no other ticket has used, unless `machine` is given. */
function ticket(overrides: Partial<NewTicket> = {}): NewTicket {
    return {
        id: ticketId(newTicket()),
        site: "alpha",
        machine: `edge-${++machineCounter}`,
        mac: "52:54:00:00:01:01",
        uuid: "11111111-2222-3333-4444-000000000101",
        serial: undefined,
        arch: "x86_64",
        platform: "efi",
        sourceIp: "192.0.2.10",
        createdAt: T0,
        expiresAt: at(900),
        enrollment: 1,
        ...overrides,
    };
}

function enrollment(overrides: Partial<EnrollmentRecord> = {}): EnrollmentRecord {
    return {
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
        enrollment: 1,
        ...overrides,
    };
}

/** The schema as version 1 of the service created it (before enrollment generations). */
const SCHEMA_V1 = `
CREATE TABLE boot_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE tickets (
    id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'), site text NOT NULL, machine text NOT NULL, mac text NOT NULL,
    uuid text, serial text, arch text NOT NULL, platform text NOT NULL, source_ip text NOT NULL,
    created_at timestamptz NOT NULL, expires_at timestamptz NOT NULL, consumed_at timestamptz
);
CREATE INDEX tickets_expires_at ON tickets (expires_at);
CREATE TABLE pending_machines (
    site text NOT NULL, mac text NOT NULL, uuid text, serial text, arch text NOT NULL, platform text NOT NULL,
    source_ip text NOT NULL, first_seen timestamptz NOT NULL, last_seen timestamptz NOT NULL,
    seen_count integer NOT NULL DEFAULT 1, PRIMARY KEY (site, mac)
);
CREATE TABLE enrollments (
    id bigserial PRIMARY KEY, ticket_ref text NOT NULL, site text NOT NULL, machine text NOT NULL, mac text NOT NULL,
    uuid text, serial text, source_ip text NOT NULL, key_backend text NOT NULL, key_id text NOT NULL,
    key_expires_at text NOT NULL, config_sha256 text NOT NULL, served_at timestamptz NOT NULL
);
CREATE INDEX enrollments_site_machine ON enrollments (site, machine, served_at);
INSERT INTO boot_schema (version) VALUES (1);
INSERT INTO enrollments (ticket_ref, site, machine, mac, source_ip, key_backend, key_id, key_expires_at, config_sha256, served_at)
VALUES ('aaaaaaaaaaaa', 'legacy', 'old-1', '52:54:00:00:0f:01', '192.0.2.1', 'tailscale', 'kOLD', '2026-01-01T00:00:00Z',
        '${"c".repeat(64)}', '2026-01-01T00:00:00Z');
`;

interface Backend {
    name: string;
    /** Opens the store; `reopen` opens the same database again (after `close`). */
    open(): Promise<BootStore>;
    reopen(): Promise<BootStore>;
    cleanup(): Promise<void>;
    /** A second, separate database holding `script` as written by an older version; opens the store on it. */
    openOver(script: string): Promise<{ store: BootStore; rows: (sql: string) => Promise<Record<string, unknown>[]>; cleanup(): Promise<void> }>;
}

function pgliteBackend(): Backend {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "boot-store-pglite-"));
    return {
        name: "PGlite",
        open: () => createPgliteStore({ dataDir: dir }),
        reopen: () => createPgliteStore({ dataDir: dir }),
        cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
        openOver: async (script) => {
            const oldDir = fs.mkdtempSync(path.join(os.tmpdir(), "boot-store-pglite-v1-"));
            const db = await PGlite.create(oldDir);
            await db.exec(script);
            await db.close();
            const store = await createPgliteStore({ dataDir: oldDir });
            let open = true;
            return {
                store,
                // The store holds the directory; read through a second handle only after it closed.
                rows: async (sql) => {
                    if (open) await store.close();
                    open = false;
                    const peek = await PGlite.create(oldDir);
                    try {
                        return (await peek.query<Record<string, unknown>>(sql)).rows;
                    } finally {
                        await peek.close();
                    }
                },
                cleanup: async () => {
                    if (open) await store.close();
                    fs.rmSync(oldDir, { recursive: true, force: true });
                },
            };
        },
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
        cleanup: () => dropSchema(schema),
        openOver: async (script) => {
            const oldSchema = `${schema}_v1`;
            const client = new Client({ connectionString: TEST_DATABASE_URL });
            await client.connect();
            try {
                await client.query(`CREATE SCHEMA ${oldSchema}`);
                await client.query(`SET search_path = ${oldSchema}`);
                await client.query(script);
            } finally {
                await client.end();
            }
            const store = await createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: oldSchema });
            let open = true;
            return {
                store,
                rows: async (sql) => {
                    if (open) await store.close();
                    open = false;
                    const peek = new Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${oldSchema}` });
                    await peek.connect();
                    try {
                        return (await peek.query(sql)).rows as Record<string, unknown>[];
                    } finally {
                        await peek.end();
                    }
                },
                cleanup: async () => {
                    if (open) await store.close();
                    await dropSchema(oldSchema);
                },
            };
        },
    };
}

async function dropSchema(schema: string): Promise<void> {
    const client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    } finally {
        await client.end();
    }
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

        it("claims a ticket once, and it is used once its claim completes", async () => {
            const t = ticket({ machine: "edge-1" });
            await store.createTicket(t);
            const first = await store.claimTicket(t.id, at(10), { leaseMs: 60_000 });
            assert.equal(first.status, "claimed");
            assert.equal(first.status === "claimed" && first.claim, 1);
            assert.equal(first.status === "claimed" && first.ticket.machine, "edge-1");
            assert.equal(first.status === "claimed" && first.ticket.claimedUntil?.toISOString(), at(70).toISOString());
            assert.equal(first.status === "claimed" && first.ticket.consumedAt, undefined, "not used before it is served");
            assert.equal(first.status === "claimed" && first.ticket.serial, undefined);
            assert.equal((await store.claimTicket(t.id, at(11))).status, "in_use", "its claim is live");
            assert.deepEqual(await store.completeClaim(t.id, 1, enrollment({ machine: "edge-1", servedAt: at(12) })), { firstUse: true, claims: 1 });
            const again = await store.claimTicket(t.id, at(13));
            assert.equal(again.status, "used");
            assert.equal(again.status === "used" && again.ticket.consumedAt?.toISOString(), at(12).toISOString());
        });

        it("gives exactly one of 50 concurrent claimers the ticket", async () => {
            const t = ticket();
            await store.createTicket(t);
            const results = await Promise.all(Array.from({ length: 50 }, () => store.claimTicket(t.id, at(5))));
            assert.equal(results.filter((r) => r.status === "claimed").length, 1);
            assert.equal(results.filter((r) => r.status === "in_use").length, 49);
        });

        it("refuses an expired ticket and does not claim it", async () => {
            const t = ticket({ expiresAt: at(900) });
            await store.createTicket(t);
            assert.equal((await store.claimTicket(t.id, at(900))).status, "expired", "expiry is exclusive");
            assert.equal((await store.claimTicket(t.id, at(899))).status, "claimed");
        });

        it("supersedes a machine's unused ticket when it gets a new one", async () => {
            const older = ticket({ machine: "edge-9", createdAt: at(0) });
            const other = ticket({ machine: "edge-8", createdAt: at(0) });
            await store.createTicket(older);
            await store.createTicket(other);
            const newer = ticket({ machine: "edge-9", createdAt: at(60), expiresAt: at(960) });
            await store.createTicket(newer);
            assert.equal((await store.claimTicket(older.id, at(61))).status, "expired");
            assert.equal((await store.claimTicket(newer.id, at(61))).status, "claimed");
            assert.equal((await store.claimTicket(other.id, at(61))).status, "claimed", "other machines keep theirs");
        });

        it("reports an unknown ticket", async () => {
            assert.deepEqual(await store.claimTicket(ticketId("never-issued"), at(1)), { status: "unknown" });
        });

        it("releases a claimed ticket for one more try", async () => {
            const t = ticket();
            await store.createTicket(t);
            assert.equal((await store.claimTicket(t.id, at(1))).status, "claimed");
            assert.equal(await store.releaseClaim(t.id, 1), true);
            assert.equal(await store.releaseClaim(t.id, 1), false, "already released");
            const again = await store.claimTicket(t.id, at(2));
            assert.equal(again.status === "claimed" && again.claim, 2);
            assert.equal(await store.releaseClaim(t.id, 1), false, "an ended claim cannot release the next one");
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

        it("issues no ticket once the machine's generation has enrolled, and one for the next generation", async () => {
            const site = "gen-site";
            const first = ticket({ site, machine: "gen-1", enrollment: 1 });
            assert.deepEqual(await store.createTicket(first), { status: "issued" });
            assert.equal((await store.claimTicket(first.id, at(5))).status, "claimed");
            await store.recordEnrollment(enrollment({ site, machine: "gen-1", ticketRef: first.id.slice(0, 12), servedAt: at(6), enrollment: 1 }));

            const again = ticket({ site, machine: "gen-1", createdAt: at(600), expiresAt: at(1500), enrollment: 1 });
            const refused = await store.createTicket(again);
            assert.deepEqual(refused, { status: "enrolled", enrolledAt: at(6), ticketRef: first.id.slice(0, 12) });
            assert.equal((await store.claimTicket(again.id, at(601))).status, "unknown", "nothing was written");

            const other = ticket({ site, machine: "gen-2", enrollment: 1 });
            assert.equal((await store.createTicket(other)).status, "issued", "other machines are not affected");

            const next = ticket({ site, machine: "gen-1", createdAt: at(700), expiresAt: at(1600), enrollment: 2 });
            assert.equal((await store.createTicket(next)).status, "issued", "a bumped generation enrolls again");
            assert.equal((await store.claimTicket(next.id, at(701))).status, "claimed");
        });

        it("forgets the MAC's pending record when it issues a ticket, and keeps it when the machine is enrolled", async () => {
            const site = "pend-site";
            const sighting = { site, mac: "52:54:00:00:0b:01", arch: "x86_64", platform: "efi", sourceIp: "192.0.2.5", seenAt: at(0) };
            await store.recordPending(sighting, 10);
            await store.recordEnrollment(enrollment({ site, machine: "enrolled-1", enrollment: 1 }));
            await store.createTicket(ticket({ site, machine: "enrolled-1", mac: sighting.mac }));
            assert.equal((await store.listPending(site)).length, 1, "an enrolled machine's request writes nothing");
            await store.createTicket(ticket({ site, machine: "fresh-1", mac: sighting.mac }));
            assert.equal((await store.listPending(site)).length, 0);
        });

        it("refuses a live ticket once another ticket's config was served for the same generation", async () => {
            const site = "race-site";
            const real = ticket({ site, machine: "race-1" });
            await store.createTicket(real);
            assert.equal((await store.claimTicket(real.id, at(1))).status, "claimed");
            // Issued while the real machine's config was being minted, before its record existed.
            const spoofed = ticket({ site, machine: "race-1", createdAt: at(2), expiresAt: at(902) });
            assert.equal((await store.createTicket(spoofed)).status, "issued");
            await store.recordEnrollment(enrollment({ site, machine: "race-1", servedAt: at(3) }));
            const refused = await store.claimTicket(spoofed.id, at(4));
            assert.equal(refused.status, "enrolled");
            assert.equal(refused.status === "enrolled" && refused.ticket.enrollment, 1);
            assert.equal((await store.claimTicket(spoofed.id, at(5))).status, "enrolled", "not claimed by the refusal");
            assert.equal((await store.claimTicket(spoofed.id, at(903))).status, "expired");
        });

        it("serves one config per generation even while the first is still being served", async () => {
            const site = "inflight-site";
            const real = ticket({ site, machine: "inflight-1" });
            await store.createTicket(real);
            assert.equal((await store.claimTicket(real.id, at(1))).status, "claimed");
            // The first config is still being minted: no enrollment record yet.
            const second = ticket({ site, machine: "inflight-1", createdAt: at(2), expiresAt: at(902) });
            assert.equal((await store.createTicket(second)).status, "issued");
            assert.equal((await store.claimTicket(second.id, at(3))).status, "enrolled", "the first claim takes the generation");
            // Minting failed: the first ticket's claim is released, and the generation is open again.
            assert.equal(await store.releaseClaim(real.id, 1), true);
            assert.equal((await store.claimTicket(second.id, at(4))).status, "claimed");
            const bumped = ticket({ site, machine: "inflight-1", createdAt: at(5), expiresAt: at(905), enrollment: 2 });
            await store.createTicket(bumped);
            assert.equal((await store.claimTicket(bumped.id, at(6))).status, "claimed", "another generation is not affected");
        });

        it("upgrades a version-1 database in place: old rows become generation 1", async () => {
            const old = await backend.openOver(SCHEMA_V1);
            try {
                const [legacy] = await old.store.listEnrollments({ site: "legacy" });
                assert.equal(legacy.enrollment, 1);
                assert.equal(legacy.keyId, "kOLD");
                const refused = await old.store.createTicket(ticket({ site: "legacy", machine: "old-1" }));
                assert.equal(refused.status, "enrolled", "a machine enrolled before the upgrade boots from disk");
                const t = ticket({ site: "legacy", machine: "old-1", enrollment: 2 });
                assert.equal((await old.store.createTicket(t)).status, "issued");
                assert.equal((await old.store.claimTicket(t.id, at(1))).status, "claimed");
                const versions = await old.rows("SELECT version FROM boot_schema ORDER BY version");
                assert.deepEqual(versions.map((r) => Number(r.version)), [1, SCHEMA_VERSION]);
                const indexes = await old.rows("SELECT indexname FROM pg_indexes WHERE tablename IN ('tickets', 'enrollments') ORDER BY indexname");
                for (const name of ["enrollments_generation", "tickets_live_by_machine", "tickets_consumed_by_machine", "tickets_claimed_by_machine"]) {
                    assert.ok(indexes.some((r) => r.indexname === name), `index ${name} created`);
                }
            } finally {
                await old.cleanup();
            }
        });

        it("keeps enrollment records with the key id, filtered by site and machine", async () => {
            const record = enrollment({ site: "alpha-records", enrollment: 3 });
            await store.recordEnrollment(record);
            await store.recordEnrollment({ ...record, machine: "edge-2", keyId: "kDEF456CNTRL", servedAt: at(25) });
            const mine = await store.listEnrollments({ site: "alpha-records", machine: "edge-1" });
            assert.deepEqual(mine, [record]);
            assert.deepEqual((await store.listEnrollments({ site: "alpha-records" })).map((e) => e.machine), ["edge-1", "edge-2"]);
            assert.equal((await store.listEnrollments({ site: "beta" })).length, 0);
        });

        it("purges tickets that expired before a cut-off", async () => {
            const old = ticket({ expiresAt: at(-3600) });
            const fresh = ticket({ expiresAt: at(3600) });
            await store.createTicket(old);
            await store.createTicket(fresh);
            assert.ok((await store.purgeTickets(at(0))) >= 1);
            assert.equal((await store.claimTicket(old.id, at(1))).status, "unknown");
            assert.equal((await store.claimTicket(fresh.id, at(1))).status, "claimed");
        });

        it("answers a ping", async () => {
            await store.ping();
        });

        it("enrollment survives a restart", async () => {
            const record = enrollment({
                ticketRef: "fedcba987654",
                site: "beta",
                machine: "beta-1",
                mac: "52:54:00:00:02:01",
                uuid: undefined,
                serial: "SN-B1",
                sourceIp: "198.51.100.4",
                keyBackend: "headscale",
                keyId: "42",
                configSha256: "b".repeat(64),
                servedAt: at(40),
            });
            await store.recordEnrollment(record);
            const t = ticket();
            await store.createTicket(t);
            await store.close();
            store = await backend.reopen();
            assert.deepEqual(await store.listEnrollments({ site: "beta", machine: "beta-1" }), [record]);
            assert.equal((await store.claimTicket(t.id, at(1))).status, "claimed", "tickets survive too");
        });
    });
}
