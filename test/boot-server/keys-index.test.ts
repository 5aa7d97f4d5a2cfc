import { strict as assert } from "node:assert";
import {
    HeadscaleKeyMinter,
    KeyBackendSettings,
    StaticKeyMinter,
    TailscaleKeyMinter,
    createKeyMinter,
} from "../../infra/boot-server/src/keys";

/** Records calls and answers like the Tailscale API, so the defaults can be checked without any network. */
function recordingFetch() {
    const urls: string[] = [];
    const fn = (async (input: string | URL | Request) => {
        const url = String(input);
        urls.push(url);
        const body = url.endsWith("/oauth/token")
            ? { access_token: "tskey-api-x", token_type: "Bearer", expires_in: 3600 }
            : { id: "kX", key: "tskey-auth-kX-y", expires: "2026-03-01T13:00:00Z" };
        return new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } });
    }) as typeof fetch;
    return { fn, urls };
}

describe("keys/index: createKeyMinter", () => {
    const tailscale: KeyBackendSettings = { kind: "tailscale", tags: ["tag:edge"], expirySeconds: 900 };

    it("tailscale: defaults to https://api.tailscale.com and tailnet '-'", async () => {
        const { fn, urls } = recordingFetch();
        const m = createKeyMinter(tailscale, { tsOauthClientId: "id", tsOauthClientSecret: "secret" }, { fetch: fn });
        assert.ok(m instanceof TailscaleKeyMinter);
        assert.equal(m.kind, "tailscale");
        assert.deepEqual(await m.mint({ site: "s", machine: "m" }), { id: "kX", key: "tskey-auth-kX-y", expiresAt: "2026-03-01T13:00:00Z" });
        assert.deepEqual(urls, ["https://api.tailscale.com/api/v2/oauth/token", "https://api.tailscale.com/api/v2/tailnet/-/keys"]);
    });

    it("names the missing env var for each backend", () => {
        assert.throws(() => createKeyMinter(tailscale, { tsOauthClientSecret: "s" }), {
            message: 'TS_OAUTH_CLIENT_ID is required for keyBackend.kind = "tailscale"',
        });
        assert.throws(() => createKeyMinter(tailscale, { tsOauthClientId: "i", tsOauthClientSecret: "  " }), {
            message: 'TS_OAUTH_CLIENT_SECRET is required for keyBackend.kind = "tailscale"',
        });
        assert.throws(
            () => createKeyMinter({ kind: "headscale", url: "https://hs.example", tags: ["tag:edge"], expirySeconds: 600 }, {}),
            { message: 'HEADSCALE_API_KEY is required for keyBackend.kind = "headscale"' },
        );
        assert.throws(() => createKeyMinter({ kind: "static" }, {}), {
            message: 'BOOT_STATIC_KEYS is required for keyBackend.kind = "static"',
        });
    });

    it("builds the headscale and static minters from their settings", () => {
        const hs = createKeyMinter(
            { kind: "headscale", url: "https://hs.example", user: "3", tags: ["tag:edge"], expirySeconds: 600 },
            { headscaleApiKey: "k" },
        );
        assert.ok(hs instanceof HeadscaleKeyMinter);
        assert.equal(hs.loginServer, "https://hs.example");
        const st = createKeyMinter({ kind: "static" }, { staticKeys: { m: "tskey-auth-x" } });
        assert.ok(st instanceof StaticKeyMinter);
    });

    it("passes construction checks through (tags required, expiry bounded)", () => {
        const secrets = { tsOauthClientId: "id", tsOauthClientSecret: "secret" };
        assert.throws(() => createKeyMinter({ ...tailscale, tags: [] }, secrets), /must list at least one ACL tag/);
        assert.throws(() => createKeyMinter({ ...tailscale, expirySeconds: 86400 }, secrets), /between 1 and 3600/);
    });

    it("rejects an unknown kind with the list of valid ones", () => {
        assert.throws(() => createKeyMinter({ kind: "wireguard" } as unknown as KeyBackendSettings, {}), {
            message: 'keyBackend.kind must be "tailscale", "headscale" or "static" (got "wireguard")',
        });
    });
});
