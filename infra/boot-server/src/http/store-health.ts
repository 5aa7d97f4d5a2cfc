/**
 * Whether the store can write, for /healthz. A write per probe would let anyone who can reach
 * /healthz (public, not rate limited) make the database write as fast as they can send
 * requests, so the answer is kept for STORE_HEALTH_TTL_MS and concurrent probes share one
 * check: at most one write per instance per TTL, whatever the request rate.
 */
import type { BootStore } from "../store/types";

/** How long one store write check answers /healthz (ms). */
export const STORE_HEALTH_TTL_MS = 5_000;

export type StoreHealth = { ok: true } | { ok: false; error: string };
/** A check's answer; `fresh` is true for the one caller per TTL whose call ran the check (it logs a failure). */
export type StoreHealthAnswer = StoreHealth & { fresh: boolean };

export class StoreWriteProbe {
    private last?: { atMs: number; health: StoreHealth };
    private inFlight?: Promise<StoreHealth>;

    constructor(
        private readonly store: Pick<BootStore, "checkWritable">,
        private readonly clockMs: () => number = Date.now,
        private readonly ttlMs: number = STORE_HEALTH_TTL_MS,
    ) {}

    /** The latest check's answer while fresh, else a new check (shared by concurrent callers). */
    async check(): Promise<StoreHealthAnswer> {
        const nowMs = this.clockMs();
        if (this.last !== undefined && nowMs - this.last.atMs < this.ttlMs) return { ...this.last.health, fresh: false };
        if (this.inFlight !== undefined) return { ...(await this.inFlight), fresh: false };
        this.inFlight = this.store
            .checkWritable()
            .then(
                (): StoreHealth => ({ ok: true }),
                (err: Error): StoreHealth => ({ ok: false, error: err.message }),
            )
            .then((health) => {
                this.last = { atMs: this.clockMs(), health };
                this.inFlight = undefined;
                return health;
            });
        return { ...(await this.inFlight), fresh: true };
    }
}
