/**
 * Hand-written bindings for the libvirt provider (pulumi/pulumi-libvirt v0.5.4), same API shape
 * as the published `@pulumi/libvirt` for the parts talos-cloud-edge uses.
 */
import * as manifest from "./manifest";
import * as types from "./types";

export * from "./domain";
export * from "./network";
export * from "./pool";
export * from "./provider";
export * from "./volume";
export { manifest, types };
