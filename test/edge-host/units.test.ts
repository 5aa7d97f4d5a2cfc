/**
 * The site's two systemd units, checked by `systemd-analyze verify` (any output is a failure).
 * Needs the packages listed in ./helpers.ts.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { renderNetworkSetupScript, renderNetworkTeardownScript } from "../../infra/edge-host/network";
import { edgeHostPaths } from "../../infra/edge-host/paths";
import { renderDnsmasqUnit, renderNetworkUnit } from "../../infra/edge-host/units";
import { SITE, removeTmpDirs, run, tmpDir, writeFile } from "./helpers";

describe("edge-host systemd units", () => {
    after(removeTmpDirs);
    // systemd-analyze needs the ExecStart binaries to exist: point the scripts at real copies.
    function unitDir(breakNetUnit = false): { dir: string; files: string[] } {
        const dir = tmpDir();
        const paths = { ...edgeHostPaths(SITE.name), setupScript: path.join(dir, "net-setup.sh"), teardownScript: path.join(dir, "net-teardown.sh") };
        writeFile(dir, "net-setup.sh", renderNetworkSetupScript(SITE), 0o755);
        writeFile(dir, "net-teardown.sh", renderNetworkTeardownScript(SITE), 0o755);
        let net = renderNetworkUnit(SITE, paths);
        if (breakNetUnit) net = net.replace("RemainAfterExit=yes", "RemainAfterExit=yes\nRestart=sometimes");
        return {
            dir,
            files: [writeFile(dir, paths.netUnit, net), writeFile(dir, paths.dhcpUnit, renderDnsmasqUnit(SITE, paths))],
        };
    }

    it("pass systemd-analyze verify with no output at all (warnings count as failures)", () => {
        const { files } = unitDir();
        const r = run("systemd-analyze", ["verify", ...files]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(`${r.stdout}${r.stderr}`.trim(), "");
    });

    it("systemd-analyze really checks: a bad Restart= value is reported", () => {
        const { files } = unitDir(true);
        const r = run("systemd-analyze", ["verify", ...files]);
        assert.match(`${r.stdout}${r.stderr}`, /Failed to parse service restart specifier/);
    });

    it("network unit: oneshot that stays active, after Open vSwitch, setup on start, teardown on stop", () => {
        const p = edgeHostPaths("site-1");
        const unit = renderNetworkUnit(SITE).split("\n");
        for (const line of [
            "Wants=openvswitch-switch.service",
            "After=openvswitch-switch.service network.target",
            "Type=oneshot",
            "RemainAfterExit=yes",
            `ExecStart=${p.setupScript}`,
            `ExecReload=${p.setupScript}`,
            `ExecStop=${p.teardownScript}`,
            "WantedBy=multi-user.target",
        ]) {
            assert.ok(unit.includes(line), `missing line ${line}`);
        }
        assert.equal(p.netUnit, "talos-edge-net-site-1.service");
    });

    it("DHCP unit: dnsmasq in the site namespace, after the network, restarted on failure, hardened", () => {
        const p = edgeHostPaths("site-1");
        const unit = renderDnsmasqUnit(SITE).split("\n");
        for (const line of [
            "Requires=talos-edge-net-site-1.service",
            "After=talos-edge-net-site-1.service",
            "ExecStart=/usr/sbin/dnsmasq --keep-in-foreground --conf-file=/etc/talos-edge/site-1/dnsmasq.conf",
            "Restart=on-failure",
            "NetworkNamespacePath=/run/netns/talos-edge-site-1",
            "ProtectSystem=strict",
            `ReadWritePaths=${p.stateDir}`,
            "NoNewPrivileges=yes",
            "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_NET_RAW CAP_SETUID CAP_SETGID CAP_CHOWN",
        ]) {
            assert.ok(unit.includes(line), `missing line ${line}`);
        }
        assert.equal(p.dhcpUnit, "talos-edge-dhcp-site-1.service");
        // The pid file the site's dnsmasq config names must be writable under ProtectSystem=strict.
        assert.ok(unit.includes(`RuntimeDirectory=${p.runtimeDir}`));
    });
});
