/**
 * Day two in the Pulumi graph (under the mocks): which command resources exist, what they
 * depend on, what each config change does to their inputs, and — executing the registered
 * upgrade commands the way the engine does (dependencies first, in parallel where the graph
 * allows, nothing new after the first failure, only steps whose inputs did not reach state) —
 * the rollout itself against a fake cluster: control planes one by one, never two at once,
 * then workers, then joined edge machines; a failure stops it; a rerun resumes it.
 */
import * as assert from "assert";
import { isDeepStrictEqual } from "util";
import { execFile } from "child_process";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { runTask } from "../infra/day-two/cli";
import { makeSpawnExec } from "../infra/day-two/exec";
import { parseInstallerImage } from "../infra/day-two/rollout";
import { DAY_TWO_DEFAULTS } from "../model/dayTwo";
import { composeCloud } from "../stacks/cloud";
import { checkedControlPlanes, composeDayTwo, previousControlPlanes, selfStackName } from "../stacks/dayTwo";
import { MACHINES_PER_TURN } from "../stacks/turns";
import type { StackConfig } from "../components/model";
import { computedOutputs, engineRegistration, engineRegistrations, findResource, invokeResults, registered, resetRegistrations, resourcesOfType, valueOf } from "./mocks";
import { twoSitesStackConfig } from "./stackFiles";
import { FakeCluster, FakeState, fakeSchematic } from "../testing/fakes/day-two/fakeCluster";

const COMMAND = "command:local:Command";
const APPLY = "talos:machine/configurationApply:ConfigurationApply";
const INSTANCE = "gcp:compute/instance:Instance";
const GET_DEVICES = "tailscale:index/getDevices:getDevices";

/** Three control planes and a worker declared between them; edge-a-1 (site-a) has joined the tailnet, edge-b-1 (site-b) not. */
function stack(mutate: (cfg: StackConfig) => void = () => undefined): StackConfig {
    const cfg = twoSitesStackConfig();
    cfg.cloudNodes = [
        { name: "cp-a", role: "controlplane", machineType: "e2-standard-4", diskSizeGb: 50 },
        { name: "cp-b", role: "controlplane", machineType: "e2-standard-4", diskSizeGb: 50 },
        { name: "worker-1", role: "worker", machineType: "e2-standard-8", diskSizeGb: 100 },
        { name: "cp-c", role: "controlplane", machineType: "e2-standard-4", diskSizeGb: 50 },
    ];
    mutate(cfg);
    return cfg;
}

const EDGE_A_IP = "100.100.1.1";
let savedDevices: (typeof invokeResults)[string];

async function build(cfg: StackConfig) {
    resetRegistrations();
    const cloud = composeCloud(cfg);
    const dayTwo = await composeDayTwo(cfg, cloud, undefined);
    await valueOf(dayTwo.edgeMachines);
    await Promise.all(cloud.cluster.upgrades.concat(cloud.cluster.removals).map((c) => valueOf((c as unknown as { urn: pulumi.Output<string> }).urn)));
    await valueOf(cloud.cluster.kubeconfig);
    await new Promise((r) => setTimeout(r, 50));
    return { cloud, dayTwo };
}

interface Step {
    name: string;
    urn: string;
    create?: string;
    update?: string;
    delete?: string;
    triggers?: unknown[];
    env: Record<string, string>;
    deps: string[];
    plan: any;
}

function commands(): Step[] {
    return resourcesOfType(COMMAND).map((r) => {
        const reg = engineRegistration(COMMAND, r.name);
        return {
            name: r.name,
            urn: reg.urn,
            create: r.inputs.create,
            update: r.inputs.update,
            delete: r.inputs.delete,
            triggers: r.inputs.triggers,
            env: r.inputs.environment,
            deps: reg.dependencies,
            plan: JSON.parse(r.inputs.environment.DAY_TWO_PLAN),
        };
    });
}

const byName = (steps: Step[], suffix: string) => steps.filter((s) => s.name.endsWith(suffix));
const UPGRADE_ORDER = ["cp-a", "cp-b", "cp-c", "worker-1", "edge-a-1", "edge-b-1"];

describe("day two in the graph: declared a slice at a time (stacks/turns.ts)", function () {
    this.timeout(60_000);

    it(`lets the engine answer the first machines' steps before it declares the rest (a turn every ${MACHINES_PER_TURN} machines)`, async () => {
        resetRegistrations();
        const machines = 3 * MACHINES_PER_TURN + 5;
        const cfg = stack((c) => {
            const site = c.edgeSites[0];
            const first = site.machines[0];
            site.machines = Array.from({ length: machines }, (_, i) => ({
                ...first,
                name: `edge-a-${i + 1}`,
                mac: `52:54:00:00:21:${(i + 1).toString(16).padStart(2, "0")}`,
                ip: `10.0.20.${10 + i}`,
            }));
        });
        const cloud = composeCloud(cfg);
        // At each EdgeNode's construction: how many of the machines' configure steps the engine had received.
        const seen: Array<{ node: string; configuresRegistered: number }> = [];
        const probe: pulumi.ResourceTransformation = (args) => {
            if (args.type === "talos-cloud-edge:edge:EdgeNode") {
                seen.push({ node: args.name, configuresRegistered: registered.filter((r) => r.type === "command:local:Command" && /-edge-a-\d+-configure$/.test(r.name)).length });
            }
            return undefined;
        };
        const dayTwo = await composeDayTwo(cfg, cloud, undefined, { transformations: [probe] });
        await valueOf(dayTwo.edgeMachines);

        assert.strictEqual(seen.length, machines + cfg.edgeSites[1].machines.length);
        assert.strictEqual(seen[0].configuresRegistered, 0);
        // Declared in one pass, no registration could have reached the engine before the last node.
        const beforeLast = seen[machines - 1].configuresRegistered;
        assert.ok(beforeLast >= MACHINES_PER_TURN, `by the last site-a node the engine had ${beforeLast} configure steps`);
        // Within a slice, nothing reaches the engine; across a turn, the slice before it did.
        assert.strictEqual(seen[MACHINES_PER_TURN - 1].configuresRegistered, 0);
        assert.ok(seen[MACHINES_PER_TURN].configuresRegistered >= MACHINES_PER_TURN, JSON.stringify(seen.slice(0, MACHINES_PER_TURN + 1)));
        assert.strictEqual(resourcesOfType("talos-cloud-edge:edge:EdgeNode").length, seen.length, "every node still declared, once");
    });
});

describe("day two in the graph", function () {
    this.timeout(120_000);
    before(() => {
        savedDevices = invokeResults[GET_DEVICES];
        invokeResults[GET_DEVICES] = (inputs) => ({
            ...inputs,
            id: "devices",
            devices: [
                { hostname: "edge-a-1", addresses: [EDGE_A_IP, "fd7a:115c:a1e0::aa"], authorized: true, lastSeen: "2026-12-01T10:00:00Z", name: "edge-a-1.tail0000.ts.net" },
                { hostname: "laptop", addresses: ["100.100.9.9"], authorized: true, lastSeen: "2026-12-01T10:00:00Z", name: "laptop.tail0000.ts.net" },
            ],
        });
    });
    after(() => {
        invokeResults[GET_DEVICES] = savedDevices;
    });

    describe("resources", () => {
        let steps: Step[];
        before(async () => {
            await build(stack());
            steps = commands();
        });

        it("declares one upgrade and one removal step per node, under the node's own component", () => {
            const upgrades = byName(steps, "-upgrade").filter((s) => !s.name.includes("kubernetes"));
            assert.deepStrictEqual(upgrades.map((s) => s.plan.node), ["twosites-cp-a", "twosites-cp-b", "twosites-cp-c", "twosites-worker-1", "edge-a-1", "edge-b-1"]);
            assert.strictEqual(byName(steps, "-removal").length, 6);
            const cpA = engineRegistrations.find((r) => r.type === "talos-cloud-edge:gcp:CloudNode" && r.name.endsWith("-cp-a"))!;
            assert.strictEqual(engineRegistration(COMMAND, "twosites-talos-cp-a-upgrade").parentUrn, cpA.urn);
            assert.strictEqual(engineRegistration(COMMAND, "twosites-talos-cp-a-removal").parentUrn, cpA.urn);
            const edgeA = engineRegistrations.find((r) => r.type === "talos-cloud-edge:edge:EdgeNode" && r.name.endsWith("edge-a-1"))!;
            assert.strictEqual(engineRegistration(COMMAND, "twosites-site-a-edge-a-1-upgrade").parentUrn, edgeA.urn);
        });

        it("chains the upgrades: control planes in declaration order, then workers, then edge machines, each after its own config", () => {
            const upgrades = UPGRADE_ORDER.map((n) => steps.find((s) => s.name.endsWith(`-${n}-upgrade`))!);
            upgrades.forEach((u, i) => {
                if (i > 0) assert.ok(u.deps.includes(upgrades[i - 1].urn), `${u.name} waits for ${upgrades[i - 1].name}`);
                const later = upgrades.slice(i + 1).map((l) => l.urn);
                assert.ok(!u.deps.some((d) => later.includes(d)), `${u.name} waits for no later node`);
            });
            for (const n of ["cp-a", "cp-b", "cp-c", "worker-1"]) {
                const apply = engineRegistration(APPLY, `twosites-talos-${n}-apply`).urn;
                assert.ok(steps.find((s) => s.name === `twosites-talos-${n}-upgrade`)!.deps.includes(apply), `${n}: upgrade after its apply`);
            }
            const configure = steps.find((s) => s.name === "twosites-site-a-edge-a-1-configure")!;
            assert.ok(steps.find((s) => s.name === "twosites-site-a-edge-a-1-upgrade")!.deps.includes(configure.urn));
        });

        it("triggers an upgrade on the installer image only, and runs the step with its plan and secret credentials", () => {
            const cloudInstaller = findResource(COMMAND, "twosites-talos-cp-a-upgrade").inputs.triggers[0];
            assert.match(cloudInstaller, /^factory\.talos\.dev\/gcp-installer\/[0-9a-f]{64}:v1\.12\.4$/);
            assert.match(findResource(COMMAND, "twosites-site-a-edge-a-1-upgrade").inputs.triggers[0], /^factory\.talos\.dev\/metal-installer\/[0-9a-f]{64}:v1\.12\.4$/);
            for (const r of resourcesOfType(COMMAND)) {
                const env = r.rawInputs.environment;
                for (const key of ["DAY_TWO_TALOSCONFIG", "DAY_TWO_KUBECONFIG", "DAY_TWO_EDGE_BASE_CONFIG"]) {
                    if (key in r.inputs.environment) assert.ok(pulumi.runtime.isRpcSecret(env) || pulumi.runtime.isRpcSecret(env[key]), `${r.name}: ${key} is secret`);
                }
                for (const field of ["create", "update", "delete"]) {
                    const line = r.inputs[field];
                    if (line !== undefined) assert.match(line, /^node -r ts-node\/register\/transpile-only infra\/day-two\/cli\.ts [a-z-]+( --record)?$/, `${r.name}.${field} is a fixed command line`);
                }
            }
        });

        it("makes removal steps delete-only, never replaced, and deleted before their machine", () => {
            const order = UPGRADE_ORDER.map((n) => steps.find((s) => s.name.endsWith(`-${n}-removal`))!);
            for (const [i, r] of order.entries()) {
                assert.ok(r.delete && !r.create && !r.update && r.triggers === undefined, `${r.name}: delete only, no triggers`);
                if (i > 0) assert.ok(r.deps.includes(order[i - 1].urn), `${r.name} after ${order[i - 1].name} (destroy goes the other way)`);
            }
            for (const n of ["cp-a", "worker-1"]) {
                assert.ok(steps.find((s) => s.name === `twosites-talos-${n}-removal`)!.deps.includes(engineRegistration(INSTANCE, `twosites-talos-${n}-instance`).urn));
            }
        });

        it("runs the Kubernetes upgrade before any node's config is applied", () => {
            const k8s = steps.find((s) => s.name === "twosites-talos-kubernetes-upgrade")!;
            assert.strictEqual(k8s.plan.version, "v1.35.0");
            assert.match(k8s.create!, /upgrade-kubernetes --record$/);
            assert.match(k8s.update!, /upgrade-kubernetes$/);
            for (const a of resourcesOfType(APPLY)) {
                assert.ok(engineRegistration(APPLY, a.name).dependencies.includes(k8s.urn), `${a.name} waits for the Kubernetes upgrade`);
            }
        });

        it("gives a joined edge machine its tailnet address and a pending one none; the readiness gate comes last", () => {
            assert.strictEqual(steps.find((s) => s.name.endsWith("edge-a-1-configure"))!.plan.address, EDGE_A_IP);
            assert.strictEqual(steps.find((s) => s.name.endsWith("edge-b-1-configure"))!.plan.address, "");
            // The configure plan carries what the boot service renders from the inventory entry.
            const a = steps.find((s) => s.name.endsWith("edge-a-1-configure"))!.plan;
            assert.deepStrictEqual([a.site, a.installDisk, a.labels, a.validSubnets], ["site-a", "/dev/vda", { "example.com/rack": "r1" }, ["100.64.0.0/10", "fd7a:115c:a1e0::/48"]]);
            const b = steps.find((s) => s.name.endsWith("edge-b-1-configure"))!.plan;
            assert.deepStrictEqual([b.diskSelector, b.taints, "installDisk" in b], [{ type: "nvme" }, { edge: "site-b:NoSchedule" }, false]);
            const gate = steps.find((s) => s.name.endsWith("-readiness-gate"))!;
            assert.deepStrictEqual(gate.plan.edgeMachines, [
                { node: "edge-a-1", site: "site-a", onTailnet: true },
                { node: "edge-b-1", site: "site-b", onTailnet: false },
            ]);
            const last = steps.find((s) => s.name.endsWith("edge-b-1-upgrade"))!;
            assert.ok(gate.deps.includes(last.urn) && gate.deps.includes(steps.find((s) => s.name.endsWith("edge-a-1-configure"))!.urn));
        });
    });

    describe("outputs", () => {
        it("reports each edge machine as joined or pending from the tailnet, and when the credentials expire", async () => {
            const { cloud, dayTwo } = await build(stack());
            // Under the mocks the gate prints nothing, so the status comes from the tailnet alone.
            assert.deepStrictEqual(await valueOf(dayTwo.edgeMachines), [
                { node: "edge-a-1", site: "site-a", status: "joined" },
                { node: "edge-b-1", site: "site-b", status: "pending" },
            ]);
            assert.deepStrictEqual(await valueOf(cloud.outputs.credentials), {
                kubeconfig: { expires: "2027-12-02T13:24:26.000Z", renewsFrom: "2027-09-03T13:24:26.000Z" },
                talosconfig: { expires: "2027-09-28T13:24:28.000Z", renewsFrom: "2027-08-29T13:24:28.000Z" },
            });
            assert.strictEqual(findResource("talos:cluster/kubeconfig:Kubeconfig", "twosites-talos-kubeconfig").inputs.certificateRenewalDuration, "2160h");
        });

        it("without the readiness gate, reports edge machines from the tailnet alone and renews the kubeconfig in the configured window", async () => {
            const { dayTwo } = await build(stack((c) => Object.assign(c, { dayTwo: { ...DAY_TWO_DEFAULTS, readinessGate: false, kubeconfigRenewal: "720h" } })));
            assert.strictEqual(dayTwo.readiness, undefined);
            assert.ok(!resourcesOfType(COMMAND).some((r) => r.name.endsWith("-readiness-gate")));
            assert.deepStrictEqual((await valueOf(dayTwo.edgeMachines)).map((m) => m.status), ["joined", "pending"]);
            assert.strictEqual(findResource("talos:cluster/kubeconfig:Kubeconfig", "twosites-talos-kubeconfig").inputs.certificateRenewalDuration, "720h");
        });
    });

    describe("what each change does to the day-two steps", () => {
        type Snapshot = Map<string, { triggers?: unknown[]; env: Record<string, string> }>;
        const snapshot = (): Snapshot => new Map(commands().map((s) => [s.name, { triggers: s.triggers, env: { ...s.env, DAY_TWO_RUN: "" } }]));
        const changed = (a: Snapshot, b: Snapshot, what: "triggers" | "env") =>
            [...a.keys()].filter((k) => !isDeepStrictEqual(a.get(k)![what], b.get(k)?.[what])).sort();
        let base: Snapshot;
        before(async () => {
            await build(stack());
            base = snapshot();
        });

        it("a new Talos version replaces every node's upgrade step, cloud and edge, and nothing else's triggers", async () => {
            await build(stack((c) => (c.cluster.talosVersion = "v1.12.5")));
            const after = snapshot();
            assert.deepStrictEqual(changed(base, after, "triggers"), UPGRADE_ORDER.map((n) => [...base.keys()].find((k) => k.endsWith(`-${n}-upgrade`))!).sort());
            for (const n of ["cp-a", "edge-a-1"]) {
                const trig = after.get([...after.keys()].find((k) => k.endsWith(`-${n}-upgrade`))!)!.triggers![0] as string;
                assert.strictEqual(parseInstallerImage(trig).version, "v1.12.5");
            }
            assert.ok(!changed(base, after, "env").some((k) => k.endsWith("-removal") || k.includes("kubernetes")), "removal and Kubernetes steps untouched");
        });

        it("new cloud extensions replace only the cloud nodes' upgrade steps; new edge extensions only the edge machines'", async () => {
            await build(stack((c) => (c.images.cloudExtensions = [...c.images.cloudExtensions, "siderolabs/iscsi-tools"])));
            assert.deepStrictEqual(changed(base, snapshot(), "triggers"), ["cp-a", "cp-b", "cp-c", "worker-1"].map((n) => `twosites-talos-${n}-upgrade`).sort());
            await build(stack((c) => (c.images.edgeExtensions = [...c.images.edgeExtensions, "siderolabs/iscsi-tools"])));
            assert.deepStrictEqual(changed(base, snapshot(), "triggers"), ["twosites-site-a-edge-a-1-upgrade", "twosites-site-b-edge-b-1-upgrade"]);
        });

        it("a new Kubernetes version updates only the Kubernetes step among them (and the node configs wait for it)", async () => {
            await build(stack((c) => (c.cluster.kubernetesVersion = "v1.35.2")));
            const after = snapshot();
            assert.deepStrictEqual(changed(base, after, "triggers"), []);
            const envChanges = changed(base, after, "env");
            assert.ok(envChanges.includes("twosites-talos-kubernetes-upgrade"));
            assert.ok(!envChanges.some((k) => k.endsWith("-upgrade") && !k.includes("kubernetes")), `no node upgrade step re-runs: ${envChanges.join(", ")}`);
            assert.strictEqual(JSON.parse(after.get("twosites-talos-kubernetes-upgrade")!.env.DAY_TWO_PLAN).version, "v1.35.2");
        });

        it("an edge machine's new labels update only its configure step", async () => {
            await build(stack((c) => (c.edgeSites[0].machines[0].labels = { "example.com/rack": "r9" })));
            const after = snapshot();
            assert.deepStrictEqual(changed(base, after, "triggers"), []);
            assert.deepStrictEqual(changed(base, after, "env").filter((k) => !k.endsWith("-readiness-gate")), ["twosites-site-a-edge-a-1-configure"]);
        });

        it("removing a worker drops its steps (Pulumi then runs its removal's delete before deleting the instance)", async () => {
            await build(stack((c) => (c.cloudNodes = c.cloudNodes.filter((n) => n.name !== "worker-1"))));
            const after = snapshot();
            assert.deepStrictEqual([...base.keys()].filter((k) => !after.has(k)).sort(), ["twosites-talos-worker-1-removal", "twosites-talos-worker-1-upgrade"]);
            assert.ok(!resourcesOfType(INSTANCE).some((i) => i.name.includes("worker-1")));
        });
    });

    describe("the scale-down check against the previous deployment", () => {
        const SR = "pulumi:pulumi:StackReference";
        afterEach(() => delete computedOutputs[SR]);

        it("reads this stack's own recorded control planes and refuses losing quorum", async () => {
            computedOutputs[SR] = () => ({ outputs: { controlPlanes: ["cp-a", "cp-b", "cp-c"] } });
            resetRegistrations();
            const previous = previousControlPlanes();
            assert.deepStrictEqual(await valueOf(previous), ["cp-a", "cp-b", "cp-c"]);
            assert.strictEqual(registered.find((r) => r.type === SR)!.inputs.name, selfStackName());
            assert.strictEqual(selfStackName(), "organization/talos-cloud-edge/dev");
            assert.deepStrictEqual(await valueOf(checkedControlPlanes(previous, ["cp-a", "cp-b"])), ["cp-a", "cp-b"]);
            // Output.promise() is the SDK's own (internal) way to await an output, rejection included.
            const refused = checkedControlPlanes(previous, ["cp-a"]) as unknown as { promise(): Promise<string[]> };
            await assert.rejects(refused.promise(), /removes control planes "cp-b", "cp-c" at once; 1 of the 3 etcd members would remain, below the quorum of 2/);
        });

        it("has nothing to compare on the first deployment", async () => {
            resetRegistrations();
            assert.strictEqual(await valueOf(previousControlPlanes()), undefined);
        });
    });

    describe("the rollout, executed like the engine against a fake cluster", () => {
        const OLD = fakeSchematic("running-schematic");
        let upgrades: Step[];
        let fake: FakeCluster;
        afterEach(() => fake?.dispose());

        before(async () => {
            await build(stack());
            upgrades = commands().filter((s) => s.plan.installerImage !== undefined && s.create?.endsWith("upgrade-node"));
            assert.strictEqual(upgrades.length, 6);
        });

        /** A cluster whose nodes all run an older Talos; every address from the plans. */
        function fakeFor(steps: Step[]): FakeState {
            const nodes: FakeState["nodes"] = {};
            for (const s of steps) {
                if (!s.plan.address) continue;
                nodes[s.plan.address] = { name: s.plan.node, role: s.plan.role, location: s.plan.location, version: "v1.12.3", schematic: OLD, etcdHealthy: true, reachable: true, ready: true, kubeletVersion: "v1.35.0" };
            }
            return { nodes, etcdMembers: [], apiServerVersion: "v1.35.0", fail: {}, upgradeDelayMs: 150 };
        }

        /**
         * Runs the steps like the engine: a step starts once the steps it depends on are done;
         * independent steps run at once; after a failure nothing new starts; a step whose
         * inputs are already in `state` is left alone. Returns the names run and failed.
         */
        async function execute(steps: Step[], state: Map<string, unknown>, fakeCluster: FakeCluster) {
            const done = new Set<string>();
            const ran: string[] = [];
            let failed: string | undefined;
            const inputsOf = (s: Step) => ({ triggers: s.triggers, env: s.env });
            const pending = new Map(steps.map((s) => [s.urn, s]));
            const running = new Map<string, Promise<void>>();
            const known = new Set(steps.map((s) => s.urn));
            while (pending.size > 0 || running.size > 0) {
                if (!failed) {
                    for (const [urn, s] of [...pending]) {
                        if (!s.deps.filter((d) => known.has(d)).every((d) => done.has(d))) continue;
                        pending.delete(urn);
                        if (isDeepStrictEqual(state.get(s.name), inputsOf(s))) {
                            done.add(urn);
                            continue;
                        }
                        running.set(urn, (async () => {
                            ran.push(s.name);
                            const env = fakeCluster.env(s.env);
                            const code = await runTask(["upgrade-node"], { env, exec: makeSpawnExec(env), stdout: () => undefined, stderr: () => undefined });
                            if (code === 0) {
                                state.set(s.name, inputsOf(s));
                                done.add(urn);
                            } else {
                                failed = failed ?? s.name;
                            }
                        })().finally(() => running.delete(urn)));
                    }
                }
                if (running.size === 0) {
                    if (failed || pending.size === 0) break;
                    if ([...pending.values()].every((s) => !s.deps.filter((d) => known.has(d)).every((d) => done.has(d)))) throw new Error("dependency cycle");
                    continue;
                }
                await Promise.race(running.values());
            }
            return { ran, failed };
        }

        const upgradeCalls = (f: FakeCluster) => f.calls().filter((c) => c.tool === "talosctl" && c.op === "upgrade");
        const nameAt = (f: FakeCluster, address: string) => f.state().nodes[address].name;

        it("upgrades control planes one at a time in order, each after an etcd check, then workers, then joined edge machines", async () => {
            fake = new FakeCluster(fakeFor(upgrades));
            const result = await execute(upgrades, new Map(), fake);
            assert.strictEqual(result.failed, undefined);
            const calls = upgradeCalls(fake).sort((a, b) => a.start - b.start);
            assert.deepStrictEqual(calls.map((c) => nameAt(fake, c.node!)), ["twosites-cp-a", "twosites-cp-b", "twosites-cp-c", "twosites-worker-1", "edge-a-1"]);
            for (let i = 1; i < calls.length; i++) {
                assert.ok(calls[i].start >= calls[i - 1].end, `${nameAt(fake, calls[i].node!)} started after ${nameAt(fake, calls[i - 1].node!)} finished`);
            }
            const etcdChecks = fake.calls().filter((c) => c.op === "service etcd");
            for (let i = 0; i < 3; i++) {
                assert.ok(etcdChecks.some((c) => c.start >= calls[i].end && c.end <= calls[i + 1].start), `etcd checked between ${nameAt(fake, calls[i].node!)} and the next node`);
            }
            assert.ok(Object.values(fake.state().nodes).every((n) => n.version === "v1.12.4"));
        });

        it("stops at the first failure, leaving every later node untouched, and a rerun resumes with the failed node", async () => {
            fake = new FakeCluster(fakeFor(upgrades));
            const cpB = upgrades.find((s) => s.plan.node === "twosites-cp-b")!.plan.address;
            fake.update((s) => (s.fail.upgrade = [cpB]));
            const state = new Map<string, unknown>();
            const first = await execute(upgrades, state, fake);
            assert.strictEqual(first.failed, "twosites-talos-cp-b-upgrade");
            assert.deepStrictEqual(upgradeCalls(fake).map((c) => nameAt(fake, c.node!)), ["twosites-cp-a", "twosites-cp-b"]);
            const later = upgrades.filter((s) => !["twosites-cp-a", "twosites-cp-b"].includes(s.plan.node)).map((s) => s.plan.address).filter(Boolean);
            // cp-b's pre-flight reads etcd health on every control plane; nothing else reaches a later node.
            assert.deepStrictEqual([...new Set(fake.calls().filter((c) => c.tool === "talosctl" && later.includes(c.node!)).map((c) => c.op))], ["service etcd"]);
            assert.ok(later.every((a) => fake.state().nodes[a].version === "v1.12.3"), "later nodes still on the old version");
            assert.deepStrictEqual([...state.keys()], ["twosites-talos-cp-a-upgrade"], "only cp-a's step reached state");

            fake.update((s) => (s.fail.upgrade = []));
            fake.clearCalls();
            const second = await execute(upgrades, state, fake);
            assert.strictEqual(second.failed, undefined);
            assert.deepStrictEqual(second.ran, UPGRADE_ORDER.slice(1).map((n) => upgrades.find((s) => s.name.endsWith(`-${n}-upgrade`))!.name));
            assert.deepStrictEqual(upgradeCalls(fake).sort((a, b) => a.start - b.start).map((c) => nameAt(fake, c.node!)), ["twosites-cp-b", "twosites-cp-c", "twosites-worker-1", "edge-a-1"]);
            const cpA = upgrades[0].plan.address;
            assert.ok(!fake.calls().some((c) => c.node === cpA && c.op === "upgrade"), "cp-a is not upgraded again");
        });

        it("runs the recorded command line itself from the project directory", async () => {
            fake = new FakeCluster(fakeFor(upgrades));
            const step = upgrades.find((s) => s.plan.node === "twosites-worker-1")!;
            const env = fake.env(step.env);
            const result = await new Promise<{ code: number; stdout: string }>((resolve) => {
                execFile("/bin/sh", ["-c", step.create!], { cwd: path.join(__dirname, ".."), env }, (err, stdout) => resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stdout }));
            });
            assert.strictEqual(result.code, 0);
            assert.match(result.stdout, /^DAY_TWO_RESULT \{"node":"twosites-worker-1","outcome":"upgraded"/m);
        });
    });
});
