/**
 * Headscale as the overlay's control server: the per-node pre-auth key provider and the node
 * lookups, against the local server implementing Headscale's documented API shapes
 * (testing/fakes/headscale-api.ts), over real HTTP.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import {
    createPreAuthKey,
    diffPreAuthKey,
    PRE_AUTH_KEY_MODULE,
    preAuthKeyProblems,
    PreAuthKeyInputs,
} from "../components/headscalePreAuthKey";
import { asTailnetDevices, goDurationMs, listHeadscaleNodes, nodeByPreAuthKey, overlayIpv4, parseNodeList, waitForHeadscaleNode } from "../components/headscaleApi";
import { overlayExtraArgs } from "../components/overlay";
import { tailscalePatch } from "../lib/talos/patches";
import { FakeHeadscaleApi, startFakeHeadscaleApi } from "../testing/fakes/headscale-api";

const API_KEY = "hsApiKeyPrefix.overlayKeyThatMustNeverBeShownAnywhere";
const NOW = new Date("2026-03-01T12:00:00.250Z");

describe("Headscale overlay", () => {
    let hs: FakeHeadscaleApi;
    const inputs = (over: Partial<PreAuthKeyInputs> = {}): PreAuthKeyInputs => ({
        url: hs.url,
        apiKey: API_KEY,
        user: "1",
        aclTags: ["tag:talos-cloud"],
        expirySeconds: 3600,
        hostname: "mixed-cluster-master-1",
        ...over,
    });

    beforeEach(async () => {
        hs = await startFakeHeadscaleApi({ apiKey: API_KEY, users: [{ id: "1", name: "cluster" }], now: () => new Date("2026-01-01T00:00:00Z") });
    });
    afterEach(async () => {
        await hs.close();
    });

    describe("pre-auth key provider (components/headscalePreAuthKey.ts)", () => {
        it("posts one single-use, non-ephemeral, tagged key expiring after expirySeconds, and keeps the API key out of its outputs", async () => {
            const outs = await createPreAuthKey(inputs(), NOW);
            assert.equal(hs.requests.length, 1);
            const [req] = hs.requests;
            assert.equal(`${req.method} ${req.path}`, "POST /api/v1/preauthkey");
            assert.equal(req.headers.authorization, `Bearer ${API_KEY}`);
            assert.deepEqual(JSON.parse(req.rawBody), { user: "1", reusable: false, ephemeral: false, expiration: "2026-03-01T13:00:00Z", aclTags: ["tag:talos-cloud"] });
            const minted = hs.mintedKeys[0];
            assert.deepEqual({ keyId: outs.keyId, key: outs.key, expiration: outs.expiration }, { keyId: minted.id, key: minted.key, expiration: minted.expiration });
            assert.ok(!JSON.stringify(outs).includes(API_KEY), "outputs hold no API key");
        });

        it("mints a tag-only key when no user is named", async () => {
            await createPreAuthKey(inputs({ user: "" }), NOW);
            assert.deepEqual(Object.keys(JSON.parse(hs.requests[0].rawBody)).sort(), ["aclTags", "ephemeral", "expiration", "reusable"]);
        });

        it("retries a 5xx, and reports a refused key with Headscale's message but never the API key", async () => {
            hs.failNext("preauthkey", { status: 503, body: { code: 14, message: "unavailable" } });
            const outs = await createPreAuthKey(inputs(), NOW);
            assert.equal(hs.requests.length, 2);
            assert.equal(outs.key, hs.mintedKeys[0].key);
            await assert.rejects(createPreAuthKey(inputs({ apiKey: `${API_KEY}-wrong` }), NOW), (err: Error) => {
                assert.match(err.message, /^HeadscalePreAuthKey mixed-cluster-master-1: POST http:\/\/127\.0\.0\.1:\d+\/api\/v1\/preauthkey: HTTP 401 /);
                assert.ok(!err.message.includes(API_KEY));
                return true;
            });
            await assert.rejects(createPreAuthKey(inputs({ user: "99" }), NOW), /HTTP 404 .*user not found/);
        });

        it("refuses bad inputs before any request, one problem each", () => {
            const problems = preAuthKeyProblems({ ...inputs(), url: "http://headscale.lab.internal", user: "ops", aclTags: ["cloud"], expirySeconds: 90 * 86400, hostname: "Master_1" });
            assert.equal(problems.length, 5);
            assert.match(problems.join("\n"), /url .* is not an https base URL/);
            assert.match(problems.join("\n"), /user "ops" is not a Headscale user id/);
            assert.match(problems.join("\n"), /aclTags \["cloud"\] must be one or more tags/);
            assert.match(problems.join("\n"), /expirySeconds 7776000 must be a whole number from 60 to 86400/);
            assert.match(problems.join("\n"), /hostname "Master_1" is not a DNS label/);
            assert.equal(hs.requests.length, 0);
        });

        it("diff: a changed tag, user, lifetime, server or hostname is a new key; a new API key is not", () => {
            const olds = { ...inputs(), keyId: "1", key: "k", expiration: "x" };
            assert.deepEqual(diffPreAuthKey(olds, { ...inputs(), apiKey: "rotated" }), { changes: false, replaces: [], deleteBeforeReplace: false });
            assert.deepEqual(diffPreAuthKey(olds, inputs({ aclTags: ["tag:other"], expirySeconds: 600 })).replaces, ["aclTags", "expirySeconds"]);
        });

        it("is self-contained: the module text, loaded on its own as the engine's host does, checks and creates", async () => {
            assert.deepEqual(PRE_AUTH_KEY_MODULE.match(/require\([^)]*\)/g), null);
            assert.deepEqual(PRE_AUTH_KEY_MODULE.match(/\bexports\.\w+/g), ["exports.handler"]);
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hs-provider-"));
            try {
                const file = path.join(dir, "provider.js");
                fs.writeFileSync(file, PRE_AUTH_KEY_MODULE);
                const provider = require(file).handler() as pulumi.dynamic.ResourceProvider;
                assert.deepEqual(Object.keys(provider), ["check", "diff", "create", "delete"]);
                const checked = await provider.check!({}, { ...inputs(), hostname: "04da6b54-80e4-46f7-96ec-b56ff0331ba9", url: "bad" });
                assert.deepEqual(checked.failures, [], "unknown values postpone the checks");
                assert.equal((await provider.check!({}, inputs({ expirySeconds: 5 }))).failures!.length, 1);
                const created = await provider.create!(inputs());
                assert.equal(created.id, `headscale-preauthkey-${hs.mintedKeys[0].id}`);
                assert.equal(created.outs.key, hs.mintedKeys[0].key);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });

    describe("node lookups (components/headscaleApi.ts)", () => {
        it("lists nodes with their addresses and the key they registered with", async () => {
            const { key } = await createPreAuthKey(inputs(), NOW);
            hs.registerNode({ hostname: "mixed-cluster-master-1", key });
            const nodes = await listHeadscaleNodes({ url: hs.url, apiKey: API_KEY });
            assert.equal(nodes.length, 1);
            assert.deepEqual(nodes[0], {
                id: "1",
                name: "mixed-cluster-master-1",
                givenName: "mixed-cluster-master-1",
                ipAddresses: ["100.64.0.2", "fd7a:115c:a1e0::1"],
                preAuthKeyId: hs.mintedKeys[0].id,
                online: true,
                lastSeen: nodes[0].lastSeen,
            });
            assert.equal(overlayIpv4(nodes[0]), "100.64.0.2");
            assert.deepEqual(asTailnetDevices(nodes).map((d) => [d.hostname, d.addresses[0]]), [["mixed-cluster-master-1", "100.64.0.2"]]);
            await assert.rejects(listHeadscaleNodes({ url: hs.url, apiKey: "wrong" }), (err: Error) => /HTTP 401/.test(err.message) && !err.message.includes("wrong"));
            await assert.rejects(listHeadscaleNodes({ url: "http://headscale.lab.internal", apiKey: API_KEY }), /is not https/);
        });

        it("finds a node by the key it registered with, not by its name (a stale node keeps the name)", async () => {
            const { keyId } = await createPreAuthKey(inputs(), NOW);
            hs.registerNode({ hostname: "mixed-cluster-master-1", preAuthKeyId: "999" });
            const pending = waitForHeadscaleNode({ url: hs.url, apiKey: API_KEY, hostname: "mixed-cluster-master-1", keyId, timeoutMs: 5000, pollMs: 20 });
            await new Promise((r) => setTimeout(r, 60));
            const joined = hs.registerNode({ hostname: "mixed-cluster-master-1", key: hs.mintedKeys[0].key });
            assert.notEqual(joined.givenName, "mixed-cluster-master-1", "Headscale renamed the second node");
            assert.equal(await pending, joined.ipAddresses[0]);
            assert.ok(hs.requests.filter((r) => r.path === "/api/v1/node").length >= 2, "polled until it joined");
        });

        it("gives up after the join timeout, naming the node and what it saw", async () => {
            await assert.rejects(
                waitForHeadscaleNode({ url: hs.url, apiKey: API_KEY, hostname: "talos-worker-01", keyId: "7", timeoutMs: 100, pollMs: 20 }),
                /^Error: node "talos-worker-01" did not join Headscale within 0 s \(no node registered with pre-auth key 7\); check its console/,
            );
        });

        it("parses the documented ListNodes shape and Go durations", () => {
            const nodes = parseNodeList({ nodes: [{ id: "5", name: "a", givenName: "a", ipAddresses: ["fd7a:115c:a1e0::5", "100.64.0.5"], preAuthKey: { id: "12" }, online: false }] });
            assert.equal(nodeByPreAuthKey(nodes, "12")?.id, "5");
            assert.equal(nodeByPreAuthKey(nodes, "13"), undefined);
            assert.equal(overlayIpv4(nodes[0]), "100.64.0.5");
            assert.deepEqual(parseNodeList({}), []);
            assert.throws(() => parseNodeList({ nodes: {} }), /without a nodes list/);
            assert.equal(goDurationMs("1h30m"), 5_400_000);
            assert.equal(goDurationMs("90s"), 90_000);
            assert.throws(() => goDurationMs("10 minutes"), /not a duration/);
        });
    });

    it("points the tailscale extension at the server: --login-server in TS_EXTRA_ARGS", () => {
        const doc = parse(tailscalePatch("hskey-auth-x", "talos-worker-01", overlayExtraArgs("https://headscale.lab.internal")));
        assert.deepEqual(doc.environment, [
            "TS_AUTHKEY=hskey-auth-x",
            "TS_HOSTNAME=talos-worker-01",
            "TS_AUTH_ONCE=true",
            "TS_ACCEPT_DNS=false",
            "TS_EXTRA_ARGS=--login-server=https://headscale.lab.internal",
        ]);
        assert.deepEqual(overlayExtraArgs(undefined), [], "Tailscale's service needs no flag");
    });
});
