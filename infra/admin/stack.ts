/**
 * What the `machines` CLI reads from a Pulumi stack through the Pulumi CLI: the boot service's
 * URL and admin credential (stack outputs `bootServiceUrl` and the secret `bootAdminToken`),
 * and the stack config's `edgeSites` (for the positions and free addresses of new machines).
 * Arguments go to the CLI as a list (no shell); the credential is read with `--show-secrets`,
 * kept in memory and never printed.
 */
import type { Exec } from "../day-two/exec";
import { ToolError } from "../day-two/exec";
import type { StackSiteLayout } from "./enroll";

/** Stack outputs the CLI reads (the object stacks/index.ts returns, built by stacks/outputs.ts). */
export const STACK_OUTPUTS = { url: "bootServiceUrl", adminToken: "bootAdminToken" } as const;

/** The stack config key holding the edge sites and their machines. */
export const EDGE_SITES_KEY = "talos-cloud-edge:edgeSites";

export interface AdminTarget {
    url: string;
    token: string;
}

async function pulumi(exec: Exec, pulumiBin: string, args: string[], what: string): Promise<string> {
    const r = await exec(pulumiBin, args, { timeoutMs: 120_000 });
    // The Pulumi CLI's stdout may hold the secret just asked for: only stderr goes into the error.
    if (r.code !== 0) throw new ToolError(what, { ...r, stdout: "" });
    return r.stdout;
}

/** The service URL and admin credential of `stack` (undefined = the selected stack). */
export async function readAdminTarget(exec: Exec, pulumiBin: string, stack: string | undefined): Promise<AdminTarget> {
    const on = stack ? ["--stack", stack] : [];
    const name = `stack ${stack ?? "(selected)"}`;
    const url = (await pulumi(exec, pulumiBin, ["stack", "output", STACK_OUTPUTS.url, ...on], `pulumi stack output ${STACK_OUTPUTS.url}`)).trim();
    if (!/^https?:\/\/[^\s/]+$/.test(url)) {
        throw new Error(`${name} has no usable ${STACK_OUTPUTS.url} output (got ${url === "" ? "nothing" : JSON.stringify(url.slice(0, 80))}); run pulumi up first`);
    }
    const token = (
        await pulumi(exec, pulumiBin, ["stack", "output", STACK_OUTPUTS.adminToken, "--show-secrets", ...on], `pulumi stack output ${STACK_OUTPUTS.adminToken}`)
    ).trim();
    if (token === "") throw new Error(`${name} has no ${STACK_OUTPUTS.adminToken} output; deploy a version of the stack that exports it`);
    return { url, token };
}

/** The `edgeSites` stack config as the CLI needs it. Throws naming the key when it cannot be read. */
export async function readStackSites(exec: Exec, pulumiBin: string, stack: string | undefined): Promise<StackSiteLayout[]> {
    const on = stack ? ["--stack", stack] : [];
    const out = await pulumi(exec, pulumiBin, ["config", "get", EDGE_SITES_KEY, "--json", ...on], `pulumi config get ${EDGE_SITES_KEY}`);
    return parseEdgeSitesConfig(out);
}

/**
 * Reads `pulumi config get <key> --json` output: `{"value": "<json text>", "objectValue": …}`
 * for structured config. Only the fields placement needs are kept.
 */
export function parseEdgeSitesConfig(text: string): StackSiteLayout[] {
    let raw: unknown;
    try {
        const outer = JSON.parse(text) as { value?: unknown; objectValue?: unknown };
        raw = outer.objectValue ?? (typeof outer.value === "string" ? JSON.parse(outer.value) : outer.value);
    } catch {
        throw new Error(`${EDGE_SITES_KEY}: the Pulumi CLI's answer is not the JSON of a list of sites`);
    }
    if (!Array.isArray(raw)) throw new Error(`${EDGE_SITES_KEY}: is not a list of sites`);
    return raw.map((site: unknown, index: number): StackSiteLayout => {
        const s = (site ?? {}) as Record<string, any>;
        const machines: unknown[] = Array.isArray(s.machines) ? s.machines : [];
        return {
            name: String(s.name ?? ""),
            index,
            machines: machines.map((m) => {
                const x = (m ?? {}) as Record<string, unknown>;
                return {
                    name: String(x.name ?? ""),
                    mac: String(x.mac ?? "").toLowerCase().replace(/-/g, ":"),
                    ...(typeof x.ip === "string" ? { ip: x.ip } : {}),
                    enrollment: typeof x.enrollment === "number" ? x.enrollment : 1,
                };
            }),
            ...(s.dhcp && typeof s.dhcp === "object"
                ? { dhcp: { rangeStart: String(s.dhcp.rangeStart ?? ""), rangeEnd: String(s.dhcp.rangeEnd ?? ""), serverAddress: String(s.dhcp.serverAddress ?? "") } }
                : {}),
            ...(s.bridge && typeof s.bridge.gatewayCidr === "string" ? { gatewayCidr: s.bridge.gatewayCidr } : {}),
        };
    });
}
