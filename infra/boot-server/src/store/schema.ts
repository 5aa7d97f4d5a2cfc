/**
 * The one SQL schema both stores run (PGlite embeds the same PostgreSQL, so the statements,
 * types and the atomic ticket consume behave identically). Idempotent: every start applies it
 * under an advisory lock, so instances starting together do not race on CREATE.
 *
 * Tickets are stored by SHA-256 only. Enrollment records hold the minted key's id, never the key.
 */

/** Arbitrary constant naming the advisory lock that serialises schema setup. */
export const SCHEMA_LOCK_ID = 7_411_203_915;

/** Bumped when a statement below changes meaning; recorded in boot_schema. */
export const SCHEMA_VERSION = 1;

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
    consumed_at timestamptz
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
    served_at      timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS enrollments_site_machine ON enrollments (site, machine, served_at);

INSERT INTO boot_schema (version) VALUES (${SCHEMA_VERSION}) ON CONFLICT (version) DO NOTHING;
`;
