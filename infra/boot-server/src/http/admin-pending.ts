/**
 * GET /v1/admin/machines/pending[?site=<site>]: machines that asked to boot but are not in the
 * inventory, oldest first, with the inventory's site positions (where an added machine goes).
 * Admin credential required (admin-auth.ts); read-only.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { pendingAnswer } from "../admin/views";
import { authoriseAdmin } from "./admin-auth";
import type { HandlerContext } from "./context";
import { sendError } from "./errors";
import { audit } from "./request";
import { defineRoute } from "./route";
import { AdminListQuery, adminListQuerySchema } from "./schemas";

type PendingRequest = FastifyRequest<{ Querystring: AdminListQuery }>;

export async function handleAdminPending(ctx: HandlerContext, req: PendingRequest, reply: FastifyReply): Promise<FastifyReply> {
    if (!authoriseAdmin(ctx, req, reply)) return reply;
    const site = req.query.site;
    let answer;
    try {
        answer = pendingAnswer(ctx.settings.sites, await ctx.store.listPending(site), site);
    } catch (err) {
        req.log.error({ err: { message: (err as Error).message } }, "store failed listing pending machines");
        return sendError(reply, 503, "store_unavailable");
    }
    audit(req, "admin_read", { what: "pending", site, count: answer.pending.length }, "admin listed pending machines");
    return reply.type("application/json; charset=utf-8").send(answer);
}

export const adminPendingRoute = defineRoute<{ Querystring: AdminListQuery }>({
    url: "/v1/admin/machines/pending",
    schema: { querystring: adminListQuerySchema },
    handle: handleAdminPending,
});
