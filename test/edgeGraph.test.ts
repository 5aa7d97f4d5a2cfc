/**
 * The whole graph (cloud + boot service + edge sites) built offline from the stack files:
 * the wiring assertions of the "one graph" issue. One inventory entry must drive the DHCP
 * lease, the boot service's inventory and the VM; the service must serve the cluster's config.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { parseAllDocuments } from "yaml";
import { parseStackConfig } from "../stacks/config";
import { composeCloud } from "../stacks/cloud";
import { composeEdge } from "../stacks/edge";
import { StackConfig } from "../components/model";
import { parseBaseConfig, renderMachineConfig } from "../infra/boot-server/src/machine-config";
import { parseBootSettings } from "../infra/boot-server/src/settings";
import { bundledInventorySha256 } from "../components/bootService";
import { inventoryFromSites, type BootSiteInput } from "../model/bootContract";
import { findResource, isSecret, Registered, resetRegistrations, resourcesOfType, settle, valueOf } from "./mocks";
import { devStackConfig, loadStackFile, TWO_SITES_STACK_FILE, twoSitesStackConfig } from "./stackFiles";

/** The inventory the packed bundle carries (BootService refuses a bundle whose inventory hash differs). */
let bundledInventory: BootSiteInput[] = [];

async function build(cfg: StackConfig) {
    bundledInventory = inventoryFromSites(cfg.edgeSites);
    const source = { path: "/nonexistent/boot-server.tar.gz", sha256: "cd".repeat(32), inventorySha256: bundledInventorySha256(bundledInventory) };
    const cloud = composeCloud(cfg);
    const edge = await composeEdge(cfg, cloud, source);
    return { cloud, edge };
}

/** The text of a CopyToRemote's StringAsset source, as the engine received it. */
async function assetText(copy: Registered): Promise<string> {
    const source = copy.inputs.source;
    assert.ok(source && source.text !== undefined, `${copy.name} has no text asset`);
    return await source.text;
}

function bootSettingsOf(): any {
    const svc = resourcesOfType("gcp:cloudrunv2/service:Service")[0];
    const env = svc.inputs.template.containers[0].envs.find((e: any) => e.name === "BOOT_SETTINGS");
    // As the service reads them: BOOT_SETTINGS plus the bundle's inventory.json (BOOT_INVENTORY_FILE).
    return { ...JSON.parse(env.value), sites: bundledInventory };
}

function dnsmasqConfOf(siteResourceName: string): Promise<string> {
    return assetText(findResource("command:remote:CopyToRemote", `${siteResourceName}-copy-dnsmasqConf`));
}

describe("edge graph (dev stack)", () => {
    let cfg: StackConfig;
    let handles: Awaited<ReturnType<typeof build>>;
    before(async () => {
        resetRegistrations();
        cfg = devStackConfig();
        handles = await build(cfg);
        await valueOf(handles.edge.bootService!.siteBootUrls["site-1"]);
        await settle();
    });

    it("hands the site's boot URL, token included, to that site's dnsmasq", async () => {
        const url = await valueOf(handles.edge.bootService!.siteBootUrls["site-1"]);
        const conf = await dnsmasqConfOf(`${cfg.cluster.name}-site-1`);
        assert.ok(conf.split("\n").some((l) => l.startsWith("dhcp-boot=") && l.includes(url)), "dnsmasq must hand iPXE the site URL");
        const copy = findResource("command:remote:CopyToRemote", `${cfg.cluster.name}-site-1-copy-dnsmasqConf`);
        assert.ok(JSON.stringify(copy.rawInputs.source).includes("1b47061264138c4ac30d75fd1eb44270"), "the rendered dnsmasq.conf must be secret in state");
    });

    it("writes the MAC and hostname once: the same in the DHCP lease, the boot inventory and the VM", async () => {
        const machine = cfg.edgeSites[0].machines[0];
        assert.strictEqual(machine.mac, "52:54:00:00:02:01");
        const conf = await dnsmasqConfOf(`${cfg.cluster.name}-site-1`);
        assert.ok(conf.includes(`dhcp-host=${machine.mac},${machine.ip},${machine.name}`), "lease");
        const inventory = bootSettingsOf().sites[0].machines;
        assert.deepStrictEqual(inventory.map((m: any) => [m.name, m.mac]), [[machine.name, machine.mac]]);
        const domains = resourcesOfType("libvirt:index/domain:Domain");
        assert.strictEqual(domains.length, 1);
        assert.strictEqual(domains[0].inputs.networkInterfaces[0].mac, machine.mac);
        assert.strictEqual(domains[0].inputs.name, machine.name);
        assert.deepStrictEqual(domains[0].inputs.bootDevices, [{ devs: ["network", "hd"] }]);
    });

    it("puts the edge schematic's kernel, initramfs and installer in the service's settings", async () => {
        const edgeId = await valueOf(handles.cloud.images.edgeSchematicId);
        const cloudId = await valueOf(handles.cloud.images.cloudSchematicId);
        assert.notStrictEqual(edgeId, cloudId);
        const settings = bootSettingsOf();
        assert.strictEqual(settings.assets.amd64.kernelUrl, `https://factory.talos.dev/image/${edgeId}/v1.12.4/kernel-amd64`);
        assert.strictEqual(settings.assets.amd64.initramfsUrl, `https://factory.talos.dev/image/${edgeId}/v1.12.4/initramfs-amd64.xz`);
        assert.strictEqual(settings.installerImage, `factory.talos.dev/metal-installer/${edgeId}:v1.12.4`);
        parseBootSettings(settings);
    });

    it("serves the cluster's edge worker config: the service's secret is the cluster's output", async () => {
        const edgeWorkerConfig = await valueOf(handles.cloud.cluster.edgeWorkerConfig);
        const version = findResource("gcp:secretmanager/secretVersion:SecretVersion", `${cfg.cluster.name}-boot-base-config`);
        assert.strictEqual(version.inputs.secretData, edgeWorkerConfig);
        const edgeEndpoint = await valueOf(handles.cloud.cluster.edgeClusterEndpoint);
        const v1 = parseAllDocuments(edgeWorkerConfig).map((d) => d.toJSON()).find((d) => d?.version === "v1alpha1");
        assert.strictEqual(v1.machine.type, "worker");
        assert.strictEqual(v1.cluster.controlPlane.endpoint, edgeEndpoint, "edge nodes join through the tailnet endpoint");
    });

    it("exposes only a secret boot URL per site and a public service URL", async () => {
        assert.match(await valueOf(handles.edge.outputs.bootServiceUrl!), /^https:\/\/[^?]+$/);
        assert.ok(await isSecret(handles.edge.outputs.siteBootUrls["site-1"]));
    });
});

describe("edge graph (two sites)", () => {
    let cfg: StackConfig;
    let handles: Awaited<ReturnType<typeof build>>;
    before(async () => {
        resetRegistrations();
        cfg = twoSitesStackConfig();
        handles = await build(cfg);
        for (const s of cfg.edgeSites) await valueOf(handles.edge.bootService!.siteBootUrls[s.name]);
        await settle();
    });

    it("gives each site its own subnet and its own token", async () => {
        assert.strictEqual(cfg.edgeSites.length, 2);
        assert.notStrictEqual(cfg.edgeSites[0].bridge.subnetCidr, cfg.edgeSites[1].bridge.subnetCidr);
        const tokens = await Promise.all(cfg.edgeSites.map(async (s) => new URL(await valueOf(handles.edge.bootService!.siteBootUrls[s.name])).password));
        assert.notStrictEqual(tokens[0], tokens[1]);
        for (const [i, s] of cfg.edgeSites.entries()) {
            const conf = await dnsmasqConfOf(`${cfg.cluster.name}-${s.name}`);
            assert.ok(conf.includes(`${s.name}:${tokens[i]}@`), `${s.name} must hand out its own token`);
            assert.ok(!conf.includes(tokens[1 - i]!), `${s.name} must not see the other site's token`);
            assert.ok(conf.includes(`dhcp-range=${s.dhcp.rangeStart},${s.dhcp.rangeEnd}`), `${s.name} range`);
        }
    });

    it("labels each machine with its own site as zone in the config the service renders", async () => {
        const settings = parseBootSettings(bootSettingsOf());
        const base = await valueOf(handles.cloud.cluster.edgeWorkerConfig);
        for (const site of settings.sites) {
            for (const machine of site.machines) {
                const yaml = renderMachineConfig(parseBaseConfig(base), {
                    site: site.name,
                    machine,
                    installerImage: settings.installerImage,
                    validSubnets: settings.validSubnets,
                    authKey: "tskey-auth-test",
                });
                const v1 = parseAllDocuments(yaml).map((d) => d.toJSON()).find((d) => d?.version === "v1alpha1");
                assert.strictEqual(v1.machine.nodeLabels["topology.kubernetes.io/zone"], site.name);
            }
        }
        assert.deepStrictEqual(settings.sites.map((s) => s.name), cfg.edgeSites.map((s) => s.name));
    });

    it("rejects two sites whose subnets overlap", () => {
        const raw = loadStackFile(TWO_SITES_STACK_FILE);
        const sites = JSON.parse(raw.values["talos-cloud-edge:edgeSites"]);
        sites[1].bridge.gatewayCidr = "10.0.20.129/25";
        raw.values["talos-cloud-edge:edgeSites"] = JSON.stringify(sites);
        assert.throws(() => parseStackConfig(raw), /overlap/);
    });
});

describe("edge graph: one site at a time (stacks/turns.ts)", () => {
    it("lets the engine answer a site's VMs before it declares the next site", async () => {
        resetRegistrations();
        const cfg = twoSitesStackConfig();
        const source = { path: "/nonexistent/boot-server.tar.gz", sha256: "cd".repeat(32), inventorySha256: bundledInventorySha256(inventoryFromSites(cfg.edgeSites)) };
        const cloud = composeCloud(cfg);
        // At each EdgeSite's construction: the libvirt domains the engine had received.
        const domainsAtSite: number[] = [];
        const probe: pulumi.ResourceTransformation = (args) => {
            if (args.type === "talos-cloud-edge:edge:EdgeSite") {
                domainsAtSite.push(resourcesOfType("libvirt:index/domain:Domain").length);
            }
            return undefined;
        };
        await composeEdge(cfg, cloud, source, { transformations: [probe] });
        await settle();
        const vmsOfFirstSite = cfg.edgeSites[0].machines.filter((m) => m.vm !== undefined).length;
        assert.ok(vmsOfFirstSite > 0);
        assert.deepStrictEqual(domainsAtSite, [0, vmsOfFirstSite]);
    });
});

describe("edge graph (custom iPXE build)", () => {
    it("serves the stack's iPXE build from every site host over TFTP", async () => {
        const fs = require("fs") as typeof import("fs");
        const os = require("os") as typeof import("os");
        const path = require("path") as typeof import("path");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ipxe-graph-"));
        try {
            fs.writeFileSync(path.join(dir, "ipxe.efi"), "efi");
            fs.writeFileSync(path.join(dir, "undionly.kpxe"), "bios");
            resetRegistrations();
            const base = twoSitesStackConfig();
            const cfg = { ...base, images: { ...base.images, ipxe: { efi: path.join(dir, "ipxe.efi"), bios: path.join(dir, "undionly.kpxe") } } };
            await build(cfg);
            await settle();
            for (const s of cfg.edgeSites) {
                const efi = findResource("command:remote:CopyToRemote", `${cfg.cluster.name}-${s.name}-copy-ipxeEfi`);
                assert.strictEqual(await efi.inputs.source.path, path.join(dir, "ipxe.efi"));
                findResource("command:remote:CopyToRemote", `${cfg.cluster.name}-${s.name}-copy-ipxeBios`);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
