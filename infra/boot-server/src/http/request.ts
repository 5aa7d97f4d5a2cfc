/** Helpers the route handlers share: audit lines, the scripts' base URL, the site credential check. */
import * as crypto from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { HOST } from "../formats";
import { AuditEvent, markAudited } from "../logger";
import type { BootSettings } from "../settings";
import { secretMatchesDigest } from "../tickets";
import type { HandlerContext } from "./context";
import { sendError } from "./errors";
import type { SiteParams, TokenQuery } from "./schemas";

/**
 * An audit line: the event, its identifiers, and the request (method, masked path, source
 * address). A machine's SMBIOS serial is logged as `serialRef` (the first 12 hex digits of its
 * SHA-256), never as itself: for a VM the serial is the one identifier that stays off the site's
 * L2, and log readers are more people than admin API holders (who see it through `show <mac>`).
 */
export function audit(req: FastifyRequest, event: AuditEvent, fields: Record<string, unknown>, message: string): void {
    const { serial, ...rest } = fields;
    const serialRef = typeof serial === "string" ? { serialRef: crypto.createHash("sha256").update(serial).digest("hex").slice(0, 12) } : {};
    req.log.info({ event, ...rest, ...serialRef, req }, message);
    markAudited(req);
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
 * The challenge a request without credentials gets. iPXE answers it by repeating the request with
 * the user and password of its URL (`https://<site>:<token>@<svc>/…`, model/bootContract.ts
 * `siteBootUrl`) as `Authorization: Basic …`; it never sends them unasked.
 */
export const SITE_CHALLENGE = 'Basic realm="talos-cloud-edge site", charset="UTF-8"';

/** `Basic <base64 of user:password>` (RFC 7617), as iPXE sends it. */
const BASIC = /^Basic +([A-Za-z0-9+/]{1,400}={0,2}) *$/i;

/** How a request presented its site token: HTTP Basic credentials, or the deprecated `?token=` query parameter. */
export type SiteCredentialVia = "basic" | "query";

/** User and password of a Basic header; undefined when it is not one. */
function basicCredentials(header: string): { user: string; password: string } | undefined {
    const m = BASIC.exec(header);
    if (!m) return undefined;
    const decoded = Buffer.from(m[1], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Site credential check (constant time): `Authorization: Basic <site>:<token>`, or, for one release
 * (docs/decisions/0008), the token in the `token` query parameter, which is logged as deprecated.
 * Replies 401 (with the Basic challenge) or 403 and returns undefined when it fails; returns how
 * the token came otherwise. A wrong token, a wrong user and an unknown site get the same answer;
 * only the audit line tells them apart.
 */
export function authorise(ctx: HandlerContext, req: FastifyRequest<{ Params: SiteParams; Querystring: TokenQuery }>, reply: FastifyReply): SiteCredentialVia | undefined {
    const known = ctx.inventory.hasSite(req.params.site);
    // A site name nobody configured may be a token pasted into the wrong place: not logged.
    const site = known ? req.params.site : "[unknown]";
    const header = req.headers.authorization;
    const queryToken = req.query.token === "" ? undefined : req.query.token;
    if (queryToken !== undefined) {
        req.log.warn(
            { event: "token_in_query", site, req },
            "site token sent in the URL query string, which request logs record: deprecated, refused from the next release; run pulumi up so the site's DHCP hands out the boot URL with credentials",
        );
    }
    let token: string;
    let userMatches = true;
    let via: SiteCredentialVia;
    if (header !== undefined && header !== "") {
        const basic = basicCredentials(header);
        // A malformed header still costs one comparison, so timing does not tell the two apart.
        token = basic?.password ?? "";
        userMatches = basic !== undefined && basic.user === req.params.site;
        via = "basic";
        if (basic === undefined) {
            secretMatchesDigest(token, ctx.siteTokenDigests.get(req.params.site));
            audit(req, "token_refused", { site, reason: "malformed" }, "site credentials refused");
            sendError(reply, 403, "forbidden");
            return undefined;
        }
    } else if (queryToken !== undefined) {
        token = queryToken;
        via = "query";
    } else {
        audit(req, "token_refused", { site, reason: "missing" }, "site credentials missing");
        sendError(reply.header("www-authenticate", SITE_CHALLENGE), 401, "token_required");
        return undefined;
    }
    const tokenMatches = secretMatchesDigest(token, ctx.siteTokenDigests.get(req.params.site));
    if (!tokenMatches || !userMatches) {
        const reason = !known ? "unknown_site" : !tokenMatches ? "mismatch" : "user_mismatch";
        audit(req, "token_refused", { site, reason }, "site credentials refused");
        sendError(reply, 403, "forbidden");
        return undefined;
    }
    return via;
}
