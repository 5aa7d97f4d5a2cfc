import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { EdgeSite, edgeHostConnection, edgeSiteLeases, validateEdgeSite } from "../components/edgeSite";
import { IPXE_USER_CLASS } from "../infra/edge-host/dnsmasq";
import { renderRootsList } from "../infra/edge-host/install";
import { DEBIAN_IPXE } from "../lib/ipxe/debianPackage";
import { GOOGLE_RUN_APP_TRUST } from "../lib/ipxe/googleTrust";
import { dnsmasqHexBytes } from "../lib/ipxe/trust";
import { renderNetworkSetupScript, renderNetworkTeardownScript } from "../infra/edge-host/network";
import { edgeHostPaths } from "../infra/edge-host/paths";
import { renderDnsmasqUnit, renderNetworkUnit } from "../infra/edge-host/units";
import { EdgeSiteConfig } from "../components/model";
import { Registered, findResource, inputIsSecret, registered, resetRegistrations, resourcesOfType, settle, valueOf } from "./mocks";
import { devStackConfig, twoSitesStackConfig } from "./stackFiles";

const COPY = "command:remote:CopyToRemote";
const COMMAND = "command:remote:Command";
const TOKEN = "tok3nForSite1xxxxxxxxxxxxxxxxxxxxxxxxxxxx";
const BOOT_URL = `https://site-1:${TOKEN}@talos-boot-abc123xyz-ew.a.run.app/v1/sites/site-1/boot.ipxe`;

/** The seed's site as the dev stack declares it (LVM storage, one UEFI VM). */
const devSite = (): EdgeSiteConfig => devStackConfig().edgeSites[0];

async function build(site: EdgeSiteConfig, extra: Partial<ConstructorParameters<typeof EdgeSite>[1]> = {}): Promise<EdgeSite> {
    const s = new EdgeSite(site.name, { site, bootUrl: pulumi.secret(BOOT_URL), ...extra });
    await settle();
    return s;
}

/** The text of a copied StringAsset (from the raw inputs: the unwrapped copy loses the asset's promise). */
async function copiedText(copy: Registered): Promise<string> {
    let source = copy.rawInputs.source;
    if (pulumi.runtime.isRpcSecret(source)) source = pulumi.runtime.unwrapRpcSecret(source);
    const text = await source.text;
    assert.equal(typeof text, "string", `${copy.name} does not copy a StringAsset`);
    return text;
}

describe("EdgeSite", () => {
    beforeEach(resetRegistrations);

    it("copies dnsmasq.conf as a secret that holds the boot URL and one lease per machine", async () => {
        await build(devSite());
        const copy = findResource(COPY, "site-1-copy-dnsmasqConf");
        assert.ok(inputIsSecret(copy, "source"), "the dnsmasq config carries the site token");
        assert.equal(copy.inputs.remotePath, "/var/lib/talos-edge/staging/site-1/dnsmasq.conf");
        const conf = await copiedText(copy);
        assert.ok(conf.includes(`dhcp-boot=tag:talos-ipxe,${BOOT_URL}`));
        assert.ok(conf.includes("dhcp-host=52:54:00:00:02:01,10.0.20.10,talos-edge-1,infinite"));
        assert.ok(conf.includes(`interface=${edgeHostPaths("site-1").dhcpPort}`));
        assert.ok(conf.includes("listen-address=10.0.20.2"));
        assert.ok(!conf.includes("log-dhcp"), "log-dhcp would put the token in the host journal");
    });

    it("marks the boot URL secret even when the caller passes it plain", async () => {
        new EdgeSite("site-1", { site: devSite(), bootUrl: BOOT_URL });
        await settle();
        assert.ok(inputIsSecret(findResource(COPY, "site-1-copy-dnsmasqConf"), "source"));
    });

    it("copies the units and network scripts as rendered, not secret, into the staging directory", async () => {
        const site = devSite();
        await build(site);
        const expected: Record<string, [string, string]> = {
            netUnit: ["net.service", renderNetworkUnit(site)],
            dhcpUnit: ["dhcp.service", renderDnsmasqUnit(site)],
            setupScript: ["net-setup.sh", renderNetworkSetupScript(site)],
            teardownScript: ["net-teardown.sh", renderNetworkTeardownScript(site)],
            ipxeRoots: ["ipxe-roots.txt", renderRootsList(GOOGLE_RUN_APP_TRUST.crossCerts)],
        };
        for (const [role, [file, text]] of Object.entries(expected)) {
            const copy = findResource(COPY, `site-1-copy-${role}`);
            assert.equal(copy.inputs.remotePath, `/var/lib/talos-edge/staging/site-1/${file}`);
            assert.equal(await copiedText(copy), text);
            assert.ok(!inputIsSecret(copy, "source"));
        }
        assert.equal(resourcesOfType(COPY).length, 6);
    });

    it("connects with the pinned host key, bounded dialing, and the runner's agent when there is no key", async () => {
        await build(devSite());
        for (const res of [...resourcesOfType(COPY), ...resourcesOfType(COMMAND)]) {
            const c = res.inputs.connection;
            assert.equal(c.host, "kvm-host.lab.internal");
            assert.equal(c.user, "root");
            assert.equal(c.port, 22);
            assert.equal(c.hostKey, devSite().host.hostKey);
            assert.equal(c.dialErrorLimit, 5);
            assert.equal(c.perDialTimeout, 15);
            assert.equal(c.privateKey, undefined);
            // A per-session agent socket path in the inputs would read as a change on every run.
            assert.equal(c.agentSocketPath, undefined);
        }
    });

    it("passes a configured private key as a secret", async () => {
        const site = devSite();
        const conn = edgeHostConnection({ ...site.host, privateKey: pulumi.output("-----BEGIN OPENSSH PRIVATE KEY-----\nk\n") });
        assert.ok(await pulumi.isSecret(pulumi.output(conn.privateKey)));
    });

    it("installs with one command whose create carries a content hash and whose delete uninstalls", async () => {
        await build(devSite());
        const install = findResource(COMMAND, "site-1-install");
        assert.match(install.inputs.create, /^# talos-cloud-edge install of edge site site-1; content sha256 [0-9a-f]{64}\n/);
        assert.match(install.inputs.create, /systemctl enable --quiet "\$NET_UNIT" "\$DHCP_UNIT"/);
        assert.match(install.inputs.delete, /Removes edge site site-1 from this host/);
        assert.equal(install.inputs.triggers, undefined, "triggers would replace, i.e. tear the site down, on every content change");
        assert.equal(install.inputs.logging, "stdoutAndStderr");
        assert.ok(!inputIsSecret(install, "create"), "only a hash of the secret config is in the command");
        assert.ok(!install.inputs.create.includes(TOKEN));
    });

    it("is idempotent: the same config gives identical inputs, and a new boot URL only changes the hash", async () => {
        const snapshot = () =>
            registered
                .filter((r) => r.type === COMMAND || r.type === COPY)
                .map((r) => ({ name: r.name, inputs: { ...r.inputs, source: undefined } }));
        await build(devSite());
        const first = snapshot();
        const firstConf = await copiedText(findResource(COPY, "site-1-copy-dnsmasqConf"));
        resetRegistrations();
        await build(devSite());
        assert.deepEqual(snapshot(), first);
        assert.equal(await copiedText(findResource(COPY, "site-1-copy-dnsmasqConf")), firstConf);

        const createFor = (url: string) => {
            resetRegistrations();
            new EdgeSite("site-1", { site: devSite(), bootUrl: pulumi.secret(url) });
            return settle().then(() => findResource(COMMAND, "site-1-install").inputs.create as string);
        };
        const a = await createFor(BOOT_URL);
        const b = await createFor(BOOT_URL.replace(TOKEN, "another0token"));
        assert.notEqual(a, b);
        assert.equal(a.split("\n").slice(1).join("\n"), b.split("\n").slice(1).join("\n"), "only the hash line differs");
    });

    it("checks and installs the host packages the site needs before copying", async () => {
        await build(devSite());
        const preflight = findResource(COMMAND, "site-1-preflight");
        for (const pkg of ["openvswitch-switch", "dnsmasq-base", "nftables", "libvirt-clients", "libvirt-daemon-system", "qemu-system-x86", "ovmf", "lvm2", "curl", "dpkg"]) {
            assert.ok(preflight.inputs.create.includes(`missing+=('${pkg}')`), `does not check ${pkg}`);
        }
        assert.match(preflight.inputs.create, /install -d -m 0700 -o 'root' '\/var\/lib\/talos-edge\/staging\/site-1'/);
        assert.equal(preflight.inputs.delete, undefined, "destroy leaves host packages alone");
    });

    it("creates one libvirt provider for the host and a VM per machine that asks for one", async () => {
        const site = devSite();
        const edge = await build(site);
        const provider = findResource("pulumi:providers:libvirt", "site-1-libvirt");
        assert.equal(provider.inputs.uri, site.host.libvirtUri);
        const domain = findResource("libvirt:index/domain:Domain", "site-1-vm-talos-edge-1-domain");
        assert.match(domain.provider ?? "", /pulumi:providers:libvirt::site-1-libvirt::/);
        assert.equal(domain.inputs.name, "talos-edge-1");
        assert.deepEqual(domain.inputs.networkInterfaces, [{ bridge: "setup02-edge", mac: "52:54:00:00:02:01" }]);
        assert.deepEqual(Object.keys(edge.vms), ["talos-edge-1"]);
    });

    it("creates no provider and no VM when the site has no VM machines or VMs are off", async () => {
        const siteB = twoSitesStackConfig().edgeSites[1];
        const edge = await build(siteB);
        assert.equal(resourcesOfType("pulumi:providers:libvirt").length, 0);
        assert.equal(edge.libvirtProvider, undefined);
        resetRegistrations();
        await build(devSite(), { manageVms: false });
        assert.equal(resourcesOfType("libvirt:index/domain:Domain").length, 0);
        assert.doesNotMatch(findResource(COMMAND, "site-1-preflight").inputs.create, /qemu-system-x86/);
    });

    it("serves Debian 13's pinned iPXE by default, with the Google roots pinned and served to it", async () => {
        await build(devSite());
        const conf = (await copiedText(findResource(COPY, "site-1-copy-dnsmasqConf"))).split("\n");
        for (const line of [
            "dhcp-boot=tag:!talos-ipxe,tag:efi-x86_64,snponly.efi,,10.0.20.2",
            "dhcp-boot=tag:!talos-ipxe,tag:!efi-x86_64,tag:!efi-arm64,undionly.kpxe,,10.0.20.2",
            `dhcp-boot=tag:talos-ipxe,${BOOT_URL}`,
            `dhcp-option-force=77,${IPXE_USER_CLASS}`,
            `dhcp-option-force=encap:175,90,${dnsmasqHexBytes(GOOGLE_RUN_APP_TRUST.fingerprints)}`,
            "dhcp-option-force=encap:175,93,tftp://10.0.20.2/ipxe-roots",
        ]) {
            assert.ok(conf.includes(line), `missing line ${line}`);
        }
        const install = findResource(COMMAND, "site-1-install").inputs.create as string;
        assert.ok(install.includes(`IPXE_DEB_SHA256='${DEBIAN_IPXE.sha256}'`));
        for (const url of DEBIAN_IPXE.urls) assert.ok(install.includes(`'${url}'`), `does not fetch from ${url}`);
        for (const f of Object.values(DEBIAN_IPXE.files)) assert.ok(install.includes(`${f.sha256}  ${f.path}`), `does not check ${f.path}`);
        assert.match(install, /iPXE's cross-signed-certificate source/);
        assert.equal(resourcesOfType(COPY).filter((c) => /ipxeEfi|ipxeBios/.test(c.name)).length, 0, "nothing to copy: the host fetches the package");
    });

    it("serves a custom iPXE build: copies both binaries and gives the URL only to its user class", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-ipxe-"));
        try {
            const efi = path.join(dir, "ipxe.efi");
            const bios = path.join(dir, "undionly.kpxe");
            fs.writeFileSync(efi, "efi-binary");
            fs.writeFileSync(bios, "bios-binary");
            await build(devSite(), { ipxeAssets: { efi, bios } });
            assert.equal(findResource(COPY, "site-1-copy-ipxeEfi").inputs.remotePath, "/var/lib/talos-edge/staging/site-1/ipxe.efi");
            assert.equal(findResource(COPY, "site-1-copy-ipxeBios").inputs.remotePath, "/var/lib/talos-edge/staging/site-1/undionly.kpxe");
            const conf = await copiedText(findResource(COPY, "site-1-copy-dnsmasqConf"));
            assert.ok(conf.includes(`dhcp-userclass=set:talos-ipxe,${IPXE_USER_CLASS}`));
            assert.ok(conf.includes(`dhcp-boot=tag:talos-ipxe,${BOOT_URL}`));
            const install = findResource(COMMAND, "site-1-install").inputs.create as string;
            assert.match(install, /installed custom ipxe\.efi/);
            assert.doesNotMatch(install, /IPXE_DEB/);
            assert.ok(!conf.includes("dhcp-option-force=77,"), "our build announces its class itself");
            assert.ok(conf.includes("dhcp-option-force=encap:175,93,tftp://10.0.20.2/ipxe-roots"), "no ca.ipxe.org lookups for our build either");
            assert.doesNotMatch(findResource(COMMAND, "site-1-preflight").inputs.create, /'curl'/);

            // A rebuilt binary changes the install command (re-run), not just the copy.
            resetRegistrations();
            fs.writeFileSync(efi, "efi-binary-v2");
            await build(devSite(), { ipxeAssets: { efi, bios } });
            assert.notEqual(findResource(COMMAND, "site-1-install").inputs.create, install);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("fails before creating anything on a missing iPXE file or an invalid site", () => {
        assert.throws(() => new EdgeSite("s", { site: devSite(), bootUrl: BOOT_URL, ipxeAssets: { efi: "/nonexistent/ipxe.efi", bios: "/nonexistent/undionly.kpxe" } }), /ipxeAssets.efi: cannot read \/nonexistent\/ipxe.efi/);
        const reversed = { ...devSite(), dhcp: { ...devSite().dhcp, rangeStart: "10.0.20.200", rangeEnd: "10.0.20.100" } };
        assert.throws(() => validateEdgeSite(reversed), /swap rangeStart and rangeEnd/);
        assert.throws(() => new EdgeSite("s", { site: reversed, bootUrl: BOOT_URL }), /swap rangeStart and rangeEnd/);
        assert.equal(registered.filter((r) => r.custom).length, 0);
    });

    it("exposes the site's network and leases", async () => {
        const site = devSite();
        const edge = await build(site);
        assert.equal(await valueOf(edge.siteName), "site-1");
        assert.equal(await valueOf(edge.subnet), "10.0.20.0/24");
        assert.equal(await valueOf(edge.gateway), "10.0.20.1");
        assert.equal(await valueOf(edge.dhcpServer), "10.0.20.2");
        assert.equal(await valueOf(edge.bridgeName), "setup02-edge");
        assert.deepEqual(await valueOf(edge.leases), [{ name: "talos-edge-1", mac: "52:54:00:00:02:01", ip: "10.0.20.10" }]);
        assert.deepEqual(edgeSiteLeases(twoSitesStackConfig().edgeSites[1]), [{ name: "edge-b-1", mac: "52:54:00:00:30:01", ip: "10.0.30.10" }]);
    });

    it("builds a site for every site of the two-site fixture, with the user and port of each host", async () => {
        for (const site of twoSitesStackConfig().edgeSites) {
            resetRegistrations();
            await build(site);
            const install = findResource(COMMAND, `${site.name}-install`);
            assert.equal(install.inputs.connection.user, site.host.user);
            assert.equal(install.inputs.connection.port, site.host.port);
            // A non-root user runs the scripts through sudo.
            assert.equal(install.inputs.create.includes("\nsudo -n bash -c "), site.host.user !== "root");
        }
    });
});
