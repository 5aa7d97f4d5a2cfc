/**
 * The boot service on Cloud Run: serves each edge site's iPXE scripts and each edge
 * machine's Talos config (infra/boot-server), deployed from source with no Docker build.
 *
 * Secrets (base worker config, site tokens, key-backend credentials, database URL) live in
 * Secret Manager and reach the container only as `secretKeyRef` environment variables pinned
 * to a version, so a changed cluster config is a new secret version and a new revision.
 *
 * State (tickets, claims, enrollment records, pending machines) lives in Cloud SQL for
 * PostgreSQL, whatever the scaling: it survives scale-to-zero, revisions and crashes (decision
 * 0011). The inventory rides in the source bundle (`inventory.json`), not in an environment
 * variable: Cloud Run caps one at 32 KiB, a few hundred machines.
 */
import * as crypto from "crypto";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tailscale from "@pulumi/tailscale";
import {
    BOOT_INVENTORY_FILE_ENV,
    BOOT_SECRET_ENV,
    BUNDLED_INVENTORY_FILE,
    inventoryFromSites,
    siteBootUrl,
    type BootSettingsInput,
    type KeyBackendSettings,
} from "../model/bootContract";
import { bootDatabase, CLOUD_SQL_TIERS, cloudSqlTier, DATABASE_POOL_SIZE } from "./bootDatabase";
import {
    bootSettingsEnv,
    BootServiceSource,
    bundledInventorySha256,
    checkBundledInventory,
    checkSize,
    CLOUD_RUN_ENV_VALUE_MAX_BYTES,
    SECRET_MANAGER_PAYLOAD_MAX_BYTES,
} from "./bootServiceInputs";
import type { Architecture, BootServiceConfig, EdgeSiteConfig, TailnetConfig } from "./model";
import { edgeKernelArgs } from "../lib/talos/kernelArgs";

/** Kernel and initramfs of the edge schematic for one architecture. */
export interface BootAssetUrls {
    /** Image Factory kernel URL (`…/kernel-<arch>`). */
    kernel: string;
    /** Image Factory initramfs URL (`…/initramfs-<arch>.xz`). */
    initramfs: string;
}

export interface BootServiceArgs {
    /** GCP project id. */
    project: pulumi.Input<string>;
    /** Short name prefix for GCP resources (the cluster name, a DNS label). */
    namePrefix: string;
    /** Boot service settings from stack config (region, scaling, TTLs, key backend). */
    service: BootServiceConfig;
    /** The tailnet: OAuth client for per-boot keys, edge tags, provider for static keys. */
    tailnet: TailnetConfig;
    /** Tailscale provider; used only to create static keys when `keyBackend.kind === "static"`. */
    tailscaleProvider?: tailscale.Provider;
    /** Edge sites; their machines are the service's inventory (written once, in stack config). */
    sites: EdgeSiteConfig[];
    /** The cluster's worker machine config for edge nodes (secret, multi-document YAML). */
    baseWorkerConfig: pulumi.Input<string>;
    /** Edge schematic boot assets per architecture. */
    assets: pulumi.Input<Partial<Record<Architecture, BootAssetUrls>>>;
    /** Installer image for `machine.install.image` (`factory.talos.dev/metal-installer/<id>:<version>`). */
    installerImage: pulumi.Input<string>;
    /** Talos version of the edge boot assets, e.g. "v1.12.4"; picks Image Factory's metal kernel arguments. */
    talosVersion: string;
    /**
     * Kernel arguments after `talos.platform=metal` and the console arguments. Default: Image
     * Factory's metal command line for `talosVersion` without its platform and console arguments
     * (`edgeKernelArgs`, lib/talos/kernelArgs.ts).
     */
    kernelArgs?: string[];
    /** The packed service source; a Promise is fine (the bundle is built while the program runs). */
    source: pulumi.Input<BootServiceSource>;
    /**
     * The stack's VM identity key (secret; EdgeVmIdentities.key). The service derives from it the
     * SMBIOS UUID and serial of every VM whose inventory entry is marked `derivedIdentity`
     * (model/vmIdentity.ts) and requires a booting VM to report them; it reaches the service as
     * the secret BOOT_VM_IDENTITY_KEY, whose size does not grow with the number of VMs. Required
     * when some machine has `vm` without both `uuid` and `serial`; otherwise unused.
     */
    vmIdentityKey?: pulumi.Input<string>;
}

/** The label the policy pack uses to find the boot service. */
export const BOOT_SERVICE_ROLE_LABEL = { "talos-cloud-edge-role": "boot-service" } as const;

/** Cloud Run's Node.js base image for source deploys without a build. */
export function nodeRuntimeImage(region: string): string {
    return `${region}-docker.pkg.dev/serverless-runtimes/google-24-full/runtimes/nodejs24`;
}

/**
 * A GCP service account id (6-30 chars, `[a-z][-a-z0-9]*[a-z0-9]`) from a prefix; a long
 * prefix is cut and suffixed with a short hash so two clusters never collide.
 */
export function serviceAccountId(prefix: string, role: string): string {
    const id = `${prefix}-${role}`;
    if (id.length <= 30) {
        return id;
    }
    const hash = crypto.createHash("sha256").update(id).digest("hex").slice(0, 6);
    return `${id.slice(0, 30 - role.length - 8).replace(/-+$/, "")}-${hash}-${role}`;
}

export { inventoryFromSites, siteBootUrl };
export {
    bootSettingsEnv,
    bundledInventorySha256,
    checkBundledInventory,
    checkSize,
    CLOUD_RUN_ENV_VALUE_MAX_BYTES,
    CLOUD_SQL_TIERS,
    cloudSqlTier,
    DATABASE_POOL_SIZE,
    SECRET_MANAGER_PAYLOAD_MAX_BYTES,
};
export type { BootServiceSource };

/** Names of the machines whose VM identity the service derives (BOOT_VM_IDENTITY_KEY): the inventory's `derivedIdentity` ones. */
export function derivedIdentityMachines(sites: EdgeSiteConfig[]): string[] {
    return inventoryFromSites(sites).flatMap((s) => s.machines.filter((m) => m.derivedIdentity === true).map((m) => m.name));
}

/** The non-secret key backend parameters the service receives in BOOT_SETTINGS. */
export function keyBackendSettings(service: BootServiceConfig, tailnet: TailnetConfig): KeyBackendSettings {
    const backend = service.keyBackend;
    switch (backend.kind) {
        case "tailscale":
            return { kind: "tailscale", tailnet: tailnet.tailnet, tags: tailnet.edgeTags, expirySeconds: service.edgeKeyExpirySeconds };
        case "headscale":
            return {
                kind: "headscale",
                url: backend.url,
                ...(backend.user !== undefined ? { user: backend.user } : {}),
                tags: tailnet.edgeTags,
                expirySeconds: service.edgeKeyExpirySeconds,
            };
        case "static":
            return { kind: "static", expirySeconds: tailnet.keyExpirySeconds };
    }
}

/** The Cloud Run service's name for a cluster (`namePrefix`). */
export function bootServiceName(namePrefix: string): string {
    return `${namePrefix}-boot`;
}

/**
 * Cloud Run's deterministic URL of a service, `https://<service>-<project number>.<region>.run.app`,
 * known before the service exists: the stack pins it as the service's `publicUrl`, so the URLs
 * written into scripts never come from a request's Host or X-Forwarded-Host, and it can go into the
 * service's own settings without a cycle. Cloud Run assigns it only while that first DNS label
 * fits in 63 characters; a longer one is refused here.
 */
export function deterministicServiceUrl(serviceName: string, projectNumber: string, region: string): string {
    if (!/^[0-9]{1,20}$/.test(projectNumber)) {
        throw new Error(`boot service: project number ${JSON.stringify(projectNumber)} is not a number; is gcp:project the project id?`);
    }
    const label = `${serviceName}-${projectNumber}`;
    if (label.length > 63) {
        throw new Error(
            `boot service: Cloud Run gives no deterministic URL to "${serviceName}" in project number ${projectNumber} ` +
                `("${label}" is ${label.length} characters, over 63); shorten cluster.name`,
        );
    }
    return `https://${label}.${region}.run.app`;
}

/** Everything in BOOT_SETTINGS (validated again by the service itself at start-up). */
export function bootSettings(args: {
    service: BootServiceConfig;
    tailnet: TailnetConfig;
    sites: EdgeSiteConfig[];
    assets: Partial<Record<Architecture, BootAssetUrls>>;
    installerImage: string;
    kernelArgs: readonly string[];
    /** The service's public origin (deterministicServiceUrl); pinned so no request header picks the scripts' URLs. */
    publicUrl?: string;
}): BootSettingsInput {
    const assets: BootSettingsInput["assets"] = {};
    for (const [arch, urls] of Object.entries(args.assets) as [Architecture, BootAssetUrls | undefined][]) {
        if (urls) {
            assets[arch] = { kernelUrl: urls.kernel, initramfsUrl: urls.initramfs };
        }
    }
    return {
        ...(args.publicUrl !== undefined ? { publicUrl: args.publicUrl } : {}),
        // Cloud Run's front end is the one proxy whose X-Forwarded-* headers are trusted (the
        // service's default is 0); with publicUrl set it only picks the rate limit's address.
        trustedProxyHops: 1,
        ticketTtlSeconds: args.service.ticketTtlSeconds,
        rateLimitPerMinute: args.service.rateLimitPerMinute,
        assets,
        consoleArgs: args.service.consoleArgs,
        kernelArgs: [...args.kernelArgs],
        installerImage: args.installerImage,
        keyBackend: keyBackendSettings(args.service, args.tailnet),
        sites: inventoryFromSites(args.sites),
    };
}

/**
 * The Cloud Run v2 boot service with its service account, secrets, source bucket and its Cloud
 * SQL PostgreSQL database.
 */
export class BootService extends pulumi.ComponentResource {
    /** Base URL of the service: its deterministic URL `https://<name>-<project number>.<region>.run.app`, which the scripts use. */
    public readonly url: pulumi.Output<string>;
    /** Site name → the URL DHCP hands to iPXE (secret: it carries the site token). */
    public readonly siteBootUrls: Record<string, pulumi.Output<string>>;
    /** The runtime service account's email. */
    public readonly serviceAccountEmail: pulumi.Output<string>;
    public readonly service: gcp.cloudrunv2.Service;
    /**
     * Bearer credential of the service's read-only admin API (secret; BOOT_ADMIN_TOKEN). The stack
     * exports it as `bootAdminToken` for `npm run machines`; it is never a site token.
     */
    public readonly adminToken: pulumi.Output<string>;

    constructor(name: string, args: BootServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("talos-cloud-edge:boot:BootService", name, {}, opts);
        const region = args.service.region;
        const project = args.project;

        const serviceAccount = new gcp.serviceaccount.Account(`${name}-sa`, {
            project,
            accountId: serviceAccountId(args.namePrefix, "boot"),
            displayName: `Talos boot service (${args.namePrefix})`,
        }, { parent: this });

        // One token per site, generated in the graph: nobody types or copies it.
        const siteTokens: Record<string, pulumi.Output<string>> = {};
        for (const site of args.sites) {
            siteTokens[site.name] = new random.RandomPassword(`${name}-${site.name}-token`, {
                length: 43,
                special: false,
            }, { parent: this }).result;
        }

        // The admin API's own credential: operators hold it, no machine or DHCP answer ever does.
        this.adminToken = pulumi.secret(new random.RandomPassword(`${name}-admin-token`, { length: 43, special: false }, { parent: this }).result);

        const secretEnvs: { env: string; id: string; value: pulumi.Input<string> }[] = [
            { env: "BOOT_BASE_CONFIG", id: "base-config", value: args.baseWorkerConfig },
            { env: "BOOT_SITE_TOKENS", id: "site-tokens", value: pulumi.jsonStringify(siteTokens) },
            { env: "BOOT_ADMIN_TOKEN", id: "admin-token", value: this.adminToken },
        ];
        const derived = derivedIdentityMachines(args.sites);
        if (derived.length > 0) {
            if (args.vmIdentityKey === undefined) {
                throw new Error(
                    `BootService: ${derived.length} VM(s) (${derived.slice(0, 3).join(", ")}${derived.length > 3 ? ", ..." : ""}) get an SMBIOS identity derived from the stack's VM identity key, ` +
                        "and the service needs that key; pass vmIdentityKey (EdgeVmIdentities.key)",
                );
            }
            secretEnvs.push({ env: BOOT_SECRET_ENV.vmIdentityKey, id: "vm-identity-key", value: args.vmIdentityKey });
        }
        const serviceName = bootServiceName(args.namePrefix);
        const projectNumber = gcp.organizations.getProjectOutput({ projectId: project }, { parent: this }).number;
        const publicUrl = projectNumber.apply((n) => deterministicServiceUrl(serviceName, String(n), region));
        const plainEnvs: { name: string; value: pulumi.Input<string> }[] = [];
        const backend = args.service.keyBackend;
        if (backend.kind === "tailscale") {
            const auth = args.tailnet.auth;
            if (auth?.kind !== "oauth") {
                throw new Error("bootService.keyBackend tailscale needs the tailnet OAuth client (tailnet.oauthClientId + tailscaleOauthClientSecret)");
            }
            plainEnvs.push({ name: "TS_OAUTH_CLIENT_ID", value: auth.clientId });
            secretEnvs.push({ env: "TS_OAUTH_CLIENT_SECRET", id: "ts-oauth-secret", value: auth.clientSecret });
        } else if (backend.kind === "headscale") {
            secretEnvs.push({ env: "HEADSCALE_API_KEY", id: "headscale-api-key", value: backend.apiKey });
        } else {
            if (!args.tailscaleProvider) {
                throw new Error("bootService.keyBackend static needs a Tailscale provider to create the per-machine keys");
            }
            const staticKeys: Record<string, pulumi.Output<string>> = {};
            for (const machine of args.sites.flatMap((s) => s.machines)) {
                staticKeys[machine.name] = new tailscale.TailnetKey(`${name}-${machine.name}-key`, {
                    reusable: false,
                    ephemeral: false,
                    preauthorized: true,
                    tags: args.tailnet.edgeTags,
                    expiry: args.tailnet.keyExpirySeconds,
                    recreateIfInvalid: "never",
                    description: `talos edge ${machine.name}`.slice(0, 50),
                }, { parent: this, provider: args.tailscaleProvider }).key;
            }
            secretEnvs.push({ env: "BOOT_STATIC_KEYS", id: "static-keys", value: pulumi.jsonStringify(staticKeys) });
        }

        const grants: pulumi.Resource[] = [];
        // Durable by default (decision 0011): the store survives scale-to-zero, revisions and crashes.
        const database = bootDatabase(name, {
            project,
            namePrefix: args.namePrefix,
            region,
            maxInstances: args.service.maxInstances,
            serviceAccountMember: serviceAccount.member,
        }, this);
        grants.push(database.grant);
        secretEnvs.push({ env: "BOOT_DATABASE_URL", id: "database-url", value: database.url });
        plainEnvs.push({ name: "BOOT_DATABASE_POOL_SIZE", value: String(DATABASE_POOL_SIZE) });
        const volumes: gcp.types.input.cloudrunv2.ServiceTemplateVolume[] = [
            { name: "cloudsql", cloudSqlInstance: { instances: [database.connectionName] } },
        ];
        const volumeMounts: gcp.types.input.cloudrunv2.ServiceTemplateContainerVolumeMount[] = [{ name: "cloudsql", mountPath: "/cloudsql" }];

        const secretEnvVars: gcp.types.input.cloudrunv2.ServiceTemplateContainerEnv[] = [];
        for (const s of secretEnvs) {
            const secret = new gcp.secretmanager.Secret(`${name}-${s.id}`, {
                project,
                secretId: `${args.namePrefix}-boot-${s.id}`,
                replication: { auto: {} },
            }, { parent: this });
            const version = new gcp.secretmanager.SecretVersion(`${name}-${s.id}`, {
                secret: secret.id,
                secretData: pulumi.secret(pulumi.output(s.value).apply((v) =>
                    checkSize(`the ${s.env} secret`, v, SECRET_MANAGER_PAYLOAD_MAX_BYTES, "Secret Manager refuses it (for BOOT_STATIC_KEYS: use the tailscale key backend for large inventories)"))),
            }, { parent: this });
            grants.push(new gcp.secretmanager.SecretIamMember(`${name}-${s.id}-access`, {
                project,
                secretId: secret.secretId,
                role: "roles/secretmanager.secretAccessor",
                member: serviceAccount.member,
            }, { parent: this }));
            // Pinning the version (not "latest") makes a new secret version roll a new revision.
            secretEnvVars.push({ name: s.env, valueSource: { secretKeyRef: { secret: secret.secretId, version: version.version } } });
        }

        const sourceBucket = new gcp.storage.Bucket(`${name}-source`, {
            project,
            name: pulumi.interpolate`${project}-${args.namePrefix}-boot-src`,
            location: region,
            uniformBucketLevelAccess: true,
            publicAccessPrevention: "enforced",
            // Holds only build artefacts that the next `up` re-uploads.
            forceDestroy: true,
        }, { parent: this });
        const inventory = inventoryFromSites(args.sites);
        if (!pulumi.Output.isInstance(args.source) && !(args.source instanceof Promise)) {
            // Known now: fail at construction, before anything is registered.
            checkBundledInventory(args.source, inventory);
        }
        const source = pulumi.output(args.source).apply((s) => {
            checkBundledInventory(s, inventory);
            return s;
        });
        const sourceObject = new gcp.storage.BucketObject(`${name}-source`, {
            bucket: sourceBucket.name,
            name: source.apply((s) => `boot-server-${s.sha256.slice(0, 16)}.tar.gz`),
            source: source.apply((s) => new pulumi.asset.FileAsset(s.path)),
            contentType: "application/gzip",
        }, { parent: this });

        const settings = pulumi
            .all([args.assets, args.installerImage, publicUrl])
            .apply(([assets, installerImage, url]) => checkSize("BOOT_SETTINGS", JSON.stringify(bootSettingsEnv(bootSettings({
                service: args.service,
                tailnet: args.tailnet,
                sites: args.sites,
                assets,
                installerImage,
                publicUrl: url,
                // What Image Factory's cmdline-metal-<arch> says for these assets; the service
                // adds talos.platform, the console arguments and talos.config around it.
                kernelArgs: args.kernelArgs ?? edgeKernelArgs(args.talosVersion, Object.keys(assets) as Architecture[]),
            }))), CLOUD_RUN_ENV_VALUE_MAX_BYTES, "Cloud Run refuses it; the inventory belongs in the bundle (inventory.json), not here"));

        this.service = new gcp.cloudrunv2.Service(`${name}-service`, {
            project,
            name: serviceName,
            location: region,
            description: "Talos edge boot service: iPXE scripts and machine configs",
            labels: { ...BOOT_SERVICE_ROLE_LABEL },
            ingress: "INGRESS_TRAFFIC_ALL",
            // Every route authenticates its caller itself (site token, single-use ticket):
            // a booting machine has no Google identity to present to IAM.
            invokerIamDisabled: true,
            deletionProtection: false,
            template: {
                serviceAccount: serviceAccount.email,
                timeout: "30s",
                maxInstanceRequestConcurrency: 80,
                scaling: { minInstanceCount: args.service.minInstances, maxInstanceCount: args.service.maxInstances },
                volumes,
                containers: [{
                    image: "scratch",
                    baseImageUri: nodeRuntimeImage(region),
                    commands: ["node"],
                    args: ["server.js"],
                    sourceCode: {
                        cloudStorageSource: {
                            bucket: sourceBucket.name,
                            object: sourceObject.outputName,
                            generation: sourceObject.generation.apply((g) => String(g)),
                        },
                    },
                    ports: { containerPort: 8080 },
                    resources: { limits: { cpu: "1", memory: "512Mi" }, cpuIdle: true, startupCpuBoost: true },
                    envs: [
                        { name: "BOOT_SETTINGS", value: settings },
                        // Relative to the working directory, which is the bundle's (`node server.js`).
                        { name: BOOT_INVENTORY_FILE_ENV, value: BUNDLED_INVENTORY_FILE },
                        ...plainEnvs,
                        ...secretEnvVars,
                    ],
                    startupProbe: { httpGet: { path: "/healthz" }, periodSeconds: 2, failureThreshold: 30 },
                    livenessProbe: { httpGet: { path: "/healthz" }, periodSeconds: 30 },
                    volumeMounts,
                }],
            },
        }, {
            parent: this,
            // The revision reads its secrets at start-up, so the accessor grants must exist
            // first; no data flows from a grant to the service to express that.
            dependsOn: grants,
        });

        // The pinned public URL, resolved once the service exists (so whoever uses it waits for it).
        this.url = pulumi.all([this.service.uri, publicUrl]).apply(([, url]) => url);
        this.serviceAccountEmail = serviceAccount.email;
        this.siteBootUrls = {};
        for (const site of args.sites) {
            this.siteBootUrls[site.name] = pulumi.secret(
                pulumi.all([this.url, siteTokens[site.name]]).apply(([url, token]) => siteBootUrl(url, site.name, token)),
            );
        }
        this.registerOutputs({ url: this.url, siteBootUrls: this.siteBootUrls, serviceAccountEmail: this.serviceAccountEmail, adminToken: this.adminToken });
    }
}
