/**
 * Static backend: the stack creates one single-use key per inventory machine ahead of time
 * (e.g. `tailscale.TailnetKey`) and hands the service the map machine -> key (env BOOT_STATIC_KEYS).
 * Nothing is minted at request time, so there is no API credential in the service at all; the
 * price is that each key is valid from `pulumi up` until used or expired, not just for one boot.
 *
 * `expiresAt`: the service cannot ask the control server about a key it did not create, so it
 * reports `creation-unknown + expirySeconds` only when told the lifetime, else the string "unknown".
 */
import { KeyMinter, KeyMintError, MintRequest, MintedKey } from "./types";

export const UNKNOWN_EXPIRY = "unknown";

export interface StaticKeyMinterOptions {
    /** machine name -> auth key (secret). */
    keys: Record<string, string>;
    /**
     * Lifetime the stack gave the keys, in seconds. When set, `expiresAt` is now + this value
     * (an upper bound: the key was created earlier). Omitted: `expiresAt` = "unknown".
     */
    expirySeconds?: number;
    /** Injected clock; defaults to `new Date()`. */
    now?: () => Date;
}

export class StaticKeyMinter implements KeyMinter {
    readonly kind = "static";
    private readonly keys: ReadonlyMap<string, string>;
    private readonly expirySeconds: number | undefined;
    private readonly now: () => Date;

    constructor(opts: StaticKeyMinterOptions) {
        if (typeof opts.keys !== "object" || opts.keys === null || Array.isArray(opts.keys)) {
            throw new Error(`BOOT_STATIC_KEYS must be a JSON object mapping machine name to auth key`);
        }
        const keys = new Map<string, string>();
        for (const [machine, key] of Object.entries(opts.keys)) {
            // Name the machine, never echo the value.
            if (typeof key !== "string" || key.trim() === "") {
                throw new Error(`BOOT_STATIC_KEYS: the key for machine "${machine}" must be a non-empty string`);
            }
            keys.set(machine, key);
        }
        if (
            opts.expirySeconds !== undefined &&
            (typeof opts.expirySeconds !== "number" || !Number.isInteger(opts.expirySeconds) || opts.expirySeconds < 1)
        ) {
            throw new Error(`keyBackend.expirySeconds must be a positive integer number of seconds (got ${JSON.stringify(opts.expirySeconds)})`);
        }
        this.keys = keys;
        this.expirySeconds = opts.expirySeconds;
        this.now = opts.now ?? (() => new Date());
    }

    /** Machines that have a key; the settings loader can compare this with the inventory. */
    get machines(): string[] {
        return [...this.keys.keys()];
    }

    async mint(req: MintRequest): Promise<MintedKey> {
        const key = this.keys.get(req.machine);
        if (key === undefined) {
            throw new KeyMintError(
                `no static auth key for machine "${req.machine}" (site "${req.site}"): add it to BOOT_STATIC_KEYS`,
                404,
            );
        }
        const expiresAt =
            this.expirySeconds === undefined
                ? UNKNOWN_EXPIRY
                : new Date(this.now().getTime() + this.expirySeconds * 1000).toISOString();
        return { id: `static:${req.machine}`, key, expiresAt };
    }
}
