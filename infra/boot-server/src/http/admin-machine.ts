/**
 * GET /v1/admin/machines/<mac>: everything known about one MAC: the inventory machines with it
 * (and their stack-config positions), its pending record, and every config served to it.
 * `404 machine_unknown` when nothing is. Admin credential required (admin-auth.ts); read-only.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { machineAnswer } from "../admin/views";
import { normaliseMac } from "../formats";
import { authoriseAdmin } from "./admin-auth";
import type { HandlerContext } from "./context";
import { sendError } from "./errors";
import { audit } from "./request";
import { defineRoute } from "./route";
import { AdminMacParams, adminMacParamsSchema, emptyQuerySchema } from "./schemas";

type MachineRequest = FastifyRequest<{ Params: AdminMacParams }>;

export async function handleAdminMachine(ctx: HandlerContext, req: MachineRequest, reply: FastifyReply): Promise<FastifyReply> {
    if (!authoriseAdmin(ctx, req, reply)) return reply;
    const mac = normaliseMac(req.params.mac);
    if (mac === undefined) return sendError(reply, 400, "invalid_request", { field: "mac" });
    let answer;
    try {
        const [pending, records] = await Promise.all([ctx.store.listPending(), ctx.store.listEnrollments()]);
        answer = machineAnswer(ctx.settings.sites, mac, pending, records);
    } catch (err) {
        req.log.error({ err: { message: (err as Error).message } }, "store failed reading a machine");
        return sendError(reply, 503, "store_unavailable");
    }
    audit(req, "admin_read", { what: "machine", mac, found: answer !== undefined }, "admin read one machine");
    if (answer === undefined) return sendError(reply, 404, "machine_unknown");
    return reply.type("application/json; charset=utf-8").send(answer);
}

export const adminMachineRoute = defineRoute<{ Params: AdminMacParams }>({
    url: "/v1/admin/machines/:mac",
    schema: { params: adminMacParamsSchema, querystring: emptyQuerySchema },
    handle: handleAdminMachine,
});
