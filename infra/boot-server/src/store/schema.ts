/**
 * The one SQL schema both stores run (PGlite embeds the same PostgreSQL, so the statements,
 * types and the atomic ticket consume behave identically). Idempotent: every start applies it
 * under an advisory lock, so instances starting together do not race on CREATE.
 *
 * Tickets are stored by SHA-256 only. Enrollment records hold the minted key's id, never the key.
 */

/** Arbitrary constant naming the advisory lock that serialises schema setup. */
export const SCHEMA_LOCK_ID = 7_411_203_915;

/** First key of the per-machine advisory locks that serialise ticket claims (second key: a hash of site/machine). */
export const CONSUME_LOCK_CLASS = 7411;

/**
 * First key of the session advisory lock each PostgreSQL store holds for as long as its process
 * lives (second key: the store's claim holder number). A claim whose holder's lock can be taken
 * belongs to a process that is gone: PostgreSQL drops a session's locks when its connection closes.
 */
export const HOLDER_LOCK_CLASS = 7412;

/**
 * How long a claimed ticket stays valid for re-presentation, from its last claim: Talos retries
 * the same config URL for up to 3 h (ConfigLoadTimeout), so a fetch whose serving process died
 * can still succeed on any of those retries.
 */
export const CLAIMED_TICKET_KEEP_SECONDS = 3 * 3600;

/**
 * Bumped when a statement below changes meaning; recorded in boot_schema.
 *   1  tickets, pending_machines, enrollments
 *   2  enrollment generation on tickets and enrollments (added in place to version-1 tables,
 *      existing rows become generation 1); partial indexes for superseding live tickets and
 *      finding consumed ones; index for "is this machine enrolled for this generation";
 *      functions boot_issue_ticket and boot_consume_ticket
 *   3  two-step redemption: a ticket is claimed (claimed_until, claim_holder, claims) while its
 *      config is minted and sent, and marked used (consumed_at) together with its enrollment
 *      record only once the config has been written out (boot_claim_ticket,
 *      boot_complete_claim); a claim whose process died can be claimed again. Version-2 tickets
 *      consumed without an enrollment record (their process died mid-fetch) become such lapsed
 *      claims once, at the upgrade. boot_consume_ticket is left in place for a version-2
 *      revision still draining during the rollout.
 *   4  batched forms of the three hot calls (boot_issue_tickets, boot_claim_tickets,
 *      boot_complete_claims): many calls in one statement and one commit (store/batch.ts). Each
 *      runs the single-call function per item, so an item's outcome is the one it would have
 *      had alone, in that order. No table changes: a version-3 revision still draining keeps
 *      working.
 */
export const SCHEMA_VERSION = 4;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS boot_schema (
    version     integer PRIMARY KEY,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS tickets (
    id          text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
    site        text NOT NULL,
    machine     text NOT NULL,
    mac         text NOT NULL,
    uuid        text,
    serial      text,
    arch        text NOT NULL,
    platform    text NOT NULL,
    source_ip   text NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    consumed_at timestamptz,
    enrollment  integer NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS tickets_expires_at ON tickets (expires_at);

CREATE TABLE IF NOT EXISTS pending_machines (
    site        text NOT NULL,
    mac         text NOT NULL,
    uuid        text,
    serial      text,
    arch        text NOT NULL,
    platform    text NOT NULL,
    source_ip   text NOT NULL,
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    seen_count  integer NOT NULL DEFAULT 1,
    PRIMARY KEY (site, mac)
);

CREATE TABLE IF NOT EXISTS enrollments (
    id             bigserial PRIMARY KEY,
    ticket_ref     text NOT NULL,
    site           text NOT NULL,
    machine        text NOT NULL,
    mac            text NOT NULL,
    uuid           text,
    serial         text,
    source_ip      text NOT NULL,
    key_backend    text NOT NULL,
    key_id         text NOT NULL,
    key_expires_at text NOT NULL,
    config_sha256  text NOT NULL,
    served_at      timestamptz NOT NULL,
    enrollment     integer NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS enrollments_site_machine ON enrollments (site, machine, served_at);

-- Version 2 on a database created by version 1 (no-ops on a fresh one).
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS enrollment integer NOT NULL DEFAULT 1;
ALTER TABLE enrollments ADD COLUMN IF NOT EXISTS enrollment integer NOT NULL DEFAULT 1;
-- Superseding a machine's live tickets reads only unconsumed rows of that machine.
CREATE INDEX IF NOT EXISTS tickets_live_by_machine ON tickets (site, machine, expires_at) WHERE consumed_at IS NULL;
-- Every machine script and config fetch asks whether the machine's generation has enrolled,
-- and a config fetch whether another ticket of that generation is already being served.
CREATE INDEX IF NOT EXISTS enrollments_generation ON enrollments (site, machine, enrollment, served_at);
CREATE INDEX IF NOT EXISTS tickets_consumed_by_machine ON tickets (site, machine, enrollment) WHERE consumed_at IS NOT NULL;

-- The two hot write paths as functions: PL/pgSQL keeps the plans of its statements for the
-- session, where a plain statement is parsed and planned on every call (most of a statement's
-- cost in PGlite, where planning the equivalent multi-CTE statement cost more than three
-- separate round trips). One call = one round trip and one atomic unit.

-- Issues a ticket unless the machine's generation already has an enrollment record: supersedes
-- the machine's live tickets, inserts the new one, forgets the MAC's pending record.
CREATE OR REPLACE FUNCTION boot_issue_ticket(
    p_id text, p_site text, p_machine text, p_mac text, p_uuid text, p_serial text, p_arch text,
    p_platform text, p_source_ip text, p_created_at timestamptz, p_expires_at timestamptz, p_enrollment integer,
    OUT issued boolean, OUT enrolled_at timestamptz, OUT enrolled_ticket_ref text)
LANGUAGE plpgsql AS $fn$
BEGIN
    SELECT e.served_at, e.ticket_ref INTO enrolled_at, enrolled_ticket_ref
      FROM enrollments e
     WHERE e.site = p_site AND e.machine = p_machine AND e.enrollment = p_enrollment
     ORDER BY e.served_at DESC
     LIMIT 1;
    IF FOUND THEN
        issued := false;
        RETURN;
    END IF;
    UPDATE tickets t SET expires_at = p_created_at
     WHERE t.site = p_site AND t.machine = p_machine AND t.consumed_at IS NULL AND t.expires_at > p_created_at;
    INSERT INTO tickets (id, site, machine, mac, uuid, serial, arch, platform, source_ip, created_at, expires_at, enrollment)
    VALUES (p_id, p_site, p_machine, p_mac, p_uuid, p_serial, p_arch, p_platform, p_source_ip, p_created_at, p_expires_at, p_enrollment);
    DELETE FROM pending_machines pm WHERE pm.site = p_site AND pm.mac = p_mac;
    issued := true;
END
$fn$;

-- Consumes a ticket if it is unused, unexpired, and its machine's generation has neither an
-- enrollment record nor another consumed ticket (a config being served; failed fetches release
-- theirs). Consumes of one machine are serialised by a transaction-scoped advisory lock, so on
-- PostgreSQL, too, two instances cannot both pass the generation check; the final UPDATE's
-- "consumed_at IS NULL" keeps each ticket single-use regardless. The checks are separate,
-- parameterised lookups: as NOT EXISTS inside the UPDATE the planner turned them into
-- anti-joins over every consumed ticket and enrollment, which grew with the tables.
CREATE OR REPLACE FUNCTION boot_consume_ticket(p_id text, p_now timestamptz)
RETURNS TABLE (status text, id text, site text, machine text, mac text, uuid text, serial text, arch text,
               platform text, source_ip text, created_at timestamptz, expires_at timestamptz,
               consumed_at timestamptz, enrollment integer)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
    t tickets%ROWTYPE;
BEGIN
    SELECT u.* INTO t FROM tickets u WHERE u.id = p_id;
    IF NOT FOUND THEN
        status := 'unknown';
        RETURN NEXT;
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(${CONSUME_LOCK_CLASS}, hashtext(t.site || '/' || t.machine));
    -- Re-read after the lock: a consume that held it has committed by now.
    SELECT u.* INTO t FROM tickets u WHERE u.id = p_id;
    IF t.consumed_at IS NOT NULL THEN
        status := 'used';
    ELSIF t.expires_at <= p_now THEN
        status := 'expired';
    ELSIF EXISTS (SELECT 1 FROM enrollments e
                   WHERE e.site = t.site AND e.machine = t.machine AND e.enrollment = t.enrollment)
       OR EXISTS (SELECT 1 FROM tickets o
                   WHERE o.site = t.site AND o.machine = t.machine AND o.enrollment = t.enrollment
                     AND o.consumed_at IS NOT NULL AND o.id <> t.id) THEN
        status := 'enrolled';
    ELSE
        UPDATE tickets u SET consumed_at = p_now WHERE u.id = p_id AND u.consumed_at IS NULL;
        IF FOUND THEN
            status := 'consumed';
            t.consumed_at := p_now;
        ELSE
            status := 'used';
            SELECT u.* INTO t FROM tickets u WHERE u.id = p_id;
        END IF;
    END IF;
    id := t.id; site := t.site; machine := t.machine; mac := t.mac; uuid := t.uuid; serial := t.serial;
    arch := t.arch; platform := t.platform; source_ip := t.source_ip; created_at := t.created_at;
    expires_at := t.expires_at; consumed_at := t.consumed_at; enrollment := t.enrollment;
    RETURN NEXT;
END
$fn$;

-- Version 3: claims. claimed_until = end of the claim's lease; claim_holder = the claiming
-- store's holder number (HOLDER_LOCK_CLASS); claims = how often the ticket has been claimed, which
-- also tells one claim from the next (release and completion name the claim they end).
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS claimed_until timestamptz;
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS claim_holder integer;
ALTER TABLE tickets ADD COLUMN IF NOT EXISTS claims integer NOT NULL DEFAULT 0;
-- Another ticket of the same machine and generation being served blocks a claim: find claimed rows by machine.
CREATE INDEX IF NOT EXISTS tickets_claimed_by_machine ON tickets (site, machine, enrollment)
    WHERE claimed_until IS NOT NULL AND consumed_at IS NULL;

-- Once, when a version-2 database is upgraded: a ticket consumed without an enrollment record
-- was being served by a process that died (version 2 marked it used before minting). It becomes
-- a lapsed claim, so the stranded machine's next retry of the same URL is served.
DO $upgrade$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM boot_schema WHERE version >= 3) THEN
        UPDATE tickets t
           SET claimed_until = t.consumed_at, claims = 1, consumed_at = NULL,
               expires_at = GREATEST(t.expires_at, t.consumed_at + make_interval(secs => ${CLAIMED_TICKET_KEEP_SECONDS}))
         WHERE t.consumed_at IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM enrollments e
                            WHERE e.site = t.site AND e.machine = t.machine AND e.enrollment = t.enrollment
                              AND e.ticket_ref = left(t.id, 12));
    END IF;
END
$upgrade$;

-- Whether the store that holds a claim is still running. Its own claims are (p_self); with
-- PostgreSQL (p_session_locks) every store holds HOLDER_LOCK_CLASS/<holder> on a session of its
-- own, which the server releases when that process's connection closes, so being able to take
-- the lock means the holder is gone (taken for this transaction only). With the embedded store
-- only one process opens the database, so every other holder is a process that has exited.
CREATE OR REPLACE FUNCTION boot_holder_alive(p_holder integer, p_self integer, p_session_locks boolean)
RETURNS boolean
LANGUAGE plpgsql AS $fn$
BEGIN
    IF p_holder IS NULL THEN
        RETURN false;
    ELSIF p_holder = p_self THEN
        RETURN true;
    ELSIF NOT p_session_locks THEN
        RETURN false;
    END IF;
    RETURN NOT pg_try_advisory_xact_lock(${HOLDER_LOCK_CLASS}, p_holder);
END
$fn$;

-- Claims a ticket for serving its config: first step of the two-step redemption. Statuses:
--   used      a config was served for it (consumed_at)
--   in_use    another request holds a live claim on it (lease running, holder alive)
--   expired   past expires_at (TTL, superseded, or the claimed-ticket keep ran out)
--   enrolled  its machine and generation has an enrollment record, or another ticket of that
--             generation is used or held by a live claim
--   claimed   this call claimed it: lease until p_lease_until, held by p_self, and kept valid at
--             least until p_keep_until, so Talos's retries of the same URL can be served again if
--             this claim's process dies; claims = this claim's number
-- Claims of one machine are serialised by a transaction-scoped advisory lock (across instances
-- on PostgreSQL); the UPDATE is conditional on the claim count read under that lock, so two
-- callers can never both claim.
CREATE OR REPLACE FUNCTION boot_claim_ticket(p_id text, p_now timestamptz, p_lease_until timestamptz,
                                             p_keep_until timestamptz, p_self integer, p_session_locks boolean)
RETURNS TABLE (status text, id text, site text, machine text, mac text, uuid text, serial text, arch text,
               platform text, source_ip text, created_at timestamptz, expires_at timestamptz,
               consumed_at timestamptz, enrollment integer, claimed_until timestamptz, claims integer)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
    t tickets%ROWTYPE;
BEGIN
    SELECT u.* INTO t FROM tickets u WHERE u.id = p_id;
    IF NOT FOUND THEN
        status := 'unknown';
        RETURN NEXT;
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(${CONSUME_LOCK_CLASS}, hashtext(t.site || '/' || t.machine));
    -- Re-read after the lock: a claim that held it has committed by now.
    SELECT u.* INTO t FROM tickets u WHERE u.id = p_id;
    IF t.consumed_at IS NOT NULL THEN
        status := 'used';
    ELSIF t.claimed_until > p_now AND boot_holder_alive(t.claim_holder, p_self, p_session_locks) THEN
        status := 'in_use';
    ELSIF t.expires_at <= p_now THEN
        status := 'expired';
    ELSIF EXISTS (SELECT 1 FROM enrollments e
                   WHERE e.site = t.site AND e.machine = t.machine AND e.enrollment = t.enrollment)
       OR EXISTS (SELECT 1 FROM tickets o
                   WHERE o.site = t.site AND o.machine = t.machine AND o.enrollment = t.enrollment
                     AND o.consumed_at IS NOT NULL AND o.id <> t.id)
       OR EXISTS (SELECT 1 FROM tickets o
                   WHERE o.site = t.site AND o.machine = t.machine AND o.enrollment = t.enrollment
                     AND o.claimed_until > p_now AND o.consumed_at IS NULL AND o.id <> t.id
                     AND boot_holder_alive(o.claim_holder, p_self, p_session_locks)) THEN
        status := 'enrolled';
    ELSE
        UPDATE tickets u
           SET claimed_until = p_lease_until, claim_holder = p_self, claims = u.claims + 1,
               expires_at = GREATEST(u.expires_at, p_keep_until)
         WHERE u.id = p_id AND u.consumed_at IS NULL AND u.claims = t.claims
        RETURNING u.* INTO t;
        IF FOUND THEN
            status := 'claimed';
        ELSE
            status := 'in_use';
            SELECT u.* INTO t FROM tickets u WHERE u.id = p_id;
        END IF;
    END IF;
    id := t.id; site := t.site; machine := t.machine; mac := t.mac; uuid := t.uuid; serial := t.serial;
    arch := t.arch; platform := t.platform; source_ip := t.source_ip; created_at := t.created_at;
    expires_at := t.expires_at; consumed_at := t.consumed_at; enrollment := t.enrollment;
    claimed_until := t.claimed_until; claims := t.claims;
    RETURN NEXT;
END
$fn$;

-- Second step, after the config has been written out: marks the ticket used and records the
-- enrollment, atomically. The record is written whatever the ticket's state, because the config
-- has been delivered; first_use says whether this call marked the ticket used (false: another
-- claim's config was recorded first, after this claim had lapsed), and claims whether the ticket
-- was claimed again meanwhile.
CREATE OR REPLACE FUNCTION boot_complete_claim(
    p_id text, p_claim integer, p_ticket_ref text, p_site text, p_machine text, p_mac text, p_uuid text,
    p_serial text, p_source_ip text, p_key_backend text, p_key_id text, p_key_expires_at text,
    p_config_sha256 text, p_served_at timestamptz, p_enrollment integer,
    OUT first_use boolean, OUT claims integer)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
    UPDATE tickets u SET consumed_at = p_served_at, claimed_until = NULL
     WHERE u.id = p_id AND u.consumed_at IS NULL;
    first_use := FOUND;
    SELECT u.claims INTO claims FROM tickets u WHERE u.id = p_id;
    INSERT INTO enrollments (ticket_ref, site, machine, mac, uuid, serial, source_ip, key_backend, key_id,
                             key_expires_at, config_sha256, served_at, enrollment)
    VALUES (p_ticket_ref, p_site, p_machine, p_mac, p_uuid, p_serial, p_source_ip, p_key_backend, p_key_id,
            p_key_expires_at, p_config_sha256, p_served_at, p_enrollment);
END
$fn$;

-- Version 4: batches. Each takes its items as a JSON array (one object per call, "i" = the
-- call's position) and returns one row per item, named by "i". Items run one after another
-- through the single-call function, in the order of the per-machine key hashtext(site/machine),
-- the key of the claim locks: every batch takes its row and advisory locks in that one order,
-- so two batches touching the same machines wait for each other instead of deadlocking (the
-- caller runs a batch's items one by one if PostgreSQL still reports a conflict, class 40).
CREATE OR REPLACE FUNCTION boot_issue_tickets(p_items jsonb)
RETURNS TABLE (i integer, issued boolean, enrolled_at timestamptz, enrolled_ticket_ref text)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
    r record;
BEGIN
    FOR r IN SELECT x.* FROM jsonb_to_recordset(p_items) AS x(
                 i integer, id text, site text, machine text, mac text, uuid text, serial text, arch text,
                 platform text, source_ip text, created_at timestamptz, expires_at timestamptz, enrollment integer)
             ORDER BY hashtext(x.site || '/' || x.machine), x.site, x.machine, x.i
    LOOP
        RETURN QUERY SELECT r.i, b.issued, b.enrolled_at, b.enrolled_ticket_ref
          FROM boot_issue_ticket(r.id, r.site, r.machine, r.mac, r.uuid, r.serial, r.arch, r.platform,
                                 r.source_ip, r.created_at, r.expires_at, r.enrollment) b;
    END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION boot_claim_tickets(p_items jsonb, p_self integer, p_session_locks boolean)
RETURNS TABLE (i integer, status text, id text, site text, machine text, mac text, uuid text, serial text,
               arch text, platform text, source_ip text, created_at timestamptz, expires_at timestamptz,
               consumed_at timestamptz, enrollment integer, claimed_until timestamptz, claims integer)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
    r record;
BEGIN
    -- Unknown tickets (no row to join) first; they take no lock.
    FOR r IN SELECT x.* FROM jsonb_to_recordset(p_items) AS x(
                 i integer, id text, at timestamptz, lease_until timestamptz, keep_until timestamptz)
             LEFT JOIN tickets t ON t.id = x.id
             ORDER BY hashtext(t.site || '/' || t.machine) NULLS FIRST, t.site, t.machine, x.i
    LOOP
        RETURN QUERY SELECT r.i, c.*
          FROM boot_claim_ticket(r.id, r.at, r.lease_until, r.keep_until, p_self, p_session_locks) c;
    END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION boot_complete_claims(p_items jsonb)
RETURNS TABLE (i integer, first_use boolean, claims integer)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
    r record;
BEGIN
    FOR r IN SELECT x.* FROM jsonb_to_recordset(p_items) AS x(
                 i integer, id text, claim integer, ticket_ref text, site text, machine text, mac text, uuid text,
                 serial text, source_ip text, key_backend text, key_id text, key_expires_at text,
                 config_sha256 text, served_at timestamptz, enrollment integer)
             ORDER BY hashtext(x.site || '/' || x.machine), x.site, x.machine, x.i
    LOOP
        RETURN QUERY SELECT r.i, c.first_use, c.claims
          FROM boot_complete_claim(r.id, r.claim, r.ticket_ref, r.site, r.machine, r.mac, r.uuid, r.serial,
                                   r.source_ip, r.key_backend, r.key_id, r.key_expires_at, r.config_sha256,
                                   r.served_at, r.enrollment) c;
    END LOOP;
END
$fn$;

INSERT INTO boot_schema (version) VALUES (${SCHEMA_VERSION}) ON CONFLICT (version) DO NOTHING;
`;
