/**
 * GET /v1/sites/<site>/boot.ipxe?token=<t>: the site script the edge DHCP server points iPXE
 * at. It chains, with iPXE's own values filled in, to the machine script (machine-script.ts).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { machineUrlTemplate, renderSiteScript } from "../ipxe";
import type { HandlerContext } from "./context";
import { sendError } from "./errors";
import { audit, authorise, baseUrlFor } from "./request";
import { defineRoute } from "./route";
import { SiteParams, siteParamsSchema, siteScriptQuerySchema, TokenQuery } from "./schemas";

type SiteScriptRequest = FastifyRequest<{ Params: SiteParams; Querystring: TokenQuery }>;

export async function handleSiteScript(ctx: HandlerContext, req: SiteScriptRequest, reply: FastifyReply): Promise<FastifyReply> {
    if (!authorise(ctx, req, reply)) return reply;
    const base = baseUrlFor(ctx.settings, req);
    if (!base) return sendError(reply, 400, "invalid_host");
    const { site } = req.params;
    const script = ctx.siteScripts.get(base, site, () =>
        renderSiteScript({ site, machineUrl: machineUrlTemplate(base, site, ctx.siteTokens[site]), retry: ctx.retry }),
    );
    audit(req, "script_issued", { site }, "site script issued");
    return reply.type("text/plain; charset=utf-8").send(script);
}

export const siteScriptRoute = defineRoute<{ Params: SiteParams; Querystring: TokenQuery }>({
    url: "/v1/sites/:site/boot.ipxe",
    schema: { params: siteParamsSchema, querystring: siteScriptQuerySchema },
    handle: handleSiteScript,
});
