/**
 * Composes the worker pools outside GCP that join the cluster over the overlay: Talos VMs on a
 * Proxmox host (seed 003) and Ampere workers on Oracle Cloud (seed 004). Each pool is optional;
 * its SDK is loaded only when the stack has the pool (`@pulumi/oci` is large: the graph
 * benchmark would otherwise pay for it in every stack).
 */
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../components/model";
import { oracleZone, oracleNetworkPatches, remoteWorkerPatches } from "../lib/talos/remoteWorker";
import type { ProxmoxWorker } from "../components/proxmoxWorker";
import type { OracleWorkers } from "../components/oracleWorkers";
import { CloudHandles } from "./cloud";

/** Everything `composeRemoteWorkers` built. */
export interface RemoteWorkerHandles {
    /** One per Proxmox VM, in config order; empty without a Proxmox pool. */
    proxmox: ProxmoxWorker[];
    /** Undefined without Oracle workers. */
    oracle?: OracleWorkers;
    outputs: RemoteWorkerOutputs;
}

/** Stack outputs of the remote pools. */
export interface RemoteWorkerOutputs {
    /** Proxmox VM name → its static address, MAC, schematic and overlay address. */
    proxmoxWorkers?: pulumi.Output<{ name: string; address: string; mac: string; schematicId: string; overlayIp: string }[]>;
    /** Oracle worker name → its overlay address. */
    oracleWorkers?: pulumi.Output<{ name: string; overlayIp: string }[]>;
}

/** The worker config of one remote node: the cluster's, plus its own patches (the result is secret). */
function workerConfig(cloud: CloudHandles, hostname: string, installerImage: pulumi.Input<string>, labels: Record<string, string>, extra: { certSans?: string[]; platform?: string[] }): pulumi.Output<string> {
    const patches = pulumi.all([installerImage, cloud.overlay.authKeys[hostname]]).apply(([installer, authKey]) => [
        ...remoteWorkerPatches({
            hostname,
            installerImage: installer,
            labels,
            talosApiCertSans: extra.certSans ?? [],
            authKey,
            tailscaleExtraArgs: cloud.overlay.extraArgs,
        }),
        ...(extra.platform ?? []),
    ]);
    return cloud.cluster.remoteWorkerConfig(pulumi.secret(patches));
}

export function composeRemoteWorkers(cfg: StackConfig, cloud: CloudHandles, opts?: pulumi.ComponentResourceOptions): RemoteWorkerHandles {
    const clusterName = cfg.cluster.name;
    const withOverlay = pulumi.mergeOptions(opts ?? {}, cloud.tailnet ? { providers: [cloud.tailnet.provider] } : {});
    const handles: RemoteWorkerHandles = { proxmox: [], outputs: {} };

    const px = cfg.proxmox;
    if (px) {
        const proxmoxve = require("@muhlba91/pulumi-proxmoxve") as typeof import("@muhlba91/pulumi-proxmoxve");
        const { ProxmoxWorker } = require("../components/proxmoxWorker") as typeof import("../components/proxmoxWorker");
        const provider = new proxmoxve.Provider(`${clusterName}-proxmox`, { endpoint: px.endpoint, apiToken: px.apiToken, insecure: px.insecure }, opts);
        const providers = pulumi.mergeOptions(opts ?? {}, { providers: [provider, ...(cloud.tailnet ? [cloud.tailnet.provider] : [])] });
        handles.proxmox = px.machines.map((m) => new ProxmoxWorker(`${clusterName}-proxmox-${m.name}`, {
            clusterName,
            machine: m,
            api: { endpoint: px.endpoint, apiToken: px.apiToken, insecure: px.insecure },
            nodeName: px.nodeName,
            vmDatastore: px.vmDatastore,
            fileDatastore: px.fileDatastore,
            bridge: px.bridge,
            vlanId: px.vlanId,
            prefixLength: px.prefixLength,
            gateway: px.gateway,
            dnsServers: px.dnsServers,
            extensions: px.extensions,
            talosVersion: cfg.cluster.talosVersion,
            factoryUrl: cfg.images.factoryUrl,
            factory: cloud.images.factory,
            machineConfiguration: (installer) => workerConfig(cloud, m.name, installer, { "topology.kubernetes.io/zone": px.nodeName }, { certSans: [m.address] }),
            clientConfiguration: cloud.cluster.clientConfiguration,
            overlay: cloud.overlay.lookup(m.name),
        }, providers));
        handles.outputs.proxmoxWorkers = pulumi.all(handles.proxmox.map((w, i) => w.overlayIp.apply((overlayIp) => ({
            name: w.hostname,
            address: px.machines[i].address,
            mac: px.machines[i].mac,
            schematicId: w.schematicId,
            overlayIp,
        }))));
    }

    const oc = cfg.oci;
    if (oc) {
        const { OracleWorkers } = require("../components/oracleWorkers") as typeof import("../components/oracleWorkers");
        if (!cloud.images.oracleDiskImageUrl || !cloud.images.oracleInstallerImage) {
            throw new Error("oci: the cloud images resolved no oracle-arm64 image; composeCloud passes oracleArm64 when the stack has Oracle workers");
        }
        const labels = { "topology.kubernetes.io/region": oc.region, "topology.kubernetes.io/zone": oracleZone(oc.availabilityDomain) };
        handles.oracle = new OracleWorkers(`${clusterName}-oracle`, {
            clusterName,
            oci: oc,
            talosVersion: cfg.cluster.talosVersion,
            schematicId: cloud.images.cloudSchematicId,
            diskImageUrl: cloud.images.oracleDiskImageUrl,
            installerImage: cloud.images.oracleInstallerImage,
            machineConfiguration: (name, installer) => workerConfig(cloud, name, installer, labels, { platform: oracleNetworkPatches() }),
            clientConfiguration: cloud.cluster.clientConfiguration,
            overlay: Object.fromEntries(oc.workers.map((w) => [w.name, cloud.overlay.lookup(w.name)])),
        }, withOverlay);
        handles.outputs.oracleWorkers = pulumi.all(handles.oracle.workers.map((w) => w.overlayIp.apply((overlayIp) => ({ name: w.name, overlayIp }))));
    }
    return handles;
}
