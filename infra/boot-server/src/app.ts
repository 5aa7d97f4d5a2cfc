/**
 * The boot service's HTTP API (Fastify).
 *
 *   GET /healthz                                   liveness: {"status":"ok"}
 *   GET /v1/sites/<site>/boot.ipxe?token=<t>       site script: chains to machine.ipxe with iPXE's values
 *   GET /v1/sites/<site>/machine.ipxe?token=<t>&mac=..&uuid=..&serial=..&arch=..&platform=..
 *                                                  known machine: boot script with a config ticket;
 *                                                  known machine already enrolled for its generation:
 *                                                  script that exits to the local disk, no ticket;
 *                                                  unknown machine: recorded as pending, wait-and-retry script
 *   GET /v1/config/<ticket>                        single-use: the machine's Talos config (YAML)
 *
 * Error responses are JSON `{"error": "<code>"}` (plus `"field"` for a bad parameter), with no
 * request value and no secret in them. Status codes:
 *
 *   400 invalid_request      a parameter is missing, malformed, duplicated or unknown (`field` names it)
 *   400 invalid_host         no usable Host header to build script URLs from (publicUrl unset)
 *   400 bad_request          the URL or request could not be parsed
 *   401 token_required       no `token` query parameter
 *   403 forbidden            wrong token, or a site that does not exist (indistinguishable on purpose)
 *   404 not_found            no such route
 *   404 ticket_unknown       no such ticket (never issued, or purged)
 *   405 method_not_allowed   a route exists for GET only (HEAD too: it would consume a ticket)
 *   409 identity_conflict    MAC/UUID/serial/arch contradict the inventory
 *   410 ticket_used          the ticket has been used (replay)
 *   410 ticket_expired       the ticket outlived its TTL, or a newer one was issued to the same machine
 *   410 ticket_revoked       the ticket's machine is no longer in the inventory, its enrollment
 *                            generation changed, or it got a config for that generation already
 *   413 body_too_large       a request body (the API takes none) over 1 KiB, or chunked
 *   414 uri_too_long         URL over 2048 characters
 *   429 rate_limited         too many requests from this source address (Retry-After says when)
 *   431 headers_too_large    request headers over 8 KiB (answered by the HTTP layer)
 *   500 internal             unexpected failure (details in the log only)
 *   503 key_unavailable      the key backend failed; the ticket stays valid for a retry
 *   503 store_unavailable    the store failed; for a config fetch the ticket stays valid
 *
 * Talos retries every non-200 config fetch for up to 3 h, so refusals are cheap: at most two
 * indexed queries, no key minting, no rendering.
 */
import * as crypto from "node:crypto";
import type { Socket } from "node:net";
import Fastify, { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import rateLimit from "@fastify/rate-limit";
import { DNS_LABEL, HOST, IPXE_ARCHES, IPXE_PLATFORMS, IpxeArch, SERIAL, SITE_TOKEN_CHARS, talosArchFor, TICKET } from "./formats";
import { identityFromRequest, Inventory } from "./inventory";
import {
    configUrl,
    machineUrlTemplate,
    renderLocalBootScript,
    renderMachineBootScript,
    renderSiteScript,
    renderWaitScript,
} from "./ipxe";
import type { KeyMinter, MintedKey } from "./keys/types";
import { AuditEvent, fastifyLogging, LogSink } from "./logger";
import { parseBaseConfig, PreparedMachineConfig, prepareMachineConfig } from "./machine-config";
import type { BootMachine, BootSecrets, BootSettings } from "./settings";
import type { BootStore, IssueResult } from "./store/types";
import { newTicket, secretDigest, secretMatchesDigest, ticketId, ticketRef } from "./tickets";

/** Longest request URL accepted (the machine URL is < 600 characters). */
export const MAX_URL_LENGTH = 2048;
/** Longest request header block (Node's HTTP parser answers 431 beyond it). */
export const MAX_HEADER_BYTES = 8192;
/** Largest request body; the API takes none. */
export const BODY_LIMIT = 1024;
/** At most this many request headers are read; the rest are dropped by Node. */
export const MAX_HEADERS_COUNT = 64;
/** Rendered site scripts kept per instance (origin x site); more are rendered per request. */
const SITE_SCRIPT_CACHE_ENTRIES = 256;

/** A machine's enrollment for its current generation, with the local-boot answer it gets. */
interface Enrolled {
    enrollment: number;
    enrolledAt: string;
    ticketRef: string;
    /** Rendered on first use. */
    script?: string;
}

export interface BuildAppOptions {
    settings: BootSettings;
    /** Only `baseConfig` and `siteTokens` are used here; key secrets live in the minter. */
    secrets: Pick<BootSecrets, "baseConfig" | "siteTokens">;
    store: BootStore;
    minter: KeyMinter;
    /** Where JSON log lines go; default stdout. Tests capture them. */
    logSink?: LogSink;
    /** Clock for ticket issue and expiry; default `() => new Date()`. */
    now?: () => Date;
}

const KNOWN_QUERY_FIELDS = ["token", "mac", "uuid", "serial", "arch", "platform"];
const ROUTE_SHAPES = [/^\/healthz$/, /^\/v1\/sites\/[^/]+\/(?:boot|machine)\.ipxe$/, /^\/v1\/config\/[^/]+$/];

interface SiteParams {
    site: string;
}
interface TokenQuery {
    token?: string;
}
interface MachineQuery extends TokenQuery {
    mac: string;
    uuid?: string;
    serial?: string;
    arch: IpxeArch;
    platform: string;
}
interface TicketParams {
    ticket: string;
}

const siteParamsSchema = {
    type: "object",
    properties: { site: { type: "string", maxLength: 63, pattern: DNS_LABEL.source } },
    required: ["site"],
} as const;

const tokenProperty = { type: "string", maxLength: 128, pattern: SITE_TOKEN_CHARS } as const;

function sendError(reply: FastifyReply, status: number, error: string, extra: Record<string, string> = {}): FastifyReply {
    return reply.code(status).type("application/json; charset=utf-8").send({ error, ...extra });
}

function fieldOf(err: FastifyError): string | undefined {
    const first = err.validation?.[0];
    if (!first) return undefined;
    const params = first.params as Record<string, unknown>;
    const candidate =
        typeof params?.missingProperty === "string" ? params.missingProperty : first.instancePath.replace(/^\//, "").split("/")[0];
    return KNOWN_QUERY_FIELDS.includes(candidate) || candidate === "site" || candidate === "ticket" ? candidate : undefined;
}

/** Node's HTTP parser errors (oversized headers, garbage) answered without any request data. */
function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
    if (err.code === "ECONNRESET" || socket.destroyed) return;
    let status = 400;
    let code = "bad_request";
    if (err.code === "HPE_HEADER_OVERFLOW") {
        status = 431;
        code = "headers_too_large";
    } else if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") {
        status = 408;
        code = "request_timeout";
    }
    // err.rawPacket holds the raw request (tokens included): log the code only.
    this.log.info({ clientError: err.code ?? "unknown", statusCode: status }, "client error");
    if (socket.writable) {
        const body = JSON.stringify({ error: code });
        socket.write(
            `HTTP/1.1 ${status} ${status === 431 ? "Request Header Fields Too Large" : status === 408 ? "Request Timeout" : "Bad Request"}\r\n` +
                `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
    }
    socket.destroy();
}

/**
 * Builds the service. Parses the base config once (throws BaseConfigError, naming no content,
 * when it is unusable). Does not listen: call `app.listen(...)`.
 */
export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
    const { settings, store, minter } = opts;
    const now = opts.now ?? (() => new Date());
    const baseConfig = parseBaseConfig(opts.secrets.baseConfig);
    const siteTokens = opts.secrets.siteTokens;
    // Everything below is derived once from settings and secrets, not per request.
    const siteTokenDigests = new Map(Object.entries(siteTokens).map(([site, token]) => [site, secretDigest(token)]));
    const inventory = new Inventory(settings.sites);
    const retry = { attempts: settings.chainAttempts, delaySeconds: settings.chainRetryDelaySeconds };
    const tailscaleExtraArgs = settings.keyBackend.kind === "headscale" ? [`--login-server=${settings.keyBackend.url}`] : undefined;
    const kernelArgsByArch = new Map(
        Object.entries(settings.assets).map(([arch, assets]) => [arch, [...assets.consoleArgs, ...settings.kernelArgs]]),
    );
    /** Per machine (by name): its config with everything but the per-boot key rendered, made on first use. */
    const preparedConfigs = new Map<string, PreparedMachineConfig>();
    const preparedConfigFor = (site: string, machine: BootMachine): PreparedMachineConfig => {
        let prepared = preparedConfigs.get(machine.name);
        if (prepared === undefined) {
            prepared = prepareMachineConfig(baseConfig, {
                site,
                machine,
                installerImage: settings.installerImage,
                validSubnets: settings.validSubnets,
                tailscaleExtraArgs,
            });
            preparedConfigs.set(machine.name, prepared);
        }
        return prepared;
    };
    /**
     * Machines known to be enrolled for their current generation (site/name -> that enrollment).
     * Only positive answers are kept, and they never go stale: enrollment records are never
     * deleted and the generation is fixed for this instance's settings. So an enrolled machine's
     * network boot needs no store round trip (and still works while the store is down); every
     * other answer comes from the store, which several instances share.
     */
    const enrolled = new Map<string, Enrolled>();
    const enrolledKey = (site: string, machine: string): string => `${site}/${machine}`;
    const remember = (site: string, machine: string, enrollment: number, enrolledAt: string, ref: string): Enrolled => {
        const record = { enrollment, enrolledAt, ticketRef: ref };
        enrolled.set(enrolledKey(site, machine), record);
        return record;
    };
    /**
     * Site scripts by origin and site. The origin comes from the Host header when publicUrl is
     * unset, so the cache is capped: past the cap, scripts are rendered per request.
     */
    const siteScripts = new Map<string, string>();
    let requestCounter = 0;
    const requestIdPrefix = crypto.randomBytes(4).toString("hex");

    const app = Fastify({
        ...fastifyLogging(settings.logLevel, opts.logSink),
        // Same as proxy-addr's numeric trust: the nearest N hops are proxies (typed as a function).
        trustProxy: settings.trustedProxyHops > 0 ? (_address: string, hop: number) => hop < settings.trustedProxyHops : false,
        bodyLimit: BODY_LIMIT,
        exposeHeadRoutes: false,
        requestIdHeader: false,
        // Correlates one request's log lines; unique per instance (random prefix), not a secret.
        genReqId: () => `${requestIdPrefix}${(++requestCounter).toString(16).padStart(8, "0")}`,
        connectionTimeout: 30_000,
        requestTimeout: 30_000,
        keepAliveTimeout: 5_000,
        maxRequestsPerSocket: 1000,
        return503OnClosing: true,
        http: { maxHeaderSize: MAX_HEADER_BYTES },
        routerOptions: { maxParamLength: 100, caseSensitive: true, ignoreTrailingSlash: false, ignoreDuplicateSlashes: false },
        ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, useDefaults: false } },
        clientErrorHandler,
        frameworkErrors: (_err, _req, reply) => {
            sendError(reply, 400, "bad_request");
        },
    });
    app.server.maxHeadersCount = MAX_HEADERS_COUNT;
    app.server.headersTimeout = 10_000;

    /** An audit line: the event, its identifiers, and the request (method, masked path, source address). */
    const audit = (req: FastifyRequest, event: AuditEvent, fields: Record<string, unknown>, message: string): void => {
        req.log.info({ event, ...fields, req }, message);
    };

    // Cheap refusals before routing, rate limiting or any parsing.
    app.addHook("onRequest", async (req, reply) => {
        const url = req.raw.url ?? "";
        if (url.length > MAX_URL_LENGTH) return sendError(reply, 414, "uri_too_long");
        const length = Number(req.headers["content-length"] ?? 0);
        if (req.headers["transfer-encoding"] !== undefined || !(length <= BODY_LIMIT)) {
            return sendError(reply, 413, "body_too_large");
        }
        if (req.method !== "GET") {
            const path = url.split("?")[0];
            if (ROUTE_SHAPES.some((re) => re.test(path))) {
                return sendError(reply.header("allow", "GET"), 405, "method_not_allowed");
            }
            return sendError(reply, 404, "not_found");
        }
        return undefined;
    });

    app.addHook("onSend", async (_req, reply, payload) => {
        reply.header("cache-control", "no-store");
        reply.header("x-content-type-options", "nosniff");
        return payload;
    });

    await app.register(rateLimit, {
        global: true,
        max: settings.rateLimitPerMinute,
        timeWindow: 60_000,
        cache: 10_000,
    });

    app.setErrorHandler((err: FastifyError, req, reply) => {
        if (err.validation) {
            const field = fieldOf(err);
            return sendError(reply, 400, "invalid_request", field ? { field } : {});
        }
        const status = err.statusCode ?? 500;
        if (status === 429) return sendError(reply, 429, "rate_limited");
        if (status === 413) return sendError(reply, 413, "body_too_large");
        if (status === 414) return sendError(reply, 414, "uri_too_long");
        if (status >= 400 && status < 500) return sendError(reply, status, "bad_request");
        req.log.error({ err: { type: err.name, code: err.code, message: err.message } }, "request failed");
        return sendError(reply, 500, "internal");
    });

    app.setNotFoundHandler({ preHandler: app.rateLimit() }, (_req, reply) => sendError(reply, 404, "not_found"));

    /** Scheme://host[:port] the scripts point at: settings.publicUrl, else the validated request origin. */
    const baseUrlFor = (req: FastifyRequest): string | undefined => {
        if (settings.publicUrl) return settings.publicUrl;
        const host = (req.host ?? "").toLowerCase();
        const protocol = req.protocol;
        if (host.length > 255 || !HOST.test(host) || (protocol !== "http" && protocol !== "https")) return undefined;
        return `${protocol}://${host}`;
    };

    /** Site token check; replies 401/403 and returns false when it fails. */
    const authorise = (req: FastifyRequest<{ Params: SiteParams; Querystring: TokenQuery }>, reply: FastifyReply): boolean => {
        const { site } = req.params;
        const token = req.query.token;
        if (token === undefined || token === "") {
            audit(req, "token_refused", { site, reason: "missing" }, "site token missing");
            sendError(reply, 401, "token_required");
            return false;
        }
        if (!secretMatchesDigest(token, siteTokenDigests.get(site))) {
            audit(req, "token_refused", { site, reason: inventory.hasSite(site) ? "mismatch" : "unknown_site" }, "site token refused");
            sendError(reply, 403, "forbidden");
            return false;
        }
        return true;
    };

    app.get("/healthz", { config: { rateLimit: false } }, async (_req, reply) => {
        return reply.type("application/json; charset=utf-8").send({ status: "ok" });
    });

    app.get<{ Params: SiteParams; Querystring: TokenQuery }>(
        "/v1/sites/:site/boot.ipxe",
        {
            schema: {
                params: siteParamsSchema,
                querystring: { type: "object", properties: { token: tokenProperty }, additionalProperties: false },
            },
        },
        async (req, reply) => {
            if (!authorise(req, reply)) return reply;
            const base = baseUrlFor(req);
            if (!base) return sendError(reply, 400, "invalid_host");
            const { site } = req.params;
            const cacheKey = `${base} ${site}`;
            let script = siteScripts.get(cacheKey);
            if (script === undefined) {
                script = renderSiteScript({ site, machineUrl: machineUrlTemplate(base, site, siteTokens[site]), retry });
                if (siteScripts.size < SITE_SCRIPT_CACHE_ENTRIES) siteScripts.set(cacheKey, script);
            }
            audit(req, "script_issued", { site }, "site script issued");
            return reply.type("text/plain; charset=utf-8").send(script);
        },
    );

    app.get<{ Params: SiteParams; Querystring: MachineQuery }>(
        "/v1/sites/:site/machine.ipxe",
        {
            schema: {
                params: siteParamsSchema,
                querystring: {
                    type: "object",
                    properties: {
                        token: tokenProperty,
                        mac: { type: "string", maxLength: 17, pattern: "^[0-9A-Fa-f]{2}([-:])[0-9A-Fa-f]{2}(\\1[0-9A-Fa-f]{2}){4}$" },
                        uuid: { type: "string", maxLength: 36, pattern: "^(|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})$" },
                        serial: { type: "string", maxLength: 64, pattern: `^(|${SERIAL.source.slice(1, -1)})$` },
                        arch: { type: "string", enum: [...IPXE_ARCHES] },
                        platform: { type: "string", enum: [...IPXE_PLATFORMS] },
                    },
                    required: ["mac", "arch", "platform"],
                    additionalProperties: false,
                },
            },
        },
        async (req, reply) => {
            if (!authorise(req, reply)) return reply;
            const base = baseUrlFor(req);
            if (!base) return sendError(reply, 400, "invalid_host");
            const { site } = req.params;
            const q = req.query;
            const id = identityFromRequest(q.mac, q.uuid, q.serial);
            const seen = { site, mac: id.mac, uuid: id.uuid, serial: id.serial, arch: q.arch, platform: q.platform };
            const found = inventory.lookup(site, id);

            if (found.kind === "conflict" || (found.kind === "known" && talosArchFor(q.arch) !== found.machine.arch)) {
                const reason = found.kind === "conflict" ? found.reason : `iPXE arch ${q.arch} cannot boot ${found.machine.arch}`;
                const machines = found.kind === "conflict" ? found.machines : [found.machine.name];
                audit(req, "identity_conflict", { ...seen, machines, reason }, "machine identifiers contradict the inventory");
                return sendError(reply, 409, "identity_conflict");
            }

            if (found.kind === "unknown") {
                let recorded = false;
                let seenCount: number | undefined;
                try {
                    const r = await store.recordPending({ ...seen, sourceIp: req.ip, seenAt: now() }, settings.maxPendingPerSite);
                    recorded = r.recorded;
                    seenCount = r.pending?.seenCount;
                } catch (err) {
                    req.log.error({ err: { message: (err as Error).message } }, "store failed recording a pending machine");
                    return sendError(reply, 503, "store_unavailable");
                }
                audit(req, "unknown_machine", { ...seen, recorded, seenCount }, "unknown machine told to wait");
                const script = renderWaitScript({
                    site,
                    machineUrl: machineUrlTemplate(base, site, siteTokens[site]),
                    waitSeconds: settings.unknownMachineRetrySeconds,
                    retry,
                });
                return reply.type("text/plain; charset=utf-8").send(script);
            }

            const machine = found.machine;
            const localBoot = (enrollment: Enrolled): FastifyReply => {
                // Installed machines whose firmware tries the network first land here on every
                // boot, and so does anyone presenting their identifiers: nothing is issued.
                audit(
                    req,
                    "enrolled_local_boot",
                    {
                        ...seen,
                        machine: machine.name,
                        matchedBy: found.matchedBy,
                        enrollment: enrollment.enrollment,
                        enrolledAt: enrollment.enrolledAt,
                        enrolledTicketRef: enrollment.ticketRef,
                    },
                    "enrolled machine sent to its local disk; no ticket",
                );
                return reply
                    .type("text/plain; charset=utf-8")
                    .send((enrollment.script ??= renderLocalBootScript({ site, machine: machine.name, enrollment: enrollment.enrollment })));
            };
            const known = enrolled.get(enrolledKey(site, machine.name));
            if (known !== undefined && known.enrollment === machine.enrollment) return localBoot(known);

            const assets = settings.assets[machine.arch];
            if (!assets) {
                // parseBootSettings guarantees assets for every inventory arch.
                req.log.error({ site, machine: machine.name, arch: machine.arch }, "no boot assets for the machine's arch");
                return sendError(reply, 500, "internal");
            }
            const ticket = newTicket();
            const tid = ticketId(ticket);
            const issuedAt = now();
            const expiresAt = new Date(issuedAt.getTime() + settings.ticketTtlSeconds * 1000);
            let issued: IssueResult;
            try {
                issued = await store.createTicket({
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
                req.log.error({ err: { message: (err as Error).message } }, "store failed issuing a ticket");
                return sendError(reply, 503, "store_unavailable");
            }
            if (issued.status === "enrolled") {
                return localBoot(remember(site, machine.name, machine.enrollment, issued.enrolledAt.toISOString(), issued.ticketRef));
            }
            const script = renderMachineBootScript({
                site,
                machine: machine.name,
                kernelUrl: assets.kernelUrl,
                initramfsUrl: assets.initramfsUrl,
                kernelArgs: kernelArgsByArch.get(machine.arch) ?? [],
                configUrl: configUrl(base, ticket),
                retry,
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
        },
    );

    app.get<{ Params: TicketParams }>(
        "/v1/config/:ticket",
        {
            schema: {
                params: {
                    type: "object",
                    properties: { ticket: { type: "string", minLength: 43, maxLength: 43, pattern: TICKET.source } },
                    required: ["ticket"],
                },
                querystring: { type: "object", additionalProperties: false },
            },
        },
        async (req, reply) => {
            const tid = ticketId(req.params.ticket);
            const ref = ticketRef(tid);
            let consumed;
            try {
                consumed = await store.consumeTicket(tid, now());
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
            const lookup = inventory.lookup(t.site, { mac: t.mac, uuid: t.uuid, serial: t.serial });
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
                yaml = preparedConfigFor(t.site, machine)(key.key);
            } catch (err) {
                await release();
                req.log.error({ err: { type: (err as Error).name, message: (err as Error).message }, ...who }, "rendering the machine config failed");
                return sendError(reply, 500, "internal");
            }
            const configSha256 = crypto.createHash("sha256").update(yaml).digest("hex");
            const servedAt = now();
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
            remember(t.site, machine.name, t.enrollment, servedAt.toISOString(), ref);
            audit(
                req,
                "config_served",
                { ...who, enrollment: t.enrollment, keyBackend: minter.kind, keyId: key.id, keyExpiresAt: key.expiresAt, configSha256 },
                "machine config served",
            );
            return reply.type("application/yaml; charset=utf-8").send(yaml);
        },
    );

    return app;
}
