/**
 * GET /v1/config/<ticket>: single use; the machine's Talos config (YAML) with a key minted for
 * this boot. Talos retries every non-200 answer for up to 3 h, so refusals are cheap: no key
 * minting, no rendering. A consumed ticket is released again when the answer is a failure worth
 * retrying (key backend, rendering, recording the enrollment) or when its machine left the
 * inventory or changed enrollment generation, so each retry gets the same answer or succeeds.
 */
import * as crypto from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { MintedKey } from "../keys/types";
import { ticketId, ticketRef } from "../tickets";
import type { HandlerContext } from "./context";
import { sendError } from "./errors";
import { audit } from "./request";
import { defineRoute } from "./route";
import { emptyQuerySchema, TicketParams, ticketParamsSchema } from "./schemas";

type ConfigRequest = FastifyRequest<{ Params: TicketParams }>;

export async function handleConfig(ctx: HandlerContext, req: ConfigRequest, reply: FastifyReply): Promise<FastifyReply> {
    const { settings, store, minter } = ctx;
    const tid = ticketId(req.params.ticket);
    const ref = ticketRef(tid);
    let consumed;
    try {
        consumed = await store.consumeTicket(tid, ctx.now());
    } catch (err) {
        req.log.error({ err: { message: (err as Error).message }, ticketRef: ref }, "store failed consuming a ticket");
        return sendError(reply, 503, "store_unavailable");
    }
    if (consumed.status === "unknown") {
        audit(req, "ticket_unknown", { ticketRef: ref }, "unknown ticket refused");
        return sendError(reply, 404, "ticket_unknown");
    }
    const t = consumed.ticket;
    const who = { ticketRef: ref, site: t.site, machine: t.machine, mac: t.mac };
    if (consumed.status === "used") {
        audit(req, "replay_refused", { ...who, consumedAt: t.consumedAt?.toISOString() }, "used ticket refused");
        return sendError(reply, 410, "ticket_used");
    }
    if (consumed.status === "expired") {
        // A newer ticket for the same machine cuts an older one's life short (store.createTicket).
        const superseded = t.expiresAt.getTime() - t.createdAt.getTime() < settings.ticketTtlSeconds * 1000;
        audit(
            req,
            "ticket_expired",
            { ...who, expiresAt: t.expiresAt.toISOString(), reason: superseded ? "superseded" : "ttl" },
            superseded ? "superseded ticket refused" : "expired ticket refused",
        );
        return sendError(reply, 410, "ticket_expired");
    }
    if (consumed.status === "enrolled") {
        // Issued before another ticket's config was served for the same generation.
        audit(
            req,
            "ticket_unknown",
            { ...who, enrollment: t.enrollment, reason: "machine already enrolled for this generation" },
            "ticket for an enrolled machine refused",
        );
        return sendError(reply, 410, "ticket_revoked");
    }

    const release = async (): Promise<void> => {
        await store.releaseTicket(tid).catch((err: Error) => {
            req.log.error({ err: { message: err.message }, ticketRef: ref }, "store failed releasing a ticket");
        });
    };
    const lookup = ctx.inventory.lookup(t.site, { mac: t.mac, uuid: t.uuid, serial: t.serial });
    if (lookup.kind !== "known" || lookup.machine.name !== t.machine) {
        // Released: a consumed ticket would claim its generation (store.consumeTicket), and
        // every retry should keep saying why it is refused.
        await release();
        audit(req, "ticket_unknown", { ...who, reason: "machine no longer in the inventory" }, "ticket for a removed machine refused");
        return sendError(reply, 410, "ticket_revoked");
    }
    const machine = lookup.machine;
    if (machine.enrollment !== t.enrollment) {
        await release(); // as above
        audit(
            req,
            "ticket_unknown",
            { ...who, enrollment: t.enrollment, reason: `enrollment generation changed to ${machine.enrollment}` },
            "ticket of an earlier enrollment generation refused",
        );
        return sendError(reply, 410, "ticket_revoked");
    }

    let key: MintedKey;
    try {
        key = await minter.mint({ site: t.site, machine: machine.name });
    } catch (err) {
        await release();
        // KeyMintError messages are scrubbed of credentials by contract.
        audit(req, "key_mint_failed", { ...who, backend: minter.kind, reason: (err as Error).message }, "key minting failed; ticket released");
        return sendError(reply.header("retry-after", "30"), 503, "key_unavailable");
    }

    let yaml: string;
    try {
        yaml = ctx.preparedConfigs.for(t.site, machine)(key.key);
    } catch (err) {
        await release();
        req.log.error({ err: { type: (err as Error).name, message: (err as Error).message }, ...who }, "rendering the machine config failed");
        return sendError(reply, 500, "internal");
    }
    const configSha256 = crypto.createHash("sha256").update(yaml).digest("hex");
    const servedAt = ctx.now();
    try {
        await store.recordEnrollment({
            ticketRef: ref,
            site: t.site,
            machine: machine.name,
            mac: t.mac,
            uuid: t.uuid,
            serial: t.serial,
            sourceIp: req.ip,
            keyBackend: minter.kind,
            keyId: key.id,
            keyExpiresAt: key.expiresAt,
            configSha256,
            servedAt,
            enrollment: t.enrollment,
        });
    } catch (err) {
        await release();
        req.log.error({ err: { message: (err as Error).message }, ...who }, "store failed recording the enrollment; ticket released");
        return sendError(reply, 503, "store_unavailable");
    }
    ctx.enrolled.remember(t.site, machine.name, t.enrollment, servedAt.toISOString(), ref);
    audit(
        req,
        "config_served",
        { ...who, enrollment: t.enrollment, keyBackend: minter.kind, keyId: key.id, keyExpiresAt: key.expiresAt, configSha256 },
        "machine config served",
    );
    return reply.type("application/yaml; charset=utf-8").send(yaml);
}

export const configRoute = defineRoute<{ Params: TicketParams }>({
    url: "/v1/config/:ticket",
    schema: { params: ticketParamsSchema, querystring: emptyQuerySchema },
    handle: handleConfig,
});
