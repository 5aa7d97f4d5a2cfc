/**
 * The pure parts of day two: the scale-down rule, rollout order, installer references, edge
 * device matching, settings validation, durations, certificate expiry, the tool output parsers
 * and the credential files.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { certificateNotAfter, credentialExpiry } from "../infra/day-two/certificates";
import { kubeconfigServer, withCredentialDir } from "../infra/day-two/credentials";
import { goDurationMs } from "../model/durations";
import { parseNodes } from "../infra/day-two/kubectl";
import {
    checkControlPlaneRemoval,
    edgeMachineStatus,
    etcdQuorum,
    isTailnetIpv4,
    parseInstallerImage,
    rolloutOrder,
    tailnetAddressOf,
} from "../infra/day-two/rollout";
import { DAY_TWO_DEFAULTS, parseDayTwoConfig } from "../model/dayTwo";
import { parseEtcdMembers, parseSchematicId, parseServerTag, parseServiceHealthy } from "../infra/day-two/talosctl";
import { fixtureCertificate } from "./mocks";

const SCHEMATIC = "4a0d65c669d46663f377e7161e50cfd570c401f26fd9e7bda34a0216b6f1922b";

describe("day two: pure planning", () => {
    describe("checkControlPlaneRemoval", () => {
        it("accepts the first deployment, additions, and one removal at a time while one remains", () => {
            assert.doesNotThrow(() => checkControlPlaneRemoval(undefined, ["a"]));
            assert.doesNotThrow(() => checkControlPlaneRemoval(["a"], ["a", "b", "c"]));
            assert.doesNotThrow(() => checkControlPlaneRemoval(["a", "b", "c"], ["a", "b"]));
            assert.doesNotThrow(() => checkControlPlaneRemoval(["a", "b"], ["a"]), "2 → 1: one graceful leave with both members up");
            assert.doesNotThrow(() => checkControlPlaneRemoval(["a", "b", "c"], ["a", "b", "d"]), "a replacement: d joins before c leaves");
            assert.doesNotThrow(() => checkControlPlaneRemoval(["a", "b", "c", "d", "e"], ["a", "b", "c"]), "5 → 3 keeps the quorum of 3");
        });

        it("refuses removing the last control plane", () => {
            assert.throws(() => checkControlPlaneRemoval(["a"], []), /removes the last control plane.*run `pulumi destroy` instead/);
            assert.throws(() => checkControlPlaneRemoval(undefined, []), /last control plane/);
        });

        it("refuses removing enough control planes at once to lose the old membership's quorum, saying how many may go", () => {
            assert.throws(
                () => checkControlPlaneRemoval(["a", "b", "c"], ["a"]),
                (e: Error) => e.name === "ControlPlaneRemovalError" && e.message ===
                    'cloudNodes: the change removes control planes "b", "c" at once; 1 of the 3 etcd members would remain, below the quorum of 2. ' +
                    'Remove at most 1 per `pulumi up` (keep "c" for now) and run again',
            );
            assert.throws(() => checkControlPlaneRemoval(["a", "b", "c", "d", "e"], ["a", "b"]), /2 of the 5 etcd members would remain, below the quorum of 3\. Remove at most 2 per/);
        });

        it("etcd quorum is a strict majority", () => {
            assert.deepStrictEqual([1, 2, 3, 4, 5, 6, 7].map(etcdQuorum), [1, 2, 2, 3, 3, 4, 4]);
        });
    });

    it("rolls out control planes in declaration order, then workers", () => {
        const nodes = [{ n: "w1", role: "worker" }, { n: "c1", role: "controlplane" }, { n: "w2", role: "worker" }, { n: "c2", role: "controlplane" }] as const;
        assert.deepStrictEqual(rolloutOrder(nodes).map((x) => x.n), ["c1", "c2", "w1", "w2"]);
    });

    it("reads installer references and refuses anything else", () => {
        assert.deepStrictEqual(parseInstallerImage(`factory.talos.dev/gcp-installer/${SCHEMATIC}:v1.12.4`), { installer: "gcp-installer", schematicId: SCHEMATIC, version: "v1.12.4" });
        assert.strictEqual(parseInstallerImage(`factory.talos.dev/metal-installer-secureboot/${SCHEMATIC}:v1.13.0-beta.1`).version, "v1.13.0-beta.1");
        assert.throws(() => parseInstallerImage("ghcr.io/siderolabs/installer:v1.12.4"), /not an Image Factory installer/);
    });

    it("finds an edge machine's tailnet address by hostname, preferring its newest authorized device", () => {
        const devices = [
            { hostname: "edge-1", addresses: ["100.100.0.1", "fd7a::1"], authorized: true, lastSeen: "2026-01-01T00:00:00Z" },
            { hostname: "EDGE-1", addresses: ["100.100.0.2"], authorized: true, lastSeen: "2026-06-01T00:00:00Z" },
            { hostname: "edge-1", addresses: ["100.100.0.3"], authorized: false, lastSeen: "2026-12-01T00:00:00Z" },
            { hostname: "edge-10", addresses: ["100.100.0.10"] },
        ];
        assert.strictEqual(tailnetAddressOf("edge-1", devices), "100.100.0.2");
        assert.strictEqual(tailnetAddressOf("edge-2", devices), undefined);
        assert.strictEqual(tailnetAddressOf("edge-3", [{ hostname: "edge-3", addresses: ["10.0.0.3"] }]), undefined, "no tailnet IPv4");
        assert.ok(isTailnetIpv4("100.64.0.1") && isTailnetIpv4("100.127.255.254"));
        assert.ok(!isTailnetIpv4("100.128.0.1") && !isTailnetIpv4("100.63.0.1") && !isTailnetIpv4("10.1.0.12"));
        assert.deepStrictEqual([edgeMachineStatus(false, false), edgeMachineStatus(true, false), edgeMachineStatus(true, true)], ["pending", "joined", "ready"]);
    });

    describe("settings", () => {
        it("defaults everything and accepts valid values", () => {
            assert.deepStrictEqual(parseDayTwoConfig(undefined), { value: { ...DAY_TWO_DEFAULTS }, problems: [] });
            const r = parseDayTwoConfig({ healthTimeout: "15m", readinessGate: "false", kubeconfigRenewal: "720h" });
            assert.deepStrictEqual(r.problems, []);
            assert.strictEqual(r.value.healthTimeout, "15m");
            assert.strictEqual(r.value.readinessGate, false);
            assert.strictEqual(r.value.upgradeTimeout, "30m");
        });

        it("names every bad key with its value and the fix", () => {
            const r = parseDayTwoConfig({ healthTimout: "5m", upgradeTimeout: "soon", drainTimeout: "0s", kubeconfigRenewal: "9000h", readinessGate: 1 });
            assert.deepStrictEqual(r.problems, [
                'talos-cloud-edge:dayTwo.healthTimout: unknown key; did you mean "healthTimeout"?',
                'talos-cloud-edge:dayTwo.upgradeTimeout: "soon" is not a positive Go duration; use e.g. "10m", "1h30m" or "90s"',
                'talos-cloud-edge:dayTwo.drainTimeout: "0s" is not a positive Go duration; use e.g. "10m", "1h30m" or "90s"',
                'talos-cloud-edge:dayTwo.kubeconfigRenewal: "9000h" is outside "24h".."8000h": the certificate lives one year (8760h), a longer window would renew it on every `pulumi up`',
                "talos-cloud-edge:dayTwo.readinessGate: 1 is not a boolean; use true or false",
            ]);
            assert.match(parseDayTwoConfig([]).problems[0], /is not an object; write it as a mapping/);
        });
    });

    it("converts Go durations to milliseconds", () => {
        assert.strictEqual(goDurationMs("x", "1h30m"), 5_400_000);
        assert.strictEqual(goDurationMs("x", "250ms"), 250);
        assert.strictEqual(goDurationMs("x", "1.5s"), 1500);
        assert.throws(() => goDurationMs("dayTwo.healthTimeout", "10"), /dayTwo\.healthTimeout: "10" is not a duration/);
    });

    it("reads client certificate expiry (base64 of PEM, as the provider hands it) and the renewal start", () => {
        assert.strictEqual(certificateNotAfter(fixtureCertificate("kubernetes-admin")).toISOString(), "2027-12-02T13:24:26.000Z");
        const pem = fs.readFileSync(path.join(__dirname, "fixtures", "day-two", "talos-admin.crt"), "utf8");
        assert.strictEqual(certificateNotAfter(pem).toISOString(), "2027-09-28T13:24:28.000Z");
        assert.deepStrictEqual(credentialExpiry(fixtureCertificate("kubernetes-admin"), "2160h"), { expires: "2027-12-02T13:24:26.000Z", renewsFrom: "2027-09-03T13:24:26.000Z" });
        assert.deepStrictEqual(credentialExpiry("not-a-cert", "720h"), { problem: "cannot read the client certificate: not a PEM certificate (nor base64 of one)" });
        assert.deepStrictEqual(credentialExpiry(undefined, "720h"), { problem: "cannot read the client certificate: no client certificate" });
    });

    it("parses talosctl and kubectl output", () => {
        assert.strictEqual(parseServerTag("Client:\n\tTag:         v1.12.4\nServer:\n\tNODE:        10.0.0.1\n\tTag:         v1.12.3\n"), "v1.12.3");
        assert.strictEqual(parseServerTag("Client:\n\tTag:  v1.12.4\n"), undefined);
        assert.strictEqual(parseSchematicId(`node: a\nspec:\n  metadata:\n    name: tailscale\n    version: "1"\n---\nnode: a\nspec:\n  metadata:\n    name: schematic\n    version: ${SCHEMATIC}\n`), SCHEMATIC);
        assert.strictEqual(parseSchematicId("node: a\nspec:\n  metadata:\n    name: tailscale\n"), undefined);
        assert.ok(parseServiceHealthy("NODE     10.0.0.1\nID       etcd\nSTATE    Running\nHEALTH   OK\n"));
        assert.ok(!parseServiceHealthy("NODE     10.0.0.1\nID       etcd\nSTATE    Running\nHEALTH   Fail\n"));
        assert.ok(!parseServiceHealthy("STATE    Preparing\nHEALTH   OK\n"));
        assert.deepStrictEqual(parseEtcdMembers("NODE   ID   HOSTNAME   PEER URLS   CLIENT URLS   LEARNER\n10.0.0.1   43dd5f2b4a1c2cc6   cp-1   https://10.1.0.2:2380   https://10.1.0.2:2379   false\n10.0.0.1   1b2c   cp-2   https://10.1.0.3:2380   https://10.1.0.3:2379   true\n"), [
            { id: "43dd5f2b4a1c2cc6", hostname: "cp-1", learner: false },
            { id: "1b2c", hostname: "cp-2", learner: true },
        ]);
        const nodes = parseNodes(JSON.stringify({ items: [{ metadata: { name: "n1", labels: { a: "b" } }, spec: { unschedulable: true }, status: { conditions: [{ type: "Ready", status: "False" }], nodeInfo: { kubeletVersion: "v1.35.0" }, addresses: [{ type: "InternalIP", address: "100.64.0.9" }, { type: "Hostname", address: "n1" }] } }] }));
        assert.deepStrictEqual(nodes, [{ name: "n1", ready: false, labels: { a: "b" }, annotations: {}, kubeletVersion: "v1.35.0", internalIps: ["100.64.0.9"], unschedulable: true }]);
    });

    it("points a kubeconfig at another control plane and keeps credentials in private 0600 files only while a step runs", async () => {
        const kc = "apiVersion: v1\nclusters:\n- name: a\n  cluster:\n    server: https://10.0.0.1:6443\n";
        assert.strictEqual(parse(kubeconfigServer(kc, "https://[fd00::2]:6443")).clusters[0].cluster.server, "https://[fd00::2]:6443");
        assert.throws(() => kubeconfigServer("apiVersion: v1\n", "https://x:6443"), /has no clusters entry/);
        let seen = "";
        await withCredentialDir(async (creds) => {
            const file = creds.write("talosconfig", "secret");
            seen = file;
            assert.strictEqual(fs.statSync(creds.dir).mode & 0o777, 0o700);
            assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600);
            assert.throws(() => creds.write("../escape", "x"), /not a plain file name/);
        });
        assert.ok(!fs.existsSync(seen) && !fs.existsSync(path.dirname(seen)));
        await assert.rejects(withCredentialDir(async (creds) => {
            seen = creds.write("kubeconfig", "secret");
            throw new Error("step failed");
        }), /step failed/);
        assert.ok(!fs.existsSync(seen), "removed after a failure too");
    });
});
