/**
 * The Headscale side of the nodes the stack boots itself (cloud nodes, Proxmox VMs, Oracle
 * workers): one single-use, tagged, short-lived pre-auth key per node, from the Headscale server
 * the stack names (docs/decisions/0130-headscale-overlay.md). The counterpart of `Tailnet` when
 * the overlay's control server is Headscale; edge machines get per-boot keys from the boot service.
 */
import * as pulumi from "@pulumi/pulumi";
import { HeadscaleConfig, PROJECT } from "./model";
import { HeadscalePreAuthKey } from "./headscalePreAuthKey";
import { OverlayLookup } from "./overlay";

export interface HeadscaleKeysArgs {
    /** The Headscale server: URL, optional user id, API key (secret). */
    headscale: HeadscaleConfig;
    /** ACL tags on every key, e.g. ["tag:talos-cloud"]. */
    tags: string[];
    /** Key lifetime in seconds (60..86400). */
    keyExpirySeconds: number;
    /** Hostnames of the nodes; one key each. */
    nodeHostnames: string[];
}

/** Per-node Headscale pre-auth keys. */
export class HeadscaleKeys extends pulumi.ComponentResource {
    public readonly keys: Record<string, HeadscalePreAuthKey>;
    /** Auth key per hostname (secret). */
    public readonly authKeys: Record<string, pulumi.Output<string>>;
    /** The server URL: every node's `--login-server`. */
    public readonly loginServer: string;
    private readonly apiKey: pulumi.Output<string>;

    constructor(name: string, args: HeadscaleKeysArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:tailnet:HeadscaleKeys`, name, {}, opts);
        this.loginServer = args.headscale.url;
        this.apiKey = pulumi.secret(args.headscale.apiKey);
        this.keys = {};
        this.authKeys = {};
        for (const hostname of args.nodeHostnames) {
            const key = new HeadscalePreAuthKey(`${name}-${hostname}`, {
                url: args.headscale.url,
                apiKey: args.headscale.apiKey,
                user: args.headscale.user,
                aclTags: args.tags,
                expirySeconds: args.keyExpirySeconds,
                hostname,
            }, { parent: this });
            this.keys[hostname] = key;
            this.authKeys[hostname] = pulumi.secret(key.key);
        }
        this.registerOutputs({ keyIds: Object.fromEntries(Object.entries(this.keys).map(([h, k]) => [h, k.keyId])) });
    }

    /** Where the node `hostname` is found: the Headscale node registered with its key. */
    lookup(hostname: string): OverlayLookup {
        const key = this.keys[hostname];
        if (!key) {
            throw new Error(`no Headscale key was created for node "${hostname}"`);
        }
        return { kind: "headscale", url: this.loginServer, apiKey: this.apiKey, preAuthKeyId: key.keyId };
    }
}
