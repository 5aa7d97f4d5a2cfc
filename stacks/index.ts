/**
 * Program entry (`main: stacks/` in Pulumi.yaml): read and validate the stack config, compose
 * the cloud half, then the edge half, and export what operators need. Everything else lives in
 * `stacks/cloud.ts`, `stacks/edge.ts` and `components/`.
 */
import { packBootServer } from "../infra/boot-server/pack";
import { inventoryFromSites } from "../model/bootContract";
import { composeCloud } from "./cloud";
import { readStackConfig } from "./config";
import { checkOfficialExtensions, officialExtensionsFor } from "./extensions";
import { composeEdge } from "./edge";
import { composeRemoteWorkers } from "./remoteWorkers";
import { checkedControlPlanes, composeDayTwo, previousControlPlanes } from "./dayTwo";
import { skipPromiseStackCapture, skipSourceMapsForPromiseBookkeeping } from "./stackTraces";

// Before any resource: Pulumi's never-read promise stack stamps capture no frames and skip
// source maps (stacks/stackTraces.ts).
skipSourceMapsForPromiseBookkeeping();
skipPromiseStackCapture();

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
const edge = cfg.edgeSites.length > 0 ? composeEdge(cfg, cloud, packBootServer(undefined, { inventory: inventoryFromSites(cfg.edgeSites) })) : undefined;
// ---------------------------------------------------------------------------------------

// Day two (docs/decisions/0007-day-two-operations.md): edge machines managed after they join,
// the Talos rollout continued over the tailnet, scale-down steps, the readiness gate. The
// scale-down check compares the control planes with the ones the last update recorded.
const dayTwo = composeDayTwo(cfg, cloud, edge);

// Worker pools outside GCP, joined over the overlay: Proxmox VMs (seed 003), Oracle Cloud
// Ampere workers (seed 004). Each is optional; its SDK loads only when the stack has the pool.
const remote = composeRemoteWorkers(cfg, cloud);

// Cloud outputs. `pulumi stack output kubeconfig --show-secrets > kubeconfig`.
export const kubeconfig = cloud.outputs.kubeconfig;
export const talosconfig = cloud.outputs.talosconfig;
export const nodes = cloud.outputs.nodes;
export const schematicIds = cloud.outputs.schematicIds;
export const installerImages = cloud.outputs.installerImages;
export const clusterEndpoint = cloud.outputs.clusterEndpoint;
export const edgeClusterEndpoint = cloud.outputs.edgeClusterEndpoint;
export const gcpImage = cloud.outputs.gcpImage;
export const talosApiAccess = cloud.outputs.talosApiAccess;

// Edge outputs (absent when the stack has no edge sites).
export const bootServiceUrl = edge?.outputs.bootServiceUrl;
export const siteBootUrls = edge?.outputs.siteBootUrls;
export const edgeLeases = edge?.outputs.edgeLeases;
// The boot service's admin API credential (secret): `npm run machines -- pending --stack <name>` reads it.
export const bootAdminToken = edge?.outputs.bootAdminToken;

// Remote pool outputs (absent when the stack has no such pool).
export const proxmoxWorkers = remote.outputs.proxmoxWorkers;
export const oracleWorkers = remote.outputs.oracleWorkers;

// Day-two outputs. `controlPlanes` is read back by the next update (a failed scale-down check
// fails the program here, before anything is deleted); `credentials` says when the kubeconfig
// and talosconfig expire and from when `pulumi up` renews them.
export const controlPlanes = checkedControlPlanes(previousControlPlanes(), cloud.cluster.controlPlaneNames);
export const edgeMachines = dayTwo.edgeMachines;
export const credentials = cloud.outputs.credentials;
