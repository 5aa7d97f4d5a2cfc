/**
 * model/vmIdentity.ts: the SMBIOS identity of a VM, derived from the stack's key and the
 * machine's name. Both the stack (the VM's domain) and the boot service (its inventory) call it,
 * so what is pinned here is what keeps every deployed VM bootable.
 */
import { strict as assert } from "node:assert";
import { createHmac } from "node:crypto";
import { serialCheck, uuidCheck } from "../model/identity";
import { deriveVmIdentity, VM_IDENTITY_KEY_LENGTH, VM_IDENTITY_KEY_MIN_LENGTH, VM_SERIAL_LENGTH, vmIdentityKeyCheck } from "../model/vmIdentity";

const KEY = "Zq8mW3xN7pL2vB9tK4rD6sF1hJ5gC0aYeUiOoPwQ1Rt"; // 43 letters and digits, as the stack makes
const OTHER_KEY = "Zq8mW3xN7pL2vB9tK4rD6sF1hJ5gC0aYeUiOoPwQ1Ru"; // differs in the last character

describe("deriveVmIdentity", () => {
    it("is deterministic: the same key and machine give the same identity", () => {
        assert.equal(KEY.length, VM_IDENTITY_KEY_LENGTH);
        assert.deepEqual(deriveVmIdentity(KEY, "talos-edge-1"), deriveVmIdentity(KEY, "talos-edge-1"));
    });

    it("pins derivation v1: changing it would give every deployed VM a new identity the service no longer matches", () => {
        // Recomputed here from the documented construction (HMAC-SHA256 per labelled value).
        const macOf = (label: string) => createHmac("sha256", KEY).update(`talos-cloud-edge/vm-identity/v1/${label}\u0000talos-edge-1`).digest();
        const u = macOf("smbios-uuid").subarray(0, 16);
        u[6] = (u[6] & 0x0f) | 0x40;
        u[8] = (u[8] & 0x3f) | 0x80;
        const hex = u.toString("hex");
        const serial = (BigInt(`0x${macOf("smbios-serial").toString("hex")}`) % 36n ** 32n).toString(36).padStart(32, "0");
        assert.deepEqual(deriveVmIdentity(KEY, "talos-edge-1"), {
            uuid: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
            serial,
        });
    });

    it("differs per machine and per key", () => {
        const a = deriveVmIdentity(KEY, "talos-edge-1");
        const b = deriveVmIdentity(KEY, "talos-edge-2");
        const c = deriveVmIdentity(OTHER_KEY, "talos-edge-1");
        assert.notEqual(a.uuid, b.uuid);
        assert.notEqual(a.serial, b.serial);
        assert.notEqual(a.uuid, c.uuid);
        assert.notEqual(a.serial, c.serial);
    });

    it("gives UUIDs and serials the model accepts, unique over many machines", () => {
        const uuids = new Set<string>();
        const serials = new Set<string>();
        for (let i = 0; i < 2000; i++) {
            const id = deriveVmIdentity(KEY, `site-1-${String(i).padStart(6, "0")}`);
            assert.match(id.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, "lower case, RFC 4122 version 4");
            assert.equal(uuidCheck(id.uuid), undefined, id.uuid);
            assert.match(id.serial, new RegExp(`^[0-9a-z]{${VM_SERIAL_LENGTH}}$`));
            assert.equal(serialCheck(id.serial), undefined);
            uuids.add(id.uuid);
            serials.add(id.serial);
        }
        assert.equal(uuids.size, 2000);
        assert.equal(serials.size, 2000);
    });

    it("refuses an unusable key without ever quoting it, and an empty machine name", () => {
        for (const key of ["", "short-key-123", "k".repeat(VM_IDENTITY_KEY_MIN_LENGTH - 1), `${KEY} `, `${KEY}\n`, "é".repeat(40), "k".repeat(257)]) {
            assert.notEqual(vmIdentityKeyCheck(key), undefined, JSON.stringify(key));
            assert.throws(
                () => deriveVmIdentity(key, "talos-edge-1"),
                (err: Error) => /not a usable VM identity key/.test(err.message) && (key.trim() === "" || !err.message.includes(key.trim())),
            );
        }
        assert.equal(vmIdentityKeyCheck("k".repeat(VM_IDENTITY_KEY_MIN_LENGTH)), undefined);
        assert.equal(vmIdentityKeyCheck(KEY), undefined);
        assert.throws(() => deriveVmIdentity(KEY, ""), /machine name is empty/);
    });
});
