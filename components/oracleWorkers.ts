/**
 * Talos arm64 workers on Oracle Cloud (Ampere A1), joined to the cluster over the overlay
 * (seed 004, without its manual steps; docs/decisions/0132-oracle-cloud-workers.md):
 *
 *   OCI provider → staging bucket → a write-only pre-authenticated request → the factory's
 *   `oracle-arm64.qcow2` of the cloud schematic (tailscale extension) copied into it → a custom
 *   image (QCOW2, paravirtualized) → compatible with the A1 shape → per worker an instance whose
 *   metadata `user_data` is its worker config → its overlay address once it joined →
 *   ConfigurationApply over the overlay.
 *
 * The image is the factory's oracle image with the extensions already in it, booting the
 * `oracle` platform, which reads `user_data` at first boot: no throwaway control plane, no
 * upgrade to activate extensions, no maintenance mode (seed 004 flashed a raw image and had to).
 *
 * The only module of the program that loads `@pulumi/oci` (a large SDK): stacks without Oracle
 * workers load this file lazily, never.
 */
import * as pulumi from "@pulumi/pulumi";
import * as oci from "@pulumi/oci";
import * as talos from "@pulumiverse/talos";
import { OciConfig, PROJECT } from "./model";
import { OciObjectFromUrl } from "./ociObjectFromUrl";
import { OverlayLookup, overlayAddress } from "./overlay";
import { TalosClientCredentials } from "./cloudNode";

/** Days a staging upload PAR stays valid beyond the 30-day window it is created in. */
const PAR_WINDOW_DAYS = 30;

/**
 * Expiry of the staging upload PAR: the end of the 30-day window after the current one, so it
 * is always 30 to 60 days away and changes only once a window (a renewed PAR is not a new copy).
 */
export function uploadParExpiry(now: Date): string {
    const window = PAR_WINDOW_DAYS * 86_400_000;
    return new Date((Math.floor(now.getTime() / window) + 2) * window).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Object name of the staged image: content-addressed by version and schematic. */
export function oracleImageObjectName(talosVersion: string, schematicId: string): string {
    return `talos/${talosVersion}/${schematicId}/oracle-arm64.qcow2`;
}

/** `https://objectstorage.<region>.oraclecloud.com<accessUri>`, as the OCI docs build a PAR URL. */
export function parUrl(region: string, accessUri: string): string {
    return `https://objectstorage.${region}.oraclecloud.com${accessUri}`;
}

/** Instance metadata with the machine config as Talos's oracle platform reads it (base64 `user_data`). */
export function oracleUserData(machineConfig: string): Record<string, string> {
    return { user_data: Buffer.from(machineConfig, "utf8").toString("base64") };
}

export interface OracleWorkersArgs {
    /** Cluster name (names of the bucket, image and instances). */
    clusterName: string;
    /** The `oci` section: credentials, placement, workers. */
    oci: OciConfig;
    /** Talos version of the image. */
    talosVersion: string;
    /** Cloud schematic ID (content address of the staged image). */
    schematicId: pulumi.Input<string>;
    /** Factory URL of the cloud schematic's `oracle-arm64.qcow2`. */
    diskImageUrl: pulumi.Input<string>;
    /** `factory.talos.dev/oracle-installer/<schematic>:<version>`. */
    installerImage: pulumi.Input<string>;
    /** Worker config (secret) of the named worker, given the installer image. */
    machineConfiguration: (workerName: string, installerImage: pulumi.Input<string>) => pulumi.Output<string>;
    /** Talos API client credentials (secret). */
    clientConfiguration: pulumi.Input<TalosClientCredentials>;
    /** Where each worker's overlay address is looked up, by worker name. */
    overlay: Record<string, OverlayLookup>;
    /** How long to wait for a worker to join the overlay, Go duration. Default "10m". */
    joinTimeout?: string;
    /** Bound on each Talos API operation, Go duration. Default "10m". */
    talosApiTimeout?: string;
}

/** One worker's handles. */
export interface OracleWorker {
    name: string;
    instance: oci.core.Instance;
    overlayIp: pulumi.Output<string>;
    configurationApply: talos.machine.ConfigurationApply;
}

/** Oracle Cloud image import and Ampere A1 Talos workers. */
export class OracleWorkers extends pulumi.ComponentResource {
    public readonly provider: oci.Provider;
    public readonly bucket: oci.objectstorage.Bucket;
    public readonly imageObject: OciObjectFromUrl;
    public readonly image: oci.core.Image;
    public readonly workers: OracleWorker[];

    constructor(name: string, args: OracleWorkersArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:oci:OracleWorkers`, name, {}, opts);
        const c = args.oci;
        this.provider = new oci.Provider(`${name}-provider`, {
            region: c.region,
            tenancyOcid: c.tenancyOcid,
            userOcid: c.userOcid,
            fingerprint: c.fingerprint,
            privateKey: pulumi.secret(c.privateKey),
        }, { parent: this });
        const via = { parent: this, provider: this.provider };

        const namespace = oci.objectstorage.getNamespaceOutput({ compartmentId: c.compartmentId }, via).namespace;
        this.bucket = new oci.objectstorage.Bucket(`${name}-images`, {
            compartmentId: c.compartmentId,
            namespace,
            name: `${args.clusterName}-talos-images`,
            accessType: "NoPublicAccess",
            freeformTags: { cluster: args.clusterName, purpose: "talos-images" },
        }, {
            ...via,
            // A bucket must be empty to go, and the write-only PAR cannot empty it: it stays (the
            // image keeps its own copy), and a new stack reuses it.
            retainOnDelete: true,
        });
        const objectName = pulumi.output(args.schematicId).apply((id) => oracleImageObjectName(args.talosVersion, id));
        const par = new oci.objectstorage.Preauthrequest(`${name}-upload`, {
            accessType: "ObjectWrite",
            bucket: this.bucket.name,
            namespace,
            name: `${args.clusterName}-talos-image-upload`,
            objectName,
            timeExpires: uploadParExpiry(new Date()),
        }, { ...via, additionalSecretOutputs: ["accessUri", "fullPath"] });
        this.imageObject = new OciObjectFromUrl(`${name}-image-object`, {
            sourceUrl: args.diskImageUrl,
            uploadUrl: par.accessUri.apply((uri) => parUrl(c.region, uri)),
            bucket: this.bucket.name,
            objectName,
        }, { parent: this });

        this.image = new oci.core.Image(`${name}-image`, {
            compartmentId: c.compartmentId,
            displayName: pulumi.interpolate`${args.clusterName}-talos-${args.talosVersion}-${pulumi.output(args.schematicId).apply((id) => id.slice(0, 8))}-arm64`,
            launchMode: "PARAVIRTUALIZED",
            imageSourceDetails: {
                sourceType: "objectStorageTuple",
                namespaceName: namespace,
                bucketName: this.imageObject.bucket,
                objectName: this.imageObject.objectName,
                sourceImageType: "QCOW2",
                operatingSystem: "Talos",
                operatingSystemVersion: args.talosVersion,
            },
            freeformTags: { cluster: args.clusterName },
        }, via);
        // A custom image lists the shapes it may run on; Ampere shapes are not among the defaults.
        const shapes = [...new Set(c.workers.map((w) => w.shape))];
        const compatibility = shapes.map((shapeName) => new oci.core.ShapeManagement(`${name}-shape-${shapeName.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`, {
            compartmentId: c.compartmentId,
            imageId: this.image.id,
            shapeName,
        }, via));

        const apiTimeout = args.talosApiTimeout ?? "10m";
        this.workers = c.workers.map((w) => {
            const config = pulumi.secret(args.machineConfiguration(w.name, args.installerImage));
            const instance = new oci.core.Instance(`${name}-${w.name}`, {
                availabilityDomain: c.availabilityDomain,
                compartmentId: c.compartmentId,
                displayName: w.name,
                shape: w.shape,
                shapeConfig: { ocpus: w.ocpus, memoryInGbs: w.memoryGb },
                sourceDetails: { sourceType: "image", sourceId: this.image.id, bootVolumeSizeInGbs: String(w.bootVolumeSizeGb) },
                createVnicDetails: { subnetId: c.subnetId, assignPublicIp: String(c.assignPublicIp), hostnameLabel: w.name, displayName: `${w.name}-vnic` },
                // Talos reads only the v2 metadata endpoints; the Oracle Cloud Agent cannot run on Talos (seed 004).
                instanceOptions: { areLegacyImdsEndpointsDisabled: true },
                agentConfig: { areAllPluginsDisabled: true, isManagementDisabled: true, isMonitoringDisabled: true },
                metadata: config.apply(oracleUserData),
                freeformTags: { cluster: args.clusterName, role: "worker" },
            }, {
                ...via,
                dependsOn: compatibility,
                // Metadata is readable by anyone who may read the instance: keep it secret in state.
                additionalSecretOutputs: ["metadata"],
                // user_data matters at first boot only; later config goes through ConfigurationApply,
                // a new image through `talosctl upgrade`.
                ignoreChanges: ["metadata", "sourceDetails.sourceId"],
            });
            const overlayIp = overlayAddress(w.name, args.overlay[w.name], instance, args.joinTimeout ?? "10m", this);
            const configurationApply = new talos.machine.ConfigurationApply(`${name}-${w.name}-apply`, {
                clientConfiguration: args.clientConfiguration,
                machineConfigurationInput: config,
                node: overlayIp,
                applyMode: "auto",
                timeouts: { create: apiTimeout, update: apiTimeout },
            }, { parent: this, replacementTrigger: instance.id });
            return { name: w.name, instance, overlayIp, configurationApply };
        });

        this.registerOutputs({
            imageId: this.image.id,
            workers: pulumi.all(this.workers.map((w) => pulumi.all([w.instance.privateIp, w.overlayIp]).apply(([privateIp, overlayIp]) => ({ name: w.name, privateIp, overlayIp })))),
        });
    }
}
