/**
 * Talos machine-config documents shared by the Pulumi graph (cloud nodes) and the
 * boot service (edge nodes). Pure functions over plain values; both sides render the
 * same YAML so a node's Tailscale join looks the same wherever its config came from.
 */
import { stringify } from "yaml";
import { TAILNET_IPV4_CIDR, TAILNET_IPV6_CIDR } from "../../model/stack";

/** Kubelet registers only with a Tailscale address, so cloud and edge nodes share one IP family. */
export const TAILNET_VALID_SUBNETS: readonly string[] = [TAILNET_IPV4_CIDR, TAILNET_IPV6_CIDR];

export interface TailscaleExtensionOptions {
    /** Pre-auth key for this node (single-use, pre-authorized, tagged). */
    authKey: string;
    /** Tailnet device name (TS_HOSTNAME); the Talos node name. */
    hostname: string;
    /** Extra `tailscale up` arguments, e.g. ["--login-server=https://hs.example"] for Headscale. */
    extraArgs?: string[];
    /** Subnet routes to advertise (TS_ROUTES). */
    routes?: string[];
}

/**
 * The `ExtensionServiceConfig` for the siderolabs/tailscale extension.
 * TS_AUTH_ONCE=true: containerboot otherwise re-runs `tailscale up --authkey` on every
 * start, and a used single-use or expired key then breaks an already-enrolled node.
 */
export function tailscaleExtensionConfig(opts: TailscaleExtensionOptions): string {
    const environment = [
        `TS_AUTHKEY=${opts.authKey}`,
        `TS_HOSTNAME=${opts.hostname}`,
        "TS_AUTH_ONCE=true",
        "TS_ACCEPT_DNS=false",
    ];
    if (opts.routes && opts.routes.length > 0) {
        environment.push(`TS_ROUTES=${opts.routes.join(",")}`);
    }
    if (opts.extraArgs && opts.extraArgs.length > 0) {
        environment.push(`TS_EXTRA_ARGS=${opts.extraArgs.join(" ")}`);
    }
    return stringify({ apiVersion: "v1alpha1", kind: "ExtensionServiceConfig", name: "tailscale", environment });
}

/**
 * A `HostnameConfig` document (Talos >= 1.12). `machine.network.hostname` is ignored or
 * rejected alongside the generated `HostnameConfig{auto: stable}`, so the name is set here.
 */
export function hostnameConfig(hostname: string): string {
    return stringify({ apiVersion: "v1alpha1", kind: "HostnameConfig", hostname });
}
