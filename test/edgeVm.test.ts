import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as libvirt from "@pulumi/libvirt";
import { EdgeVm, edgeVmDomainXmlPreview, edgeVmFirmware, edgeVmPlan } from "../components/edgeVm";
import { edgeHostConnection } from "../components/edgeSite";
import { renderEdgeVmXslt } from "../infra/edge-host/libvirt";
import { EdgeMachineConfig, EdgeSiteConfig } from "../components/model";
import { findResource, resetRegistrations, resourcesOfType, settle } from "./mocks";
import { devStackConfig } from "./stackFiles";

const DOMAIN = "libvirt:index/domain:Domain";
const VOLUME = "libvirt:index/volume:Volume";
const COMMAND = "command:remote:Command";
const GIB = 1024 ** 3;

const devSite = (): EdgeSiteConfig => devStackConfig().edgeSites[0];
const poolSite = (): EdgeSiteConfig => ({ ...devSite(), storage: { kind: "pool", pool: "default" } });
const machineOf = (site: EdgeSiteConfig, patch: Partial<EdgeMachineConfig> = {}): EdgeMachineConfig => ({ ...site.machines[0], ...patch });

async function build(site: EdgeSiteConfig, machine = machineOf(site)): Promise<EdgeVm> {
    const provider = new libvirt.Provider("site-1-libvirt", { uri: site.host.libvirtUri });
    const vm = new EdgeVm(`site-1-vm-${machine.name}`, { site, machine, provider, connection: edgeHostConnection(site.host) });
    await settle();
    return vm;
}

describe("EdgeVm", () => {
    beforeEach(resetRegistrations);

    it("defines the domain from the inventory entry: name, MAC, OVS bridge, boot order network then disk", async () => {
        const site = devSite();
        await build(site);
        const d = findResource(DOMAIN, "site-1-vm-talos-edge-1-domain").inputs;
        assert.equal(d.name, "talos-edge-1");
        assert.deepEqual(d.networkInterfaces, [{ bridge: "setup02-edge", mac: "52:54:00:00:02:01" }]);
        assert.deepEqual(d.bootDevices, [{ devs: ["network", "hd"] }]);
        assert.equal(d.xml.xslt, renderEdgeVmXslt({ bridgeName: "setup02-edge" }));
        assert.match(d.xml.xslt, /<virtualport type="openvswitch"\/>/);
        assert.deepEqual(d.consoles, [{ type: "pty", targetPort: "0", targetType: "serial" }]);
        assert.equal(d.running, true);
        assert.equal(d.autostart, true);
        assert.equal(d.vcpu, 4);
        assert.equal(d.memory, 8192);
        assert.equal(d.machine, "q35");
        assert.deepEqual(d.cpu, { mode: "host-passthrough" });
    });

    it("uses the site host's libvirt provider", async () => {
        await build(devSite());
        const domain = findResource(DOMAIN, "site-1-vm-talos-edge-1-domain");
        assert.match(domain.provider ?? "", /pulumi:providers:libvirt::site-1-libvirt::site-1-libvirt-id$/);
    });

    it("boots UEFI from OVMF with a per-VM NVRAM, and BIOS without either", async () => {
        await build(devSite());
        const uefi = findResource(DOMAIN, "site-1-vm-talos-edge-1-domain").inputs;
        assert.equal(uefi.firmware, "/usr/share/OVMF/OVMF_CODE_4M.fd");
        assert.deepEqual(uefi.nvram, { file: "/var/lib/libvirt/qemu/nvram/talos-edge-1_VARS.fd", template: "/usr/share/OVMF/OVMF_VARS_4M.fd" });

        resetRegistrations();
        const site = devSite();
        await build(site, machineOf(site, { vm: { ...site.machines[0].vm!, firmware: "bios" } }));
        const bios = findResource(DOMAIN, "site-1-vm-talos-edge-1-domain").inputs;
        assert.equal(bios.firmware, undefined);
        assert.equal(bios.nvram, undefined);
        assert.deepEqual(edgeVmFirmware("x", "bios"), {});
    });

    it("LVM storage: creates the logical volume over SSH and attaches it as a block device", async () => {
        await build(devSite());
        const lv = findResource(COMMAND, "site-1-vm-talos-edge-1-disk").inputs;
        assert.match(lv.create, /VG='vg-talos-setup02'\nLV='talos-edge-1'\nSIZE_GIB='20'/);
        assert.match(lv.create, /lvcreate --yes --wipesignatures y --addtag "\$TAG" -L "\$\{SIZE_GIB\}G" -n "\$LV" "\$VG"/);
        assert.match(lv.delete, /lvremove --yes "\$VG\/\$LV"/);
        // Identity in triggers (a new group or name replaces the volume); size only in create (grow in place).
        assert.deepEqual(lv.triggers, ["vg-talos-setup02", "talos-edge-1"]);
        assert.equal(lv.connection.hostKey, devSite().host.hostKey);
        const d = findResource(DOMAIN, "site-1-vm-talos-edge-1-domain").inputs;
        assert.deepEqual(d.disks, [{ blockDevice: "/dev/vg-talos-setup02/talos-edge-1" }]);
        assert.equal(resourcesOfType(VOLUME).length, 0);
    });

    it("pool storage: a qcow2 volume of the configured size in bytes, attached by id", async () => {
        await build(poolSite());
        const vol = findResource(VOLUME, "site-1-vm-talos-edge-1-disk");
        assert.deepEqual(vol.inputs, { name: "talos-edge-1.qcow2", pool: "default", size: 20 * GIB, format: "qcow2" });
        assert.match(vol.provider ?? "", /pulumi:providers:libvirt::site-1-libvirt::/);
        const d = findResource(DOMAIN, "site-1-vm-talos-edge-1-domain").inputs;
        assert.deepEqual(d.disks, [{ volumeId: "site-1-vm-talos-edge-1-disk-id" }]);
        assert.equal(resourcesOfType(COMMAND).length, 0);
    });

    it("writes the MAC once: the inventory MAC, normalised, is the NIC's", async () => {
        const site = devSite();
        await build(site, machineOf(site, { mac: "52:54:00:AB:CD:EF" }));
        assert.deepEqual(findResource(DOMAIN, "site-1-vm-talos-edge-1-domain").inputs.networkInterfaces, [{ bridge: "setup02-edge", mac: "52:54:00:ab:cd:ef" }]);
    });

    it("rejects machines that cannot be VMs, naming the machine", () => {
        const site = devSite();
        assert.throws(() => edgeVmPlan(site, machineOf(site, { vm: undefined })), /edge machine talos-edge-1 \(site site-1\) has no "vm" settings/);
        assert.throws(() => edgeVmPlan(site, machineOf(site, { arch: "arm64" })), /is arm64; VMs are created for amd64 only/);
        assert.throws(() => edgeVmPlan(site, machineOf(site, { vm: { ...site.machines[0].vm!, memoryMiB: 512 } })), /vm.memoryMiB must be .* at least 1024/);
        assert.throws(() => edgeVmPlan({ ...site, storage: { kind: "lvm", volumeGroup: "vg bad" } }, machineOf(site)), /LVM volume group is not a valid name/);
    });

    it("what the provider would define for the component's inputs passes the XSLT and virt-xml-validate", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-vm-"));
        try {
            for (const [site, firmware] of [[devSite(), "uefi"], [poolSite(), "bios"]] as const) {
                resetRegistrations();
                const machine = machineOf(site, { vm: { ...site.machines[0].vm!, firmware } });
                await build(site, machine);
                const domain = findResource(DOMAIN, "site-1-vm-talos-edge-1-domain").inputs;
                fs.writeFileSync(path.join(dir, "vm.xslt"), domain.xml.xslt);
                fs.writeFileSync(path.join(dir, "domain.xml"), edgeVmDomainXmlPreview(site, machine));
                const t = spawnSync("xsltproc", ["-o", path.join(dir, "out.xml"), path.join(dir, "vm.xslt"), path.join(dir, "domain.xml")], { encoding: "utf8" });
                assert.equal(t.status, 0, t.stderr);
                const out = fs.readFileSync(path.join(dir, "out.xml"), "utf8");
                assert.ok(out.includes(`<source bridge="${domain.networkInterfaces[0].bridge}"/>`));
                assert.ok(out.includes(`<mac address="${domain.networkInterfaces[0].mac.toUpperCase()}"/>`));
                assert.ok(out.includes(`<name>${domain.name}</name>`));
                assert.equal(out.includes(`<loader readonly="yes" type="pflash" secure="no">${domain.firmware}</loader>`), firmware === "uefi");
                const v = spawnSync("virt-xml-validate", [path.join(dir, "out.xml"), "domain"], { encoding: "utf8" });
                assert.equal(v.status, 0, `${v.stdout}${v.stderr}`);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("renders identical inputs on a second run", async () => {
        await build(devSite());
        const first = [...resourcesOfType(DOMAIN), ...resourcesOfType(COMMAND)].map((r) => r.inputs);
        resetRegistrations();
        await build(devSite());
        assert.deepEqual([...resourcesOfType(DOMAIN), ...resourcesOfType(COMMAND)].map((r) => r.inputs), first);
    });
});
