/**
 * A local stand-in for Headscale's pre-auth key API, strict about the documented request shape,
 * for tests and the offline lab (binds 127.0.0.1 only).
 *
 * Followed:
 * - juanfont/headscale `proto/headscale/v1/headscale.proto` (`CreatePreAuthKey`: `post: "/api/v1/preauthkey"`,
 *   body "*") and `preauthkey.proto` (`CreatePreAuthKeyRequest{user uint64, reusable, ephemeral,
 *   expiration Timestamp, acl_tags}`; `PreAuthKey{user, id, key, reusable, ephemeral, used, expiration,
 *   created_at, acl_tags}`), served through grpc-gateway: JSON names in lowerCamelCase (`aclTags`,
 *   `preAuthKey`, `createdAt`), uint64 as a decimal string, Timestamp as RFC 3339, unknown fields rejected,
 *   errors `{code, message, details}`.
 * - Headscale docs "API" (docs/ref/api.md): REST under `/api/v1`, `Authorization: Bearer <api key>`
 *   from `headscale apikeys create`.
 * - `ListNodes` (`GET /api/v1/node`, `node.proto` `Node{id, machineKey, nodeKey, discoKey, ipAddresses,
 *   name, user, lastSeen, expiry, preAuthKey, createdAt, registerMethod, givenName, online, ...}`);
 *   nodes appear when a test calls `registerNode` (a node booting with its key), addresses from
 *   Headscale's default prefixes 100.64.0.0/10 and fd7a:115c:a1e0::/48.
 * Also in the shared notes (boot-chain.md §6).
 */
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { randomBytes } from "node:crypto";
import { Script, ScriptedFailure } from "./scripted";
import type { RecordedRequest } from "./tailscale-api";

export interface FakeHeadscaleUser {
    id: string;
    name: string;
}

export interface FakeHeadscaleApiOptions {
    /** The API key the fake accepts as `Authorization: Bearer <apiKey>`. */
    apiKey: string;
    /** Users that exist. Default `[{id: "1", name: "edge"}]`. */
    users?: FakeHeadscaleUser[];
    /** The fake's clock (expiration must lie in the future). Default real time. */
    now?: () => Date;
}

export interface FakeMintedHeadscaleKey {
    id: string;
    key: string;
    user: FakeHeadscaleUser | null;
    reusable: boolean;
    ephemeral: boolean;
    used: boolean;
    expiration: string;
    createdAt: string;
    aclTags: string[];
}

export type FakeHeadscaleEndpoint = "preauthkey" | "node";

/** A registered node, as `ListNodes` reports it. */
export interface FakeHeadscaleNode {
    id: string;
    name: string;
    givenName: string;
    ipAddresses: string[];
    user: FakeHeadscaleUser | null;
    preAuthKey: FakeMintedHeadscaleKey | null;
    registerMethod: string;
    online: boolean;
    lastSeen: string;
    createdAt: string;
}

export interface FakeHeadscaleApi {
    /** Base URL, e.g. `http://127.0.0.1:40123` (the `url` setting and `--login-server`). */
    url: string;
    close(): Promise<void>;
    mintedKeys: FakeMintedHeadscaleKey[];
    requests: RecordedRequest[];
    failNext(endpoint: FakeHeadscaleEndpoint, failure: ScriptedFailure): void;
    stallNext(endpoint: FakeHeadscaleEndpoint, ms: number, times?: number): void;
    /** Marks a minted single-use key used; false if unknown, used already or expired. */
    consumeKey(key: string): boolean;
    /** Nodes registered so far. */
    nodes: FakeHeadscaleNode[];
    /**
     * A node registers, as tailscaled does at first boot: with a minted key (`key`, spent here),
     * or with a key the test names by id only (`preAuthKeyId`, for keys minted outside this fake).
     */
    registerNode(opts: { hostname: string; key?: string; preAuthKeyId?: string }): FakeHeadscaleNode;
}

/** grpc-gateway status codes used here (google.golang.org/grpc/codes). */
const INVALID_ARGUMENT = 3;
const NOT_FOUND = 5;
const UNAUTHENTICATED = 16;

function grpcError(reply: FastifyReply, status: number, code: number, message: string) {
    return reply.code(status).send({ code, message, details: [] });
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function headerValue(req: FastifyRequest, name: string): string | undefined {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export async function startFakeHeadscaleApi(opts: FakeHeadscaleApiOptions): Promise<FakeHeadscaleApi> {
    const users = opts.users ?? [{ id: "1", name: "edge" }];
    const now = opts.now ?? (() => new Date());
    const mintedKeys: FakeMintedHeadscaleKey[] = [];
    const requests: RecordedRequest[] = [];
    const script = new Script<FakeHeadscaleEndpoint>();
    let nextId = 1;

    const nodes: FakeHeadscaleNode[] = [];
    const app: FastifyInstance = Fastify({ logger: false, forceCloseConnections: true });
    app.removeContentTypeParser("application/json");
    app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => done(null, body));
    app.addHook("preHandler", async (req) => {
        requests.push({ method: req.method, path: req.url, headers: { ...req.headers }, rawBody: typeof req.body === "string" ? req.body : "" });
    });

    app.post("/api/v1/preauthkey", async (req, reply) => {
        if (await script.apply("preauthkey", reply)) return reply;
        if (headerValue(req, "authorization") !== `Bearer ${opts.apiKey}`) {
            return grpcError(reply, 401, UNAUTHENTICATED, "Unauthorized");
        }
        if (!(headerValue(req, "content-type") ?? "").toLowerCase().startsWith("application/json")) {
            return grpcError(reply, 415, INVALID_ARGUMENT, "content type must be application/json");
        }
        let body: unknown;
        try {
            body = JSON.parse(String(req.body ?? ""));
        } catch {
            return grpcError(reply, 400, INVALID_ARGUMENT, "invalid JSON body");
        }
        if (!isRecord(body)) return grpcError(reply, 400, INVALID_ARGUMENT, "body must be an object");
        for (const field of Object.keys(body)) {
            if (!["user", "reusable", "ephemeral", "expiration", "aclTags"].includes(field)) {
                return grpcError(reply, 400, INVALID_ARGUMENT, `unknown field "${field}"`);
            }
        }
        let user: FakeHeadscaleUser | null = null;
        if (body.user !== undefined) {
            // uint64 in proto3 JSON: a decimal string (numbers are accepted too).
            if (!(typeof body.user === "string" && /^\d+$/.test(body.user)) && !Number.isInteger(body.user)) {
                return grpcError(reply, 400, INVALID_ARGUMENT, "user must be a uint64");
            }
            user = users.find((u) => u.id === String(body.user)) ?? null;
            if (!user) return grpcError(reply, 404, NOT_FOUND, "user not found");
        }
        for (const flag of ["reusable", "ephemeral"] as const) {
            if (body[flag] !== undefined && typeof body[flag] !== "boolean") {
                return grpcError(reply, 400, INVALID_ARGUMENT, `${flag} must be a boolean`);
            }
        }
        if (typeof body.expiration !== "string" || !RFC3339.test(body.expiration)) {
            return grpcError(reply, 400, INVALID_ARGUMENT, "expiration must be an RFC 3339 timestamp");
        }
        const expiresMs = Date.parse(body.expiration);
        if (!(expiresMs > now().getTime())) return grpcError(reply, 400, INVALID_ARGUMENT, "expiration is in the past");
        const aclTags = body.aclTags ?? [];
        if (!Array.isArray(aclTags) || aclTags.some((t) => typeof t !== "string" || !/^tag:[\w-]+$/.test(t))) {
            return grpcError(reply, 400, INVALID_ARGUMENT, "aclTags must be tags of the form tag:<name>");
        }
        if (user === null && aclTags.length === 0) {
            return grpcError(reply, 400, INVALID_ARGUMENT, "a pre-auth key needs a user or at least one tag");
        }
        const minted: FakeMintedHeadscaleKey = {
            id: String(nextId++),
            key: `hskey-auth-${randomBytes(12).toString("hex")}-${randomBytes(24).toString("hex")}`,
            user,
            reusable: body.reusable === true,
            ephemeral: body.ephemeral === true,
            used: false,
            expiration: new Date(expiresMs).toISOString(),
            createdAt: now().toISOString(),
            aclTags: [...(aclTags as string[])],
        };
        mintedKeys.push(minted);
        return reply.send({ preAuthKey: minted });
    });

    app.get("/api/v1/node", async (req, reply) => {
        if (await script.apply("node", reply)) return reply;
        if (headerValue(req, "authorization") !== `Bearer ${opts.apiKey}`) {
            return grpcError(reply, 401, UNAUTHENTICATED, "Unauthorized");
        }
        const userName = (req.query as Record<string, string | undefined>).user;
        const listed = userName ? nodes.filter((n) => n.user?.name === userName) : nodes;
        return reply.send({
            nodes: listed.map((n) => ({
                id: n.id,
                machineKey: `mkey:${n.id.padStart(64, "0")}`,
                nodeKey: `nodekey:${n.id.padStart(64, "0")}`,
                discoKey: `discokey:${n.id.padStart(64, "0")}`,
                ipAddresses: [...n.ipAddresses],
                name: n.name,
                user: n.user,
                lastSeen: n.lastSeen,
                expiry: null,
                preAuthKey: n.preAuthKey,
                createdAt: n.createdAt,
                registerMethod: n.registerMethod,
                givenName: n.givenName,
                online: n.online,
                approvedRoutes: [],
                availableRoutes: [],
                subnetRoutes: [],
                tags: n.preAuthKey?.aclTags ?? [],
            })),
        });
    });

    const registerNode = (o: { hostname: string; key?: string; preAuthKeyId?: string }): FakeHeadscaleNode => {
        let preAuthKey: FakeMintedHeadscaleKey | null = null;
        if (o.key !== undefined) {
            const found = mintedKeys.find((k) => k.key === o.key);
            if (!found || (found.used && !found.reusable) || Date.parse(found.expiration) <= now().getTime()) {
                throw new Error(`fake Headscale: key for ${o.hostname} is unknown, spent or expired`);
            }
            found.used = true;
            preAuthKey = found;
        } else if (o.preAuthKeyId !== undefined) {
            preAuthKey = { id: o.preAuthKeyId, key: "", user: null, reusable: false, ephemeral: false, used: true, expiration: "", createdAt: now().toISOString(), aclTags: [] };
        }
        const n = nodes.length + 1;
        // Headscale gives a taken name a random suffix; the first node keeps it.
        const taken = nodes.some((x) => x.givenName === o.hostname);
        const node: FakeHeadscaleNode = {
            id: String(n),
            name: o.hostname,
            givenName: taken ? `${o.hostname}-${randomBytes(4).toString("hex")}` : o.hostname,
            ipAddresses: [`100.64.${Math.floor(n / 250)}.${(n % 250) + 1}`, `fd7a:115c:a1e0::${n.toString(16)}`],
            user: preAuthKey?.user ?? null,
            preAuthKey,
            registerMethod: "REGISTER_METHOD_AUTH_KEY",
            online: true,
            lastSeen: now().toISOString(),
            createdAt: now().toISOString(),
        };
        nodes.push(node);
        return node;
    };

    const address = await app.listen({ host: "127.0.0.1", port: 0 });
    return {
        url: address,
        close: async () => {
            script.releaseAll();
            await app.close();
        },
        mintedKeys,
        requests,
        failNext: (endpoint, failure) => script.fail(endpoint, failure),
        stallNext: (endpoint, ms, times) => script.stall(endpoint, ms, times),
        nodes,
        registerNode,
        consumeKey: (key) => {
            const found = mintedKeys.find((k) => k.key === key);
            if (!found || (found.used && !found.reusable) || Date.parse(found.expiration) <= now().getTime()) return false;
            found.used = true;
            return true;
        },
    };
}
