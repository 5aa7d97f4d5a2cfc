/**
 * The admin API's credential check: `Authorization: Bearer <BOOT_ADMIN_TOKEN>`, compared in
 * constant time. Only the header is read: a credential in a URL ends up in proxies' and
 * browsers' histories, and the query strings of the admin routes accept no `token`. The site
 * tokens (which travel in clear in DHCP) are never accepted here; the service refuses to start
 * with an admin token equal to one (settings/admin.ts).
 *
 *   no BOOT_ADMIN_TOKEN configured     403 admin_disabled
 *   no Authorization header            401 token_required   (WWW-Authenticate: Bearer)
 *   not "Bearer <token>", or wrong     403 forbidden
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { secretMatchesDigest } from "../tickets";
import type { HandlerContext } from "./context";
import { sendError } from "./errors";
import { audit } from "./request";

/** Scheme and token characters as a bearer header carries them (RFC 6750 b64token, narrowed to the token alphabet). */
const BEARER = /^Bearer +([A-Za-z0-9._~-]{1,128}) *$/i;

/** Replies 401/403 and returns false unless the request carries the admin credential. */
export function authoriseAdmin(ctx: HandlerContext, req: FastifyRequest, reply: FastifyReply): boolean {
    if (ctx.adminTokenDigest === undefined) {
        audit(req, "admin_refused", { reason: "disabled" }, "admin API is off (BOOT_ADMIN_TOKEN unset)");
        sendError(reply, 403, "admin_disabled");
        return false;
    }
    const header = req.headers.authorization;
    if (header === undefined || header === "") {
        audit(req, "admin_refused", { reason: "missing" }, "admin credential missing");
        sendError(reply.header("www-authenticate", 'Bearer realm="talos-boot-admin"'), 401, "token_required");
        return false;
    }
    const match = BEARER.exec(header);
    // A malformed header still costs one comparison, so timing does not tell the two apart.
    const ok = secretMatchesDigest(match?.[1] ?? "", ctx.adminTokenDigest) && match !== null;
    if (!ok) {
        audit(req, "admin_refused", { reason: match === null ? "malformed" : "mismatch" }, "admin credential refused");
        sendError(reply, 403, "forbidden");
        return false;
    }
    return true;
}
