/**
 * The two timing tools of the config route: a deadline on the key mint, and writing a body out
 * before the request ends, so the enrollment is recorded only once the config has left the
 * process and while the request still holds the instance (Cloud Run allocates CPU only during
 * requests, and waits for in-flight requests after SIGTERM).
 */
import type { OutgoingHttpHeaders } from "node:http";
import type { FastifyReply } from "fastify";

/**
 * Longest a key mint may take, retries included. With the store calls (milliseconds) a config
 * fetch in flight when SIGTERM arrives finishes well inside Cloud Run's 10 s shutdown grace
 * (server.ts SHUTDOWN_GRACE_MS); a mint that overruns is answered 503 and its claim released.
 */
export const MINT_BUDGET_MS = 6000;

/** Thrown by `withDeadline` when the work did not settle in time. */
export class DeadlineError extends Error {
    constructor(readonly ms: number) {
        super(`did not finish within ${ms} ms`);
        this.name = "DeadlineError";
    }
}

/**
 * Runs `work` with a signal that aborts after `ms`, and settles with its result or, if it has not
 * settled by then, with a DeadlineError. The deadline rejects before the signal aborts, so work
 * that gives up on the abort cannot win the race with an error of its own: an overrun is always
 * a DeadlineError. Work that goes on regardless is not waited for (a key minted after the
 * deadline is never served; it is single use and expires within the hour), and its late failure
 * is swallowed so it cannot surface as an unhandled rejection.
 *
 * One timer, cleared as soon as the work settles. (`AbortSignal.timeout` kept a timer and a weak
 * reference alive for the whole budget on every config fetch, whether the mint took 6 s or 6 µs.)
 */
export function withDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
            const overrun = new DeadlineError(ms);
            reject(overrun);
            controller.abort(overrun);
        }, ms);
    });
    let running: Promise<T>;
    try {
        running = work(controller.signal);
    } catch (err) {
        clearTimeout(timer);
        return Promise.reject(err);
    }
    running.catch(() => undefined);
    return Promise.race([running, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Writes a complete 200 answer (status line, headers with Content-Length, the whole body) and
 * resolves true once the body has been handed to the operating system, false if the connection
 * closed first. The response is left open: the caller records what it sent, then calls
 * `reply.raw.end()`. The client has the whole answer already (Content-Length says where it ends).
 *
 * The reply is hijacked, so Fastify's onSend hooks do not run: the headers they add are set here,
 * together with every header set on the reply so far (the rate limiter's).
 */
export function writeBodyBeforeEnd(reply: FastifyReply, contentType: string, body: string): Promise<boolean> {
    const bytes = Buffer.from(body, "utf8");
    const res = reply.raw;
    reply.hijack();
    return new Promise((resolve) => {
        let settled = false;
        const settle = (delivered: boolean): void => {
            if (settled) return;
            settled = true;
            res.off("close", onClose);
            resolve(delivered);
        };
        const onClose = (): void => settle(false);
        res.on("close", onClose);
        const headers: OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(reply.getHeaders())) {
            if (value !== undefined) headers[name] = value;
        }
        res.writeHead(200, {
            ...headers,
            "content-type": contentType,
            "content-length": String(bytes.length),
            "cache-control": "no-store",
            "x-content-type-options": "nosniff",
        });
        res.write(bytes, (err) => settle(!err));
    });
}
