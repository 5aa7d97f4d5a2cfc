import { strict as assert } from "node:assert";
import { identityFromRequest, Inventory } from "../../infra/boot-server/src/inventory";
import { parseBootSettings } from "../../infra/boot-server/src/settings";
import { EDGE1, EDGE2, settingsInput } from "./fixtures";

describe("boot-server inventory", () => {
    const settings = parseBootSettings(settingsInput());
    const inv = new Inventory(settings.sites);

    it("finds a machine by MAC in iPXE's hyphen form, any case", () => {
        const r = inv.lookup("beta", identityFromRequest("52-54-00-00-02-01".toUpperCase()));
        assert.equal(r.kind, "known");
        assert.equal(r.kind === "known" && r.machine.name, "beta-1");
        assert.deepEqual(r.kind === "known" && r.matchedBy, ["mac"]);
    });

    it("records every identifier that matched", () => {
        const r = inv.lookup("alpha", identityFromRequest(EDGE1.mac, EDGE1.uuid.toUpperCase(), EDGE1.serial));
        assert.equal(r.kind, "known");
        assert.deepEqual(r.kind === "known" && r.matchedBy, ["mac", "uuid", "serial"]);
    });

    it("finds a machine by UUID when it boots from another NIC", () => {
        const r = inv.lookup("alpha", identityFromRequest("52:54:00:ff:ff:01", EDGE2.uuid));
        assert.equal(r.kind === "known" && r.machine.name, EDGE2.name);
    });

    it("finds a machine by UUID and serial when it boots from another NIC", () => {
        const r = inv.lookup("alpha", identityFromRequest("52:54:00:ff:ff:02", EDGE1.uuid, "SN-0101"));
        assert.equal(r.kind === "known" && r.machine.name, EDGE1.name);
        assert.deepEqual(r.kind === "known" && r.matchedBy, ["uuid", "serial"]);
    });

    it("refuses a request that leaves out an identifier the inventory records", () => {
        for (const [id, missing] of [
            [identityFromRequest(EDGE1.mac), "UUID"],
            [identityFromRequest(EDGE1.mac, EDGE1.uuid), "serial"],
            [identityFromRequest(EDGE1.mac, undefined, EDGE1.serial), "UUID"],
            [identityFromRequest("52:54:00:ff:ff:02", undefined, "SN-0101"), "UUID"],
            [identityFromRequest(EDGE2.mac), "UUID"],
        ] as const) {
            const r = inv.lookup("alpha", id);
            assert.equal(r.kind, "conflict", JSON.stringify(id));
            assert.equal(r.kind === "conflict" && r.reason, `${missing} missing from the request; the inventory records one`);
        }
    });

    it("scopes lookups to the site", () => {
        assert.equal(inv.lookup("beta", identityFromRequest(EDGE1.mac)).kind, "unknown");
        assert.equal(inv.lookup("nowhere", identityFromRequest(EDGE1.mac)).kind, "unknown");
    });

    it("reports an unknown machine", () => {
        assert.deepEqual(inv.lookup("alpha", identityFromRequest("52:54:00:99:99:99", "11111111-2222-3333-4444-999999999999")), { kind: "unknown" });
    });

    it("refuses identifiers that point at two machines", () => {
        const r = inv.lookup("alpha", identityFromRequest(EDGE1.mac, EDGE2.uuid));
        assert.equal(r.kind, "conflict");
        assert.deepEqual(r.kind === "conflict" && r.machines, [EDGE1.name, EDGE2.name]);
    });

    it("refuses a UUID that contradicts the inventory", () => {
        const r = inv.lookup("alpha", identityFromRequest(EDGE1.mac, "11111111-2222-3333-4444-555555555555"));
        assert.equal(r.kind, "conflict");
        assert.match(r.kind === "conflict" ? r.reason : "", /UUID/);
    });

    it("refuses a serial that contradicts the inventory", () => {
        const r = inv.lookup("alpha", identityFromRequest(EDGE1.mac, EDGE1.uuid, "SN-OTHER"));
        assert.equal(r.kind, "conflict");
        assert.match(r.kind === "conflict" ? r.reason : "", /serial/);
    });

    it("treats placeholder UUIDs and vendor placeholder serials as absent: no match for a machine that records real ones", () => {
        const id = identityFromRequest(EDGE1.mac, "00000000-0000-0000-0000-000000000000", "To Be Filled By O.E.M.");
        assert.equal(id.uuid, undefined);
        assert.equal(id.serial, undefined);
        const r = inv.lookup("alpha", id);
        assert.equal(r.kind, "conflict");
        const plain = inv.lookup("beta", identityFromRequest("52:54:00:00:02:01", "ffffffff-ffff-ffff-ffff-ffffffffffff", "Default string"));
        assert.equal(plain.kind === "known" && plain.machine.name, "beta-1", "a machine that records neither still matches by MAC");
    });

    it("treats a machine without a UUID in the inventory as matching any UUID", () => {
        const settings2 = parseBootSettings(settingsInput({ sites: [{ name: "alpha", machines: [{ name: "m", mac: "52:54:00:00:00:01", installDisk: "/dev/vda" }] }] }));
        const r = new Inventory(settings2.sites).lookup("alpha", identityFromRequest("52:54:00:00:00:01", "11111111-2222-3333-4444-555555555555"));
        assert.equal(r.kind, "known");
    });

    it("refuses to normalise a request MAC that was not validated", () => {
        assert.throws(() => identityFromRequest("not-a-mac"), /not validated/);
    });
});
