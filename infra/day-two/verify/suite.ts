/**
 * The seed's connectivity suite against a live cluster, through the `KubeApi` interface:
 * every node Ready with a tailnet flannel address, a pod on every node, pod-to-pod between
 * every pair of nodes (cloud and edge), the ClusterIP service, cluster DNS, external egress and
 * name resolution from every pod. Results are rows of a table; the namespace it creates is
 * deleted afterwards whatever happened.
 */
import type { KubeApi, KubeNode, KubePod } from "../kubectl";
import { isTailnetIpv4 } from "../rollout";
import { Log, pollUntil, WaitTimeout } from "../wait";
import { VERIFY_APP, VERIFY_PORT, verifyManifest } from "./manifest";

export const FLANNEL_PUBLIC_IP = "flannel.alpha.coreos.com/public-ip";
const REGION_LABEL = "topology.kubernetes.io/region";
const ZONE_LABEL = "topology.kubernetes.io/zone";

export interface VerifyOptions {
    /** Namespace to create (and delete). */
    namespace: string;
    /** Busybox image. */
    image: string;
    /** Bound on the pods becoming Ready, ms. */
    podTimeoutMs: number;
    /** Bound on each in-pod command, ms. */
    execTimeoutMs: number;
    /** URL fetched from every pod for egress. */
    egressUrl: string;
    /** External name resolved from every pod. */
    externalName: string;
    /** Leave the namespace in place (debugging). */
    keep: boolean;
    pollMs: number;
    log: Log;
}

export interface CheckRow {
    check: string;
    from: string;
    to: string;
    ok: boolean;
    detail: string;
}

/** "cloud" for nodes the stack labels with a region, "edge:<site>" for the others. */
export function nodeLocation(node: KubeNode): string {
    if (node.labels[REGION_LABEL]) return "cloud";
    return `edge:${node.labels[ZONE_LABEL] ?? "?"}`;
}

const lastLine = (s: string) => s.trim().split("\n").slice(-1)[0] ?? "";

export async function runVerification(kube: KubeApi, opts: VerifyOptions): Promise<CheckRow[]> {
    const rows: CheckRow[] = [];
    const add = (row: CheckRow) => {
        rows.push(row);
        opts.log(`  ${row.ok ? "ok  " : "FAIL"} ${row.check} ${row.from}${row.to ? ` → ${row.to}` : ""}${row.detail ? ` (${row.detail})` : ""}`);
    };

    opts.log("nodes");
    const nodes = await kube.nodes();
    const where = new Map(nodes.map((n) => [n.name, `${n.name} (${nodeLocation(n)})`]));
    for (const n of nodes) {
        add({ check: "node Ready", from: where.get(n.name)!, to: "", ok: n.ready, detail: n.ready ? n.kubeletVersion : "NotReady" });
        const vtep = n.annotations[FLANNEL_PUBLIC_IP] ?? "";
        add({ check: "flannel public IP on the tailnet", from: where.get(n.name)!, to: "", ok: isTailnetIpv4(vtep), detail: vtep || "no annotation" });
    }

    opts.log(`deploying the test DaemonSet and service in namespace ${opts.namespace}`);
    try {
        await kube.apply(verifyManifest({ namespace: opts.namespace, image: opts.image }));
        let pods: KubePod[] = [];
        try {
            await pollUntil(async () => {
                pods = (await kube.pods(opts.namespace, `app=${VERIFY_APP}`)).filter((p) => p.ready && p.podIp);
                const missing = nodes.filter((n) => !pods.some((p) => p.nodeName === n.name)).map((n) => n.name);
                return { ok: missing.length === 0, detail: `no Ready pod on ${missing.join(", ")}` };
            }, { timeoutMs: opts.podTimeoutMs, intervalMs: opts.pollMs, what: "a Ready test pod on every node", log: opts.log });
        } catch (e) {
            if (!(e instanceof WaitTimeout)) throw e;
        }
        const byNode = new Map(pods.map((p) => [p.nodeName, p]));
        for (const n of nodes) {
            const p = byNode.get(n.name);
            add({ check: "test pod Ready", from: where.get(n.name)!, to: "", ok: p !== undefined, detail: p ? `${p.name} ${p.podIp}` : "no Ready pod" });
        }
        const runners = nodes.map((n) => byNode.get(n.name)).filter((p): p is KubePod => p !== undefined);
        const inPod = (pod: KubePod, argv: string[]) => kube.exec(opts.namespace, pod.name, argv, opts.execTimeoutMs);

        opts.log("pod-to-pod");
        for (const a of runners) {
            for (const b of runners) {
                if (a === b) continue;
                const r = await inPod(a, ["ping", "-c", "3", "-W", "2", b.podIp]);
                const loss = /(\d+)% packet loss/.exec(r.stdout)?.[1];
                add({ check: "pod-to-pod ping", from: where.get(a.nodeName)!, to: where.get(b.nodeName)!, ok: r.code === 0 && loss === "0", detail: loss !== undefined ? `${loss}% loss` : lastLine(r.stderr) || `exit ${r.code}` });
            }
        }

        opts.log("service, DNS and egress");
        const serviceIp = await kube.serviceIp(opts.namespace, VERIFY_APP);
        const serviceName = `${VERIFY_APP}.${opts.namespace}.svc.cluster.local`;
        for (const p of runners) {
            const from = where.get(p.nodeName)!;
            const viaIp = await inPod(p, ["wget", "-q", "-O", "-", "-T", "5", `http://${serviceIp}:${VERIFY_PORT}/test.txt`]);
            add({ check: "ClusterIP service", from, to: `${serviceIp}:${VERIFY_PORT}`, ok: viaIp.code === 0 && viaIp.stdout.includes("hello from"), detail: lastLine(viaIp.stdout) || lastLine(viaIp.stderr) });
            const viaDns = await inPod(p, ["wget", "-q", "-O", "-", "-T", "5", `http://${serviceName}:${VERIFY_PORT}/test.txt`]);
            add({ check: "cluster DNS", from, to: serviceName, ok: viaDns.code === 0 && viaDns.stdout.includes("hello from"), detail: lastLine(viaDns.stdout) || lastLine(viaDns.stderr) });
            const egress = await inPod(p, ["wget", "-q", "-O", "/dev/null", "-T", "10", opts.egressUrl]);
            add({ check: "external egress", from, to: opts.egressUrl, ok: egress.code === 0, detail: egress.code === 0 ? "" : lastLine(egress.stderr) || `exit ${egress.code}` });
            const lookup = await inPod(p, ["nslookup", opts.externalName]);
            add({ check: "external name resolution", from, to: opts.externalName, ok: lookup.code === 0, detail: lookup.code === 0 ? "" : lastLine(lookup.stderr || lookup.stdout) || `exit ${lookup.code}` });
        }
    } finally {
        if (opts.keep) {
            opts.log(`leaving namespace ${opts.namespace} in place (--keep); delete it with: kubectl delete namespace ${opts.namespace}`);
        } else {
            opts.log(`cleaning up: deleting namespace ${opts.namespace}`);
            await kube.deleteNamespace(opts.namespace);
        }
    }
    return rows;
}

/** The rows as a fixed-width table with a summary line. */
export function formatTable(rows: CheckRow[]): string {
    const header = { check: "CHECK", from: "FROM", to: "TO", result: "RESULT", detail: "DETAIL" };
    const lines = rows.map((r) => ({ check: r.check, from: r.from, to: r.to, result: r.ok ? "ok" : "FAIL", detail: r.detail }));
    const all = [header, ...lines];
    const width = (k: keyof typeof header) => Math.max(...all.map((l) => l[k].length));
    const w = { check: width("check"), from: width("from"), to: width("to"), result: width("result") };
    const fmt = (l: typeof header) => `${l.check.padEnd(w.check)}  ${l.from.padEnd(w.from)}  ${l.to.padEnd(w.to)}  ${l.result.padEnd(w.result)}  ${l.detail}`.trimEnd();
    const failed = rows.filter((r) => !r.ok).length;
    return [...all.map(fmt), "", failed === 0 ? `all ${rows.length} checks passed` : `${failed} of ${rows.length} checks FAILED`].join("\n");
}
