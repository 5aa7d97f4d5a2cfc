/**
 * GET /v1/sites/<site>/machine.ipxe?mac=..&uuid=..&serial=..&arch=..&platform=.. with
 * `Authorization: Basic <site>:<token>` (or, for one release, `&token=<t>`: docs/decisions/0008)
 *
 *   known machine:                      boot script with a single-use config ticket
 *   known machine, already enrolled     script that exits to the local disk; no ticket
 *   for its enrollment generation:
 *   unknown machine:                    recorded as pending; wait-and-retry script
 *   identifiers contradict inventory:   409 identity_conflict
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { talosArchFor } from "../formats";
import { identityFromRequest, LookupResult } from "../inventory";
import { configUrl, MACHINE_URL, machineUrlTemplate, renderLocalBootScript, renderMachineBootScript, renderWaitScript } from "../ipxe";
import type { IssueResult } from "../store/types";
import { newTicket, ticketId, ticketRef } from "../tickets";
import type { Enrolled } from "./caches";
import type { HandlerContext } from "./context";
import { sendError } from "./errors";
import { audit, authorise, baseUrlFor } from "./request";
import { defineRoute } from "./route";
import { MachineQuery, machineQuerySchema, SiteParams, siteParamsSchema } from "./schemas";
import { refuseThrottled } from "./ticket-refusal";

type MachineScriptRequest = FastifyRequest<{ Params: SiteParams; Querystring: MachineQuery }>;
type KnownMachine = Extract<LookupResult, { kind: "known" }>;

/** What the machine presented (normalised identifiers), as every audit line of this route carries it. */
interface Seen {
    site: string;
    mac: string;
    uuid?: string;
    serial?: string;
    arch: MachineQuery["arch"];
    platform: string;
}

export async function handleMachineScript(ctx: HandlerContext, req: MachineScriptRequest, reply: FastifyReply): Promise<FastifyReply> {
    const via = authorise(ctx, req, reply);
    if (via === undefined) return reply;
    const base = baseUrlFor(ctx.settings, req);
    if (!base) return sendError(reply, 400, "invalid_host");
    const { site } = req.params;
    const q = req.query;
    const id = identityFromRequest(q.mac, q.uuid, q.serial);
    const seen: Seen = { site, mac: id.mac, uuid: id.uuid, serial: id.serial, arch: q.arch, platform: q.platform };
    const found = ctx.inventory.lookup(site, id);

    if (found.kind === "conflict" || (found.kind === "known" && talosArchFor(q.arch) !== found.machine.arch)) {
        const reason = found.kind === "conflict" ? found.reason : `iPXE arch ${q.arch} cannot boot ${found.machine.arch}`;
        const machines = found.kind === "conflict" ? found.machines : [found.machine.name];
        audit(req, "identity_conflict", { ...seen, machines, reason }, "machine identifiers contradict the inventory");
        return sendError(reply, 409, "identity_conflict");
    }
    if (found.kind === "unknown") return answerUnknown(ctx, req, reply, via === "basic" ? MACHINE_URL : machineUrlTemplate(base, site, ctx.siteTokens[site]), seen);

    const machine = found.machine;
    const localBoot = (enrollment: Enrolled): FastifyReply => answerLocalBoot(req, reply, seen, found, enrollment);
    const known = ctx.enrolled.get(site, machine.name);
    if (known !== undefined && known.enrollment === machine.enrollment) return localBoot(known);

    const assets = ctx.settings.assets[machine.arch];
    if (!assets) {
        // parseBootSettings guarantees assets for every inventory arch.
        req.log.error({ site, machine: machine.name, arch: machine.arch }, "no boot assets for the machine's arch");
        return sendError(reply, 500, "internal");
    }
    const ticket = newTicket();
    const tid = ticketId(ticket);
    const issuedAt = ctx.now();
    const expiresAt = new Date(issuedAt.getTime() + ctx.settings.ticketTtlSeconds * 1000);
    const throttle = ctx.ticketThrottle.take(site, machine.name, issuedAt);
    if (!throttle.allowed) return refuseThrottled(req, reply, { ...seen, machine: machine.name }, throttle.retryAfterSeconds);
    let issued: IssueResult;
    try {
        issued = await ctx.store.createTicket({
            id: tid,
            site,
            machine: machine.name,
            mac: id.mac,
            uuid: id.uuid,
            serial: id.serial,
            arch: q.arch,
            platform: q.platform,
            sourceIp: req.ip,
            createdAt: issuedAt,
            expiresAt,
            enrollment: machine.enrollment,
        });
    } catch (err) {
        ctx.ticketThrottle.refund(site, machine.name);
        req.log.error({ err: { message: (err as Error).message } }, "store failed issuing a ticket");
        return sendError(reply, 503, "store_unavailable");
    }
    if (issued.status === "enrolled") {
        ctx.ticketThrottle.refund(site, machine.name);
        return localBoot(ctx.enrolled.remember(site, machine.name, machine.enrollment, issued.enrolledAt.toISOString(), issued.ticketRef));
    }
    const script = renderMachineBootScript({
        site,
        machine: machine.name,
        kernelUrl: assets.kernelUrl,
        initramfsUrl: assets.initramfsUrl,
        kernelArgs: ctx.kernelArgsByArch.get(machine.arch) ?? [],
        configUrl: configUrl(base, ticket),
        retry: ctx.retry,
    });
    audit(
        req,
        "ticket_issued",
        {
            ...seen,
            machine: machine.name,
            matchedBy: found.matchedBy,
            enrollment: machine.enrollment,
            ticketRef: ticketRef(tid),
            expiresAt: expiresAt.toISOString(),
        },
        "boot script with config ticket issued",
    );
    return reply.type("text/plain; charset=utf-8").send(script);
}

/** Not in the inventory: recorded as pending (unless the site's pending list is full) and told to wait. */
async function answerUnknown(ctx: HandlerContext, req: MachineScriptRequest, reply: FastifyReply, machineUrl: string, seen: Seen): Promise<FastifyReply> {
    const { site } = seen;
    let recorded = false;
    let seenCount: number | undefined;
    try {
        const r = await ctx.store.recordPending({ ...seen, sourceIp: req.ip, seenAt: ctx.now() }, ctx.settings.maxPendingPerSite);
        recorded = r.recorded;
        seenCount = r.pending?.seenCount;
    } catch (err) {
        req.log.error({ err: { message: (err as Error).message } }, "store failed recording a pending machine");
        return sendError(reply, 503, "store_unavailable");
    }
    audit(req, "unknown_machine", { ...seen, recorded, seenCount }, "unknown machine told to wait");
    const script = renderWaitScript({
        site,
        machineUrl,
        waitSeconds: ctx.settings.unknownMachineRetrySeconds,
        retry: ctx.retry,
    });
    return reply.type("text/plain; charset=utf-8").send(script);
}

/**
 * Enrolled for its current generation: a script that exits to the local disk. Installed machines
 * whose firmware tries the network first land here on every boot, and so does anyone presenting
 * their identifiers: nothing is issued.
 */
function answerLocalBoot(
    req: MachineScriptRequest,
    reply: FastifyReply,
    seen: Seen,
    { machine, matchedBy }: KnownMachine,
    enrollment: Enrolled,
): FastifyReply {
    audit(
        req,
        "enrolled_local_boot",
        {
            ...seen,
            machine: machine.name,
            matchedBy,
            enrollment: enrollment.enrollment,
            enrolledAt: enrollment.enrolledAt,
            enrolledTicketRef: enrollment.ticketRef,
        },
        "enrolled machine sent to its local disk; no ticket",
    );
    return reply
        .type("text/plain; charset=utf-8")
        .send((enrollment.script ??= renderLocalBootScript({ site: seen.site, machine: machine.name, enrollment: enrollment.enrollment })));
}

export const machineScriptRoute = defineRoute<{ Params: SiteParams; Querystring: MachineQuery }>({
    url: "/v1/sites/:site/machine.ipxe",
    schema: { params: siteParamsSchema, querystring: machineQuerySchema },
    handle: handleMachineScript,
});
