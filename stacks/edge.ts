/**
 * Composes the edge half of the deployment from a validated StackConfig and the cloud
 * handles: the boot service on Cloud Run and one EdgeSite (OVS, dnsmasq, NAT, VMs) per site.
 * It replaces seed phases 5-6 and the hand-deployed iPXE and config servers: the boot service
 * serves the cluster's edge worker config, and each site's DHCP hands out that site's URL.
 */
import * as pulumi from "@pulumi/pulumi";
import { BootAssetUrls, BootService, BootServiceSource } from "../components/bootService";
import { EdgeSite } from "../components/edgeSite";
import { EdgeVmIdentities } from "../components/edgeVmIdentities";
import { CloudHandles } from "./cloud";
import { Architecture, StackConfig } from "../components/model";
import { nextTurn } from "./turns";

/** Everything `composeEdge` built. */
export interface EdgeHandles {
    /** Undefined when the stack has no edge sites. */
    bootService?: BootService;
    /** The SMBIOS identity of every VM (undefined when the stack has no edge sites). */
    vmIdentities?: EdgeVmIdentities;
    sites: EdgeSite[];
    outputs: EdgeStackOutputs;
}

/** Stack outputs of the edge half. */
export interface EdgeStackOutputs {
    /** Base URL of the boot service (no secret in it). */
    bootServiceUrl?: pulumi.Output<string>;
    /** Bearer credential of the boot service's admin API (secret), read by `npm run machines`. */
    bootAdminToken?: pulumi.Output<string>;
    /** Site name → the URL DHCP hands to iPXE (secret: it carries the site token). */
    siteBootUrls: Record<string, pulumi.Output<string>>;
    /** Site name → static DHCP leases (name, MAC, IP). */
    edgeLeases: Record<string, pulumi.Output<{ name: string; mac: string; ip: string }[]>>;
}

/** Only the kernel and initramfs URLs of each architecture go to the boot service. */
export function bootAssetsOf(assets: Record<string, { kernel: string; initramfs: string }>): Partial<Record<Architecture, BootAssetUrls>> {
    const out: Partial<Record<Architecture, BootAssetUrls>> = {};
    for (const [arch, a] of Object.entries(assets)) {
        out[arch as Architecture] = { kernel: a.kernel, initramfs: a.initramfs };
    }
    return out;
}

/**
 * Declares the boot service, then one EdgeSite per site, giving the event loop a turn after each
 * (stacks/turns.ts) so that a large edge is not held pending all at once.
 */
export async function composeEdge(
    cfg: StackConfig,
    cloud: CloudHandles,
    source: pulumi.Input<BootServiceSource>,
    opts?: pulumi.ComponentResourceOptions,
): Promise<EdgeHandles> {
    if (cfg.edgeSites.length === 0) {
        return { sites: [], outputs: { siteBootUrls: {}, edgeLeases: {} } };
    }
    // Each VM's SMBIOS UUID and serial, derived from one stack key before both sides that need
    // them: the VM reports them, the boot service derives the same from the key and requires them
    // (so a VM's config needs its serial, never seen on the L2).
    const vmIdentities = new EdgeVmIdentities(`${cfg.cluster.name}-vm-identity`, { sites: cfg.edgeSites }, opts);
    const bootService = new BootService(`${cfg.cluster.name}-boot`, {
        project: cfg.gcp.project,
        namePrefix: cfg.cluster.name,
        service: cfg.bootService,
        tailnet: cfg.tailnet,
        tailscaleProvider: cloud.tailnet?.provider,
        sites: cfg.edgeSites,
        // The edge worker config embeds the control plane's tailnet endpoint, resolved only
        // after that node joined: the service therefore waits for the cluster through data.
        baseWorkerConfig: cloud.cluster.edgeWorkerConfig,
        assets: cloud.images.edgeBootAssets.apply(bootAssetsOf),
        installerImage: cloud.images.edgeInstallerImage,
        talosVersion: cfg.cluster.talosVersion,
        source,
        vmIdentityKey: vmIdentities.key,
    }, opts);

    const sites: EdgeSite[] = [];
    for (const site of cfg.edgeSites) {
        sites.push(new EdgeSite(`${cfg.cluster.name}-${site.name}`, {
            site,
            bootUrl: bootService.siteBootUrls[site.name],
            ipxeAssets: cfg.images.ipxe,
            vmIdentities: vmIdentities.byMachine,
        }, opts));
        await nextTurn();
    }

    return {
        bootService,
        vmIdentities,
        sites,
        outputs: {
            bootServiceUrl: bootService.url,
            bootAdminToken: bootService.adminToken,
            siteBootUrls: bootService.siteBootUrls,
            edgeLeases: Object.fromEntries(sites.map((s, i) => [cfg.edgeSites[i].name, s.leases])),
        },
    };
}
