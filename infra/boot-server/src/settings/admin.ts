/**
 * BOOT_ADMIN_TOKEN: the bearer credential of the read-only admin API (`/v1/admin/...`).
 * Optional: unset, the admin routes answer `403 admin_disabled`. It is its own secret: a value
 * equal to a site token is refused, because site tokens travel in clear in DHCP and the admin
 * API lists every machine's identifiers. Never quoted back in an error.
 */
import { SITE_TOKEN, SITE_TOKEN_MAX_LENGTH, SITE_TOKEN_MIN_LENGTH } from "../../../../model/identity";
import { SettingsError } from "./types";

/** Same alphabet and length bounds as a site token: URL-unreserved characters, > 128 bits. */
export const ADMIN_TOKEN = SITE_TOKEN;

/** Validates BOOT_ADMIN_TOKEN against the site tokens; undefined when unset or blank. */
export function parseAdminToken(text: string | undefined, siteTokens: Readonly<Record<string, string>>): string | undefined {
    const v = "BOOT_ADMIN_TOKEN";
    if (text === undefined || text.trim() === "") return undefined;
    const token = text.trim();
    if (!ADMIN_TOKEN.test(token)) {
        throw new SettingsError([
            `${v}: must be ${SITE_TOKEN_MIN_LENGTH}..${SITE_TOKEN_MAX_LENGTH} characters of A-Z a-z 0-9 . _ ~ - ` +
                "(e.g. random.RandomPassword {length: 43, special: false}); the value is secret and not shown",
        ]);
    }
    const shared = Object.entries(siteTokens).find(([, siteToken]) => siteToken === token);
    if (shared) {
        throw new SettingsError([
            `${v}: equals the site token of site "${shared[0]}"; the admin API needs its own credential (site tokens travel in clear in DHCP)`,
        ]);
    }
    return token;
}
