import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as tailscale from "@pulumi/tailscale";
import { CloudNode, CloudNodeArgs, natIpOf, requireInstanceName, talosApiAddress, tailnetIpv4 } from "../components/cloudNode";
import {
    engineRegistration,
    fakeTailnetIp,
    findResource,
    inputIsSecret,
    invokesOf,
    resetRegistrations,
    valueOf,
} from "./mocks";

const INSTANCE = "gcp:compute/instance:Instance";
const APPLY = "talos:machine/configurationApply:ConfigurationApply";
const GET_DEVICE = "tailscale:index/getDevice:getDevice";
const IMAGE = "https://www.googleapis.com/compute/v1/projects/p/global/images/setup02-cluster-v1-12-4-4a0d65c6";
const CONFIG = "version: v1alpha1\nmachine:\n  type: controlplane\n  token: secret-token\n";

const nodeArgs = (over: Partial<CloudNodeArgs> = {}): CloudNodeArgs => ({
    hostname: "c1-master-1",
    role: "controlplane",
    machineType: "e2-standard-4",
    zone: "europe-west4-a",
    diskSizeGb: 50,
    image: IMAGE,
    subnetwork: "subnet-id",
    internalAddress: "10.1.0.5",
    externalAddress: "203.0.113.9",
    networkTags: ["c1-node", "c1-controlplane"],
    machineConfiguration: pulumi.secret(CONFIG),
    clientConfiguration: pulumi.secret({ caCertificate: "ca", clientCertificate: "crt", clientKey: "key" }),
    talosApiAccess: "public",
    ...over,
});

/** A node the way TalosCluster builds it: the tailnet provider comes from `providers`. */
function buildNode(over: Partial<CloudNodeArgs> = {}): { node: CloudNode; provider: tailscale.Provider } {
    const provider = new tailscale.Provider("ts", { apiKey: pulumi.secret("tskey-api-fake") });
    return { node: new CloudNode("n", nodeArgs(over), { providers: [provider] }), provider };
}

describe("components/cloudNode", () => {
    beforeEach(resetRegistrations);

    describe("pure helpers", () => {
        it("tailnetIpv4 picks the 100.64.0.0/10 address and names the device otherwise", () => {
            assert.strictEqual(tailnetIpv4("h", ["fd7a:115c:a1e0::1", "100.101.102.103"]), "100.101.102.103");
            assert.throws(() => tailnetIpv4("h", ["fd7a:115c:a1e0::1", "100.128.0.1", "10.1.0.5"]), /tailnet device "h" has no address in 100\.64\.0\.0\/10/);
        });

        it("natIpOf reads the one-to-one NAT address and fails clearly without one", () => {
            assert.strictEqual(natIpOf([{ accessConfigs: [{ natIp: "203.0.113.9" }] } as any]), "203.0.113.9");
            assert.throws(() => natIpOf([{ accessConfigs: [] } as any]), /no external \(NAT\) address/);
        });

        it("talosApiAddress follows the access mode", () => {
            assert.strictEqual(talosApiAddress("public", { public: "a", tailnet: "b" }), "a");
            assert.strictEqual(talosApiAddress("tailnet", { public: "a", tailnet: "b" }), "b");
        });

        it("requireInstanceName enforces GCE naming", () => {
            assert.strictEqual(requireInstanceName("c1-master-1"), "c1-master-1");
            assert.throws(() => requireInstanceName("Master_1"), /instance names must be lower-case/);
            assert.throws(() => requireInstanceName("a".repeat(64)), /at most 63/);
        });
    });

    describe("instance", () => {
        it("boots the imported image on the static addresses as a shielded VM", async () => {
            const { node } = buildNode();
            await valueOf(node.publicIp);
            const i = findResource(INSTANCE, "n-instance").inputs;
            assert.strictEqual(i.name, "c1-master-1");
            assert.strictEqual(i.zone, "europe-west4-a");
            assert.strictEqual(i.machineType, "e2-standard-4");
            assert.strictEqual(i.bootDisk.initializeParams.image, IMAGE);
            assert.strictEqual(i.bootDisk.initializeParams.size, 50);
            assert.strictEqual(i.networkInterfaces[0].networkIp, "10.1.0.5");
            assert.deepStrictEqual(i.networkInterfaces[0].accessConfigs, [{ natIp: "203.0.113.9", networkTier: "PREMIUM" }]);
            assert.deepStrictEqual(i.tags, ["c1-node", "c1-controlplane"]);
            assert.deepStrictEqual(i.shieldedInstanceConfig, { enableSecureBoot: false, enableVtpm: true, enableIntegrityMonitoring: true });
            assert.strictEqual(i.serviceAccount, undefined, "no service account: Talos reads metadata without one");
        });

        it("delivers the full machine config as secret user-data, ignored after creation", async () => {
            const { node } = buildNode();
            await valueOf(node.publicIp);
            const instance = findResource(INSTANCE, "n-instance");
            assert.strictEqual(instance.inputs.metadata["user-data"], CONFIG);
            assert.ok(inputIsSecret(instance, "metadata"), "user-data reaches the engine as a secret");
            const opts = engineRegistration(INSTANCE, "n-instance");
            assert.ok(opts.additionalSecretOutputs.includes("metadata"));
            assert.ok(opts.ignoreChanges.includes('metadata["user-data"]'));
            assert.ok(opts.ignoreChanges.includes("bootDisk.initializeParams.image"), "a new boot image never recreates the instance");
        });

        it("boots only after the resources named in bootAfter", async () => {
            const firewall = new gcp.compute.Firewall("fw", { network: "net", allows: [{ protocol: "tcp" }], sourceRanges: ["10.1.0.0/24"] });
            const { node } = buildNode({ bootAfter: [firewall] });
            await valueOf(node.publicIp);
            const fwUrn = await valueOf(firewall.urn);
            assert.ok(engineRegistration(INSTANCE, "n-instance").dependencies.includes(fwUrn));
        });
    });

    describe("tailnet device", () => {
        it("looks the node up by hostname through the parent's provider, after the instance exists", async () => {
            const { node } = buildNode({ tailnetJoinTimeout: "15m" });
            assert.strictEqual(await valueOf(node.tailnetIp), fakeTailnetIp("c1-master-1"));
            const [lookup] = invokesOf(GET_DEVICE);
            assert.deepStrictEqual([lookup.inputs.hostname, lookup.inputs.waitFor], ["c1-master-1", "15m"]);
            assert.match(lookup.provider ?? "", /pulumi:providers:tailscale::ts::/);
            const deps = await (node.tailnetIp as any).allResources() as Set<pulumi.Resource>;
            assert.ok(deps.has(node.instance), "the lookup waits for the instance");
        });
    });

    describe("configuration apply", () => {
        it("applies the same secret config over the public address in public mode", async () => {
            const { node } = buildNode();
            await valueOf(node.configurationApply.id);
            const apply = findResource(APPLY, "n-apply");
            assert.strictEqual(apply.inputs.node, "203.0.113.9");
            assert.strictEqual(apply.inputs.machineConfigurationInput, CONFIG);
            assert.ok(pulumi.runtime.isRpcSecret(apply.rawInputs.machineConfigurationInput));
            assert.deepStrictEqual(apply.inputs.clientConfiguration, { caCertificate: "ca", clientCertificate: "crt", clientKey: "key" });
            assert.deepStrictEqual(apply.inputs.timeouts, { create: "10m", update: "10m" });
            // The rendered config the provider stores is secret in state too.
            assert.ok(engineRegistration(APPLY, "n-apply").additionalSecretOutputs.includes("machineConfiguration"));
        });

        it("targets the instance it configures and re-applies when the instance is rebuilt", async () => {
            const { node } = buildNode();
            await valueOf(node.configurationApply.id);
            const instanceUrn = await valueOf(node.instance.urn);
            const reg = engineRegistration(APPLY, "n-apply");
            assert.ok(reg.dependencies.includes(instanceUrn), "the apply's node address comes from the instance");
            assert.strictEqual(reg.replacementTrigger, await valueOf(node.instance.instanceId));
        });

        it("uses the tailnet address in tailnet mode", async () => {
            const { node } = buildNode({ talosApiAccess: "tailnet" });
            await valueOf(node.configurationApply.id);
            assert.strictEqual(findResource(APPLY, "n-apply").inputs.node, fakeTailnetIp("c1-master-1"));
            assert.strictEqual(await valueOf(node.talosApiAddress), fakeTailnetIp("c1-master-1"));
        });
    });
});
