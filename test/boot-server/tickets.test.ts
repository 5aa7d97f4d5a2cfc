import { strict as assert } from "node:assert";
import { newTicket, secretDigest, secretEquals, secretMatchesDigest, ticketId, ticketRef, TICKET_BYTES } from "../../infra/boot-server/src/tickets";
import { TICKET } from "../../infra/boot-server/src/formats";

describe("boot-server tickets", () => {
    it("issues 256-bit base64url tickets that match the route's format", () => {
        const t = newTicket();
        assert.match(t, TICKET);
        assert.equal(Buffer.from(t, "base64url").length, TICKET_BYTES);
        assert.ok(TICKET_BYTES * 8 >= 128);
    });

    it("never repeats a ticket", () => {
        const seen = new Set<string>();
        for (let i = 0; i < 2000; i++) seen.add(newTicket());
        assert.equal(seen.size, 2000);
    });

    it("stores a ticket by its SHA-256, which does not contain the ticket", () => {
        const t = newTicket();
        const id = ticketId(t);
        assert.match(id, /^[0-9a-f]{64}$/);
        assert.equal(ticketId(t), id, "deterministic");
        assert.notEqual(ticketId(newTicket()), id);
        assert.ok(!id.includes(t));
        assert.equal(ticketRef(id), id.slice(0, 12));
    });

    it("compares secrets exactly, whatever their lengths", () => {
        const secret = "alphaTokenAAAAAAAAAAAAAAAAAAAAAAAAAA1";
        assert.equal(secretEquals(secret, secret), true);
        assert.equal(secretEquals(secret.slice(0, -1) + "2", secret), false);
        assert.equal(secretEquals(secret.slice(0, 10), secret), false, "prefix");
        assert.equal(secretEquals(secret + "x", secret), false, "longer");
        assert.equal(secretEquals("", secret), false);
    });

    it("compares against a precomputed digest exactly as against the secret", () => {
        const secret = "alphaTokenAAAAAAAAAAAAAAAAAAAAAAAAAA1";
        const expected = secretDigest(secret);
        assert.ok(!expected.toString("latin1").includes(secret), "the digest is not the secret");
        for (const presented of [secret, secret.slice(0, -1) + "2", secret.slice(0, 10), secret + "x", ""]) {
            assert.equal(secretMatchesDigest(presented, expected), secretEquals(presented, secret), presented);
        }
        assert.equal(secretMatchesDigest(secret, undefined), false);
    });

    it("refuses every token for a site that has none", () => {
        assert.equal(secretEquals("anything-at-all-0123456789", undefined), false);
        assert.equal(secretEquals("", undefined), false);
    });
});
