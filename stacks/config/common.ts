/**
 * Secret config keys, the messages that point at `pulumi config set`, and where a misplaced secret belongs.
 */
import { Problems } from "../../model/problems";
import { PROJECT } from "../../components/model";

export const SECRET_CONFIG_KEYS = ["tailscaleOauthClientSecret", "tailscaleApiKey", "headscaleApiKey", "edgeSshPrivateKey", "proxmoxApiToken", "ociPrivateKey"] as const;
export type SecretKey = (typeof SECRET_CONFIG_KEYS)[number];

export const STRUCTURED_KEYS = ["cluster", "gcp", "nodes", "images", "tailnet", "bootService", "edgeSites", "dayTwo", "headscale", "proxmox", "oci"] as const;
export type StructuredKey = (typeof STRUCTURED_KEYS)[number];

export const TOP_LEVEL_KEYS: readonly string[] = [...STRUCTURED_KEYS, ...SECRET_CONFIG_KEYS];

/** Talos >= 1.12: the shared documents set the node name with a `HostnameConfig` document. */
export const key = (short: string): string => `${PROJECT}:${short}`;
export const setCmd = (short: string, example: string): string => `\`pulumi config set --path '${key(short)}' ${example}\``;
export const secretCmd = (k: SecretKey): string => `\`pulumi config set --secret ${k} <value>\``;

/** Where a secret-looking field found inside structured config belongs instead. */
export function misplacedSecretFix(path: string, name: string): string {
    const n = name.toLowerCase();
    const tail = "; treat the value as leaked (it is in plain text) and rotate it";
    if (/[:.]tailnet$/.test(path)) {
        if (/api[-_]?key/.test(n)) {
            return `secrets are not read from structured config: remove it and run ${secretCmd("tailscaleApiKey")}${tail}`;
        }
        if (/auth[-_]?key/.test(n)) {
            return "remove it: per-node auth keys are minted by the stack and the boot service from the OAuth client; nothing to set" + tail;
        }
        return `secrets are not read from structured config: remove it and run ${secretCmd("tailscaleOauthClientSecret")}${tail}`;
    }
    if (/[:.]proxmox$/.test(path)) {
        return `secrets are not read from structured config: remove it and run ${secretCmd("proxmoxApiToken")}${tail}`;
    }
    if (/[:.]oci$/.test(path)) {
        return `secrets are not read from structured config: remove it and run \`pulumi config set --secret ociPrivateKey < ~/.oci/oci_api_key.pem\`${tail}`;
    }
    if (/[:.](bootService(\.keyBackend)?|headscale)$/.test(path)) {
        return `secrets are not read from structured config: remove it and run ${secretCmd("headscaleApiKey")}${tail}`;
    }
    if (/[:.]host$/.test(path)) {
        if (/private[-_]?key/.test(n)) {
            return `secrets are not read from structured config: remove it and run \`pulumi config set --secret edgeSshPrivateKey < ~/.ssh/id_ed25519\` (or leave it unset to use the runner's ssh-agent)${tail}`;
        }
        return `password authentication is not supported: remove it and use a key (\`pulumi config set --secret edgeSshPrivateKey < ~/.ssh/id_ed25519\`, or the runner's ssh-agent)${tail}`;
    }
    return `secrets are not read from structured config: remove it; this stack reads secrets only from ${SECRET_CONFIG_KEYS.join(", ")}, each set with \`pulumi config set --secret <key>\`${tail}`;
}

// ---------------------------------------------------------------------------------------
// Generic readers (each records its own problems and returns undefined when invalid)

export interface Secrets {
    tailscaleOauthClientSecret?: string;
    tailscaleApiKey?: string;
    headscaleApiKey?: string;
    edgeSshPrivateKey?: string;
    proxmoxApiToken?: string;
    ociPrivateKey?: string;
}

export function readSecrets(p: Problems, ours: Map<string, string>, secretKeys: ReadonlySet<string>): Secrets {
    const out: Secrets = {};
    for (const name of SECRET_CONFIG_KEYS) {
        const value = ours.get(name);
        if (value === undefined) {
            continue;
        }
        const full = key(name);
        p.redact(full);
        if (!secretKeys.has(full)) {
            p.add(
                full,
                `(value hidden) is stored in plain text; run ${secretCmd(name)} (it replaces the plain value) and rotate the credential, since it has been in plain text`,
            );
        } else if (value.trim() === "") {
            p.add(full, `is empty; run ${secretCmd(name)}`);
            continue;
        }
        out[name] = value;
    }
    return out;
}
