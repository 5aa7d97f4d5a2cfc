/**
 * The lab's checks of the encrypted boot chain (decisions 0008, 0009), from what the boot
 * service's TLS front end saw (one `https-request` line per request, never a credential's value)
 * and what a VM's console showed. Pure: test/lab.test.ts feeds them observations directly.
 */
import type { CheckResult } from "./checks";

/** One request through the TLS front end, as infra/lab/ns-services.ts reports it. */
export interface HttpsRequestSeen {
    path: string;
    status: number;
    /** "none", "basic" or "other". */
    auth: string;
    queryHasToken: boolean;
    /** e.g. "TLSv1.2". */
    tls: string;
    cipher: string;
}

/** The TLS version and cipher the site's iPXE negotiated, for the summary line ("TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256"). */
export function negotiated(requests: readonly HttpsRequestSeen[]): string | undefined {
    const r = requests.find((x) => x.path.endsWith("/boot.ipxe") && x.status === 200);
    return r ? `${r.tls} ${r.cipher}` : undefined;
}

/**
 * A machine that booted through the chain (`label` names its firmware): both scripts and the
 * config over TLS 1.2, the site script first challenged (401) and then served for Basic
 * credentials, the machine script for the same credentials, and the token never in a query.
 */
export function checkHttpsChain(label: string, site: string, requests: readonly HttpsRequestSeen[], tokenInQueryWarnings: number): CheckResult[] {
    const sitePath = `/v1/sites/${site}/boot.ipxe`;
    const machinePath = `/v1/sites/${site}/machine.ipxe`;
    const siteRequests = requests.filter((r) => r.path === sitePath);
    const challenged = siteRequests.findIndex((r) => r.status === 401 && r.auth === "none");
    const served = siteRequests.findIndex((r) => r.status === 200 && r.auth === "basic");
    const machine = requests.filter((r) => r.path === machinePath && r.status === 200);
    const config = requests.filter((r) => r.path === "/v1/config/[ticket]" && r.status === 200);
    const notTls12 = requests.filter((r) => r.tls !== "TLSv1.2");
    const withToken = requests.filter((r) => r.queryHasToken);
    const show = (rs: readonly HttpsRequestSeen[]) => rs.map((r) => `${r.path} ${r.status} ${r.auth}`).join("; ") || "none";
    return [
        {
            name: `${label}: site script over HTTPS: 401 challenge, then served for Basic credentials`,
            ok: challenged >= 0 && served > challenged,
            detail: show(siteRequests),
        },
        {
            name: `${label}: machine script over HTTPS with the same credentials`,
            ok: machine.length > 0 && machine.every((r) => r.auth === "basic"),
            detail: show(requests.filter((r) => r.path === machinePath)),
        },
        {
            name: `${label}: talos.config fetched over HTTPS`,
            ok: config.length > 0,
            detail: show(requests.filter((r) => r.path === "/v1/config/[ticket]")),
        },
        {
            name: `${label}: every request over TLS 1.2`,
            ok: requests.length > 0 && notTls12.length === 0,
            detail: notTls12.length === 0 ? negotiated(requests) ?? `${requests.length} request(s)` : `not TLS 1.2: ${notTls12.map((r) => `${r.path} ${r.tls}`).join("; ")}`,
        },
        {
            name: `${label}: the site token only as credentials, never in a query string`,
            ok: withToken.length === 0 && tokenInQueryWarnings === 0,
            detail: withToken.length === 0 && tokenInQueryWarnings === 0 ? "no request carried ?token=" : `${withToken.length} request(s) with ?token=, ${tokenInQueryWarnings} token_in_query warning(s)`,
        },
    ];
}

/** What the lab saw of the VM whose DHCP pinned another root. */
export interface WrongPinObservation {
    /** iPXE's refusal on the console ("Permission denied (https://ipxe.org/0216eb…)"), if seen. */
    consoleRefusal?: string;
    /** Handshakes the front end saw this VM abort. */
    handshakesAborted: number;
    /** Requests of this VM that reached the service through the front end. */
    requests: number;
    /** What the service issued to this machine: audit events naming its MAC or address. */
    issued: string[];
}

export function checkWrongPin(machine: string, o: WrongPinObservation): CheckResult[] {
    return [
        {
            name: `wrong pin: ${machine}'s iPXE refused the service's certificate`,
            ok: o.consoleRefusal !== undefined && o.handshakesAborted > 0,
            detail: `${o.consoleRefusal ?? "no refusal on the console"}; ${o.handshakesAborted} handshake(s) aborted`,
        },
        {
            name: `wrong pin: no request of ${machine} reached the service, nothing was issued to it`,
            ok: o.requests === 0 && o.issued.length === 0,
            detail: o.requests === 0 && o.issued.length === 0 ? "no request, no script, ticket or key" : `${o.requests} request(s); issued: ${o.issued.join(", ") || "none"}`,
        },
    ];
}
