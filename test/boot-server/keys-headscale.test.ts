import { strict as assert } from "node:assert";
import { HeadscaleKeyMinter, HeadscaleKeyMinterOptions } from "../../infra/boot-server/src/keys/headscale";
import { KeyMintError } from "../../infra/boot-server/src/keys/types";
import { FakeHeadscaleApi, startFakeHeadscaleApi } from "../../testing/fakes/headscale-api";

const API_KEY = "hsApiKeyPrefix.s3cr3tHeadscaleApiKeyThatMustNeverLeak";
const FAST_RETRY = { backoffMs: 5, maxBackoffMs: 20, timeoutMs: 2000, maxAttempts: 3 };
const NOW = new Date("2026-03-01T12:00:00.250Z");

describe("keys/headscale: HeadscaleKeyMinter against a local fake of Headscale's API", () => {
    let api: FakeHeadscaleApi;

    beforeEach(async () => {
        // The fake's clock is real time; the minter's is pinned, so give it a future "now".
        api = await startFakeHeadscaleApi({ apiKey: API_KEY, users: [{ id: "7", name: "edge" }], now: () => new Date("2026-01-01T00:00:00Z") });
    });
    afterEach(async () => {
        await api.close();
    });

    function minter(overrides: Partial<HeadscaleKeyMinterOptions> = {}) {
        return new HeadscaleKeyMinter({
            url: api.url,
            user: "7",
            tags: ["tag:edge"],
            expirySeconds: 900,
            apiKey: API_KEY,
            now: () => NOW,
            retry: FAST_RETRY,
            ...overrides,
        });
    }

    it("posts the documented pre-auth key request and returns id, key and expiration", async () => {
        const minted = await minter().mint({ site: "site-a", machine: "edge-01" });

        assert.equal(api.requests.length, 1);
        const [req] = api.requests;
        assert.equal(req.method, "POST");
        assert.equal(req.path, "/api/v1/preauthkey");
        assert.equal(req.headers.authorization, `Bearer ${API_KEY}`);
        assert.equal(req.headers["content-type"], "application/json");
        assert.deepEqual(JSON.parse(req.rawBody), {
            user: "7",
            reusable: false,
            ephemeral: false,
            expiration: "2026-03-01T12:15:00Z",
            aclTags: ["tag:edge"],
        });

        const issued = api.mintedKeys[0];
        assert.deepEqual(minted, { id: `headscale:${issued.id}`, key: issued.key, expiresAt: issued.expiration });
        assert.equal(issued.expiration, "2026-03-01T12:15:00.000Z");
        assert.deepEqual(issued.user, { id: "7", name: "edge" });
    });

    it("omits user for a tag-only key", async () => {
        await minter({ user: undefined }).mint({ site: "s", machine: "m" });
        assert.deepEqual(Object.keys(JSON.parse(api.requests[0].rawBody)).sort(), ["aclTags", "ephemeral", "expiration", "reusable"]);
        assert.equal(api.mintedKeys[0].user, null);
    });

    it("exposes the login server the node needs in TS_EXTRA_ARGS", () => {
        const m = new HeadscaleKeyMinter({ url: "https://hs.example.net/", tags: ["tag:edge"], expirySeconds: 600, apiKey: API_KEY });
        assert.equal(m.loginServer, "https://hs.example.net");
        assert.deepEqual(m.extraArgs, ["--login-server=https://hs.example.net"]);
    });

    it("refuses at construction: no tags, expiry above one hour, non-numeric user, missing API key, plain http", () => {
        assert.throws(() => minter({ tags: [] }), /keyBackend\.tags must list at least one ACL tag/);
        assert.throws(() => minter({ expirySeconds: 7200 }), /keyBackend\.expirySeconds must be an integer number of seconds between 1 and 3600/);
        assert.throws(() => minter({ user: "edge" }), /keyBackend\.user must be a Headscale user id/);
        assert.throws(() => minter({ apiKey: "" }), /HEADSCALE_API_KEY is required for keyBackend\.kind = "headscale"/);
        assert.throws(() => minter({ url: "http://hs.example.net" }), /keyBackend\.url must use https:\/\//);
    });

    it("a wrong API key gives KeyMintError 401 whose message has no API key", async () => {
        const wrong = "hsApiKeyPrefix.wrongButStillSecretValue";
        await assert.rejects(minter({ apiKey: wrong }).mint({ site: "s", machine: "m" }), (e: unknown) => {
            assert.ok(e instanceof KeyMintError);
            assert.equal(e.status, 401);
            assert.match(e.message, /Headscale pre-auth key creation for s\/m failed: HTTP 401: Unauthorized/);
            assert.ok(!e.message.includes(wrong));
            return true;
        });
        assert.equal(api.requests.length, 1, "401 is not retried");
    });

    it("scrubs the API key and keys if the server echoes them", async () => {
        const earlier = await minter().mint({ site: "s", machine: "a" });
        api.failNext("preauthkey", { status: 400, body: { code: 3, message: `key ${earlier.key} api ${API_KEY}`, details: [] } });
        await assert.rejects(minter().mint({ site: "s", machine: "b" }), (e: unknown) => {
            assert.ok(e instanceof KeyMintError);
            assert.ok(!e.message.includes(earlier.key));
            assert.ok(!e.message.includes(API_KEY));
            assert.match(e.message, /HTTP 400: key \[redacted\] api \[redacted\]/);
            return true;
        });
    });

    it("retries a 500 and succeeds", async () => {
        api.failNext("preauthkey", { status: 500, body: { code: 13, message: "internal", details: [] } });
        const minted = await minter().mint({ site: "s", machine: "m" });
        assert.equal(api.requests.length, 2);
        assert.equal(minted.key, api.mintedKeys[0].key);
    });

    it("does not retry a 4xx (unknown user: 404; bad request: 400)", async () => {
        await assert.rejects(minter({ user: "99" }).mint({ site: "s", machine: "m" }), (e: unknown) => {
            assert.ok(e instanceof KeyMintError);
            assert.equal(e.status, 404);
            assert.match(e.message, /user not found/);
            return true;
        });
        api.failNext("preauthkey", { status: 400, body: { code: 3, message: "bad", details: [] } });
        await assert.rejects(minter().mint({ site: "s", machine: "m" }), (e: unknown) => e instanceof KeyMintError && e.status === 400);
        assert.equal(api.requests.length, 2);
    });

    it("bounds a hanging request with the per-attempt timeout", async () => {
        api.stallNext("preauthkey", 5000);
        await assert.rejects(minter({ retry: { ...FAST_RETRY, timeoutMs: 150 } }).mint({ site: "s", machine: "m" }), (e: unknown) => {
            assert.ok(e instanceof KeyMintError);
            assert.match(e.message, /timed out after 150 ms/);
            return true;
        });
        assert.equal(api.requests.length, 1);
    });

    it("stops at the mint's budget: no retry after it, the attempt on its way abandoned", async () => {
        api.failNext("preauthkey", { status: 500, body: { code: 13, message: "internal", details: [] } });
        const slow = minter({ retry: { ...FAST_RETRY, backoffMs: 2000, maxBackoffMs: 2000 } });
        const started = Date.now();
        await assert.rejects(slow.mint({ site: "s", machine: "m", signal: AbortSignal.timeout(300) }), (e: unknown) => {
            assert.ok(e instanceof KeyMintError);
            assert.match(e.message, /time budget ran out/);
            return true;
        });
        assert.ok(Date.now() - started < 1500, "the mint ended with its budget, not after the backoff");
        assert.equal(api.requests.length, 1, "no attempt started after the budget ran out");

        api.stallNext("preauthkey", 5000);
        const t0 = Date.now();
        await assert.rejects(minter().mint({ site: "s", machine: "m", signal: AbortSignal.timeout(200) }), /time budget ran out/);
        assert.ok(Date.now() - t0 < 1500, "abandoned at the budget, not at the 2 s attempt timeout");
        assert.equal(api.mintedKeys.length, 0);
    });
});
