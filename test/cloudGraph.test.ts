/**
 * The whole cloud half of the dev stack, built offline from Pulumi.dev.yaml through
 * parseStackConfig and composeCloud: what `pulumi up -s dev` would register, in which order,
 * and what stays secret.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { parseAllDocuments } from "yaml";
import { cloudNodeHostname, composeCloud, edgeArchitectures, talosApiAccessFor } from "../stacks/cloud";
import { StackConfig } from "../components/model";
import {
    engineRegistration,
    fakeTailnetIp,
    findResource,
    invokesOf,
    isSecret,
    registered,
    resetRegistrations,
    resourcesOfType,
    valueOf,
} from "./mocks";
import { devStackConfig } from "./stackFiles";

const INSTANCE = "gcp:compute/instance:Instance";
const FIREWALL = "gcp:compute/firewall:Firewall";
const APPLY = "talos:machine/configurationApply:ConfigurationApply";
const GET_CONFIG = "talos:machine/getConfiguration:getConfiguration";

async function buildDev(mutate: (cfg: StackConfig) => StackConfig = (c) => c) {
    const cfg = mutate(devStackConfig());
    const cloud = composeCloud(cfg);
    await Promise.all(Object.values(cloud.outputs).filter(pulumi.Output.isInstance).map((o) => valueOf(o as pulumi.Output<unknown>)));
    // The day-two steps register once the kubeconfig they carry has resolved.
    await Promise.all([...cloud.cluster.upgrades, ...cloud.cluster.removals].map((r) => valueOf(r.urn)));
    return { cfg, cloud };
}

const countByType = (custom: boolean): Record<string, number> => {
    const counts: Record<string, number> = {};
    for (const r of registered.filter((x) => x.custom === custom)) {
        counts[r.type] = (counts[r.type] ?? 0) + 1;
    }
    return counts;
};

describe("stacks/cloud: the dev stack's cloud graph", () => {
    beforeEach(resetRegistrations);

    it("registers exactly the expected resources", async () => {
        await buildDev();
        assert.deepStrictEqual(countByType(true), {
            "gcp:compute/network:Network": 1,
            "gcp:compute/subnetwork:Subnetwork": 1,
            "gcp:compute/firewall:Firewall": 3,
            "gcp:compute/address:Address": 4,
            "pulumi:providers:talos": 1,
            "talos:imageFactory/schematic:Schematic": 2,
            "gcp:storage/bucket:Bucket": 1,
            // The factory's GCP tarball, copied once per URL (components/gcsObjectFromUrl.ts).
            "pulumi-nodejs:dynamic/talos-cloud-edge:GcsObjectFromUrl": 1,
            "gcp:compute/image:Image": 1,
            "pulumi:providers:tailscale": 1,
            "tailscale:index/tailnetKey:TailnetKey": 2,
            "talos:machine/secrets:Secrets": 1,
            "gcp:compute/instance:Instance": 2,
            "talos:machine/configurationApply:ConfigurationApply": 2,
            "talos:machine/bootstrap:Bootstrap": 1,
            "talos:cluster/kubeconfig:Kubeconfig": 1,
            "command:local:Command": 4, // day two: one upgrade and one removal step per node
        });
        assert.deepStrictEqual(countByType(false), {
            "talos-cloud-edge:gcp:CloudNetwork": 1,
            "talos-cloud-edge:talos:TalosImages": 1,
            "talos-cloud-edge:tailnet:Tailnet": 1,
            "talos-cloud-edge:talos:TalosCluster": 1,
            "talos-cloud-edge:gcp:CloudNode": 2,
        });
        const invokeCounts = Object.fromEntries(["talos:machine/getConfiguration:getConfiguration", "talos:imageFactory/getUrls:getUrls", "talos:cluster/getHealth:getHealth", "talos:client/getConfiguration:getConfiguration", "tailscale:index/getDevice:getDevice"]
            .map((t) => [t, invokesOf(t).length]));
        assert.deepStrictEqual(invokeCounts, {
            "talos:machine/getConfiguration:getConfiguration": 3, // two cloud nodes + the edge base worker
            "talos:imageFactory/getUrls:getUrls": 2, // gcp + metal/amd64
            "talos:cluster/getHealth:getHealth": 1,
            "talos:client/getConfiguration:getConfiguration": 1,
            "tailscale:index/getDevice:getDevice": 2,
        });
    });

    it("boots every instance from the imported image", async () => {
        const { cloud } = await buildDev();
        const selfLink = await valueOf(cloud.images.gcpImage.selfLink);
        const instances = resourcesOfType(INSTANCE);
        assert.strictEqual(instances.length, 2);
        for (const i of instances) {
            assert.strictEqual(i.inputs.bootDisk.initializeParams.image, selfLink, `${i.name} boots the imported image`);
        }
    });

    it("opens Talos and Kubernetes only to the configured admin CIDRs, and the VPC to itself", async () => {
        const { cfg } = await buildDev();
        const ranges = Object.fromEntries(resourcesOfType(FIREWALL).map((f) => [f.name.replace(`${cfg.cluster.name}-network-`, ""), f.inputs.sourceRanges]));
        assert.deepStrictEqual(ranges, { "internal": [cfg.gcp.subnetCidr], "talos-api": cfg.gcp.adminCidrs, "kube-api": cfg.gcp.adminCidrs });
        assert.ok(!Object.values(ranges).flat().includes("0.0.0.0/0"));
    });

    it("lets the instances boot only after their firewall rules exist", async () => {
        await buildDev();
        const firewallUrns = resourcesOfType(FIREWALL).map((f) => engineRegistration(FIREWALL, f.name).urn);
        for (const i of resourcesOfType(INSTANCE)) {
            const deps = engineRegistration(INSTANCE, i.name).dependencies;
            assert.ok(firewallUrns.every((u) => deps.includes(u)), `${i.name} waits for the firewall`);
        }
    });

    it("renders tailnet kubelet addressing and flannel on tailscale0 into every node's config", async () => {
        const { cfg } = await buildDev();
        const configs = invokesOf(GET_CONFIG);
        assert.strictEqual(configs.length, cfg.cloudNodes.length + 1);
        for (const invoke of configs) {
            const docs = (invoke.inputs.configPatches as string[]).flatMap((p) => parseAllDocuments(p).map((d) => d.toJS()));
            assert.ok(docs.some((d) => d.machine?.kubelet?.nodeIP?.validSubnets?.includes("100.64.0.0/10")));
            assert.ok(docs.some((d) => d.cluster?.network?.cni?.flannel?.extraArgs?.includes("--iface=tailscale0")));
        }
    });

    it("installs the cloud schematic's GCP installer at Talos v1.12.4", async () => {
        const { cloud, cfg } = await buildDev();
        const cloudId = await valueOf(cloud.images.cloudSchematicId);
        const expected = `factory.talos.dev/gcp-installer/${cloudId}:v1.12.4`;
        assert.strictEqual(cfg.cluster.talosVersion, "v1.12.4");
        for (const node of cfg.cloudNodes) {
            const hostname = cloudNodeHostname(cfg.cluster.name, node.name);
            const invoke = invokesOf(GET_CONFIG).find((i) => (i.inputs.configPatches as string[]).some((p) => p.includes(`TS_HOSTNAME=${hostname}`)));
            assert.ok(invoke, `config for ${hostname}`);
            const docs = (invoke.inputs.configPatches as string[]).flatMap((p) => parseAllDocuments(p).map((d) => d.toJS()));
            assert.deepStrictEqual(docs.filter((d) => d.machine?.install).map((d) => d.machine.install.image), [expected]);
            const ext = docs.find((d) => d.kind === "ExtensionServiceConfig");
            assert.ok(ext.environment.includes("TS_AUTH_ONCE=true"));
        }
    });

    it("mints one single-use, pre-authorized, tagged, short-lived key per cloud node", async () => {
        const { cfg } = await buildDev();
        const keys = resourcesOfType("tailscale:index/tailnetKey:TailnetKey");
        assert.strictEqual(keys.length, cfg.cloudNodes.length);
        for (const k of keys) {
            assert.deepStrictEqual(
                [k.inputs.reusable, k.inputs.preauthorized, k.inputs.tags, k.inputs.expiry],
                [false, true, cfg.tailnet.cloudTags, cfg.tailnet.keyExpirySeconds],
            );
        }
    });

    it("keeps machine configs, keys, kubeconfig and talosconfig secret in state and outputs", async () => {
        const { cloud } = await buildDev();
        for (const i of resourcesOfType(INSTANCE)) {
            assert.ok(pulumi.runtime.isRpcSecret(i.rawInputs.metadata), `${i.name} user-data`);
            assert.ok(engineRegistration(INSTANCE, i.name).additionalSecretOutputs.includes("metadata"));
        }
        for (const a of resourcesOfType(APPLY)) {
            assert.ok(pulumi.runtime.isRpcSecret(a.rawInputs.machineConfigurationInput), `${a.name} machineConfigurationInput`);
        }
        for (const k of Object.values(cloud.tailnet!.authKeys)) {
            assert.ok(await isSecret(k));
        }
        assert.ok(await isSecret(cloud.outputs.kubeconfig), "kubeconfig output");
        assert.ok(await isSecret(cloud.outputs.talosconfig), "talosconfig output");
        assert.ok(await isSecret(cloud.cluster.edgeWorkerConfig), "edge worker config");
        assert.ok(!(await isSecret(cloud.outputs.nodes)), "node addresses are not secret");
    });

    it("orders apply → bootstrap → kubeconfig → health", async () => {
        const { cloud, cfg } = await buildDev();
        const cp = cfg.cloudNodes.find((n) => n.role === "controlplane")!;
        const prefix = `${cfg.cluster.name}-talos`;
        const cpApply = engineRegistration(APPLY, `${prefix}-${cp.name}-apply`).urn;
        const bootstrap = engineRegistration("talos:machine/bootstrap:Bootstrap", `${prefix}-bootstrap`);
        assert.ok(bootstrap.dependencies.includes(cpApply), "bootstrap after the control-plane apply");
        const kubeconfig = engineRegistration("talos:cluster/kubeconfig:Kubeconfig", `${prefix}-kubeconfig`);
        assert.ok(kubeconfig.dependencies.includes(bootstrap.urn), "kubeconfig after bootstrap");
        const gate = await (cloud.cluster.healthy as any).allResources() as Set<pulumi.Resource>;
        assert.ok(gate.has(cloud.cluster.kubeconfigResource), "health after kubeconfig");
        assert.ok(cloud.cluster.nodes.every((n) => gate.has(n.configurationApply)), "health after every apply");
    });

    it("exports node names, addresses, schematic ids and installer images", async () => {
        const { cloud, cfg } = await buildDev();
        const nodes = await valueOf(cloud.outputs.nodes);
        assert.deepStrictEqual(nodes.map((n) => n.name), cfg.cloudNodes.map((n) => n.name));
        const master = nodes[0];
        assert.strictEqual(master.tailnetIp, fakeTailnetIp(cloudNodeHostname(cfg.cluster.name, master.name)));
        assert.match(master.publicIp, /^203\.0\.113\./);
        const ids = await valueOf(cloud.outputs.schematicIds);
        const installers = await valueOf(cloud.outputs.installerImages);
        assert.strictEqual(installers.cloud, `factory.talos.dev/gcp-installer/${ids.cloud}:v1.12.4`);
        assert.strictEqual(installers.edge, `factory.talos.dev/metal-installer/${ids.edge}:v1.12.4`);
        assert.strictEqual(await valueOf(cloud.outputs.clusterEndpoint), `https://${master.privateIp}:6443`);
        assert.strictEqual(await valueOf(cloud.outputs.edgeClusterEndpoint), `https://${master.tailnetIp}:6443`);
    });

    describe("without admin CIDRs", () => {
        const noAdmin = (cfg: StackConfig): StackConfig => ({ ...cfg, gcp: { ...cfg.gcp, adminCidrs: [] } });

        it("opens nothing to the internet and reaches the nodes over the tailnet", async () => {
            const { cfg, cloud } = await buildDev(noAdmin);
            assert.strictEqual(cloud.talosApiAccess, "tailnet");
            assert.deepStrictEqual(resourcesOfType(FIREWALL).map((f) => f.inputs.sourceRanges), [[cfg.gcp.subnetCidr]]);
            for (const node of cfg.cloudNodes) {
                const hostname = cloudNodeHostname(cfg.cluster.name, node.name);
                assert.strictEqual(findResource(APPLY, `${cfg.cluster.name}-talos-${node.name}-apply`).inputs.node, fakeTailnetIp(hostname));
            }
        });
    });

    describe("helpers", () => {
        it("chooses the access mode from the admin CIDRs", () => {
            const cfg = devStackConfig();
            assert.strictEqual(talosApiAccessFor(cfg), "public");
            assert.strictEqual(talosApiAccessFor({ ...cfg, gcp: { ...cfg.gcp, adminCidrs: [] } }), "tailnet");
        });

        it("collects edge architectures, amd64 when there is no edge", () => {
            const cfg = devStackConfig();
            assert.deepStrictEqual(edgeArchitectures(cfg), ["amd64"]);
            assert.deepStrictEqual(edgeArchitectures({ ...cfg, edgeSites: [] }), ["amd64"]);
            const arm = { ...cfg, edgeSites: cfg.edgeSites.map((s) => ({ ...s, machines: s.machines.map((m) => ({ ...m, arch: "arm64" as const })) })) };
            assert.deepStrictEqual(edgeArchitectures(arm), ["arm64"]);
        });
    });
});
