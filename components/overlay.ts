/**
 * The overlay a node joins, Tailscale's service or a Headscale server, as the node-side
 * components see it: the extra `tailscale up` arguments, and where a node's overlay address is
 * looked up once it has joined (docs/decisions/0130-headscale-overlay.md).
 */
import * as pulumi from "@pulumi/pulumi";
import * as tailscale from "@pulumi/tailscale";
import { cidrContains, parseCidr, parseIp } from "../model/net";
import { TAILNET_IPV4_CIDR } from "./model";
import { goDurationMs, waitForHeadscaleNode } from "./headscaleApi";

/** How a node's overlay address is found. */
export type OverlayLookup =
    /** Tailscale's API, through the Tailscale provider of the parent's `providers`. */
    | { kind: "tailscale" }
    /** Headscale's API: the node that registered with this node's own pre-auth key. */
    | { kind: "headscale"; url: string; apiKey: pulumi.Input<string>; preAuthKeyId: pulumi.Input<string> };

/** Extra `tailscale up` arguments (TS_EXTRA_ARGS) for nodes of an overlay: Headscale's `--login-server`. */
export function overlayExtraArgs(headscaleUrl: string | undefined): string[] {
    return headscaleUrl ? [`--login-server=${headscaleUrl}`] : [];
}

/** The node's Tailscale IPv4 address among a device's addresses. */
export function tailnetIpv4(hostname: string, addresses: string[]): string {
    const tailnetRange = parseCidr(TAILNET_IPV4_CIDR)!;
    const ip = addresses.find((a) => {
        const parsed = parseIp(a);
        return parsed !== undefined && cidrContains(tailnetRange, parsed);
    });
    if (!ip) {
        throw new Error(`tailnet device "${hostname}" has no address in ${TAILNET_IPV4_CIDR} (got ${JSON.stringify(addresses)})`);
    }
    return ip;
}

/**
 * The overlay IPv4 of `hostname`, known once the node has joined. `after` is what boots the
 * node (its instance or VM): the lookup waits for it and then for at most `joinTimeout` (Go
 * duration). `parent` owns the Tailscale lookup (and so gives it the Tailscale provider).
 */
export function overlayAddress(hostname: string, lookup: OverlayLookup, after: pulumi.Resource & { urn: pulumi.Output<string> }, joinTimeout: string, parent: pulumi.Resource): pulumi.Output<string> {
    if (lookup.kind === "tailscale") {
        const device = tailscale.getDeviceOutput({ hostname, waitFor: joinTimeout }, { parent, dependsOn: [after] });
        return device.addresses.apply((addresses) => tailnetIpv4(hostname, addresses));
    }
    const timeoutMs = goDurationMs(joinTimeout);
    // The booting resource's id is known only once it exists: the poll runs after it, never at
    // a preview of a node still to be created. The address is not secret, the API key is.
    const id = (after as unknown as { id?: pulumi.Output<string> }).id ?? after.urn;
    return pulumi.unsecret(pulumi.all([lookup.url, lookup.apiKey, lookup.preAuthKeyId, id]).apply(([url, apiKey, keyId]) =>
        waitForHeadscaleNode({ url, apiKey, hostname, keyId, timeoutMs })));
}
