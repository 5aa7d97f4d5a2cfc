/**
 * Coalesces concurrent calls of one store operation into one statement.
 *
 * Under load a hundred machines ask for tickets and configs at once. One statement per request
 * meant one round trip, one commit and one WAL flush per request, and the socket writes and
 * wake-ups of those round trips were most of the service's CPU (docs/benchmarks.md). Calls that
 * arrive while `maxInFlight` batches are already on their way wait and leave together as the
 * next batch: one round trip and one commit for all of them. An idle service sends every call at
 * once, alone (a batch of one), so a lone machine waits for nothing.
 *
 * A batch is one transaction: every call in it is durable before any caller hears its result,
 * exactly as if it had been sent alone. If the batch fails, every caller in it gets the error,
 * except when PostgreSQL says the transaction was rolled back for a conflict with another one
 * (deadlock, serialization failure: SQLSTATE class 40), which cannot have committed anything:
 * then each call is run again on its own, in arrival order.
 */

/** How a batch runs: `many` for two or more items (one statement), `one` for a single item. */
export interface BatchRunner<I, O> {
    /** One statement for all items; returns one result per item, in the items' order. */
    many(items: readonly I[]): Promise<O[]>;
    /** The statement for one item alone (also the retry path after a class-40 rollback). */
    one(item: I): Promise<O>;
}

export interface BatchLimits {
    /** Most items in one statement. */
    maxBatch: number;
    /** Most statements of this operation on their way at once (each holds one pool connection). */
    maxInFlight: number;
}

/**
 * Defaults for the service: one statement per operation on its way at a time. With three allowed,
 * a third of the batches under load held a single call (a slot was free whenever one arrived),
 * and each statement costs the service ~55 µs of CPU (the `pg` write and the wake-ups) however
 * few calls it carries: in back-to-back runs one in flight cut a ticket's CPU from 195 to 163 µs
 * (decision 0136). A call waits at most for the statement before its own.
 * Three operations × 1 leaves the production pool of 10 room for health checks and the admin API.
 */
export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxBatch: 64, maxInFlight: 1 };

interface Waiting<I, O> {
    item: I;
    resolve: (value: O) => void;
    reject: (err: unknown) => void;
}

/** Whether an error is PostgreSQL's "this transaction was rolled back for a conflict" (class 40). */
export function isRolledBackConflict(err: unknown): boolean {
    const code = (err as { code?: unknown } | null)?.code;
    return typeof code === "string" && code.startsWith("40");
}

export class Coalescer<I, O> {
    private readonly waiting: Waiting<I, O>[] = [];
    private inFlight = 0;

    constructor(
        private readonly runner: BatchRunner<I, O>,
        private readonly limits: BatchLimits = DEFAULT_BATCH_LIMITS,
    ) {
        if (!Number.isInteger(limits.maxBatch) || limits.maxBatch < 1) throw new Error("Coalescer: maxBatch must be a positive integer");
        if (!Number.isInteger(limits.maxInFlight) || limits.maxInFlight < 1) throw new Error("Coalescer: maxInFlight must be a positive integer");
    }

    /** Runs `item` in the next batch that has room; resolves with its own result. */
    submit(item: I): Promise<O> {
        return new Promise<O>((resolve, reject) => {
            this.waiting.push({ item, resolve, reject });
            this.send();
        });
    }

    private send(): void {
        while (this.inFlight < this.limits.maxInFlight && this.waiting.length > 0) {
            const batch = this.waiting.splice(0, this.limits.maxBatch);
            this.inFlight++;
            void this.run(batch).finally(() => {
                this.inFlight--;
                this.send();
            });
        }
    }

    private async run(batch: Waiting<I, O>[]): Promise<void> {
        if (batch.length === 1) {
            await this.runOne(batch[0]);
            return;
        }
        let results: O[];
        try {
            results = await this.runner.many(batch.map((w) => w.item));
        } catch (err) {
            if (isRolledBackConflict(err)) {
                // Nothing of the batch committed: each call on its own, one after another in the
                // order they arrived (two calls for one machine must not swap), as if never batched.
                for (const w of batch) await this.runOne(w);
            } else {
                for (const w of batch) w.reject(err);
            }
            return;
        }
        if (results.length !== batch.length) {
            const err = new Error(`store: a batch of ${batch.length} returned ${results.length} results`);
            for (const w of batch) w.reject(err);
            return;
        }
        batch.forEach((w, i) => w.resolve(results[i]));
    }

    private async runOne(w: Waiting<I, O>): Promise<void> {
        try {
            w.resolve(await this.runner.one(w.item));
        } catch (err) {
            w.reject(err);
        }
    }
}
