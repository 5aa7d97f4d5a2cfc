/**
 * The one SQL schema both stores run (PGlite embeds the same PostgreSQL, so the statements,
 * types and the atomic ticket consume behave identically). Idempotent: every start applies it
 * under an advisory lock, so instances starting together do not race on CREATE.
 *
 * Tickets are stored by SHA-256 only. Enrollment records hold the minted key's id, never the key.
 */

/** Arbitrary constant naming the advisory lock that serialises schema setup. */
export const SCHEMA_LOCK_ID = 7_411_203_915;

/** First key of the per-machine advisory locks that serialise ticket consumes (second key: a hash of site/machine). */
export const CONSUME_LOCK_CLASS = 7411;

/**
 * Bumped when a statement below changes meaning; recorded in boot_schema.
 *   1  tickets, pending_machines, enrollments
 *   2  enrollment generation on tickets and enrollments (added in place to version-1 tables,
 *      existing rows become generation 1); partial indexes for superseding live tickets and
 *      finding consumed ones; index for "is this machine enrolled for this generation";
 *      functions boot_issue_ticket and boot_consume_ticket
 */
export const SCHEMA_VERSION = 2;

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

INSERT INTO boot_schema (version) VALUES (${SCHEMA_VERSION}) ON CONFLICT (version) DO NOTHING;
`;
