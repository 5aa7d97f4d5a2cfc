/**
 * Coalescing the hot store calls (store/batch.ts, schema version 4): the Coalescer's own rules,
 * and, on both stores, that calls sent together in batches end exactly as the same calls sent
 * one after another would — every answer, the stored tickets' expiries and use, the pending list —
 * while really sharing statements (rows written by one batch share a transaction id, `xmin`).
 */
import { strict as assert } from "node:assert";
import * as crypto from "node:crypto";
import fc from "fast-check";
import { Client } from "pg";
import { BatchLimits, Coalescer, isRolledBackConflict } from "../../infra/boot-server/src/store/batch";
import { createPgliteStore } from "../../infra/boot-server/src/store/pglite";
import { createPostgresStore } from "../../infra/boot-server/src/store/postgres";
import type { SqlBootStore } from "../../infra/boot-server/src/store/sql";
import type { EnrollmentRecord, NewTicket } from "../../infra/boot-server/src/store/types";
import { newTicket, ticketId } from "../../infra/boot-server/src/tickets";
import { runs } from "../properties/params";

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || "postgres://talos_boot:talos_boot@127.0.0.1:5432/talos_boot_test";

/** A promise with its resolver outside, to hold a runner call open. */
function gate<T>(): { promise: Promise<T>; open: (v: T) => void } {
    let open!: (v: T) => void;
    const promise = new Promise<T>((resolve) => (open = resolve));
    return { promise, open };
}

describe("boot-server store batches: Coalescer", () => {
    it("sends the first call alone and the calls that arrive meanwhile as one batch, each caller getting its own result", async () => {
        const held = gate<number>();
        const ones: number[] = [];
        const manys: number[][] = [];
        const c = new Coalescer<number, number>(
            {
                one: async (n) => {
                    ones.push(n);
                    return n === 0 ? held.promise : n * 10;
                },
                many: async (ns) => {
                    manys.push([...ns]);
                    return ns.map((n) => n * 10);
                },
            },
            { maxBatch: 64, maxInFlight: 1 },
        );
        const results = [0, 1, 2, 3, 4].map((n) => c.submit(n));
        await new Promise((r) => setImmediate(r));
        assert.deepEqual(ones, [0], "the first call goes at once, alone");
        assert.deepEqual(manys, [], "the others wait while one statement is on its way");
        held.open(0);
        assert.deepEqual(await Promise.all(results), [0, 10, 20, 30, 40]);
        assert.deepEqual(manys, [[1, 2, 3, 4]]);
    });

    it("splits waiting calls at maxBatch and keeps at most maxInFlight statements on their way", async () => {
        let inFlight = 0;
        let most = 0;
        const sizes: number[] = [];
        const c = new Coalescer<number, number>(
            {
                one: async (n) => n,
                many: async (ns) => {
                    inFlight++;
                    most = Math.max(most, inFlight);
                    sizes.push(ns.length);
                    await new Promise((r) => setTimeout(r, 5));
                    inFlight--;
                    return [...ns];
                },
            },
            { maxBatch: 3, maxInFlight: 2 },
        );
        const items = Array.from({ length: 20 }, (_, i) => i);
        assert.deepEqual(await Promise.all(items.map((i) => c.submit(i))), items);
        assert.ok(most <= 2, `at most 2 statements at once (saw ${most})`);
        assert.ok(sizes.every((s) => s <= 3), `no batch over 3 (saw ${sizes})`);
    });

    it("runs each call alone, in arrival order, when PostgreSQL rolled the batch back for a conflict (class 40)", async () => {
        const held = gate<string>();
        const ones: string[] = [];
        const running: string[] = [];
        const c = new Coalescer<string, string>(
            {
                one: async (s) => {
                    ones.push(s);
                    running.push(s);
                    if (running.length > 1) throw new Error(`calls overlapped: ${running.join(", ")}`);
                    // The first (alone) call is held; the retried ones take a turn of the event loop.
                    const result = s === "first" ? await held.promise : await new Promise<string>((r) => setImmediate(() => r(s.toUpperCase())));
                    running.splice(running.indexOf(s), 1);
                    return result;
                },
                many: async () => {
                    throw Object.assign(new Error("deadlock detected"), { code: "40P01" });
                },
            },
            { maxBatch: 64, maxInFlight: 1 },
        );
        const all = ["first", "a", "b", "c"].map((s) => c.submit(s));
        held.open("FIRST");
        assert.deepEqual(await Promise.all(all), ["FIRST", "A", "B", "C"]);
        assert.deepEqual(ones, ["first", "a", "b", "c"]);
    });

    it("gives every caller of a failed batch the error when it may have committed, and runs nothing again", async () => {
        const held = gate<string>();
        const ones: string[] = [];
        const c = new Coalescer<string, string>(
            {
                one: async (s) => {
                    ones.push(s);
                    return held.promise;
                },
                many: async () => {
                    throw Object.assign(new Error("connection terminated unexpectedly"), { code: undefined });
                },
            },
            { maxBatch: 64, maxInFlight: 1 },
        );
        const first = c.submit("first");
        const rest = ["a", "b"].map((s) => c.submit(s).then(() => "resolved", (e: Error) => e.message));
        held.open("x");
        await first;
        assert.deepEqual(await Promise.all(rest), ["connection terminated unexpectedly", "connection terminated unexpectedly"]);
        assert.deepEqual(ones, ["first"], "the failed batch's calls are not re-run: they may have committed");
    });

    it("refuses a batch that returns a different number of results than it was given", async () => {
        const held = gate<number>();
        const c = new Coalescer<number, number>({ one: async () => held.promise, many: async () => [1] }, { maxBatch: 64, maxInFlight: 1 });
        const first = c.submit(0);
        const rest = [1, 2].map((n) => c.submit(n).then(() => "resolved", (e: Error) => e.message));
        held.open(0);
        await first;
        for (const r of await Promise.all(rest)) assert.match(r, /batch of 2 returned 1 results/);
    });

    it("tells PostgreSQL's rollback conflicts from other errors", () => {
        assert.equal(isRolledBackConflict({ code: "40P01" }), true);
        assert.equal(isRolledBackConflict({ code: "40001" }), true);
        assert.equal(isRolledBackConflict({ code: "23505" }), false);
        assert.equal(isRolledBackConflict(new Error("socket hang up")), false);
        assert.equal(isRolledBackConflict(undefined), false);
    });

    it("refuses limits that would never send anything", () => {
        const runner = { one: async (n: number) => n, many: async (ns: readonly number[]) => [...ns] };
        assert.throws(() => new Coalescer(runner, { maxBatch: 0, maxInFlight: 1 }), /maxBatch/);
        assert.throws(() => new Coalescer(runner, { maxBatch: 1, maxInFlight: 0.5 }), /maxInFlight/);
    });
});

/** Batches as large as possible: one statement on its way, everything else waits for the next. */
const BATCHED: BatchLimits = { maxBatch: 64, maxInFlight: 1 };
/** Every call alone, in submission order. */
const ONE_BY_ONE: BatchLimits = { maxBatch: 1, maxInFlight: 1 };

const T0 = new Date("2026-06-01T08:00:00.000Z");
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

/** A query through the store's own (private) executor: the same database and schema it uses. */
function ownQuery(store: SqlBootStore, text: string, params: unknown[]): Promise<Array<Record<string, unknown>>> {
    return (store as unknown as { query(t: string, p: unknown[]): Promise<Array<Record<string, unknown>>> }).query(text, params);
}

/** A site's tickets in a form two databases can be compared by. */
const TICKET_ROWS_SQL = `SELECT id, machine, to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS expires_at,
    consumed_at IS NOT NULL AS used, claims FROM tickets WHERE site = $1 ORDER BY id`;

interface Backend {
    name: string;
    open(limits: BatchLimits): Promise<SqlBootStore>;
    /** Distinct transaction ids among the site's rows of `table`. */
    transactions(store: SqlBootStore, table: "tickets" | "enrollments", site: string): Promise<number>;
    /** The site's tickets as stored: id, expiry, use. */
    tickets(store: SqlBootStore, site: string): Promise<Array<Record<string, unknown>>>;
    cleanup(): Promise<void>;
}

function pgliteBackend(): Backend {
    const opened: SqlBootStore[] = [];
    return {
        name: "PGlite",
        async open(limits) {
            const store = await createPgliteStore({ batchLimits: limits });
            opened.push(store);
            return store;
        },
        async transactions(store, table, site) {
            const rows = await ownQuery(store, `SELECT count(DISTINCT xmin::text)::integer AS n FROM ${table} WHERE site = $1`, [site]);
            return Number(rows[0].n);
        },
        tickets: (store, site) => ownQuery(store, TICKET_ROWS_SQL, [site]),
        async cleanup() {
            for (const s of opened) await s.close();
        },
    };
}

function postgresBackend(): Backend {
    const schemas: string[] = [];
    const opened: SqlBootStore[] = [];
    const sql = async <T>(text: string, params: unknown[] = []): Promise<T[]> => {
        const client = new Client({ connectionString: TEST_DATABASE_URL });
        await client.connect();
        try {
            return (await client.query(text, params)).rows as T[];
        } finally {
            await client.end();
        }
    };
    const schemaOf = new Map<SqlBootStore, string>();
    return {
        name: "PostgreSQL",
        async open(limits) {
            const schema = `boot_batch_${process.pid}_${crypto.randomBytes(4).toString("hex")}`;
            schemas.push(schema);
            const store = await createPostgresStore({ connectionString: TEST_DATABASE_URL, schema, batchLimits: limits });
            opened.push(store);
            schemaOf.set(store, schema);
            return store;
        },
        async transactions(store, table, site) {
            const rows = await sql<{ n: number }>(`SELECT count(DISTINCT xmin::text)::integer AS n FROM ${schemaOf.get(store)}.${table} WHERE site = $1`, [site]);
            return Number(rows[0].n);
        },
        tickets: (store, site) => ownQuery(store, TICKET_ROWS_SQL, [site]),
        async cleanup() {
            for (const s of opened) await s.close();
            for (const s of schemas) await sql(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
        },
    };
}

/** One generated case: tickets issued for a few machines, then claims of them, then completions. */
interface Case {
    /** Machine index per issued ticket, in issue order. */
    issues: number[];
    /** Seconds after T0 each issued ticket is created at (by position; the position itself when missing): not always in issue order. */
    createdAt: number[];
    /** Machines recorded as pending (not in the inventory yet) before the tickets are issued. */
    pending: number[];
    /** Per claim: index of an issued ticket, or -1 for a ticket nobody issued. */
    claims: number[];
    /** Which successful claims complete (by position among the claims), in order; repeats allowed. */
    completes: number[];
    /** Machines that already hold an enrollment record before the case starts. */
    enrolled: number[];
}

const caseArb: fc.Arbitrary<Case> = fc.record({
    issues: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 14 }),
    createdAt: fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 14 }),
    pending: fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
    claims: fc.array(fc.integer({ min: -1, max: 13 }), { minLength: 1, maxLength: 16 }),
    completes: fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 12 }),
    enrolled: fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { maxLength: 2 }),
});

let runCounter = 0;

/** The case's calls on `store`, each phase's calls sent together; returns what every call answered and the stored tickets. */
async function play(store: SqlBootStore, c: Case, site: string, together: boolean, ticketRows: Backend["tickets"]): Promise<unknown> {
    const send = async <T>(calls: Array<() => Promise<T>>): Promise<T[]> => {
        if (together) return Promise.all(calls.map((call) => call()));
        const out: T[] = [];
        for (const call of calls) out.push(await call());
        return out;
    };
    const machine = (k: number): string => `bm-${k}`;
    const mac = (k: number): string => `52:54:00:00:0b:${k.toString(16).padStart(2, "0")}`;
    const enrollment = (t: { machine: string; mac: string }, id: string): EnrollmentRecord => ({
        ticketRef: id.slice(0, 12),
        site,
        machine: t.machine,
        mac: t.mac,
        sourceIp: "192.0.2.30",
        keyBackend: "fake",
        keyId: `k-${id.slice(0, 6)}`,
        keyExpiresAt: "2026-06-01T09:00:00Z",
        configSha256: "e".repeat(64),
        servedAt: at(60),
        enrollment: 1,
    });
    for (const k of c.enrolled) await store.recordEnrollment(enrollment({ machine: machine(k), mac: mac(k) }, `pre${k}`.padEnd(12, "0")));
    // Ticket ids are derived from the case, so both stores see the same ones.
    const tickets: NewTicket[] = c.issues.map((k, i) => ({
        id: crypto.createHash("sha256").update(`${site}/${i}`).digest("hex"),
        site,
        machine: machine(k),
        mac: mac(k),
        arch: "x86_64",
        platform: "efi",
        sourceIp: "192.0.2.30",
        createdAt: at(c.createdAt[i] ?? i),
        expiresAt: at(900),
        enrollment: 1,
    }));
    for (const k of c.pending) {
        await store.recordPending({ site, mac: mac(k), arch: "x86_64", platform: "efi", sourceIp: "192.0.2.30", seenAt: T0 }, 100);
    }
    const issued = await send(tickets.map((t) => () => store.createTicket(t)));
    const afterIssue = { tickets: await ticketRows(store, site), pending: (await store.listPending(site)).map((p) => p.mac).sort() };
    const unknown = ticketId(newTicket());
    const claimIds = c.claims.map((i) => (i < 0 || i >= tickets.length ? unknown : tickets[i].id));
    const claimed = await send(claimIds.map((id) => () => store.claimTicket(id, at(30))));
    const held = claimed.flatMap((r, i) => (r.status === "claimed" ? [{ id: claimIds[i], claim: r.claim, t: r.ticket }] : []));
    const completions = c.completes.filter((i) => i < held.length).map((i) => held[i]);
    const completed = await send(completions.map((h) => () => store.completeClaim(h.id, h.claim, enrollment(h.t, h.id))));
    const enrollments = (await store.listEnrollments({ site })).map((e) => [e.machine, e.ticketRef]).sort();
    return {
        afterIssue,
        ticketsAtEnd: await ticketRows(store, site),
        issued: issued.map((r) => r.status),
        claimed: claimed.map((r) => (r.status === "claimed" ? `claimed#${r.claim}` : r.status)),
        completed: completed.map((r) => `${r.firstUse}/${r.claims}`),
        enrollments,
    };
}

for (const make of [pgliteBackend, postgresBackend]) {
    const backend = make();
    describe(`boot-server store batches (${backend.name})`, function () {
        this.timeout(120_000);
        let batched: SqlBootStore;
        let oneByOne: SqlBootStore;

        before(async () => {
            batched = await backend.open(BATCHED);
            oneByOne = await backend.open(ONE_BY_ONE);
        });
        after(() => backend.cleanup());

        it("ends every call sent together in batches as the same calls sent one after another", async () => {
            await fc.assert(
                fc.asyncProperty(caseArb, async (c) => {
                    const site = `batch-${++runCounter}`;
                    const together = await play(batched, c, site, true, backend.tickets);
                    const alone = await play(oneByOne, c, site, false, backend.tickets);
                    assert.deepEqual(together, alone);
                }),
                runs(25),
            );
        });

        it("writes calls sent together in fewer transactions than calls", async () => {
            const site = `batch-tx-${++runCounter}`;
            const tickets: NewTicket[] = Array.from({ length: 40 }, (_, i) => ({
                id: ticketId(newTicket()),
                site,
                machine: `tx-${i}`,
                mac: `52:54:00:00:0c:${i.toString(16).padStart(2, "0")}`,
                arch: "x86_64",
                platform: "efi",
                sourceIp: "192.0.2.31",
                createdAt: T0,
                expiresAt: at(900),
                enrollment: 1,
            }));
            const issued = await Promise.all(tickets.map((t) => batched.createTicket(t)));
            assert.ok(issued.every((r) => r.status === "issued"));
            const ticketTx = await backend.transactions(batched, "tickets", site);
            assert.ok(ticketTx <= 3, `40 tickets issued together in ${ticketTx} transactions (expected a lone first call plus batches)`);

            const claims = await Promise.all(tickets.map((t) => batched.claimTicket(t.id, at(10))));
            assert.ok(claims.every((r) => r.status === "claimed"));
            const done = await Promise.all(
                claims.map((r, i) => {
                    if (r.status !== "claimed") throw new Error("unreachable");
                    const t = tickets[i];
                    return batched.completeClaim(t.id, r.claim, {
                        ticketRef: t.id.slice(0, 12),
                        site,
                        machine: t.machine,
                        mac: t.mac,
                        sourceIp: t.sourceIp,
                        keyBackend: "fake",
                        keyId: `k${i}`,
                        keyExpiresAt: "2026-06-01T09:00:00Z",
                        configSha256: "f".repeat(64),
                        servedAt: at(20),
                        enrollment: 1,
                    });
                }),
            );
            assert.ok(done.every((r) => r.firstUse));
            assert.equal((await batched.listEnrollments({ site })).length, 40);
            const enrollmentTx = await backend.transactions(batched, "enrollments", site);
            assert.ok(enrollmentTx <= 3, `40 completions in ${enrollmentTx} transactions`);
            // Sent one by one, the same calls take one transaction each.
            const alone = `batch-tx-alone-${++runCounter}`;
            for (const t of tickets.slice(0, 5)) await oneByOne.createTicket({ ...t, id: ticketId(newTicket()), site: alone });
            assert.equal(await backend.transactions(oneByOne, "tickets", alone), 5);
        });

        it("claims a ticket for exactly one of many callers in one batch", async () => {
            const site = `batch-race-${++runCounter}`;
            const t: NewTicket = {
                id: ticketId(newTicket()),
                site,
                machine: "race",
                mac: "52:54:00:00:0d:01",
                arch: "x86_64",
                platform: "efi",
                sourceIp: "192.0.2.32",
                createdAt: T0,
                expiresAt: at(900),
                enrollment: 1,
            };
            await batched.createTicket(t);
            const results = await Promise.all(Array.from({ length: 25 }, () => batched.claimTicket(t.id, at(5))));
            assert.deepEqual(
                results.map((r) => r.status).sort(),
                ["claimed", ...Array.from({ length: 24 }, () => "in_use")].sort(),
            );
        });
    });
}
