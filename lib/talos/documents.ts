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
 * A document rendered once with slot strings standing for some of its values, and the function
 * that puts values in their places; undefined unless every slot occurs exactly once (a hostname
 * or an argument could contain one).
 */
function slotted(rendered: string, slots: readonly string[]): ((values: readonly string[]) => string) | undefined {
    const found = slots.map((slot, i) => ({ i, at: rendered.indexOf(slot), length: slot.length }));
    if (found.some((f, i) => f.at < 0 || rendered.lastIndexOf(slots[i]) !== f.at)) return undefined;
    found.sort((x, y) => x.at - y.at);
    const parts: string[] = [];
    let from = 0;
    for (const f of found) {
        parts.push(rendered.slice(from, f.at));
        from = f.at + f.length;
    }
    parts.push(rendered.slice(from));
    const order = found.map((f) => f.i);
    return (values) => {
        let out = parts[0];
        for (let k = 0; k < order.length; k++) out += values[order[k]] + parts[k + 1];
        return out;
    };
}

/**
 * Values of only these characters stay one plain YAML scalar after a `NAME=` prefix, whatever
 * their length: Tailscale keys (`tskey-auth-…`), Headscale keys (hex) and node names.
 */
const PLAIN_AFTER_PREFIX = /^[A-Za-z0-9_-]+$/;
/** Slot strings: themselves such values, so the render made with them has the shape a real one has. */
const AUTH_KEY_SLOT = "authKeySlot7f3c9a1e";
const HOSTNAME_SLOT = "hostnameSlot7f3c9a1e";

/**
 * `tailscaleExtensionConfig` with everything but the node name and the key rendered once: the
 * returned function gives exactly the text `tailscaleExtensionConfig` would for them. Values of
 * letters, digits, `-` and `_` are put into the prepared text; anything else gets a full render.
 * The boot service renders this document once per config fetch, for a different machine each
 * time; as a YAML render it was a fifth of a fetch's CPU (docs/benchmarks.md).
 */
export function tailscaleExtensionConfigFor(opts: Omit<TailscaleExtensionOptions, "authKey" | "hostname">): (hostname: string, authKey: string) => string {
    const full = (hostname: string, authKey: string): string => tailscaleExtensionConfig({ ...opts, hostname, authKey });
    const fill = slotted(full(HOSTNAME_SLOT, AUTH_KEY_SLOT), [HOSTNAME_SLOT, AUTH_KEY_SLOT]);
    return (hostname, authKey) =>
        fill !== undefined && PLAIN_AFTER_PREFIX.test(hostname) && PLAIN_AFTER_PREFIX.test(authKey) ? fill([hostname, authKey]) : full(hostname, authKey);
}

/**
 * A `HostnameConfig` document (Talos >= 1.12). `machine.network.hostname` is ignored or
 * rejected alongside the generated `HostnameConfig{auto: stable}`, so the name is set here.
 */
export function hostnameConfig(hostname: string): string {
    return stringify({ apiVersion: "v1alpha1", kind: "HostnameConfig", hostname });
}

const fillHostnameConfig = slotted(hostnameConfig(HOSTNAME_SLOT), [HOSTNAME_SLOT]);

/**
 * `hostnameConfig`, exactly, without rendering the document: the name goes into a render made
 * once when YAML writes it as a plain scalar (checked by rendering the name alone, which costs
 * a third of the document); a name YAML would quote (`"123"`, `"true"`) gets a full render.
 */
export function preparedHostnameConfig(hostname: string): string {
    return fillHostnameConfig !== undefined && stringify(hostname) === `${hostname}\n` ? fillHostnameConfig([hostname]) : hostnameConfig(hostname);
}
