/**
 * The pure parts of `npm run machines`: shell quoting and Pulumi value typing of the printed
 * lines, the names and addresses proposed for new machines, consecutive positions for several
 * pending machines, and reading `pulumi config get --json`. The whole command runs against the
 * real service in machinesCli.test.ts.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { configSetLine, enrollLines, nextFreeIp, reenrollLine, shellQuote, suggestName, type StackSiteLayout } from "../infra/admin/enroll";
import { DEFAULT_INSTALL_DISK, enrollBlock, Placer } from "../infra/admin/report";
import { parseEdgeSitesConfig } from "../infra/admin/stack";
import type { PendingView } from "../infra/boot-server/src/admin/views";

const SITE: StackSiteLayout = {
    name: "site-1",
    index: 0,
    machines: [
        { name: "edge-1", mac: "52:54:00:00:02:01", ip: "10.0.20.10", enrollment: 1 },
        { name: "edge-2", mac: "52:54:00:00:02:02", ip: "10.0.20.12", enrollment: 3 },
    ],
    dhcp: { rangeStart: "10.0.20.9", rangeEnd: "10.0.20.14", serverAddress: "10.0.20.11" },
    gatewayCidr: "10.0.20.9/24",
};

const pending = (mac: string, over: Partial<PendingView> = {}): PendingView => ({
    site: "site-1",
    mac,
    arch: "x86_64",
    platform: "efi",
    talosArch: "amd64",
    sourceIp: "10.0.20.99",
    firstSeen: "2026-06-01T08:00:00.000Z",
    lastSeen: "2026-06-01T08:01:00.000Z",
    seenCount: 2,
    ...over,
});

/** What a POSIX shell makes of a line: its words. */
function words(line: string): string[] {
    const r = spawnSync("sh", ["-c", `for w in ${line.replace(/^pulumi config set /, "")}; do printf '%s\\0' "$w"; done`], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split("\0").slice(0, -1);
}

describe("machines CLI: enroll lines", () => {
    it("quotes what a shell would interpret and leaves plain words alone", () => {
        assert.equal(shellQuote("52:54:00:00:02:01"), "52:54:00:00:02:01");
        assert.equal(shellQuote("/dev/disk/by-id/nvme-x+y"), "/dev/disk/by-id/nvme-x+y");
        assert.equal(shellQuote("edgeSites[0].machines[1].name"), "'edgeSites[0].machines[1].name'");
        assert.equal(shellQuote("SN 01/A"), "'SN 01/A'");
        assert.equal(shellQuote("it's"), `'it'"'"'s'`);
        for (const value of ["SN 01/A", "a*b", "$(reboot)", "x;y", "it's", "~root", "a  b"]) {
            assert.deepEqual(words(shellQuote(value)), [value], value);
        }
    });

    it("keeps strings strings: --type string for values Pulumi would read as a number or boolean", () => {
        assert.equal(configSetLine("edgeSites[0].machines[1].serial", "00012345"), "pulumi config set --path 'edgeSites[0].machines[1].serial' --type string 00012345");
        assert.equal(configSetLine("a.b", "true"), "pulumi config set --path a.b --type string true");
        assert.equal(configSetLine("a.b", "1.5"), "pulumi config set --path a.b --type string 1.5");
        assert.equal(configSetLine("a.b", "SN-1"), "pulumi config set --path a.b SN-1");
        assert.equal(configSetLine("a.enrollment", 4, "prod"), "pulumi config set --stack prod --path a.enrollment 4", "numbers stay numbers");
    });

    it("records exactly the identifiers the machine reported, and its arch when not amd64", () => {
        const lines = enrollLines(
            { site: "site-1", mac: "52-54-00-AA-BB-CC", uuid: "7a6b0e2c-1d3f-4c5a-9e8b-000000000901", serial: "0042", talosArch: "arm64" },
            { siteIndex: 2, machineIndex: 5 },
            { name: "rack-1", ip: "10.0.0.5", installDisk: "/dev/sda" },
            "dev",
        );
        assert.deepEqual(lines, [
            "pulumi config set --stack dev --path 'edgeSites[2].machines[5].name' rack-1",
            "pulumi config set --stack dev --path 'edgeSites[2].machines[5].mac' 52:54:00:aa:bb:cc",
            "pulumi config set --stack dev --path 'edgeSites[2].machines[5].ip' 10.0.0.5",
            "pulumi config set --stack dev --path 'edgeSites[2].machines[5].uuid' 7a6b0e2c-1d3f-4c5a-9e8b-000000000901",
            "pulumi config set --stack dev --path 'edgeSites[2].machines[5].serial' --type string 0042",
            "pulumi config set --stack dev --path 'edgeSites[2].machines[5].arch' arm64",
            "pulumi config set --stack dev --path 'edgeSites[2].machines[5].installDisk' /dev/sda",
        ]);
        const noIdentity = enrollLines({ site: "s", mac: "52:54:00:aa:bb:cc" }, { siteIndex: 0, machineIndex: 0 }, { name: "m", installDisk: "/dev/sda" });
        assert.deepEqual(noIdentity.map((l) => l.split("'")[1].split(".").at(-1)), ["name", "mac", "ip", "installDisk"]);
        assert.match(noIdentity[2], / <ip>$/, "a placeholder when no address is known");
        assert.equal(reenrollLine({ siteIndex: 1, machineIndex: 0 }, 3), "pulumi config set --path 'edgeSites[1].machines[0].enrollment' 4");
    });

    it("proposes a DNS-label name from the site and the MAC's last three octets, avoiding names in use", () => {
        assert.equal(suggestName("site-1", "52:54:00:0A:0B:0C", new Set()), "site-1-0a0b0c");
        assert.equal(suggestName("site-1", "52:54:00:0a:0b:0c", new Set(["site-1-0a0b0c"])), "site-1-0a0b0c-2");
        const long = suggestName("s".repeat(63), "52:54:00:0a:0b:0c", new Set());
        assert.ok(long.length <= 63 && long.endsWith("-0a0b0c"), long);
    });

    it("picks the first address of the DHCP range that is no lease, DHCP server or gateway", () => {
        assert.equal(nextFreeIp(SITE), "10.0.20.13", ".9 gateway, .10 and .12 leased, .11 the server");
        assert.equal(nextFreeIp(SITE, new Set(["10.0.20.13"])), "10.0.20.14");
        assert.equal(nextFreeIp(SITE, new Set(["10.0.20.13", "10.0.20.14"])), undefined, "range full");
        assert.equal(nextFreeIp({ ...SITE, dhcp: undefined }), undefined);
    });

    it("places several pending machines one after another, and none already in the stack config", () => {
        const placer = new Placer([{ name: "site-1", index: 0, machineCount: 2 }], [SITE]);
        const first = enrollBlock(pending("52:54:00:00:09:01"), placer, {});
        const second = enrollBlock(pending("52:54:00:00:09:02", { serial: "S 2" }), placer, {});
        assert.match(first, /edgeSites\[0\]\.machines\[2\]\.ip' 10\.0\.20\.13$/m);
        assert.match(second, /edgeSites\[0\]\.machines\[3\]\.ip' 10\.0\.20\.14$/m);
        assert.match(second, /machines\[3\]\.serial' 'S 2'$/m);
        assert.match(first, new RegExp(`installDisk' ${DEFAULT_INSTALL_DISK}$`, "m"));
        assert.match(first, /--install-disk to choose another/);
        const listed = enrollBlock(pending("52:54:00:00:02:02"), placer, {});
        assert.equal(listed, "# 52:54:00:00:02:02 is already in the stack config as edge-2 (edgeSites[0].machines[1]): run pulumi up to deploy it");
        const elsewhere = enrollBlock(pending("52:54:00:00:09:03", { site: "site-9" }), placer, {});
        assert.match(elsewhere, /no lines: site site-9 is not in the stack config's edgeSites/);
    });

    it("reads `pulumi config get --json` for structured config, from objectValue or value", () => {
        const sites = [{ name: "a", machines: [{ name: "m", mac: "52-54-00-AA-BB-CC", ip: "10.0.0.2", enrollment: 2 }], dhcp: { rangeStart: "10.0.0.10", rangeEnd: "10.0.0.20", serverAddress: "10.0.0.2" }, bridge: { gatewayCidr: "10.0.0.1/24" } }];
        const expected: StackSiteLayout[] = [
            { name: "a", index: 0, machines: [{ name: "m", mac: "52:54:00:aa:bb:cc", ip: "10.0.0.2", enrollment: 2 }], dhcp: { rangeStart: "10.0.0.10", rangeEnd: "10.0.0.20", serverAddress: "10.0.0.2" }, gatewayCidr: "10.0.0.1/24" },
        ];
        assert.deepEqual(parseEdgeSitesConfig(JSON.stringify({ value: JSON.stringify(sites), objectValue: sites, secret: false })), expected);
        assert.deepEqual(parseEdgeSitesConfig(JSON.stringify({ value: JSON.stringify(sites), secret: false })), expected);
        assert.throws(() => parseEdgeSitesConfig("not json"), /talos-cloud-edge:edgeSites: the Pulumi CLI's answer is not the JSON of a list of sites/);
        assert.throws(() => parseEdgeSitesConfig(JSON.stringify({ value: "{}" })), /is not a list of sites/);
    });
});
