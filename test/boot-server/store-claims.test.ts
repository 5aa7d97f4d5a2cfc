/**
 * Two-step ticket redemption in the store (claim, then complete or release), against both
 * stores: a claim whose process is gone can be claimed again and does not block the machine's
 * next ticket, a live claim blocks both, a claimed ticket stays valid for Talos's retries, and a
 * version-2 database's stranded tickets are freed once at the upgrade. "A process is gone" is a
 * store closed without releasing its claim: for PostgreSQL that ends the holder's session (as a
 * killed process's closed socket does; test/boot-server/crash.test.ts kills real processes),
 * for PGlite a reopened database has a new holder.
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
import { CLAIMED_TICKET_KEEP_SECONDS } from "../../infra/boot-server/src/store/schema";
import type { BootStore, EnrollmentRecord, NewTicket } from "../../infra/boot-server/src/store/types";
import { newTicket, ticketId } from "../../infra/boot-server/src/tickets";

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || "postgres://talos_boot:talos_boot@127.0.0.1:5432/talos_boot_test";

const T0 = new Date("2026-05-01T12:00:00.000Z");
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
let counter = 0;

function ticket(overrides: Partial<NewTicket> = {}): NewTicket {
    return {
        id: ticketId(newTicket()),
        site: "claims",
        machine: `claim-${++counter}`,
        mac: `52:54:00:00:0e:${(counter % 256).toString(16).padStart(2, "0")}`,
        arch: "x86_64",
        platform: "efi",
        sourceIp: "192.0.2.20",
        createdAt: T0,
        expiresAt: at(900),
        enrollment: 1,
        ...overrides,
    };
}

function record(t: NewTicket, overrides: Partial<EnrollmentRecord> = {}): EnrollmentRecord {
    return {
        ticketRef: t.id.slice(0, 12),
        site: t.site,
        machine: t.machine,
        mac: t.mac,
        sourceIp: t.sourceIp,
        keyBackend: "fake",
        keyId: "kClaim",
        keyExpiresAt: "2026-05-01T13:00:00Z",
        configSha256: "d".repeat(64),
        servedAt: at(30),
        enrollment: t.enrollment,
        ...overrides,
    };
}

/** The version-2 tables (generation columns, no claim columns) with `rows` inserted. */
function schemaV2(rows: string): string {
    return `
CREATE TABLE boot_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE tickets (
    id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'), site text NOT NULL, machine text NOT NULL, mac text NOT NULL,
    uuid text, serial text, arch text NOT NULL, platform text NOT NULL, source_ip text NOT NULL,
    created_at timestamptz NOT NULL, expires_at timestamptz NOT NULL, consumed_at timestamptz,
    enrollment integer NOT NULL DEFAULT 1
);
CREATE TABLE pending_machines (
    site text NOT NULL, mac text NOT NULL, uuid text, serial text, arch text NOT NULL, platform text NOT NULL,
    source_ip text NOT NULL, first_seen timestamptz NOT NULL, last_seen timestamptz NOT NULL,
    seen_count integer NOT NULL DEFAULT 1, PRIMARY KEY (site, mac)
);
CREATE TABLE enrollments (
    id bigserial PRIMARY KEY, ticket_ref text NOT NULL, site text NOT NULL, machine text NOT NULL, mac text NOT NULL,
    uuid text, serial text, source_ip text NOT NULL, key_backend text NOT NULL, key_id text NOT NULL,
    key_expires_at text NOT NULL, config_sha256 text NOT NULL, served_at timestamptz NOT NULL,
    enrollment integer NOT NULL DEFAULT 1
);
INSERT INTO boot_schema (version) VALUES (1), (2);
${rows}`;
}

interface Backend {
    name: string;
    /** A store on the shared test database; several may be open at once (PostgreSQL only). */
    open(): Promise<BootStore>;
    /** Whether two stores can have the database open at the same time. */
    concurrent: boolean;
    /** A store over a fresh database created by `script`. */
    openOver(script: string): Promise<{ store: BootStore; cleanup(): Promise<void> }>;
    cleanup(): Promise<void>;
}

function pgliteBackend(): Backend {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "boot-claims-pglite-"));
    return {
        name: "PGlite",
        concurrent: false,
        open: () => createPgliteStore({ dataDir: dir }),
        openOver: async (script) => {
            const other = fs.mkdtempSync(path.join(os.tmpdir(), "boot-claims-pglite-v2-"));
            const db = await PGlite.create(other);
            await db.exec(script);
            await db.close();
            const store = await createPgliteStore({ dataDir: other });
            return { store, cleanup: async () => { await store.close(); fs.rmSync(other, { recursive: true, force: true }); } };
        },
        cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
}

async function sql(text: string): Promise<void> {
    const client = new Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
        await client.query(text);
    } finally {
        await client.end();
    }
}

function postgresBackend(): Backend {
    const schema = `boot_claims_${process.pid}_${crypto.randomBytes(4).toString("hex")}`;
    const schemas = [schema];
    return {
        name: "PostgreSQL",
        concurrent: true,
        open: () => createPostgresStore({ connectionString: TEST_DATABASE_URL, schema }),
        openOver: async (script) => {
            const other = `${schema}_v2`;
            schemas.push(other);
            await sql(`CREATE SCHEMA ${other}; SET search_path = ${other}; ${script}`);
            const store = await createPostgresStore({ connectionString: TEST_DATABASE_URL, schema: other });
            return { store, cleanup: async () => { await store.close(); await sql(`DROP SCHEMA IF EXISTS ${other} CASCADE`); } };
        },
        cleanup: async () => {
            for (const s of schemas) await sql(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
        },
    };
}

for (const make of [pgliteBackend, postgresBackend]) {
    const backend = make();
    describe(`boot-server store claims (${backend.name})`, function () {
        this.timeout(120_000);
        let store: BootStore;

        before(async () => {
            store = await backend.open();
        });
        after(async () => {
            await store?.close();
            await backend.cleanup();
        });

        /** Closes `store` without releasing anything (its process "dies") and opens the next one. */
        async function die(): Promise<void> {
            await store.close();
            store = await backend.open();
        }

        it("lets the same ticket be claimed again once the claiming process is gone", async () => {
            const t = ticket();
            await store.createTicket(t);
            assert.equal((await store.claimTicket(t.id, at(1))).status, "claimed");
            assert.equal((await store.claimTicket(t.id, at(2))).status, "in_use", "live claim, live holder");
            await die();
            const again = await store.claimTicket(t.id, at(3));
            assert.equal(again.status, "claimed", "the holder is gone: its claim no longer counts");
            assert.equal(again.status === "claimed" && again.claim, 2);
            assert.deepEqual(await store.completeClaim(t.id, 2, record(t)), { firstUse: true, claims: 2 });
            assert.equal((await store.claimTicket(t.id, at(4))).status, "used");
            assert.equal((await store.listEnrollments({ site: t.site, machine: t.machine })).length, 1, "one config recorded");
        });

        it("does not let a dead claim block the machine's next ticket, while a live one does", async () => {
            const first = ticket();
            await store.createTicket(first);
            assert.equal((await store.claimTicket(first.id, at(1))).status, "claimed");
            const second = ticket({ machine: first.machine, createdAt: at(2), expiresAt: at(902) });
            await store.createTicket(second);
            assert.equal((await store.claimTicket(second.id, at(3))).status, "enrolled", "the generation is being served");
            await die();
            const next = await store.claimTicket(second.id, at(4));
            assert.equal(next.status, "claimed", "the machine rebooted after a crash: its new ticket is served");
            assert.equal((await store.claimTicket(first.id, at(5))).status, "expired", "the crashed one was superseded");
        });

        it("treats a claim whose lease ran out as gone, even while its holder runs", async () => {
            const t = ticket();
            await store.createTicket(t);
            assert.equal((await store.claimTicket(t.id, at(1), { leaseMs: 10_000 })).status, "claimed");
            assert.equal((await store.claimTicket(t.id, at(10), { leaseMs: 10_000 })).status, "in_use");
            const late = await store.claimTicket(t.id, at(11), { leaseMs: 10_000 });
            assert.equal(late.status === "claimed" && late.claim, 2);
            // Both claims served a config: the first completion marks the ticket used, the second
            // is recorded too (it was delivered) and says so.
            assert.deepEqual(await store.completeClaim(t.id, 1, record(t, { keyId: "kFirst" })), { firstUse: true, claims: 2 });
            assert.deepEqual(await store.completeClaim(t.id, 2, record(t, { keyId: "kSecond" })), { firstUse: false, claims: 2 });
            assert.deepEqual((await store.listEnrollments({ site: t.site, machine: t.machine })).map((e) => e.keyId), ["kFirst", "kSecond"]);
            assert.equal(await store.releaseClaim(t.id, 2), false, "a used ticket has no claim to release");
        });

        it("keeps a claimed ticket valid for Talos's retries past its TTL, unless a newer ticket supersedes it", async () => {
            const keep = CLAIMED_TICKET_KEEP_SECONDS;
            const t = ticket({ expiresAt: at(900) });
            await store.createTicket(t);
            assert.equal((await store.claimTicket(t.id, at(899))).status, "claimed");
            assert.equal(await store.releaseClaim(t.id, 1), true, "minting failed");
            const retried = await store.claimTicket(t.id, at(2000));
            assert.equal(retried.status, "claimed", "retried after the TTL");
            assert.equal(retried.status === "claimed" && retried.ticket.expiresAt.toISOString(), at(2000 + keep).toISOString());
            await store.releaseClaim(t.id, 2);
            assert.equal((await store.claimTicket(t.id, at(2000 + keep))).status, "expired", "the keep runs out");

            const u = ticket({ expiresAt: at(900) });
            await store.createTicket(u);
            assert.equal((await store.claimTicket(u.id, at(10))).status, "claimed");
            await store.releaseClaim(u.id, 1);
            await store.createTicket(ticket({ machine: u.machine, createdAt: at(20), expiresAt: at(920) }));
            assert.equal((await store.claimTicket(u.id, at(21))).status, "expired", "superseded by the machine's next ticket");
        });

        it("releases only the claim it names", async () => {
            const t = ticket();
            await store.createTicket(t);
            await store.claimTicket(t.id, at(1), { leaseMs: 1000 });
            const second = await store.claimTicket(t.id, at(5));
            assert.equal(second.status === "claimed" && second.claim, 2);
            assert.equal(await store.releaseClaim(t.id, 1), false, "the lapsed first claim cannot end the second");
            assert.equal((await store.claimTicket(t.id, at(6))).status, "in_use");
            assert.equal(await store.releaseClaim(t.id, 2), true);
        });

        it("frees a version-2 database's stranded tickets at the upgrade, and keeps served ones used", async () => {
            const stranded = ticket({ site: "v2" });
            const served = ticket({ site: "v2" });
            const row = (t: NewTicket): string =>
                `('${t.id}', '${t.site}', '${t.machine}', '${t.mac}', 'x86_64', 'efi', '192.0.2.1', '${T0.toISOString()}', '${at(900).toISOString()}', '${at(5).toISOString()}', 1)`;
            const old = await backend.openOver(
                schemaV2(`INSERT INTO tickets (id, site, machine, mac, arch, platform, source_ip, created_at, expires_at, consumed_at, enrollment)
                          VALUES ${row(stranded)}, ${row(served)};
                          INSERT INTO enrollments (ticket_ref, site, machine, mac, source_ip, key_backend, key_id, key_expires_at, config_sha256, served_at, enrollment)
                          VALUES ('${served.id.slice(0, 12)}', 'v2', '${served.machine}', '${served.mac}', '192.0.2.1', 'fake', 'kV2', 'x', '${"e".repeat(64)}', '${at(6).toISOString()}', 1);`),
            );
            try {
                const freed = await old.store.claimTicket(stranded.id, at(1200));
                assert.equal(freed.status, "claimed", "Talos's retry of the stranded URL is served, past the TTL");
                assert.equal(freed.status === "claimed" && freed.claim, 2);
                assert.equal((await old.store.claimTicket(served.id, at(1200))).status, "used");
            } finally {
                await old.cleanup();
            }
        });

        if (backend.concurrent) {
            it("sees another running instance's claim as live, and as gone once that instance stops", async () => {
                const other = await backend.open();
                try {
                    const t = ticket();
                    await store.createTicket(t);
                    assert.equal((await other.claimTicket(t.id, at(1))).status, "claimed");
                    assert.equal((await store.claimTicket(t.id, at(2))).status, "in_use", "the other instance is alive");
                } finally {
                    await other.close();
                }
                const t2 = ticket();
                await store.createTicket(t2);
                const gone = await backend.open();
                await gone.claimTicket(t2.id, at(1));
                await gone.close();
                assert.equal((await store.claimTicket(t2.id, at(2))).status, "claimed", "its holder lock went with its connection");
            });
        }
    });
}
