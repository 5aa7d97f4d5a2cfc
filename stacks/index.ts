/**
 * Program entry (`main: stacks/` in Pulumi.yaml): read and validate the stack config, compose
 * the cloud half, then the edge half, and return the stack outputs (stacks/outputs.ts).
 * Everything else lives in `stacks/cloud.ts`, `stacks/edge.ts` and `components/`.
 *
 * The module exports one async function, which Pulumi's Node.js host calls and awaits (a
 * program may export a function; its result is the stack's outputs). It is async so that the
 * edge can be declared one site at a time (stacks/turns.ts). Tests and benchmarks call it the
 * same way: `await require("../stacks/index")()`.
 */
import { packBootServer } from "../infra/boot-server/pack";
import { inventoryFromSites } from "../model/bootContract";
import { composeCloud } from "./cloud";
import { readStackConfig } from "./config";
import { checkOfficialExtensions, officialExtensionsFor } from "./extensions";
import { composeEdge } from "./edge";
import { composeRemoteWorkers } from "./remoteWorkers";
import { checkedControlPlanes, composeDayTwo, previousControlPlanes } from "./dayTwo";
import { StackOutputs, stackOutputs } from "./outputs";
import { reuseResourceStackTraces, skipPromiseStackCapture, skipSourceMapsForPromiseBookkeeping } from "./stackTraces";

// Before any resource: Pulumi's never-read promise stack stamps capture no frames and skip
// source maps, and each distinct resource-constructor stack is mapped once (stacks/stackTraces.ts).
skipSourceMapsForPromiseBookkeeping();
skipPromiseStackCapture();
reuseResourceStackTraces();

export = async function program(): Promise<StackOutputs> {
    // Config: one validated StackConfig; a bad stack file fails here, listing every problem.
    const cfg = readStackConfig();
    // Every requested system extension must be one Image Factory offers for the Talos version.
    checkOfficialExtensions(cfg, officialExtensionsFor(cfg.images.factoryUrl, cfg.cluster.talosVersion));

    // Cloud: network, Talos images, tailnet keys, Talos cluster on GCE (seed phases 1-4 and 7).
    const cloud = composeCloud(cfg);

    // ---------------------------------------------------------------------------------------
    // Edge: boot service on Cloud Run + one site (OVS, dnsmasq, NAT, VMs) per edge site
    // (seed phases 5-6), composed by stacks/edge.ts. The boot service bundle is built only when
    // there is an edge to serve.
    const edge = cfg.edgeSites.length > 0 ? await composeEdge(cfg, cloud, packBootServer(undefined, { inventory: inventoryFromSites(cfg.edgeSites) })) : undefined;
    // ---------------------------------------------------------------------------------------

    // Day two (docs/decisions/0007-day-two-operations.md): edge machines managed after they join,
    // the Talos rollout continued over the tailnet, scale-down steps, the readiness gate. The
    // scale-down check compares the control planes with the ones the last update recorded.
    const dayTwo = await composeDayTwo(cfg, cloud, edge);

    // Worker pools outside GCP, joined over the overlay: Proxmox VMs (seed 003), Oracle Cloud
    // Ampere workers (seed 004). Each is optional; its SDK loads only when the stack has the pool.
    const remote = composeRemoteWorkers(cfg, cloud);

    // The recorded control planes: the next update reads them back, and a scale-down this
    // update must not do fails here, before anything is deleted.
    const controlPlanes = checkedControlPlanes(previousControlPlanes(), cloud.cluster.controlPlaneNames);
    return stackOutputs({ cloud, edge, remote, dayTwo, controlPlanes });
};
