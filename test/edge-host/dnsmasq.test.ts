/**
 * The dnsmasq config, checked by dnsmasq itself: `dnsmasq --test` on every variant, and a real
 * DHCP exchange against the rendered config in two network namespaces (busybox `udhcpc` as BIOS,
 * UEFI, arm64, stock iPXE and our iPXE). Needs root and the packages listed in ./helpers.ts.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { DnsmasqOptions, IPXE_USER_CLASS, renderDnsmasqConf } from "../../infra/edge-host/dnsmasq";
import { GOOGLE_RUN_APP_TRUST } from "../../lib/ipxe/googleTrust";
import { BOOT_URL, TOKEN, dnsmasqOptions, dnsmasqTest, removeTmpDirs, run, tmpDir, writeFile } from "./helpers";

describe("edge-host dnsmasq config", () => {
    after(removeTmpDirs);

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

        it("pins the boot URL's roots and names the site's root directory, forced for clients that do not ask", () => {
            const fps = GOOGLE_RUN_APP_TRUST.fingerprints;
            const pinned = renderDnsmasqConf(dnsmasqOptions({ ipxeTrust: { fingerprints: fps, crossCertDir: "ipxe-roots" } })).split("\n");
            const line90 = pinned.find((l) => l.startsWith("dhcp-option-force=encap:175,90,"));
            assert.ok(line90, "no forced option 175.90");
            // 32 bytes per fingerprint, in pin order, as colon-separated hex.
            assert.equal(line90.slice("dhcp-option-force=encap:175,90,".length).replace(/:/g, ""), fps.join(""));
            assert.ok(pinned.includes("dhcp-option-force=encap:175,93,tftp://10.0.20.2/ipxe-roots"));
            // Written as openssl prints them, the same fingerprints give the same line.
            const upper = fps.map((f) => f.toUpperCase().match(/../g)!.join(":"));
            assert.ok(renderDnsmasqConf(dnsmasqOptions({ ipxeTrust: { fingerprints: upper } })).split("\n").includes(line90));
            assert.ok(!renderDnsmasqConf(dnsmasqOptions({ ipxeTrust: { fingerprints: upper } })).includes("175,93"), "no crossCertDir, no 175.93");
            assert.ok(!conf.includes("175,90"), "no trust given, nothing pinned");
        });

        it("announces the user class to every client when asked, and only with a class to announce", () => {
            const announced = renderDnsmasqConf(dnsmasqOptions({ ipxeUserClass: IPXE_USER_CLASS, announceUserClass: true })).split("\n");
            assert.ok(announced.includes(`dhcp-option-force=77,${IPXE_USER_CLASS}`));
            assert.ok(announced.includes(`dhcp-boot=tag:talos-ipxe,${BOOT_URL}`));
            assert.ok(!renderDnsmasqConf(dnsmasqOptions({ ipxeUserClass: IPXE_USER_CLASS })).includes("dhcp-option-force=77"));
            assert.throws(() => renderDnsmasqConf(dnsmasqOptions({ announceUserClass: true })), /announceUserClass is set without ipxeUserClass/);
        });

        it("refuses trust it cannot send: no fingerprint, a malformed one, more than option 175 holds", () => {
            assert.throws(() => renderDnsmasqConf(dnsmasqOptions({ ipxeTrust: { fingerprints: [] } })), /ipxeTrust.fingerprints is empty/);
            assert.throws(() => renderDnsmasqConf(dnsmasqOptions({ ipxeTrust: { fingerprints: ["D9:47:43"] } })), /fingerprints\[0\]: "D9:47:43" is not a SHA-256 fingerprint/);
            const eight = Array.from({ length: 8 }, (_, i) => i.toString(16).repeat(64));
            assert.throws(() => renderDnsmasqConf(dnsmasqOptions({ ipxeTrust: { fingerprints: eight } })), /needs 261 bytes of DHCP option 175 \(8 fingerprints\), which holds 255/);
            assert.throws(() => renderDnsmasqConf(dnsmasqOptions({ ipxeTrust: { fingerprints: eight.slice(0, 1), crossCertDir: "../etc" } })), /crossCertDir is not a plain file name/);
        });

        it("passes dnsmasq --test, with and without the optional parts", () => {
            for (const text of [
                conf,
                renderDnsmasqConf(
                    dnsmasqOptions({ ipxeUserClass: IPXE_USER_CLASS, announceUserClass: true, ipxeTrust: { fingerprints: GOOGLE_RUN_APP_TRUST.fingerprints, crossCertDir: "ipxe-roots" } }),
                ),
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
                ["a MAC with mixed separators", host({ mac: "52-54:00:00:02:01" }), /hosts\[0\]\.mac is not a MAC address/],
                ["a MAC with surrounding whitespace", host({ mac: " 52:54:00:00:02:01" }), /hosts\[0\]\.mac is not a MAC address/],
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
            writeFile(work, "report.sh", '#!/bin/sh\n[ "$1" = bound ] && env | grep -E "^(ip|hostname|bootfile|boot_file|siaddr|router|dns|mtu|opt[0-9]+)=" | sort\nexit 0\n', 0o755);
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
                ["netns", "exec", clientNs, "busybox", "udhcpc", "-i", clientIf, "-f", "-q", "-n", "-t", "5", "-T", "1", "-O", "bootfile", "-O", "mtu", "-B", "-s", path.join(work, "report.sh"), ...extra],
                { timeoutMs: 20_000 },
            );
            assert.equal(r.status, 0, `udhcpc got no lease:\n${r.stdout}${r.stderr}`);
            return Object.fromEntries(
                r.stdout
                    .split("\n")
                    .filter((l) => /^[a-z_0-9]+=/.test(l))
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

        it("as a site serves Debian's iPXE: the firmware's answer carries the pin, the roots' URL and the user class it never asked for", async () => {
            const conf = confFor({ ipxeUserClass: IPXE_USER_CLASS, announceUserClass: true, ipxeEfi: "snponly.efi", ipxeTrust: { fingerprints: GOOGLE_RUN_APP_TRUST.fingerprints, crossCertDir: "ipxe-roots" } });
            await withDnsmasq(conf, () => {
                // Firmware PXE: asks for neither 175 nor 77 (udhcpc's default request list).
                const firmware = dhcp(knownMac, EFI_X64);
                assert.equal(firmware.bootfile, "snponly.efi");
                const opt175 = Buffer.from(firmware.opt175 ?? "", "hex");
                const sub = new Map<number, Buffer>();
                for (let i = 0; i + 2 <= opt175.length; i += 2 + opt175[i + 1]) sub.set(opt175[i], opt175.subarray(i + 2, i + 2 + opt175[i + 1]));
                assert.equal(sub.get(90)?.toString("hex"), GOOGLE_RUN_APP_TRUST.fingerprints.join(""), "175.90 = the pinned fingerprints");
                assert.equal(sub.get(93)?.toString(), "tftp://10.0.20.2/ipxe-roots");
                assert.equal(Buffer.from(firmware.opt77 ?? "", "hex").toString(), IPXE_USER_CLASS);
                // iPXE loaded from TFTP announces the class it found there, and gets the URL.
                assert.equal(dhcp(knownMac, { ...IPXE, ...EFI_X64 }).bootfile, "snponly.efi", "an option ROM's iPXE loads the site's first");
                assert.equal(dhcp(knownMac, { ...IPXE, ...EFI_X64, ...OUR_CLASS }).bootfile, BOOT_URL);
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
