/**
 * GET /v1/sites/<site>/boot.ipxe with `Authorization: Basic <site>:<token>`: the site script the
 * edge DHCP server points iPXE at. It chains, with iPXE's own values filled in, to the machine
 * script (machine-script.ts) by a relative URL, so iPXE sends the same credentials there.
 * The old `?token=<t>` form still works for one release (docs/decisions/0008).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { MACHINE_URL, machineUrlTemplate, renderSiteScript } from "../ipxe";
import type { HandlerContext } from "./context";
import { sendError } from "./errors";
import { audit, authorise, baseUrlFor } from "./request";
import { defineRoute } from "./route";
import { SiteParams, siteParamsSchema, siteScriptQuerySchema, TokenQuery } from "./schemas";

type SiteScriptRequest = FastifyRequest<{ Params: SiteParams; Querystring: TokenQuery }>;

export async function handleSiteScript(ctx: HandlerContext, req: SiteScriptRequest, reply: FastifyReply): Promise<FastifyReply> {
    const via = authorise(ctx, req, reply);
    if (via === undefined) return reply;
    const { site } = req.params;
    let script: string;
    if (via === "basic") {
        // The relative machine URL does not depend on the origin: one script per site.
        script = ctx.siteScripts.get("", site, () => renderSiteScript({ site, machineUrl: MACHINE_URL, retry: ctx.retry }));
    } else {
        const base = baseUrlFor(ctx.settings, req);
        if (!base) return sendError(reply, 400, "invalid_host");
        script = ctx.siteScripts.get(base, site, () => renderSiteScript({ site, machineUrl: machineUrlTemplate(base, site, ctx.siteTokens[site]), retry: ctx.retry }));
    }
    audit(req, "script_issued", { site }, "site script issued");
    return reply.type("text/plain; charset=utf-8").send(script);
}

export const siteScriptRoute = defineRoute<{ Params: SiteParams; Querystring: TokenQuery }>({
    url: "/v1/sites/:site/boot.ipxe",
    schema: { params: siteParamsSchema, querystring: siteScriptQuerySchema },
    handle: handleSiteScript,
});
