/**
 * The answer to a machine over its ticket limit (ticket-throttle.ts): 429 ticket_rate_limited
 * with Retry-After, and a `ticket_throttled` audit line. Kept apart from the throttle itself so
 * the throttle stays free of Fastify and of the handler context.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { sendError } from "./errors";
import { audit } from "./request";

/** Answers 429 ticket_rate_limited with Retry-After; `who` are the request's identifiers for the audit line. */
export function refuseThrottled(req: FastifyRequest, reply: FastifyReply, who: Record<string, unknown>, retryAfterSeconds: number): FastifyReply {
    audit(req, "ticket_throttled", { ...who, retryAfterSeconds }, "ticket refused: too many tickets for this machine");
    return sendError(reply.header("retry-after", String(retryAfterSeconds)), 429, "ticket_rate_limited");
}
