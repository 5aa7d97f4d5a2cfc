/**
 * The small HTTP client both API backends share: bounded per-attempt timeout, a bounded retry on
 * 5xx/429 only, JSON decoding, and error messages scrubbed of every credential the caller names.
 */
import { KeyMintError } from "./types";

/** Per-attempt timeout and retry budget for one logical API call. */
export interface RetryPolicy {
    /** Abort an attempt after this many milliseconds (AbortSignal.timeout). */
    timeoutMs: number;
    /** Total attempts, including the first (>= 1). Only 5xx and 429 responses are retried. */
    maxAttempts: number;
    /** Delay before the second attempt in milliseconds; doubles per attempt. */
    backoffMs: number;
    /** Upper bound on any single delay, including one asked for by a Retry-After header (ms). */
    maxBackoffMs: number;
}

/**
 * Per call: at most 3 attempts of up to 5 s, and in practice one round trip. A mint may make two
 * calls (an OAuth token, then the key); the config route's budget (MINT_BUDGET_MS, 6 s) bounds
 * the whole mint through `MintRequest.signal`, which stops the retries and abandons an attempt
 * on its way, so a mint never outlives the request that asked for it.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { timeoutMs: 5000, maxAttempts: 3, backoffMs: 250, maxBackoffMs: 2000 };

export interface ApiRequest {
    /** Used in error messages, e.g. "Tailscale key creation". */
    what: string;
    url: string;
    method: "POST";
    headers: Record<string, string>;
    body: string;
    /** Values that must never appear in an error message (secrets, tokens, keys). */
    redact: readonly string[];
}

export interface ApiResponse {
    status: number;
    json: unknown;
}

const MAX_UPSTREAM_MESSAGE_CHARS = 200;

/** Replaces every credential and anything shaped like a Tailscale/Headscale key with "[redacted]". */
export function scrub(text: string, redact: readonly string[]): string {
    let out = text;
    for (const secret of redact) {
        if (secret.length >= 4) out = out.split(secret).join("[redacted]");
    }
    return out.replace(/\b(tskey|hskey)-[A-Za-z0-9_-]+/g, "[redacted]");
}

/**
 * Pulls a short human message out of an error body: `{"message": …}` (Tailscale API, Headscale's
 * grpc-gateway) or `{"error", "error_description"}` (OAuth 2.0 token endpoint, RFC 6749 §5.2).
 */
function upstreamMessage(bodyText: string, redact: readonly string[]): string {
    let message = bodyText;
    try {
        const parsed = JSON.parse(bodyText) as { message?: unknown; error?: unknown; error_description?: unknown };
        const candidates = [parsed?.message, parsed?.error_description, parsed?.error];
        const found = candidates.find((c): c is string => typeof c === "string" && c !== "");
        if (found !== undefined) message = found;
    } catch {
        // not JSON: keep the raw text, trimmed below
    }
    message = scrub(message.replace(/\s+/g, " ").trim(), redact);
    if (message.length > MAX_UPSTREAM_MESSAGE_CHARS) message = `${message.slice(0, MAX_UPSTREAM_MESSAGE_CHARS)}…`;
    return message;
}

function retryable(status: number): boolean {
    return status === 429 || status >= 500;
}

function retryAfterMs(header: string | null): number | undefined {
    if (header === null) return undefined;
    const seconds = Number(header);
    return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** Waits `ms`, or less when `signal` aborts first (the caller then sees it aborted). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const done = (): void => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", done);
            resolve();
        };
        const timer = setTimeout(done, ms);
        signal?.addEventListener("abort", done, { once: true });
    });
}

/**
 * Sends `req`, retrying 5xx/429 within `policy`, and returns the decoded JSON of a 2xx answer.
 * Everything else becomes a KeyMintError whose message names the call and status but no secret.
 */
export async function callJsonApi(fetchFn: typeof fetch, req: ApiRequest, policy: RetryPolicy, budget?: AbortSignal): Promise<ApiResponse> {
    const attempts = Math.max(1, Math.floor(policy.maxAttempts));
    let lastError: KeyMintError | undefined;
    const outOfBudget = (): KeyMintError => new KeyMintError(`${req.what} stopped: the mint's time budget ran out`);
    for (let attempt = 1; attempt <= attempts; attempt++) {
        if (budget?.aborted) throw outOfBudget();
        let response: Response;
        const attemptTimeout = AbortSignal.timeout(policy.timeoutMs);
        try {
            response = await fetchFn(req.url, {
                method: req.method,
                headers: req.headers,
                body: req.body,
                signal: budget === undefined ? attemptTimeout : AbortSignal.any([attemptTimeout, budget]),
                redirect: "error",
            });
        } catch (err) {
            const name = (err as { name?: string })?.name;
            if (budget?.aborted) throw outOfBudget();
            if (name === "TimeoutError" || name === "AbortError") {
                throw new KeyMintError(`${req.what} timed out after ${policy.timeoutMs} ms`);
            }
            // Node's fetch wraps the socket error in `cause`; its code is safe to show, the URL query never is.
            const cause = (err as { cause?: { code?: string } })?.cause?.code;
            throw new KeyMintError(`${req.what} failed: ${scrub(cause ?? (err as Error)?.message ?? "network error", req.redact)}`);
        }

        const text = await response.text().catch(() => "");
        if (budget?.aborted) throw outOfBudget();
        if (response.ok) {
            try {
                return { status: response.status, json: JSON.parse(text) as unknown };
            } catch {
                throw new KeyMintError(`${req.what} returned a body that is not JSON`, response.status);
            }
        }

        lastError = new KeyMintError(
            `${req.what} failed: HTTP ${response.status}${text ? `: ${upstreamMessage(text, req.redact)}` : ""}`,
            response.status,
        );
        if (!retryable(response.status) || attempt === attempts) break;
        const backoff = retryAfterMs(response.headers.get("retry-after")) ?? policy.backoffMs * 2 ** (attempt - 1);
        await sleep(Math.min(backoff, policy.maxBackoffMs), budget);
    }
    throw lastError ?? new KeyMintError(`${req.what} failed`);
}

/** Rejects tag lists the APIs would refuse, at construction rather than at first boot. */
export function validateTags(tags: unknown, setting: string): string[] {
    if (!Array.isArray(tags) || tags.length === 0) {
        throw new Error(`${setting} must list at least one ACL tag (e.g. ["tag:edge"]): keys minted by a service must be tagged`);
    }
    for (const tag of tags) {
        if (typeof tag !== "string" || !/^tag:[A-Za-z0-9][A-Za-z0-9_-]*$/.test(tag)) {
            throw new Error(`${setting}: ${JSON.stringify(tag)} is not an ACL tag; use the form "tag:<name>" (letters, digits, "-", "_")`);
        }
    }
    return [...tags];
}

/** Per-boot keys only need to outlive one boot; a long-lived key sitting in a served config is a liability. */
export function validateExpirySeconds(value: unknown, setting: string, max: number): number {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) {
        throw new Error(`${setting} must be an integer number of seconds between 1 and ${max} (got ${JSON.stringify(value)})`);
    }
    return value;
}

/** An http(s) origin (optionally with a path prefix), without a trailing slash. */
export function normalizeBaseUrl(value: unknown, setting: string): string {
    let parsed: URL;
    try {
        parsed = new URL(String(value));
    } catch {
        throw new Error(`${setting} must be an absolute http(s) URL such as "https://api.tailscale.com" (got ${JSON.stringify(value)})`);
    }
    // Plain http only to loopback (tests, the offline lab): a credential never crosses a network in clear text.
    const loopback = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/.test(parsed.hostname);
    if (parsed.protocol !== "https:" && !(parsed.protocol === "http:" && loopback)) {
        throw new Error(`${setting} must use https:// (plain http is accepted only for localhost) (got ${JSON.stringify(value)})`);
    }
    if (parsed.username || parsed.password || parsed.search || parsed.hash) {
        throw new Error(`${setting} must not carry credentials, a query or a fragment`);
    }
    return parsed.toString().replace(/\/+$/, "");
}
