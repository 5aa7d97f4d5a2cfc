/**
 * Key backend selection: the non-secret settings (from BOOT_SETTINGS.keyBackend) and the secrets
 * (each from its own env var) that together build the KeyMinter the config endpoint uses.
 */
import type { KeyMinter } from "./types";
import { TailscaleKeyMinter, DEFAULT_TAILSCALE_API_BASE_URL, DEFAULT_TAILNET } from "./tailscale";
import { HeadscaleKeyMinter } from "./headscale";
import { StaticKeyMinter } from "./static";

export { KeyMintError, MAX_KEY_EXPIRY_SECONDS } from "./types";
export type { KeyMinter, MintRequest, MintedKey } from "./types";
export { TailscaleKeyMinter, HeadscaleKeyMinter, StaticKeyMinter };

import type { KeyBackendSettings } from "../../../../model/bootContract";

export type {
    HeadscaleKeyBackendSettings,
    KeyBackendSettings,
    StaticKeyBackendSettings,
    TailscaleKeyBackendSettings,
} from "../../../../model/bootContract";

/** Secrets for the key backends, each read from its own env var. */
export interface KeySecrets {
    /** env TS_OAUTH_CLIENT_ID */
    tsOauthClientId?: string;
    /** env TS_OAUTH_CLIENT_SECRET */
    tsOauthClientSecret?: string;
    /** env HEADSCALE_API_KEY */
    headscaleApiKey?: string;
    /** env BOOT_STATIC_KEYS (JSON object machine -> key), already parsed. */
    staticKeys?: Record<string, string>;
}

/** Injection points for tests and the benchmark. */
export interface KeyMinterDeps {
    fetch?: typeof fetch;
    now?: () => Date;
}

function requireSecret(value: string | undefined, envVar: string, kind: string): string {
    if (value === undefined || value.trim() === "") {
        throw new Error(`${envVar} is required for keyBackend.kind = "${kind}"`);
    }
    return value;
}

/** Builds the minter named by `backend.kind`; throws a clear Error when a setting or secret is missing. */
export function createKeyMinter(backend: KeyBackendSettings, secrets: KeySecrets, deps: KeyMinterDeps = {}): KeyMinter {
    switch (backend.kind) {
        case "tailscale":
            return new TailscaleKeyMinter({
                apiBaseUrl: backend.apiBaseUrl ?? DEFAULT_TAILSCALE_API_BASE_URL,
                tailnet: backend.tailnet ?? DEFAULT_TAILNET,
                tags: backend.tags,
                expirySeconds: backend.expirySeconds,
                clientId: requireSecret(secrets.tsOauthClientId, "TS_OAUTH_CLIENT_ID", "tailscale"),
                clientSecret: requireSecret(secrets.tsOauthClientSecret, "TS_OAUTH_CLIENT_SECRET", "tailscale"),
                fetch: deps.fetch,
                now: deps.now,
            });
        case "headscale":
            return new HeadscaleKeyMinter({
                url: backend.url,
                user: backend.user,
                tags: backend.tags,
                expirySeconds: backend.expirySeconds,
                apiKey: requireSecret(secrets.headscaleApiKey, "HEADSCALE_API_KEY", "headscale"),
                fetch: deps.fetch,
                now: deps.now,
            });
        case "static":
            if (secrets.staticKeys === undefined) {
                throw new Error(`BOOT_STATIC_KEYS is required for keyBackend.kind = "static"`);
            }
            return new StaticKeyMinter({
                keys: secrets.staticKeys,
                expirySeconds: backend.expirySeconds,
                now: deps.now,
            });
        default: {
            const kind = (backend as { kind?: unknown }).kind;
            throw new Error(
                `keyBackend.kind must be "tailscale", "headscale" or "static" (got ${JSON.stringify(kind)})`,
            );
        }
    }
}
