/**
 * The tailnet side of the cloud nodes: a Tailscale provider built from stack config (OAuth client
 * preferred, API key accepted) and one auth key per cloud node.
 *
 * Keys are single-use, pre-authorized, tagged and short-lived (docs/decisions/0004): each is
 * spent by exactly one node's first boot, and TS_AUTH_ONCE=true in the node's extension config
 * keeps an enrolled node from presenting it again after it has expired.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tailscale from "@pulumi/tailscale";
import { PROJECT, TailscaleAuth } from "./model";

/** Tailscale's upper bound the stack config also enforces (one day). */
export const MAX_KEY_EXPIRY_SECONDS = 86_400;

export interface TailnetArgs {
    /** Tailnet name; "-" = the tailnet of the credentials. Default "-". */
    tailnet?: string;
    /** Tailscale API credentials (secret parts already `pulumi.secret`). */
    auth: TailscaleAuth;
    /** ACL tags on every cloud-node key, e.g. ["tag:talos-cloud"]; the OAuth client must own them. */
    tags: string[];
    /** Key lifetime in seconds (1..86400): long enough for first boot, short enough to be useless if leaked. */
    keyExpirySeconds: number;
    /** Hostnames of the cloud nodes; one key each. */
    nodeHostnames: string[];
}

/** The provider arguments for either credential kind, with secrets kept as secret Outputs. */
export function providerArgs(auth: TailscaleAuth, tailnet: string): tailscale.ProviderArgs {
    if (auth.kind === "oauth") {
        return { oauthClientId: auth.clientId, oauthClientSecret: pulumi.secret(auth.clientSecret), tailnet };
    }
    return { apiKey: pulumi.secret(auth.apiKey), tailnet };
}

/** Validated TailnetKey arguments for one cloud node. */
export function cloudNodeKeyArgs(hostname: string, tags: string[], expirySeconds: number): tailscale.TailnetKeyArgs {
    if (tags.length === 0 || tags.some((t) => !/^tag:[a-z0-9-]+$/i.test(t))) {
        throw new Error(`tailnet.cloudTags must be one or more tags like "tag:talos-cloud", got ${JSON.stringify(tags)}: keys made by an OAuth client must be tagged`);
    }
    if (!Number.isInteger(expirySeconds) || expirySeconds < 1 || expirySeconds > MAX_KEY_EXPIRY_SECONDS) {
        throw new Error(`tailnet.keyExpirySeconds must be a whole number of seconds between 1 and ${MAX_KEY_EXPIRY_SECONDS}, got ${expirySeconds}`);
    }
    return {
        reusable: false,
        ephemeral: false,
        preauthorized: true,
        tags: [...tags],
        expiry: expirySeconds,
        // A spent single-use key reads as invalid; recreating it on refresh would only churn the
        // node's config, since the enrolled node never presents it again.
        recreateIfInvalid: "never",
        description: keyDescription(hostname),
    };
}

/** Key description: the provider documents plain alphanumeric text; kept to letters, digits and dashes, at most 50 characters. */
export function keyDescription(hostname: string): string {
    return `talos ${hostname}`.replace(/[^A-Za-z0-9-]+/g, "-").slice(0, 50);
}

/**
 * Tailscale provider and per-node auth keys for the cloud nodes.
 */
export class Tailnet extends pulumi.ComponentResource {
    /** Explicit Tailscale provider; pass it to anything that talks to the tailnet. */
    public readonly provider: tailscale.Provider;
    public readonly keys: Record<string, tailscale.TailnetKey>;
    /** Auth key per node hostname (secret). */
    public readonly authKeys: Record<string, pulumi.Output<string>>;

    constructor(name: string, args: TailnetArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:tailnet:Tailnet`, name, {}, opts);
        const keyArgs = args.nodeHostnames.map((h) => [h, cloudNodeKeyArgs(h, args.tags, args.keyExpirySeconds)] as const);

        this.provider = new tailscale.Provider(`${name}-provider`, providerArgs(args.auth, args.tailnet ?? "-"), { parent: this });

        this.keys = {};
        this.authKeys = {};
        for (const [hostname, keyArg] of keyArgs) {
            const key = new tailscale.TailnetKey(`${name}-${hostname}`, keyArg, { parent: this, provider: this.provider });
            this.keys[hostname] = key;
            this.authKeys[hostname] = pulumi.secret(key.key);
        }

        this.registerOutputs({ keyIds: Object.fromEntries(Object.entries(this.keys).map(([h, k]) => [h, k.id])) });
    }
}
