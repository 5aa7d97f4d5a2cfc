/**
 * Composes day two on top of the cloud and edge halves (docs/decisions/0007-day-two-operations.md):
 * one EdgeNode per inventory machine (in-place config, Talos upgrade after the cloud nodes,
 * scale-down), the readiness gate, the scale-down check against the previous deployment, and
 * the outputs operators read: edge machine status, credential expiry, control-plane names.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tailscale from "@pulumi/tailscale";
import { ClusterReadiness, EdgeMachineReport, edgeMachineReports } from "../components/clusterReadiness";
import { EdgeNode } from "../components/edgeNode";
import { StackConfig } from "../components/model";
import { checkControlPlaneRemoval, tailnetAddressOf, TailnetDevice } from "../infra/day-two/rollout";
import { asTailnetDevices, listHeadscaleNodes } from "../components/headscaleApi";
import { DayTwoConfig, dayTwoOf } from "../model/dayTwo";
import { CloudHandles } from "./cloud";
import { EdgeHandles } from "./edge";
import { MACHINES_PER_TURN, nextTurn } from "./turns";

/** The stack config with the day-two settings the config parser adds (`talos-cloud-edge:dayTwo`). */
export type StackConfigWithDayTwo = StackConfig & { dayTwo?: DayTwoConfig };

/** Name of the stack output that records the control planes for the next update's check. */
export const CONTROL_PLANES_OUTPUT = "controlPlanes";

/** `<org>/<project>/<stack>` of the running stack (the DIY backend's org is "organization"). */
export function selfStackName(): string {
    let org = "organization";
    try {
        org = pulumi.getOrganization() || org;
    } catch {
        // Test mode without an organization: the DIY default.
    }
    return `${org}/${pulumi.getProject()}/${pulumi.getStack()}`;
}

/**
 * The control planes the last deployment recorded, read from this stack's own outputs through a
 * StackReference (the last completed update's outputs; undefined before the first one).
 */
export function previousControlPlanes(): pulumi.Output<string[] | undefined> {
    const self = new pulumi.StackReference("previous-deployment", { name: selfStackName() });
    return self.outputs.apply((outputs) => {
        const value = (outputs as Record<string, unknown> | undefined)?.[CONTROL_PLANES_OUTPUT];
        return Array.isArray(value) && value.every((v) => typeof v === "string") ? (value as string[]) : undefined;
    });
}

/**
 * The control-plane names to record, once the change passed `checkControlPlaneRemoval`. The check
 * fails the program (preview or update) when it does not; a failed program never deletes
 * anything, so no node is removed.
 */
export function checkedControlPlanes(previous: pulumi.Input<string[] | undefined>, next: string[]): pulumi.Output<string[]> {
    return pulumi.output(previous).apply((prev) => {
        checkControlPlaneRemoval(prev, next);
        return next;
    });
}

/**
 * Every device of the overlay, once per update: from the Tailscale API, or from Headscale's
 * (the overlay's control server when the stack names one; docs/decisions/0130-headscale-overlay.md).
 */
export function overlayDevices(cfg: StackConfigWithDayTwo, cloud: CloudHandles): pulumi.Output<TailnetDevice[]> {
    const headscale = cfg.tailnet.headscale;
    if (headscale) {
        return pulumi.unsecret(pulumi.all([headscale.url, headscale.apiKey]).apply(async ([url, apiKey]) => asTailnetDevices(await listHeadscaleNodes({ url, apiKey }))));
    }
    if (!cloud.tailnet) {
        throw new Error("day two: the overlay is Tailscale but the cloud half built no Tailscale provider");
    }
    return tailscale.getDevicesOutput({}, { provider: cloud.tailnet.provider }).apply((r) => r.devices ?? []);
}

export interface DayTwoHandles {
    /** Machine name → its EdgeNode. */
    edgeNodes: Record<string, EdgeNode>;
    /** Undefined when `dayTwo.readinessGate` is false. */
    readiness?: ClusterReadiness;
    /** Each inventory machine: pending, joined or ready. */
    edgeMachines: pulumi.Output<EdgeMachineReport[]>;
}

/**
 * Declares each edge machine's day-two steps (EdgeNode), with a turn of the event loop after every
 * MACHINES_PER_TURN machines (stacks/turns.ts), then the readiness gate over all of them.
 */
export async function composeDayTwo(cfg: StackConfigWithDayTwo, cloud: CloudHandles, edge: EdgeHandles | undefined, opts?: pulumi.ComponentResourceOptions): Promise<DayTwoHandles> {
    const dayTwo = dayTwoOf(cfg);
    const cluster = cloud.cluster;
    const machines = cfg.edgeSites.flatMap((site, siteIndex) => site.machines.map((machine) => ({ site: site.name, siteIndex, machine })));
    // One listing of the tailnet per update; a machine that is not in it simply has not joined.
    const devices = machines.length === 0
        ? pulumi.output([] as TailnetDevice[])
        : overlayDevices(cfg, cloud);
    const addressOf = (name: string) => devices.apply((ds) => tailnetAddressOf(name, ds) ?? "");
    const controlPlaneAddresses = pulumi.all(cluster.nodes.filter((n) => n.role === "controlplane").map((n) => n.talosApiAddress));

    const edgeNodes: Record<string, EdgeNode> = {};
    let lastUpgrade = cluster.upgrades[cluster.upgrades.length - 1];
    let lastRemoval = cluster.removals[cluster.removals.length - 1];
    for (const [index, { site, siteIndex, machine }] of machines.entries()) {
        const siteComponent = edge?.sites[siteIndex];
        const node = new EdgeNode(`${cfg.cluster.name}-${site}-${machine.name}`, {
            site,
            machine,
            tailnetAddress: addressOf(machine.name),
            edgeWorkerConfig: cluster.edgeWorkerConfig,
            installerImage: cloud.images.edgeInstallerImage,
            talosconfig: cluster.talosconfig,
            kubeconfig: cluster.kubeconfig,
            controlPlaneAddresses,
            upgradeAfter: lastUpgrade,
            removalAfter: lastRemoval,
            vm: siteComponent?.vms[machine.name]?.domain,
            dayTwo,
        }, pulumi.mergeOptions(opts ?? {}, siteComponent ? { parent: siteComponent } : {}));
        edgeNodes[machine.name] = node;
        lastUpgrade = node.upgrade;
        lastRemoval = node.removal;
        if ((index + 1) % MACHINES_PER_TURN === 0) {
            await nextTurn();
        }
    }

    const onTailnet = pulumi.all(machines.map(({ site, machine }) => addressOf(machine.name).apply((a) => ({ node: machine.name, site, onTailnet: a !== "" }))));
    let readiness: ClusterReadiness | undefined;
    if (dayTwo.readinessGate) {
        readiness = new ClusterReadiness(`${cfg.cluster.name}-readiness`, {
            cloudNodes: cluster.nodes.map((n) => n.hostname),
            edgeMachines: onTailnet,
            kubeconfig: cluster.kubeconfig,
            talosconfig: cluster.talosconfig,
            after: [
                ...(cluster.kubernetesUpgrade ? [cluster.kubernetesUpgrade] : []),
                ...(lastUpgrade ? [lastUpgrade] : []),
                ...Object.values(edgeNodes).map((n) => n.configure),
            ],
            dayTwo,
        }, opts);
    }
    return {
        edgeNodes,
        readiness,
        edgeMachines: readiness ? readiness.edgeMachines : onTailnet.apply((ms) => edgeMachineReports(ms, undefined)),
    };
}
