/**
 * The program entry itself (`main: stacks/` in Pulumi.yaml), run under the mocks with the dev
 * stack's config exactly as the engine would hand it over: validated config, both halves
 * composed, the boot service bundle packed, and the stack outputs secret where they must be.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { isSecret, resetRegistrations, resourcesOfType, valueOf } from "./mocks";
import { FILLED_DEV_STACK_FILE, loadStackFile } from "./stackFiles";

describe("program entry (stacks/index.ts) with the dev stack", function () {
    // Packing the boot service runs esbuild.
    this.timeout(120_000);
    let program: typeof import("../stacks/index");
    let previous: Record<string, string>;

    before(async () => {
        resetRegistrations();
        previous = pulumi.runtime.allConfig();
        const raw = loadStackFile(FILLED_DEV_STACK_FILE);
        pulumi.runtime.setAllConfig(raw.values, [...raw.secretKeys]);
        // require, not import(): under module node16 a dynamic import() stays ESM and bypasses ts-node.
        program = require("../stacks/index");
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
        assert.ok(await isSecret(program.siteBootUrls!["site-1"]));
        assert.deepStrictEqual(await valueOf(program.edgeLeases!["site-1"]), [{ name: "talos-edge-1", mac: "52:54:00:00:02:01", ip: "10.0.20.10" }]);
    });

    it("deploys a real, packed bundle of the boot server", () => {
        const object = resourcesOfType("gcp:storage/bucketObject:BucketObject").find((o) => o.name.endsWith("boot-source"));
        assert.ok(object, "boot server source object");
        assert.match(object!.inputs.name, /^boot-server-[0-9a-f]{16}\.tar\.gz$/);
    });
});
