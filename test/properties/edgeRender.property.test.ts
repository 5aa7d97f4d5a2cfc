/**
 * What the stack accepts, the edge host can run: for generated valid sites (storage LVM or a
 * libvirt pool), each site's dnsmasq config passes `dnsmasq --test` and leases every machine,
 * and each VM machine's domain (the provider's XML through the site's XSLT) passes
 * `virt-xml-validate`. These spawn processes, so the run count is small.
 * Needs the packages listed in test/edge-host/helpers.ts.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as fc from "fast-check";
import { siteDnsmasqOptions } from "../../components/edgeSite";
import { edgeVmDomainXmlPreview } from "../../components/edgeVm";
import { GOOGLE_RUN_APP_TRUST } from "../../lib/ipxe/googleTrust";
import { siteBootUrl } from "../../model/bootContract";
import { renderDnsmasqConf } from "../../infra/edge-host/dnsmasq";
import { renderEdgeVmXslt } from "../../infra/edge-host/libvirt";
import { edgeHostPaths } from "../../infra/edge-host/paths";
import { dnsmasqTest, removeTmpDirs, run, tmpDir, writeFile } from "../edge-host/helpers";
import { validSites } from "./arbitraries";
import { parseStack, stackRaw, stackSites } from "./forms";
import { runs } from "./params";

const SERVICE_URL = "https://talos-boot-abc123xyz-ew.a.run.app";
const TOKEN = "s3cr3tSiteToken0123456789abcdefABCDEF";

const storage = fc.constantFrom<Record<string, unknown> | undefined>(
    undefined,
    { kind: "lvm", volumeGroup: "vg-talos-setup02" },
    { kind: "lvm", volumeGroup: "vg_edge.2" },
    { kind: "pool", pool: "default" },
    { kind: "pool" },
);

/** xsltproc, then virt-xml-validate; returns the transformed domain. */
function validatedDomain(xml: string, bridgeName: string): string {
    const dir = tmpDir();
    const t = run("xsltproc", ["-o", `${dir}/out.xml`, writeFile(dir, "vm.xslt", renderEdgeVmXslt({ bridgeName })), writeFile(dir, "domain.xml", xml)]);
    assert.equal(t.status, 0, t.stderr);
    const v = run("virt-xml-validate", [`${dir}/out.xml`, "domain"]);
    assert.equal(v.status, 0, `${v.stdout}${v.stderr}\n${xml}`);
    return fs.readFileSync(`${dir}/out.xml`, "utf8");
}

describe("edge host files from the stack: dnsmasq and libvirt accept them (property)", function () {
    this.timeout(120_000);
    after(removeTmpDirs);

    it("every accepted site passes dnsmasq --test and every accepted VM machine virt-xml-validate", () => {
        const checked = { sites: 0, vms: 0 };
        fc.assert(
            fc.property(validSites({ maxMachines: 6, armVms: true }), fc.array(storage, { minLength: 3, maxLength: 3 }), fc.boolean(), fc.boolean(), (lists, storages, logDhcp, customIpxe) => {
                const extras = storages.map((s) => (s === undefined ? {} : { storage: s }));
                const stack = parseStack(stackRaw(lists, stackSites(lists, extras)));
                if (!stack.value) {
                    // The one valid-looking thing a stack must refuse: a VM for an arm64 machine.
                    assert.ok(stack.problems.length > 0 && stack.problems.every((p) => /machines\[[0-9]+\]\.vm: .*amd64/.test(p)), stack.problems.join("\n"));
                    return;
                }
                for (const site of stack.value.edgeSites) {
                    const bootUrl = siteBootUrl(SERVICE_URL, site.name, TOKEN);
                    const conf = renderDnsmasqConf(siteDnsmasqOptions(site, bootUrl, edgeHostPaths(site.name), { logDhcp, customIpxe, trust: GOOGLE_RUN_APP_TRUST }));
                    const test = dnsmasqTest(conf);
                    assert.equal(test.status, 0, `${test.stdout}${test.stderr}\n${conf}`);
                    checked.sites++;
                    const leases = conf.split("\n").filter((l) => l.startsWith("dhcp-host="));
                    assert.deepEqual(leases, site.machines.map((m) => `dhcp-host=${m.mac},${m.ip},${m.name},infinite`));
                    for (const m of site.machines.filter((x) => x.vm !== undefined)) {
                        const domain = validatedDomain(edgeVmDomainXmlPreview(site, m), site.bridge.name);
                        checked.vms++;
                        assert.ok(domain.includes(`<name>${m.name}</name>`), domain);
                        assert.ok(domain.includes(`<mac address="${m.mac.toUpperCase()}"/>`), domain);
                        assert.ok(domain.includes(`<source bridge="${site.bridge.name}"/>`), domain);
                    }
                }
            }),
            runs(20),
        );
        assert.ok(checked.sites >= 10 && checked.vms >= 5, `too little rendered to mean much: ${JSON.stringify(checked)}`);
    });

    it("the stack refuses a VM for an arm64 machine (OVMF is x86-64), at its vm key", () => {
        const stack = parseStack(stackRaw([[{ name: "edge-arm", mac: "52:54:00:00:0a:01", arch: "arm64", vm: {} }]]));
        assert.deepEqual(stack.problems, [
            'talos-cloud-edge:edgeSites[0].machines[0].vm: is set on an arm64 machine, but VMs are created for amd64 only (OVMF x86-64 firmware); remove "vm" or set arch: amd64',
        ]);
    });
});
