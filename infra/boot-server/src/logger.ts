/**
 * Structured JSON logs (Fastify's pino), shaped for Cloud Logging (`severity`, `message`,
 * `time`), with secrets kept out by construction:
 *  - requests are logged as method + path only: never the query string (old boot URLs still carry
 *    the site token there) and never headers (`Authorization` carries it now),
 *    never headers. The path is rebuilt from the matched route's template, never copied from
 *    the request: tickets show as `[ticket]`, a site name only when it is a configured site, and
 *    any path that matched no route (`//v1/config/<t>`, `/V1/...`, `;token=`, `/x/<token>`) as
 *    `[unrouted]`, so no secret a client puts anywhere in a URL reaches a log line;
 *  - audit events carry only identifiers (site, machine, MAC, UUID, serial ref = first 12 hex
 *    digits of the serial's SHA-256, ticket ref = the same of the ticket's, key id) and the
 *    request as above (method, masked path, source address);
 *  - the usual secret-bearing fields are censored should one ever be passed anyway
 *    (log-redaction.ts, in place of pino's `redact`).
 *
 * Audit events are `info` lines with an `event` field; see `AuditEvent`.
 */
import { FastifyReply, FastifyRequest, FastifyServerOptions, LogController } from "fastify";
import pino from "pino";
import { redactChildBindings, redactedErrorSerializer, redactSecrets } from "./log-redaction";
import type { LogLevel } from "./settings";

/** Audit event names (the `event` field of an audit log line). */
export type AuditEvent =
    | "script_issued" // site script answered
    | "ticket_issued" // known machine got a boot script with a ticket
    | "enrolled_local_boot" // known machine already enrolled for its generation: told to boot from disk, no ticket
    | "unknown_machine" // machine not in the inventory: recorded as pending, told to wait
    | "identity_conflict" // identifiers contradict the inventory: refused
    | "token_refused" // missing, malformed or wrong site credentials
    | "token_in_query" // site token in the URL query string (deprecated, a warning): the site's DHCP still has the old boot URL
    | "config_served" // ticket consumed, config delivered
    | "replay_refused" // ticket already used
    | "ticket_expired" // ticket past its TTL
    | "ticket_unknown" // no such ticket
    | "key_mint_failed" // backend could not mint a key; ticket released for a retry
    | "ticket_throttled" // a machine asked for tickets faster than machineTicketIntervalSeconds allows
    | "admin_refused" // admin API: missing or wrong credential, or admin API off
    | "admin_read"; // admin API: an operator listed machines

export interface LogSink {
    write(line: string): void;
}

const SEVERITY: Record<string, string> = {
    trace: "DEBUG",
    debug: "DEBUG",
    info: "INFO",
    warn: "WARNING",
    error: "ERROR",
    fatal: "CRITICAL",
};

/** What a log line may say about a request's path (see `loggablePath`). */
export interface LoggableRequest {
    /** The matched route's template (`/v1/sites/:site/boot.ipxe`); undefined when no route matched. */
    routeOptions?: { url?: string };
    /** Path parameters as parsed for that route. */
    params?: unknown;
}

/** What each path parameter may show in a log line; anything else shows as `[param]`. */
const PARAM_IN_LOG: Record<string, (value: string, sites: ReadonlySet<string>) => string> = {
    ticket: () => "[ticket]",
    // A site name nobody configured may be a token pasted in the wrong place.
    site: (value, sites) => (sites.has(value) ? value : "[site]"),
    mac: (value) => (/^[0-9A-Fa-f]{2}([-:])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}$/.test(value) ? value.toLowerCase() : "[mac]"),
};

/**
 * The path a log line shows: the matched route's template with each parameter rendered by
 * PARAM_IN_LOG, or `[unrouted]` when no route matched. Never the query string, never a byte the
 * client chose outside a parameter that passed those checks.
 */
export function loggablePath(req: LoggableRequest, sites: ReadonlySet<string> = new Set()): string {
    const template = req.routeOptions?.url;
    if (template === undefined || template === "") return "[unrouted]";
    const params = (req.params ?? {}) as Record<string, unknown>;
    return template
        .split("/")
        .map((segment) => {
            if (!segment.startsWith(":")) return segment;
            const name = segment.slice(1);
            const value = params[name];
            const render = PARAM_IN_LOG[name];
            return typeof value === "string" && render ? render(value, sites) : "[param]";
        })
        .join("/");
}

/**
 * pino `timestamp`: `,"time":"<ISO 8601>"`. The string is rebuilt only when the millisecond
 * changes: under load many lines share one, and `toISOString` was a visible share of a request.
 */
export function isoTimestamp(clock: () => number = Date.now): () => string {
    let lastMs = Number.NaN;
    let last = "";
    return () => {
        const ms = clock();
        if (ms !== lastMs) {
            lastMs = ms;
            last = `,"time":"${new Date(ms).toISOString()}"`;
        }
        return last;
    };
}

/**
 * The service's pino options. `sites`: the configured site names, the only ones a request path
 * in a log line may show.
 */
export function loggerOptions(level: LogLevel, sites: ReadonlySet<string> = new Set()): pino.LoggerOptions {
    return {
        level,
        messageKey: "message",
        base: { service: "talos-boot-server" },
        timestamp: isoTimestamp(),
        formatters: {
            level: (label: string) => ({ severity: SEVERITY[label] ?? "DEFAULT", level: label }),
            log: redactSecrets,
            bindings: redactSecrets,
        },
        serializers: {
            err: redactedErrorSerializer,
            req: (req: FastifyRequest) => ({
                method: req.method,
                path: loggablePath(req, sites),
                remoteAddress: req.ip,
            }),
            res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
        },
    };
}

/** The service's logger: JSON lines to `sink` (default stdout), child loggers' bindings censored too. */
export function serviceLogger(level: LogLevel, sink?: LogSink, sites?: ReadonlySet<string>): pino.Logger {
    const options = loggerOptions(level, sites);
    return redactChildBindings(sink ? pino(options, sink) : pino(options));
}

/** Requests that wrote an audit line (`markAudited`); see RequestLogController. */
const audited = new WeakSet<object>();

/** Records that `req` wrote its audit line, so it needs no request line (request.ts `audit`). */
export function markAudited(req: FastifyRequest): void {
    audited.add(req);
}

/**
 * One info line per request instead of Fastify's two ("incoming request" + "request
 * completed"). A request that wrote an audit line is logged by it alone: the line names the
 * event, the answer it implies and the request (method, masked path, source address), written
 * before the answer is sent, so it is not lost when the client goes away (Fastify writes its
 * request line only for answers that finished). Every other request gets a request line when its
 * response is done, with the status and the response time; so does an audited one whose answer
 * became a server error. Cloud Run's own request log has every request's status and latency.
 */
export class RequestLogController extends LogController {
    override incomingRequest(): void {
        // Folded into requestCompleted.
    }

    override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
        if (this.isLogDisabled(request)) return;
        if (error) {
            reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, "request errored");
        } else if (!audited.has(request) || reply.statusCode >= 500) {
            reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, "request completed");
        }
    }
}

/** The service's logging setup for a Fastify instance (also used by the benchmark's reference app). */
export function fastifyLogging(level: LogLevel, sink?: LogSink, sites?: ReadonlySet<string>): Pick<FastifyServerOptions, "loggerInstance" | "logController"> {
    return { loggerInstance: serviceLogger(level, sink, sites), logController: new RequestLogController() };
}
