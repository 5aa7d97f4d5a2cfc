/**
 * GET /v1/config/<ticket>: the machine's Talos config (YAML) with a key minted for this boot.
 *
 * A ticket is redeemed in two steps, so that no instant at which the process dies or is stopped
 * leaves the machine without a config (Talos retries the same URL for up to 3 h):
 *
 *   1. claim   (store.claimTicket) the ticket, atomically: at most one live claim per ticket,
 *              and per machine and generation. A claim whose process died (its holder is gone,
 *              or its lease ran out) can be claimed again by the same ticket, and does not
 *              block the machine's next ticket either.
 *   2. mint a key (bounded by MINT_BUDGET_MS), render, write the whole answer out;
 *   3. complete (store.completeClaim) once the body has left the process: the ticket becomes
 *              used and the enrollment is recorded, atomically. Only then is `config_served`
 *              logged and the response ended.
 *
 * Talos retries every non-200 answer for up to 3 h, so refusals are cheap: no key minting, no
 * rendering. A claim is released whenever the answer is a failure worth retrying (key backend,
 * rendering, a connection closed before the body was written) or a refusal that must stay the
 * same on every retry (its machine left the inventory or changed enrollment generation).
 */
import * as crypto from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { MintedKey } from "../keys/types";
import type { EnrollmentRecord } from "../store/types";
import { ticketId, ticketRef } from "../tickets";
import type { HandlerContext } from "./context";
import { DeadlineError, withDeadline, writeBodyBeforeEnd } from "./deliver";
import { sendError } from "./errors";
import { audit } from "./request";
import { defineRoute } from "./route";
import { emptyQuerySchema, TicketParams, ticketParamsSchema } from "./schemas";

type ConfigRequest = FastifyRequest<{ Params: TicketParams }>;

export async function handleConfig(ctx: HandlerContext, req: ConfigRequest, reply: FastifyReply): Promise<FastifyReply> {
    const { settings, store, minter } = ctx;
    const tid = ticketId(req.params.ticket);
    const ref = ticketRef(tid);
    let claimed;
    try {
        claimed = await store.claimTicket(tid, ctx.now());
    } catch (err) {
        req.log.error({ err: { message: (err as Error).message }, ticketRef: ref }, "store failed claiming a ticket");
        return sendError(reply, 503, "store_unavailable");
    }
    if (claimed.status === "unknown") {
        audit(req, "ticket_unknown", { ticketRef: ref }, "unknown ticket refused");
        return sendError(reply, 404, "ticket_unknown");
    }
    const t = claimed.ticket;
    const who = { ticketRef: ref, site: t.site, machine: t.machine, mac: t.mac };
    if (claimed.status === "used") {
        audit(req, "replay_refused", { ...who, consumedAt: t.consumedAt?.toISOString() }, "used ticket refused");
        return sendError(reply, 410, "ticket_used");
    }
    if (claimed.status === "in_use") {
        // Another request is serving it right now: a replay, as far as this one is concerned.
        audit(req, "replay_refused", { ...who, inUse: true, claimedUntil: t.claimedUntil?.toISOString() }, "ticket being served refused");
        return sendError(reply, 410, "ticket_used");
    }
    if (claimed.status === "expired") {
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
    if (claimed.status === "enrolled") {
        // Issued before another ticket's config was served for the same generation.
        audit(
            req,
            "ticket_unknown",
            { ...who, enrollment: t.enrollment, reason: "machine already enrolled for this generation" },
            "ticket for an enrolled machine refused",
        );
        return sendError(reply, 410, "ticket_revoked");
    }

    const claim = claimed.claim;
    const release = async (): Promise<void> => {
        await store.releaseClaim(tid, claim).catch((err: Error) => {
            req.log.error({ err: { message: err.message }, ticketRef: ref }, "store failed releasing a ticket claim");
        });
    };
    const lookup = ctx.inventory.lookup(t.site, { mac: t.mac, uuid: t.uuid, serial: t.serial });
    if (lookup.kind !== "known" || lookup.machine.name !== t.machine) {
        // Released: a live claim would hold its generation (store.claimTicket), and every retry
        // should keep saying why it is refused.
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
        // The deadline's signal reaches the backend, which stops retrying and abandons its API
        // call: no mint outlives this request (and so the shutdown grace).
        key = await withDeadline(ctx.mintBudgetMs, (signal) => minter.mint({ site: t.site, machine: machine.name, signal }));
    } catch (err) {
        await release();
        // KeyMintError messages are scrubbed of credentials by contract.
        const reason = err instanceof DeadlineError ? `key minting did not finish within ${ctx.mintBudgetMs} ms` : (err as Error).message;
        audit(req, "key_mint_failed", { ...who, backend: minter.kind, reason }, "key minting failed; ticket released");
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
    const record: EnrollmentRecord = {
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
        configSha256: crypto.createHash("sha256").update(yaml).digest("hex"),
        servedAt: ctx.now(),
        enrollment: t.enrollment,
    };

    if (!(await writeBodyBeforeEnd(reply, "application/yaml; charset=utf-8", yaml))) {
        // The connection closed before the config left the process: Talos retries the same URL.
        await release();
        req.log.warn({ ...who, enrollment: t.enrollment }, "connection closed before the config was sent; ticket claim released");
        return reply;
    }
    try {
        const done = await store.completeClaim(tid, claim, record);
        if (!done.firstUse || done.claims !== claim) {
            // The claim lapsed while this process still served it, and the ticket was claimed again.
            req.log.warn({ ...who, claim, claims: done.claims, firstUse: done.firstUse }, "ticket was claimed again while its config was being sent");
        }
    } catch (err) {
        // The machine has its config; the store does not know. Never logged as config_served.
        req.log.error(
            { err: { message: (err as Error).message }, ...who, enrollment: t.enrollment, keyId: key.id, configSha256: record.configSha256 },
            "config sent but the store failed recording the enrollment; the machine is not recorded as enrolled",
        );
        reply.raw.end();
        return reply;
    }
    ctx.enrolled.remember(t.site, machine.name, t.enrollment, record.servedAt.toISOString(), ref);
    audit(
        req,
        "config_served",
        {
            ...who,
            enrollment: t.enrollment,
            claim,
            keyBackend: minter.kind,
            keyId: key.id,
            keyExpiresAt: key.expiresAt,
            configSha256: record.configSha256,
        },
        "machine config served",
    );
    reply.raw.end();
    return reply;
}

export const configRoute = defineRoute<{ Params: TicketParams }>({
    url: "/v1/config/:ticket",
    schema: { params: ticketParamsSchema, querystring: emptyQuerySchema },
    handle: handleConfig,
});
