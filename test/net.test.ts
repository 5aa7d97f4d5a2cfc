import * as assert from "assert";
import {
    cidrContains,
    cidrSize,
    cidrsOverlap,
    formatCidr,
    formatIp,
    formatIPv4,
    hasHostBits,
    isDnsLabel,
    isHostname,
    isMulticastMac,
    normaliseMac,
    parseCidr,
    parseIp,
    parseIPv4,
    parseIPv4Cidr,
    parseIPv6,
} from "../model/net";

const cidr = (s: string) => {
    const c = parseCidr(s);
    assert.ok(c, `${s} should parse`);
    return c;
};
const ip = (s: string) => {
    const a = parseIp(s);
    assert.ok(a, `${s} should parse`);
    return a;
};

describe("net: IPv4 addresses", () => {
    it("parses dotted quads to integers and back", () => {
        assert.strictEqual(parseIPv4("10.0.20.1"), 0x0a001401n);
        assert.strictEqual(parseIPv4("255.255.255.255"), 0xffffffffn);
        assert.strictEqual(parseIPv4("0.0.0.0"), 0n);
        assert.strictEqual(formatIPv4(0x0a001401n), "10.0.20.1");
    });

    it("rejects malformed addresses, including octal-looking leading zeros", () => {
        for (const bad of ["10.0.20", "10.0.20.256", "10.0.020.1", "1.2.3.4.5", "a.b.c.d", " 10.0.0.1", "10.0.0.1/24", ""]) {
            assert.strictEqual(parseIPv4(bad), undefined, bad);
        }
    });
});

describe("net: IPv6 addresses", () => {
    it("expands :: and embedded IPv4 tails", () => {
        assert.strictEqual(parseIPv6("::1"), 1n);
        assert.strictEqual(parseIPv6("fd7a:115c:a1e0::"), 0xfd7a115ca1e0n << 80n);
        assert.strictEqual(parseIPv6("::ffff:192.0.2.1"), (0xffffn << 32n) | 0xc0000201n);
        assert.strictEqual(parseIPv6("1:2:3:4:5:6:7:8"), 0x00010002000300040005000600070008n);
    });

    it("rejects malformed addresses and zone indexes", () => {
        for (const bad of ["1::2::3", "12345::", "fe80::1%eth0", "1:2:3:4:5:6:7:8:9", "::g"]) {
            assert.strictEqual(parseIPv6(bad), undefined, bad);
        }
    });

    it("formats with the longest zero run compressed", () => {
        assert.strictEqual(formatIp(6, parseIPv6("2001:db8:0:0:1:0:0:1")!), "2001:db8::1:0:0:1");
        assert.strictEqual(formatIp(6, 0n), "::");
        assert.strictEqual(formatIp(6, parseIPv6("fd7a:115c:a1e0::")!), "fd7a:115c:a1e0::");
    });

    it("tells the families apart", () => {
        assert.strictEqual(parseIp("10.0.0.1")?.version, 4);
        assert.strictEqual(parseIp("2001:db8::1")?.version, 6);
        assert.strictEqual(parseIp("kvm-host"), undefined);
    });
});

describe("net: CIDRs", () => {
    it("parses the network, last address and prefix", () => {
        const c = cidr("10.0.20.1/24");
        assert.strictEqual(c.prefix, 24);
        assert.strictEqual(formatIPv4(c.network), "10.0.20.0");
        assert.strictEqual(formatIPv4(c.last), "10.0.20.255");
        assert.strictEqual(formatIPv4(c.address), "10.0.20.1");
        assert.strictEqual(formatCidr(c), "10.0.20.0/24");
        assert.strictEqual(cidrSize(c), 256n);
        assert.strictEqual(formatCidr(cidr("fd7a:115c:a1e0::1/48")), "fd7a:115c:a1e0::/48");
    });

    it("rejects missing or out-of-range prefixes", () => {
        for (const bad of ["10.1.0.0/33", "10.1.0.0", "10.1.0.0/", "10.1.0.0/024", "10.1.0.0/24/1", "10.1.0/24", "::/129", "10.1.0.0/-1"]) {
            assert.strictEqual(parseCidr(bad), undefined, bad);
        }
        assert.strictEqual(parseIPv4Cidr("2001:db8::/32"), undefined);
        assert.ok(parseIPv4Cidr("0.0.0.0/0"));
    });

    it("detects host bits", () => {
        assert.strictEqual(hasHostBits(cidr("10.1.0.5/24")), true);
        assert.strictEqual(hasHostBits(cidr("10.1.0.0/24")), false);
        assert.strictEqual(hasHostBits(cidr("10.1.0.5/32")), false);
    });

    it("computes overlap in both directions and at the edges", () => {
        const tailnet = cidr("100.64.0.0/10");
        assert.ok(cidrsOverlap(tailnet, cidr("100.127.255.255/32")));
        assert.ok(!cidrsOverlap(tailnet, cidr("100.128.0.0/16")));
        assert.ok(!cidrsOverlap(tailnet, cidr("100.63.255.0/24")));
        assert.ok(cidrsOverlap(cidr("10.96.0.0/12"), cidr("10.100.0.0/16")));
        assert.ok(cidrsOverlap(cidr("10.100.0.0/16"), cidr("10.96.0.0/12")));
        assert.ok(!cidrsOverlap(cidr("10.0.20.0/24"), cidr("10.0.30.0/24")));
        assert.ok(cidrsOverlap(cidr("0.0.0.0/0"), cidr("192.0.2.0/24")));
        // Different families never overlap.
        assert.ok(!cidrsOverlap(cidr("0.0.0.0/0"), cidr("::/0")));
    });

    it("checks containment", () => {
        const site = cidr("10.0.20.0/24");
        assert.ok(cidrContains(site, ip("10.0.20.0")));
        assert.ok(cidrContains(site, ip("10.0.20.255")));
        assert.ok(!cidrContains(site, ip("10.0.21.0")));
        assert.ok(!cidrContains(site, ip("::ffff:10.0.20.1")));
        assert.ok(cidrContains(cidr("fd7a:115c:a1e0::/48"), ip("fd7a:115c:a1e0:ab12::1")));
    });
});

describe("net: MAC addresses", () => {
    it("normalises colon and hyphen forms in any case to lower-case colons", () => {
        assert.strictEqual(normaliseMac("52:54:00:00:02:01"), "52:54:00:00:02:01");
        assert.strictEqual(normaliseMac("52-54-00-00-02-01"), "52:54:00:00:02:01");
        assert.strictEqual(normaliseMac("52:54:00:AB:cD:eF"), "52:54:00:ab:cd:ef");
    });

    it("rejects malformed and mixed-separator MACs", () => {
        for (const bad of ["52:54:00:00:02", "52:54:00:00:02:01:03", "52:54-00:00:02:01", "525400000201", "52:54:00:00:02:0g", "5:54:00:00:02:01"]) {
            assert.strictEqual(normaliseMac(bad), undefined, bad);
        }
    });

    it("recognises multicast MACs", () => {
        assert.ok(isMulticastMac("01:00:5e:00:00:01"));
        assert.ok(!isMulticastMac("52:54:00:00:02:01"));
    });
});

describe("net: DNS names", () => {
    it("accepts RFC 1123 labels only", () => {
        assert.ok(isDnsLabel("talos-edge-1"));
        assert.ok(isDnsLabel("a"));
        assert.ok(isDnsLabel("a".repeat(63)));
        for (const bad of ["", "-a", "a-", "Talos", "a_b", "a.b", "a".repeat(64)]) {
            assert.ok(!isDnsLabel(bad), bad);
        }
    });

    it("accepts host names and rejects numeric-looking ones", () => {
        assert.ok(isHostname("kvm-host.example.internal"));
        assert.ok(isHostname("KVM-Host.Example.internal."));
        assert.ok(isHostname("localhost"));
        for (const bad of ["", "kvm_host", "a..b", "10.0.20.300", `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}`]) {
            assert.ok(!isHostname(bad), bad);
        }
    });
});
