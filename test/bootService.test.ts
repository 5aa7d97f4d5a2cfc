import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as tailscale from "@pulumi/tailscale";
import {
    BootService,
    BootServiceArgs,
    bootSettings,
    bundledInventorySha256,
    checkSize,
    CLOUD_RUN_ENV_VALUE_MAX_BYTES,
    cloudSqlTier,
    DATABASE_POOL_SIZE,
    inventoryFromSites,
    SECRET_MANAGER_PAYLOAD_MAX_BYTES,
    serviceAccountId,
    siteBootUrl,
} from "../components/bootService";
import { inventoryFileText } from "../model/bootContract";
import { parseBootSettings } from "../infra/boot-server/src/settings";
import { StackConfig } from "../components/model";
import { findResource, inputIsSecret, isSecret, resetRegistrations, resourcesOfType, settle, valueOf } from "./mocks";
import { devStackConfig, twoSitesStackConfig } from "./stackFiles";

const SERVICE = "gcp:cloudrunv2/service:Service";
const SECRET_VERSION = "gcp:secretmanager/secretVersion:SecretVersion";
const BASE_CONFIG = "version: v1alpha1\nmachine:\n  type: worker\n  token: super-secret-machine-token\n";
const ASSETS = {
    amd64: {
        kernel: "https://factory.talos.dev/image/edge123/v1.12.4/kernel-amd64",
        initramfs: "https://factory.talos.dev/image/edge123/v1.12.4/initramfs-amd64.xz",
    },
};
const INSTALLER = "factory.talos.dev/metal-installer/edge123:v1.12.4";

function argsFor(cfg: StackConfig, extra: Partial<BootServiceArgs> = {}): BootServiceArgs {
    return {
        project: cfg.gcp.project,
        namePrefix: cfg.cluster.name,
        service: cfg.bootService,
        tailnet: cfg.tailnet,
        sites: cfg.edgeSites,
        baseWorkerConfig: pulumi.secret(BASE_CONFIG),
        assets: ASSETS,
        installerImage: INSTALLER,
        talosVersion: "v1.12.4",
        // What packBootServer reports for a bundle packed with the stack's inventory.
        source: { path: "/nonexistent/boot-server.tar.gz", sha256: "ab".repeat(32), inventorySha256: bundledInventorySha256(inventoryFromSites(cfg.edgeSites)) },
        // What EdgeVmIdentities makes (43 letters and digits); used only when a VM's identity is derived.
        vmIdentityKey: pulumi.secret("TestVmIdentityKey0123456789abcdefghijklmnop"),
        ...extra,
    };
}

/** The dev stack with `siteCount` sites of `perSite` machines each (unique names, MACs, UUIDs). */
function scaledConfig(siteCount: number, perSite: number): StackConfig {
    const cfg = devStackConfig();
    const template = cfg.edgeSites[0];
    cfg.edgeSites = Array.from({ length: siteCount }, (_, s) => ({
        ...template,
        name: `site-${String(s).padStart(3, "0")}`,
        machines: Array.from({ length: perSite }, (_, m) => {
            const i = s * perSite + m;
            const hex = i.toString(16).padStart(6, "0");
            return {
                ...template.machines[0],
                name: `edge-${String(i).padStart(5, "0")}`,
                mac: `52:54:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`,
                uuid: `0b0b0b0b-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
                vm: undefined,
            };
        }),
    }));
    return cfg;
}

function serviceEnv(): Record<string, any> {
    const svc = findResource(SERVICE, "boot-service");
    return Object.fromEntries(svc.inputs.template.containers[0].envs.map((e: any) => [e.name, e]));
}

describe("BootService", () => {
    beforeEach(resetRegistrations);

    it("deploys the boot server from source on Cloud Run, publicly invocable, scaled to zero", async () => {
        const cfg = devStackConfig();
        new BootService("boot", argsFor(cfg));
        await settle();
        const svc = findResource(SERVICE, "boot-service");
        assert.strictEqual(svc.inputs.name, "setup02-cluster-boot");
        assert.strictEqual(svc.inputs.location, "europe-west4");
        assert.strictEqual(svc.inputs.invokerIamDisabled, true);
        assert.strictEqual(svc.inputs.ingress, "INGRESS_TRAFFIC_ALL");
        assert.deepStrictEqual(svc.inputs.labels, { "talos-cloud-edge-role": "boot-service" });
        assert.deepStrictEqual(svc.inputs.template.scaling, { minInstanceCount: 0, maxInstanceCount: 1 });
        const container = svc.inputs.template.containers[0];
        assert.strictEqual(container.image, "scratch");
        assert.match(container.baseImageUri, /^europe-west4-docker\.pkg\.dev\/serverless-runtimes\/.*\/runtimes\/nodejs\d+$/);
        assert.deepStrictEqual(container.args, ["server.js"]);
        const object = findResource("gcp:storage/bucketObject:BucketObject", "boot-source");
        assert.strictEqual(object.inputs.name, `boot-server-${"ab".repeat(8)}.tar.gz`);
        assert.strictEqual(container.sourceCode.cloudStorageSource.object, object.inputs.name);
        assert.strictEqual(container.sourceCode.cloudStorageSource.generation, "1700000000000000");
        const bucket = findResource("gcp:storage/bucket:Bucket", "boot-source");
        assert.strictEqual(bucket.inputs.publicAccessPrevention, "enforced");
        assert.strictEqual(svc.inputs.template.serviceAccount, "setup02-cluster-boot@my-gcp-project.iam.gserviceaccount.com");
    });

    it("hands the service the base worker config, site tokens and OAuth secret only through Secret Manager", async () => {
        const cfg = devStackConfig();
        new BootService("boot", argsFor(cfg));
        await settle();
        const env = serviceEnv();
        for (const name of ["BOOT_BASE_CONFIG", "BOOT_SITE_TOKENS", "TS_OAUTH_CLIENT_SECRET"]) {
            assert.ok(env[name], `${name} missing`);
            assert.strictEqual(env[name].value, undefined, `${name} must not be a plain value`);
            assert.strictEqual(env[name].valueSource.secretKeyRef.version, "1", `${name} must pin the secret version`);
        }
        assert.strictEqual(env.BOOT_BASE_CONFIG.valueSource.secretKeyRef.secret, "setup02-cluster-boot-base-config");
        assert.strictEqual(env.TS_OAUTH_CLIENT_ID.value, cfg.tailnet.auth?.kind === "oauth" ? cfg.tailnet.auth.clientId : undefined);
        assert.ok(env.BOOT_DATABASE_URL.valueSource.secretKeyRef, "even one instance keeps its state in Cloud SQL");

        const baseVersion = findResource(SECRET_VERSION, "boot-base-config");
        assert.strictEqual(baseVersion.inputs.secretData, BASE_CONFIG, "the service serves the cluster's base config");
        for (const v of resourcesOfType(SECRET_VERSION)) {
            assert.ok(inputIsSecret(v, "secretData"), `${v.name} secretData must be secret in state`);
        }
        const plain = JSON.stringify(Object.values(env).filter((e: any) => e.value !== undefined));
        assert.ok(!plain.includes("super-secret-machine-token"));
        assert.ok(!plain.includes("fakeOauthSecretValue"));

        const grants = resourcesOfType("gcp:secretmanager/secretIamMember:SecretIamMember");
        assert.strictEqual(grants.length, resourcesOfType(SECRET_VERSION).length, "one accessor grant per secret");
        assert.ok(grants.some((g) => g.name === "boot-database-url-access"));
        for (const g of grants) {
            assert.strictEqual(g.inputs.role, "roles/secretmanager.secretAccessor");
            assert.strictEqual(g.inputs.member, "serviceAccount:setup02-cluster-boot@my-gcp-project.iam.gserviceaccount.com");
        }
    });

    it("puts the edge assets and the installer image in BOOT_SETTINGS and the inventory in the bundle, which the service accepts", async () => {
        const cfg = devStackConfig();
        new BootService("boot", argsFor(cfg));
        await settle();
        const env = serviceEnv();
        const settings = JSON.parse(env.BOOT_SETTINGS.value);
        assert.strictEqual(settings.sites, undefined, "the inventory is not in an environment variable");
        assert.strictEqual(env.BOOT_INVENTORY_FILE.value, "inventory.json", "read from the bundle, next to server.js");
        settings.sites = JSON.parse(inventoryFileText(inventoryFromSites(cfg.edgeSites))).sites;
        assert.deepStrictEqual(settings.sites[0].machines[0].mac, "52:54:00:00:02:01");
        assert.strictEqual(settings.sites[0].name, "site-1");
        assert.strictEqual(settings.assets.amd64.kernelUrl, ASSETS.amd64.kernel);
        assert.strictEqual(settings.assets.amd64.initramfsUrl, ASSETS.amd64.initramfs);
        assert.strictEqual(settings.installerImage, INSTALLER);
        assert.deepStrictEqual(settings.keyBackend, { kind: "tailscale", tailnet: "-", tags: ["tag:talos-edge"], expirySeconds: 3600 });
        // The service validates its own settings at start-up; what the stack renders must pass.
        const parsed = parseBootSettings(settings);
        assert.strictEqual(parsed.sites[0].machines[0].installDisk, "/dev/vda");
        // Image Factory's cmdline-metal-amd64 for v1.12.4 without talos.platform and console.
        assert.deepStrictEqual(parsed.kernelArgs, [
            "init_on_alloc=1", "slab_nomerge", "pti=on", "consoleblank=0", "nvme_core.io_timeout=4294967295", "printk.devkmsg=on", "selinux=1", "module.sig_enforce=1",
        ]);
    });

    it("generates one token per site and exposes each site URL only as a secret", async () => {
        const cfg = twoSitesStackConfig();
        const boot = new BootService("boot", argsFor(cfg));
        await settle();
        // Not the site tokens: the database password and the admin API token.
        const tokens = resourcesOfType("random:index/randomPassword:RandomPassword").filter((t) => !["boot-db-password", "boot-admin-token"].includes(t.name));
        assert.deepStrictEqual(tokens.map((t) => t.name).sort(), cfg.edgeSites.map((s) => `boot-${s.name}-token`).sort());
        const urls: string[] = [];
        for (const site of cfg.edgeSites) {
            const url = boot.siteBootUrls[site.name];
            assert.ok(await isSecret(url), `${site.name} URL must be secret`);
            const value = await valueOf(url);
            // Cloud Run's deterministic URL (<service>-<project number>.<region>.run.app), as pinned in publicUrl.
            // The token is the URL's password (HTTP Basic), never in the query string (docs/decisions/0008).
            assert.match(value, new RegExp(`^https://${site.name}:[A-Za-z0-9]{22,}@${cfg.cluster.name}-boot-[0-9]+\\.[a-z0-9-]+\\.run\\.app/v1/sites/${site.name}/boot\\.ipxe$`));
            urls.push(value);
        }
        const tokenOf = (u: string) => new URL(u).password;
        assert.notStrictEqual(tokenOf(urls[0]), tokenOf(urls[1]), "sites must not share a token");
    });

    it("keeps its state in the smallest Cloud SQL PostgreSQL, reachable only through the connector, even at one instance", async () => {
        const cfg = devStackConfig();
        assert.strictEqual(cfg.bootService.maxInstances, 1);
        new BootService("boot", argsFor(cfg));
        await settle();
        const db = findResource("gcp:sql/databaseInstance:DatabaseInstance", "boot-db");
        assert.strictEqual(db.inputs.databaseVersion, "POSTGRES_16");
        assert.strictEqual(db.inputs.settings.tier, "db-f1-micro");
        assert.strictEqual(db.inputs.settings.edition, "ENTERPRISE", "shared-core tiers exist only in the Enterprise edition");
        assert.strictEqual(db.inputs.settings.connectorEnforcement, "REQUIRED", "no client but Cloud Run's IAM-authorised connector");
        assert.strictEqual(db.inputs.settings.ipConfiguration.sslMode, "ENCRYPTED_ONLY");
        assert.strictEqual(db.inputs.settings.ipConfiguration.authorizedNetworks, undefined);
        assert.strictEqual(db.inputs.settings.backupConfiguration.pointInTimeRecoveryEnabled, true);
        assert.strictEqual(db.inputs.deletionProtection, true);
        const env = serviceEnv();
        assert.strictEqual(env.BOOT_DATABASE_POOL_SIZE.value, String(DATABASE_POOL_SIZE));
        assert.ok(env.BOOT_DATABASE_URL.valueSource.secretKeyRef, "database URL must come from Secret Manager");
        const urlVersion = findResource(SECRET_VERSION, "boot-database-url");
        assert.ok(inputIsSecret(urlVersion, "secretData"));
        assert.match(urlVersion.inputs.secretData, /^postgresql:\/\/talos_boot:[A-Za-z0-9]+@localhost\/talos_boot\?host=\/cloudsql\/my-project:europe-west4:boot-db$/);
        const svc = findResource(SERVICE, "boot-service");
        assert.deepStrictEqual(svc.inputs.template.volumes[0].cloudSqlInstance.instances, ["my-project:europe-west4:boot-db"]);
        assert.strictEqual(findResource("gcp:projects/iAMMember:IAMMember", "boot-sql-client").inputs.role, "roles/cloudsql.client");

        resetRegistrations();
        new BootService("boot", argsFor({ ...cfg, bootService: { ...cfg.bootService, maxInstances: 10 } }));
        await settle();
        assert.strictEqual(findResource("gcp:sql/databaseInstance:DatabaseInstance", "boot-db").inputs.settings.tier, cloudSqlTier(10).tier);
    });

    it("refuses a bundle that carries no inventory, or another one than its sites'", async () => {
        const cfg = twoSitesStackConfig();
        const other = inventoryFromSites(cfg.edgeSites.slice(0, 1));
        for (const [source, message] of [
            [{ path: "/x/boot-server.tar.gz", sha256: "ab".repeat(32) }, /carries no inventory: pack it with packBootServer/],
            [{ path: "/x/boot-server.tar.gz", sha256: "ab".repeat(32), inventorySha256: bundledInventorySha256(other) }, /carries another inventory than the stack's edge sites/],
        ] as const) {
            assert.throws(() => new BootService("boot", argsFor(cfg, { source })), message);
        }
    });

    it("deploys 10,000 machines across 100 sites: every environment variable and secret stays under its limit", async function () {
        this.timeout(120_000);
        const cfg = scaledConfig(100, 100);
        new BootService("boot", argsFor(cfg));
        await settle();
        const env = serviceEnv();
        for (const e of Object.values(env)) {
            if (e.value !== undefined) assert.ok(Buffer.byteLength(e.value) <= CLOUD_RUN_ENV_VALUE_MAX_BYTES, `${e.name} is too large for Cloud Run`);
        }
        const settingsBytes = Buffer.byteLength(env.BOOT_SETTINGS.value);
        for (const v of resourcesOfType(SECRET_VERSION)) {
            assert.ok(Buffer.byteLength(v.inputs.secretData) <= SECRET_MANAGER_PAYLOAD_MAX_BYTES, `${v.name} is too large for Secret Manager`);
        }
        const inventoryBytes = Buffer.byteLength(inventoryFileText(inventoryFromSites(cfg.edgeSites)));
        console.log(`      BOOT_SETTINGS ${settingsBytes} bytes; bundled inventory.json ${(inventoryBytes / 1024).toFixed(0)} KiB for 10,000 machines`);
        assert.ok(inventoryBytes > 40 * CLOUD_RUN_ENV_VALUE_MAX_BYTES, "the inventory alone would be far over the limit");
    });

    it("with the static backend creates one single-use, pre-authorized, tagged key per inventory machine", async () => {
        const cfg = twoSitesStackConfig();
        const provider = new tailscale.Provider("ts", { apiKey: "k" });
        const staticCfg = { ...cfg, bootService: { ...cfg.bootService, keyBackend: { kind: "static" as const } } };
        new BootService("boot", argsFor(staticCfg, { tailscaleProvider: provider }));
        await settle();
        const keys = resourcesOfType("tailscale:index/tailnetKey:TailnetKey");
        const machines = cfg.edgeSites.flatMap((s) => s.machines.map((m) => m.name));
        assert.deepStrictEqual(keys.map((k) => k.name).sort(), machines.map((m) => `boot-${m}-key`).sort());
        for (const k of keys) {
            assert.strictEqual(k.inputs.reusable, false);
            assert.strictEqual(k.inputs.preauthorized, true);
            assert.deepStrictEqual(k.inputs.tags, cfg.tailnet.edgeTags);
            assert.strictEqual(k.inputs.expiry, cfg.tailnet.keyExpirySeconds);
        }
        const env = serviceEnv();
        assert.ok(env.BOOT_STATIC_KEYS.valueSource.secretKeyRef);
        assert.strictEqual(env.TS_OAUTH_CLIENT_SECRET, undefined);
        const staticKeys = JSON.parse(findResource(SECRET_VERSION, "boot-static-keys").inputs.secretData);
        assert.deepStrictEqual(Object.keys(staticKeys).sort(), machines.sort());
    });

    it("refuses a tailscale key backend without an OAuth client", () => {
        const cfg = devStackConfig();
        const apiKeyTailnet = { ...cfg.tailnet, auth: { kind: "apiKey" as const, apiKey: pulumi.secret("k") } };
        assert.throws(
            () => new BootService("boot", argsFor({ ...cfg, tailnet: apiKeyTailnet })),
            /needs the tailnet OAuth client/,
        );
    });
});

describe("bootService pure helpers", () => {
    it("cloudSqlTier picks the smallest tier that holds every instance's connections", () => {
        assert.deepStrictEqual(cloudSqlTier(1), { tier: "db-f1-micro" });
        assert.deepStrictEqual(cloudSqlTier(3), { tier: "db-f1-micro" });
        assert.deepStrictEqual(cloudSqlTier(4), { tier: "db-g1-small" });
        assert.deepStrictEqual(cloudSqlTier(10), { tier: "db-custom-1-3840" });
        const large = cloudSqlTier(100);
        assert.strictEqual(large.tier, "db-custom-2-7680");
        assert.ok((large.maxConnectionsFlag ?? 0) >= 100 * (DATABASE_POOL_SIZE + 1), "max_connections raised to match");
    });

    it("checkSize names the value and the limit it exceeds", () => {
        assert.strictEqual(checkSize("X", "a".repeat(10), 10, "fix"), "a".repeat(10));
        assert.throws(() => checkSize("the BOOT_STATIC_KEYS secret", "é".repeat(6), 10, "use the tailscale backend"), /^Error: the BOOT_STATIC_KEYS secret is 12 bytes, over the 10-byte limit; use the tailscale backend$/);
    });

    it("serviceAccountId stays within GCP's 6-30 character rule and is stable", () => {
        assert.strictEqual(serviceAccountId("setup02-cluster", "boot"), "setup02-cluster-boot");
        const long = serviceAccountId("a-very-long-cluster-name-for-testing", "boot");
        assert.ok(long.length <= 30, long);
        assert.match(long, /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/);
        assert.strictEqual(long, serviceAccountId("a-very-long-cluster-name-for-testing", "boot"));
        assert.notStrictEqual(long, serviceAccountId("a-very-long-cluster-name-for-testin2", "boot"));
    });

    it("siteBootUrl puts the site and its token in the URL's credentials, escaped, and drops a trailing slash", () => {
        const url = siteBootUrl("https://x.run.app/", "site-1", "a+b:c@d");
        assert.strictEqual(url, "https://site-1:a%2Bb%3Ac%40d@x.run.app/v1/sites/site-1/boot.ipxe");
        const parsed = new URL(url);
        assert.deepStrictEqual([parsed.username, decodeURIComponent(parsed.password), parsed.host, parsed.search], ["site-1", "a+b:c@d", "x.run.app", ""]);
        assert.strictEqual(siteBootUrl("http://10.0.0.1:8080", "lab", "t0k"), "http://lab:t0k@10.0.0.1:8080/v1/sites/lab/boot.ipxe");
        assert.throws(() => siteBootUrl("https://x.run.app/path", "site-1", "secret-token"), (e: Error) => /scheme:\/\/host\[:port\]/.test(e.message) && !e.message.includes("secret-token"));
    });

    it("inventoryFromSites writes MAC and hostname once, from the stack's edge machines", () => {
        const cfg = devStackConfig();
        const inv = inventoryFromSites(cfg.edgeSites);
        assert.deepStrictEqual(inv[0].machines[0], {
            name: "talos-edge-1",
            mac: "52:54:00:00:02:01",
            arch: "amd64",
            installDisk: "/dev/vda",
            labels: {},
            taints: {},
            enrollment: 1,
            // A VM with no uuid or serial in the config: the service derives both from BOOT_VM_IDENTITY_KEY.
            derivedIdentity: true,
        });
        const withUuid = { ...cfg.edgeSites[0], machines: [{ ...cfg.edgeSites[0].machines[0], uuid: "5b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d" }] };
        assert.deepStrictEqual(
            inventoryFromSites([withUuid])[0].machines[0].derivedIdentity,
            true,
            "the serial is still derived when only the uuid is set",
        );
        const explicit = { ...withUuid, machines: [{ ...withUuid.machines[0], serial: "SN-0001" }] };
        assert.strictEqual("derivedIdentity" in inventoryFromSites([explicit])[0].machines[0], false, "nothing left to derive");
        const bareMetal = { ...withUuid, machines: [{ ...cfg.edgeSites[0].machines[0], vm: undefined }] };
        assert.strictEqual("derivedIdentity" in inventoryFromSites([bareMetal])[0].machines[0], false, "only VMs the stack creates");
    });

    it("inventoryFromSites passes a bumped enrollment generation to the service, which accepts it", () => {
        const cfg = devStackConfig();
        cfg.edgeSites[0].machines[0].enrollment = 3;
        const inv = inventoryFromSites(cfg.edgeSites);
        assert.strictEqual(inv[0].machines[0].enrollment, 3);
        const settings = parseBootSettings(bootSettings({ service: cfg.bootService, tailnet: cfg.tailnet, sites: cfg.edgeSites, assets: ASSETS, installerImage: INSTALLER, kernelArgs: [] }));
        assert.strictEqual(settings.sites[0].machines[0].enrollment, 3);
    });

    it("bootSettings for headscale carries the login server and edge tags", () => {
        const cfg = devStackConfig();
        const hs = { ...cfg.bootService, keyBackend: { kind: "headscale" as const, url: "https://hs.example", apiKey: pulumi.secret("x") } };
        const s = bootSettings({ service: hs, tailnet: cfg.tailnet, sites: cfg.edgeSites, assets: ASSETS, installerImage: INSTALLER, kernelArgs: [] });
        assert.deepStrictEqual(s.keyBackend, { kind: "headscale", url: "https://hs.example", tags: ["tag:talos-edge"], expirySeconds: 3600 });
    });
});
