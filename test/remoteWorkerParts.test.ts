/**
 * The pieces of the Oracle Cloud and Proxmox workers that are not graph wiring: the image copy
 * through a pre-authenticated request (against a local stand-in), the PAR expiry and user_data
 * helpers, the remote worker patches merged into Talos v1.12.4's own base worker config and
 * checked against its schema, and that a stack without a pool never loads that pool's SDK.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { copyUrlToObject, diffObjectCopy, OBJECT_COPY_MODULE, ObjectCopyInputs, objectCopyProblems } from "../components/ociObjectFromUrl";
import { oracleImageObjectName, oracleUserData, parUrl, uploadParExpiry } from "../components/oracleWorkers";
import { LINK_LOCAL_CIDR, ORACLE_METADATA_ADDRESS, oracleNetworkPatches, oracleZone, remoteWorkerPatches } from "../lib/talos/remoteWorker";
import { clusterPatch } from "../lib/talos/patches";
import { applyStrategicPatches } from "../lib/talos/merge";
import { formatTalosProblems, loadTalosValidator, TalosValidator, validateTalosDocuments } from "../lib/talos/schema";
import { FakeObjectStorage, startFakeObjectStorage } from "../testing/fakes/object-storage";
import { readVendorFile, vendorFile } from "./talos-vendor";

const PAR_TOKEN = "fAkEpArToKeN0123456789";
const KEY = "hskey-auth-remote-worker-key";

describe("remote worker parts", function () {
    this.timeout(60_000);

    describe("image copy through a pre-authenticated request (components/ociObjectFromUrl.ts)", () => {
        let store: FakeObjectStorage;
        const object = "talos/v1.12.4/4a0d65c6/oracle-arm64.qcow2";
        const inputs = (over: Partial<ObjectCopyInputs> = {}): ObjectCopyInputs => ({
            sourceUrl: `${store.url}/image/4a0d65c6/v1.12.4/oracle-arm64.qcow2`,
            uploadUrl: `${store.url}/p/${PAR_TOKEN}/n/axns/b/mixed-cluster-talos-images/o/${object.split("/").map(encodeURIComponent).join("/")}`,
            bucket: "mixed-cluster-talos-images",
            objectName: object,
            ...over,
        });
        beforeEach(async () => {
            store = await startFakeObjectStorage(PAR_TOKEN);
            store.downloads.set("/image/4a0d65c6/v1.12.4/oracle-arm64.qcow2", Buffer.alloc(3 * 1024 * 1024 + 7, 0x51));
        });
        afterEach(async () => {
            await store.close();
        });

        it("streams the factory's bytes into the object, with a Content-Length, and hashes them", async () => {
            const outs = await copyUrlToObject(inputs());
            const stored = store.objects.get(`mixed-cluster-talos-images/${object}`)!;
            assert.ok(stored.equals(store.downloads.get("/image/4a0d65c6/v1.12.4/oracle-arm64.qcow2")!));
            assert.equal(outs.size, stored.length);
            assert.match(outs.sha256, /^[0-9a-f]{64}$/);
            assert.ok(!JSON.stringify(outs).includes(PAR_TOKEN), "outputs hold no PAR");
        });

        it("buffers a source without Content-Length (the PUT needs one)", async () => {
            store.chunkedDownloads = true;
            await copyUrlToObject(inputs());
            assert.equal(store.objects.get(`mixed-cluster-talos-images/${object}`)!.length, 3 * 1024 * 1024 + 7);
        });

        it("fails on a missing source or a refused PAR, naming neither token nor URL of the PAR", async () => {
            await assert.rejects(copyUrlToObject(inputs({ sourceUrl: `${store.url}/image/none.qcow2` })), /GET .*none\.qcow2: HTTP 404/);
            await assert.rejects(copyUrlToObject(inputs({ uploadUrl: inputs().uploadUrl.replace(PAR_TOKEN, "expired") })), (err: Error) => /HTTP 404$/.test(err.message) && !err.message.includes("expired"));
        });

        it("refuses a PAR for another object, and copies again only for a new source or destination", () => {
            assert.match(objectCopyProblems(inputs({ objectName: "talos/other.qcow2" })).join(), /uploadUrl does not name object "talos\/other\.qcow2"/);
            const outs = { sourceUrl: inputs().sourceUrl, bucket: inputs().bucket, objectName: object, size: 1, sha256: "" };
            assert.equal(diffObjectCopy(outs, inputs({ uploadUrl: inputs().uploadUrl.replace(PAR_TOKEN, "renewed") })).changes, false, "a renewed PAR is no change");
            assert.equal(diffObjectCopy(outs, inputs({ sourceUrl: `${store.url}/image/x/v1.12.5/oracle-arm64.qcow2` })).changes, true);
        });

        it("is self-contained: the module text, loaded on its own, copies", async () => {
            assert.deepEqual(OBJECT_COPY_MODULE.match(/\bexports\.\w+/g), ["exports.handler"]);
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oci-provider-"));
            try {
                const file = path.join(dir, "provider.js");
                fs.writeFileSync(file, OBJECT_COPY_MODULE);
                const provider = require(file).handler() as pulumi.dynamic.ResourceProvider;
                const created = await provider.create!(inputs());
                assert.equal(created.id, `mixed-cluster-talos-images/${object}`);
                assert.equal(store.objects.size, 1);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });

    describe("Oracle helpers (components/oracleWorkers.ts)", () => {
        it("keeps the upload PAR 30 to 60 days ahead, changing once per 30-day window", () => {
            const day = 86_400_000;
            const t0 = Date.parse("2026-03-01T00:00:00Z");
            const expiries = [0, 1, 10, 29].map((d) => uploadParExpiry(new Date(t0 + d * day)));
            for (const [i, e] of expiries.entries()) {
                const ahead = (Date.parse(e) - (t0 + [0, 1, 10, 29][i] * day)) / day;
                assert.ok(ahead >= 30 && ahead <= 60, `${e} is ${ahead} days ahead`);
            }
            assert.ok(new Set(expiries).size <= 2, "at most one renewal within 29 days");
            assert.match(expiries[0], /^\d{4}-\d{2}-\d{2}T00:00:00Z$/);
        });

        it("names the staged object by version and schematic, the PAR URL as OCI documents it, and base64 user_data", () => {
            assert.equal(oracleImageObjectName("v1.12.4", "4a0d65c6"), "talos/v1.12.4/4a0d65c6/oracle-arm64.qcow2");
            assert.equal(parUrl("us-ashburn-1", "/p/tok/n/ns/b/b/o/x"), "https://objectstorage.us-ashburn-1.oraclecloud.com/p/tok/n/ns/b/b/o/x");
            assert.deepEqual(oracleUserData("version: v1alpha1\n"), { user_data: Buffer.from("version: v1alpha1\n").toString("base64") });
            assert.equal(oracleZone("Uocm:US-ASHBURN-AD-1"), "US-ASHBURN-AD-1");
        });
    });

    describe("remote worker configs, as Talos v1.12.4 would load them", () => {
        let talos: TalosValidator;
        before(() => {
            talos = loadTalosValidator(vendorFile("config.schema.json"), vendorFile("nodoc-fields.json"));
        });
        const shared = clusterPatch({ podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12", apiServerCertSans: ["100.64.0.7"] });
        const accepted = (what: string, patches: string[]) => {
            const merged = applyStrategicPatches(readVendorFile("base-worker.yaml"), [shared, ...patches]);
            const problems = validateTalosDocuments(talos, merged);
            assert.deepEqual(problems, [], `${what}:\n${formatTalosProblems(problems)}`);
            return merged as Array<Record<string, any>>;
        };

        it("a Proxmox VM: its installer, labels, LAN address in the apid certificate, hostname and Headscale login", () => {
            const docs = accepted("Proxmox worker", remoteWorkerPatches({
                hostname: "talos-worker-01",
                installerImage: `factory.talos.dev/metal-installer/${"ab".repeat(32)}:v1.12.4`,
                labels: { "topology.kubernetes.io/zone": "atlas" },
                talosApiCertSans: ["10.0.0.21"],
                authKey: KEY,
                tailscaleExtraArgs: ["--login-server=https://headscale.lab.internal"],
            }));
            const v1 = docs.find((d) => d.version === "v1alpha1")!;
            assert.equal(v1.machine.install.image, `factory.talos.dev/metal-installer/${"ab".repeat(32)}:v1.12.4`);
            assert.deepEqual(v1.machine.certSANs, ["10.0.0.21"]);
            assert.equal(v1.machine.nodeLabels["topology.kubernetes.io/zone"], "atlas");
            assert.equal(docs.find((d) => d.kind === "HostnameConfig")!.hostname, "talos-worker-01");
            const ext = docs.find((d) => d.kind === "ExtensionServiceConfig")!;
            assert.ok(ext.environment.includes(`TS_AUTHKEY=${KEY}`) && ext.environment.includes("TS_EXTRA_ARGS=--login-server=https://headscale.lab.internal"));
        });

        it("an Oracle worker: the metadata service as resolver, its link-local route, DHCP on the primary NIC", () => {
            const docs = accepted("Oracle worker", [
                ...remoteWorkerPatches({ hostname: "cloudbox2", installerImage: `factory.talos.dev/oracle-installer/${"cd".repeat(32)}:v1.12.4`, labels: { "topology.kubernetes.io/zone": "US-ASHBURN-AD-1" }, authKey: KEY }),
                ...oracleNetworkPatches(),
            ]);
            assert.deepEqual(docs.find((d) => d.kind === "ResolverConfig")!.nameservers, [{ address: ORACLE_METADATA_ADDRESS }]);
            assert.deepEqual(docs.find((d) => d.kind === "LinkConfig"), { apiVersion: "v1alpha1", kind: "LinkConfig", name: "eth0", routes: [{ destination: LINK_LOCAL_CIDR }] });
            assert.deepEqual(docs.find((d) => d.kind === "DHCPv4Config"), { apiVersion: "v1alpha1", kind: "DHCPv4Config", name: "eth0" });
        });
    });

    it("a stack without Proxmox or Oracle pools never loads their SDKs", () => {
        // A fresh process: this one has long loaded both. Importing the compositions must not.
        const probe = [
            'require("ts-node").register({ transpileOnly: true });',
            'require("./stacks/cloud"); require("./stacks/edge"); require("./stacks/remoteWorkers"); require("./stacks/dayTwo");',
            "const loaded = Object.keys(require.cache);",
            'console.log(JSON.stringify(["@pulumi/oci", "@muhlba91/pulumi-proxmoxve"].filter((m) => loaded.some((f) => f.includes(`node_modules/${m}/`)))));',
        ].join("\n");
        const out = execFileSync(process.execPath, ["-e", probe], { cwd: path.resolve(__dirname, ".."), encoding: "utf8" });
        assert.deepEqual(JSON.parse(out.trim().split("\n").pop()!), []);
    });
});
