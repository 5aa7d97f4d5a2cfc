import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { diskObjectName, gcpImageName, gcsObjectUrl, schematicYaml, TalosImages, TalosImagesArgs } from "../components/talosImages";
import { findResource, invokesOf, resetRegistrations, resourcesOfType, valueOf } from "./mocks";

const SCHEMATIC = "talos:imageFactory/schematic:Schematic";
const GET_URLS = "talos:imageFactory/getUrls:getUrls";

const args = (over: Partial<TalosImagesArgs> = {}): TalosImagesArgs => ({
    clusterName: "setup02-cluster",
    talosVersion: "v1.12.4",
    cloudExtensions: ["siderolabs/tailscale", "siderolabs/gcp-guest-agent"],
    edgeExtensions: ["siderolabs/tailscale"],
    bucketLocation: "europe-west4",
    ...over,
});

describe("components/talosImages", () => {
    beforeEach(resetRegistrations);

    describe("pure helpers", () => {
        it("schematicYaml lists official extensions only, sorted and de-duplicated", () => {
            const doc = parse(schematicYaml(["siderolabs/tailscale", "siderolabs/gcp-guest-agent", "siderolabs/tailscale"]));
            assert.deepStrictEqual(doc, { customization: { systemExtensions: { officialExtensions: ["siderolabs/gcp-guest-agent", "siderolabs/tailscale"] } } });
            assert.throws(() => schematicYaml(["tailscale extension"]), /not official extension names/);
        });

        it("gcpImageName stays a valid GCE name at the longest cluster name", () => {
            const id = "4a0d65c669d46663f377e7161e50cfd570c401f26fd9e7bda34a0216b6f1922b";
            assert.strictEqual(gcpImageName("setup02-cluster", "v1.12.4", id), "setup02-cluster-v1-12-4-4a0d65c6");
            const long = gcpImageName("a".repeat(40), "v1.12.10", id);
            assert.ok(long.length <= 63, long);
            assert.match(long, /^[a-z]([-a-z0-9]*[a-z0-9])?$/);
        });

        it("object path and GCS URL are content-addressed", () => {
            assert.strictEqual(diskObjectName("v1.12.4", "abc"), "talos/v1.12.4/abc/gcp-amd64.raw.tar.gz");
            assert.strictEqual(gcsObjectUrl("b", "talos/x"), "https://storage.googleapis.com/b/talos/x");
        });
    });

    describe("resources", () => {
        it("creates one schematic per role from config", async () => {
            const images = new TalosImages("img", args());
            await valueOf(images.edgeSchematicId);
            assert.strictEqual(resourcesOfType(SCHEMATIC).length, 2);
            const cloud = parse(findResource(SCHEMATIC, "img-cloud").inputs.schematic);
            assert.deepStrictEqual(cloud.customization.systemExtensions.officialExtensions, ["siderolabs/gcp-guest-agent", "siderolabs/tailscale"]);
            const edge = parse(findResource(SCHEMATIC, "img-edge").inputs.schematic);
            assert.deepStrictEqual(edge.customization.systemExtensions.officialExtensions, ["siderolabs/tailscale"]);
        });

        it("derives installer images from the schematic ids and the Talos version", async () => {
            const images = new TalosImages("img", args());
            const [cloudId, edgeId, cloudInstaller, edgeInstaller] = await Promise.all([
                valueOf(images.cloudSchematicId), valueOf(images.edgeSchematicId), valueOf(images.cloudInstallerImage), valueOf(images.edgeInstallerImage),
            ]);
            assert.match(cloudId, /^[0-9a-f]{64}$/);
            assert.notStrictEqual(cloudId, edgeId);
            assert.strictEqual(cloudInstaller, `factory.talos.dev/gcp-installer/${cloudId}:v1.12.4`);
            assert.strictEqual(edgeInstaller, `factory.talos.dev/metal-installer/${edgeId}:v1.12.4`);
            const gcp = invokesOf(GET_URLS).filter((i) => i.inputs.platform === "gcp");
            assert.deepStrictEqual(gcp.map((i) => [i.inputs.schematicId, i.inputs.talosVersion, i.inputs.architecture]), [[cloudId, "v1.12.4", "amd64"]]);
        });

        it("produces edge boot assets for every edge architecture", async () => {
            const images = new TalosImages("img", args({ edgeArchitectures: ["amd64", "arm64"] }));
            const [assets, edgeId] = await Promise.all([valueOf(images.edgeBootAssets), valueOf(images.edgeSchematicId)]);
            assert.deepStrictEqual(Object.keys(assets).sort(), ["amd64", "arm64"]);
            assert.strictEqual(assets.arm64.kernel, `https://factory.talos.dev/image/${edgeId}/v1.12.4/kernel-arm64`);
            assert.strictEqual(assets.amd64.initramfs, `https://factory.talos.dev/image/${edgeId}/v1.12.4/initramfs-amd64.xz`);
            const metal = invokesOf(GET_URLS).filter((i) => i.inputs.platform === "metal");
            assert.deepStrictEqual(metal.map((i) => i.inputs.architecture).sort(), ["amd64", "arm64"]);
        });

        it("imports the factory GCP tarball through a bucket object into a compute image", async () => {
            const images = new TalosImages("img", args());
            const [cloudId, diskUrl, selfLink] = await Promise.all([valueOf(images.cloudSchematicId), valueOf(images.gcpDiskImageUrl), valueOf(images.gcpImage.selfLink)]);
            assert.strictEqual(diskUrl, `https://factory.talos.dev/image/${cloudId}/v1.12.4/gcp-amd64.raw.tar.gz`);

            const bucket = findResource("gcp:storage/bucket:Bucket", "img-bucket");
            assert.strictEqual(bucket.inputs.publicAccessPrevention, "enforced");
            assert.strictEqual(bucket.inputs.uniformBucketLevelAccess, true);

            const object = findResource("gcp:storage/bucketObject:BucketObject", "img-gcp-disk");
            assert.strictEqual(object.inputs.name, diskObjectName("v1.12.4", cloudId));
            assert.strictEqual(object.inputs.bucket, "img-bucket-bucket");
            const source = object.rawInputs.source;
            assert.ok(pulumi.asset.RemoteAsset.isInstance(source), "the object source is a RemoteAsset");
            assert.strictEqual(await (source as pulumi.asset.RemoteAsset).uri, diskUrl);

            const image = findResource("gcp:compute/image:Image", "img-gcp");
            assert.strictEqual(image.inputs.rawDisk.source, `https://storage.googleapis.com/img-bucket-bucket/${diskObjectName("v1.12.4", cloudId)}`);
            assert.deepStrictEqual(image.inputs.guestOsFeatures.map((f: { type: string }) => f.type).sort(), ["UEFI_COMPATIBLE", "VIRTIO_SCSI_MULTIQUEUE"]);
            assert.strictEqual(image.inputs.name, gcpImageName("setup02-cluster", "v1.12.4", cloudId));
            assert.strictEqual(selfLink, `https://www.googleapis.com/compute/v1/projects/p/global/images/${image.inputs.name}`);
        });

        it("talks to Image Factory through an explicit provider with the configured URL", async () => {
            const images = new TalosImages("img", args({ factoryUrl: "https://factory.example.internal" }));
            await valueOf(images.cloudInstallerImage);
            const provider = findResource("pulumi:providers:talos", "img-factory");
            assert.strictEqual(provider.inputs.imageFactoryUrl, "https://factory.example.internal");
            for (const s of resourcesOfType(SCHEMATIC)) {
                assert.match(s.provider ?? "", /pulumi:providers:talos::img-factory::/);
            }
        });
    });
});
