/**
 * The boot service on Cloud Run: serves each edge site's iPXE scripts and each edge
 * machine's Talos config (infra/boot-server), deployed from source with no Docker build.
 *
 * Secrets (base worker config, site tokens, key-backend credentials, database URL) live in
 * Secret Manager and reach the container only as `secretKeyRef` environment variables pinned
 * to a version, so a changed cluster config is a new secret version and a new revision.
 */
import * as crypto from "crypto";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tailscale from "@pulumi/tailscale";
import { inventoryFromSites, siteBootUrl, type BootSettingsInput, type KeyBackendSettings } from "../model/bootContract";
import type { Architecture, BootServiceConfig, EdgeSiteConfig, TailnetConfig } from "./model";
import { edgeKernelArgs } from "../lib/talos/kernelArgs";

/** Kernel and initramfs of the edge schematic for one architecture. */
export interface BootAssetUrls {
    /** Image Factory kernel URL (`…/kernel-<arch>`). */
    kernel: string;
    /** Image Factory initramfs URL (`…/initramfs-<arch>.xz`). */
    initramfs: string;
}

/** The packed service source Cloud Run deploys (see infra/boot-server/pack.ts). */
export interface BootServiceSource {
    /** Local path of the deterministic `.tar.gz` (server bundle + package.json). */
    path: string;
    /** sha256 of the tarball, hex; names the bucket object so each build is a new revision. */
    sha256: string;
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

/** Everything in BOOT_SETTINGS (validated again by the service itself at start-up). */
export function bootSettings(args: {
    service: BootServiceConfig;
    tailnet: TailnetConfig;
    sites: EdgeSiteConfig[];
    assets: Partial<Record<Architecture, BootAssetUrls>>;
    installerImage: string;
    kernelArgs: readonly string[];
}): BootSettingsInput {
    const assets: BootSettingsInput["assets"] = {};
    for (const [arch, urls] of Object.entries(args.assets) as [Architecture, BootAssetUrls | undefined][]) {
        if (urls) {
            assets[arch] = { kernelUrl: urls.kernel, initramfsUrl: urls.initramfs };
        }
    }
    return {
        // Cloud Run's front end is the one proxy whose X-Forwarded-* headers are trusted.
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

/** Whether the service needs a shared database: more than one instance cannot share PGlite. */
export function needsCloudSql(service: BootServiceConfig): boolean {
    return service.maxInstances > 1;
}

/**
 * The Cloud Run v2 boot service with its service account, secrets, source bucket and,
 * when scaled past one instance, a Cloud SQL PostgreSQL database.
 */
export class BootService extends pulumi.ComponentResource {
    /** Base URL of the service (`https://<name>-<hash>.<region>.run.app`). */
    public readonly url: pulumi.Output<string>;
    /** Site name → the URL DHCP hands to iPXE (secret: it carries the site token). */
    public readonly siteBootUrls: Record<string, pulumi.Output<string>>;
    /** The runtime service account's email. */
    public readonly serviceAccountEmail: pulumi.Output<string>;
    public readonly service: gcp.cloudrunv2.Service;

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

        const secretEnvs: { env: string; id: string; value: pulumi.Input<string> }[] = [
            { env: "BOOT_BASE_CONFIG", id: "base-config", value: args.baseWorkerConfig },
            { env: "BOOT_SITE_TOKENS", id: "site-tokens", value: pulumi.jsonStringify(siteTokens) },
        ];
        const plainEnvs: { name: string; value: pulumi.Input<string> }[] = [];
        const backend = args.service.keyBackend;
        if (backend.kind === "tailscale") {
            if (args.tailnet.auth.kind !== "oauth") {
                throw new Error("bootService.keyBackend tailscale needs the tailnet OAuth client (tailnet.oauthClientId + tailscaleOauthClientSecret)");
            }
            plainEnvs.push({ name: "TS_OAUTH_CLIENT_ID", value: args.tailnet.auth.clientId });
            secretEnvs.push({ env: "TS_OAUTH_CLIENT_SECRET", id: "ts-oauth-secret", value: args.tailnet.auth.clientSecret });
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

        const volumes: gcp.types.input.cloudrunv2.ServiceTemplateVolume[] = [];
        const volumeMounts: gcp.types.input.cloudrunv2.ServiceTemplateContainerVolumeMount[] = [];
        const grants: pulumi.Resource[] = [];
        if (needsCloudSql(args.service)) {
            const database = this.cloudSql(name, args, serviceAccount, grants);
            secretEnvs.push({ env: "BOOT_DATABASE_URL", id: "database-url", value: database.url });
            volumes.push({ name: "cloudsql", cloudSqlInstance: { instances: [database.connectionName] } });
            volumeMounts.push({ name: "cloudsql", mountPath: "/cloudsql" });
        }

        const secretEnvVars: gcp.types.input.cloudrunv2.ServiceTemplateContainerEnv[] = [];
        for (const s of secretEnvs) {
            const secret = new gcp.secretmanager.Secret(`${name}-${s.id}`, {
                project,
                secretId: `${args.namePrefix}-boot-${s.id}`,
                replication: { auto: {} },
            }, { parent: this });
            const version = new gcp.secretmanager.SecretVersion(`${name}-${s.id}`, {
                secret: secret.id,
                secretData: pulumi.secret(s.value),
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
        const source = pulumi.output(args.source);
        const sourceObject = new gcp.storage.BucketObject(`${name}-source`, {
            bucket: sourceBucket.name,
            name: source.apply((s) => `boot-server-${s.sha256.slice(0, 16)}.tar.gz`),
            source: source.apply((s) => new pulumi.asset.FileAsset(s.path)),
            contentType: "application/gzip",
        }, { parent: this });

        const settings = pulumi
            .all([args.assets, args.installerImage])
            .apply(([assets, installerImage]) => JSON.stringify(bootSettings({
                service: args.service,
                tailnet: args.tailnet,
                sites: args.sites,
                assets,
                installerImage,
                // What Image Factory's cmdline-metal-<arch> says for these assets; the service
                // adds talos.platform, the console arguments and talos.config around it.
                kernelArgs: args.kernelArgs ?? edgeKernelArgs(args.talosVersion, Object.keys(assets) as Architecture[]),
            })));

        this.service = new gcp.cloudrunv2.Service(`${name}-service`, {
            project,
            name: `${args.namePrefix}-boot`,
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
                    envs: [{ name: "BOOT_SETTINGS", value: settings }, ...plainEnvs, ...secretEnvVars],
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

        this.url = this.service.uri;
        this.serviceAccountEmail = serviceAccount.email;
        this.siteBootUrls = {};
        for (const site of args.sites) {
            this.siteBootUrls[site.name] = pulumi.secret(
                pulumi.all([this.service.uri, siteTokens[site.name]]).apply(([uri, token]) => siteBootUrl(uri, site.name, token)),
            );
        }
        this.registerOutputs({ url: this.url, siteBootUrls: this.siteBootUrls, serviceAccountEmail: this.serviceAccountEmail });
    }

    /** Cloud SQL PostgreSQL reached over the Cloud Run connector's Unix socket (no public client access). */
    private cloudSql(name: string, args: BootServiceArgs, serviceAccount: gcp.serviceaccount.Account, grants: pulumi.Resource[]) {
        const instance = new gcp.sql.DatabaseInstance(`${name}-db`, {
            project: args.project,
            name: `${args.namePrefix}-boot-db`,
            region: args.service.region,
            databaseVersion: "POSTGRES_16",
            deletionProtection: true,
            settings: {
                tier: "db-custom-1-3840",
                ipConfiguration: { ipv4Enabled: true, sslMode: "ENCRYPTED_ONLY" },
                backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true },
            },
        }, { parent: this, protect: true });
        const database = new gcp.sql.Database(`${name}-db`, {
            project: args.project,
            instance: instance.name,
            name: "talos_boot",
        }, { parent: this });
        const password = new random.RandomPassword(`${name}-db-password`, { length: 32, special: false }, { parent: this });
        const user = new gcp.sql.User(`${name}-db-user`, {
            project: args.project,
            instance: instance.name,
            name: "talos_boot",
            password: password.result,
        }, { parent: this });
        grants.push(new gcp.projects.IAMMember(`${name}-sql-client`, {
            project: args.project,
            role: "roles/cloudsql.client",
            member: serviceAccount.member,
        }, { parent: this }));
        const url = pulumi.secret(pulumi.interpolate`postgresql://${user.name}:${password.result}@localhost/${database.name}?host=/cloudsql/${instance.connectionName}`);
        return { url, connectionName: instance.connectionName };
    }
}
