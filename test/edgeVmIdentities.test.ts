/**
 * What the edge graph does against the L2 attacker and for operators, built offline from the dev
 * stack file with the Pulumi mocks:
 *  - every VM gets a random SMBIOS UUID and serial; the same values reach the VM's domain (its
 *    XSLT, checked with xsltproc and virt-xml-validate) and the boot service (the secret
 *    BOOT_MACHINE_IDENTITIES), whose inventory then requires them;
 *  - the service's public URL is pinned to Cloud Run's deterministic URL, with Cloud Run's proxy
 *    hop set explicitly;
 *  - the admin API gets its own random credential in Secret Manager, exported as a secret.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bootServiceName, bundledInventorySha256, deterministicServiceUrl } from "../components/bootService";
import { edgeVmDomainXmlPreview } from "../components/edgeVm";
import type { StackConfig } from "../components/model";
import { renderEdgeVmXslt } from "../infra/edge-host/libvirt";
import { identityFromRequest, Inventory } from "../infra/boot-server/src/inventory";
import { parseBootSettings, withMachineIdentities } from "../infra/boot-server/src/settings";
import { inventoryFromSites } from "../model/bootContract";
import { composeCloud } from "../stacks/cloud";
import { composeEdge } from "../stacks/edge";
import { findResource, inputIsSecret, isSecret, resetRegistrations, resourcesOfType, settle, valueOf } from "./mocks";
import { devStackConfig } from "./stackFiles";

const SECRET_VERSION = "gcp:secretmanager/secretVersion:SecretVersion";

function build(cfg: StackConfig) {
    const inventory = inventoryFromSites(cfg.edgeSites);
    const source = { path: "/nonexistent/boot-server.tar.gz", sha256: "cd".repeat(32), inventorySha256: bundledInventorySha256(inventory) };
    const cloud = composeCloud(cfg);
    const edge = composeEdge(cfg, cloud, source);
    return { edge, inventory, identities: edge.vmIdentities! };
}

function serviceEnv(): Record<string, any> {
    const svc = resourcesOfType("gcp:cloudrunv2/service:Service")[0];
    return Object.fromEntries(svc.inputs.template.containers[0].envs.map((e: any) => [e.name, e]));
}

describe("edge graph: VM identities, pinned public URL, admin credential", () => {
    let cfg: StackConfig;
    let handles: ReturnType<typeof build>;
    before(async () => {
        resetRegistrations();
        cfg = devStackConfig();
        handles = build(cfg);
        await valueOf(handles.edge.outputs.bootServiceUrl!);
        await valueOf(handles.edge.outputs.siteBootUrls["site-1"]);
        await settle();
    });

    it("gives each VM a random SMBIOS UUID and serial, and the service the same values as a secret", async () => {
        const vm = cfg.edgeSites[0].machines.find((m) => m.vm !== undefined)!;
        const uuid = findResource("random:index/randomUuid:RandomUuid", `${cfg.cluster.name}-vm-identity-${vm.name}-uuid`);
        const serial = findResource("random:index/randomPassword:RandomPassword", `${cfg.cluster.name}-vm-identity-${vm.name}-serial`);
        assert.deepEqual({ length: serial.inputs.length, special: serial.inputs.special, upper: serial.inputs.upper }, { length: 32, special: false, upper: false });
        assert.ok(await isSecret(handles.identities.byMachine[vm.name]), "secret in state");
        assert.equal(uuid.inputs.keepers, undefined, "made once, kept in state");

        const env = serviceEnv();
        assert.equal(env.BOOT_MACHINE_IDENTITIES.value, undefined, "not a plain environment value");
        assert.equal(env.BOOT_MACHINE_IDENTITIES.valueSource.secretKeyRef.secret, `${cfg.cluster.name}-boot-machine-identities`);
        const version = findResource(SECRET_VERSION, `${cfg.cluster.name}-boot-machine-identities`);
        assert.ok(inputIsSecret(version, "secretData"));
        const identities = JSON.parse(version.inputs.secretData) as Record<string, { uuid: string; serial: string }>;
        assert.deepEqual(Object.keys(identities), [vm.name]);
        const id = identities[vm.name];
        assert.match(id.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "lower case");

        // The domain reports exactly these (XSLT applied to what the provider generates, then validated).
        const domain = findResource("libvirt:index/domain:Domain", `${cfg.cluster.name}-site-1-vm-${vm.name}-domain`);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vm-identity-"));
        try {
            fs.writeFileSync(path.join(dir, "vm.xslt"), domain.inputs.xml.xslt);
            fs.writeFileSync(path.join(dir, "domain.xml"), edgeVmDomainXmlPreview(cfg.edgeSites[0], vm));
            const t = spawnSync("xsltproc", ["-o", path.join(dir, "out.xml"), path.join(dir, "vm.xslt"), path.join(dir, "domain.xml")], { encoding: "utf8" });
            assert.equal(t.status, 0, t.stderr);
            const xpath = (expr: string) => spawnSync("xmllint", ["--xpath", expr, path.join(dir, "out.xml")], { encoding: "utf8" }).stdout.trim();
            assert.equal(xpath("string(/domain/uuid)"), id.uuid);
            assert.equal(xpath("string(/domain/sysinfo[@type='smbios']/system/entry[@name='serial'])"), id.serial);
            assert.equal(xpath("string(/domain/os/smbios/@mode)"), "sysinfo");
            const v = spawnSync("virt-xml-validate", [path.join(dir, "out.xml"), "domain"], { encoding: "utf8" });
            assert.equal(v.status, 0, `${v.stdout}${v.stderr}`);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }

        // The service, reading BOOT_SETTINGS, the bundled inventory and the secret, requires both.
        const settings = parseBootSettings({ ...JSON.parse(env.BOOT_SETTINGS.value), sites: handles.inventory });
        const inventory = new Inventory(withMachineIdentities(settings.sites, version.inputs.secretData));
        assert.equal(inventory.lookup("site-1", identityFromRequest(vm.mac, id.uuid, id.serial)).kind, "known");
        assert.equal(inventory.lookup("site-1", identityFromRequest(vm.mac, id.uuid)).kind, "conflict", "the UUID seen in DHCP is not enough");
        assert.equal(inventory.lookup("site-1", identityFromRequest(vm.mac)).kind, "conflict");
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
