/**
 * The service's environment: which variable holds what (model/bootContract.ts names them),
 * read once at start-up. Secret values are never quoted back in an error.
 *
 *   BOOT_SETTINGS          JSON `BootSettingsInput` (required; or BOOT_SETTINGS_FILE = path to it)
 *   BOOT_INVENTORY_FILE    path of a JSON file {"sites": [...]}: the inventory, instead of
 *                          BOOT_SETTINGS.sites (the stack ships it inside the source bundle;
 *                          Cloud Run caps one environment variable at 32 KiB)
 *   BOOT_BASE_CONFIG       secret: the cluster's Talos worker config, multi-document YAML
 *                          (required; or BOOT_BASE_CONFIG_FILE = path to it)
 *   BOOT_SITE_TOKENS       secret: JSON object site name -> site token (one per site)
 *   TS_OAUTH_CLIENT_ID     secret: Tailscale OAuth client id      (keyBackend.kind "tailscale")
 *   TS_OAUTH_CLIENT_SECRET secret: Tailscale OAuth client secret  (keyBackend.kind "tailscale")
 *   HEADSCALE_API_KEY      secret: Headscale API key              (keyBackend.kind "headscale")
 *   BOOT_STATIC_KEYS       secret: JSON object machine -> auth key (keyBackend.kind "static")
 *   BOOT_DATABASE_URL      secret: postgres:// URL; absent = embedded PGlite
 *   BOOT_DATABASE_SCHEMA   PostgreSQL schema for the tables, default "public"
 *   BOOT_DATABASE_POOL_SIZE  PostgreSQL connections per instance (1..100, default 10), plus one
 *                          for the instance's claim holder lock
 *   BOOT_DATA_DIR          PGlite data directory; absent = in memory (lost on restart)
 *   BOOT_ADMIN_TOKEN       secret: bearer credential of the admin API; absent = admin API off
 *   BOOT_VM_IDENTITY_KEY   secret: the stack's VM identity key; the SMBIOS UUID and serial of
 *                          each machine marked derivedIdentity are derived from it
 *                          (model/vmIdentity.ts). Required when any machine is so marked.
 *   PORT                   listen port, default 8080 (Cloud Run sets it)
 *   HOST                   listen address, default 0.0.0.0
 */
import * as fs from "node:fs";
import { SITE_TOKEN, SITE_TOKEN_MAX_LENGTH, SITE_TOKEN_MIN_LENGTH } from "../../../../model/identity";
import { isObj } from "../../../../model/readers";
import { parseAdminToken } from "./admin";
import { refuseRetiredIdentities, withDerivedIdentities } from "./identities";
import { parseBootSettings } from "./parse";
import { readInventoryFile } from "./inventory-file";
import { BootRuntime, BootSecrets, BootSettings, BootSite, DEFAULTS, SettingsError } from "./types";

/** PostgreSQL schema names the service accepts (unquoted identifiers; the store interpolates it). */
const DATABASE_SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

function show(v: unknown): string {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Parses a JSON secret without ever quoting it: JSON.parse errors include a slice of the input. */
function parseSecretJson(text: string, variable: string, shape: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        throw new SettingsError([`${variable}: is not valid JSON (expected ${shape}); the value is secret and not shown`]);
    }
}

/** Validates BOOT_SITE_TOKENS against the sites in settings. */
export function parseSiteTokens(text: string | undefined, sites: BootSite[]): Record<string, string> {
    const v = "BOOT_SITE_TOKENS";
    if (text === undefined || text.trim() === "") {
        throw new SettingsError([`${v}: is required: a JSON object {"<site>": "<token>"} with one token per site`]);
    }
    const parsed = parseSecretJson(text, v, 'an object {"<site>": "<token>"}');
    if (!isObj(parsed)) throw new SettingsError([`${v}: must be a JSON object {"<site>": "<token>"}`]);
    const problems: string[] = [];
    const names = new Set(sites.map((s) => s.name));
    const tokens: Record<string, string> = {};
    for (const [site, token] of Object.entries(parsed)) {
        if (!names.has(site)) {
            problems.push(`${v}: has a token for site ${show(site)}, which BOOT_SETTINGS.sites does not define`);
        } else if (typeof token !== "string" || !SITE_TOKEN.test(token)) {
            problems.push(
                `${v}.${site}: the token must be ${SITE_TOKEN_MIN_LENGTH}..${SITE_TOKEN_MAX_LENGTH} characters of A-Z a-z 0-9 . _ ~ - ` +
                    `(e.g. random.RandomPassword {length: 32, special: false}); the value is secret and not shown`,
            );
        } else {
            tokens[site] = token;
        }
    }
    for (const site of names) {
        if (!(site in parsed)) problems.push(`${v}: has no token for site ${show(site)}`);
    }
    const values = Object.values(tokens);
    if (new Set(values).size !== values.length) problems.push(`${v}: two sites share a token; give each site its own`);
    if (problems.length > 0) throw new SettingsError(problems);
    return tokens;
}

/** Parses BOOT_STATIC_KEYS (machine -> key) without echoing any value. */
export function parseStaticKeys(text: string | undefined): Record<string, string> | undefined {
    const v = "BOOT_STATIC_KEYS";
    if (text === undefined || text.trim() === "") return undefined;
    const parsed = parseSecretJson(text, v, 'an object {"<machine>": "<auth key>"}');
    if (!isObj(parsed)) throw new SettingsError([`${v}: must be a JSON object {"<machine>": "<auth key>"}`]);
    const out: Record<string, string> = {};
    for (const [machine, key] of Object.entries(parsed)) {
        if (typeof key !== "string" || key.trim() === "") {
            throw new SettingsError([`${v}.${machine}: must be a non-empty string; the value is secret and not shown`]);
        }
        out[machine] = key;
    }
    return out;
}

function readVarOrFile(env: NodeJS.ProcessEnv, name: string): string | undefined {
    const direct = env[name];
    const file = env[`${name}_FILE`];
    if (direct !== undefined && direct !== "" && file !== undefined && file !== "") {
        throw new SettingsError([`${name} and ${name}_FILE are both set; set one`]);
    }
    if (file !== undefined && file !== "") {
        try {
            return fs.readFileSync(file, "utf8");
        } catch (err) {
            throw new SettingsError([`${name}_FILE: cannot read ${show(file)} (${(err as NodeJS.ErrnoException).code ?? "error"})`]);
        }
    }
    return direct === "" ? undefined : direct;
}

function optionalSecret(env: NodeJS.ProcessEnv, name: string): string | undefined {
    const v = env[name];
    return v === undefined || v.trim() === "" ? undefined : v;
}

/** Reads and validates everything the service needs from the environment. Throws SettingsError. */
export function loadBootEnvironment(env: NodeJS.ProcessEnv = process.env): {
    settings: BootSettings;
    secrets: BootSecrets;
    runtime: BootRuntime;
} {
    const settingsText = readVarOrFile(env, "BOOT_SETTINGS");
    if (settingsText === undefined) {
        throw new SettingsError([
            "BOOT_SETTINGS: is required: JSON settings (see infra/boot-server/examples/settings.local.json), or BOOT_SETTINGS_FILE=<path>",
        ]);
    }
    let raw: unknown;
    try {
        raw = JSON.parse(settingsText);
    } catch (err) {
        // Not secret, so the parser's position hint may be shown.
        throw new SettingsError([`BOOT_SETTINGS: is not valid JSON (${(err as Error).message})`]);
    }
    const inventoryFile = env.BOOT_INVENTORY_FILE === undefined || env.BOOT_INVENTORY_FILE === "" ? undefined : env.BOOT_INVENTORY_FILE;
    const parsed = inventoryFile === undefined ? parseBootSettings(raw) : readInventoryFile(inventoryFile, raw);
    refuseRetiredIdentities(env.BOOT_MACHINE_IDENTITIES);
    const settings = { ...parsed, sites: withDerivedIdentities(parsed.sites, optionalSecret(env, "BOOT_VM_IDENTITY_KEY")) };

    const baseConfig = readVarOrFile(env, "BOOT_BASE_CONFIG");
    if (baseConfig === undefined || baseConfig.trim() === "") {
        throw new SettingsError([
            "BOOT_BASE_CONFIG: is required: the cluster's Talos worker config (multi-document YAML), or BOOT_BASE_CONFIG_FILE=<path>",
        ]);
    }
    const siteTokens = parseSiteTokens(env.BOOT_SITE_TOKENS, settings.sites);
    const secrets: BootSecrets = {
        baseConfig,
        siteTokens,
        adminToken: parseAdminToken(env.BOOT_ADMIN_TOKEN, siteTokens),
        keys: {
            tsOauthClientId: optionalSecret(env, "TS_OAUTH_CLIENT_ID"),
            tsOauthClientSecret: optionalSecret(env, "TS_OAUTH_CLIENT_SECRET"),
            headscaleApiKey: optionalSecret(env, "HEADSCALE_API_KEY"),
            staticKeys: parseStaticKeys(env.BOOT_STATIC_KEYS),
        },
        databaseUrl: optionalSecret(env, "BOOT_DATABASE_URL"),
    };
    if (secrets.databaseUrl !== undefined && !/^postgres(?:ql)?:\/\//.test(secrets.databaseUrl)) {
        throw new SettingsError(["BOOT_DATABASE_URL: must start with postgres:// or postgresql://; the value is secret and not shown"]);
    }

    const problems: string[] = [];
    let port: number = DEFAULTS.port;
    if (env.PORT !== undefined && env.PORT !== "") {
        port = Number(env.PORT);
        if (!/^[0-9]{1,5}$/.test(env.PORT) || port > 65535) problems.push(`PORT: must be a port number 0..65535 (got ${show(env.PORT)})`);
    }
    const host = env.HOST !== undefined && env.HOST !== "" ? env.HOST : DEFAULTS.host;
    const dataDir = env.BOOT_DATA_DIR !== undefined && env.BOOT_DATA_DIR !== "" ? env.BOOT_DATA_DIR : undefined;
    const databaseSchema = env.BOOT_DATABASE_SCHEMA === undefined || env.BOOT_DATABASE_SCHEMA === "" ? undefined : env.BOOT_DATABASE_SCHEMA;
    if (databaseSchema !== undefined && !DATABASE_SCHEMA.test(databaseSchema)) {
        problems.push(`BOOT_DATABASE_SCHEMA: ${show(databaseSchema)} is not a schema name; use lower-case letters, digits and _ (at most 63), starting with a letter or _`);
    }
    let databasePoolSize: number | undefined;
    if (env.BOOT_DATABASE_POOL_SIZE !== undefined && env.BOOT_DATABASE_POOL_SIZE !== "") {
        databasePoolSize = Number(env.BOOT_DATABASE_POOL_SIZE);
        if (!/^[0-9]{1,3}$/.test(env.BOOT_DATABASE_POOL_SIZE) || databasePoolSize < 1 || databasePoolSize > 100) {
            problems.push(`BOOT_DATABASE_POOL_SIZE: must be a whole number of connections 1..100 (got ${show(env.BOOT_DATABASE_POOL_SIZE)})`);
        }
    }
    if (problems.length > 0) throw new SettingsError(problems);
    return {
        settings,
        secrets,
        runtime: {
            port,
            host,
            dataDir,
            ...(databaseSchema !== undefined ? { databaseSchema } : {}),
            ...(databasePoolSize !== undefined ? { databasePoolSize } : {}),
        },
    };
}
