/**
 * The network setup and teardown scripts (`bash -n` + shellcheck) and the NAT table (`nft -c`).
 * Needs root and the packages listed in ./helpers.ts.
 */
import * as assert from "node:assert/strict";
import { renderNatRuleset } from "../../infra/edge-host/nat";
import { renderNetworkSetupScript, renderNetworkTeardownScript } from "../../infra/edge-host/network";
import { SITE, assertCleanScript, removeTmpDirs, run, tmpDir, writeFile } from "./helpers";

describe("edge-host network scripts and NAT", () => {
    after(removeTmpDirs);

    for (const [label, text] of [
        ["network setup", renderNetworkSetupScript(SITE)],
        ["network teardown", renderNetworkTeardownScript(SITE)],
    ]) {
        it(`${label}: bash -n and shellcheck are silent, strict mode is on`, () => assertCleanScript(text));
    }

    it("setup converges instead of failing on a rerun", () => {
        const setup = renderNetworkSetupScript(SITE);
        assert.match(setup, /ovs-vsctl --may-exist add-br "\$BRIDGE"/);
        assert.match(setup, /ovs-vsctl --may-exist add-port "\$BRIDGE" "\$DHCP_PORT" -- set interface "\$DHCP_PORT" type=internal/);
        assert.match(setup, /addr replace "\$want"/);
        assert.match(setup, /GATEWAY_CIDR='10\.0\.20\.1\/24'/);
        assert.match(setup, /DHCP_CIDR='10\.0\.20\.2\/24'/);
        assert.match(setup, /sysctl -q -w net\.ipv4\.ip_forward=1/);
        assert.ok(setup.includes(renderNatRuleset(SITE)), "the NAT table is loaded with nft -f");
    });

    it("teardown removes the NAT table, the bridge and the namespace, tolerating their absence", () => {
        const teardown = renderNetworkTeardownScript(SITE);
        assert.match(teardown, /nft list table ip "\$NFT_TABLE" >\/dev\/null 2>&1/);
        assert.match(teardown, /ovs-vsctl --if-exists del-br "\$BRIDGE"/);
        assert.match(teardown, /ip netns del "\$NETNS"/);
    });

    it("the NAT ruleset replaces the site's own table and passes nft -c", () => {
        const nat = renderNatRuleset(SITE);
        assert.ok(nat.includes("table ip talos_edge_site_1\ndelete table ip talos_edge_site_1\ntable ip talos_edge_site_1 {"));
        assert.ok(nat.includes('ip saddr 10.0.20.0/24 oifname "eno1" masquerade'));
        // -c only checks; a private network namespace keeps even that away from the host's ruleset.
        const ok = run("unshare", ["--net", "nft", "-c", "-f", writeFile(tmpDir(), "nat.nft", nat)]);
        assert.equal(ok.status, 0, ok.stderr);
        const bad = run("unshare", ["--net", "nft", "-c", "-f", writeFile(tmpDir(), "bad.nft", nat.replace("masquerade", "masqerade"))]);
        assert.notEqual(bad.status, 0);
    });

    it("rejects site values that could reach a root shell unquoted", () => {
        assert.throws(() => renderNetworkSetupScript({ ...SITE, host: { uplinkInterface: "eno1; rm -rf /" } }), /host\.uplinkInterface is not a usable interface name/);
        assert.throws(() => renderNetworkSetupScript({ ...SITE, bridge: { ...SITE.bridge, name: "a-bridge-name-too-long" } }), /bridge\.name is not a usable interface name/);
        assert.throws(() => renderNetworkSetupScript({ ...SITE, name: "Site_1" }), /edge site name is not a DNS label/);
        assert.throws(() => renderNetworkSetupScript({ ...SITE, dhcp: { serverAddress: "10.0.20.1" } }), /equals the gateway/);
        assert.throws(() => renderNetworkSetupScript({ ...SITE, bridge: { ...SITE.bridge, subnetCidr: "10.0.0.0/16" } }), /is not the subnet of 10.0.20.1\/24/);
    });
});
