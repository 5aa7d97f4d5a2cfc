/**
 * The install, uninstall and preflight scripts `EdgeSite` runs over SSH (`bash -n` + shellcheck).
 * Needs the packages listed in ./helpers.ts.
 */
import * as assert from "node:assert/strict";
import { renderInstallScript, renderUninstallScript } from "../../infra/edge-host/install";
import { edgeHostPaths } from "../../infra/edge-host/paths";
import { renderPreflightScript } from "../../infra/edge-host/preflight";
import { shq } from "../../infra/edge-host/shell";
import { SITE, assertCleanScript, removeTmpDirs } from "./helpers";

describe("edge-host install, uninstall and preflight scripts", () => {
    after(removeTmpDirs);

    for (const [label, text] of [
        ["install (distribution iPXE)", renderInstallScript(SITE, { customIpxe: false })],
        ["install (custom iPXE)", renderInstallScript(SITE, { customIpxe: true })],
        ["uninstall", renderUninstallScript(SITE)],
        ["preflight", renderPreflightScript(SITE, { sshUser: "ops", vms: true, uefi: true, lvm: true, distroIpxe: true })],
    ]) {
        it(`${label}: bash -n and shellcheck are silent, strict mode is on`, () => assertCleanScript(text));
    }

    it("install only restarts what changed and never prints file contents", () => {
        const install = renderInstallScript(SITE, { customIpxe: false });
        assert.match(install, /if put "\$STAGE\/"'dnsmasq\.conf' '\/etc\/talos-edge\/site-1\/dnsmasq\.conf' 0600; then dhcp_changed=1; fi/);
        assert.match(install, /systemctl enable --quiet "\$NET_UNIT" "\$DHCP_UNIT"/);
        assert.match(install, /systemctl restart "\$DHCP_UNIT"/);
        assert.match(install, /systemctl daemon-reload/);
        assert.doesNotMatch(install, /\bcat\b/);
    });

    it("uninstall disables both units, runs the teardown and removes every installed path", () => {
        const p = edgeHostPaths("site-1");
        const uninstall = renderUninstallScript(SITE);
        assert.match(uninstall, /systemctl disable --now --quiet "\$unit"/);
        assert.match(uninstall, /"\$TEARDOWN"/);
        for (const dir of [p.configDir, p.libDir, p.stateDir, p.stagingDir]) {
            assert.ok(uninstall.includes(shq(dir)), `does not remove ${dir}`);
        }
    });

    it("preflight rejects an SSH user that could reach a root shell unquoted", () => {
        assert.throws(() => renderPreflightScript(SITE, { sshUser: "root;id", vms: false, uefi: false, lvm: false, distroIpxe: false }), /not a plain Unix user name/);
    });
});
