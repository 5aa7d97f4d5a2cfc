/**
 * iPXE scripts the service answers with. Pure functions over validated values.
 *
 * Injection safety does not rest on escaping: every value that is interpolated is checked
 * again here against a strict allowlist (no whitespace, no `$`, no `|`/`&&`/`;`/`#`, no quotes)
 * and rendering throws if one does not match. Nothing a request supplied is ever interpolated:
 * scripts use iPXE's own variables (`${mac}`) where they need the machine's identifiers.
 *
 * Retries use iPXE's integer settings: `set attempts:int32 0`, `inc attempts`,
 * `iseq ${attempts} N && goto give_up ||` (the trailing `||` keeps a false test from aborting
 * the script), then `reboot` so the firmware starts over (DHCP again) rather than hanging.
 */
import { DNS_LABEL, KERNEL_ARG, TICKET, SITE_TOKEN } from "./formats";

/** Query parameters iPXE fills in for the per-machine request. `serial` is URI-encoded by iPXE itself. */
export const MACHINE_QUERY_TEMPLATE =
    "mac=${mac:hexhyp}&uuid=${uuid}&serial=${serial:uristring}&arch=${buildarch}&platform=${platform}";

/** A base URL (scheme://host[:port]) as produced by checkHttpUrl / the request-derived origin. */
const BASE_URL = /^https?:\/\/[A-Za-z0-9.-]+(?::[0-9]{1,5})?$|^https?:\/\/\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?$/;
/** Asset URLs after checkHttpUrl: no whitespace, `$`, `|`, `#`, quotes, `;`. */
const ASSET_URL = /^https?:\/\/[A-Za-z0-9._~:/?=&%+@,-]+$/;

function assertSafe(value: string, re: RegExp, what: string): string {
    if (!re.test(value) || value.includes("&&")) {
        // The value itself is not quoted: it may be a secret.
        throw new Error(`refusing to render an iPXE script: ${what} is not in its allowlist`);
    }
    return value;
}

export interface RetryPolicy {
    /** Attempts before giving up and rebooting (>= 1). */
    attempts: number;
    /** Pause between attempts, seconds. */
    delaySeconds: number;
}

function checkRetry(r: RetryPolicy): void {
    if (!Number.isInteger(r.attempts) || r.attempts < 1 || !Number.isInteger(r.delaySeconds) || r.delaySeconds < 1) {
        throw new Error("refusing to render an iPXE script: retry policy must be positive integers");
    }
}

/**
 * The machine URL the site and wait scripts chain to. Relative on purpose: iPXE resolves it against
 * the URL it fetched the script from and keeps that URL's user and password (RFC 3986 reference
 * resolution; iPXE's `resolve_uri` copies the base's credentials), so the site token travels only
 * as HTTP Basic credentials and appears in no script and no query string.
 */
export const MACHINE_URL = `machine.ipxe?${MACHINE_QUERY_TEMPLATE}`;

/**
 * The site boot URL in its old form, the token in the query string.
 * @deprecated accepted for one release (docs/decisions/0008); the stack hands out
 * `siteBootUrl` (model/bootContract.ts), which carries the token as credentials.
 */
export function siteScriptUrl(baseUrl: string, site: string, token: string): string {
    assertSafe(baseUrl, BASE_URL, "base URL");
    assertSafe(site, DNS_LABEL, "site name");
    assertSafe(token, SITE_TOKEN, "site token");
    return `${baseUrl}/v1/sites/${site}/boot.ipxe?token=${token}`;
}

/**
 * The per-machine URL in its old form (absolute, token in the query), with iPXE variables left for
 * iPXE to expand. Only for a request that itself came with `?token=`: an old boot URL has no
 * credentials for `MACHINE_URL` to inherit.
 * @deprecated with the query-string token (docs/decisions/0008).
 */
export function machineUrlTemplate(baseUrl: string, site: string, token: string): string {
    assertSafe(baseUrl, BASE_URL, "base URL");
    assertSafe(site, DNS_LABEL, "site name");
    assertSafe(token, SITE_TOKEN, "site token");
    return `${baseUrl}/v1/sites/${site}/machine.ipxe?token=${token}&${MACHINE_QUERY_TEMPLATE}`;
}

/** The URL Talos fetches its config from (`talos.config=`). */
export function configUrl(baseUrl: string, ticket: string): string {
    assertSafe(baseUrl, BASE_URL, "base URL");
    assertSafe(ticket, TICKET, "ticket");
    return `${baseUrl}/v1/config/${ticket}`;
}

/** Lines that jump back to `label` until `attempts` is reached, then reboot. */
function retryTail(label: string, retry: RetryPolicy, what: string): string[] {
    return [
        ":retry",
        "inc attempts",
        `iseq \${attempts} ${retry.attempts} && goto give_up ||`,
        `echo ${what} failed, attempt \${attempts} of ${retry.attempts}, retrying in ${retry.delaySeconds} s`,
        `sleep ${retry.delaySeconds}`,
        `goto ${label}`,
        ":give_up",
        `echo ${what} failed ${retry.attempts} times, rebooting in ${retry.delaySeconds} s`,
        `sleep ${retry.delaySeconds}`,
        "reboot",
        "",
    ];
}

/** Chains to `url` with a bounded retry loop. `url` is the machine URL template (iPXE variables inside). */
function chainLines(url: string, retry: RetryPolicy): string[] {
    return [
        "set attempts:int32 0",
        ":chain",
        `chain --replace --autofree ${url} || goto retry`,
        ...retryTail("chain", retry, "asking the boot service"),
    ];
}

function checkMachineUrl(url: string): string {
    if (url === MACHINE_URL) return url;
    const suffix = `&${MACHINE_QUERY_TEMPLATE}`;
    if (!url.endsWith(suffix)) throw new Error("refusing to render an iPXE script: not a machine URL template");
    const head = url.slice(0, -suffix.length);
    const m = /^(.*)\/v1\/sites\/([^/]+)\/machine\.ipxe\?token=(.*)$/.exec(head);
    if (!m) throw new Error("refusing to render an iPXE script: not a machine URL template");
    assertSafe(m[1], BASE_URL, "base URL");
    assertSafe(m[2], DNS_LABEL, "site name");
    assertSafe(m[3], SITE_TOKEN, "site token");
    return url;
}

/** Answer to `GET /v1/sites/<site>/boot.ipxe`: chain to the per-machine URL. */
export function renderSiteScript(opts: { site: string; machineUrl: string; retry: RetryPolicy }): string {
    assertSafe(opts.site, DNS_LABEL, "site name");
    checkMachineUrl(opts.machineUrl);
    checkRetry(opts.retry);
    return [
        "#!ipxe",
        `# talos-cloud-edge boot service: site ${opts.site}`,
        ...chainLines(opts.machineUrl, opts.retry),
    ].join("\n");
}

export interface MachineBootScriptOptions {
    site: string;
    machine: string;
    kernelUrl: string;
    initramfsUrl: string;
    /** Console and extra kernel arguments (each checked against KERNEL_ARG). */
    kernelArgs: readonly string[];
    /** The ticket's config URL from `configUrl`. */
    configUrl: string;
    retry: RetryPolicy;
}

/** The full kernel command line: platform first, `talos.config` last. */
export function kernelCommandLine(kernelArgs: readonly string[], configUrlValue: string): string {
    const args = ["talos.platform=metal", ...kernelArgs, `talos.config=${configUrlValue}`];
    for (const arg of args) assertSafe(arg, KERNEL_ARG, "kernel argument");
    const line = args.join(" ");
    if (line.length > 4000) throw new Error("refusing to render an iPXE script: kernel command line over 4000 characters");
    return line;
}

/**
 * Answer for a known machine: boot the edge schematic's kernel and initramfs straight from
 * their URLs (the service never proxies them), with `talos.config` pointing at the ticket.
 */
export function renderMachineBootScript(o: MachineBootScriptOptions): string {
    assertSafe(o.site, DNS_LABEL, "site name");
    assertSafe(o.machine, DNS_LABEL, "machine name");
    assertSafe(o.kernelUrl, ASSET_URL, "kernel URL");
    assertSafe(o.initramfsUrl, ASSET_URL, "initramfs URL");
    const m = /^(https?:\/\/.+)\/v1\/config\/([^/]+)$/.exec(o.configUrl);
    if (!m) throw new Error("refusing to render an iPXE script: not a config URL");
    assertSafe(m[1], BASE_URL, "base URL");
    assertSafe(m[2], TICKET, "ticket");
    checkRetry(o.retry);
    const cmdline = kernelCommandLine(o.kernelArgs, o.configUrl);
    return [
        "#!ipxe",
        `# talos-cloud-edge boot service: machine ${o.machine} at site ${o.site}`,
        `echo Booting Talos for ${o.machine} at site ${o.site}`,
        "set attempts:int32 0",
        ":assets",
        "imgfree",
        `kernel ${o.kernelUrl} ${cmdline} || goto retry`,
        `initrd ${o.initramfsUrl} || goto retry`,
        "boot || goto retry",
        ...retryTail("assets", o.retry, "loading the Talos kernel and initramfs"),
    ].join("\n");
}

/**
 * Answer for a machine that already got a config for its current enrollment generation: say
 * so on the console and leave iPXE. With no ticket the service hands out nothing here.
 *
 * `exit 1`, not `exit`: iPXE returns the status to the firmware, and a UEFI boot manager
 * that sees success may stop at its menu, while an error makes it try the next boot option
 * (the disk). BIOS firmware moves on either way. Same as infra/ipxe/embed.ipxe's give-up.
 */
export function renderLocalBootScript(opts: { site: string; machine: string; enrollment: number }): string {
    assertSafe(opts.site, DNS_LABEL, "site name");
    assertSafe(opts.machine, DNS_LABEL, "machine name");
    if (!Number.isInteger(opts.enrollment) || opts.enrollment < 1) {
        throw new Error("refusing to render an iPXE script: enrollment must be a positive integer");
    }
    return [
        "#!ipxe",
        `# talos-cloud-edge boot service: machine ${opts.machine} at site ${opts.site} is enrolled`,
        `echo ${opts.machine} at site ${opts.site} already got its config, enrollment ${opts.enrollment}: booting from the local disk`,
        `echo To reinstall it, raise its enrollment in the stack config and run pulumi up, then reboot it`,
        "exit 1",
        "",
    ].join("\n");
}

/**
 * Answer for a machine the inventory does not know: say so on the console, wait, then ask
 * again with fresh iPXE values. Once the machine is added, the next ask gets a boot script.
 */
export function renderWaitScript(opts: { site: string; machineUrl: string; waitSeconds: number; retry: RetryPolicy }): string {
    assertSafe(opts.site, DNS_LABEL, "site name");
    checkMachineUrl(opts.machineUrl);
    checkRetry(opts.retry);
    if (!Number.isInteger(opts.waitSeconds) || opts.waitSeconds < 1) {
        throw new Error("refusing to render an iPXE script: wait must be a positive integer");
    }
    return [
        "#!ipxe",
        `# talos-cloud-edge boot service: unknown machine at site ${opts.site}`,
        `echo This machine, MAC \${mac} UUID \${uuid} serial \${serial}, is not in the inventory of site ${opts.site}.`,
        "echo It has been recorded as pending. Add it to the inventory and it boots with no further action.",
        `echo Asking again in ${opts.waitSeconds} s`,
        `sleep ${opts.waitSeconds}`,
        ...chainLines(opts.machineUrl, opts.retry),
    ].join("\n");
}
