/**
 * The stack outputs, by name: what `pulumi stack output` shows and what the next update, the
 * `machines` CLI and operators read. The program entry (stacks/index.ts) returns this object.
 */
import * as pulumi from "@pulumi/pulumi";
import { CloudHandles } from "./cloud";
import { DayTwoHandles } from "./dayTwo";
import { EdgeHandles } from "./edge";
import { RemoteWorkerHandles } from "./remoteWorkers";

/** What the halves built, for the outputs. */
export interface OutputSources {
    cloud: CloudHandles;
    /** Undefined when the stack has no edge sites. */
    edge: EdgeHandles | undefined;
    remote: RemoteWorkerHandles;
    dayTwo: DayTwoHandles;
    /** The control planes this update keeps, already checked against the previous update's. */
    controlPlanes: pulumi.Output<string[]>;
}

/** The stack outputs. Undefined ones (no edge, no such pool) are not exported. */
export function stackOutputs({ cloud, edge, remote, dayTwo, controlPlanes }: OutputSources) {
    return {
        // Cloud outputs. `pulumi stack output kubeconfig --show-secrets > kubeconfig`.
        kubeconfig: cloud.outputs.kubeconfig,
        talosconfig: cloud.outputs.talosconfig,
        nodes: cloud.outputs.nodes,
        schematicIds: cloud.outputs.schematicIds,
        installerImages: cloud.outputs.installerImages,
        clusterEndpoint: cloud.outputs.clusterEndpoint,
        edgeClusterEndpoint: cloud.outputs.edgeClusterEndpoint,
        gcpImage: cloud.outputs.gcpImage,
        talosApiAccess: cloud.outputs.talosApiAccess,

        // Edge outputs (absent when the stack has no edge sites).
        bootServiceUrl: edge?.outputs.bootServiceUrl,
        siteBootUrls: edge?.outputs.siteBootUrls,
        edgeLeases: edge?.outputs.edgeLeases,
        // The boot service's admin API credential (secret): `npm run machines -- pending --stack <name>` reads it.
        bootAdminToken: edge?.outputs.bootAdminToken,

        // Remote pool outputs (absent when the stack has no such pool).
        proxmoxWorkers: remote.outputs.proxmoxWorkers,
        oracleWorkers: remote.outputs.oracleWorkers,

        // Day-two outputs. `controlPlanes` is read back by the next update (a failed scale-down
        // check fails the program, before anything is deleted); `credentials` says when the
        // kubeconfig and talosconfig expire and from when `pulumi up` renews them.
        controlPlanes,
        edgeMachines: dayTwo.edgeMachines,
        credentials: cloud.outputs.credentials,
    };
}

/** The object the program entry resolves to. */
export type StackOutputs = ReturnType<typeof stackOutputs>;
