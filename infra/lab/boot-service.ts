/**
 * How the lab runs the real boot service (infra/boot-server): its lab inventory and
 * BOOT_SETTINGS, the secrets it reads from the environment, a throwaway worker config, and
 * the parser for its structured JSON log lines (the audit events the timeline and checks use).
 * Pure functions except `labSecrets` (random values).
 */
import { randomBytes } from "node:crypto";
import { stringify } from "yaml";
import type { BootSettingsInput } from "../boot-server/src/settings";
import { BOOT_SERVICE_PORT, HTTPS_PORT, INVENTORY_MACHINES, LAB_GATEWAY, LAB_SITE } from "./plan";

/** Tags the fake OAuth client owns and the minted keys carry. */
export const LAB_KEY_TAGS = ["tag:edge"];
/** Extra label on the lab machine, checked in the served config. */
export const LAB_MACHINE_LABELS: Record<string, string> = { "talos-cloud-edge.dev/lab": "true" };
/** Where the lab machine would install (it has no disk; nothing gets that far). */
export const LAB_INSTALL_DISK = "/dev/vda";
/**
 * Installer image when Image Factory is unreachable (the stand-in run). A syntactically valid
 * reference whose repository says what it is; with real Talos assets the factory's installer
 * for the lab schematic is used instead.
 */
export const OFFLINE_INSTALLER_IMAGE = "factory.talos.dev/metal-installer/offline-lab-schematic:v1.12.4";

/** What the VMs talk to: the TLS front end on the bridge, as Cloud Run's `https://…run.app`. */
export function bootServicePublicUrl(): string {
    return `https://${LAB_GATEWAY}:${HTTPS_PORT}`;
}

/** The service itself, plain HTTP on the namespace's loopback, behind the front end. */
export function bootServiceInternalUrl(): string {
    return `http://127.0.0.1:${BOOT_SERVICE_PORT}`;
}

export interface LabSettingsInput {
    /** Base URL of the static asset server, e.g. http://10.77.0.1:8081/assets. */
    assetsUrl: string;
    kernelName: string;
    initramfsName: string;
    /** The fake Tailscale API origin (namespace loopback). */
    tailscaleApiUrl: string;
    installerImage: string;
    /** Extra kernel arguments (`panic=-1` so a failing stand-in ends the VM). */
    kernelArgs: string[];
}

/**
 * A zstd frame holding `data` uncompressed (one raw block; RFC 8878 §3.1): what Talos's
 * `talos.config.early` takes (base64 of zstd), without a zstd library. At most 128 KiB.
 */
export function zstdRawFrame(data: Buffer): Buffer {
    if (data.length > 128 * 1024) throw new Error("zstdRawFrame: more than one block (128 KiB)");
    const header = Buffer.alloc(4 + 1 + 4 + 3);
    header.writeUInt32LE(0xfd2fb528, 0); // magic
    header[4] = 0xa0; // Single_Segment, 4-byte Frame_Content_Size, no checksum, no dictionary
    header.writeUInt32LE(data.length, 5);
    const block = (data.length << 3) | 1; // Block_Size, Raw_Block (type 0), Last_Block
    header[9] = block & 0xff;
    header[10] = (block >> 8) & 0xff;
    header[11] = (block >> 16) & 0xff;
    return Buffer.concat([header, data]);
}

/**
 * The kernel argument that makes real Talos trust the lab's root for its HTTPS config download
 * (`talos.config.early`: a `TrustedRootsConfig`, read before `talos.config`). The stand-in does
 * not verify certificates (busybox wget), so it does not need it.
 */
export function talosTrustedRootsArg(rootPem: string): string {
    const doc = stringify({ apiVersion: "v1alpha1", kind: "TrustedRootsConfig", name: "talos-cloud-edge-lab", certificates: rootPem.trim() + "\n" });
    return `talos.config.early=${zstdRawFrame(Buffer.from(doc)).toString("base64")}`;
}

/**
 * BOOT_SETTINGS for the lab: one site, one machine (MAC + SMBIOS UUID the VM gets from
 * `-uuid`), assets on the lab's static server, tailscale key backend pointed at the fake API,
 * short waits so the unknown VM asks again within the watch window.
 */
export function labBootSettings(input: LabSettingsInput): BootSettingsInput {
    const base = input.assetsUrl.replace(/\/+$/, "");
    return {
        publicUrl: bootServicePublicUrl(),
        // The TLS front end forwards with X-Forwarded-For/-Proto, as Cloud Run's does.
        trustedProxyHops: 1,
        ticketTtlSeconds: 300,
        rateLimitPerMinute: 600,
        unknownMachineRetrySeconds: 5,
        chainAttempts: 3,
        chainRetryDelaySeconds: 2,
        assets: { amd64: { kernelUrl: `${base}/${input.kernelName}`, initramfsUrl: `${base}/${input.initramfsName}` } },
        consoleArgs: ["console=ttyS0,115200"],
        kernelArgs: input.kernelArgs,
        installerImage: input.installerImage,
        keyBackend: { kind: "tailscale", apiBaseUrl: input.tailscaleApiUrl, tags: LAB_KEY_TAGS, expirySeconds: 600 },
        logLevel: "info",
        sites: [
            {
                name: LAB_SITE,
                machines: INVENTORY_MACHINES.map((m) => ({
                    name: m.name,
                    mac: m.mac,
                    uuid: m.uuid,
                    installDisk: LAB_INSTALL_DISK,
                    labels: { ...LAB_MACHINE_LABELS },
                })),
            },
        ],
    };
}

export interface LabSecrets {
    siteToken: string;
    oauthClientId: string;
    oauthClientSecret: string;
}

/** Fresh per run; never leave the lab's namespace. */
export function labSecrets(): LabSecrets {
    const token = (n: number): string => randomBytes(n).toString("base64url").replace(/[^A-Za-z0-9]/g, "x");
    return { siteToken: token(24), oauthClientId: `lab${token(9)}`, oauthClientSecret: `tskey-client-lab-${token(24)}` };
}

/**
 * A throwaway worker config in the shape `talosctl gen config` produces (v1alpha1 + a
 * HostnameConfig{auto: stable} the service must replace). It joins no cluster: the lab has none.
 */
export function labBaseConfig(caPem: string): string {
    const ca = Buffer.from(caPem).toString("base64");
    const hex = (n: number): string => randomBytes(n).toString("hex");
    const v1 = {
        version: "v1alpha1",
        debug: false,
        persist: true,
        machine: {
            type: "worker",
            token: `${hex(3)}.${hex(8)}`,
            ca: { crt: ca, key: "" },
            certSANs: [],
            kubelet: { image: "ghcr.io/siderolabs/kubelet:v1.35.0", defaultRuntimeSeccompProfileEnabled: true },
            network: {},
            install: { disk: "/dev/sda", image: "ghcr.io/siderolabs/installer:v1.12.4", wipe: false },
        },
        cluster: {
            id: randomBytes(32).toString("base64"),
            secret: randomBytes(32).toString("base64"),
            controlPlane: { endpoint: "https://100.64.0.1:6443" },
            clusterName: "lab",
            network: { dnsDomain: "cluster.local", podSubnets: ["10.244.0.0/16"], serviceSubnets: ["10.96.0.0/12"] },
            token: `${hex(3)}.${hex(8)}`,
            ca: { crt: ca, key: "" },
            discovery: { enabled: true },
        },
    };
    const hostname = { apiVersion: "v1alpha1", kind: "HostnameConfig", auto: "stable" };
    return `${stringify(v1)}---\n${stringify(hostname)}`;
}

/** The environment for `infra/boot-server/src/server.ts` inside the namespace. */
export function labBootEnv(opts: {
    settings: BootSettingsInput;
    secrets: LabSecrets;
    baseConfigFile: string;
    dataDir: string;
}): Record<string, string> {
    return {
        BOOT_SETTINGS: JSON.stringify(opts.settings),
        BOOT_BASE_CONFIG_FILE: opts.baseConfigFile,
        BOOT_SITE_TOKENS: JSON.stringify({ [LAB_SITE]: opts.secrets.siteToken }),
        TS_OAUTH_CLIENT_ID: opts.secrets.oauthClientId,
        TS_OAUTH_CLIENT_SECRET: opts.secrets.oauthClientSecret,
        BOOT_DATA_DIR: opts.dataDir,
        // Only the TLS front end reaches it (same namespace), as only Cloud Run's front end reaches the service.
        HOST: "127.0.0.1",
        PORT: String(BOOT_SERVICE_PORT),
    };
}

/** Audit events of the boot service (infra/boot-server/src/logger.ts `AuditEvent`) the lab follows. */
export type BootServiceEvent =
    | { kind: "site-script"; site: string; remote: string }
    | { kind: "ticket-issued"; site: string; machine: string; mac: string; uuid?: string; arch?: string; platform?: string; ticketRef: string; remote: string }
    | { kind: "unknown-machine"; site: string; mac: string; recorded: boolean; seenCount?: number; remote: string }
    /** `enrolled_local_boot`: the machine already got a config for its generation; sent to its disk, nothing issued. */
    | { kind: "local-boot"; site: string; machine: string; mac: string; enrollment?: number; enrolledTicketRef?: string; remote: string }
    | { kind: "config-served"; machine: string; mac: string; keyId: string; ticketRef: string; configSha256: string; remote: string }
    | { kind: "config-refused"; event: string; machine?: string; ticketRef?: string; remote: string }
    /** `token_refused`: `missing` is the 401 challenge iPXE answers with its credentials; the rest are refusals. */
    | { kind: "credentials-refused"; reason: string; remote: string }
    /** `token_in_query` (warning): a request carried the site token in the query string. */
    | { kind: "token-in-query"; remote: string }
    | { kind: "request-failed"; event: string; detail: string }
    | { kind: "listening"; address: string };

const REFUSALS = new Set(["replay_refused", "ticket_expired", "ticket_unknown", "identity_conflict"]);

/**
 * Remembers each request's source address from Fastify's "incoming request" line (audit lines
 * carry only the request id), so events can be attributed to the VM that made the request.
 */
export class RequestAddresses {
    private readonly byId = new Map<string, string>();

    constructor(private readonly max = 1000) {}

    remember(reqId: string, address: string): void {
        this.byId.set(reqId, address);
        if (this.byId.size > this.max) this.byId.delete(this.byId.keys().next().value as string);
    }

    get(reqId: string): string | undefined {
        return this.byId.get(reqId);
    }
}

/**
 * One line of the boot service's stdout (pino JSON), or undefined when it is not an event the
 * lab follows. With `addresses`, request lines are remembered and audit events get their `remote`.
 */
export function parseBootServiceLine(line: string, addresses?: RequestAddresses): BootServiceEvent | undefined {
    const trimmed = line.trim();
    if (!trimmed.startsWith("{")) return undefined;
    let j: Record<string, unknown>;
    try {
        j = JSON.parse(trimmed) as Record<string, unknown>;
    } catch {
        return undefined;
    }
    const s = (v: unknown): string => (typeof v === "string" ? v : "");
    const req = (typeof j.req === "object" && j.req !== null ? j.req : {}) as Record<string, unknown>;
    const reqId = s(j.reqId);
    if (addresses && reqId && s(req.remoteAddress)) addresses.remember(reqId, s(req.remoteAddress));
    const remote = s(req.remoteAddress) || (addresses && reqId ? addresses.get(reqId) ?? "" : "");
    const message = s(j.message) || s(j.msg);
    switch (j.event) {
        case "script_issued":
            return { kind: "site-script", site: s(j.site), remote };
        case "ticket_issued":
            return {
                kind: "ticket-issued",
                site: s(j.site),
                machine: s(j.machine),
                mac: s(j.mac),
                ...(s(j.uuid) ? { uuid: s(j.uuid) } : {}),
                ...(s(j.arch) ? { arch: s(j.arch) } : {}),
                ...(s(j.platform) ? { platform: s(j.platform) } : {}),
                ticketRef: s(j.ticketRef),
                remote,
            };
        case "unknown_machine":
            return {
                kind: "unknown-machine",
                site: s(j.site),
                mac: s(j.mac),
                recorded: j.recorded === true,
                ...(typeof j.seenCount === "number" ? { seenCount: j.seenCount } : {}),
                remote,
            };
        case "enrolled_local_boot":
            return {
                kind: "local-boot",
                site: s(j.site),
                machine: s(j.machine),
                mac: s(j.mac),
                ...(typeof j.enrollment === "number" ? { enrollment: j.enrollment } : {}),
                ...(s(j.enrolledTicketRef) ? { enrolledTicketRef: s(j.enrolledTicketRef) } : {}),
                remote,
            };
        case "config_served":
            return {
                kind: "config-served",
                machine: s(j.machine),
                mac: s(j.mac),
                keyId: s(j.keyId),
                ticketRef: s(j.ticketRef),
                configSha256: s(j.configSha256),
                remote,
            };
        case "token_refused":
            return { kind: "credentials-refused", reason: s(j.reason), remote };
        case "token_in_query":
            return { kind: "token-in-query", remote };
        case "key_mint_failed":
            return { kind: "request-failed", event: "key_mint_failed", detail: s(j.reason) || message };
        default:
            break;
    }
    if (typeof j.event === "string" && REFUSALS.has(j.event)) {
        return { kind: "config-refused", event: j.event, ...(s(j.machine) ? { machine: s(j.machine) } : {}), ...(s(j.ticketRef) ? { ticketRef: s(j.ticketRef) } : {}), remote };
    }
    if (s(j.level) === "error" || s(j.severity) === "ERROR") {
        return { kind: "request-failed", event: "error", detail: message };
    }
    const listening = /Server listening at (\S+)/.exec(message);
    if (listening) return { kind: "listening", address: listening[1]! };
    return undefined;
}
