/**
 * The edge-host renderers, checked by the tools that will consume their output: dnsmasq
 * (`--test`, and a real DHCP exchange in network namespaces), `systemd-analyze verify`,
 * `bash -n` + shellcheck, `nft -c`, xsltproc + virt-xml-validate. Each validator is also shown
 * rejecting a deliberately broken file, so a passing check means it really ran.
 *
 * Needs root and the apt packages in scripts/apt-packages.txt (dnsmasq-base, systemd,
 * shellcheck, nftables, xsltproc, libvirt-clients, libxml2-utils, busybox-static, iproute2).
 */
import * as assert from "node:assert/strict";
import { spawn, spawnSync, SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    DnsmasqOptions,
    EdgeNetworkSite,
    IPXE_USER_CLASS,
    edgeHostPaths,
    remoteBashCommand,
    renderDnsmasqConf,
    renderDnsmasqUnit,
    renderDomainXmlPreview,
    renderEdgeVmXslt,
    renderInstallScript,
    renderLvCreateScript,
    renderLvRemoveScript,
    renderNatRuleset,
    renderNetworkSetupScript,
    renderNetworkTeardownScript,
    renderNetworkUnit,
    renderPreflightScript,
    renderUninstallScript,
    shq,
} from "../../infra/edge-host/render";

const TOKEN = "s3cr3tSiteToken0123456789abcdefABCDEF";
const BOOT_URL = `https://talos-boot-abc123xyz-ew.a.run.app/v1/sites/site-1/boot.ipxe?token=${TOKEN}`;

/** The seed's site: bridge setup02-edge at 10.0.20.1/24, dnsmasq at 10.0.20.2, range .10-.200. */
const SITE: EdgeNetworkSite = {
    name: "site-1",
    bridge: { name: "setup02-edge", gatewayCidr: "10.0.20.1/24", subnetCidr: "10.0.20.0/24", gateway: "10.0.20.1", prefixLength: 24, mtu: 1500 },
    dhcp: { serverAddress: "10.0.20.2" },
    host: { uplinkInterface: "eno1" },
};

function dnsmasqOptions(overrides: Partial<DnsmasqOptions> = {}): DnsmasqOptions {
    return {
        interface: "setup02-edge",
        listenAddress: "10.0.20.2",
        gateway: "10.0.20.1",
        prefixLength: 24,
        rangeStart: "10.0.20.10",
        rangeEnd: "10.0.20.200",
        leaseTime: "1h",
        dnsServers: ["1.1.1.1", "8.8.8.8"],
        mtu: 1500,
        hosts: [{ mac: "52:54:00:00:02:01", ip: "10.0.20.10", hostname: "talos-edge-1" }],
        bootUrl: BOOT_URL,
        tftpRoot: "/var/lib/talos-edge/sites/site-1/tftp",
        leaseFile: "/var/lib/talos-edge/sites/site-1/dnsmasq.leases",
        ...overrides,
    };
}

const tmpDirs: string[] = [];
function tmpDir(): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "edge-render-"));
    tmpDirs.push(d);
    return d;
}
after(() => {
    for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
    const r = spawnSync(cmd, args, { encoding: "utf8", input: opts.input, timeout: opts.timeoutMs ?? 30_000 });
    if (r.error) {
        throw new Error(`${cmd} could not run (${r.error.message}); install the packages in scripts/apt-packages.txt`);
    }
    return r;
}

function writeFile(dir: string, name: string, text: string, mode = 0o644): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text, { mode });
    return file;
}

function dnsmasqTest(text: string): SpawnSyncReturns<string> {
    return run("dnsmasq", ["--test", `--conf-file=${writeFile(tmpDir(), "dnsmasq.conf", text)}`]);
}

/** shellcheck at its strictest severity plus bash's own parser; returns all output (empty = clean). */
function checkScript(text: string): string {
    const file = writeFile(tmpDir(), "script.sh", text, 0o755);
    const parse = run("bash", ["-n", file]);
    const lint = run("shellcheck", ["--severity=style", "--shell=bash", file]);
    return `${parse.stdout}${parse.stderr}${lint.stdout}${lint.stderr}`.trim();
}

describe("edge-host renderers", () => {
    describe("renderDnsmasqConf", () => {
        const conf = renderDnsmasqConf(dnsmasqOptions());
        const lines = conf.split("\n");

        it("serves DHCP and TFTP only, on one interface, with the site's options", () => {
            for (const line of [
                "port=0",
                "interface=setup02-edge",
                "bind-interfaces",
                "listen-address=10.0.20.2",
                "dhcp-authoritative",
                "dhcp-range=10.0.20.10,10.0.20.200,255.255.255.0,1h",
                "dhcp-option=option:router,10.0.20.1",
                "dhcp-option=option:dns-server,1.1.1.1,8.8.8.8",
                "dhcp-option=option:mtu,1500",
                "enable-tftp",
                "tftp-root=/var/lib/talos-edge/sites/site-1/tftp",
                "dhcp-leasefile=/var/lib/talos-edge/sites/site-1/dnsmasq.leases",
                "log-facility=-",
            ]) {
                assert.ok(lines.includes(line), `missing line ${line}`);
            }
        });

        it("has one infinite static lease per machine", () => {
            assert.deepEqual(
                lines.filter((l) => l.startsWith("dhcp-host=")),
                ["dhcp-host=52:54:00:00:02:01,10.0.20.10,talos-edge-1,infinite"],
            );
        });

        it("sends firmware PXE an iPXE binary by client-arch and iPXE the boot URL", () => {
            for (const line of [
                "dhcp-match=set:ipxe,175",
                "dhcp-match=set:efi-x86_64,option:client-arch,7",
                "dhcp-match=set:efi-x86_64,option:client-arch,9",
                "dhcp-match=set:efi-arm64,option:client-arch,11",
                "dhcp-boot=tag:!ipxe,tag:efi-x86_64,ipxe.efi,,10.0.20.2",
                "dhcp-boot=tag:!ipxe,tag:efi-arm64,ipxe-arm64.efi,,10.0.20.2",
                "dhcp-boot=tag:!ipxe,tag:!efi-x86_64,tag:!efi-arm64,undionly.kpxe,,10.0.20.2",
                `dhcp-boot=tag:ipxe,${BOOT_URL}`,
                "dhcp-option=tag:ipxe,encap:175,176,1",
            ]) {
                assert.ok(lines.includes(line), `missing line ${line}`);
            }
            assert.ok(!lines.includes("log-dhcp"), "log-dhcp is off by default: it would log the boot URL and its token");
            assert.ok(!conf.includes("enable-ra"));
        });

        it("with a user class, hands the boot URL only to our iPXE build and TFTPs it to everything else", () => {
            const ours = renderDnsmasqConf(dnsmasqOptions({ ipxeUserClass: IPXE_USER_CLASS })).split("\n");
            for (const line of [
                `dhcp-userclass=set:talos-ipxe,${IPXE_USER_CLASS}`,
                "dhcp-boot=tag:!talos-ipxe,tag:efi-x86_64,ipxe.efi,,10.0.20.2",
                "dhcp-boot=tag:!talos-ipxe,tag:!efi-x86_64,tag:!efi-arm64,undionly.kpxe,,10.0.20.2",
                `dhcp-boot=tag:talos-ipxe,${BOOT_URL}`,
            ]) {
                assert.ok(ours.includes(line), `missing line ${line}`);
            }
            assert.ok(!ours.includes(`dhcp-boot=tag:ipxe,${BOOT_URL}`));
        });

        it("passes dnsmasq --test, with and without the optional parts", () => {
            for (const text of [
                conf,
                renderDnsmasqConf(dnsmasqOptions({ ipv6RaPrefix: "fd77::", logDhcp: true, pidFile: "/run/x/dnsmasq.pid", ipxeUserClass: IPXE_USER_CLASS })),
                renderDnsmasqConf(dnsmasqOptions({ dnsServers: [], mtu: undefined, hosts: [], skipProxyDhcpWait: false })),
            ]) {
                const r = dnsmasqTest(text);
                assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
                assert.match(r.stderr + r.stdout, /syntax check OK/);
            }
        });

        it("dnsmasq --test really checks: a broken line fails", () => {
            const r = dnsmasqTest(`${conf}dhcp-rnage=10.0.20.10,10.0.20.20\n`);
            assert.notEqual(r.status, 0);
            assert.match(r.stderr, /bad option at line/);
        });

        it("adds router advertisements without a default route when asked", () => {
            const ra = renderDnsmasqConf(dnsmasqOptions({ ipv6RaPrefix: "fd77::" })).split("\n");
            for (const line of ["enable-ra", "dhcp-range=fd77::,ra-only", "ra-param=setup02-edge,0,0"]) {
                assert.ok(ra.includes(line), `missing line ${line}`);
            }
        });

        it("accepts a netmask instead of a prefix length, and rejects a disagreeing pair", () => {
            const viaMask = renderDnsmasqConf(dnsmasqOptions({ prefixLength: undefined, netmask: "255.255.255.0" }));
            assert.equal(viaMask, conf);
            assert.throws(() => renderDnsmasqConf(dnsmasqOptions({ netmask: "255.255.0.0" })), /netmask 255.255.0.0 does not match prefixLength 24/);
            assert.throws(() => renderDnsmasqConf(dnsmasqOptions({ prefixLength: undefined })), /neither prefixLength nor netmask/);
        });

        it("normalises MACs to lower-case colon form", () => {
            const text = renderDnsmasqConf(dnsmasqOptions({ hosts: [{ mac: "52-54-00-AB-02-01", ip: "10.0.20.11", hostname: "n1" }] }));
            assert.ok(text.includes("dhcp-host=52:54:00:ab:02:01,10.0.20.11,n1,infinite"));
        });

        it("renders the same text every time (a second `pulumi up` sees no change)", () => {
            assert.equal(renderDnsmasqConf(dnsmasqOptions()), conf);
        });

        describe("rejects input that would break or change the file", () => {
            const host = (h: Partial<DnsmasqOptions["hosts"][number]>) => dnsmasqOptions({ hosts: [{ mac: "52:54:00:00:02:01", ip: "10.0.20.10", hostname: "talos-edge-1", ...h }] });
            const cases: [string, DnsmasqOptions, RegExp][] = [
                ["a newline in a hostname (injection)", host({ hostname: "talos-edge-1\ndhcp-range=10.0.20.2,10.0.20.3" }), /hosts\[0\]\.hostname is not a DNS label/],
                ["a comma in a hostname", host({ hostname: "a,b" }), /hosts\[0\]\.hostname is not a DNS label/],
                ["a malformed MAC", host({ mac: "52:54:00:00:02" }), /hosts\[0\]\.mac is not a MAC address/],
                ["a multicast MAC", host({ mac: "01:00:5e:00:00:01" }), /multicast MAC/],
                ["an address dnsmasq would read as a hostname", host({ ip: "10.0.20.999" }), /hosts\[0\]\.ip is not an IPv4 address/],
                ["a static address outside the subnet", host({ ip: "10.0.21.10" }), /10.0.21.10 is not a host address in 10.0.20.0\/24/],
                ["a static lease on the gateway", host({ ip: "10.0.20.1" }), /is the gateway or the DHCP server address/],
                ["a reversed range (dnsmasq accepts it)", dnsmasqOptions({ rangeStart: "10.0.20.200", rangeEnd: "10.0.20.10" }), /starts at 10.0.20.200, after its end 10.0.20.10; swap/],
                ["a range over the DHCP server", dnsmasqOptions({ rangeStart: "10.0.20.2" }), /contains the listenAddress 10.0.20.2/],
                ["a bad lease time", dnsmasqOptions({ leaseTime: "1h\nport=53" }), /leaseTime is not a dnsmasq lease time/],
                ["a newline in the interface", dnsmasqOptions({ interface: "br0\nport=53" }), /interface is not a usable interface name/],
                ["a relative TFTP root", dnsmasqOptions({ tftpRoot: "tftp" }), /tftpRoot is not a plain absolute path/],
                ["a path in a TFTP file name", dnsmasqOptions({ ipxeEfi: "../ipxe.efi" }), /ipxeEfi is not a plain file name/],
                ["a duplicate MAC", dnsmasqOptions({ hosts: [{ mac: "52:54:00:00:02:01", ip: "10.0.20.10", hostname: "a" }, { mac: "52:54:00:00:02:01", ip: "10.0.20.11", hostname: "b" }] }), /52:54:00:00:02:01 is also used by a/],
                ["a duplicate address", dnsmasqOptions({ hosts: [{ mac: "52:54:00:00:02:01", ip: "10.0.20.10", hostname: "a" }, { mac: "52:54:00:00:02:02", ip: "10.0.20.10", hostname: "b" }] }), /10.0.20.10 is also used by a/],
                ["a user class with a comma", dnsmasqOptions({ ipxeUserClass: "a,b" }), /ipxeUserClass is not a plain user class/],
            ];
            for (const [label, opts, message] of cases) {
                it(label, () => assert.throws(() => renderDnsmasqConf(opts), message));
            }

            it("a reversed range really slips through dnsmasq --test (why the renderer checks)", () => {
                const reversed = conf.replace("dhcp-range=10.0.20.10,10.0.20.200", "dhcp-range=10.0.20.200,10.0.20.10");
                assert.equal(dnsmasqTest(reversed).status, 0);
            });

            it("boot URL problems are reported without the URL or its token", () => {
                for (const [bootUrl, message] of [
                    [`${BOOT_URL},x`, /contains ',' at position/],
                    [`${BOOT_URL}\ndhcp-range=1.2.3.4,1.2.3.5`, /contains character code 10/],
                    [`${BOOT_URL}"`, /contains '"'/],
                    [`${BOOT_URL}&pad=${"a".repeat(200)}`, /characters long/],
                    [`ftp://x/${TOKEN}`, /must be an http:\/\/ or https:\/\/ URL/],
                ] as const) {
                    assert.throws(
                        () => renderDnsmasqConf(dnsmasqOptions({ bootUrl })),
                        (e: Error) => message.test(e.message) && !e.message.includes(TOKEN),
                    );
                }
            });
        });
    });

    describe("systemd units", () => {
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

    describe("scripts", () => {
        const scripts: [string, string][] = [
            ["network setup", renderNetworkSetupScript(SITE)],
            ["network teardown", renderNetworkTeardownScript(SITE)],
            ["install (distribution iPXE)", renderInstallScript(SITE, { customIpxe: false })],
            ["install (custom iPXE)", renderInstallScript(SITE, { customIpxe: true })],
            ["uninstall", renderUninstallScript(SITE)],
            ["preflight", renderPreflightScript(SITE, { sshUser: "ops", vms: true, uefi: true, lvm: true, distroIpxe: true })],
            ["LVM create", renderLvCreateScript({ volumeGroup: "vg-talos-setup02", name: "talos-edge-1", sizeGiB: 20 })],
            ["LVM remove", renderLvRemoveScript({ volumeGroup: "vg-talos-setup02", name: "talos-edge-1" })],
        ];
        for (const [label, text] of scripts) {
            it(`${label}: bash -n and shellcheck are silent, strict mode is on`, () => {
                assert.equal(checkScript(text), "");
                assert.match(text, /^#!\/bin\/bash\n/);
                assert.match(text, /^set -euo pipefail$/m);
            });
        }

        it("shellcheck really checks: an unquoted expansion is reported", () => {
            assert.match(checkScript("#!/bin/bash\nrm -rf $1/tmp\n"), /SC2086/);
        });

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

        it("rejects site values that could reach a root shell unquoted", () => {
            assert.throws(() => renderNetworkSetupScript({ ...SITE, host: { uplinkInterface: "eno1; rm -rf /" } }), /host\.uplinkInterface is not a usable interface name/);
            assert.throws(() => renderNetworkSetupScript({ ...SITE, bridge: { ...SITE.bridge, name: "a-bridge-name-too-long" } }), /bridge\.name is not a usable interface name/);
            assert.throws(() => renderNetworkSetupScript({ ...SITE, name: "Site_1" }), /edge site name is not a DNS label/);
            assert.throws(() => renderNetworkSetupScript({ ...SITE, dhcp: { serverAddress: "10.0.20.1" } }), /equals the gateway/);
            assert.throws(() => renderNetworkSetupScript({ ...SITE, bridge: { ...SITE.bridge, subnetCidr: "10.0.0.0/16" } }), /is not the subnet of 10.0.20.1\/24/);
            assert.throws(() => renderPreflightScript(SITE, { sshUser: "root;id", vms: false, uefi: false, lvm: false, distroIpxe: false }), /not a plain Unix user name/);
            assert.throws(() => renderLvCreateScript({ volumeGroup: "vg talos", name: "x", sizeGiB: 20 }), /LVM volume group is not a valid name/);
        });

        it("shq survives bash with quotes and expansions in the value", () => {
            const value = `it's $HOME and \`id\` "x"`;
            const r = run("bash", ["-c", `printf %s ${shq(value)}`]);
            assert.equal(r.stdout, value);
        });

        describe("remoteBashCommand", () => {
            const script = '#!/bin/bash\nset -euo pipefail\nread -r line || line=none\necho "stdin:$line"\necho "$HOME-\'q\'"\necho done\n';

            it("runs the script intact under a POSIX login shell, and stdin cannot swallow it", () => {
                const cmd = remoteBashCommand(script, { sshUser: "root", comment: "content sha256 abc" });
                assert.match(cmd, /^# content sha256 abc\nbash -c /);
                const r = run("dash", ["-c", cmd], { input: "from-ssh\n" });
                assert.equal(r.status, 0, r.stderr);
                assert.equal(r.stdout, `stdin:from-ssh\n${process.env.HOME}-'q'\ndone\n`);
            });

            it("goes through sudo -n for other users", () => {
                assert.match(remoteBashCommand(script, { sshUser: "ops" }), /^sudo -n bash -c /);
            });

            it("refuses a script that would end the here-document and a multi-line comment", () => {
                assert.throws(() => remoteBashCommand("echo\nTALOS_EDGE_SCRIPT_EOF\nid\n", { sshUser: "root" }), /would end the here-document/);
                assert.throws(() => remoteBashCommand("echo", { sshUser: "root", comment: "a\nid" }), /line break/);
            });
        });
    });

    describe("libvirt domain XML", () => {
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

    describe("dnsmasq serving the rendered config (network namespaces)", function () {
        this.timeout(120_000);
        const id = `${process.pid % 100000}`;
        const serverNs = `te-srv-${id}`;
        const clientNs = `te-cli-${id}`;
        const serverIf = `tesrv${id}`.slice(0, 15);
        const clientIf = `tecli${id}`.slice(0, 15);
        const knownMac = "52:54:00:00:02:01";
        let work: string;

        before(() => {
            assert.equal(process.getuid?.(), 0, "this suite creates network namespaces: run it as root");
            work = tmpDir();
            // dnsmasq checks the TFTP root after dropping root, as its own user (the host's is 0755 too).
            fs.chmodSync(work, 0o755);
            const steps: string[][] = [
                ["netns", "add", serverNs],
                ["netns", "add", clientNs],
                ["link", "add", serverIf, "netns", serverNs, "type", "veth", "peer", "name", clientIf, "netns", clientNs],
                ["-n", serverNs, "addr", "add", "10.0.20.2/24", "dev", serverIf],
                ["-n", serverNs, "link", "set", serverIf, "up"],
                ["-n", clientNs, "link", "set", clientIf, "up"],
            ];
            for (const step of steps) {
                const r = run("ip", step);
                assert.equal(r.status, 0, `ip ${step.join(" ")}: ${r.stderr}`);
            }
            writeFile(work, "report.sh", '#!/bin/sh\n[ "$1" = bound ] && env | grep -E "^(ip|hostname|bootfile|boot_file|siaddr|router|dns|mtu)=" | sort\nexit 0\n', 0o755);
        });

        after(() => {
            run("ip", ["netns", "del", clientNs]);
            run("ip", ["netns", "del", serverNs]);
        });

        /** Starts dnsmasq in the server namespace with `conf`, runs `fn`, stops it. */
        async function withDnsmasq(conf: string, fn: () => void): Promise<void> {
            const file = writeFile(work, "dnsmasq.conf", conf, 0o600);
            const proc = spawn("ip", ["netns", "exec", serverNs, "dnsmasq", "--keep-in-foreground", `--conf-file=${file}`], { stdio: ["ignore", "pipe", "pipe"] });
            let log = "";
            proc.stdout.on("data", (b) => (log += b));
            proc.stderr.on("data", (b) => (log += b));
            const exited = new Promise<void>((resolve) => proc.on("exit", () => resolve()));
            try {
                const deadline = Date.now() + 10_000;
                while (!/sockets bound exclusively/.test(log)) {
                    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`dnsmasq did not start:\n${log}`);
                    await new Promise((r) => setTimeout(r, 50));
                }
                fn();
            } finally {
                proc.kill("SIGTERM");
                await exited;
            }
        }

        /**
         * One DHCP exchange as a client with `mac` sending `options` (hex option codes to hex values).
         * Broadcast replies (-B): after the client's MAC changes, unicast offers do not reach it.
         */
        function dhcp(mac: string, options: Record<string, string> = {}): Record<string, string> {
            assert.equal(run("ip", ["-n", clientNs, "link", "set", clientIf, "address", mac]).status, 0);
            const extra = Object.entries(options).flatMap(([code, value]) => ["-x", `${code}:${value}`]);
            const r = run(
                "ip",
                ["netns", "exec", clientNs, "busybox", "udhcpc", "-i", clientIf, "-f", "-q", "-n", "-t", "3", "-T", "1", "-O", "bootfile", "-O", "mtu", "-B", "-s", path.join(work, "report.sh"), ...extra],
                { timeoutMs: 20_000 },
            );
            assert.equal(r.status, 0, `udhcpc got no lease:\n${r.stdout}${r.stderr}`);
            return Object.fromEntries(
                r.stdout
                    .split("\n")
                    .filter((l) => /^[a-z_]+=/.test(l))
                    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
            );
        }

        const hex = (s: string) => Buffer.from(s).toString("hex");
        const IPXE = { "0xaf": "b10101" };
        const EFI_X64 = { "0x5d": "0007" };
        const EFI_ARM64 = { "0x5d": "000b" };
        const OUR_CLASS = { "0x4d": hex(IPXE_USER_CLASS) };
        const confFor = (overrides: Partial<DnsmasqOptions>) =>
            renderDnsmasqConf(dnsmasqOptions({ interface: serverIf, tftpRoot: work, leaseFile: path.join(work, "leases"), pidFile: path.join(work, "dnsmasq.pid"), ...overrides }));

        it("with our iPXE's user class: static lease, per-firmware binaries, the URL only for our build", async () => {
            await withDnsmasq(confFor({ ipxeUserClass: IPXE_USER_CLASS }), () => {
                const bios = dhcp(knownMac);
                assert.deepEqual(
                    { ip: bios.ip, hostname: bios.hostname, router: bios.router, dns: bios.dns, mtu: bios.mtu, siaddr: bios.siaddr, bootfile: bios.bootfile },
                    { ip: "10.0.20.10", hostname: "talos-edge-1", router: "10.0.20.1", dns: "1.1.1.1 8.8.8.8", mtu: "1500", siaddr: "10.0.20.2", bootfile: "undionly.kpxe" },
                );
                assert.equal(dhcp(knownMac, EFI_X64).bootfile, "ipxe.efi");
                assert.equal(dhcp(knownMac, EFI_ARM64).bootfile, "ipxe-arm64.efi");
                assert.equal(dhcp(knownMac, { ...IPXE, ...EFI_X64 }).bootfile, "ipxe.efi", "stock iPXE loads our build first");
                assert.equal(dhcp(knownMac, { ...IPXE, ...EFI_X64, ...OUR_CLASS }).bootfile, BOOT_URL);
                const unknown = dhcp("52:54:00:00:09:99");
                assert.match(unknown.ip, /^10\.0\.20\.(1[1-9]|[2-9]\d|1\d\d|200)$/);
                assert.equal(unknown.hostname, undefined);
            });
        });

        it("without a user class (stock iPXE, as in the lab): any iPXE gets the URL", async () => {
            await withDnsmasq(confFor({}), () => {
                assert.equal(dhcp(knownMac, { ...IPXE, ...EFI_X64 }).bootfile, BOOT_URL);
                assert.equal(dhcp(knownMac, EFI_X64).bootfile, "ipxe.efi");
            });
        });
    });
});
