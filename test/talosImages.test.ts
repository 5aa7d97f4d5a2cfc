import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { providerModuleText, STORAGE_API } from "../components/gcsObjectFromUrlProvider";
import { diskObjectName, gcpImageName, gcsObjectUrl, TalosImages, TalosImagesArgs } from "../components/talosImages";
import { confirmSchematicId, schematicId, schematicYaml } from "../lib/talos/schematic";
import { engineRegistration, findResource, inputIsSecret, invokesOf, resetRegistrations, resourcesOfType, valueOf } from "./mocks";

const SCHEMATIC = "talos:imageFactory/schematic:Schematic";
const GET_URLS = "talos:imageFactory/getUrls:getUrls";
const DISK_COPY = "pulumi-nodejs:dynamic/talos-cloud-edge:GcsObjectFromUrl";

const args = (over: Partial<TalosImagesArgs> = {}): TalosImagesArgs => ({
    clusterName: "setup02-cluster",
    talosVersion: "v1.12.4",
    cloudExtensions: ["siderolabs/tailscale"],
    edgeExtensions: ["siderolabs/tailscale", "siderolabs/qemu-guest-agent"],
    bucketLocation: "europe-west4",
    ...over,
});

describe("components/talosImages", () => {
    beforeEach(resetRegistrations);

    describe("pure helpers", () => {
        it("schematicYaml lists official extensions only, sorted and de-duplicated", () => {
            const doc = parse(schematicYaml(["siderolabs/tailscale", "siderolabs/qemu-guest-agent", "siderolabs/tailscale"]));
            assert.deepStrictEqual(doc, { customization: { systemExtensions: { officialExtensions: ["siderolabs/qemu-guest-agent", "siderolabs/tailscale"] } } });
            assert.throws(() => schematicYaml(["tailscale extension", "siderolabs/tailscale", "Siderolabs/x"]), /\["tailscale extension","Siderolabs\/x"\] are not official extension names/);
        });

        it("schematicYaml is the factory's canonical form: 4-space indentation, trailing newline", () => {
            assert.strictEqual(
                schematicYaml(["siderolabs/tailscale"]),
                "customization:\n    systemExtensions:\n        officialExtensions:\n            - siderolabs/tailscale\n",
            );
            assert.strictEqual(schematicYaml([]), "customization: {}\n");
        });

        it("schematicId equals the IDs Image Factory assigned (vendor/talos-v1.12.4/SOURCE.md)", () => {
            assert.strictEqual(schematicId(["siderolabs/tailscale"]), "4a0d65c669d46663f377e7161e50cfd570c401f26fd9e7bda34a0216b6f1922b");
            assert.strictEqual(
                schematicId(["siderolabs/qemu-guest-agent", "siderolabs/tailscale"]),
                "7d4c31cbd96db9f90c874990697c523482b2bae27fb4631d5583dcd9c281b1ff",
            );
            // Order and duplicates in stack config do not matter.
            assert.strictEqual(schematicId(["siderolabs/tailscale", "siderolabs/qemu-guest-agent", "siderolabs/tailscale"]), schematicId(["siderolabs/qemu-guest-agent", "siderolabs/tailscale"]));
            // No customization: the ID of the factory's plain Talos images.
            assert.strictEqual(schematicId([]), "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba");
        });

        it("confirmSchematicId passes the factory's ID through only when it is the local one", () => {
            const local = schematicId(["siderolabs/tailscale"]);
            assert.strictEqual(confirmSchematicId("cloud", local, local), local);
            assert.throws(() => confirmSchematicId("cloud", local, "f".repeat(64)), /registered the cloud schematic as f{64}, but its canonical YAML hashes to 4a0d65c6/);
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
            assert.deepStrictEqual(cloud.customization.systemExtensions.officialExtensions, ["siderolabs/tailscale"]);
            const edge = parse(findResource(SCHEMATIC, "img-edge").inputs.schematic);
            assert.deepStrictEqual(edge.customization.systemExtensions.officialExtensions, ["siderolabs/qemu-guest-agent", "siderolabs/tailscale"]);
            // Exactly the text whose hash is the schematic ID.
            assert.strictEqual(findResource(SCHEMATIC, "img-edge").inputs.schematic, schematicYaml(["siderolabs/qemu-guest-agent", "siderolabs/tailscale"]));
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

        it("imports the factory GCP tarball through a one-time copy into a compute image", async () => {
            const images = new TalosImages("img", args());
            const [cloudId, diskUrl, selfLink] = await Promise.all([valueOf(images.cloudSchematicId), valueOf(images.gcpDiskImageUrl), valueOf(images.gcpImage.selfLink)]);
            // The mock factory, like the real one, names a schematic by the hash of the text it received.
            assert.strictEqual(cloudId, "4a0d65c669d46663f377e7161e50cfd570c401f26fd9e7bda34a0216b6f1922b");
            assert.strictEqual(await valueOf(images.edgeSchematicId), "7d4c31cbd96db9f90c874990697c523482b2bae27fb4631d5583dcd9c281b1ff");
            assert.strictEqual(diskUrl, `https://factory.talos.dev/image/${cloudId}/v1.12.4/gcp-amd64.raw.tar.gz`);

            const bucket = findResource("gcp:storage/bucket:Bucket", "img-bucket");
            assert.strictEqual(bucket.inputs.publicAccessPrevention, "enforced");
            assert.strictEqual(bucket.inputs.uniformBucketLevelAccess, true);

            // No asset for the engine to hash: a dynamic resource keyed on the URL does the copy.
            assert.deepStrictEqual(resourcesOfType("gcp:storage/bucketObject:BucketObject"), []);
            const copy = findResource(DISK_COPY, "img-gcp-disk");
            assert.strictEqual(copy.inputs.sourceUrl, diskUrl);
            assert.strictEqual(copy.inputs.bucket, "img-bucket-bucket");
            assert.strictEqual(copy.inputs.objectName, diskObjectName("v1.12.4", cloudId));
            assert.strictEqual(copy.inputs.contentType, "application/gzip");
            assert.strictEqual(copy.inputs.storageApi, STORAGE_API);
            // The gcp provider's token (getClientConfig), kept secret in state.
            assert.strictEqual(copy.inputs.accessToken, "token");
            assert.ok(inputIsSecret(copy, "accessToken"), "the access token input is secret");
            assert.strictEqual(invokesOf("gcp:organizations/getClientConfig:getClientConfig").length, 1);
            // The provider code the engine runs (tested on its own in gcsObjectFromUrl.test.ts).
            assert.strictEqual(copy.inputs.__provider, providerModuleText());

            const image = findResource("gcp:compute/image:Image", "img-gcp");
            assert.strictEqual(image.inputs.rawDisk.source, `https://storage.googleapis.com/img-bucket-bucket/${diskObjectName("v1.12.4", cloudId)}`);
            assert.deepStrictEqual(image.inputs.guestOsFeatures.map((f: { type: string }) => f.type).sort(), ["UEFI_COMPATIBLE", "VIRTIO_SCSI_MULTIQUEUE"]);
            assert.strictEqual(image.inputs.name, gcpImageName("setup02-cluster", "v1.12.4", cloudId));
            assert.strictEqual(selfLink, `https://www.googleapis.com/compute/v1/projects/p/global/images/${image.inputs.name}`);
            // The image is created only after the copy (its source comes from the copy's outputs).
            const copyUrn = engineRegistration(DISK_COPY, "img-gcp-disk").urn;
            assert.ok(engineRegistration("gcp:compute/image:Image", "img-gcp").dependencies.includes(copyUrn), "image depends on the copy");
            // The copy waits for the factory to know the schematic (its URL comes through the registration).
            const schematicUrn = engineRegistration(SCHEMATIC, "img-cloud").urn;
            assert.ok(engineRegistration(DISK_COPY, "img-gcp-disk").dependencies.includes(schematicUrn), "copy depends on the registered schematic");
        });

        it("names the image and the staging object from the local schematic ID, as plain values known at preview", () => {
            const images = new TalosImages("img", args());
            const cloudId = schematicId(args().cloudExtensions);
            assert.deepStrictEqual(images.schematicIds, { cloud: cloudId, edge: schematicId(args().edgeExtensions) });
            // Plain strings in the registration (no Output), so a preview shows them before the factory answers.
            return valueOf(images.gcpImage.name).then(() => {
                const image = findResource("gcp:compute/image:Image", "img-gcp");
                assert.strictEqual(typeof image.rawInputs.name, "string");
                assert.strictEqual(image.rawInputs.description, `Talos v1.12.4, Image Factory schematic ${cloudId}`);
                assert.strictEqual(typeof findResource(DISK_COPY, "img-gcp-disk").rawInputs.objectName, "string");
            });
        });

        it("ties the staging copy's lifetime to its bucket (deletedWith)", async () => {
            const seen: Record<string, pulumi.ResourceOptions> = {};
            const images = new TalosImages("img", args(), {
                transformations: [(a) => {
                    seen[a.name] = a.opts;
                    return undefined;
                }],
            });
            await valueOf(images.gcpImage.selfLink);
            assert.strictEqual(seen["img-gcp-disk"].deletedWith, images.bucket);
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
