/**
 * Bounded waits and progress lines for the day-two steps.
 */

/** Where a step reports progress (stderr in the CLI, so stdout keeps only the result line). */
export type Log = (line: string) => void;

export interface PollOptions {
    /** Give up after this long. */
    timeoutMs: number;
    /** Time between attempts. */
    intervalMs: number;
    /** What is awaited, for the messages ("etcd healthy on every control plane"). */
    what: string;
    log?: Log;
}

/** A wait that ran out of time; `last` says what the last attempt saw. */
export class WaitTimeout extends Error {
    constructor(what: string, timeoutMs: number, last: string) {
        super(`${what}: not reached within ${Math.round(timeoutMs / 1000)} s${last ? ` (last check: ${last})` : ""}`);
        this.name = "WaitTimeout";
    }
}

/**
 * Calls `check` until it returns `{ ok: true }` or the time is up. Errors thrown by `check`
 * count as "not yet" (a rebooting node refuses connections), and the last one is reported.
 */
export async function pollUntil(check: () => Promise<{ ok: boolean; detail?: string }>, opts: PollOptions): Promise<void> {
    const deadline = Date.now() + opts.timeoutMs;
    let last = "";
    let attempt = 0;
    for (;;) {
        attempt++;
        try {
            const r = await check();
            if (r.ok) {
                if (attempt > 1) opts.log?.(`  ${opts.what}: yes (after ${attempt} checks)`);
                return;
            }
            last = r.detail ?? "not yet";
        } catch (e) {
            last = (e as Error).message.split("\n")[0];
        }
        if (Date.now() + opts.intervalMs > deadline) {
            throw new WaitTimeout(opts.what, opts.timeoutMs, last);
        }
        if (attempt === 1) opts.log?.(`  waiting for ${opts.what} (${last}; up to ${Math.round(opts.timeoutMs / 1000)} s)`);
        await new Promise((r) => setTimeout(r, opts.intervalMs));
    }
}
