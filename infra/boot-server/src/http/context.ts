/**
 * What the route handlers share: the service's settings, store and key minter, the inventory,
 * values derived once from settings and secrets, and the per-instance caches. Built once per
 * app by `createHandlerContext`; handlers log through their request's logger (`req.log`).
 */
import { Inventory } from "../inventory";
import type { RetryPolicy } from "../ipxe";
import type { KeyMinter } from "../keys/types";
import { parseBaseConfig } from "../machine-config";
import type { BootSecrets, BootSettings } from "../settings";
import type { BootStore } from "../store/types";
import { secretDigest } from "../tickets";
import { EnrolledMachines, PreparedConfigs, SiteScripts } from "./caches";
import { StoreWriteProbe } from "./store-health";
import { MachineTicketThrottle } from "./ticket-throttle";
import { MINT_BUDGET_MS } from "./deliver";

/** What the handlers are built from (buildApp's options minus logging). */
export interface ContextOptions {
    settings: BootSettings;
    /** Only `baseConfig`, `siteTokens` and `adminToken` are used here; key secrets live in the minter. */
    secrets: Pick<BootSecrets, "baseConfig" | "siteTokens" | "adminToken">;
    store: BootStore;
    minter: KeyMinter;
    /** Clock for ticket issue and expiry, the ticket throttle and the /healthz write-check cache; default `() => new Date()`. */
    now?: () => Date;
    /** Longest a key mint may take (ms); default MINT_BUDGET_MS (deliver.ts). Tests shorten it. */
    mintBudgetMs?: number;
}

export interface HandlerContext {
    readonly settings: BootSettings;
    readonly store: BootStore;
    readonly minter: KeyMinter;
    /** Clock for ticket issue and expiry. */
    readonly now: () => Date;
    /** Longest a key mint may take (ms). */
    readonly mintBudgetMs: number;
    /** The sites and machines of `settings`, indexed for lookups by identifier. */
    readonly inventory: Inventory;
    /** Site name -> token; the site script's machine URL carries it (secret). */
    readonly siteTokens: Readonly<Record<string, string>>;
    /** Site name -> SHA-256 of its token, for the constant-time check. */
    readonly siteTokenDigests: ReadonlyMap<string, Buffer>;
    /** SHA-256 of BOOT_ADMIN_TOKEN for the constant-time check; undefined = admin API off. */
    readonly adminTokenDigest?: Buffer;
    /** Per-machine ticket limit (machineTicketIntervalSeconds). */
    readonly ticketThrottle: MachineTicketThrottle;
    /** Whether the store can write, for /healthz (one real write per few seconds at most). */
    readonly storeHealth: StoreWriteProbe;
    /** Bound and pause of the scripts' chain and download retries. */
    readonly retry: RetryPolicy;
    /** Per Talos arch: the console arguments followed by `settings.kernelArgs`. */
    readonly kernelArgsByArch: ReadonlyMap<string, string[]>;
    readonly preparedConfigs: PreparedConfigs;
    readonly enrolled: EnrolledMachines;
    readonly siteScripts: SiteScripts;
    /** What loading the base config removed (hostname conflicts), one sentence each, for the start-up log. */
    readonly baseConfigAdjustments: readonly string[];
}

/**
 * Derives everything the handlers need once, not per request. Parses the base config (throws
 * BaseConfigError, naming no content, when it is unusable).
 */
export function createHandlerContext(opts: ContextOptions): HandlerContext {
    const { settings, store, minter } = opts;
    const baseConfig = parseBaseConfig(opts.secrets.baseConfig);
    const siteTokens = opts.secrets.siteTokens;
    return {
        settings,
        store,
        minter,
        now: opts.now ?? (() => new Date()),
        mintBudgetMs: opts.mintBudgetMs ?? MINT_BUDGET_MS,
        inventory: new Inventory(settings.sites),
        siteTokens,
        siteTokenDigests: new Map(Object.entries(siteTokens).map(([site, token]) => [site, secretDigest(token)])),
        adminTokenDigest: opts.secrets.adminToken === undefined ? undefined : secretDigest(opts.secrets.adminToken),
        ticketThrottle: new MachineTicketThrottle(settings.machineTicketIntervalSeconds * 1000),
        storeHealth: new StoreWriteProbe(store, opts.now ? () => opts.now!().getTime() : Date.now),
        retry: { attempts: settings.chainAttempts, delaySeconds: settings.chainRetryDelaySeconds },
        kernelArgsByArch: new Map(
            Object.entries(settings.assets).map(([arch, assets]) => [arch, [...assets.consoleArgs, ...settings.kernelArgs]]),
        ),
        preparedConfigs: new PreparedConfigs(baseConfig, {
            installerImage: settings.installerImage,
            validSubnets: settings.validSubnets,
            tailscaleExtraArgs: settings.keyBackend.kind === "headscale" ? [`--login-server=${settings.keyBackend.url}`] : undefined,
        }),
        enrolled: new EnrolledMachines(),
        siteScripts: new SiteScripts(),
        baseConfigAdjustments: baseConfig.adjustments,
    };
}
