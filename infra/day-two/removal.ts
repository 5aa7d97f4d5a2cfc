/**
 * Scale-down: what happens to a node removed from stack config before its machine is deleted.
 * Cordon and drain it, reset it gracefully (a control plane leaves etcd as part of that), make
 * sure etcd no longer lists it, and delete its Kubernetes Node object.
 *
 * The step runs as the `delete` of a command that depends on the machine, so Pulumi runs it
 * first and deletes the machine only when it succeeded. A failed drain stops there (the machine
 * and its workloads stay); a failed reset does not, because the machine is about to be deleted
 * anyway and etcd membership is then cleaned up through another control plane.
 */
import type { RemoveNodePlan } from "./contract";
import type { KubeApi } from "./kubectl";
import type { StepContext } from "./upgrade";

export type RemovalOutcome = "removed" | "skipped" | "not-joined" | "last-control-plane";

export interface RemovalResult {
    node: string;
    outcome: RemovalOutcome;
    warnings: string[];
}

export interface RemovalContext extends StepContext {
    /** The Kubernetes API, through `server` when given (another control plane while one leaves). */
    kube(server?: string): Promise<KubeApi>;
    /** The operator asked to skip removals (`DAY_TWO_SKIP_REMOVAL=1`). */
    skip: boolean;
}

/** Raised when removing the node now would put etcd at risk. */
export class RemovalRefused extends Error {
    constructor(message: string) {
        super(message);
        this.name = "RemovalRefused";
    }
}

export async function removeNode(ctx: RemovalContext, plan: RemoveNodePlan): Promise<RemovalResult> {
    const warnings: string[] = [];
    const warn = (w: string) => {
        warnings.push(w);
        ctx.log(`  warning: ${w}`);
    };
    if (ctx.skip) {
        ctx.log(`${plan.node}: removal steps skipped (DAY_TWO_SKIP_REMOVAL=1); the machine is deleted without drain or reset`);
        return { node: plan.node, outcome: "skipped", warnings };
    }
    ctx.log(`removing ${plan.node} (${plan.role}, ${plan.location}${plan.address ? `, ${plan.address}` : ""}) from the cluster`);
    const peers = plan.controlPlaneAddresses.filter((a) => a !== plan.address);
    if (plan.role === "controlplane" && peers.length === 0) {
        // Stack config refuses removing the last control plane, so this is `pulumi destroy`.
        ctx.log(`  ${plan.node} is the last control plane: the cluster itself is going away; no drain, reset or etcd change`);
        return { node: plan.node, outcome: "last-control-plane", warnings };
    }
    if (plan.role === "controlplane") {
        const unhealthy: string[] = [];
        for (const peer of peers) {
            if (!(await ctx.talos.etcdHealthy(peer).catch(() => false))) unhealthy.push(peer);
        }
        if (unhealthy.length > 0) {
            throw new RemovalRefused(
                `etcd is not healthy on ${unhealthy.join(", ")}; removing ${plan.node} now could cost etcd its quorum. ` +
                    "Bring those control planes back first, then run `pulumi up` again",
            );
        }
    }
    // While a control plane leaves, talk to the API server of one that stays.
    const kube = await ctx.kube(plan.role === "controlplane" ? peers[0] : undefined);
    const registered = (await kube.nodes()).some((n) => n.name === plan.node);
    if (registered) {
        ctx.log(`  cordon and drain ${plan.node} (up to ${plan.drainTimeout})`);
        await kube.cordon(plan.node);
        await kube.drain(plan.node, plan.drainTimeout);
    } else {
        ctx.log(`  ${plan.node} is not a Kubernetes node (any more): nothing to drain`);
    }
    if (plan.address === "") {
        ctx.log(`  ${plan.node} never joined the tailnet: no Talos reset`);
    } else {
        ctx.log(`  graceful reset of ${plan.node}${plan.role === "controlplane" ? " (leaves etcd first)" : ""}`);
        try {
            await ctx.talos.reset(plan.address, plan.resetTimeout);
        } catch (e) {
            warn(`graceful reset of ${plan.node} failed (${(e as Error).message.split("\n")[0]}); its machine is deleted anyway`);
        }
    }
    if (plan.role === "controlplane") {
        const member = (await ctx.talos.etcdMembers(peers[0])).find((m) => m.hostname === plan.node);
        if (member) {
            warn(`${plan.node} is still an etcd member; removing member ${member.id} through ${peers[0]}`);
            await ctx.talos.etcdRemoveMember(peers[0], member.id);
        }
    }
    if (registered) {
        await kube.deleteNode(plan.node);
        ctx.log(`  Kubernetes node ${plan.node} deleted`);
    }
    ctx.log(`  ${plan.node} removed from the cluster`);
    return { node: plan.node, outcome: plan.address === "" ? "not-joined" : "removed", warnings };
}
