/** Helpers the route handlers share: audit lines, the scripts' base URL, the site token check. */
import type { FastifyReply, FastifyRequest } from "fastify";
import { HOST } from "../formats";
import type { AuditEvent } from "../logger";
import type { BootSettings } from "../settings";
import { secretMatchesDigest } from "../tickets";
import type { HandlerContext } from "./context";
import { sendError } from "./errors";
import type { SiteParams, TokenQuery } from "./schemas";

/** An audit line: the event, its identifiers, and the request (method, masked path, source address). */
export function audit(req: FastifyRequest, event: AuditEvent, fields: Record<string, unknown>, message: string): void {
    req.log.info({ event, ...fields, req }, message);
}

/** Scheme://host[:port] the scripts point at: settings.publicUrl, else the validated request origin. */
export function baseUrlFor(settings: BootSettings, req: FastifyRequest): string | undefined {
    if (settings.publicUrl) return settings.publicUrl;
    const host = (req.host ?? "").toLowerCase();
    const protocol = req.protocol;
    if (host.length > 255 || !HOST.test(host) || (protocol !== "http" && protocol !== "https")) return undefined;
    return `${protocol}://${host}`;
}

/**
 * Site token check (constant time); replies 401/403 and returns false when it fails. A wrong
 * token and an unknown site get the same answer; only the audit line tells them apart.
 */
export function authorise(ctx: HandlerContext, req: FastifyRequest<{ Params: SiteParams; Querystring: TokenQuery }>, reply: FastifyReply): boolean {
    const known = ctx.inventory.hasSite(req.params.site);
    // A site name nobody configured may be a token pasted into the wrong place: not logged.
    const site = known ? req.params.site : "[unknown]";
    const token = req.query.token;
    if (token === undefined || token === "") {
        audit(req, "token_refused", { site, reason: "missing" }, "site token missing");
        sendError(reply, 401, "token_required");
        return false;
    }
    if (!secretMatchesDigest(token, ctx.siteTokenDigests.get(req.params.site))) {
        audit(req, "token_refused", { site, reason: known ? "mismatch" : "unknown_site" }, "site token refused");
        sendError(reply, 403, "forbidden");
        return false;
    }
    return true;
}
