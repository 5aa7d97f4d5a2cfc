import * as assert from "assert";
import { adminSourceRanges, CloudNetwork, CloudNetworkArgs, firewallPlan, networkTags, requireCidr } from "../components/cloudNetwork";
import { findResource, resetRegistrations, resourcesOfType, settle, valueOf } from "./mocks";

const FIREWALL = "gcp:compute/firewall:Firewall";
const ADDRESS = "gcp:compute/address:Address";

const args = (over: Partial<CloudNetworkArgs> = {}): CloudNetworkArgs => ({
    clusterName: "c1",
    region: "europe-west4",
    subnetCidr: "10.1.0.0/24",
    adminCidrs: ["198.51.100.0/24", "203.0.113.7/32"],
    nodeNames: ["master-1", "worker-1"],
    ...over,
});

describe("components/cloudNetwork", () => {
    beforeEach(resetRegistrations);

    describe("pure rules", () => {
        it("requireCidr canonicalises and rejects non-CIDRs with the field name", () => {
            assert.strictEqual(requireCidr("f", " 10.1.0.5/24 "), "10.1.0.0/24");
            assert.throws(() => requireCidr("gcp.adminCidrs", "10.1.0.5"), /gcp\.adminCidrs: "10\.1\.0\.5" is not a CIDR/);
            assert.throws(() => requireCidr("f", "10.1.0.0/33"), /is not a CIDR/);
        });

        it("refuses a world-open admin range unless explicitly allowed", () => {
            assert.throws(() => adminSourceRanges(["0.0.0.0/0"], false), /allowWorldAdmin/);
            assert.throws(() => adminSourceRanges(["::/0"], false), /allowWorldAdmin/);
            assert.deepStrictEqual(adminSourceRanges(["0.0.0.0/0"], true), ["0.0.0.0/0"]);
        });

        it("plans only the intra-VPC rule when there are no admin CIDRs", () => {
            const plan = firewallPlan(args({ adminCidrs: [] }));
            assert.deepStrictEqual(plan.map((r) => r.role), ["internal"]);
            assert.deepStrictEqual(plan[0].sourceRanges, ["10.1.0.0/24"]);
        });
    });

    describe("resources", () => {
        it("creates VPC, subnet, three firewall rules and two static addresses per node", async () => {
            const net = new CloudNetwork("net", args());
            await valueOf(net.addresses["worker-1"].internal);
            assert.strictEqual(resourcesOfType("gcp:compute/network:Network").length, 1);
            assert.strictEqual(findResource("gcp:compute/network:Network", "net-vpc").inputs.autoCreateSubnetworks, false);
            const subnet = findResource("gcp:compute/subnetwork:Subnetwork", "net-subnet");
            assert.strictEqual(subnet.inputs.ipCidrRange, "10.1.0.0/24");
            assert.strictEqual(subnet.inputs.network, "net-vpc-id");
            assert.strictEqual(resourcesOfType(FIREWALL).length, 3);
            assert.strictEqual(resourcesOfType(ADDRESS).length, 4);
            assert.strictEqual(findResource(ADDRESS, "net-master-1-external").inputs.addressType, "EXTERNAL");
            const internal = findResource(ADDRESS, "net-master-1-internal");
            assert.strictEqual(internal.inputs.addressType, "INTERNAL");
            assert.strictEqual(internal.inputs.subnetwork, "net-subnet-id");
        });

        it("opens 50000 to all nodes and 6443 to control planes, only from the admin CIDRs", async () => {
            new CloudNetwork("net", args());
            await settle();
            const tags = networkTags("c1");
            const talos = findResource(FIREWALL, "net-talos-api").inputs;
            assert.deepStrictEqual(talos.sourceRanges, ["198.51.100.0/24", "203.0.113.7/32"]);
            assert.deepStrictEqual(talos.allows, [{ protocol: "tcp", ports: ["50000"] }]);
            assert.deepStrictEqual(talos.targetTags, [tags.node]);
            const kube = findResource(FIREWALL, "net-kube-api").inputs;
            assert.deepStrictEqual(kube.sourceRanges, ["198.51.100.0/24", "203.0.113.7/32"]);
            assert.deepStrictEqual(kube.allows, [{ protocol: "tcp", ports: ["6443"] }]);
            assert.deepStrictEqual(kube.targetTags, [tags.controlPlane]);
            const internal = findResource(FIREWALL, "net-internal").inputs;
            assert.deepStrictEqual(internal.sourceRanges, ["10.1.0.0/24"]);
            assert.strictEqual(internal.direction, "INGRESS");
        });

        it("never lets 0.0.0.0/0 in by default", async () => {
            new CloudNetwork("net", args());
            await settle();
            for (const fw of resourcesOfType(FIREWALL)) {
                assert.ok(!fw.inputs.sourceRanges.some((r: string) => r.endsWith("/0")), `${fw.name} is open to the world`);
            }
        });

        it("has no public rule at all without admin CIDRs", async () => {
            new CloudNetwork("net", args({ adminCidrs: [] }));
            await settle();
            assert.deepStrictEqual(resourcesOfType(FIREWALL).map((f) => f.name), ["net-internal"]);
        });

        it("fails before creating anything on duplicate node names", () => {
            assert.throws(() => new CloudNetwork("net", args({ nodeNames: ["a", "a"] })), /node names must be unique/);
        });
    });
});
