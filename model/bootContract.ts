/**
 * The contract between the Pulumi graph and the boot service: what the service accepts as its
 * non-secret settings (`BOOT_SETTINGS`), which environment variables carry its secrets, and
 * the URL shapes the graph hands to DHCP. Components build settings through this module only;
 * the service validates them with the same model parsers (model/edgeMachine.ts) at start-up.
 */
import { bootMachineOf, type Architecture, type EdgeMachineConfig } from "./edgeMachine";

/** Kernel and initramfs of the edge schematic for one architecture; iPXE fetches them directly. */
export interface BootAssets {
    /** Kernel URL, e.g. `https://factory.talos.dev/image/<schematic>/v1.12.4/kernel-amd64`. http(s). */
    kernelUrl: string;
    /** Initramfs URL, e.g. `https://factory.talos.dev/image/<schematic>/v1.12.4/initramfs-amd64.xz`. http(s). */
    initramfsUrl: string;
    /** Console arguments for this architecture; default: the top-level `consoleArgs`. */
    consoleArgs?: string[];
}

/** One machine in a site's inventory: the service form of model/edgeMachine.ts (no `ip`, no `vm`). */
export interface BootMachineInput {
    /** Hostname, Kubernetes node name and tailnet device name: a DNS label, unique across all sites. */
    name: string;
    /** MAC of the NIC it network-boots from; colon or hyphen form, any case. Unique within the site. */
    mac: string;
    /**
     * SMBIOS UUID (8-4-4-4-12 hex, not a placeholder). When set, every request for this machine
     * must report exactly this UUID (a request without one is refused). Note that PXE firmware and
     * iPXE send the UUID in clear in DHCP (option 97): it identifies, it does not authenticate.
     */
    uuid?: string;
    /**
     * SMBIOS system serial (not a vendor placeholder). When set, every request for this machine
     * must report exactly this serial. The serial travels only inside HTTPS (never in DHCP), so a
     * secret one (the stack derives one for each VM) keeps a machine's identity off the site's L2.
     */
    serial?: string;
    /**
     * true: a VM the stack creates whose `uuid` / `serial`, where not set here, the service derives
     * from BOOT_VM_IDENTITY_KEY and the machine's name (model/vmIdentity.ts), exactly as the stack
     * did for the VM's domain. Not allowed with both `uuid` and `serial` set. Default false.
     */
    derivedIdentity?: boolean;
    /** CPU architecture. Default "amd64". `assets` must have an entry for it. */
    arch?: Architecture;
    /** Install disk, e.g. "/dev/vda". Exactly one of `installDisk` / `diskSelector`. */
    installDisk?: string;
    /** Talos `machine.install.diskSelector`. */
    diskSelector?: Record<string, string>;
    /** Extra node labels; `topology.kubernetes.io/zone=<site>` is always set and cannot be overridden. Default {}. */
    labels?: Record<string, string>;
    /** Node taints in Talos form, key -> "value:Effect". Default {}. */
    taints?: Record<string, string>;
    /** Enrollment generation, 1..1000000. Default 1. */
    enrollment?: number;
}

export interface BootSiteInput {
    /** Site name (DNS label): the `<site>` URL segment and the `topology.kubernetes.io/zone` value. */
    name: string;
    /** The site's inventory. May be empty (every machine is then recorded as pending). */
    machines: BootMachineInput[];
}

/** Tailscale SaaS: keys minted through an OAuth client (scope `auth_keys`). */
export interface TailscaleKeyBackendSettings {
    kind: "tailscale";
    /** API origin, no trailing path. Default `https://api.tailscale.com`. */
    apiBaseUrl?: string;
    /** Tailnet name in the API path; default `-` (the OAuth client's own tailnet). */
    tailnet?: string;
    /** ACL tags for the minted keys (e.g. `["tag:edge"]`); required, non-empty, each `tag:<name>`. */
    tags: string[];
    /** Key lifetime in seconds, 60..3600. */
    expirySeconds: number;
}

/** Self-hosted Headscale: keys minted with an API key. */
export interface HeadscaleKeyBackendSettings {
    kind: "headscale";
    /** Headscale server URL (`https://hs.example`); also the nodes' `--login-server`. */
    url: string;
    /** Headscale user id (uint64 as a decimal string); omit for tag-only keys. */
    user?: string;
    /** ACL tags for the minted keys (`tag:<name>`); required, non-empty. */
    tags: string[];
    /** Key lifetime in seconds, 60..3600. */
    expirySeconds: number;
}

/** Keys created ahead of time by the stack, one single-use key per inventory machine. */
export interface StaticKeyBackendSettings {
    kind: "static";
    /**
     * Lifetime the stack gave the keys, in seconds, used only to report `expiresAt`.
     * Omitted: `expiresAt` is the string "unknown" (the service cannot know it).
     */
    expirySeconds?: number;
}

/** Non-secret key backend parameters (part of BOOT_SETTINGS). */
export type KeyBackendSettings = TailscaleKeyBackendSettings | HeadscaleKeyBackendSettings | StaticKeyBackendSettings;

export type LogLevel = "debug" | "info" | "warn" | "error";

/** The JSON in `BOOT_SETTINGS`. Not secret. */
export interface BootSettingsInput {
    /**
     * Base URL the scripts point machines at: scheme, host and optional port, no path
     * (e.g. "https://boot-abc123-ew.a.run.app"). Default: derived from each request.
     */
    publicUrl?: string;
    /**
     * Reverse proxies in front of the service whose `X-Forwarded-*` headers are trusted: 1 for
     * Cloud Run (its front end appends the client address; the stack sets it), 0 when clients
     * connect directly. Default 0: no client can pick its own rate-limit key or script origin.
     */
    trustedProxyHops?: number;
    /** Config ticket lifetime in seconds, 60..3600. Default 900. */
    ticketTtlSeconds?: number;
    /** Requests per minute allowed from one source address (all routes but /healthz). 1..100000. Default 120. */
    rateLimitPerMinute?: number;
    /**
     * Config tickets for one machine: a burst of 2, then one per this many seconds (1..3600,
     * default 60), so nobody holding the site token can keep superseding a booting machine's
     * ticket. Per service instance.
     */
    machineTicketIntervalSeconds?: number;
    /** How long an unknown machine waits before asking again, in seconds, 5..3600. Default 30. */
    unknownMachineRetrySeconds?: number;
    /** Attempts of each iPXE download (chain, kernel, initrd) before the machine reboots, 1..100. Default 10. */
    chainAttempts?: number;
    /** Pause between those attempts in seconds, 1..300. Default 10. */
    chainRetryDelaySeconds?: number;
    /** Pending (unknown) machines recorded per site at most; further unknown MACs are logged only. Default 1000. */
    maxPendingPerSite?: number;
    /** Edge schematic boot assets per architecture (at least one; every inventory arch needs one). */
    assets: Partial<Record<Architecture, BootAssets>>;
    /** Kernel console arguments. Default ["console=tty0", "console=ttyS0,115200"]. */
    consoleArgs?: string[];
    /**
     * Further kernel arguments after `talos.platform=metal` and the console arguments, e.g. the
     * edge schematic's `cmdline-metal-<arch>` defaults. Never secrets. Default [].
     */
    kernelArgs?: string[];
    /** Installer image for `machine.install.image`, e.g. "factory.talos.dev/metal-installer/<schematic>:v1.12.4". */
    installerImage: string;
    /** kubelet `nodeIP.validSubnets`. Default the tailnet ranges ["100.64.0.0/10", "fd7a:115c:a1e0::/48"]. */
    validSubnets?: string[];
    /** Key backend and its non-secret parameters. */
    keyBackend: KeyBackendSettings;
    /** Log level. Default "info". */
    logLevel?: LogLevel;
    /** Edge sites and their inventories (at least one). */
    sites: BootSiteInput[];
}

/** Environment variables the service reads its secrets from (each a Secret Manager secret on Cloud Run). */
export const BOOT_SECRET_ENV = {
    /** The cluster's Talos worker config, multi-document YAML. */
    baseConfig: "BOOT_BASE_CONFIG",
    /** JSON object site name -> site token. */
    siteTokens: "BOOT_SITE_TOKENS",
    tsOauthClientId: "TS_OAUTH_CLIENT_ID",
    tsOauthClientSecret: "TS_OAUTH_CLIENT_SECRET",
    headscaleApiKey: "HEADSCALE_API_KEY",
    /** JSON object machine -> auth key (keyBackend "static"). */
    staticKeys: "BOOT_STATIC_KEYS",
    /** postgres:// URL; absent = embedded PGlite. */
    databaseUrl: "BOOT_DATABASE_URL",
    /**
     * Bearer credential of the read-only admin API (`/v1/admin/...`); absent = admin API off.
     * Its own secret: never a site token (the service refuses one that equals a site token).
     */
    adminToken: "BOOT_ADMIN_TOKEN",
    /**
     * The stack's VM identity key (model/vmIdentity.ts): the service derives the SMBIOS UUID and
     * serial of every inventory machine marked `derivedIdentity` from it at start-up. One value
     * of constant size whatever the number of VMs; required when any machine is so marked.
     */
    vmIdentityKey: "BOOT_VM_IDENTITY_KEY",
} as const;

/** Path prefix of the admin API (bearer `BOOT_ADMIN_TOKEN`); docs/boot-service-api.md lists its routes. */
export const ADMIN_API_PREFIX = "/v1/admin";

/** The non-secret settings variable. */
export const BOOT_SETTINGS_ENV = "BOOT_SETTINGS";

/**
 * The variable naming the inventory file, which replaces BOOT_SETTINGS.sites: Cloud Run caps one
 * environment variable at 32 KiB, a few hundred machines' worth of inventory.
 */
export const BOOT_INVENTORY_FILE_ENV = "BOOT_INVENTORY_FILE";

/** Where the deployed source bundle carries the inventory, next to server.js (the working directory). */
export const BUNDLED_INVENTORY_FILE = "inventory.json";

/** The inventory file's content: the one serialisation the bundle writes and the stack checks against. */
export function inventoryFileText(sites: BootSiteInput[]): string {
    return `${JSON.stringify({ sites })}\n`;
}

/** The service form of a stack machine, as BOOT_SETTINGS carries it. */
export function bootMachineInput(m: EdgeMachineConfig): BootMachineInput {
    return bootMachineOf(m);
}

/**
 * The service's inventory: the same entries that drive the DHCP leases and the VMs, in the
 * stack config's order (sites, and machines within a site), which the admin API reports as each
 * machine's `edgeSites[i].machines[j]` position.
 */
export function inventoryFromSites(sites: ReadonlyArray<{ name: string; machines: EdgeMachineConfig[] }>): BootSiteInput[] {
    return sites.map((site) => ({ name: site.name, machines: site.machines.map(bootMachineInput) }));
}

/** Path of a site's iPXE entry script. */
export function siteScriptPath(site: string): string {
    return `/v1/sites/${encodeURIComponent(site)}/boot.ipxe`;
}

/**
 * The per-site URL DHCP hands to iPXE: `https://<site>:<token>@<svc>/v1/sites/<site>/boot.ipxe`.
 * The site token rides as the URL's credentials, which iPXE sends as HTTP Basic after the service's
 * 401 challenge, so it is in no request line (Cloud Run's request logs record URLs with their
 * query strings, not `Authorization` headers): docs/decisions/0008. The URL is a secret all the
 * same (it sits in the site's DHCP config and answers).
 */
export function siteBootUrl(serviceUrl: string, site: string, token: string): string {
    const m = /^(https?):\/\/([^/?#@]+)\/*$/.exec(serviceUrl);
    if (!m) throw new Error("siteBootUrl: the service URL must be scheme://host[:port] with no path, query or credentials (value not shown)");
    return `${m[1]}://${encodeURIComponent(site)}:${encodeURIComponent(token)}@${m[2]}${siteScriptPath(site)}`;
}
