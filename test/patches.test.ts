import * as assert from "assert";
import { parse, parseAllDocuments } from "yaml";
import {
    clusterPatch,
    controlPlanePatch,
    FLANNEL_INTERFACE,
    hostnamePatch,
    installImagePatch,
    nodeIdentityPatch,
    tailscalePatch,
} from "../lib/talos/patches";
import { TAILNET_IPV4_CIDR } from "../components/model";

const single = (patch: string): any => {
    const docs = parseAllDocuments(patch);
    assert.strictEqual(docs.length, 1, "each patch string is exactly one YAML document");
    assert.deepStrictEqual(docs[0].errors, []);
    return docs[0].toJS();
};

describe("lib/talos/patches", () => {
    describe("clusterPatch", () => {
        const patch = single(clusterPatch({ podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12", apiServerCertSans: ["10.1.0.5", "203.0.113.9", "10.1.0.5", ""] }));

        it("makes kubelet register a tailnet address", () => {
            assert.ok(patch.machine.kubelet.nodeIP.validSubnets.includes(TAILNET_IPV4_CIDR));
        });

        it("binds flannel to tailscale0 in the cluster CNI config", () => {
            assert.deepStrictEqual(patch.cluster.network.cni, { name: "flannel", flannel: { extraArgs: [`--iface=${FLANNEL_INTERFACE}`] } });
            assert.strictEqual(FLANNEL_INTERFACE, "tailscale0");
        });

        it("pins pod and service subnets", () => {
            assert.deepStrictEqual(patch.cluster.network.podSubnets, ["10.244.0.0/16"]);
            assert.deepStrictEqual(patch.cluster.network.serviceSubnets, ["10.96.0.0/12"]);
        });

        it("deduplicates API server SANs and drops empty ones", () => {
            assert.deepStrictEqual(patch.cluster.apiServer.certSANs, ["10.1.0.5", "203.0.113.9"]);
        });
    });

    it("controlPlanePatch pins etcd to the VPC subnet and refuses an empty list", () => {
        assert.deepStrictEqual(single(controlPlanePatch({ etcdSubnets: ["10.1.0.0/24"] })), { cluster: { etcd: { advertisedSubnets: ["10.1.0.0/24"] } } });
        assert.throws(() => controlPlanePatch({ etcdSubnets: [] }), /etcdSubnets is empty/);
    });

    it("installImagePatch sets machine.install.image and rejects non-image text", () => {
        const image = "factory.talos.dev/gcp-installer/4a0d65c669d46663f377e7161e50cfd570c401f26fd9e7bda34a0216b6f1922b:v1.12.4";
        assert.deepStrictEqual(single(installImagePatch(image)), { machine: { install: { image } } });
        assert.throws(() => installImagePatch("not an image"), /not an installer image reference/);
        assert.throws(() => installImagePatch("factory.talos.dev/gcp-installer/abc"), /not an installer image reference/);
    });

    it("nodeIdentityPatch carries apid SANs and node labels", () => {
        const patch = single(nodeIdentityPatch({ talosApiCertSans: ["203.0.113.9", "10.1.0.5"], labels: { "topology.kubernetes.io/zone": "europe-west4-a" } }));
        assert.deepStrictEqual(patch.machine.certSANs, ["10.1.0.5", "203.0.113.9"]);
        assert.deepStrictEqual(patch.machine.nodeLabels, { "topology.kubernetes.io/zone": "europe-west4-a" });
    });

    it("hostnamePatch turns off the generated auto hostname so the merge stays valid", () => {
        const patch = hostnamePatch("setup02-cluster-master-1");
        const doc = single(patch);
        assert.deepStrictEqual(doc, { apiVersion: "v1alpha1", kind: "HostnameConfig", hostname: "setup02-cluster-master-1", auto: "off" });
        // Quoted, so YAML 1.1 readers cannot take it for the boolean false.
        assert.match(patch, /auto: "off"/);
        assert.strictEqual(parse(patch, { version: "1.1" }).auto, "off");
    });

    it("tailscalePatch is the shared ExtensionServiceConfig with TS_AUTH_ONCE and the hostname", () => {
        const doc = single(tailscalePatch("tskey-auth-abc", "setup02-cluster-worker-1"));
        assert.strictEqual(doc.kind, "ExtensionServiceConfig");
        assert.strictEqual(doc.name, "tailscale");
        assert.ok(doc.environment.includes("TS_AUTH_ONCE=true"));
        assert.ok(doc.environment.includes("TS_HOSTNAME=setup02-cluster-worker-1"));
        assert.ok(doc.environment.includes("TS_AUTHKEY=tskey-auth-abc"));
    });
});
