/**
 * The program's extension check (stacks/extensions.ts): requested extensions against the
 * official list, from a file or fetched from Image Factory in a child process before any
 * resource is declared.
 */
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import { StackConfigError } from "../stacks/config";
import { checkOfficialExtensions, officialExtensionsFor } from "../stacks/extensions";
import { devStackConfig } from "./stackFiles";
import { vendorFile } from "./talos-vendor";

describe("stack: official extension check", function () {
    this.timeout(60_000);
    const official = (): string[] => officialExtensionsFor("https://factory.talos.dev", "v1.12.4", { TALOS_OFFICIAL_EXTENSIONS_FILE: vendorFile("official-extensions-v1.12.4.txt") })!;

    it("accepts the dev stack's schematics (the seed's) against the vendored v1.12.4 list", () => {
        assert.doesNotThrow(() => checkOfficialExtensions(devStackConfig(), official()));
    });

    it("refuses gcp-guest-agent, naming the key and the unknown extension", () => {
        const cfg = devStackConfig();
        cfg.images.cloudExtensions = ["siderolabs/tailscale", "siderolabs/gcp-guest-agent"];
        try {
            checkOfficialExtensions(cfg, official());
            assert.fail("expected a StackConfigError");
        } catch (err) {
            assert.ok(err instanceof StackConfigError, String(err));
            assert.equal(err.problems.length, 1);
            assert.match(err.problems[0], /^talos-cloud-edge:images\.cloudExtensions\[1\]: "siderolabs\/gcp-guest-agent" is not an official extension Image Factory offers for Talos v1\.12\.4/);
        }
    });

    describe("fetched from Image Factory", () => {
        // The fake factory runs in its own process: the check blocks this one while it fetches.
        let factory: ChildProcess;
        let base: string;
        before(async () => {
            const script = `
                const http = require("node:http");
                const server = http.createServer((req, res) => {
                    process.stderr.write(req.url + "\\n");
                    if (req.url === "/version/v1.12.4/extensions/official") {
                        res.setHeader("content-type", "application/json");
                        res.end(JSON.stringify([{ name: "siderolabs/tailscale" }, { name: "siderolabs/qemu-guest-agent" }]));
                    } else { res.statusCode = 404; res.end("not found"); }
                });
                server.listen(0, "127.0.0.1", () => process.stdout.write(String(server.address().port) + "\\n"));`;
            factory = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "pipe"] });
            factory.stderr!.on("data", (d: Buffer) => requests.push(...d.toString().split("\n").filter(Boolean)));
            const port = await new Promise<string>((resolve, reject) => {
                factory.stdout!.once("data", (d: Buffer) => resolve(d.toString().trim()));
                factory.once("exit", (code) => reject(new Error(`fake factory exited ${code}`)));
            });
            base = `http://127.0.0.1:${port}`;
        });
        after(() => {
            factory.kill();
        });
        const requests: string[] = [];

        it("lists the factory's names for the version (one request, from a child process)", async () => {
            const names = officialExtensionsFor(base, "v1.12.4", {});
            assert.deepEqual(names, ["siderolabs/tailscale", "siderolabs/qemu-guest-agent"]);
            await new Promise((r) => setTimeout(r, 100));
            assert.deepEqual(requests, ["/version/v1.12.4/extensions/official"]);
        });

        it("skips the check (undefined) when the factory does not know the version", () => {
            assert.equal(officialExtensionsFor(base, "v9.9.9", {}), undefined);
        });
    });
});
