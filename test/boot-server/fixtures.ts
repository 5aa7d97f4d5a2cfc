/**
 * Shared fixtures for the boot-server suites: a settings input with two sites, a base worker
 * config whose secret values are recognisable markers (so a leak check can grep for them), a
 * fake key minter that records every key it hands out, and a raw HTTP client that sends
 * exactly the path and headers given (fetch would normalise `..` and refuse odd headers).
 */
import * as http from "node:http";
import type { BootSettingsInput } from "../../infra/boot-server/src/settings";
import type { KeyMinter, MintedKey, MintRequest } from "../../infra/boot-server/src/keys/types";
import { KeyMintError } from "../../infra/boot-server/src/keys/types";

export const SITE_TOKENS = {
    alpha: "alphaTokenAAAAAAAAAAAAAAAAAAAAAAAAAA1",
    beta: "betaTokenBBBBBBBBBBBBBBBBBBBBBBBBBBBB2",
};

/** Secret markers inside BASE_CONFIG. */
export const BASE_SECRETS = [
    "machineTokenSECRET0a1b2c",
    "clusterTokenSECRET3d4e5f",
    "clusterSecretSECRET6a7b8c",
    "caKeySECRET9d0e1f",
    "clusterIdSECRET2a3b4c",
];

export const BASE_CONFIG = `version: v1alpha1
debug: false
persist: true
machine:
  type: worker
  token: ${BASE_SECRETS[0]}
  ca:
    crt: Y2EtY2VydGlmaWNhdGU=
    key: ${BASE_SECRETS[3]}
  kubelet:
    image: ghcr.io/siderolabs/kubelet:v1.35.0
  install:
    disk: /dev/sda
    image: ghcr.io/siderolabs/installer:v1.12.4
    wipe: false
  nodeLabels:
    base-label: from-base
cluster:
  id: ${BASE_SECRETS[4]}
  secret: ${BASE_SECRETS[2]}
  controlPlane:
    endpoint: https://100.64.0.1:6443
  clusterName: test
  token: ${BASE_SECRETS[1]}
  ca:
    crt: Y2x1c3Rlci1jYQ==
---
apiVersion: v1alpha1
kind: HostnameConfig
auto: stable
---
apiVersion: v1alpha1
kind: TimeSyncConfig
ntp:
  servers:
    - time.cloudflare.com
`;

/**
 * BASE_CONFIG as a hand-written base might be: a fixed hostname and stableHostname, both of
 * which Talos v1.12 refuses next to the HostnameConfig the service adds per machine.
 */
export const BASE_CONFIG_WITH_HOSTNAME_CONFLICTS = BASE_CONFIG.replace(
    "  install:\n",
    "  network:\n    hostname: one-name-for-all\n  features:\n    stableHostname: true\n    diskQuotaSupport: true\n  install:\n",
);

export const KERNEL_URL = "https://factory.example.test/image/abc123/v1.12.4/kernel-amd64";
export const INITRAMFS_URL = "https://factory.example.test/image/abc123/v1.12.4/initramfs-amd64.xz";
export const ARM_KERNEL_URL = "http://10.0.0.5:8081/kernel-arm64";
export const ARM_INITRAMFS_URL = "http://10.0.0.5:8081/initramfs-arm64.xz";
export const INSTALLER = "factory.example.test/metal-installer/abc123:v1.12.4";

export const EDGE1 = {
    name: "edge-1",
    mac: "52:54:00:00:01:01",
    uuid: "11111111-2222-3333-4444-000000000101",
    serial: "SN-0101",
    installDisk: "/dev/vda",
    labels: { "node.kubernetes.io/instance-type": "kvm" },
    taints: { dedicated: "edge:NoSchedule" },
};
export const EDGE2 = {
    name: "edge-2",
    mac: "52:54:00:00:01:02",
    uuid: "11111111-2222-3333-4444-000000000102",
    arch: "arm64" as const,
    diskSelector: { size: ">= 10GB", type: "nvme" },
};
export const BETA1 = { name: "beta-1", mac: "52:54:00:00:02:01", installDisk: "/dev/sda" };
/** Not in any inventory at first. */
export const NEWBIE = { name: "edge-3", mac: "52:54:00:00:01:03", uuid: "11111111-2222-3333-4444-000000000103", installDisk: "/dev/vda" };

export function settingsInput(overrides: Partial<BootSettingsInput> = {}): BootSettingsInput {
    return {
        trustedProxyHops: 0,
        rateLimitPerMinute: 100_000,
        assets: {
            amd64: { kernelUrl: KERNEL_URL, initramfsUrl: INITRAMFS_URL },
            arm64: { kernelUrl: ARM_KERNEL_URL, initramfsUrl: ARM_INITRAMFS_URL, consoleArgs: ["console=ttyAMA0", "console=tty0"] },
        },
        kernelArgs: ["init_on_alloc=1", "slab_nomerge="],
        installerImage: INSTALLER,
        keyBackend: { kind: "tailscale", tags: ["tag:edge"], expirySeconds: 3600 },
        sites: [
            { name: "alpha", machines: [EDGE1, EDGE2] },
            { name: "beta", machines: [BETA1] },
        ],
        ...overrides,
    };
}

/** Records every mint; keys are random so a leak check can look for each one. */
export class FakeMinter implements KeyMinter {
    readonly kind = "fake";
    readonly minted: Array<MintRequest & MintedKey> = [];
    failures = 0;
    private n = 0;

    async mint(req: MintRequest): Promise<MintedKey> {
        if (this.failures > 0) {
            this.failures--;
            throw new KeyMintError("fake backend unavailable", 503);
        }
        this.n++;
        const key = `tskey-auth-fake${this.n}-${Math.random().toString(36).slice(2)}SECRET`;
        const out = { id: `kfake${this.n}`, key, expiresAt: "2030-01-01T00:00:00.000Z" };
        this.minted.push({ ...req, ...out });
        return out;
    }
}

export interface RawResponse {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: string;
}

/** One HTTP/1.1 request to 127.0.0.1:port with exactly this path and these headers. */
export function rawRequest(
    port: number,
    opts: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
        const headers = { ...opts.headers };
        // A declared length, not chunked encoding (which the service refuses outright).
        if (opts.body !== undefined) headers["content-length"] = String(Buffer.byteLength(opts.body));
        const req = http.request(
            { host: "127.0.0.1", port, method: opts.method ?? "GET", path: opts.path, headers, agent: false },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
                res.on("error", reject);
            },
        );
        req.setTimeout(15_000, () => req.destroy(new Error(`request to ${opts.path.slice(0, 60)} timed out`)));
        req.on("error", reject);
        if (opts.body !== undefined) req.write(opts.body);
        req.end();
    });
}

/** Replaces the iPXE variables in a machine URL template as iPXE would for this machine. */
export function expandIpxe(
    url: string,
    vars: { mac: string; uuid?: string; serial?: string; buildarch: string; platform: string },
): string {
    return url
        .replace("${mac:hexhyp}", vars.mac.replace(/:/g, "-"))
        .replace("${uuid}", vars.uuid ?? "")
        .replace("${serial:uristring}", encodeURIComponent(vars.serial ?? ""))
        .replace("${buildarch}", vars.buildarch)
        .replace("${platform}", vars.platform);
}

/** Path and query of an absolute URL. */
export function pathOf(url: string): string {
    return url.replace(/^https?:\/\/[^/]+/, "");
}
