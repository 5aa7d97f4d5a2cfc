/**
 * The store's SQL, shared by both backends: they differ only in how a statement reaches
 * PostgreSQL (PGlite in-process, `pg` over the network), which `SqlExecutor` hides.
 */
import { BatchLimits, Coalescer, DEFAULT_BATCH_LIMITS } from "./batch";
import { CLAIMED_TICKET_KEEP_SECONDS, SCHEMA_LOCK_ID, SCHEMA_SQL, SCHEMA_VERSION } from "./schema";
import { CLAIM_LEASE_MS } from "./types";
import type {
    BootStore,
    ClaimResult,
    ClaimTiming,
    CompleteResult,
    EnrollmentRecord,
    IssueResult,
    NewTicket,
    PendingMachine,
    PendingSighting,
    TicketRecord,
} from "./types";

type Row = Record<string, unknown>;

export interface SqlExecutor {
    /** One parameterised statement ($1, $2, ...). */
    query(text: string, params?: readonly unknown[]): Promise<Row[]>;
    /** Several statements without parameters, in one transaction holding an advisory lock. */
    runSchema(lockId: number, script: string): Promise<void>;
    close(): Promise<void>;
}

function opt(v: unknown): string | undefined {
    return v === null || v === undefined ? undefined : String(v);
}

function date(v: unknown): Date {
    return v instanceof Date ? v : new Date(String(v));
}

function toTicket(r: Row): TicketRecord {
    return {
        id: String(r.id),
        site: String(r.site),
        machine: String(r.machine),
        mac: String(r.mac),
        uuid: opt(r.uuid),
        serial: opt(r.serial),
        arch: String(r.arch),
        platform: String(r.platform),
        sourceIp: String(r.source_ip),
        createdAt: date(r.created_at),
        expiresAt: date(r.expires_at),
        consumedAt: r.consumed_at === null || r.consumed_at === undefined ? undefined : date(r.consumed_at),
        enrollment: Number(r.enrollment),
        claimedUntil: r.claimed_until === null || r.claimed_until === undefined ? undefined : date(r.claimed_until),
        claims: Number(r.claims ?? 0),
    };
}

function toPending(r: Row): PendingMachine {
    return {
        site: String(r.site),
        mac: String(r.mac),
        uuid: opt(r.uuid),
        serial: opt(r.serial),
        arch: String(r.arch),
        platform: String(r.platform),
        sourceIp: String(r.source_ip),
        firstSeen: date(r.first_seen),
        lastSeen: date(r.last_seen),
        seenCount: Number(r.seen_count),
    };
}

function toEnrollment(r: Row): EnrollmentRecord {
    return {
        ticketRef: String(r.ticket_ref),
        site: String(r.site),
        machine: String(r.machine),
        mac: String(r.mac),
        uuid: opt(r.uuid),
        serial: opt(r.serial),
        sourceIp: String(r.source_ip),
        keyBackend: String(r.key_backend),
        keyId: String(r.key_id),
        keyExpiresAt: String(r.key_expires_at),
        configSha256: String(r.config_sha256),
        servedAt: date(r.served_at),
        enrollment: Number(r.enrollment),
    };
}

const TICKET_COLUMNS =
    "id, site, machine, mac, uuid, serial, arch, platform, source_ip, created_at, expires_at, consumed_at, enrollment, claimed_until, claims";
const ENROLLMENT_COLUMNS =
    "ticket_ref, site, machine, mac, uuid, serial, source_ip, key_backend, key_id, key_expires_at, config_sha256, served_at, enrollment";
const PENDING_COLUMNS = "site, mac, uuid, serial, arch, platform, source_ip, first_seen, last_seen, seen_count";

/** One round trip each; the statements live in PL/pgSQL functions (schema.ts) so their plans are cached. */
const ISSUE_TICKET_SQL = `SELECT issued, enrolled_at, enrolled_ticket_ref
    FROM boot_issue_ticket($1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text,
                           $10::timestamptz, $11::timestamptz, $12::integer)`;
const CLAIM_TICKET_SQL = `SELECT status, ${TICKET_COLUMNS}
    FROM boot_claim_ticket($1::text, $2::timestamptz, $3::timestamptz, $4::timestamptz, $5::integer, $6::boolean)`;
const COMPLETE_CLAIM_SQL = `SELECT first_use, claims
    FROM boot_complete_claim($1::text, $2::integer, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text,
                             $10::text, $11::text, $12::text, $13::text, $14::timestamptz, $15::integer)`;

/** The batched forms (schema version 4): one JSON array of items, one row per item named by "i". */
const ISSUE_TICKETS_SQL = "SELECT i, issued, enrolled_at, enrolled_ticket_ref FROM boot_issue_tickets($1::jsonb)";
const CLAIM_TICKETS_SQL = `SELECT i, status, ${TICKET_COLUMNS} FROM boot_claim_tickets($1::jsonb, $2::integer, $3::boolean)`;
const COMPLETE_CLAIMS_SQL = "SELECT i, first_use, claims FROM boot_complete_claims($1::jsonb)";

/** A claim call's inputs. */
interface ClaimCall {
    id: string;
    at: Date;
    leaseUntil: Date;
    keepUntil: Date;
}

/** A completion call's inputs. */
interface CompleteCall {
    id: string;
    claim: number;
    e: EnrollmentRecord;
}

/** Rows of a batch in item order; a row missing for an item is an error. */
function byItem(rows: Row[], count: number): Row[] {
    const out = new Array<Row>(count);
    for (const r of rows) out[Number(r.i)] = r;
    for (let i = 0; i < count; i++) if (out[i] === undefined) throw new Error(`store: a batch returned no row for item ${i}`);
    return out;
}

/**
 * Who this store is when it claims tickets: `holder` is written into every claim it makes, and
 * `sessionLocks` says whether other processes' holders can be checked for life through
 * PostgreSQL session locks (see boot_holder_alive) or are gone by construction (embedded store).
 */
export interface ClaimHolder {
    /** 1..2^31-1, unique among the processes using the database at the same time. */
    holder: number;
    sessionLocks: boolean;
}

export class SqlBootStore implements BootStore {
    /** Calls in progress; close() waits for them (a completion can start as a response finishes). */
    private readonly inFlight = new Set<Promise<unknown>>();
    private readonly issues: Coalescer<NewTicket, Row>;
    private readonly claims: Coalescer<ClaimCall, Row>;
    private readonly completions: Coalescer<CompleteCall, Row>;

    /** `batchLimits`: how the hot calls are coalesced (store/batch.ts); `maxBatch: 1` sends every call alone. */
    constructor(
        readonly kind: string,
        private readonly sql: SqlExecutor,
        private readonly claimHolder: ClaimHolder,
        batchLimits: BatchLimits = DEFAULT_BATCH_LIMITS,
    ) {
        const first = async (text: string, params: readonly unknown[]): Promise<Row> => {
            const [r] = await this.query(text, params);
            if (r === undefined) throw new Error("store: a hot-path function returned no row");
            return r;
        };
        this.issues = new Coalescer<NewTicket, Row>(
            {
                one: (t) => first(ISSUE_TICKET_SQL, issueParams(t)),
                many: async (ts) => byItem(await this.query(ISSUE_TICKETS_SQL, [JSON.stringify(ts.map(issueItem))]), ts.length),
            },
            batchLimits,
        );
        this.claims = new Coalescer<ClaimCall, Row>(
            {
                one: (c) => first(CLAIM_TICKET_SQL, [c.id, c.at, c.leaseUntil, c.keepUntil, this.claimHolder.holder, this.claimHolder.sessionLocks]),
                many: async (cs) => {
                    const items = cs.map((c, i) => ({ i, id: c.id, at: c.at, lease_until: c.leaseUntil, keep_until: c.keepUntil }));
                    const { holder, sessionLocks } = this.claimHolder;
                    return byItem(await this.query(CLAIM_TICKETS_SQL, [JSON.stringify(items), holder, sessionLocks]), cs.length);
                },
            },
            batchLimits,
        );
        this.completions = new Coalescer<CompleteCall, Row>(
            {
                one: (c) => first(COMPLETE_CLAIM_SQL, completeParams(c)),
                many: async (cs) => byItem(await this.query(COMPLETE_CLAIMS_SQL, [JSON.stringify(cs.map(completeItem))]), cs.length),
            },
            batchLimits,
        );
    }

    /** Applies the schema (idempotent). Called once by the factories before the store is handed out. */
    async migrate(): Promise<void> {
        // A database this version has set up already needs nothing: one cheap read instead of
        // the whole script on every start (start-up time counts on Cloud Run's cold starts).
        const current = await this.sql.query("SELECT 1 AS ok FROM boot_schema WHERE version = $1", [SCHEMA_VERSION]).catch(() => []);
        if (current.length === 1) return;
        await this.sql.runSchema(SCHEMA_LOCK_ID, SCHEMA_SQL);
    }

    /** One statement, tracked until it settles. */
    private query(text: string, params: readonly unknown[] = []): Promise<Row[]> {
        return this.track(this.sql.query(text, params));
    }

    /** `p`, kept in `inFlight` until it settles, so close() waits for it. */
    private track<T>(p: Promise<T>): Promise<T> {
        this.inFlight.add(p);
        const forget = (): void => void this.inFlight.delete(p);
        p.then(forget, forget);
        return p;
    }

    async createTicket(t: NewTicket): Promise<IssueResult> {
        const r = await this.track(this.issues.submit(t));
        if (r.issued === true) return { status: "issued" };
        return { status: "enrolled", enrolledAt: date(r.enrolled_at), ticketRef: String(r.enrolled_ticket_ref) };
    }

    async claimTicket(id: string, now: Date, timing: ClaimTiming = {}): Promise<ClaimResult> {
        const leaseUntil = new Date(now.getTime() + (timing.leaseMs ?? CLAIM_LEASE_MS));
        const keepUntil = new Date(now.getTime() + (timing.keepMs ?? CLAIMED_TICKET_KEEP_SECONDS * 1000));
        const r = await this.track(this.claims.submit({ id, at: now, leaseUntil, keepUntil }));
        switch (r.status) {
            case "unknown":
                return { status: "unknown" };
            case "claimed": {
                const ticket = toTicket(r);
                return { status: "claimed", claim: ticket.claims, ticket };
            }
            case "used":
            case "in_use":
            case "expired":
            case "enrolled":
                return { status: r.status, ticket: toTicket(r) };
            default:
                throw new Error("store: boot_claim_ticket returned no status");
        }
    }

    async releaseClaim(id: string, claim: number): Promise<boolean> {
        const rows = await this.query(
            `UPDATE tickets SET claimed_until = NULL, claim_holder = NULL
             WHERE id = $1 AND claims = $2 AND consumed_at IS NULL AND claimed_until IS NOT NULL RETURNING id`,
            [id, claim],
        );
        return rows.length === 1;
    }

    async completeClaim(id: string, claim: number, e: EnrollmentRecord): Promise<CompleteResult> {
        const r = await this.track(this.completions.submit({ id, claim, e }));
        return { firstUse: r.first_use === true, claims: Number(r.claims ?? 0) };
    }

    async recordPending(s: PendingSighting, maxPerSite: number): Promise<{ recorded: boolean; pending?: PendingMachine }> {
        const params = [s.site, s.mac, s.uuid ?? null, s.serial ?? null, s.arch, s.platform, s.sourceIp, s.seenAt];
        const updated = await this.query(
            `UPDATE pending_machines
             SET uuid = $3, serial = $4, arch = $5, platform = $6, source_ip = $7,
                 last_seen = GREATEST(last_seen, $8::timestamptz), seen_count = seen_count + 1
             WHERE site = $1 AND mac = $2
             RETURNING ${PENDING_COLUMNS}`,
            params,
        );
        if (updated.length === 1) return { recorded: true, pending: toPending(updated[0]) };
        const inserted = await this.query(
            `INSERT INTO pending_machines (site, mac, uuid, serial, arch, platform, source_ip, first_seen, last_seen, seen_count)
             SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::timestamptz, $8::timestamptz, 1
             WHERE (SELECT count(*) FROM pending_machines WHERE site = $1::text) < $9::bigint
             ON CONFLICT (site, mac) DO UPDATE
               SET uuid = EXCLUDED.uuid, serial = EXCLUDED.serial, arch = EXCLUDED.arch,
                   platform = EXCLUDED.platform, source_ip = EXCLUDED.source_ip,
                   last_seen = GREATEST(pending_machines.last_seen, EXCLUDED.last_seen),
                   seen_count = pending_machines.seen_count + 1
             RETURNING ${PENDING_COLUMNS}`,
            [...params, maxPerSite],
        );
        return inserted.length === 1 ? { recorded: true, pending: toPending(inserted[0]) } : { recorded: false };
    }

    async listPending(site?: string): Promise<PendingMachine[]> {
        const rows = await this.query(
            `SELECT ${PENDING_COLUMNS} FROM pending_machines
             WHERE ($1::text IS NULL OR site = $1) ORDER BY first_seen, site, mac`,
            [site ?? null],
        );
        return rows.map(toPending);
    }

    async removePending(site: string, mac: string): Promise<boolean> {
        const rows = await this.query("DELETE FROM pending_machines WHERE site = $1 AND mac = $2 RETURNING mac", [site, mac]);
        return rows.length === 1;
    }

    async recordEnrollment(e: EnrollmentRecord): Promise<void> {
        await this.query(
            `INSERT INTO enrollments (${ENROLLMENT_COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
            enrollmentParams(e),
        );
    }

    async listEnrollments(filter: { site?: string; machine?: string } = {}): Promise<EnrollmentRecord[]> {
        const rows = await this.query(
            `SELECT ${ENROLLMENT_COLUMNS} FROM enrollments
             WHERE ($1::text IS NULL OR site = $1) AND ($2::text IS NULL OR machine = $2)
             ORDER BY served_at, id`,
            [filter.site ?? null, filter.machine ?? null],
        );
        return rows.map(toEnrollment);
    }

    async purgeTickets(before: Date): Promise<number> {
        const rows = await this.query("DELETE FROM tickets WHERE expires_at < $1 RETURNING id", [before]);
        return rows.length;
    }

    async ping(): Promise<void> {
        await this.query("SELECT 1 AS ok");
    }

    async checkWritable(): Promise<void> {
        // A real write (a new row version and a committed WAL record), not a read-only round trip.
        const rows = await this.query(
            "UPDATE boot_schema SET applied_at = applied_at WHERE version = (SELECT max(version) FROM boot_schema) RETURNING version",
        );
        if (rows.length !== 1) throw new Error("store: boot_schema has no row to write (schema not applied)");
    }

    async close(): Promise<void> {
        await Promise.allSettled([...this.inFlight]);
        await this.sql.close();
    }
}

function issueParams(t: NewTicket): unknown[] {
    return [t.id, t.site, t.machine, t.mac, t.uuid ?? null, t.serial ?? null, t.arch, t.platform, t.sourceIp, t.createdAt, t.expiresAt, t.enrollment];
}

/** boot_issue_tickets' item (schema.ts): the same values as issueParams, by column name. */
function issueItem(t: NewTicket, i: number): Record<string, unknown> {
    return {
        i,
        id: t.id,
        site: t.site,
        machine: t.machine,
        mac: t.mac,
        uuid: t.uuid ?? null,
        serial: t.serial ?? null,
        arch: t.arch,
        platform: t.platform,
        source_ip: t.sourceIp,
        created_at: t.createdAt,
        expires_at: t.expiresAt,
        enrollment: t.enrollment,
    };
}

/** An enrollment record's values in ENROLLMENT_COLUMNS order. */
function enrollmentParams(e: EnrollmentRecord): unknown[] {
    return [
        e.ticketRef,
        e.site,
        e.machine,
        e.mac,
        e.uuid ?? null,
        e.serial ?? null,
        e.sourceIp,
        e.keyBackend,
        e.keyId,
        e.keyExpiresAt,
        e.configSha256,
        e.servedAt,
        e.enrollment,
    ];
}

/** boot_complete_claim's parameters: the ticket, the claim, then the record (COMPLETE_CLAIM_SQL). */
function completeParams({ id, claim, e }: CompleteCall): unknown[] {
    return [id, claim, ...enrollmentParams(e)];
}

/** boot_complete_claims' item (schema.ts): the same values as completeParams, by column name. */
function completeItem({ id, claim, e }: CompleteCall, i: number): Record<string, unknown> {
    return {
        i,
        id,
        claim,
        ticket_ref: e.ticketRef,
        site: e.site,
        machine: e.machine,
        mac: e.mac,
        uuid: e.uuid ?? null,
        serial: e.serial ?? null,
        source_ip: e.sourceIp,
        key_backend: e.keyBackend,
        key_id: e.keyId,
        key_expires_at: e.keyExpiresAt,
        config_sha256: e.configSha256,
        served_at: e.servedAt,
        enrollment: e.enrollment,
    };
}
