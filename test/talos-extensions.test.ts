import { strict as assert } from "node:assert";
import { fetchOfficialExtensions, loadOfficialExtensionList, officialExtensionProblems, parseOfficialExtensionList } from "../lib/talos/extensions";
import { vendorFile } from "./talos-vendor";

/** A fetch that answers with `body` (JSON unless a string) and records what was asked. */
function fakeFetch(status: number, body: unknown, asked: string[]): typeof fetch {
    return (async (input: string | URL | Request) => {
        asked.push(String(input));
        return new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
    }) as typeof fetch;
}

describe("lib/talos/extensions", () => {
    let official: string[];
    before(() => {
        official = loadOfficialExtensionList(vendorFile("official-extensions-v1.12.4.txt"));
    });

    it("loads the vendored v1.12.4 list: tailscale and qemu-guest-agent are official, gcp-guest-agent is not", () => {
        assert.equal(official.length, 78);
        assert.ok(official.includes("siderolabs/tailscale"));
        assert.ok(official.includes("siderolabs/qemu-guest-agent"));
        assert.ok(!official.includes("siderolabs/gcp-guest-agent"));
    });

    it("accepts official names and names the key, position and extension of every other one", () => {
        assert.deepEqual(officialExtensionProblems("images.edgeExtensions", ["siderolabs/qemu-guest-agent", "siderolabs/tailscale"], official, "v1.12.4"), []);
        const problems = officialExtensionProblems("images.cloudExtensions", ["siderolabs/tailscale", "siderolabs/gcp-guest-agent"], official, "v1.12.4");
        assert.equal(problems.length, 1);
        assert.equal(problems[0].path, "images.cloudExtensions[1]");
        assert.equal(problems[0].extension, "siderolabs/gcp-guest-agent");
        assert.match(problems[0].message, /"siderolabs\/gcp-guest-agent" is not an official extension Image Factory offers for Talos v1\.12\.4/);
        assert.match(problems[0].message, /https:\/\/factory\.talos\.dev\/version\/v1\.12\.4\/extensions\/official/);
        assert.doesNotMatch(problems[0].message, /did you mean/i, "no made-up suggestion for a name with no near match");
    });

    it("suggests the official name for a missing prefix or a small typo", () => {
        const [bare, typo] = officialExtensionProblems("images.edgeExtensions", ["tailscale", "siderolabs/tailscal"], official, "v1.12.4", "https://factory.example.com/");
        assert.match(bare.message, /not an extension name like "siderolabs\/tailscale"; did you mean "siderolabs\/tailscale"\?/);
        assert.match(typo.message, /Did you mean "siderolabs\/tailscale"\?.*https:\/\/factory\.example\.com\/version\/v1\.12\.4/);
    });

    it("refuses a list file that is not one", () => {
        assert.throws(() => parseOfficialExtensionList("# only a comment\n\n", "x.txt"), /x\.txt: lists no extension/);
        assert.throws(() => parseOfficialExtensionList("siderolabs/tailscale\nnot a name\n", "x.txt"), /x\.txt: line 2 is not an extension name/);
        assert.throws(() => loadOfficialExtensionList("/nonexistent/list.txt"), /cannot read the official extension list \/nonexistent\/list\.txt \(ENOENT\)/);
    });

    it("fetches the names from Image Factory's version/<v>/extensions/official", async () => {
        const asked: string[] = [];
        const body = [
            { name: "siderolabs/tailscale", ref: "ghcr.io/siderolabs/tailscale:1.90.0", digest: "sha256:aa", author: "Sidero Labs", description: "Tailscale" },
            { name: "siderolabs/qemu-guest-agent", ref: "ghcr.io/siderolabs/qemu-guest-agent:10.1.2", digest: "sha256:bb", author: "Sidero Labs", description: "QEMU" },
        ];
        assert.deepEqual(await fetchOfficialExtensions("https://factory.example.com/", "v1.12.4", { fetch: fakeFetch(200, body, asked) }), ["siderolabs/tailscale", "siderolabs/qemu-guest-agent"]);
        assert.deepEqual(asked, ["https://factory.example.com/version/v1.12.4/extensions/official"]);
    });

    it("says what went wrong when the factory answer is unusable", async () => {
        await assert.rejects(fetchOfficialExtensions("https://factory.example.com", "v9.9.9", { fetch: fakeFetch(404, "not found", []) }), /HTTP 404 \(is v9\.9\.9 a Talos release Image Factory knows\?\)/);
        await assert.rejects(fetchOfficialExtensions("https://factory.example.com", "v1.12.4", { fetch: fakeFetch(200, "<html>", []) }), /did not return JSON/);
        await assert.rejects(fetchOfficialExtensions("https://factory.example.com", "v1.12.4", { fetch: fakeFetch(200, [{ id: 1 }], []) }), /did not return a list of \{name, \.\.\.\} objects/);
        await assert.rejects(fetchOfficialExtensions("factory", "v1.12.4", { fetch: fakeFetch(200, [], []) }), /is not a URL/);
        await assert.rejects(fetchOfficialExtensions("https://factory.example.com", "1.12", { fetch: fakeFetch(200, [], []) }), /not a Talos version/);
    });
});
