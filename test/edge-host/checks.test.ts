/** The validation helpers the edge-host renderers share, over model/net.ts. */
import * as assert from "node:assert/strict";
import { formatIPv4 } from "../../model/net";
import { broadcastOf, checkIPv4, checkMac, netmaskFromPrefix, networkOf, prefixFromNetmask } from "../../infra/edge-host/checks";

describe("edge-host checks", () => {
    it("netmask and prefix length convert both ways for every prefix a site can use", () => {
        assert.equal(formatIPv4(netmaskFromPrefix(24)), "255.255.255.0");
        assert.equal(formatIPv4(netmaskFromPrefix(8)), "255.0.0.0");
        assert.equal(formatIPv4(netmaskFromPrefix(30)), "255.255.255.252");
        for (let p = 8; p <= 30; p++) {
            assert.equal(prefixFromNetmask(formatIPv4(netmaskFromPrefix(p)), "mask"), p);
        }
        assert.equal(prefixFromNetmask("255.255.255.255", "mask"), 32);
    });

    it("rejects a netmask whose one bits are not contiguous, naming the field", () => {
        assert.throws(() => prefixFromNetmask("255.0.255.0", "dnsmasq netmask"), /^Error: dnsmasq netmask is not a contiguous netmask \(got "255.0.255.0"\)/);
        assert.throws(() => prefixFromNetmask("255.255.255.O", "dnsmasq netmask"), /dnsmasq netmask is not an IPv4 address/);
    });

    it("finds the network and broadcast address of a block", () => {
        const ip = checkIPv4("10.0.20.77", "ip");
        assert.equal(formatIPv4(networkOf(ip, 24)), "10.0.20.0");
        assert.equal(formatIPv4(broadcastOf(networkOf(ip, 24), 24)), "10.0.20.255");
        assert.equal(formatIPv4(networkOf(ip, 26)), "10.0.20.64");
        assert.equal(formatIPv4(broadcastOf(networkOf(ip, 26), 26)), "10.0.20.127");
    });

    it("accepts IPv4 addresses without leading zeros only", () => {
        assert.equal(checkIPv4("255.255.255.255", "ip"), 0xffffffffn);
        for (const bad of ["010.0.0.1", "1.2.3", "1.2.3.256", " 1.2.3.4"]) {
            assert.throws(() => checkIPv4(bad, "gw"), /^Error: gw is not an IPv4 address/, bad);
        }
    });

    it("normalises MACs to lower-case colon form and rejects multicast ones", () => {
        assert.equal(checkMac("52-54-00-AB-02-01", "mac"), "52:54:00:ab:02:01");
        assert.throws(() => checkMac("53:54:00:00:02:01", "vm mac"), /^Error: vm mac is a multicast MAC \(got 53:54:00:00:02:01\)/);
    });
});
