/**
 * The contract between the boot service and its Tailscale/Headscale key backends.
 * A minter returns a fresh single-use, pre-authorized, tagged key for one boot.
 */
export interface MintRequest {
    /** Site the machine belongs to. */
    site: string;
    /** Inventory machine name (also its tailnet hostname). */
    machine: string;
    /**
     * The mint's time budget (the config route's MINT_BUDGET_MS): once it aborts, no further
     * attempt starts, a request on its way is abandoned and the mint rejects. Backends that call
     * an API pass it to that call, so no mint outlives the request that asked for it.
     */
    signal?: AbortSignal;
}

export interface MintedKey {
    /** Backend key id, safe to log and store (never the key itself). */
    id: string;
    /** The auth key. Secret: never logged, never stored. */
    key: string;
    /** RFC 3339 expiry. */
    expiresAt: string;
}

export interface KeyMinter {
    /** "tailscale" | "headscale" | "static" */
    readonly kind: string;
    mint(req: MintRequest): Promise<MintedKey>;
}

/** Upper bound for per-boot key lifetime: a key only needs to outlive one boot (ADR 0010). */
export const MAX_KEY_EXPIRY_SECONDS = 3600;

/** Raised by a backend; `message` must never contain a credential or key. */
export class KeyMintError extends Error {
    constructor(message: string, readonly status?: number) {
        super(message);
        this.name = "KeyMintError";
    }
}
