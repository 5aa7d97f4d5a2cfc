/**
 * What the boot service persists, and the store interface both backends implement
 * (PGlite embedded, PostgreSQL for several instances). Tickets are held by their SHA-256
 * (`id`), enrollment records by the minted key's id: nothing stored fetches a config or
 * joins a tailnet.
 */

/** A ticket as issued. `id` = sha256 hex of the ticket (see tickets.ts). */
export interface NewTicket {
    id: string;
    site: string;
    /** Inventory machine the ticket is bound to. */
    machine: string;
    /** Identifiers the machine presented when the ticket was issued. */
    mac: string;
    uuid?: string;
    serial?: string;
    /** iPXE build arch and platform as presented. */
    arch: string;
    platform: string;
    sourceIp: string;
    createdAt: Date;
    expiresAt: Date;
    /** The machine's enrollment generation when the ticket was issued (BootMachine.enrollment). */
    enrollment: number;
}

export interface TicketRecord extends NewTicket {
    /** When a config was served for it: the ticket is used. */
    consumedAt?: Date;
    /** End of the lease of its latest claim, while that claim is neither released nor completed. */
    claimedUntil?: Date;
    /** How often it has been claimed; a claim is named by its number (1 = first). */
    claims: number;
}

/**
 * Outcome of a claim, the first step of redeeming a ticket: at any moment at most one caller
 * holds a live claim on a ticket, and a used ticket is never claimed again.
 */
export type ClaimResult =
    /** This caller holds the claim numbered `claim` until it completes or releases it, or dies. */
    | { status: "claimed"; claim: number; ticket: TicketRecord }
    /** A config was served for it. */
    | { status: "used"; ticket: TicketRecord }
    /** Another request holds a live claim on it (its config is being minted or sent). */
    | { status: "in_use"; ticket: TicketRecord }
    | { status: "expired"; ticket: TicketRecord }
    /**
     * Unused and unexpired, but a config has meanwhile been served for the ticket's machine and
     * generation, or another ticket of that generation is being served (a live claim).
     */
    | { status: "enrolled"; ticket: TicketRecord }
    | { status: "unknown" };

/** Outcome of completing a claim; the enrollment record is written in every case. */
export interface CompleteResult {
    /** False when the ticket had already been marked used by another claim (two configs were served). */
    firstUse: boolean;
    /** The ticket's claim count now; above the completed claim's number when it was claimed again meanwhile. */
    claims: number;
}

/** Lease and keep of a claim (defaults CLAIM_LEASE_MS and CLAIMED_TICKET_KEEP_SECONDS). */
export interface ClaimTiming {
    /** A live claim blocks others at most this long, even when its holder still runs (ms). */
    leaseMs?: number;
    /** The ticket stays valid at least this long after the claim, for Talos's retries (ms). */
    keepMs?: number;
}

/**
 * How long a claim blocks other claims while its holder is alive: longer than any config fetch
 * can take in a live process (mint budget + request timeout 30 s + one store call), so a claim
 * never lapses under a request still being served. A claim whose process died is free at once on
 * PostgreSQL (the holder's session lock is gone) and after a restart of the embedded store.
 */
export const CLAIM_LEASE_MS = 120_000;

/** Outcome of `createTicket`. */
export type IssueResult =
    | { status: "issued" }
    /** The machine already got a config for this generation: nothing was written. */
    | { status: "enrolled"; enrolledAt: Date; ticketRef: string };

/** One request from a machine the inventory does not know. */
export interface PendingSighting {
    site: string;
    mac: string;
    uuid?: string;
    serial?: string;
    arch: string;
    platform: string;
    sourceIp: string;
    seenAt: Date;
}

/** A machine waiting to be added to the inventory, one per (site, MAC). */
export interface PendingMachine {
    site: string;
    mac: string;
    /** Latest values presented. */
    uuid?: string;
    serial?: string;
    arch: string;
    platform: string;
    sourceIp: string;
    firstSeen: Date;
    lastSeen: Date;
    seenCount: number;
}

/** Which machine got which config when, and with which key id. */
export interface EnrollmentRecord {
    /** First 12 hex digits of the ticket id (tickets.ticketRef). */
    ticketRef: string;
    site: string;
    machine: string;
    mac: string;
    uuid?: string;
    serial?: string;
    /** Address the config was fetched from. */
    sourceIp: string;
    /** KeyMinter.kind. */
    keyBackend: string;
    /** MintedKey.id (never the key). */
    keyId: string;
    /** MintedKey.expiresAt. */
    keyExpiresAt: string;
    /** SHA-256 of the served YAML, to tell later which config a node got. */
    configSha256: string;
    servedAt: Date;
    /** Enrollment generation the config was served for (the ticket's). */
    enrollment: number;
}

export interface BootStore {
    /** "pglite" or "postgres". */
    readonly kind: string;
    /**
     * Issues a ticket unless the machine already has an enrollment record for the ticket's
     * generation (then writes nothing and answers "enrolled"). Issuing saves the ticket, expires
     * the machine's unused tickets at its `createdAt` (they are superseded, so a machine has at
     * most one live ticket) and forgets the pending record of the ticket's MAC. One database call,
     * atomic.
     */
    createTicket(ticket: NewTicket): Promise<IssueResult>;
    /**
     * Claims the ticket for serving if it exists, is unused, has no live claim, `now` is before its
     * expiry and no config has been or is being served for its machine and generation, in one
     * database call serialised per machine: among concurrent callers at most one gets "claimed".
     * A claim is live while its lease runs and its holder (this store's process) is alive; a
     * claim whose process died can be claimed again by the same ticket. Claiming keeps the ticket
     * valid for Talos's retries (`ClaimTiming.keepMs`).
     */
    claimTicket(id: string, now: Date, timing?: ClaimTiming): Promise<ClaimResult>;
    /** Ends claim `claim` without a config served (minting failed, the answer is a refusal): the ticket can be claimed again. */
    releaseClaim(id: string, claim: number): Promise<boolean>;
    /**
     * Second step, once the config has been written out: marks the ticket used and records the
     * enrollment, in one atomic call. From here on the machine is enrolled for the generation.
     */
    completeClaim(id: string, claim: number, record: EnrollmentRecord): Promise<CompleteResult>;
    /**
     * Records or refreshes a pending machine. A new (site, MAC) is recorded only while the site
     * has fewer than `maxPerSite` pending machines; `recorded` is false when the cap refused it.
     */
    recordPending(sighting: PendingSighting, maxPerSite: number): Promise<{ recorded: boolean; pending?: PendingMachine }>;
    /** Pending machines, oldest first; all sites when `site` is undefined. */
    listPending(site?: string): Promise<PendingMachine[]>;
    /** Forgets a pending machine (it has been added to the inventory). */
    removePending(site: string, mac: string): Promise<boolean>;
    /** Writes an enrollment record on its own (completeClaim writes the service's; imports and tests use this). */
    recordEnrollment(record: EnrollmentRecord): Promise<void>;
    /** Enrollment records, oldest first, optionally for one site and/or machine. */
    listEnrollments(filter?: { site?: string; machine?: string }): Promise<EnrollmentRecord[]>;
    /** Deletes tickets that expired before `before`; returns how many. */
    purgeTickets(before: Date): Promise<number>;
    /** Cheap round trip to the database. */
    ping(): Promise<void>;
    /**
     * Proves the store can write: one committed row update that changes nothing visible
     * (boot_schema's newest row). Throws when the database is read-only, full, or gone.
     */
    checkWritable(): Promise<void>;
    /** Waits for calls in progress (a completion started as a response finished), then closes. */
    close(): Promise<void>;
}
