/**
 * Error answers: JSON `{"error": "<code>"}` (plus `"field"` for a bad parameter), never a
 * request value, never a secret. The codes and statuses are listed in app.ts's doc comment.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { KNOWN_PATH_PARAMS, KNOWN_QUERY_FIELDS } from "./schemas";

/** Answers `status` with `{"error": error, ...extra}`. */
export function sendError(reply: FastifyReply, status: number, error: string, extra: Record<string, string> = {}): FastifyReply {
    return reply.code(status).type("application/json; charset=utf-8").send({ error, ...extra });
}

/**
 * The parameter a schema validation error is about, when it is one the API documents; a client's
 * own unknown parameter name is never echoed back.
 */
export function invalidField(err: FastifyError): string | undefined {
    const first = err.validation?.[0];
    if (!first) return undefined;
    const params = first.params as Record<string, unknown>;
    const candidate =
        typeof params?.missingProperty === "string" ? params.missingProperty : first.instancePath.replace(/^\//, "").split("/")[0];
    return KNOWN_QUERY_FIELDS.includes(candidate) || KNOWN_PATH_PARAMS.includes(candidate) ? candidate : undefined;
}

/**
 * Fastify's error handler: validation failures, the rate limiter's 429, and anything a handler
 * threw. Unexpected failures are logged by type, code and message only and answered 500 internal.
 */
export function handleError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
    if (err.validation) {
        const field = invalidField(err);
        return sendError(reply, 400, "invalid_request", field ? { field } : {});
    }
    const status = err.statusCode ?? 500;
    if (status === 429) return sendError(reply, 429, "rate_limited");
    if (status === 413) return sendError(reply, 413, "body_too_large");
    if (status === 414) return sendError(reply, 414, "uri_too_long");
    if (status >= 400 && status < 500) return sendError(reply, status, "bad_request");
    req.log.error({ err: { type: err.name, code: err.code, message: err.message } }, "request failed");
    return sendError(reply, 500, "internal");
}

/** No such route (GET only: other methods are answered before routing, see hardening.ts). */
export function handleNotFound(_req: FastifyRequest, reply: FastifyReply): FastifyReply {
    return sendError(reply, 404, "not_found");
}
