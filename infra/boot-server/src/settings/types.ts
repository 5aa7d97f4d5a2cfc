/**
 * The boot service's validated configuration. The JSON shapes a deployer writes
 * (`BootSettingsInput` and its parts) are the graph/service contract in model/bootContract.ts;
 * this file holds what the service works with after validation, with every default applied.
 */
import type { Architecture, BootMachine } from "../../../../model/edgeMachine";
import type { BootAssets, KeyBackendSettings, LogLevel } from "../../../../model/bootContract";
import type { KeySecrets } from "../keys";

export type { Architecture, BootMachine } from "../../../../model/edgeMachine";
export type {
    BootAssets,
    BootMachineInput,
    BootSettingsInput,
    BootSiteInput,
    HeadscaleKeyBackendSettings,
    KeyBackendSettings,
    LogLevel,
    StaticKeyBackendSettings,
    TailscaleKeyBackendSettings,
} from "../../../../model/bootContract";
export type { KeySecrets } from "../keys";

export interface BootSite {
    /** DNS label. */
    name: string;
    machines: BootMachine[];
}

/** Validated BOOT_SETTINGS with every default applied (field meanings as in BootSettingsInput). */
export interface BootSettings {
    /** Canonical origin (no trailing slash), or undefined = derive from each request. */
    publicUrl?: string;
    trustedProxyHops: number;
    ticketTtlSeconds: number;
    rateLimitPerMinute: number;
    machineTicketIntervalSeconds: number;
    unknownMachineRetrySeconds: number;
    chainAttempts: number;
    chainRetryDelaySeconds: number;
    maxPendingPerSite: number;
    /** Per arch, with `consoleArgs` resolved (per-arch value or the top-level default). */
    assets: Partial<Record<Architecture, Required<BootAssets>>>;
    kernelArgs: string[];
    installerImage: string;
    validSubnets: string[];
    keyBackend: KeyBackendSettings;
    logLevel: LogLevel;
    sites: BootSite[];
}

/** Secrets, each from its own environment variable. Never logged, never in an error message. */
export interface BootSecrets {
    /** BOOT_BASE_CONFIG: the cluster's worker machine config (multi-document YAML). */
    baseConfig: string;
    /** BOOT_SITE_TOKENS: site name -> token. */
    siteTokens: Record<string, string>;
    /** TS_OAUTH_CLIENT_ID, TS_OAUTH_CLIENT_SECRET, HEADSCALE_API_KEY, BOOT_STATIC_KEYS. */
    keys: KeySecrets;
    /** BOOT_DATABASE_URL; undefined = embedded PGlite. */
    databaseUrl?: string;
    /** BOOT_ADMIN_TOKEN: bearer credential of the admin API; undefined = admin API off. */
    adminToken?: string;
}

/** Process-level options from the environment. */
export interface BootRuntime {
    /** PORT, default 8080. */
    port: number;
    /** HOST, default "0.0.0.0". */
    host: string;
    /** BOOT_DATA_DIR: PGlite data directory; undefined = in-memory PGlite. Ignored with BOOT_DATABASE_URL. */
    dataDir?: string;
    /** BOOT_DATABASE_SCHEMA: PostgreSQL schema for the tables; undefined = "public". */
    databaseSchema?: string;
    /** BOOT_DATABASE_POOL_SIZE: PostgreSQL connections per instance; undefined = 10. */
    databasePoolSize?: number;
}

export const DEFAULTS = {
    trustedProxyHops: 0,
    ticketTtlSeconds: 900,
    rateLimitPerMinute: 120,
    machineTicketIntervalSeconds: 60,
    unknownMachineRetrySeconds: 30,
    chainAttempts: 10,
    chainRetryDelaySeconds: 10,
    maxPendingPerSite: 1000,
    consoleArgs: ["console=tty0", "console=ttyS0,115200"],
    logLevel: "info" as LogLevel,
    port: 8080,
    host: "0.0.0.0",
} as const;

/** Kernel command lines are capped at 4096 bytes; leave room for the platform and talos.config arguments. */
export const MAX_EXTRA_CMDLINE_CHARS = 3000;

/** All problems found in one variable, one per line. */
export class SettingsError extends Error {
    constructor(readonly problems: string[]) {
        super(`invalid boot service configuration:\n  - ${problems.join("\n  - ")}`);
        this.name = "SettingsError";
    }
}
