/**
 * The domain XSLT, applied with xsltproc to the domain XML the libvirt provider generates, and
 * the result checked with virt-xml-validate. Needs the packages listed in ./helpers.ts.
 */
import * as assert from "node:assert/strict";
import { SpawnSyncReturns } from "node:child_process";
import { renderDomainXmlPreview, renderEdgeVmXslt } from "../../infra/edge-host/libvirt";
import { removeTmpDirs, run, tmpDir, writeFile } from "./helpers";

describe("edge-host libvirt domain XML", () => {
    after(removeTmpDirs);

    const xslt = renderEdgeVmXslt({ bridgeName: "setup02-edge" });
    const uefiLvm = renderDomainXmlPreview({
        name: "talos-edge-1",
        mac: "52:54:00:00:02:0a",
        bridgeName: "setup02-edge",
        vm: { vcpu: 2, memoryMiB: 4096, firmware: "uefi" },
        disk: { kind: "lvm", devicePath: "/dev/vg-talos-setup02/talos-edge-1" },
    });
    const biosPool = renderDomainXmlPreview({
        name: "talos-edge-2",
        mac: "52:54:00:00:02:02",
        bridgeName: "setup02-edge",
        vm: { vcpu: 2, memoryMiB: 4096, firmware: "bios" },
        disk: { kind: "pool", pool: "default", volume: "talos-edge-2.qcow2", format: "qcow2" },
    });

    function transform(domainXml: string, stylesheet = xslt): string {
        const dir = tmpDir();
        const r = run("xsltproc", [writeFile(dir, "vm.xslt", stylesheet), writeFile(dir, "domain.xml", domainXml)]);
        assert.equal(r.status, 0, r.stderr);
        return r.stdout;
    }
    function validate(domainXml: string): SpawnSyncReturns<string> {
        return run("virt-xml-validate", [writeFile(tmpDir(), "domain.xml", domainXml), "domain"]);
    }
    function xpath(domainXml: string, expr: string): string {
        const r = run("xmllint", ["--xpath", expr, writeFile(tmpDir(), "domain.xml", domainXml)]);
        return r.stdout.trim();
    }

    for (const [label, xml] of [["UEFI + LVM", uefiLvm], ["BIOS + pool volume", biosPool]] as const) {
        it(`${label}: the transformed domain passes virt-xml-validate`, () => {
            const out = transform(xml);
            const r = validate(out);
            assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
            assert.match(`${r.stdout}${r.stderr}`, /validates/);
        });
    }

    it("makes the bridge NIC an Open vSwitch port that boots first, then the disk", () => {
        const out = transform(uefiLvm);
        assert.equal(xpath(out, "string(/domain/devices/interface/virtualport/@type)"), "openvswitch");
        assert.equal(xpath(out, "string(/domain/devices/interface/boot/@order)"), "1");
        assert.equal(xpath(out, "string(/domain/devices/disk[@device='disk']/boot/@order)"), "2");
        assert.equal(xpath(out, "count(/domain/os/boot)"), "0", "libvirt refuses os/boot together with per-device boot");
        assert.equal(xpath(out, "string(/domain/devices/interface/mac/@address)"), "52:54:00:00:02:0A");
        assert.equal(xpath(out, "string(/domain/devices/interface/source/@bridge)"), "setup02-edge");
        assert.equal(xpath(out, "string(/domain/os/loader)"), "/usr/share/OVMF/OVMF_CODE_4M.fd");
        assert.equal(xpath(out, "string(/domain/os/nvram/@template)"), "/usr/share/OVMF/OVMF_VARS_4M.fd");
    });

    it("is idempotent: applying the XSLT twice changes nothing more", () => {
        const once = transform(uefiLvm);
        const twice = transform(once);
        assert.equal(xpath(twice, "count(/domain/devices/interface/virtualport)"), "1");
        assert.equal(xpath(twice, "count(/domain/devices/interface/boot)"), "1");
        assert.equal(xpath(twice, "count(/domain/devices/disk/boot)"), "1");
    });

    it("leaves other bridges alone and can keep os/boot when asked", () => {
        const otherBridge = transform(uefiLvm.replace('bridge="setup02-edge"', 'bridge="br-other"'));
        assert.equal(xpath(otherBridge, "count(/domain/devices/interface/virtualport)"), "0");
        const keep = transform(biosPool, renderEdgeVmXslt({ bridgeName: "setup02-edge", perDeviceBootOrder: false }));
        assert.equal(xpath(keep, "count(/domain/os/boot)"), "2");
        assert.equal(xpath(keep, "count(//boot[@order])"), "0");
        assert.equal(xpath(keep, "string(/domain/devices/interface/virtualport/@type)"), "openvswitch");
        assert.equal(validate(keep).status, 0);
    });

    it("virt-xml-validate really checks: a bad MAC fails", () => {
        const r = validate(transform(uefiLvm).replace("52:54:00:00:02:0A", "52:54:00:00:02"));
        assert.notEqual(r.status, 0);
        assert.match(`${r.stdout}${r.stderr}`, /fails to validate/);
    });
});
