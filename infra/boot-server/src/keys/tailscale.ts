/**
 * Tailscale SaaS backend: an OAuth client (client-credentials flow, scope `auth_keys`) mints one
 * single-use, pre-authorized, tagged, short-lived auth key per boot.
 *
 * API facts (Tailscale KB 1215 "OAuth clients"; tailscale/tailscale publicapi/tailnet.md and the
 * published OpenAPI spec, operation `createKey`):
 * - `POST <base>/api/v2/oauth/token`, form `client_id`, `client_secret`, `grant_type=client_credentials`
 *   → `{access_token, token_type, expires_in, scope}`; access tokens live one hour.
 * - `POST <base>/api/v2/tailnet/<tailnet>/keys` with `Authorization: Bearer <access_token>` →
 *   `{id, key, created, expires, capabilities, description}`. Keys owned by the tailnet (OAuth)
 *   must carry tags matching the OAuth client's tags. `description`: at most 50 characters,
 *   alphanumerics, hyphens and spaces.
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

export const DEFAULT_TAILSCALE_API_BASE_URL = "https://api.tailscale.com";
/** `-` addresses the tailnet the OAuth client belongs to. */
export const DEFAULT_TAILNET = "-";
/** Refresh the access token this long before the server says it expires (clock skew, request time). */
export const TOKEN_REFRESH_MARGIN_SECONDS = 60;
const OAUTH_SCOPE = "auth_keys";
const DESCRIPTION_MAX_CHARS = 50;

export interface TailscaleKeyMinterOptions {
    /** API origin, e.g. `https://api.tailscale.com` (http only for loopback). */
    apiBaseUrl: string;
    /** Tailnet name in the path; `-` = the OAuth client's tailnet. */
    tailnet: string;
    /** ACL tags every minted key carries; non-empty, each `tag:<name>`. */
    tags: string[];
    /** Key lifetime, 1..3600 s. */
    expirySeconds: number;
    /** OAuth client id (env TS_OAUTH_CLIENT_ID). */
    clientId: string;
    /** OAuth client secret (env TS_OAUTH_CLIENT_SECRET). Secret. */
    clientSecret: string;
    /** Injected for tests; defaults to the global fetch. */
    fetch?: typeof fetch;
    /** Injected clock for token caching; defaults to `new Date()`. */
    now?: () => Date;
    /** Timeouts and retries; defaults to DEFAULT_RETRY_POLICY. */
    retry?: Partial<RetryPolicy>;
}

interface CachedToken {
    value: string;
    /** Epoch ms after which the token is not used any more (already minus the margin). */
    refreshAfterMs: number;
}

/** Tailscale only accepts alphanumerics, hyphens and spaces, up to 50 characters. */
export function keyDescription(site: string, machine: string): string {
    return `${site} ${machine}`.replace(/[^A-Za-z0-9 -]/g, "-").slice(0, DESCRIPTION_MAX_CHARS);
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

export class TailscaleKeyMinter implements KeyMinter {
    readonly kind = "tailscale";
    readonly tags: readonly string[];
    readonly expirySeconds: number;
    private readonly baseUrl: string;
    private readonly tailnet: string;
    private readonly clientId: string;
    private readonly clientSecret: string;
    private readonly fetchFn: typeof fetch;
    private readonly now: () => Date;
    private readonly retry: RetryPolicy;
    private token: CachedToken | undefined;
    /** Concurrent mints share one token request instead of stampeding the token endpoint. */
    private pendingToken: Promise<CachedToken> | undefined;

    constructor(opts: TailscaleKeyMinterOptions) {
        this.baseUrl = normalizeBaseUrl(opts.apiBaseUrl, "keyBackend.apiBaseUrl");
        if (typeof opts.tailnet !== "string" || !/^[A-Za-z0-9._@-]+$/.test(opts.tailnet)) {
            throw new Error(`keyBackend.tailnet must be a tailnet name or "-" (got ${JSON.stringify(opts.tailnet)})`);
        }
        this.tailnet = opts.tailnet;
        this.tags = validateTags(opts.tags, "keyBackend.tags");
        this.expirySeconds = validateExpirySeconds(opts.expirySeconds, "keyBackend.expirySeconds", MAX_KEY_EXPIRY_SECONDS);
        if (!opts.clientId) throw new Error(`TS_OAUTH_CLIENT_ID is required for keyBackend.kind = "tailscale"`);
        if (!opts.clientSecret) throw new Error(`TS_OAUTH_CLIENT_SECRET is required for keyBackend.kind = "tailscale"`);
        this.clientId = opts.clientId;
        this.clientSecret = opts.clientSecret;
        this.fetchFn = opts.fetch ?? fetch;
        this.now = opts.now ?? (() => new Date());
        this.retry = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
    }

    async mint(req: MintRequest): Promise<MintedKey> {
        const token = await withinBudget(this.accessToken(), req.signal);
        try {
            return await this.createKey(req, token.value);
        } catch (err) {
            // A cached token can be revoked server-side before its expiry: fetch a new one once.
            if (err instanceof KeyMintError && err.status === 401 && this.token === token) {
                this.token = undefined;
                const fresh = await withinBudget(this.accessToken(), req.signal);
                return this.createKey(req, fresh.value);
            }
            throw err;
        }
    }

    private async accessToken(): Promise<CachedToken> {
        const cached = this.token;
        if (cached && this.now().getTime() < cached.refreshAfterMs) return cached;
        if (!this.pendingToken) {
            this.pendingToken = this.requestToken().finally(() => {
                this.pendingToken = undefined;
            });
        }
        return this.pendingToken;
    }

    private async requestToken(): Promise<CachedToken> {
        const issuedAtMs = this.now().getTime();
        const form = new URLSearchParams({
            client_id: this.clientId,
            client_secret: this.clientSecret,
            grant_type: "client_credentials",
            scope: OAUTH_SCOPE,
        });
        const { json } = await callJsonApi(
            this.fetchFn,
            {
                what: "Tailscale OAuth token request",
                url: `${this.baseUrl}/api/v2/oauth/token`,
                method: "POST",
                headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
                body: form.toString(),
                // The client id too: an API error may echo it, and it names the credential.
                redact: [this.clientSecret, this.clientId],
            },
            this.retry,
        );
        if (!isRecord(json) || typeof json.access_token !== "string" || json.access_token === "") {
            throw new KeyMintError("Tailscale OAuth token response has no access_token");
        }
        // Missing expires_in: assume the documented one hour.
        const expiresIn = typeof json.expires_in === "number" && json.expires_in > 0 ? json.expires_in : 3600;
        const margin = Math.min(TOKEN_REFRESH_MARGIN_SECONDS, expiresIn / 2);
        const token = { value: json.access_token, refreshAfterMs: issuedAtMs + (expiresIn - margin) * 1000 };
        this.token = token;
        return token;
    }

    private async createKey(req: MintRequest, accessToken: string): Promise<MintedKey> {
        const body = {
            capabilities: {
                devices: {
                    create: { reusable: false, ephemeral: false, preauthorized: true, tags: [...this.tags] },
                },
            },
            expirySeconds: this.expirySeconds,
            description: keyDescription(req.site, req.machine),
        };
        const requestedAtMs = this.now().getTime();
        const { json } = await callJsonApi(
            this.fetchFn,
            {
                what: `Tailscale key creation for ${req.site}/${req.machine}`,
                url: `${this.baseUrl}/api/v2/tailnet/${encodeURIComponent(this.tailnet)}/keys`,
                method: "POST",
                headers: {
                    authorization: `Bearer ${accessToken}`,
                    "content-type": "application/json",
                    accept: "application/json",
                },
                body: JSON.stringify(body),
                redact: [this.clientSecret, this.clientId, accessToken],
            },
            this.retry,
            req.signal,
        );
        if (!isRecord(json) || typeof json.key !== "string" || json.key === "" || typeof json.id !== "string") {
            throw new KeyMintError(`Tailscale key creation for ${req.site}/${req.machine} returned no key`);
        }
        const expiresAt =
            typeof json.expires === "string" && json.expires !== ""
                ? json.expires
                : new Date(requestedAtMs + this.expirySeconds * 1000).toISOString();
        return { id: json.id, key: json.key, expiresAt };
    }
}

/**
 * `work`, or a KeyMintError once `signal` aborts. The token request is shared by every mint
 * waiting for it, so one mint's budget running out stops that mint's wait, not the request.
 */
function withinBudget<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    if (signal === undefined) return work;
    if (signal.aborted) return Promise.reject(new KeyMintError("Tailscale OAuth token request not waited for: the mint's time budget ran out"));
    return new Promise<T>((resolve, reject) => {
        const stop = (): void => reject(new KeyMintError("Tailscale OAuth token request not waited for: the mint's time budget ran out"));
        signal.addEventListener("abort", stop, { once: true });
        work.then(
            (v) => {
                signal.removeEventListener("abort", stop);
                resolve(v);
            },
            (e: unknown) => {
                signal.removeEventListener("abort", stop);
                reject(e);
            },
        );
    });
}
