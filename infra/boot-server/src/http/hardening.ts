/**
 * What keeps hostile or broken requests cheap: size and time limits, Fastify and Node HTTP
 * options, the refusals made before routing, the answer to requests Node's HTTP parser rejects,
 * the per-address rate limit, and the headers every answer carries.
 *
 * Every answer Fastify gives counts against the rate limit, refusals included (400, 404, 405,
 * 413, 414): the limiter runs first, in the onRequest hook, and again for the answers Fastify
 * gives before any hook (`frameworkErrors`). Only `/healthz` is exempt. Requests Node's HTTP
 * parser refuses (400, 408, 431) never become a request with an address to count; their
 * connection is closed.
 */
import * as crypto from "node:crypto";
import type * as http from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyHttpOptions, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { RateLimitPluginOptions } from "@fastify/rate-limit";
import type { BootSettings } from "../settings";
import { sendError } from "./errors";

/** Longest request URL accepted (the machine URL is < 600 characters). */
export const MAX_URL_LENGTH = 2048;
/** Longest path parameter the router matches (a ticket is 43, a site 63); longer is 414 too. */
export const MAX_PARAM_LENGTH = 100;
/** Longest request header block (Node's HTTP parser answers 431 beyond it). */
export const MAX_HEADER_BYTES = 8192;
/** Largest request body; the API takes none. */
export const BODY_LIMIT = 1024;
/** At most this many request headers are read; the rest are dropped by Node. */
export const MAX_HEADERS_COUNT = 64;

/** The headers every answer carries: nothing is cached (tickets, tokens in scripts) or content-sniffed. */
export const ALWAYS_HEADERS: Readonly<Record<string, string>> = { "cache-control": "no-store", "x-content-type-options": "nosniff" };

const REASONS: Record<number, string> = { 400: "Bad Request", 408: "Request Timeout", 414: "URI Too Long", 431: "Request Header Fields Too Large" };

/**
 * Status and error code for an error of Node's HTTP parser. A header block over MAX_HEADER_BYTES
 * is 431, unless what overflowed is the request line itself: a URL that long gets the 414 the
 * API documents for long URLs. `rawPacket` is the chunk being parsed; when it starts with the
 * request line and that line is too long (or does not end inside the chunk), the URL overflowed.
 */
export function clientErrorAnswer(err: { code?: string; rawPacket?: unknown }): { status: number; code: string } {
    if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") return { status: 408, code: "request_timeout" };
    if (err.code !== "HPE_HEADER_OVERFLOW") return { status: 400, code: "bad_request" };
    const packet = Buffer.isBuffer(err.rawPacket) ? err.rawPacket.subarray(0, MAX_HEADER_BYTES + 64).toString("latin1") : "";
    const requestLine = /^[A-Z]{3,10} \S/.test(packet) ? packet.split("\r\n", 1)[0] : undefined;
    if (requestLine !== undefined && (requestLine.length === packet.length || requestLine.length > MAX_URL_LENGTH)) {
        return { status: 414, code: "uri_too_long" };
    }
    return { status: 431, code: "headers_too_large" };
}

/** Node's HTTP parser errors (oversized headers, garbage, timeouts) answered without any request data. */
export function clientErrorHandler(this: FastifyInstance, err: { code?: string; rawPacket?: unknown }, socket: Socket): void {
    if (err.code === "ECONNRESET" || socket.destroyed) return;
    const { status, code } = clientErrorAnswer(err);
    // err.rawPacket holds the raw request (tokens included): log the code only.
    this.log.info({ clientError: err.code ?? "unknown", statusCode: status }, "client error");
    if (socket.writable) {
        const body = JSON.stringify({ error: code });
        const headers = Object.entries(ALWAYS_HEADERS).map(([name, value]) => `${name}: ${value}\r\n`).join("");
        socket.write(
            `HTTP/1.1 ${status} ${REASONS[status]}\r\n` +
                `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${headers}Connection: close\r\n\r\n${body}`,
        );
    }
    socket.destroy();
}

/**
 * Request ids that correlate one request's log lines: a random per-instance prefix and a counter.
 * Unique per instance, not a secret; a client's own request id header is never trusted.
 */
function requestIdGenerator(): () => string {
    let requestCounter = 0;
    const requestIdPrefix = crypto.randomBytes(4).toString("hex");
    return () => `${requestIdPrefix}${(++requestCounter).toString(16).padStart(8, "0")}`;
}

/**
 * Counts a request against the per-address limit; sets the x-ratelimit-* headers and answers
 * 429 (with Retry-After) when it is over. Returns false when it answered.
 */
export type RequestLimiter = (req: FastifyRequest, reply: FastifyReply) => Promise<boolean>;

/**
 * The limiter over @fastify/rate-limit's store (register the plugin first, with
 * `rateLimitOptions`). Routes whose config says `rateLimit: false` are not counted.
 */
export function requestLimiter(app: FastifyInstance): RequestLimiter {
    const check = app.createRateLimit();
    return async (req, reply) => {
        if (req.routeOptions.config?.rateLimit === false) return true;
        const r = await check(req);
        if (r.isAllowed) return true;
        reply.header("x-ratelimit-limit", r.max);
        reply.header("x-ratelimit-remaining", r.remaining);
        reply.header("x-ratelimit-reset", r.ttlInSeconds);
        if (!r.isExceeded) return true;
        sendError(reply.header("retry-after", r.ttlInSeconds), 429, "rate_limited");
        return false;
    };
}

/**
 * Answers for the requests Fastify refuses before any hook runs: a path parameter longer than
 * MAX_PARAM_LENGTH or a URL over MAX_URL_LENGTH is 414 (as the API documents for long URLs), a
 * malformed URL 400. Counted against the rate limit like every other answer; the headers every
 * answer carries are set here because no onSend hook runs. `limiter` is read at call time: the
 * rate limiter exists only once the app does.
 */
export function frameworkErrorHandler(limiter: () => RequestLimiter | undefined) {
    return (err: FastifyError, req: FastifyRequest, reply: FastifyReply): void => {
        for (const [name, value] of Object.entries(ALWAYS_HEADERS)) reply.header(name, value);
        const tooLong = err.code === "FST_ERR_MAX_PARAM_LENGTH" || (req.raw.url ?? "").length > MAX_URL_LENGTH;
        const answer = (): void => {
            if (tooLong) sendError(reply, 414, "uri_too_long");
            else sendError(reply, 400, "bad_request");
        };
        const limit = limiter();
        if (limit === undefined) return answer();
        limit(req, reply).then(
            (allowed) => allowed && answer(),
            () => answer(),
        );
    };
}

/** Fastify and Node HTTP server options (everything but logging): limits, timeouts, strict routing and validation. */
export function hardenedServerOptions(settings: BootSettings, limiter: () => RequestLimiter | undefined = () => undefined): FastifyHttpOptions<http.Server> {
    return {
        // Same as proxy-addr's numeric trust: the nearest N hops are proxies (typed as a function).
        trustProxy: settings.trustedProxyHops > 0 ? (_address: string, hop: number) => hop < settings.trustedProxyHops : false,
        bodyLimit: BODY_LIMIT,
        exposeHeadRoutes: false,
        requestIdHeader: false,
        genReqId: requestIdGenerator(),
        connectionTimeout: 30_000,
        requestTimeout: 30_000,
        keepAliveTimeout: 5_000,
        maxRequestsPerSocket: 1000,
        return503OnClosing: true,
        http: { maxHeaderSize: MAX_HEADER_BYTES },
        routerOptions: { maxParamLength: MAX_PARAM_LENGTH, caseSensitive: true, ignoreTrailingSlash: false, ignoreDuplicateSlashes: false },
        ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, useDefaults: false } },
        clientErrorHandler,
        frameworkErrors: frameworkErrorHandler(limiter),
    };
}

/** Limits Fastify has no option for, set on the underlying Node server. */
export function limitHttpServer(server: http.Server): void {
    server.maxHeadersCount = MAX_HEADERS_COUNT;
    server.headersTimeout = 10_000;
}

/**
 * The onRequest hook: the rate limit first (so every refusal below counts), then cheap refusals
 * before any parsing. An over-long URL is 414, any body 413, and any method but GET 405 on a
 * route's path (`routeShapes`), else 404.
 */
export function refuseEarly(routeShapes: readonly RegExp[], limiter: RequestLimiter) {
    return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
        if (!(await limiter(req, reply))) return reply;
        const url = req.raw.url ?? "";
        if (url.length > MAX_URL_LENGTH) return sendError(reply, 414, "uri_too_long");
        const length = Number(req.headers["content-length"] ?? 0);
        if (req.headers["transfer-encoding"] !== undefined || !(length <= BODY_LIMIT)) {
            return sendError(reply, 413, "body_too_large");
        }
        if (req.method !== "GET") {
            const path = url.split("?")[0];
            if (routeShapes.some((re) => re.test(path))) {
                return sendError(reply.header("allow", "GET"), 405, "method_not_allowed");
            }
            return sendError(reply, 404, "not_found");
        }
        return undefined;
    };
}

/** The onSend hook: no answer is cached (tickets, tokens in scripts) or content-sniffed. */
export async function addResponseHeaders(_req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    for (const [name, value] of Object.entries(ALWAYS_HEADERS)) reply.header(name, value);
    return payload;
}

/**
 * @fastify/rate-limit: `rateLimitPerMinute` per source address. Not per route (`global: false`):
 * `requestLimiter` applies it once per request, before anything else answers.
 */
export function rateLimitOptions(settings: BootSettings): RateLimitPluginOptions {
    return {
        global: false,
        max: settings.rateLimitPerMinute,
        timeWindow: 60_000,
        cache: 10_000,
    };
}
