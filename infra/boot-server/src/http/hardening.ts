/**
 * What keeps hostile or broken requests cheap: size and time limits, Fastify and Node HTTP
 * options, the refusals made before routing, the answer to requests Node's HTTP parser rejects,
 * the per-address rate limit, and the headers every answer carries.
 */
import * as crypto from "node:crypto";
import type * as http from "node:http";
import type { Socket } from "node:net";
import type { FastifyHttpOptions, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { RateLimitPluginOptions } from "@fastify/rate-limit";
import type { BootSettings } from "../settings";
import { sendError } from "./errors";

/** Longest request URL accepted (the machine URL is < 600 characters). */
export const MAX_URL_LENGTH = 2048;
/** Longest request header block (Node's HTTP parser answers 431 beyond it). */
export const MAX_HEADER_BYTES = 8192;
/** Largest request body; the API takes none. */
export const BODY_LIMIT = 1024;
/** At most this many request headers are read; the rest are dropped by Node. */
export const MAX_HEADERS_COUNT = 64;

/** Node's HTTP parser errors (oversized headers, garbage) answered without any request data. */
export function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
    if (err.code === "ECONNRESET" || socket.destroyed) return;
    let status = 400;
    let code = "bad_request";
    if (err.code === "HPE_HEADER_OVERFLOW") {
        status = 431;
        code = "headers_too_large";
    } else if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") {
        status = 408;
        code = "request_timeout";
    }
    // err.rawPacket holds the raw request (tokens included): log the code only.
    this.log.info({ clientError: err.code ?? "unknown", statusCode: status }, "client error");
    if (socket.writable) {
        const body = JSON.stringify({ error: code });
        socket.write(
            `HTTP/1.1 ${status} ${status === 431 ? "Request Header Fields Too Large" : status === 408 ? "Request Timeout" : "Bad Request"}\r\n` +
                `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
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

/** Fastify and Node HTTP server options (everything but logging): limits, timeouts, strict routing and validation. */
export function hardenedServerOptions(settings: BootSettings): FastifyHttpOptions<http.Server> {
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
        routerOptions: { maxParamLength: 100, caseSensitive: true, ignoreTrailingSlash: false, ignoreDuplicateSlashes: false },
        ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, useDefaults: false } },
        clientErrorHandler,
        frameworkErrors: (_err, _req, reply) => {
            sendError(reply, 400, "bad_request");
        },
    };
}

/** Limits Fastify has no option for, set on the underlying Node server. */
export function limitHttpServer(server: http.Server): void {
    server.maxHeadersCount = MAX_HEADERS_COUNT;
    server.headersTimeout = 10_000;
}

/**
 * The onRequest hook: cheap refusals before routing, rate limiting or any parsing. An over-long
 * URL is 414, any body 413, and any method but GET 405 on a route's path (`routeShapes`), else 404.
 */
export function refuseEarly(routeShapes: readonly RegExp[]) {
    return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
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
    reply.header("cache-control", "no-store");
    reply.header("x-content-type-options", "nosniff");
    return payload;
}

/** @fastify/rate-limit: `rateLimitPerMinute` per source address on every route that does not opt out. */
export function rateLimitOptions(settings: BootSettings): RateLimitPluginOptions {
    return {
        global: true,
        max: settings.rateLimitPerMinute,
        timeWindow: 60_000,
        cache: 10_000,
    };
}
