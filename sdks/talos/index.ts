/**
 * Hand-written bindings for the Talos provider (pulumiverse/pulumi-talos v0.8.1), same API
 * shape as the published `@pulumiverse/talos` for the parts talos-cloud-edge uses.
 */
import * as client from "./client";
import * as cluster from "./cluster";
import * as imagefactory from "./imagefactory";
import * as machine from "./machine";
import * as manifest from "./manifest";
import * as types from "./types";

export * from "./provider";
export { client, cluster, imagefactory, machine, manifest, types };
