/**
 * Per-machine limit on config tickets: a burst of MACHINE_TICKET_BURST, then one ticket per
 * `machineTicketIntervalSeconds`. Each ticket supersedes the machine's previous one, so without
 * this anyone holding the site token and the identifiers a machine reports could keep expiring
 * a booting machine's ticket before Talos fetches its config. A real machine asks once per
 * boot; when it is refused (429), its iPXE script retries after `chainRetryDelaySeconds`.
 *
 * Kept in memory per service instance (a token bucket per site/machine; only inventory machines
 * reach it, so it is bounded by the inventory): with N instances a machine can get at most N
 * times as many tickets. Uses the handlers' clock.
 */

/** Tickets a machine may get back to back before the interval applies. */
export const MACHINE_TICKET_BURST = 2;

export type ThrottleAnswer = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
    /** Tickets available at `atMs`, fractional while refilling. */
    tokens: number;
    atMs: number;
}

export class MachineTicketThrottle {
    private readonly buckets = new Map<string, Bucket>();

    constructor(
        private readonly intervalMs: number,
        private readonly burst: number = MACHINE_TICKET_BURST,
    ) {
        if (!(intervalMs > 0) || !Number.isInteger(burst) || burst < 1) {
            throw new Error(`MachineTicketThrottle: interval must be > 0 ms and burst a whole number >= 1 (got ${intervalMs}, ${burst})`);
        }
    }

    /** Takes one ticket for `site/machine` at `now`, or says how long until one is available. */
    take(site: string, machine: string, now: Date): ThrottleAnswer {
        const key = `${site}/${machine}`;
        const nowMs = now.getTime();
        const bucket = this.refilled(this.buckets.get(key), nowMs);
        if (bucket.tokens >= 1) {
            this.buckets.set(key, { tokens: bucket.tokens - 1, atMs: nowMs });
            return { allowed: true };
        }
        this.buckets.set(key, bucket);
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(((1 - bucket.tokens) * this.intervalMs) / 1000)) };
    }

    /** Gives back a ticket taken for a request that issued none (the machine turned out to be enrolled). */
    refund(site: string, machine: string): void {
        const key = `${site}/${machine}`;
        const bucket = this.buckets.get(key);
        if (bucket !== undefined) bucket.tokens = Math.min(this.burst, bucket.tokens + 1);
    }

    private refilled(bucket: Bucket | undefined, nowMs: number): Bucket {
        if (bucket === undefined) return { tokens: this.burst, atMs: nowMs };
        // A clock that went backwards refills nothing.
        const elapsed = Math.max(0, nowMs - bucket.atMs);
        return { tokens: Math.min(this.burst, bucket.tokens + elapsed / this.intervalMs), atMs: nowMs };
    }
}
