/**
 * Config tickets and secret comparison. A ticket is 256 random bits, shown to exactly one
 * machine (inside its iPXE script) and stored only as its SHA-256, so a read of the store
 * yields nothing that fetches a config.
 */
import * as crypto from "node:crypto";

/** Random bytes per ticket (256 bits; the requirement is at least 128). */
export const TICKET_BYTES = 32;

/**
 * Random bytes drawn from the operating system per refill: one getrandom call for 128 tickets
 * instead of one each (a system call per ticket was a visible share of issuing one). Each byte
 * is handed out once: `poolOffset` only moves forward until the pool is refilled.
 */
const POOL_BYTES = TICKET_BYTES * 128;
let pool = Buffer.alloc(0);
let poolOffset = 0;

/** A fresh ticket: unpadded base64url, 43 characters, from bytes no other ticket used. */
export function newTicket(): string {
    if (poolOffset + TICKET_BYTES > pool.length) {
        pool = crypto.randomBytes(POOL_BYTES);
        poolOffset = 0;
    }
    const ticket = pool.toString("base64url", poolOffset, poolOffset + TICKET_BYTES);
    // Spent bytes are overwritten, so the pool never holds an issued ticket.
    pool.fill(0, poolOffset, poolOffset + TICKET_BYTES);
    poolOffset += TICKET_BYTES;
    return ticket;
}

/** The store key for a ticket: lower-case hex SHA-256. */
export function ticketId(ticket: string): string {
    return crypto.createHash("sha256").update(ticket, "utf8").digest("hex");
}

/** Short, non-reversible reference for logs: the first 12 hex digits of the ticket id. */
export function ticketRef(id: string): string {
    return id.slice(0, 12);
}

function digest(value: string): Buffer {
    return crypto.createHash("sha256").update(value, "utf8").digest();
}

/**
 * Compares a presented secret with the expected one in time independent of where they differ
 * and of their lengths: both sides are hashed to 32 bytes first, so timingSafeEqual always sees
 * equal-length inputs. `expected` undefined (unknown site) still costs one comparison, against
 * a random value, so the answer time does not reveal which sites exist.
 */
export function secretEquals(presented: string, expected: string | undefined): boolean {
    return secretMatchesDigest(presented, expected === undefined ? undefined : digest(expected));
}

/** The form `secretMatchesDigest` compares against: computed once per secret, not per request. */
export function secretDigest(secret: string): Buffer {
    return digest(secret);
}

/** `secretEquals` against a precomputed `secretDigest` of the expected secret (same timing properties). */
export function secretMatchesDigest(presented: string, expected: Buffer | undefined): boolean {
    const a = digest(presented);
    const b = expected ?? crypto.randomBytes(32);
    return crypto.timingSafeEqual(a, b) && expected !== undefined;
}
