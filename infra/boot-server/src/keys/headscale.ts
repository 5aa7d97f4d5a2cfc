/**
 * Headscale backend: one single-use, tagged pre-auth key per boot through Headscale's REST API.
 *
 * API facts (juanfont/headscale `proto/headscale/v1/headscale.proto` + `gen/openapiv2`, grpc-gateway):
 * `POST <url>/api/v1/preauthkey`, `Authorization: Bearer <api key>`, JSON body
 * `{user?: "<uint64 as string>", reusable, ephemeral, expiration: RFC3339, aclTags: [...]}` →
 * `{preAuthKey: {id, key, user, reusable, ephemeral, used, expiration, createdAt, aclTags}}`.
 * Nodes must be pointed at the server: `TS_EXTRA_ARGS=--login-server=<url>` (exposed as `loginServer`).
 */
import { KeyMinter, KeyMintError, MAX_KEY_EXPIRY_SECONDS, MintRequest, MintedKey } from "./types";
import {
    DEFAULT_RETRY_POLICY,
    RetryPolicy,
    callJsonApi,
    normalizeBaseUrl,
    validateExpirySeconds,
    validateTags,
} from "./http";


export interface HeadscaleKeyMinterOptions {
    /** Headscale server URL, e.g. `https://hs.example` (http only for loopback). */
    url: string;
    /** Headscale user id (decimal uint64 string); omitted = tag-only key. */
    user?: string;
    /** ACL tags every key carries; non-empty, each `tag:<name>`. */
    tags: string[];
    /** Key lifetime, 1..3600 s. */
    expirySeconds: number;
    /** Headscale API key (env HEADSCALE_API_KEY). Secret. */
    apiKey: string;
    /** Injected for tests; defaults to the global fetch. */
    fetch?: typeof fetch;
    /** Injected clock (the expiration sent is now + expirySeconds). */
    now?: () => Date;
    /** Timeouts and retries; defaults to DEFAULT_RETRY_POLICY. */
    retry?: Partial<RetryPolicy>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** RFC 3339 in UTC, whole seconds (what Headscale's protobuf Timestamp parser accepts). */
function rfc3339(date: Date): string {
    return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export class HeadscaleKeyMinter implements KeyMinter {
    readonly kind = "headscale";
    /** The value for the node's `--login-server=` flag (TS_EXTRA_ARGS). */
    readonly loginServer: string;
    readonly tags: readonly string[];
    readonly expirySeconds: number;
    private readonly user: string | undefined;
    private readonly apiKey: string;
    private readonly fetchFn: typeof fetch;
    private readonly now: () => Date;
    private readonly retry: RetryPolicy;

    constructor(opts: HeadscaleKeyMinterOptions) {
        this.loginServer = normalizeBaseUrl(opts.url, "keyBackend.url");
        if (opts.user !== undefined && !/^[0-9]{1,20}$/.test(opts.user)) {
            throw new Error(
                `keyBackend.user must be a Headscale user id (digits, see "headscale users list") (got ${JSON.stringify(opts.user)})`,
            );
        }
        this.user = opts.user;
        this.tags = validateTags(opts.tags, "keyBackend.tags");
        this.expirySeconds = validateExpirySeconds(opts.expirySeconds, "keyBackend.expirySeconds", MAX_KEY_EXPIRY_SECONDS);
        if (!opts.apiKey) throw new Error(`HEADSCALE_API_KEY is required for keyBackend.kind = "headscale"`);
        this.apiKey = opts.apiKey;
        this.fetchFn = opts.fetch ?? fetch;
        this.now = opts.now ?? (() => new Date());
        this.retry = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
    }

    /** Extra `tailscale up` arguments the node needs for this backend. */
    get extraArgs(): string[] {
        return [`--login-server=${this.loginServer}`];
    }

    async mint(req: MintRequest): Promise<MintedKey> {
        const expiration = rfc3339(new Date(this.now().getTime() + this.expirySeconds * 1000));
        const body: Record<string, unknown> = {
            ...(this.user !== undefined ? { user: this.user } : {}),
            reusable: false,
            ephemeral: false,
            expiration,
            aclTags: [...this.tags],
        };
        const { json } = await callJsonApi(
            this.fetchFn,
            {
                what: `Headscale pre-auth key creation for ${req.site}/${req.machine}`,
                url: `${this.loginServer}/api/v1/preauthkey`,
                method: "POST",
                headers: {
                    authorization: `Bearer ${this.apiKey}`,
                    "content-type": "application/json",
                    accept: "application/json",
                },
                body: JSON.stringify(body),
                redact: [this.apiKey],
            },
            this.retry,
            req.signal,
        );
        const preAuthKey = isRecord(json) ? json.preAuthKey : undefined;
        if (!isRecord(preAuthKey) || typeof preAuthKey.key !== "string" || preAuthKey.key === "") {
            throw new KeyMintError(`Headscale pre-auth key creation for ${req.site}/${req.machine} returned no key`);
        }
        const id = typeof preAuthKey.id === "string" || typeof preAuthKey.id === "number" ? String(preAuthKey.id) : "";
        return {
            id: `headscale:${id || "unknown"}`,
            key: preAuthKey.key,
            expiresAt: typeof preAuthKey.expiration === "string" && preAuthKey.expiration ? preAuthKey.expiration : expiration,
        };
    }
}
