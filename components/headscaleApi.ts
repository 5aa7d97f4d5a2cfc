/**
 * Reading the overlay from Headscale's REST API: which nodes joined and with which addresses.
 * The program calls these while it runs (like the Tailscale provider's device lookups), so a
 * node's overlay address is found through the control server the stack names.
 *
 * API facts (juanfont/headscale v0.29 `proto/headscale/v1/headscale.proto`, `node.proto`,
 * `preauthkey.proto`, served through grpc-gateway): `GET <url>/api/v1/node` with
 * `Authorization: Bearer <api key>` answers `{nodes: [{id, name, givenName, ipAddresses: [...],
 * preAuthKey: {id, ...}, online, lastSeen, createdAt, ...}]}`; uint64 ids are decimal strings.
 */
import { TAILNET_IPV4_CIDR } from "./model";
import { cidrContains, parseCidr, parseIp } from "../model/net";

/** The fields of a Headscale node this program reads. */
export interface HeadscaleNode {
    id: string;
    /** The name the node registered with (its TS_HOSTNAME). */
    name: string;
    /** The name Headscale gives it in MagicDNS (equal to `name` unless that was taken). */
    givenName: string;
    ipAddresses: string[];
    /** Id of the pre-auth key the node registered with; "" when none. */
    preAuthKeyId: string;
    online: boolean;
    /** RFC 3339, "" when never seen. */
    lastSeen: string;
}

const str = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");

/** The nodes of a `ListNodes` answer; throws on an answer of another shape. */
export function parseNodeList(body: unknown): HeadscaleNode[] {
    const nodes = (body as { nodes?: unknown } | null)?.nodes;
    if (nodes === undefined || nodes === null) {
        return [];
    }
    if (!Array.isArray(nodes)) {
        throw new Error("Headscale ListNodes answered without a nodes list");
    }
    return nodes.map((n: Record<string, unknown>) => ({
        id: str(n.id),
        name: str(n.name),
        givenName: str(n.givenName),
        ipAddresses: Array.isArray(n.ipAddresses) ? n.ipAddresses.map(str) : [],
        preAuthKeyId: str((n.preAuthKey as Record<string, unknown> | undefined)?.id),
        online: n.online === true,
        lastSeen: str(n.lastSeen),
    }));
}

/** The node's overlay IPv4 (inside 100.64.0.0/10, Headscale's default `prefixes.v4`). */
export function overlayIpv4(node: HeadscaleNode): string | undefined {
    const range = parseCidr(TAILNET_IPV4_CIDR)!;
    return node.ipAddresses.find((a) => {
        const ip = parseIp(a);
        return ip !== undefined && ip.version === 4 && cidrContains(range, ip);
    });
}

/**
 * The node that registered with the pre-auth key `keyId`: a single-use key enrolls exactly one
 * node, so this identifies a cloud node without trusting names (a rebuilt node under the same
 * name gets a new key). Undefined while it has not joined.
 */
export function nodeByPreAuthKey(nodes: readonly HeadscaleNode[], keyId: string): HeadscaleNode | undefined {
    return nodes.find((n) => n.preAuthKeyId !== "" && n.preAuthKeyId === keyId);
}

/** Nodes as the day-two code sees tailnet devices (hostname, addresses, last seen). */
export function asTailnetDevices(nodes: readonly HeadscaleNode[]): Array<{ hostname: string; addresses: string[]; authorized: boolean; lastSeen: string }> {
    return nodes.map((n) => ({ hostname: n.name || n.givenName, addresses: [...n.ipAddresses], authorized: true, lastSeen: n.lastSeen }));
}

/** Milliseconds of a Go duration ("10m", "1h30m", "90s"); throws on anything else. */
export function goDurationMs(text: string): number {
    const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
        throw new Error(`"${text}" is not a duration like "10m", "90s" or "1h30m"`);
    }
    return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0);
}

/** Options of the API calls. */
export interface HeadscaleApiOptions {
    /** Server URL (https; http only on the loopback interface). */
    url: string;
    /** API key (secret): sent as a bearer token, never shown in errors. */
    apiKey: string;
    /** Per-request timeout. Default 15 s. */
    requestTimeoutMs?: number;
}

/** `GET /api/v1/node`: every node the server knows. */
export async function listHeadscaleNodes(o: HeadscaleApiOptions): Promise<HeadscaleNode[]> {
    const base = o.url.replace(/\/+$/, "");
    const u = new URL(base);
    const loopback = u.hostname === "127.0.0.1" || u.hostname === "localhost" || u.hostname === "[::1]";
    if (u.protocol !== "https:" && !(u.protocol === "http:" && loopback)) {
        throw new Error(`Headscale URL ${base} is not https (the API key goes with every request)`);
    }
    const res = await fetch(`${base}/api/v1/node`, {
        headers: { authorization: `Bearer ${o.apiKey}`, accept: "application/json" },
        signal: AbortSignal.timeout(o.requestTimeoutMs ?? 15_000),
    });
    const text = await res.text();
    if (res.status !== 200) {
        throw new Error(`Headscale GET ${base}/api/v1/node: HTTP ${res.status} ${text.split(o.apiKey).join("<api key>").replace(/\s+/g, " ").slice(0, 200)}`);
    }
    return parseNodeList(JSON.parse(text));
}

/**
 * Polls the node list until the node that registered with `keyId` has an overlay IPv4, and
 * returns that address; fails after `timeoutMs` naming the node and what was seen.
 */
export async function waitForHeadscaleNode(o: HeadscaleApiOptions & { hostname: string; keyId: string; timeoutMs: number; pollMs?: number }): Promise<string> {
    const deadline = Date.now() + o.timeoutMs;
    let last = "no answer yet";
    for (;;) {
        try {
            const node = nodeByPreAuthKey(await listHeadscaleNodes(o), o.keyId);
            const ip = node && overlayIpv4(node);
            if (ip) {
                return ip;
            }
            last = node ? `registered as "${node.givenName || node.name}" without an address in ${TAILNET_IPV4_CIDR}` : `no node registered with pre-auth key ${o.keyId}`;
        } catch (err) {
            last = err instanceof Error ? err.message : String(err);
        }
        if (Date.now() >= deadline) {
            throw new Error(`node "${o.hostname}" did not join Headscale within ${Math.round(o.timeoutMs / 1000)} s (${last}); check its console and that it reaches ${o.url}`);
        }
        await new Promise((r) => setTimeout(r, Math.min(o.pollMs ?? 5000, Math.max(0, deadline - Date.now()))));
    }
}
