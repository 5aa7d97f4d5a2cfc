/**
 * Scripted misbehaviour shared by the fake control-plane APIs: queue HTTP failures or stalls for the
 * next N calls of one endpoint, so tests can drive retry, no-retry and timeout paths.
 */
import type { FastifyReply } from "fastify";

export interface ScriptedFailure {
    /** HTTP status to answer with. */
    status: number;
    /** JSON body; defaults to `{message: "scripted failure"}`. */
    body?: unknown;
    /** Value of a Retry-After header, in seconds. */
    retryAfterSeconds?: number;
    /** How many consecutive calls fail this way (default 1). */
    times?: number;
}

interface Pending {
    kind: "fail" | "stall";
    failure?: ScriptedFailure;
    stallMs?: number;
    remaining: number;
}

/** Per-endpoint FIFO of scripted behaviours; stall timers are released on close. */
export class Script<E extends string> {
    private readonly queues = new Map<E, Pending[]>();
    private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

    fail(endpoint: E, failure: ScriptedFailure): void {
        this.push(endpoint, { kind: "fail", failure, remaining: failure.times ?? 1 });
    }

    /** The next `times` calls wait `ms` (bounded by close()) before being answered normally. */
    stall(endpoint: E, ms: number, times = 1): void {
        this.push(endpoint, { kind: "stall", stallMs: ms, remaining: times });
    }

    /**
     * Applies the head of the queue. Returns true when the reply was already sent (a failure);
     * resolves after the stall otherwise.
     */
    async apply(endpoint: E, reply: FastifyReply): Promise<boolean> {
        const queue = this.queues.get(endpoint);
        const head = queue?.[0];
        if (!queue || !head) return false;
        head.remaining -= 1;
        if (head.remaining <= 0) queue.shift();
        if (head.kind === "stall") {
            await new Promise<void>((resolve) => {
                const entry = { timer: setTimeout(() => done(), head.stallMs), resolve: () => done() };
                const done = () => {
                    clearTimeout(entry.timer);
                    this.timers.delete(entry);
                    resolve();
                };
                this.timers.add(entry);
            });
            return false;
        }
        const failure = head.failure!;
        if (failure.retryAfterSeconds !== undefined) reply.header("retry-after", String(failure.retryAfterSeconds));
        await reply.code(failure.status).send(failure.body ?? { message: "scripted failure" });
        return true;
    }

    releaseAll(): void {
        for (const entry of [...this.timers]) entry.resolve();
    }

    private push(endpoint: E, pending: Pending): void {
        const queue = this.queues.get(endpoint) ?? [];
        queue.push(pending);
        this.queues.set(endpoint, queue);
    }
}
