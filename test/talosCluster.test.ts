import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as tailscale from "@pulumi/tailscale";
import { parse, parseAllDocuments } from "yaml";
import {
    apiServerUrl,
    kubeconfigWithServer,
    planNodes,
    requireGoDuration,
    TalosCluster,
    TalosClusterArgs,
    TalosClusterNodeArgs,
} from "../components/talosCluster";
import {
    engineRegistration,
    fakeTailnetIp,
    findResource,
    invokesOf,
    isSecret,
    resetRegistrations,
    resourcesOfType,
    valueOf,
} from "./mocks";

const GET_CONFIG = "talos:machine/getConfiguration:getConfiguration";
const APPLY = "talos:machine/configurationApply:ConfigurationApply";
const BOOTSTRAP = "talos:machine/bootstrap:Bootstrap";
const KUBECONFIG = "talos:cluster/kubeconfig:Kubeconfig";
const SECRETS = "talos:machine/secrets:Secrets";
const CLOUD_INSTALLER = "factory.talos.dev/gcp-installer/4a0d65c669d46663f377e7161e50cfd570c401f26fd9e7bda34a0216b6f1922b:v1.12.4";
const EDGE_INSTALLER = "factory.talos.dev/metal-installer/7d4c31cbd96db9f90c874990697c523482b2bae27fb4631d5583dcd9c281b1ff:v1.12.4";

const node = (name: string, role: "controlplane" | "worker", i: number): TalosClusterNodeArgs => ({
    name,
    hostname: `c1-${name}`,
    role,
    machineType: "e2-standard-4",
    diskSizeGb: 50,
    internalAddress: `10.1.0.${10 + i}`,
    externalAddress: `203.0.113.${10 + i}`,
    tailnetAuthKey: pulumi.secret(`tskey-auth-${name}`),
});

const clusterArgs = (over: Partial<TalosClusterArgs> = {}): TalosClusterArgs => ({
    clusterName: "c1",
    talosContract: "v1.12",
    podCidr: "10.244.0.0/16",
    serviceCidr: "10.96.0.0/12",
    certSans: ["k8s.example.internal"],
    healthTimeout: "7m",
    cloudInstallerImage: CLOUD_INSTALLER,
    edgeInstallerImage: EDGE_INSTALLER,
    talosApiAccess: "public",
    gce: {
        region: "europe-west4",
        zone: "europe-west4-a",
        image: "https://www.googleapis.com/compute/v1/projects/p/global/images/talos",
        subnetwork: "subnet-id",
        subnetCidr: "10.1.0.0/24",
        nodeTag: "c1-node",
        controlPlaneTag: "c1-controlplane",
        workerTag: "c1-worker",
        firewalls: [],
    },
    nodes: [node("master-1", "controlplane", 0), node("worker-1", "worker", 1)],
    ...over,
});

function build(over: Partial<TalosClusterArgs> = {}): TalosCluster {
    const provider = new tailscale.Provider("ts", { apiKey: pulumi.secret("tskey-api-fake") });
    return new TalosCluster("k", clusterArgs(over), { providers: [provider] });
}

/** Every document of every patch an invoke received, parsed. */
const patchDocs = (inputs: Record<string, any>): any[] =>
    (inputs.configPatches as string[]).flatMap((p) => parseAllDocuments(p).map((d) => d.toJS()));

const configInvokeFor = (endpoint: string, type: string) => {
    const hits = invokesOf(GET_CONFIG).filter((i) => i.inputs.clusterEndpoint === endpoint && i.inputs.machineType === type);
    return hits;
};

async function built(over: Partial<TalosClusterArgs> = {}): Promise<TalosCluster> {
    const cluster = build(over);
    await Promise.all([valueOf(cluster.kubeconfig), valueOf(cluster.edgeWorkerConfig), valueOf(cluster.talosconfig), valueOf(cluster.nodeSummaries)]);
    return cluster;
}

describe("components/talosCluster", () => {
    beforeEach(resetRegistrations);

    describe("pure helpers", () => {
        it("planNodes needs a control plane, unique names, and bootstraps the first control plane", () => {
            const nodes = [{ name: "w", hostname: "c-w", role: "worker" as const }, { name: "a", hostname: "c-a", role: "controlplane" as const }, { name: "b", hostname: "c-b", role: "controlplane" as const }];
            assert.strictEqual(planNodes(nodes).bootstrapNode.name, "a");
            assert.throws(() => planNodes([nodes[0]]), /at least one node needs role "controlplane"/);
            assert.throws(() => planNodes([nodes[1], { ...nodes[2], name: "a" }]), /name "a" is used twice/);
        });

        it("apiServerUrl brackets IPv6", () => {
            assert.strictEqual(apiServerUrl("10.1.0.5"), "https://10.1.0.5:6443");
            assert.strictEqual(apiServerUrl("fd7a::1"), "https://[fd7a::1]:6443");
        });

        it("requireGoDuration accepts Go durations only", () => {
            assert.strictEqual(requireGoDuration("f", "1h30m"), "1h30m");
            assert.throws(() => requireGoDuration("cluster.healthTimeout", "10 minutes"), /cluster\.healthTimeout: "10 minutes" is not a duration/);
        });

        it("kubeconfigWithServer rewrites every cluster server and keeps the rest", () => {
            const raw = "apiVersion: v1\nkind: Config\nclusters:\n- name: c1\n  cluster:\n    server: https://10.1.0.10:6443\n    certificate-authority-data: Q0E=\n";
            const out = parse(kubeconfigWithServer(raw, "https://203.0.113.10:6443"));
            assert.strictEqual(out.clusters[0].cluster.server, "https://203.0.113.10:6443");
            assert.strictEqual(out.clusters[0].cluster["certificate-authority-data"], "Q0E=");
            assert.throws(() => kubeconfigWithServer("kind: Config\n", "x"), /no clusters entry/);
        });
    });

    describe("secrets", () => {
        it("pins the contract, protects the secrets and keeps them secret in state", async () => {
            await built();
            const secrets = findResource(SECRETS, "k-secrets");
            assert.strictEqual(secrets.inputs.talosVersion, "v1.12");
            const reg = engineRegistration(SECRETS, "k-secrets");
            assert.strictEqual(reg.protect, true);
            assert.deepStrictEqual([...new Set(reg.additionalSecretOutputs)].sort(), ["clientConfiguration", "machineSecrets"]);
        });
    });

    describe("machine configs", () => {
        it("renders one config per cloud node against the first control plane's internal address", async () => {
            await built();
            const endpoint = "https://10.1.0.10:6443";
            assert.strictEqual(configInvokeFor(endpoint, "controlplane").length, 1);
            assert.strictEqual(configInvokeFor(endpoint, "worker").length, 1);
            for (const i of configInvokeFor(endpoint, "controlplane")) {
                assert.strictEqual(i.inputs.clusterName, "c1");
                assert.strictEqual(i.inputs.talosVersion, "v1.12");
                assert.strictEqual(i.inputs.docs, false);
            }
        });

        it("gives every cloud node the tailnet kubelet subnet, flannel on tailscale0 and the cloud installer", async () => {
            await built();
            for (const role of ["controlplane", "worker"]) {
                const [invoke] = configInvokeFor("https://10.1.0.10:6443", role);
                const docs = patchDocs(invoke.inputs);
                const v1 = docs.filter((d) => d.machine || d.cluster);
                assert.ok(v1.some((d) => d.machine?.kubelet?.nodeIP?.validSubnets?.includes("100.64.0.0/10")), `${role}: validSubnets`);
                assert.ok(v1.some((d) => d.cluster?.network?.cni?.flannel?.extraArgs?.includes("--iface=tailscale0")), `${role}: flannel iface`);
                assert.ok(v1.some((d) => d.cluster?.network?.cni?.name === "flannel"));
                assert.deepStrictEqual(v1.filter((d) => d.machine?.install).map((d) => d.machine.install.image), [CLOUD_INSTALLER]);
            }
        });

        it("adds a tailscale extension config with TS_AUTH_ONCE and the node's own hostname and key", async () => {
            await built();
            for (const [role, name] of [["controlplane", "master-1"], ["worker", "worker-1"]]) {
                const [invoke] = configInvokeFor("https://10.1.0.10:6443", role);
                const docs = patchDocs(invoke.inputs);
                const ext = docs.filter((d) => d.kind === "ExtensionServiceConfig");
                assert.strictEqual(ext.length, 1);
                assert.strictEqual(ext[0].name, "tailscale");
                assert.ok(ext[0].environment.includes("TS_AUTH_ONCE=true"));
                assert.ok(ext[0].environment.includes(`TS_HOSTNAME=c1-${name}`));
                assert.ok(ext[0].environment.includes(`TS_AUTHKEY=tskey-auth-${name}`));
                const host = docs.filter((d) => d.kind === "HostnameConfig");
                assert.deepStrictEqual(host, [{ apiVersion: "v1alpha1", kind: "HostnameConfig", hostname: `c1-${name}`, auto: "off" }]);
            }
        });

        it("pins etcd to the subnet on control planes only, and covers every control-plane address in the API certificate", async () => {
            await built();
            const cp = patchDocs(configInvokeFor("https://10.1.0.10:6443", "controlplane")[0].inputs);
            const worker = patchDocs(configInvokeFor("https://10.1.0.10:6443", "worker")[0].inputs);
            assert.ok(cp.some((d) => d.cluster?.etcd?.advertisedSubnets?.[0] === "10.1.0.0/24"));
            assert.ok(!worker.some((d) => d.cluster?.etcd));
            const sans = cp.find((d) => d.cluster?.apiServer)?.cluster.apiServer.certSANs;
            assert.deepStrictEqual(sans, ["10.1.0.10", "203.0.113.10", "k8s.example.internal"]);
            const apid = worker.find((d) => d.machine?.certSANs)?.machine.certSANs;
            assert.deepStrictEqual(apid, ["10.1.0.11", "203.0.113.11"]);
        });

        it("puts each node's config into its instance as secret user-data", async () => {
            const cluster = await built();
            const instances = resourcesOfType("gcp:compute/instance:Instance");
            assert.deepStrictEqual(instances.map((i) => i.inputs.name).sort(), ["c1-master-1", "c1-worker-1"]);
            for (const instance of instances) {
                assert.match(instance.inputs.metadata["user-data"], /controlPlane:\n {4}endpoint: https:\/\/10\.1\.0\.10:6443/);
                assert.ok(pulumi.runtime.isRpcSecret(instance.rawInputs.metadata));
            }
            assert.strictEqual(cluster.nodes.length, 2);
        });
    });

    describe("lifecycle order", () => {
        it("bootstraps the first control plane after every control-plane apply", async () => {
            const cluster = await built({ nodes: [node("master-1", "controlplane", 0), node("worker-1", "worker", 1), node("master-2", "controlplane", 2)] });
            const bootstrap = findResource(BOOTSTRAP, "k-bootstrap");
            assert.strictEqual(bootstrap.inputs.node, "203.0.113.10");
            const deps = engineRegistration(BOOTSTRAP, "k-bootstrap").dependencies;
            for (const name of ["master-1", "master-2"]) {
                assert.ok(deps.includes(engineRegistration(APPLY, `k-${name}-apply`).urn), `bootstrap waits for ${name}'s apply`);
            }
            assert.ok(!deps.includes(engineRegistration(APPLY, "k-worker-1-apply").urn), "workers do not gate the bootstrap");
            assert.strictEqual(resourcesOfType(APPLY).length, 3);
            assert.strictEqual(cluster.nodes.length, 3);
        });

        it("fetches the kubeconfig only after the bootstrap", async () => {
            await built();
            const deps = engineRegistration(KUBECONFIG, "k-kubeconfig").dependencies;
            assert.ok(deps.includes(engineRegistration(BOOTSTRAP, "k-bootstrap").urn));
            assert.strictEqual(findResource(KUBECONFIG, "k-kubeconfig").inputs.node, "203.0.113.10");
            assert.ok(engineRegistration(KUBECONFIG, "k-kubeconfig").additionalSecretOutputs.includes("kubeconfigRaw"));
        });

        it("runs the bounded health gate after every apply and the kubeconfig", async () => {
            const cluster = await built();
            const gate = await (cluster.healthy as any).allResources() as Set<pulumi.Resource>;
            assert.ok(gate.has(cluster.kubeconfigResource), "health waits for the kubeconfig");
            for (const n of cluster.nodes) {
                assert.ok(gate.has(n.configurationApply), `health waits for ${n.hostname}'s apply`);
            }
            const [health] = invokesOf("talos:cluster/getHealth:getHealth");
            assert.deepStrictEqual(health.inputs.timeouts, { read: "7m" });
            assert.deepStrictEqual(health.inputs.endpoints, ["203.0.113.10"]);
            assert.deepStrictEqual(health.inputs.controlPlaneNodes, ["10.1.0.10"]);
            assert.deepStrictEqual(health.inputs.workerNodes, ["10.1.0.11"]);
            assert.strictEqual(health.inputs.skipKubernetesChecks, true);
        });

        it("hands out the kubeconfig and the edge config only once the health gate passed", async () => {
            const cluster = await built();
            for (const out of [cluster.kubeconfig, cluster.edgeWorkerConfig]) {
                const deps = await (out as any).allResources() as Set<pulumi.Resource>;
                assert.ok(deps.has(cluster.kubeconfigResource) && [...cluster.nodes].every((n) => deps.has(n.configurationApply)));
            }
        });
    });

    describe("outputs", () => {
        it("keeps kubeconfig, talosconfig, edge config and client credentials secret", async () => {
            const cluster = await built();
            for (const [name, out] of Object.entries({ kubeconfig: cluster.kubeconfig, talosconfig: cluster.talosconfig, edgeWorkerConfig: cluster.edgeWorkerConfig, clientConfiguration: cluster.clientConfiguration })) {
                assert.ok(await isSecret(out as pulumi.Output<unknown>), `${name} is secret`);
            }
        });

        it("points the kubeconfig at the address the runner used", async () => {
            const cluster = await built();
            assert.strictEqual(parse(await valueOf(cluster.kubeconfig)).clusters[0].cluster.server, "https://203.0.113.10:6443");
        });

        it("writes a talosconfig with the control planes as endpoints and one default node", async () => {
            const cluster = await built();
            const [invoke] = invokesOf("talos:client/getConfiguration:getConfiguration");
            assert.deepStrictEqual(invoke.inputs.endpoints, ["203.0.113.10"]);
            assert.deepStrictEqual(invoke.inputs.nodes, ["10.1.0.10"]);
            assert.match(await valueOf(cluster.talosconfig), /context: c1/);
        });

        it("builds the edge worker config against the first control plane's tailnet address", async () => {
            const cluster = await built();
            const tailnetEndpoint = `https://${fakeTailnetIp("c1-master-1")}:6443`;
            assert.strictEqual(await valueOf(cluster.edgeClusterEndpoint), tailnetEndpoint);
            const [edge] = configInvokeFor(tailnetEndpoint, "worker");
            const docs = patchDocs(edge.inputs);
            assert.ok(docs.some((d) => d.machine?.kubelet?.nodeIP?.validSubnets?.includes("100.64.0.0/10")));
            assert.ok(docs.some((d) => d.cluster?.network?.cni?.flannel?.extraArgs?.includes("--iface=tailscale0")));
            assert.deepStrictEqual(docs.filter((d) => d.machine?.install).map((d) => d.machine.install.image), [EDGE_INSTALLER]);
            assert.ok(!docs.some((d) => d.kind === "ExtensionServiceConfig"), "per-boot tailscale keys are the boot service's job");
            assert.match(await valueOf(cluster.edgeWorkerConfig), new RegExp(`endpoint: ${tailnetEndpoint.replace(/[.]/g, "\\.")}`));
        });

        it("summarises node names and addresses", async () => {
            const cluster = await built();
            const summaries = await valueOf(cluster.nodeSummaries);
            assert.deepStrictEqual(summaries[0], {
                name: "master-1",
                hostname: "c1-master-1",
                role: "controlplane",
                publicIp: "203.0.113.10",
                privateIp: "10.1.0.10",
                tailnetIp: fakeTailnetIp("c1-master-1"),
            });
        });

        it("uses tailnet addresses for every runner-facing call in tailnet mode", async () => {
            const cluster = await built({ talosApiAccess: "tailnet" });
            const cpTailnet = fakeTailnetIp("c1-master-1");
            assert.strictEqual(findResource(BOOTSTRAP, "k-bootstrap").inputs.node, cpTailnet);
            assert.strictEqual(findResource(KUBECONFIG, "k-kubeconfig").inputs.node, cpTailnet);
            assert.deepStrictEqual(invokesOf("talos:cluster/getHealth:getHealth")[0].inputs.endpoints, [cpTailnet]);
            assert.strictEqual(parse(await valueOf(cluster.kubeconfig)).clusters[0].cluster.server, `https://${cpTailnet}:6443`);
        });
    });

    it("refuses a bad health timeout before creating anything", () => {
        assert.throws(() => build({ healthTimeout: "ten minutes" }), /cluster\.healthTimeout/);
    });
});
