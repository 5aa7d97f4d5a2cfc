/**
 * What the edge graph does against the L2 attacker and for operators, built offline from the dev
 * stack file with the Pulumi mocks:
 *  - every VM gets an SMBIOS UUID and serial derived from one stack key; the VM's domain (its
 *    XSLT, checked with xsltproc and virt-xml-validate) reports them, and the boot service,
 *    given only the key (the secret BOOT_VM_IDENTITY_KEY), derives the same values through its
 *    real settings path and requires them; the key's secret has the same size for 10,000 VMs;
 *  - the service's public URL is pinned to Cloud Run's deterministic URL, with Cloud Run's proxy
 *    hop set explicitly;
 *  - the admin API gets its own random credential in Secret Manager, exported as a secret.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { BootService, bootServiceName, bundledInventorySha256, deterministicServiceUrl } from "../components/bootService";
import { edgeVmDomainXmlPreview } from "../components/edgeVm";
import { EdgeVmIdentities } from "../components/edgeVmIdentities";
import type { StackConfig } from "../components/model";
import { renderEdgeVmXslt } from "../infra/edge-host/libvirt";
import { identityFromRequest, Inventory } from "../infra/boot-server/src/inventory";
import { loadBootEnvironment, parseBootSettings } from "../infra/boot-server/src/settings";
import { inventoryFileText, inventoryFromSites } from "../model/bootContract";
import { deriveVmIdentity } from "../model/vmIdentity";
import { composeCloud } from "../stacks/cloud";
import { composeEdge } from "../stacks/edge";
import { findResource, inputIsSecret, isSecret, registered, resetRegistrations, resourcesOfType, settle, valueOf } from "./mocks";
import { devStackConfig } from "./stackFiles";

const SECRET_VERSION = "gcp:secretmanager/secretVersion:SecretVersion";

async function build(cfg: StackConfig) {
    const inventory = inventoryFromSites(cfg.edgeSites);
    const source = { path: "/nonexistent/boot-server.tar.gz", sha256: "cd".repeat(32), inventorySha256: bundledInventorySha256(inventory) };
    const cloud = composeCloud(cfg);
    const edge = await composeEdge(cfg, cloud, source);
    return { edge, inventory, identities: edge.vmIdentities! };
}

function serviceEnv(): Record<string, any> {
    const svc = resourcesOfType("gcp:cloudrunv2/service:Service")[0];
    return Object.fromEntries(svc.inputs.template.containers[0].envs.map((e: any) => [e.name, e]));
}

describe("edge graph: VM identities, pinned public URL, admin credential", () => {
    let cfg: StackConfig;
    let handles: Awaited<ReturnType<typeof build>>;
    before(async () => {
        resetRegistrations();
        cfg = devStackConfig();
        handles = await build(cfg);
        await valueOf(handles.edge.outputs.bootServiceUrl!);
        await valueOf(handles.edge.outputs.siteBootUrls["site-1"]);
        await settle();
    });

    it("derives each VM's SMBIOS UUID and serial from one stack key, and the service derives the same from that key alone", async () => {
        const vm = cfg.edgeSites[0].machines.find((m) => m.vm !== undefined)!;
        assert.equal(vm.uuid ?? vm.serial, undefined, "the fixture's VM sets neither: both are derived");
        // One key for the stack; no resource per VM.
        const key = findResource("random:index/randomPassword:RandomPassword", `${cfg.cluster.name}-vm-identity-key`);
        assert.deepEqual({ length: key.inputs.length, special: key.inputs.special }, { length: 43, special: false });
        assert.equal(key.inputs.keepers, undefined, "made once, kept in state");
        assert.deepEqual(resourcesOfType("random:index/randomUuid:RandomUuid"), []);
        assert.deepEqual(resourcesOfType("random:index/randomPassword:RandomPassword").filter((r) => r.name.includes(vm.name)), []);
        assert.ok(await isSecret(handles.identities.byMachine[vm.name]), "secret in state");
        assert.ok(await isSecret(handles.identities.key!), "the key is secret in state");
        const id = await valueOf(handles.identities.byMachine[vm.name]);
        assert.deepEqual(id, deriveVmIdentity(await valueOf(handles.identities.key!), vm.name));

        // The service gets the key, and nothing per VM, as a Secret Manager secret.
        const env = serviceEnv();
        assert.equal(env.BOOT_MACHINE_IDENTITIES, undefined, "the per-VM list is gone");
        assert.equal(env.BOOT_VM_IDENTITY_KEY.value, undefined, "not a plain environment value");
        assert.equal(env.BOOT_VM_IDENTITY_KEY.valueSource.secretKeyRef.secret, `${cfg.cluster.name}-boot-vm-identity-key`);
        const version = findResource(SECRET_VERSION, `${cfg.cluster.name}-boot-vm-identity-key`);
        assert.ok(inputIsSecret(version, "secretData"));
        assert.equal(version.inputs.secretData, await valueOf(handles.identities.key!));
        assert.equal(handles.inventory[0].machines.find((m) => m.name === vm.name)?.derivedIdentity, true, "the inventory marks the VM");

        // The domain reports exactly these (XSLT applied to what the provider generates, then validated).
        const domain = findResource("libvirt:index/domain:Domain", `${cfg.cluster.name}-site-1-vm-${vm.name}-domain`);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vm-identity-"));
        let domainId: { uuid: string; serial: string };
        try {
            fs.writeFileSync(path.join(dir, "vm.xslt"), domain.inputs.xml.xslt);
            fs.writeFileSync(path.join(dir, "domain.xml"), edgeVmDomainXmlPreview(cfg.edgeSites[0], vm));
            const t = spawnSync("xsltproc", ["-o", path.join(dir, "out.xml"), path.join(dir, "vm.xslt"), path.join(dir, "domain.xml")], { encoding: "utf8" });
            assert.equal(t.status, 0, t.stderr);
            const xpath = (expr: string) => spawnSync("xmllint", ["--xpath", expr, path.join(dir, "out.xml")], { encoding: "utf8" }).stdout.trim();
            domainId = { uuid: xpath("string(/domain/uuid)"), serial: xpath("string(/domain/sysinfo[@type='smbios']/system/entry[@name='serial'])") };
            assert.deepEqual(domainId, id);
            assert.equal(xpath("string(/domain/os/smbios/@mode)"), "sysinfo");
            const v = spawnSync("virt-xml-validate", [path.join(dir, "out.xml"), "domain"], { encoding: "utf8" });
            assert.equal(v.status, 0, `${v.stdout}${v.stderr}`);

            // The service, started the way Cloud Run starts it (BOOT_SETTINGS, the bundled
            // inventory file and the secrets), derives the domain's values and requires both.
            fs.writeFileSync(path.join(dir, "inventory.json"), inventoryFileText(handles.inventory));
            const loaded = loadBootEnvironment({
                BOOT_SETTINGS: env.BOOT_SETTINGS.value,
                BOOT_INVENTORY_FILE: path.join(dir, "inventory.json"),
                BOOT_BASE_CONFIG: "version: v1alpha1\n",
                BOOT_SITE_TOKENS: findResource(SECRET_VERSION, `${cfg.cluster.name}-boot-site-tokens`).inputs.secretData,
                BOOT_VM_IDENTITY_KEY: version.inputs.secretData,
            });
            const served = loaded.settings.sites[0].machines.find((m) => m.name === vm.name)!;
            assert.deepEqual({ uuid: served.uuid, serial: served.serial }, domainId, "the service requires what the domain reports");
            const inventory = new Inventory(loaded.settings.sites);
            assert.equal(inventory.lookup("site-1", identityFromRequest(vm.mac, domainId.uuid.toUpperCase(), domainId.serial)).kind, "known");
            assert.equal(inventory.lookup("site-1", identityFromRequest(vm.mac, domainId.uuid)).kind, "conflict", "the UUID seen in DHCP is not enough");
            assert.equal(inventory.lookup("site-1", identityFromRequest(vm.mac, domainId.uuid, deriveVmIdentity("x".repeat(43), vm.name).serial)).kind, "conflict", "another key's serial");
            assert.equal(inventory.lookup("site-1", identityFromRequest(vm.mac)).kind, "conflict");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("keeps a uuid or serial set in the stack config, deriving only the other", async () => {
        const c = devStackConfig();
        const vm = c.edgeSites[0].machines.find((m) => m.vm !== undefined)!;
        vm.uuid = "5b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d";
        const ids = new EdgeVmIdentities("partial", { sites: c.edgeSites });
        const id = await valueOf(ids.byMachine[vm.name]);
        assert.equal(id.uuid, vm.uuid);
        assert.equal(id.serial, deriveVmIdentity(await valueOf(ids.key!), vm.name).serial);

        vm.serial = "SN-VM-0001";
        const fixed = new EdgeVmIdentities("explicit", { sites: c.edgeSites });
        assert.deepEqual(await valueOf(fixed.byMachine[vm.name]), { uuid: vm.uuid, serial: "SN-VM-0001" });
        assert.equal(fixed.key, undefined, "no key when nothing is derived");
        await settle();
        assert.equal(registered.some((r) => r.name === "explicit-key"), false);
    });

    it("pins the service's public URL to Cloud Run's deterministic URL and trusts exactly Cloud Run's proxy hop", async () => {
        const settings = JSON.parse(serviceEnv().BOOT_SETTINGS.value);
        const expected = `https://${cfg.cluster.name}-boot-123456789.${cfg.bootService.region}.run.app`;
        assert.equal(settings.publicUrl, expected);
        assert.equal(settings.trustedProxyHops, 1);
        assert.equal(parseBootSettings({ ...settings, sites: handles.inventory }).publicUrl, expected, "the service accepts it");
        assert.equal(await valueOf(handles.edge.outputs.bootServiceUrl!), expected, "the stack output is the same URL");
        const siteUrl = new URL(await valueOf(handles.edge.outputs.siteBootUrls["site-1"]));
        assert.equal(siteUrl.origin, expected, "DHCP hands out the same origin the scripts use");
    });

    it("creates the admin API's own credential in Secret Manager and exports it only as a secret", async () => {
        const env = serviceEnv();
        assert.equal(env.BOOT_ADMIN_TOKEN.value, undefined);
        assert.equal(env.BOOT_ADMIN_TOKEN.valueSource.secretKeyRef.secret, `${cfg.cluster.name}-boot-admin-token`);
        assert.equal(env.BOOT_ADMIN_TOKEN.valueSource.secretKeyRef.version, "1", "pinned version");
        const password = findResource("random:index/randomPassword:RandomPassword", `${cfg.cluster.name}-boot-admin-token`);
        assert.equal(password.inputs.length, 43);
        assert.equal(password.inputs.special, false);
        const output = handles.edge.outputs.bootAdminToken!;
        assert.ok(await isSecret(output));
        const token = await valueOf(output);
        assert.match(token, /^[A-Za-z0-9]{22,128}$/, "a BOOT_ADMIN_TOKEN the service accepts");
        const siteToken = new URL(await valueOf(handles.edge.outputs.siteBootUrls["site-1"])).password;
        assert.notEqual(token, decodeURIComponent(siteToken), "never a site token");
        assert.equal(findResource(SECRET_VERSION, `${cfg.cluster.name}-boot-admin-token`).inputs.secretData, token);
    });
});

describe("VM identities at scale: one key, whatever the number of VMs", () => {
    beforeEach(resetRegistrations);

    /** The dev stack with `count` VMs on its site (unique names and MACs; no uuid or serial set). */
    function withVms(count: number): StackConfig {
        const c = devStackConfig();
        const template = c.edgeSites[0].machines.find((m) => m.vm !== undefined)!;
        c.edgeSites = [{
            ...c.edgeSites[0],
            machines: Array.from({ length: count }, (_, i) => {
                const hex = i.toString(16).padStart(6, "0");
                return { ...template, name: `vm-${String(i).padStart(5, "0")}`, mac: `52:54:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}` };
            }),
        }];
        return c;
    }

    /** EdgeVmIdentities and BootService as composeEdge wires them; returns the key secret's bytes. */
    async function keySecretBytes(c: StackConfig): Promise<{ bytes: number; ids: EdgeVmIdentities }> {
        const ids = new EdgeVmIdentities(`${c.cluster.name}-vm-identity`, { sites: c.edgeSites });
        new BootService(`${c.cluster.name}-boot`, {
            project: c.gcp.project,
            namePrefix: c.cluster.name,
            service: c.bootService,
            tailnet: c.tailnet,
            sites: c.edgeSites,
            baseWorkerConfig: pulumi.secret("version: v1alpha1\n"),
            assets: { amd64: { kernel: "https://factory.talos.dev/image/e/v1.12.4/kernel-amd64", initramfs: "https://factory.talos.dev/image/e/v1.12.4/initramfs-amd64.xz" } },
            installerImage: "factory.talos.dev/metal-installer/e:v1.12.4",
            talosVersion: "v1.12.4",
            source: { path: "/nonexistent/boot-server.tar.gz", sha256: "ef".repeat(32), inventorySha256: bundledInventorySha256(inventoryFromSites(c.edgeSites)) },
            vmIdentityKey: ids.key,
        });
        await settle();
        const version = findResource(SECRET_VERSION, `${c.cluster.name}-boot-vm-identity-key`);
        return { bytes: Buffer.byteLength(version.inputs.secretData), ids };
    }

    it("10,000 VMs: the service's identity secret is the 43-character key, as for 10 VMs, and the graph has one key resource", async function () {
        this.timeout(180_000);
        const small = await keySecretBytes(withVms(10));
        resetRegistrations();
        const large = await keySecretBytes(withVms(10_000));
        assert.equal(large.bytes, small.bytes, "constant size");
        assert.ok(large.bytes < 100, `${large.bytes} bytes`);
        assert.equal(resourcesOfType("random:index/randomPassword:RandomPassword").filter((r) => r.name.endsWith("-vm-identity-key")).length, 1);
        assert.deepEqual(resourcesOfType("random:index/randomUuid:RandomUuid"), []);
        assert.equal(Object.keys(large.ids.byMachine).length, 10_000);
        // Spot check: the last VM's domain values are what the service derives from the key.
        assert.deepEqual(await valueOf(large.ids.byMachine["vm-09999"]), deriveVmIdentity(await valueOf(large.ids.key!), "vm-09999"));
    });

    it("gives the service no key when no VM identity is derived, and refuses a derived VM without the key", async () => {
        const c = withVms(2);
        for (const m of c.edgeSites[0].machines) {
            m.uuid = `5b1c2d3e-4f50-4a6b-8c7d-00000000000${m.name.slice(-1)}`;
            m.serial = `SN-${m.name}`;
        }
        const ids = new EdgeVmIdentities("explicit", { sites: c.edgeSites });
        assert.equal(ids.key, undefined);
        const args = {
            project: c.gcp.project,
            namePrefix: c.cluster.name,
            service: c.bootService,
            tailnet: c.tailnet,
            baseWorkerConfig: "version: v1alpha1\n",
            assets: {},
            installerImage: "factory.talos.dev/metal-installer/e:v1.12.4",
            talosVersion: "v1.12.4",
        };
        const source = (sites: StackConfig["edgeSites"]) => ({ path: "/nonexistent/b.tar.gz", sha256: "ef".repeat(32), inventorySha256: bundledInventorySha256(inventoryFromSites(sites)) });
        new BootService("nokey", { ...args, sites: c.edgeSites, source: source(c.edgeSites) });
        await settle();
        assert.deepEqual(resourcesOfType(SECRET_VERSION).filter((v) => v.name.includes("vm-identity")), []);

        const derived = withVms(2);
        assert.throws(
            () => new BootService("missing", { ...args, sites: derived.edgeSites, source: source(derived.edgeSites) }),
            /2 VM\(s\) \(vm-00000, vm-00001\) get an SMBIOS identity derived from the stack's VM identity key.*pass vmIdentityKey \(EdgeVmIdentities\.key\)/,
        );
    });
});

describe("deterministicServiceUrl", () => {
    it("is <service>-<project number>.<region>.run.app", () => {
        assert.equal(deterministicServiceUrl(bootServiceName("setup02-cluster"), "123456789012", "europe-west4"), "https://setup02-cluster-boot-123456789012.europe-west4.run.app");
    });

    it("refuses a first label Cloud Run would not serve (over 63 characters) and a project id in place of a number", () => {
        assert.throws(() => deterministicServiceUrl(bootServiceName("c".repeat(50)), "123456789012", "europe-west4"), /68 characters, over 63\); shorten cluster\.name/);
        assert.throws(() => deterministicServiceUrl("x-boot", "my-project", "europe-west4"), /is not a number/);
    });
});

describe("renderEdgeVmXslt smbios", () => {
    const smbios = { uuid: "5B1C2D3E-4F50-4A6B-8C7D-9E0F1A2B3C4D", serial: "k3y5er1al0nlyinhttps0000000000ab" };

    it("replaces an existing identity instead of adding a second one (idempotent)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vm-smbios-"));
        try {
            const site = devStackConfig().edgeSites[0];
            const domain = edgeVmDomainXmlPreview(site, site.machines[0]).replace("<name>", "<uuid>00000000-1111-2222-3333-444444444444</uuid>\n  <name>");
            fs.writeFileSync(path.join(dir, "vm.xslt"), renderEdgeVmXslt({ bridgeName: site.bridge.name, smbios }));
            fs.writeFileSync(path.join(dir, "d0.xml"), domain);
            for (const [from, to] of [["d0.xml", "d1.xml"], ["d1.xml", "d2.xml"]]) {
                const t = spawnSync("xsltproc", ["-o", path.join(dir, to), path.join(dir, "vm.xslt"), path.join(dir, from)], { encoding: "utf8" });
                assert.equal(t.status, 0, t.stderr);
            }
            const xpath = (expr: string) => spawnSync("xmllint", ["--xpath", expr, path.join(dir, "d2.xml")], { encoding: "utf8" }).stdout.trim();
            assert.equal(xpath("count(/domain/uuid)"), "1");
            assert.equal(xpath("string(/domain/uuid)"), smbios.uuid.toLowerCase());
            assert.equal(xpath("count(/domain/sysinfo)"), "1");
            assert.equal(xpath("count(/domain/os/smbios)"), "1");
            assert.equal(spawnSync("virt-xml-validate", [path.join(dir, "d2.xml"), "domain"], { encoding: "utf8" }).status, 0);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("refuses identities a booting machine could not report, without quoting the serial", () => {
        assert.throws(() => renderEdgeVmXslt({ bridgeName: "br0", smbios: { ...smbios, uuid: "00000000-0000-0000-0000-000000000000" } }), /SMBIOS uuid/);
        assert.throws(
            () => renderEdgeVmXslt({ bridgeName: "br0", smbios: { ...smbios, serial: "to be filled by o.e.m." } }),
            (err: Error) => /SMBIOS serial/.test(err.message) && !err.message.includes("o.e.m."),
        );
        assert.throws(() => renderEdgeVmXslt({ bridgeName: "br0", smbios: { ...smbios, serial: "</entry><evil/>" } }), /SMBIOS serial/);
    });
});
