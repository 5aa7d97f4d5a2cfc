/**
 * Day-two steps that move nodes forward: one node's Talos upgrade (then the etcd and Kubernetes
 * health checks that gate the next node), and the cluster's Kubernetes upgrade.
 *
 * Both are idempotent: they look at what the node or cluster runs first and only act when it
 * differs from the target, so a rerun after a failure resumes where the last one stopped, and a
 * rerun caused by something else (renewed credentials) only re-checks health.
 */
import type { UpgradeKubernetesPlan, UpgradeNodePlan } from "./contract";
import { goDurationMs } from "../../model/durations";
import type { KubeApi } from "./kubectl";
import { parseInstallerImage } from "./rollout";
import type { TalosApi } from "./talosctl";
import { Log, pollUntil } from "./wait";

export interface StepContext {
    talos: TalosApi;
    log: Log;
    /** Time between checks of a wait. */
    pollMs: number;
}

export type UpgradeOutcome = "upgraded" | "current" | "not-joined";

export interface UpgradeResult {
    node: string;
    outcome: UpgradeOutcome;
    version?: string;
    schematicId?: string;
}

const short = (id: string | undefined) => (id ? id.slice(0, 12) : "unknown");

/** Raised when a node came back from an upgrade on something else than the target (Talos rolled back). */
export class UpgradeRolledBack extends Error {
    constructor(node: string, want: string, got: string) {
        super(`${node} came back from the upgrade running ${got}, not ${want}: Talos rolled back to its previous installation. ` +
            "Look at the node's console and `talosctl dmesg` before running `pulumi up` again");
        this.name = "UpgradeRolledBack";
    }
}

/**
 * The health a node's upgrade must leave behind before the next node starts: for control
 * planes, etcd healthy on every control plane; for every node, the API server ready and the
 * node itself Ready.
 */
export async function waitNodeHealthy(ctx: StepContext & { kube: KubeApi }, plan: UpgradeNodePlan, when: string): Promise<void> {
    const timeoutMs = goDurationMs("healthTimeout", plan.healthTimeout);
    const wait = { timeoutMs, intervalMs: ctx.pollMs, log: ctx.log };
    if (plan.role === "controlplane") {
        await pollUntil(async () => {
            const states = await Promise.all(plan.controlPlaneAddresses.map(async (a) => ({ a, ok: await ctx.talos.etcdHealthy(a).catch(() => false) })));
            const bad = states.filter((s) => !s.ok).map((s) => s.a);
            return { ok: bad.length === 0, detail: bad.length ? `etcd not healthy on ${bad.join(", ")}` : undefined };
        }, { ...wait, what: `etcd healthy on every control plane ${when}` });
    }
    await pollUntil(async () => ({ ok: await ctx.kube.readyz(), detail: "API server not ready" }), { ...wait, what: `Kubernetes API server ready ${when}` });
    await pollUntil(async () => {
        const node = (await ctx.kube.nodes()).find((n) => n.name === plan.node);
        return { ok: node?.ready === true, detail: node ? `${plan.node} is NotReady` : `${plan.node} is not registered` };
    }, { ...wait, what: `node ${plan.node} Ready ${when}` });
}

/** Upgrades one node to `plan.installerImage` unless it already runs it, then waits for health. */
export async function upgradeNode(ctx: StepContext & { kube: KubeApi }, plan: UpgradeNodePlan): Promise<UpgradeResult> {
    const target = parseInstallerImage(plan.installerImage);
    if (plan.address === "") {
        ctx.log(`${plan.node} (${plan.location}) has not joined the tailnet: nothing to upgrade; it installs ${target.version} when it joins`);
        return { node: plan.node, outcome: "not-joined" };
    }
    ctx.log(`${plan.node} (${plan.role}, ${plan.location}, ${plan.address}): target Talos ${target.version}, schematic ${short(target.schematicId)}`);
    if (plan.role === "controlplane") {
        // Never take a control plane down while etcd is already short of a member.
        await waitNodeHealthy(ctx, plan, "before the upgrade");
    }
    const running = async () => ({ version: await ctx.talos.version(plan.address), schematicId: await ctx.talos.schematic(plan.address) });
    const before = await running();
    const current = before.version === target.version && (before.schematicId === undefined || before.schematicId === target.schematicId);
    let outcome: UpgradeOutcome = "current";
    if (current) {
        if (before.schematicId === undefined) {
            ctx.log(`  warning: ${plan.node} reports no Image Factory schematic; its version matches, so it is left as it is`);
        }
        ctx.log(`  already runs ${before.version} (schematic ${short(before.schematicId)}): no upgrade`);
    } else {
        ctx.log(`  upgrading from ${before.version} (schematic ${short(before.schematicId)}) with ${plan.installerImage}`);
        await ctx.talos.upgrade(plan.address, plan.installerImage, plan.upgradeTimeout);
        const after = await running();
        if (after.version !== target.version || (after.schematicId !== undefined && after.schematicId !== target.schematicId)) {
            throw new UpgradeRolledBack(plan.node, `${target.version} (schematic ${short(target.schematicId)})`, `${after.version} (schematic ${short(after.schematicId)})`);
        }
        ctx.log(`  ${plan.node} runs ${after.version} now`);
        outcome = "upgraded";
    }
    await waitNodeHealthy(ctx, plan, "after the upgrade");
    ctx.log(`  ${plan.node} healthy`);
    return { node: plan.node, outcome, version: target.version, schematicId: target.schematicId };
}

export interface KubernetesUpgradeResult {
    outcome: "upgraded" | "current";
    version: string;
    /** Nodes (edge ones, typically) still on another kubelet version afterwards. */
    lagging: string[];
}

/**
 * Moves the cluster to `plan.version` with `talosctl upgrade-k8s` (control-plane components
 * first, then every kubelet; it skips what is already there, so a rerun resumes), then waits
 * for the API server to serve the version and every cloud node to be Ready on it.
 */
export async function upgradeKubernetes(ctx: StepContext & { kube: () => Promise<KubeApi> }, plan: UpgradeKubernetesPlan): Promise<KubernetesUpgradeResult> {
    const kube = await ctx.kube();
    const serverBefore = await kube.serverVersion();
    const behind = (await kube.nodes()).filter((n) => n.kubeletVersion !== plan.version).map((n) => n.name);
    let outcome: KubernetesUpgradeResult["outcome"] = "current";
    if (serverBefore === plan.version && behind.length === 0) {
        ctx.log(`Kubernetes already at ${plan.version} on the API server and every kubelet: no upgrade`);
    } else {
        ctx.log(`Kubernetes ${serverBefore} → ${plan.version} (kubelets behind: ${behind.join(", ") || "none"}) through ${plan.controlPlaneAddress}`);
        await ctx.talos.upgradeKubernetes(plan.controlPlaneAddress, plan.version, plan.timeout);
        outcome = "upgraded";
    }
    const wait = { timeoutMs: goDurationMs("healthTimeout", plan.healthTimeout), intervalMs: ctx.pollMs, log: ctx.log };
    await pollUntil(async () => {
        const server = await kube.serverVersion();
        return { ok: server === plan.version && (await kube.readyz()), detail: `API server at ${server}` };
    }, { ...wait, what: `API server ready at ${plan.version}` });
    let lagging: string[] = [];
    await pollUntil(async () => {
        const nodes = await kube.nodes();
        const bad = plan.cloudNodes.filter((name) => {
            const n = nodes.find((x) => x.name === name);
            return !n || !n.ready || n.kubeletVersion !== plan.version;
        });
        lagging = nodes.filter((n) => n.kubeletVersion !== plan.version).map((n) => n.name);
        return { ok: bad.length === 0, detail: `not Ready on ${plan.version}: ${bad.join(", ")}` };
    }, { ...wait, what: `every cloud node Ready on kubelet ${plan.version}` });
    if (lagging.length > 0) {
        ctx.log(`  warning: still on another kubelet version: ${lagging.join(", ")} (joined after the upgrade started, or skipped by upgrade-k8s)`);
    }
    return { outcome, version: plan.version, lagging };
}
