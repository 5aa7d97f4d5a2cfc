/**
 * The readiness gate after `pulumi up`: every cloud node the stack declares must be a Ready
 * Kubernetes node within a bound (else the update fails); edge machines on the tailnet get their
 * own, separate bound and are reported, never failed: a site can be offline for reasons that
 * are not the deployment's.
 */
import type { ReadinessPlan } from "./contract";
import { goDurationMs } from "../../model/durations";
import type { KubeApi, KubeNode } from "./kubectl";
import { EdgeMachineStatus, edgeMachineStatus } from "./rollout";
import { Log, pollUntil, WaitTimeout } from "./wait";

export interface ReadinessReport {
    /** True when every cloud node is Ready. */
    ok: boolean;
    cloud: { node: string; ready: boolean }[];
    edge: { node: string; site: string; status: EdgeMachineStatus }[];
}

export interface ReadinessContext {
    kube: KubeApi;
    log: Log;
    pollMs: number;
}

const readyNames = (nodes: KubeNode[]) => new Set(nodes.filter((n) => n.ready).map((n) => n.name));

export async function checkReadiness(ctx: ReadinessContext, plan: ReadinessPlan): Promise<ReadinessReport> {
    let ready = new Set<string>();
    const refresh = async () => (ready = readyNames(await ctx.kube.nodes()));
    let ok = true;
    try {
        await pollUntil(async () => {
            await refresh();
            const missing = plan.cloudNodes.filter((n) => !ready.has(n));
            return { ok: missing.length === 0, detail: `not Ready: ${missing.join(", ")}` };
        }, { timeoutMs: goDurationMs("cloudReadyTimeout", plan.cloudTimeout), intervalMs: ctx.pollMs, what: "every cloud node Ready", log: ctx.log });
    } catch (e) {
        if (!(e instanceof WaitTimeout)) throw e;
        ok = false;
        ctx.log(`  ${e.message}`);
    }
    const joined = plan.edgeMachines.filter((m) => m.onTailnet).map((m) => m.node);
    if (ok && joined.length > 0) {
        try {
            await pollUntil(async () => {
                await refresh();
                const late = joined.filter((n) => !ready.has(n));
                return { ok: late.length === 0, detail: `not Ready: ${late.join(", ")}` };
            }, { timeoutMs: goDurationMs("edgeReadyTimeout", plan.edgeTimeout), intervalMs: ctx.pollMs, what: "every joined edge node Ready", log: ctx.log });
        } catch (e) {
            if (!(e instanceof WaitTimeout)) throw e;
            ctx.log(`  edge: ${e.message} — reported, not failed (a site may be offline)`);
        }
    }
    const report: ReadinessReport = {
        ok,
        cloud: plan.cloudNodes.map((node) => ({ node, ready: ready.has(node) })),
        edge: plan.edgeMachines.map((m) => ({ node: m.node, site: m.site, status: edgeMachineStatus(m.onTailnet, ready.has(m.node)) })),
    };
    for (const c of report.cloud) ctx.log(`  cloud  ${c.node.padEnd(32)} ${c.ready ? "Ready" : "NOT READY"}`);
    for (const m of report.edge) ctx.log(`  edge   ${m.node.padEnd(32)} ${m.status} (site ${m.site})`);
    return report;
}
