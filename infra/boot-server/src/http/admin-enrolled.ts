/**
 * GET /v1/admin/machines/enrolled[?site=<site>]: per machine its latest served config (and
 * whether it is for the inventory's current generation), and the inventory machines still
 * awaiting a config for theirs. Admin credential required (admin-auth.ts); read-only.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { enrolledAnswer } from "../admin/views";
import { authoriseAdmin } from "./admin-auth";
import type { HandlerContext } from "./context";
import { sendError } from "./errors";
import { audit } from "./request";
import { defineRoute } from "./route";
import { AdminListQuery, adminListQuerySchema } from "./schemas";

type EnrolledRequest = FastifyRequest<{ Querystring: AdminListQuery }>;

export async function handleAdminEnrolled(ctx: HandlerContext, req: EnrolledRequest, reply: FastifyReply): Promise<FastifyReply> {
    if (!authoriseAdmin(ctx, req, reply)) return reply;
    const site = req.query.site;
    let answer;
    try {
        answer = enrolledAnswer(ctx.settings.sites, await ctx.store.listEnrollments(site === undefined ? {} : { site }), site);
    } catch (err) {
        req.log.error({ err: { message: (err as Error).message } }, "store failed listing enrollments");
        return sendError(reply, 503, "store_unavailable");
    }
    audit(req, "admin_read", { what: "enrolled", site, count: answer.enrolled.length, awaiting: answer.awaiting.length }, "admin listed enrolled machines");
    return reply.type("application/json; charset=utf-8").send(answer);
}

export const adminEnrolledRoute = defineRoute<{ Querystring: AdminListQuery }>({
    url: "/v1/admin/machines/enrolled",
    schema: { querystring: adminListQuerySchema },
    handle: handleAdminEnrolled,
});
