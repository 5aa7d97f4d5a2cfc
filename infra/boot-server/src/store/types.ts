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
    consumedAt?: Date;
}

/** Outcome of an atomic consume: exactly one caller ever sees "consumed" for a ticket. */
export type ConsumeResult =
    | { status: "consumed"; ticket: TicketRecord }
    | { status: "used"; ticket: TicketRecord }
    | { status: "expired"; ticket: TicketRecord }
    /**
     * Unused and unexpired, but a config has meanwhile been served for the ticket's machine and
     * generation, or another ticket of that generation is being served (consumed, not released).
     */
    | { status: "enrolled"; ticket: TicketRecord }
    | { status: "unknown" };

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
     * Marks the ticket used if it exists, is unused, `now` is before its expiry and no config
     * has been or is being served for its machine and generation (no enrollment record, no
     * other consumed ticket of that generation), in one database call serialised per machine:
     * among concurrent callers exactly one gets "consumed".
     */
    consumeTicket(id: string, now: Date): Promise<ConsumeResult>;
    /** Undoes a consume whose config could not be delivered (key minting failed), so a retry can succeed. */
    releaseTicket(id: string): Promise<boolean>;
    /**
     * Records or refreshes a pending machine. A new (site, MAC) is recorded only while the site
     * has fewer than `maxPerSite` pending machines; `recorded` is false when the cap refused it.
     */
    recordPending(sighting: PendingSighting, maxPerSite: number): Promise<{ recorded: boolean; pending?: PendingMachine }>;
    /** Pending machines, oldest first; all sites when `site` is undefined. */
    listPending(site?: string): Promise<PendingMachine[]>;
    /** Forgets a pending machine (it has been added to the inventory). */
    removePending(site: string, mac: string): Promise<boolean>;
    recordEnrollment(record: EnrollmentRecord): Promise<void>;
    /** Enrollment records, oldest first, optionally for one site and/or machine. */
    listEnrollments(filter?: { site?: string; machine?: string }): Promise<EnrollmentRecord[]>;
    /** Deletes tickets that expired before `before`; returns how many. */
    purgeTickets(before: Date): Promise<number>;
    /** Cheap round trip to the database. */
    ping(): Promise<void>;
    close(): Promise<void>;
}
