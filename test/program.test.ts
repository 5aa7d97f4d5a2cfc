/**
 * The program entry itself (`main: stacks/` in Pulumi.yaml), run under the mocks with the dev
 * stack's config exactly as the engine would hand it over: validated config, both halves
 * composed, the boot service bundle packed, and the stack outputs secret where they must be.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { isSecret, registered, resetRegistrations, resourcesOfType, valueOf } from "./mocks";
import { FILLED_DEV_STACK_FILE, loadStackFile } from "./stackFiles";
import type { StackOutputs } from "../stacks/outputs";

/**
 * Every asset or archive in `value` (deeply), as "<where>: <kind> <location>", with `remote`
 * set when the engine would have to fetch it over the network to hash it: a RemoteAsset or
 * RemoteArchive that is not a file:// URI, or a file asset/archive whose path is a URL.
 */
async function assetsIn(value: unknown, where: string): Promise<{ where: string; location: string; remote: boolean }[]> {
    const isUrl = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s) && !s.startsWith("file://");
    if (pulumi.asset.RemoteAsset.isInstance(value) || pulumi.asset.RemoteArchive.isInstance(value)) {
        const uri = await (value as pulumi.asset.RemoteAsset | pulumi.asset.RemoteArchive).uri;
        return [{ where, location: uri, remote: isUrl(uri) }];
    }
    if (pulumi.asset.FileAsset.isInstance(value) || pulumi.asset.FileArchive.isInstance(value)) {
        const file = await (value as pulumi.asset.FileAsset | pulumi.asset.FileArchive).path;
        return [{ where, location: file, remote: isUrl(file) }];
    }
    if (pulumi.asset.AssetArchive.isInstance(value)) {
        const assets = await (value as pulumi.asset.AssetArchive).assets;
        return (await Promise.all(Object.entries(assets).map(([k, v]) => assetsIn(v, `${where}/${k}`)))).flat();
    }
    if (pulumi.asset.Asset.isInstance(value) || pulumi.asset.Archive.isInstance(value)) {
        return [{ where, location: "(in memory)", remote: false }];
    }
    if (Array.isArray(value)) {
        return (await Promise.all((value as unknown[]).map((v, i) => assetsIn(v, `${where}[${i}]`)))).flat();
    }
    if (value && typeof value === "object") {
        return (await Promise.all(Object.entries(value).map(([k, v]) => assetsIn(v, `${where}.${k}`)))).flat();
    }
    return [];
}

describe("program entry (stacks/index.ts) with the dev stack", function () {
    // Packing the boot service runs esbuild.
    this.timeout(120_000);
    let program: StackOutputs;
    let previous: Record<string, string>;

    before(async () => {
        resetRegistrations();
        previous = pulumi.runtime.allConfig();
        const raw = loadStackFile(FILLED_DEV_STACK_FILE);
        pulumi.runtime.setAllConfig(raw.values, [...raw.secretKeys]);
        // require, not import(): under module node16 a dynamic import() stays ESM and bypasses ts-node.
        // The entry exports one async function, as Pulumi's Node.js host expects; it resolves to the outputs.
        program = await (require("../stacks/index") as () => Promise<StackOutputs>)();
        await valueOf(program.kubeconfig);
        await valueOf(program.siteBootUrls!["site-1"]);
    });
    after(() => pulumi.runtime.setAllConfig(previous, []));

    it("exports kubeconfig and talosconfig as secrets", async () => {
        assert.ok(await isSecret(program.kubeconfig));
        assert.ok(await isSecret(program.talosconfig));
        assert.match(await valueOf(program.kubeconfig), /^apiVersion: v1/m);
    });

    it("exports the nodes, schematic ids and installer images in the clear", async () => {
        const nodes = await valueOf(program.nodes);
        assert.deepStrictEqual(nodes.map((n) => n.hostname), ["setup02-cluster-master-1", "setup02-cluster-worker-1"]);
        assert.ok(!(await isSecret(program.nodes)));
        const ids = await valueOf(program.schematicIds);
        assert.match(ids.cloud, /^[0-9a-f]{64}$/);
        assert.match(ids.edge, /^[0-9a-f]{64}$/);
        const images = await valueOf(program.installerImages);
        assert.strictEqual(images.cloud, `factory.talos.dev/gcp-installer/${ids.cloud}:v1.12.4`);
        assert.strictEqual(images.edge, `factory.talos.dev/metal-installer/${ids.edge}:v1.12.4`);
    });

    it("exports the boot service URL in the clear and each site's boot URL as a secret", async () => {
        assert.match(await valueOf(program.bootServiceUrl!), /^https:\/\/[a-z0-9.-]+$/);
        assert.ok(await isSecret(program.bootAdminToken!), "the admin API credential is a secret output");
        assert.ok((await valueOf(program.bootAdminToken!)).length >= 32);
        assert.ok(await isSecret(program.siteBootUrls!["site-1"]));
        assert.deepStrictEqual(await valueOf(program.edgeLeases!["site-1"]), [{ name: "talos-edge-1", mac: "52:54:00:00:02:01", ip: "10.0.20.10" }]);
    });

    it("exports the day-two outputs: recorded control planes, edge machine status, credential expiry", async () => {
        assert.deepStrictEqual(await valueOf(program.controlPlanes), ["master-1"]);
        assert.deepStrictEqual(await valueOf(program.edgeMachines), [{ node: "talos-edge-1", site: "site-1", status: "pending" }]);
        const credentials = await valueOf(program.credentials);
        assert.match(credentials.kubeconfig.expires ?? "", /^\d{4}-\d\d-\d\dT/);
        assert.match(credentials.talosconfig.renewsFrom ?? "", /^\d{4}-\d\d-\d\dT/);
        assert.ok(!(await isSecret(program.credentials)), "dates only, in the clear");
    });

    it("deploys a real, packed bundle of the boot server", () => {
        const object = resourcesOfType("gcp:storage/bucketObject:BucketObject").find((o) => o.name.endsWith("boot-source"));
        assert.ok(object, "boot server source object");
        assert.match(object!.inputs.name, /^boot-server-[0-9a-f]{16}\.tar\.gz$/);
    });

    it("registers nothing the engine would download to hash at preview (no remote assets)", async () => {
        // The detector itself: a remote asset is flagged, a local file is not.
        assert.deepStrictEqual((await assetsIn({ a: [new pulumi.asset.RemoteAsset("https://factory.talos.dev/x.tar.gz")] }, "probe")).map((a) => a.remote), [true]);
        assert.deepStrictEqual((await assetsIn(new pulumi.asset.AssetArchive({ f: new pulumi.asset.FileAsset("/tmp/x") }), "probe")).map((a) => a.remote), [false]);

        await valueOf(program.gcpImage);
        const found = (await Promise.all(registered.map((r) => assetsIn(r.rawInputs, `${r.type}::${r.name}`)))).flat();
        assert.deepStrictEqual(found.filter((a) => a.remote), [], "remote assets in the graph");
        // The walk does reach assets: the boot server bundle (a local file) and in-memory ones are seen.
        assert.ok(found.some((a) => a.where === "gcp:storage/bucketObject:BucketObject::setup02-cluster-boot-source.source"), JSON.stringify(found));
    });
});
