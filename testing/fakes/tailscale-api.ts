/**
 * A local stand-in for the two Tailscale API calls the boot service makes, strict about the request
 * shapes the real API documents, for tests and the offline lab (binds 127.0.0.1 only).
 *
 * Followed:
 * - Tailscale KB 1215 "OAuth clients" (https://tailscale.com/kb/1215/oauth-clients): client-credentials
 *   flow against `POST /api/v2/oauth/token`; access tokens expire after one hour; tokens carry only the
 *   client's scopes; auth keys need scope `auth_keys` and tags matching the client's tags.
 * - RFC 6749 §2.3.1, §4.4, §5.1, §5.2: form-encoded token request (`grant_type=client_credentials`,
 *   client credentials in the body or HTTP Basic, optional space-separated `scope`), JSON answer
 *   `{access_token, token_type, expires_in, scope}`, errors `{error, error_description}` (401 invalid_client).
 * - Tailscale API reference, "Create auth key" (tailscale/tailscale publicapi/tailnet.md; OpenAPI operation
 *   `createKey`): `POST /api/v2/tailnet/{tailnet}/keys` (`-` = the token's tailnet), `Authorization: Bearer`,
 *   JSON `{capabilities: {devices: {create: {reusable, ephemeral, preauthorized, tags}}}, expirySeconds,
 *   description}`; description at most 50 alphanumerics, hyphens and spaces; answer `{id, key, created,
 *   expires, capabilities, description}`; errors `{message}`.
 * Also in the shared notes (boot-chain.md §6).
 */
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { randomBytes } from "node:crypto";
import { Script, ScriptedFailure } from "./scripted";

export interface FakeTailscaleApiOptions {
    /** The OAuth client id the fake accepts. */
    clientId: string;
    /** The OAuth client secret the fake accepts. */
    clientSecret: string;
    /** Scopes the OAuth client was created with. Default `["auth_keys"]`. */
    clientScopes?: string[];
    /** Tags the OAuth client owns; minted keys must use a non-empty subset. Default `["tag:edge"]`. */
    clientTags?: string[];
    /** The tailnet's name, accepted in the path besides `-`. Default `example.com`. */
    tailnet?: string;
    /** Access-token lifetime in seconds. Default 3600 (the documented hour). */
    tokenLifetimeSeconds?: number;
    /** The fake's clock, for token expiry. Default real time. */
    now?: () => Date;
}

/** One key the fake handed out. `key` is what a node would pass to `tailscale up --auth-key`. */
export interface FakeMintedTailscaleKey {
    id: string;
    key: string;
    created: string;
    expires: string;
    tailnet: string;
    description: string;
    reusable: boolean;
    ephemeral: boolean;
    preauthorized: boolean;
    tags: string[];
    /** Set by `consumeKey` (the lab's stand-in for a node joining). */
    used: boolean;
}

/** Every request as it arrived, for exact assertions. */
export interface RecordedRequest {
    method: string;
    path: string;
    headers: Record<string, string | string[] | undefined>;
    rawBody: string;
}

export type FakeTailscaleEndpoint = "token" | "keys";

export interface FakeTailscaleApi {
    /** Base URL, e.g. `http://127.0.0.1:40123` (the `apiBaseUrl` setting). */
    url: string;
    close(): Promise<void>;
    mintedKeys: FakeMintedTailscaleKey[];
    requests: RecordedRequest[];
    /** Number of access tokens issued. */
    tokensIssued(): number;
    /** Make the next call(s) of an endpoint answer with an error. */
    failNext(endpoint: FakeTailscaleEndpoint, failure: ScriptedFailure): void;
    /** Make the next call(s) of an endpoint wait `ms` before answering. */
    stallNext(endpoint: FakeTailscaleEndpoint, ms: number, times?: number): void;
    /** Marks a minted single-use key used; false if unknown, used already or expired. */
    consumeKey(key: string): boolean;
}

const FORM = "application/x-www-form-urlencoded";
const DESCRIPTION_PATTERN = /^[A-Za-z0-9 -]{0,50}$/;

interface IssuedToken {
    expiresAtMs: number;
    scopes: string[];
}

function oauthError(reply: FastifyReply, status: number, error: string, description: string) {
    return reply.code(status).header("cache-control", "no-store").send({ error, error_description: description });
}

function apiError(reply: FastifyReply, status: number, message: string) {
    return reply.code(status).send({ message });
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function headerValue(req: FastifyRequest, name: string): string | undefined {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
}

/** Checks the create-key body against the documented schema; returns an error message or the parsed capabilities. */
function validateCreateKeyBody(
    body: unknown,
    clientTags: readonly string[],
): { error: string } | { create: { reusable: boolean; ephemeral: boolean; preauthorized: boolean; tags: string[] }; expirySeconds: number; description: string } {
    if (!isRecord(body)) return { error: "request body must be a JSON object" };
    for (const field of Object.keys(body)) {
        if (!["keyType", "description", "capabilities", "expirySeconds", "scopes", "tags"].includes(field)) {
            return { error: `unknown field ${JSON.stringify(field)}` };
        }
    }
    if (body.keyType !== undefined && body.keyType !== "auth") return { error: "this fake only creates auth keys (keyType \"auth\")" };
    if (body.scopes !== undefined || body.tags !== undefined) return { error: "scopes and tags apply to OAuth clients, not auth keys" };
    const devices = isRecord(body.capabilities) ? body.capabilities.devices : undefined;
    if (!isRecord(devices)) return { error: "capabilities.devices is required" };
    const create = devices.create === undefined ? {} : devices.create;
    if (!isRecord(create)) return { error: "capabilities.devices.create must be an object" };
    for (const field of Object.keys(create)) {
        if (!["reusable", "ephemeral", "preauthorized", "tags"].includes(field)) {
            return { error: `unknown field capabilities.devices.create.${field}` };
        }
    }
    for (const flag of ["reusable", "ephemeral", "preauthorized"] as const) {
        if (create[flag] !== undefined && typeof create[flag] !== "boolean") return { error: `${flag} must be a boolean` };
    }
    const tags = create.tags ?? [];
    if (!Array.isArray(tags) || tags.some((t) => typeof t !== "string")) return { error: "tags must be an array of strings" };
    if (tags.length === 0) return { error: "auth keys created by an OAuth client must have tags" };
    const foreign = (tags as string[]).filter((t) => !clientTags.includes(t));
    if (foreign.length > 0) return { error: `requested tags [${foreign.join(", ")}] are invalid or not permitted` };
    const expirySeconds = body.expirySeconds ?? 90 * 24 * 3600;
    if (typeof expirySeconds !== "number" || !Number.isInteger(expirySeconds) || expirySeconds < 0) {
        return { error: "expirySeconds must be a non-negative integer" };
    }
    const description = body.description ?? "";
    if (typeof description !== "string" || !DESCRIPTION_PATTERN.test(description)) {
        return { error: "description must be at most 50 alphanumeric characters, hyphens and spaces" };
    }
    return {
        create: {
            reusable: create.reusable === true,
            ephemeral: create.ephemeral === true,
            preauthorized: create.preauthorized === true,
            tags: [...(tags as string[])],
        },
        expirySeconds,
        description,
    };
}

export async function startFakeTailscaleApi(opts: FakeTailscaleApiOptions): Promise<FakeTailscaleApi> {
    const clientScopes = opts.clientScopes ?? ["auth_keys"];
    const clientTags = opts.clientTags ?? ["tag:edge"];
    const tailnetName = opts.tailnet ?? "example.com";
    const lifetime = opts.tokenLifetimeSeconds ?? 3600;
    const now = opts.now ?? (() => new Date());
    const tokens = new Map<string, IssuedToken>();
    const mintedKeys: FakeMintedTailscaleKey[] = [];
    const requests: RecordedRequest[] = [];
    const script = new Script<FakeTailscaleEndpoint>();
    let tokensIssued = 0;

    const app: FastifyInstance = Fastify({ logger: false, forceCloseConnections: true });

    // Keep the raw bytes so tests can assert exactly what the client sent.
    app.addContentTypeParser(FORM, { parseAs: "string" }, (_req, body, done) => done(null, body));
    app.removeContentTypeParser("application/json");
    app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => done(null, body));
    app.addHook("preHandler", async (req) => {
        requests.push({
            method: req.method,
            path: req.url,
            headers: { ...req.headers },
            rawBody: typeof req.body === "string" ? req.body : "",
        });
    });

    app.post("/api/v2/oauth/token", async (req, reply) => {
        if (await script.apply("token", reply)) return reply;
        const contentType = headerValue(req, "content-type") ?? "";
        if (!contentType.toLowerCase().startsWith(FORM)) {
            return oauthError(reply, 400, "invalid_request", `content type must be ${FORM}`);
        }
        const form = new URLSearchParams(String(req.body ?? ""));
        for (const name of new Set(form.keys())) {
            if (form.getAll(name).length > 1) return oauthError(reply, 400, "invalid_request", `parameter ${name} repeated`);
            if (!["grant_type", "client_id", "client_secret", "scope"].includes(name)) {
                return oauthError(reply, 400, "invalid_request", `unexpected parameter ${name}`);
            }
        }
        if (form.get("grant_type") !== "client_credentials") {
            return oauthError(reply, 400, "unsupported_grant_type", "grant_type must be client_credentials");
        }
        let id = form.get("client_id");
        let secret = form.get("client_secret");
        const basic = /^Basic (.+)$/i.exec(headerValue(req, "authorization") ?? "");
        if (basic) {
            if (id !== null || secret !== null) {
                return oauthError(reply, 400, "invalid_request", "client authenticated by more than one method");
            }
            const decoded = Buffer.from(basic[1], "base64").toString("utf8");
            const colon = decoded.indexOf(":");
            id = decodeURIComponent(decoded.slice(0, colon));
            secret = decodeURIComponent(decoded.slice(colon + 1));
        }
        if (id !== opts.clientId || secret !== opts.clientSecret) {
            return oauthError(reply.header("www-authenticate", "Basic"), 401, "invalid_client", "client authentication failed");
        }
        const requested = form.get("scope")?.split(" ").filter(Boolean) ?? clientScopes;
        const extra = requested.filter((s) => !clientScopes.includes(s));
        if (extra.length > 0) return oauthError(reply, 400, "invalid_scope", `scope not granted to this client: ${extra.join(" ")}`);
        const accessToken = `tskey-api-${randomBytes(8).toString("hex")}-${randomBytes(16).toString("hex")}`;
        tokens.set(accessToken, { expiresAtMs: now().getTime() + lifetime * 1000, scopes: requested });
        tokensIssued += 1;
        return reply
            .header("cache-control", "no-store")
            .send({ access_token: accessToken, token_type: "Bearer", expires_in: lifetime, scope: requested.join(" ") });
    });

    app.post<{ Params: { tailnet: string } }>("/api/v2/tailnet/:tailnet/keys", async (req, reply) => {
        if (await script.apply("keys", reply)) return reply;
        const bearer = /^Bearer (.+)$/.exec(headerValue(req, "authorization") ?? "");
        const token = bearer ? tokens.get(bearer[1]) : undefined;
        if (!token || token.expiresAtMs <= now().getTime()) return apiError(reply, 401, "API token invalid");
        if (req.params.tailnet !== "-" && req.params.tailnet !== tailnetName) return apiError(reply, 404, "tailnet not found");
        if (!token.scopes.includes("auth_keys") && !token.scopes.includes("all")) {
            return apiError(reply, 403, "calling actor does not have enough permissions to perform this function");
        }
        if (!(headerValue(req, "content-type") ?? "").toLowerCase().startsWith("application/json")) {
            return apiError(reply, 415, "content type must be application/json");
        }
        let body: unknown;
        try {
            body = JSON.parse(String(req.body ?? ""));
        } catch {
            return apiError(reply, 400, "invalid JSON body");
        }
        const checked = validateCreateKeyBody(body, clientTags);
        if ("error" in checked) return apiError(reply, 400, checked.error);

        const created = now();
        const id = `k${randomBytes(8).toString("hex")}CNTRL`;
        const minted: FakeMintedTailscaleKey = {
            id,
            key: `tskey-auth-${id}-${randomBytes(20).toString("hex")}`,
            created: created.toISOString(),
            expires: new Date(created.getTime() + checked.expirySeconds * 1000).toISOString(),
            tailnet: req.params.tailnet === "-" ? tailnetName : req.params.tailnet,
            description: checked.description,
            ...checked.create,
            used: false,
        };
        mintedKeys.push(minted);
        return reply.send({
            id: minted.id,
            key: minted.key,
            created: minted.created,
            expires: minted.expires,
            capabilities: { devices: { create: checked.create } },
            description: minted.description,
        });
    });

    const address = await app.listen({ host: "127.0.0.1", port: 0 });
    return {
        url: address,
        close: async () => {
            script.releaseAll();
            await app.close();
        },
        mintedKeys,
        requests,
        tokensIssued: () => tokensIssued,
        failNext: (endpoint, failure) => script.fail(endpoint, failure),
        stallNext: (endpoint, ms, times) => script.stall(endpoint, ms, times),
        consumeKey: (key) => {
            const found = mintedKeys.find((k) => k.key === key);
            if (!found || (found.used && !found.reusable) || Date.parse(found.expires) <= now().getTime()) return false;
            found.used = true;
            return true;
        },
    };
}
