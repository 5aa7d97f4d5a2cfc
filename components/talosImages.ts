/**
 * Talos images from Image Factory: the cloud and edge schematics, their installer references and
 * boot-asset URLs, and the GCE image imported from the factory's `gcp-amd64.raw.tar.gz`.
 *
 * The seed did the import by hand (curl, gsutil, gcloud). Here a small dynamic resource copies
 * the tarball from the factory into a staging bucket once per content-addressed URL, and the
 * compute image is created from that object (docs/decisions/0003-gcp-image-import.md). Nothing
 * is downloaded at preview or on an update that leaves the URL alone.
 *
 * Schematic IDs are computed locally (lib/talos/schematic.ts), so the image and object names
 * are known at preview; the factory's registration must agree with them.
 */
import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as talos from "@pulumiverse/talos";
import { confirmSchematicId, schematicId, schematicYaml } from "../lib/talos/schematic";
import { GcsObjectFromUrl } from "./gcsObjectFromUrl";
import { Architecture, PROJECT } from "./model";

export interface TalosImagesArgs {
    /** Cluster name (DNS label); prefixes the compute image name and family. */
    clusterName: string;
    /** Talos version of every image and installer, e.g. "v1.12.4". */
    talosVersion: string;
    /** Official extensions baked into the cloud schematic, e.g. ["siderolabs/tailscale"]. Order and duplicates do not matter. */
    cloudExtensions: string[];
    /** Official extensions baked into the edge schematic, e.g. ["siderolabs/qemu-guest-agent", "siderolabs/tailscale"]. */
    edgeExtensions: string[];
    /** Image Factory base URL. Default "https://factory.talos.dev". */
    factoryUrl?: string;
    /** Architectures the edge machines use; boot-asset URLs are produced for each. Default ["amd64"]. */
    edgeArchitectures?: Architecture[];
    /** GCS location of the staging bucket (the region), e.g. "europe-west4". */
    bucketLocation: string;
    /** Architectures of the cloud nodes; a GCE image is imported for each. Default ["amd64"]. */
    gcpArchitectures?: Architecture[];
    /** Also resolve the cloud schematic's Oracle Cloud arm64 disk image and installer. Default false. */
    oracleArm64?: boolean;
}

/** The boot assets of one edge architecture, as Image Factory serves them. */
export interface EdgeBootAssets {
    /** Kernel URL (`…/kernel-<arch>`). */
    kernel: string;
    /** Initramfs URL carrying the schematic's extensions (`…/initramfs-<arch>.xz`). */
    initramfs: string;
    /** URL of the schematic's default kernel command line for metal (`…/cmdline-metal-<arch>`). */
    kernelCommandLine: string;
    /** The factory's own iPXE script URL (`https://pxe.factory.talos.dev/pxe/…/metal-<arch>`); for reference. */
    pxeScript: string;
    /** Installer image reference (`factory.talos.dev/metal-installer/<id>:<version>`). */
    installer: string;
}

/**
 * GCE image name: content-addressed by version and schematic so a new schematic creates a new
 * image beside the old one. At most 63 characters, lower case, `[a-z]([-a-z0-9]*[a-z0-9])?`.
 */
export function gcpImageName(clusterName: string, talosVersion: string, schematicId: string, arch: Architecture = "amd64"): string {
    const version = talosVersion.toLowerCase().replace(/[^a-z0-9]+/g, "-");
    const suffix = `-${version}-${schematicId.slice(0, 8)}${arch === "amd64" ? "" : `-${arch}`}`;
    const prefix = clusterName.slice(0, 63 - suffix.length).replace(/-+$/, "");
    return `${prefix}${suffix}`;
}

/** Object path of the disk tarball inside the staging bucket. */
export function diskObjectName(talosVersion: string, schematicId: string, arch: Architecture = "amd64"): string {
    return `talos/${talosVersion}/${schematicId}/gcp-${arch}.raw.tar.gz`;
}

/** Guest OS features of the imported image: gVNIC on arm64 too (Axion has no virtio-net). */
export function gcpGuestOsFeatures(arch: Architecture): { type: string }[] {
    return [{ type: "VIRTIO_SCSI_MULTIQUEUE" }, { type: "UEFI_COMPATIBLE" }, ...(arch === "arm64" ? [{ type: "GVNIC" }] : [])];
}

/** The URL form the Compute API documents for `rawDisk.source`. */
export function gcsObjectUrl(bucket: string, objectName: string): string {
    return `https://storage.googleapis.com/${bucket}/${objectName}`;
}

/**
 * Image Factory schematics, installer references, edge boot assets and the imported GCE image.
 */
export class TalosImages extends pulumi.ComponentResource {
    public readonly cloudSchematic: talos.imagefactory.Schematic;
    public readonly edgeSchematic: talos.imagefactory.Schematic;
    /** Schematic IDs computed locally (64 hex each), known at preview. */
    public readonly schematicIds: { cloud: string; edge: string };
    /** Cloud schematic ID as Image Factory registered it (equal to `schematicIds.cloud`, or the program fails). */
    public readonly cloudSchematicId: pulumi.Output<string>;
    /** Edge schematic ID as Image Factory registered it (equal to `schematicIds.edge`, or the program fails). */
    public readonly edgeSchematicId: pulumi.Output<string>;
    /** `factory.talos.dev/gcp-installer/<cloud schematic>:<version>`. */
    public readonly cloudInstallerImage: pulumi.Output<string>;
    /** `factory.talos.dev/metal-installer/<edge schematic>:<version>`. */
    public readonly edgeInstallerImage: pulumi.Output<string>;
    /** Edge boot-asset URLs per architecture (the boot service's BOOT_SETTINGS). */
    public readonly edgeBootAssets: pulumi.Output<Record<string, EdgeBootAssets>>;
    /** Factory URL of the GCP disk tarball (the first of `gcpArchitectures`). */
    public readonly gcpDiskImageUrl: pulumi.Output<string>;
    public readonly bucket: gcp.storage.Bucket;
    /** The factory's GCP tarball, copied into the bucket once per URL (the first architecture). */
    public readonly diskObject: GcsObjectFromUrl;
    /** The imported image of the first of `gcpArchitectures` (amd64 unless only arm64 is used). */
    public readonly gcpImage: gcp.compute.Image;
    /** The imported image per cloud-node architecture. */
    public readonly gcpImages: Partial<Record<Architecture, gcp.compute.Image>>;
    /** The Image Factory provider, for other schematics of this stack (the Proxmox VMs'). */
    public readonly factory: talos.Provider;
    /** `…/oracle-arm64.qcow2` of the cloud schematic; undefined unless `oracleArm64`. */
    public readonly oracleDiskImageUrl?: pulumi.Output<string>;
    /** `factory.talos.dev/oracle-installer/<cloud schematic>:<version>`; undefined unless `oracleArm64`. */
    public readonly oracleInstallerImage?: pulumi.Output<string>;

    constructor(name: string, args: TalosImagesArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:talos:TalosImages`, name, {}, opts);
        this.schematicIds = { cloud: schematicId(args.cloudExtensions), edge: schematicId(args.edgeExtensions) };
        const { cloud: cloudId, edge: edgeId } = this.schematicIds;
        const architectures = [...new Set(args.edgeArchitectures ?? ["amd64"])];

        const factory = new talos.Provider(`${name}-factory`, {
            imageFactoryUrl: args.factoryUrl ?? "https://factory.talos.dev",
        }, { parent: this });
        this.factory = factory;
        const viaFactory = { parent: this, provider: factory };

        // Registering makes the factory serve assets for the schematic; its ID must be ours.
        this.cloudSchematic = new talos.imagefactory.Schematic(`${name}-cloud`, { schematic: schematicYaml(args.cloudExtensions) }, viaFactory);
        this.edgeSchematic = new talos.imagefactory.Schematic(`${name}-edge`, { schematic: schematicYaml(args.edgeExtensions) }, viaFactory);
        this.cloudSchematicId = this.cloudSchematic.id.apply((id) => confirmSchematicId("cloud", cloudId, id));
        this.edgeSchematicId = this.edgeSchematic.id.apply((id) => confirmSchematicId("edge", edgeId, id));

        const gcpArchitectures: Architecture[] = [...new Set(args.gcpArchitectures ?? ["amd64" as const])];
        const gcpUrls = gcpArchitectures.map((architecture) => talos.imagefactory.getUrlsOutput({
            talosVersion: args.talosVersion,
            schematicId: this.cloudSchematicId,
            platform: "gcp",
            architecture,
        }, viaFactory).urls);
        // The installer reference is a multi-arch manifest, identical for every architecture.
        this.cloudInstallerImage = gcpUrls[0].installer;
        this.gcpDiskImageUrl = gcpUrls[0].diskImage;
        if (args.oracleArm64) {
            const oracleUrls = talos.imagefactory.getUrlsOutput({
                talosVersion: args.talosVersion,
                schematicId: this.cloudSchematicId,
                platform: "oracle",
                architecture: "arm64",
            }, viaFactory).urls;
            this.oracleDiskImageUrl = oracleUrls.diskImage;
            this.oracleInstallerImage = oracleUrls.installer;
        }

        const edgeUrls = architectures.map((architecture) => talos.imagefactory.getUrlsOutput({
            talosVersion: args.talosVersion,
            schematicId: this.edgeSchematicId,
            platform: "metal",
            architecture,
        }, viaFactory).urls);
        // The installer reference is a multi-arch manifest, identical for every architecture.
        this.edgeInstallerImage = edgeUrls[0].installer;
        this.edgeBootAssets = pulumi.all(edgeUrls).apply((all) => Object.fromEntries(all.map((u, i) => [architectures[i], {
            kernel: u.kernel,
            initramfs: u.initramfs,
            kernelCommandLine: u.kernelCommandLine,
            pxeScript: u.pxe,
            installer: u.installer,
        }])));

        // Staging area only: the compute image keeps its own copy, so the bucket is disposable.
        this.bucket = new gcp.storage.Bucket(`${name}-bucket`, {
            location: args.bucketLocation,
            uniformBucketLevelAccess: true,
            publicAccessPrevention: "enforced",
            forceDestroy: true,
            labels: { cluster: args.clusterName, purpose: "talos-images" },
        }, { parent: this });

        // Copied once per URL (version + schematic + architecture); the URL comes through the
        // registered schematic, so the copy waits for the factory to know it. The gcp provider's
        // own token authorizes the upload; a fresh one each run is not a change.
        const accessToken = gcp.organizations.getClientConfigOutput({ parent: this }).accessToken;
        const imports = gcpArchitectures.map((arch, i) => {
            // amd64 keeps the names it had before arm64 existed, so nothing is replaced.
            const suffix = arch === "amd64" ? "" : `-${arch}`;
            const diskObject = new GcsObjectFromUrl(`${name}-gcp-disk${suffix}`, {
                sourceUrl: gcpUrls[i].diskImage,
                bucket: this.bucket.name,
                objectName: diskObjectName(args.talosVersion, cloudId, arch),
                contentType: "application/gzip",
                accessToken,
            }, { parent: this, deletedWith: this.bucket });
            const image = new gcp.compute.Image(`${name}-gcp${suffix}`, {
                name: gcpImageName(args.clusterName, args.talosVersion, cloudId, arch),
                family: `${args.clusterName}-talos${suffix}`.slice(0, 63),
                // Image fields other than labels are fixed at creation: amd64 keeps its description too.
                description: `Talos ${args.talosVersion}${suffix ? ` ${arch}` : ""}, Image Factory schematic ${cloudId}`,
                rawDisk: { source: pulumi.all([diskObject.bucket, diskObject.objectName]).apply(([b, o]) => gcsObjectUrl(b, o)) },
                // UEFI_COMPATIBLE lets instances run as Shielded VMs (vTPM, integrity monitoring).
                guestOsFeatures: gcpGuestOsFeatures(arch),
                labels: { cluster: args.clusterName, "talos-version": args.talosVersion.toLowerCase().replace(/[^a-z0-9_-]/g, "-") },
            }, { parent: this });
            return { arch, diskObject, image };
        });
        this.diskObject = imports[0].diskObject;
        this.gcpImage = imports[0].image;
        this.gcpImages = Object.fromEntries(imports.map((x) => [x.arch, x.image]));

        this.registerOutputs({
            cloudSchematicId: this.cloudSchematicId,
            edgeSchematicId: this.edgeSchematicId,
            cloudInstallerImage: this.cloudInstallerImage,
            edgeInstallerImage: this.edgeInstallerImage,
            edgeBootAssets: this.edgeBootAssets,
            gcpImageSelfLink: this.gcpImage.selfLink,
        });
    }
}
