/**
 * `npm run verify` (infra/day-two/verify) against a fake cluster (testing/fakes/day-two): the
 * seed's connectivity suite on a healthy and on a broken cluster, the table it prints, its exit
 * code, and that it always removes what it deployed.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { makeSpawnExec } from "../infra/day-two/exec";
import { parseVerifyArgs, runVerifyCli } from "../infra/day-two/verify/cli";
import { FakeCluster, FakeState, FAKES_DIR } from "../testing/fakes/day-two/fakeCluster";

function cluster(): FakeState {
    const node = (name: string, role: "controlplane" | "worker", labels: Record<string, string>, vtep: string, podIp: string) => ({
        name, role, location: labels["topology.kubernetes.io/region"] ? "cloud" : "edge", version: "v1.12.4", ready: true, kubeletVersion: "v1.35.0",
        labels, annotations: { "flannel.alpha.coreos.com/public-ip": vtep }, podIp,
    });
    const cloud = { "topology.kubernetes.io/region": "europe-west4", "topology.kubernetes.io/zone": "europe-west4-a" };
    return {
        nodes: {
            "203.0.113.10": node("cp-1", "controlplane", cloud, "100.101.0.1", "10.244.0.5"),
            "203.0.113.11": node("worker-1", "worker", cloud, "100.101.0.2", "10.244.1.5"),
            "100.102.0.3": node("edge-1", "worker", { "topology.kubernetes.io/zone": "site-a" }, "100.102.0.3", "10.244.2.5"),
        },
        etcdMembers: [],
        apiServerVersion: "v1.35.0",
        fail: {},
    };
}

async function verify(fake: FakeCluster, args: string[]) {
    const out: string[] = [];
    const log: string[] = [];
    const env = fake.env({ PULUMI: path.join(FAKES_DIR, "pulumi"), DAY_TWO_VERIFY_POLL_MS: "20" });
    const code = await runVerifyCli(args, { env, exec: makeSpawnExec(env), out: (t) => out.push(t), log: (l) => log.push(l) });
    return { code, table: out.join("\n"), log: log.join("\n") };
}

/** Table rows as [check, from, to, result]. */
function rows(table: string): string[][] {
    const lines = table.split("\n");
    const header = lines[0];
    const cols = ["FROM", "TO", "RESULT", "DETAIL"].map((h) => header.indexOf(h));
    return lines.slice(1).filter((l) => l.trim() && !/checks (passed|FAILED)/.test(l)).map((l) => [
        l.slice(0, cols[0]).trim(), l.slice(cols[0], cols[1]).trim(), l.slice(cols[1], cols[2]).trim(), l.slice(cols[2], cols[3]).trim(),
    ]);
}

describe("npm run verify against a fake cluster", function () {
    this.timeout(120_000);
    let fake: FakeCluster;
    afterEach(() => fake?.dispose());

    it("passes on a healthy cluster: every check from every node, then removes its namespace", async () => {
        fake = new FakeCluster(cluster());
        const r = await verify(fake, ["--stack", "dev"]);
        assert.strictEqual(r.code, 0, `${r.log}\n${r.table}`);
        const table = rows(r.table);
        assert.ok(table.every((row) => row[3] === "ok"), r.table);
        const count = (check: string) => table.filter((row) => row[0] === check).length;
        assert.strictEqual(count("node Ready"), 3);
        assert.strictEqual(count("flannel public IP on the tailnet"), 3);
        assert.strictEqual(count("test pod Ready"), 3);
        assert.strictEqual(count("pod-to-pod ping"), 6, "every ordered pair of the three nodes");
        for (const check of ["ClusterIP service", "cluster DNS", "external egress", "external name resolution"]) {
            assert.strictEqual(count(check), 3, `${check} from every pod`);
        }
        assert.ok(table.some((row) => row[0] === "pod-to-pod ping" && row[1] === "edge-1 (edge:site-a)" && row[2] === "cp-1 (cloud)"));
        assert.match(r.table, /all 27 checks passed/);
        const state = fake.state();
        assert.strictEqual(state.deletedNamespaces?.length, 1);
        assert.match(state.deletedNamespaces![0], /^talos-verify-[0-9a-f]{6}$/);
        assert.deepStrictEqual(state.namespaces, []);
        const pulumiCall = fake.calls().find((c) => (c.tool as string) === "pulumi");
        assert.deepStrictEqual(pulumiCall?.argv, ["stack", "output", "kubeconfig", "--show-secrets", "--stack", "dev"]);
    });

    it("fails on a broken cluster, names each broken check in the table, and still cleans up", async () => {
        fake = new FakeCluster(cluster());
        fake.update((s) => {
            s.network = { brokenPairs: [["edge-1", "cp-1"]], dnsBroken: true, egressBroken: ["edge-1"] };
            s.nodes["203.0.113.11"].annotations!["flannel.alpha.coreos.com/public-ip"] = "10.1.0.12";
        });
        const kubeconfig = path.join(fake.dir, "kubeconfig");
        fs.writeFileSync(kubeconfig, "apiVersion: v1\nkind: Config\n", { mode: 0o600 });
        const r = await verify(fake, ["--kubeconfig", kubeconfig]);
        assert.strictEqual(r.code, 1);
        const failed = rows(r.table).filter((row) => row[3] === "FAIL").map((row) => `${row[0]} | ${row[1]} | ${row[2]}`.trimEnd());
        assert.deepStrictEqual(failed.sort(), [
            "cluster DNS | cp-1 (cloud) | talos-verify." + fake.state().deletedNamespaces![0] + ".svc.cluster.local",
            "cluster DNS | edge-1 (edge:site-a) | talos-verify." + fake.state().deletedNamespaces![0] + ".svc.cluster.local",
            "cluster DNS | worker-1 (cloud) | talos-verify." + fake.state().deletedNamespaces![0] + ".svc.cluster.local",
            "external egress | edge-1 (edge:site-a) | http://example.com",
            "flannel public IP on the tailnet | worker-1 (cloud) |",
            "pod-to-pod ping | cp-1 (cloud) | edge-1 (edge:site-a)",
            "pod-to-pod ping | edge-1 (edge:site-a) | cp-1 (cloud)",
        ].map((s) => s.trimEnd()).sort());
        assert.match(r.table, /7 of 27 checks FAILED/);
        assert.deepStrictEqual(fake.state().namespaces, [], "namespace removed after a failed run too");
        assert.ok(!fake.calls().some((c) => (c.tool as string) === "pulumi"), "--kubeconfig skips the stack output");
    });

    it("reports a missing stack and bad options with their exit codes", async () => {
        fake = new FakeCluster(cluster());
        const missing = await verify(fake, ["--stack", "missing"]);
        assert.strictEqual(missing.code, 1);
        assert.match(missing.log, /pulumi stack output kubeconfig --stack missing failed .*no stack named 'missing'/);
        assert.strictEqual((await verify(fake, ["--bogus"])).code, 2);
        assert.strictEqual((await verify(fake, ["--timeout", "soon"])).code, 2);
        const help = await verify(fake, ["--help"]);
        assert.strictEqual(help.code, 0);
        assert.match(help.table, /Usage: npm run verify/);
        assert.deepStrictEqual(parseVerifyArgs(["--stack", "prod", "--keep", "--image", "busybox:1.37"]), {
            stack: "prod", timeout: "5m", image: "busybox:1.37", egressUrl: "http://example.com", externalName: "google.com", keep: true, help: false,
        });
    });
});
