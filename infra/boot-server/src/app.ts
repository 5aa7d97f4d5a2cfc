/**
 * The boot service's HTTP API (Fastify).
 *
 *   GET /healthz                                   liveness: {"status":"ok"} while the store can write, else 503
 *   GET /v1/sites/<site>/boot.ipxe?token=<t>       site script: chains to machine.ipxe with iPXE's values
 *   GET /v1/sites/<site>/machine.ipxe?token=<t>&mac=..&uuid=..&serial=..&arch=..&platform=..
 *                                                  known machine: boot script with a config ticket;
 *                                                  known machine already enrolled for its generation:
 *                                                  script that exits to the local disk, no ticket;
 *                                                  unknown machine: recorded as pending, wait-and-retry script
 *   GET /v1/config/<ticket>                        single-use: the machine's Talos config (YAML)
 *   GET /v1/admin/machines/pending|enrolled|<mac>  read-only admin API (Authorization: Bearer BOOT_ADMIN_TOKEN)
 *
 * Error responses are JSON `{"error": "<code>"}` (plus `"field"` for a bad parameter), with no
 * request value and no secret in them. Status codes:
 *
 *   400 invalid_request      a parameter is missing, malformed, duplicated or unknown (`field` names it)
 *   400 invalid_host         no usable Host header to build script URLs from (publicUrl unset)
 *   400 bad_request          the URL or request could not be parsed
 *   401 token_required       no `token` query parameter
 *   401 token_required       admin API: no Authorization header
 *   403 forbidden            wrong token, or a site that does not exist (indistinguishable on purpose);
 *                            admin API: not the admin credential
 *   403 admin_disabled       admin API: BOOT_ADMIN_TOKEN unset
 *   404 not_found            no such route
 *   404 ticket_unknown       no such ticket (never issued, or purged)
 *   404 machine_unknown      admin API: nothing known about that MAC
 *   405 method_not_allowed   a route exists for GET only (HEAD too: it would consume a ticket)
 *   409 identity_conflict    MAC/UUID/serial/arch contradict the inventory, or a recorded UUID/serial is missing
 *   410 ticket_used          the ticket has been used (replay)
 *   410 ticket_expired       the ticket outlived its TTL, or a newer one was issued to the same machine
 *   410 ticket_revoked       the ticket's machine is no longer in the inventory, its enrollment
 *                            generation changed, or it got a config for that generation already
 *   413 body_too_large       a request body (the API takes none) over 1 KiB, or chunked
 *   414 uri_too_long         URL over 2048 characters, a path segment over 100, or a request line over 8 KiB
 *   429 rate_limited         too many requests from this source address (Retry-After says when); every
 *                            answered request counts, refusals included, /healthz excepted
 *   429 ticket_rate_limited  too many tickets for this machine (machineTicketIntervalSeconds)
 *   431 headers_too_large    request headers over 8 KiB (answered by the HTTP layer)
 *   500 internal             unexpected failure (details in the log only)
 *   503 key_unavailable      the key backend failed; the ticket stays valid for a retry
 *   503 store_unavailable    the store failed; for a config fetch the ticket stays valid; /healthz: it cannot write
 *
 * Talos retries every non-200 config fetch for up to 3 h, so refusals are cheap: at most two
 * indexed queries, no key minting, no rendering.
 */
import rateLimit from "@fastify/rate-limit";
import Fastify, { FastifyInstance } from "fastify";
import { type ContextOptions, createHandlerContext } from "./http/context";
import { handleError, handleNotFound } from "./http/errors";
import {
    addResponseHeaders,
    hardenedServerOptions,
    limitHttpServer,
    rateLimitOptions,
    refuseEarly,
    type RequestLimiter,
    requestLimiter,
} from "./http/hardening";
import { ROUTE_SHAPES, ROUTES } from "./http/routes";
import { fastifyLogging, LogSink } from "./logger";

export { BODY_LIMIT, MAX_HEADER_BYTES, MAX_HEADERS_COUNT, MAX_PARAM_LENGTH, MAX_URL_LENGTH } from "./http/hardening";
export type { ContextOptions } from "./http/context";

export interface BuildAppOptions extends ContextOptions {
    /** Where JSON log lines go; default stdout. Tests capture them. */
    logSink?: LogSink;
}

/**
 * Builds the service. Parses the base config once (throws BaseConfigError, naming no content,
 * when it is unusable). Does not listen: call `app.listen(...)`.
 *
 * Only wiring: the handlers' shared context, then Fastify with its hardening, hooks, rate
 * limiter and error handlers, then the routing table (http/routes.ts). Order matters: the
 * rate-limit plugin must be registered before the hook that counts every request.
 */
export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
    const ctx = createHandlerContext(opts);

    let limiter: RequestLimiter | undefined;
    const sites = new Set(ctx.settings.sites.map((s) => s.name));
    const app = Fastify({ ...fastifyLogging(ctx.settings.logLevel, opts.logSink, sites), ...hardenedServerOptions(ctx.settings, () => limiter) });
    limitHttpServer(app.server);
    for (const adjustment of ctx.baseConfigAdjustments) {
        app.log.warn({ event: "base_config_adjusted" }, adjustment);
    }
    await app.register(rateLimit, rateLimitOptions(ctx.settings));
    limiter = requestLimiter(app);
    app.addHook("onRequest", refuseEarly(ROUTE_SHAPES, limiter));
    app.addHook("onSend", addResponseHeaders);
    app.setErrorHandler(handleError);
    app.setNotFoundHandler(handleNotFound);

    for (const { handle, ...route } of ROUTES) {
        app.route({ method: "GET", ...route, handler: (req, reply) => handle(ctx, req, reply) });
    }
    return app;
}
