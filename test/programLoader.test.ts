/**
 * `pulumi up` loads the program with scripts/typescript-loader.js (Pulumi.yaml `nodeargs`,
 * docs/decisions/0134-program-loader.md); mocha loads it with ts-node. These tests build the dev
 * stack's graph both ways, each in its own process (test/programLoaderChild.ts), and check that
 * the loader changes nothing the engine would see: the same resources with the same inputs, the
 * same source positions (mapped back to the TypeScript lines), and dynamic-provider module text
 * that still loads.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { programLoaderArgs } from "../bench/graph/run";
import type { LoadedRegistration } from "./programLoaderChild";

const ROOT = path.resolve(__dirname, "..");
const CHILD = path.join(ROOT, "test", "programLoaderChild.ts");
const LOADER = path.join(ROOT, "scripts", "typescript-loader.js");

/** Builds the dev stack's graph in a child process started in `cwd` with `execArgv`. */
function buildGraph(cwd: string, execArgv: string[]): LoadedRegistration[] {
    const res = spawnSync(process.execPath, [...execArgv, CHILD], { cwd, encoding: "utf8", timeout: 110_000, maxBuffer: 64 * 1024 * 1024 });
    assert.equal(res.status, 0, `child ${execArgv.join(" ")} failed:\n${res.stderr}`);
    return JSON.parse(res.stdout) as LoadedRegistration[];
}

/** Inputs that legitimately differ between two runs or two loaders, replaced by a marker. */
function normalised(inputs: unknown): unknown {
    const v = structuredClone(inputs) as Record<string, any>;
    if (typeof v.__provider === "string") v.__provider = "<module text>";
    if (v.environment && typeof v.environment.DAY_TWO_RUN === "string") v.environment.DAY_TWO_RUN = "<run id>";
    // A local command's `dir` is relative to the directory the program ran in (compared below).
    delete v.dir;
    return v;
}

/**
 * A graph's URNs, sorted: resources created inside an `apply` register when their inputs
 * resolve, so the order can differ between two builds of the same graph.
 */
function urns(registrations: LoadedRegistration[]): string[] {
    return registrations.map((r) => r.urn).sort();
}

/** Where each local command of a graph built in `cwd` runs: its `dir` resolved against `cwd`. */
function commandDirs(registrations: LoadedRegistration[], cwd: string): Map<string, string> {
    const dirs = new Map<string, string>();
    for (const r of registrations) {
        if (!r.urn.includes("command:local:Command")) continue;
        const dir = (r.inputs as { dir?: unknown }).dir;
        dirs.set(r.urn, path.resolve(cwd, typeof dir === "string" ? dir : "."));
    }
    return dirs;
}

/** The provider methods a `__provider` module text offers, loaded as the dynamic provider host does. */
function providerMethods(text: string, dir: string, name: string): string[] {
    const file = path.join(dir, `${name.replace(/[^a-z0-9-]/gi, "_")}.js`);
    fs.writeFileSync(file, text);
    return Object.keys((require(file) as { handler: () => Record<string, unknown> }).handler()).sort();
}

describe("program loader (scripts/typescript-loader.js) against ts-node", function () {
    this.timeout(240_000);
    let underLoader: LoadedRegistration[];
    let underTsNode: LoadedRegistration[];
    let fromRoot: LoadedRegistration[];

    before(() => {
        // As `pulumi up` starts the program: Pulumi.yaml's `main` directory and `nodeargs`.
        const launch = programLoaderArgs(ROOT);
        assert.deepEqual(launch.execArgv, ["--require=talos-cloud-edge-typescript-loader"], "Pulumi.yaml no longer names the loader");
        assert.equal(launch.cwd, path.join(ROOT, "stacks"));
        underLoader = buildGraph(launch.cwd, launch.execArgv);
        // The same arguments from the project root: whichever directory the language host starts
        // Node in, `nodeargs` must find the loader.
        fromRoot = buildGraph(ROOT, launch.execArgv);
        underTsNode = buildGraph(ROOT, ["--require", require.resolve("ts-node/register/transpile-only")]);
    });

    it("finds the loader from the project root as well as from main", () => {
        assert.deepEqual(urns(fromRoot), urns(underLoader));
    });

    it("runs every day-two command in the repository root, from main as well as from the root", () => {
        // Pulumi starts the program and the command provider in `main` (stacks/): the steps'
        // `infra/day-two/cli.ts` must still resolve, so their `dir` leads back to the root.
        const fromMain = commandDirs(underLoader, path.join(ROOT, "stacks"));
        assert.ok(fromMain.size >= 5, `only ${fromMain.size} local commands`);
        for (const [urn, dir] of fromMain) assert.equal(dir, ROOT, `${urn} runs in ${dir}`);
        for (const [urn, dir] of commandDirs(fromRoot, ROOT)) assert.equal(dir, ROOT, `${urn} runs in ${dir}`);
        const recorded = new Set(underLoader.filter((r) => r.urn.includes("command:local:Command")).map((r) => (r.inputs as { dir?: unknown }).dir));
        assert.deepEqual([...recorded], [".."], "the same relative dir on every checkout");
    });

    it("registers the same resources with the same inputs", () => {
        assert.ok(underLoader.length > 50, `only ${underLoader.length} registrations`);
        assert.deepEqual(urns(underLoader), urns(underTsNode));
        const tsNodeByUrn = new Map(underTsNode.map((r) => [r.urn, r]));
        for (const r of underLoader) {
            assert.deepEqual(normalised(r.inputs), normalised(tsNodeByUrn.get(r.urn)?.inputs), `${r.urn}: inputs differ between the loaders`);
        }
    });

    it("records the same source positions, on the TypeScript lines that create the resources", () => {
        const positions = (rs: LoadedRegistration[]) => rs.map((r) => `${r.urn} ${r.position}`).sort();
        assert.deepEqual(positions(underLoader), positions(underTsNode));
        // A position in our own code names the `new` expression of the resource in the .ts file:
        // unmapped (JavaScript) positions would land elsewhere.
        const ours = underLoader.filter((r) => r.position !== "" && !r.position.includes("node_modules") && !r.position.startsWith("sdks/"));
        assert.ok(ours.length > 40, `only ${ours.length} positions in our files`);
        for (const r of ours) {
            const [file, line, column] = r.position.split(":");
            assert.match(file, /\.ts$/, r.position);
            const text = fs.readFileSync(path.join(ROOT, file), "utf8").split("\n")[Number(line) - 1] ?? "";
            assert.ok(text.slice(Number(column) - 1).startsWith("new "), `${r.urn}: ${r.position} is not where it is created: ${JSON.stringify(text.trim())}`);
        }
    });

    it("builds dynamic-provider module text that loads and offers the same methods", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "program-loader-"));
        try {
            const dynamic = underLoader.filter((r) => typeof (r.inputs as Record<string, unknown>).__provider === "string");
            assert.ok(dynamic.length > 0, "the dev stack has no dynamic resource");
            for (const r of dynamic) {
                const other = underTsNode.find((o) => o.urn === r.urn)!;
                const name = r.urn.split("::").pop()!;
                const methods = providerMethods((r.inputs as Record<string, string>).__provider, dir, `${name}-loader`);
                assert.ok(methods.includes("create") && methods.includes("diff"), `${r.urn}: methods ${methods.join(", ")}`);
                assert.deepEqual(methods, providerMethods((other.inputs as Record<string, string>).__provider, dir, `${name}-ts-node`));
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("scripts/typescript-loader.js", function () {
    this.timeout(60_000);
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "typescript-loader-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** Runs `script` (JavaScript) in a Node.js process that preloads the loader, as Pulumi.yaml does. */
    function runUnderLoader(script: string): { status: number | null; stdout: string; stderr: string } {
        return spawnSync(process.execPath, [`--require=${LOADER}`, "-e", script], { cwd: ROOT, encoding: "utf8", timeout: 50_000 });
    }

    it("transpiles a file again when its text changes, so a cached result is never served stale", () => {
        const file = path.join(dir, "value.ts");
        const read = `console.log(require(${JSON.stringify(file)}).value)`;
        fs.writeFileSync(file, "export const value: number = 1;\n");
        assert.equal(runUnderLoader(read).stdout.trim(), "1");
        assert.equal(runUnderLoader(read).stdout.trim(), "1");
        fs.writeFileSync(file, "export const value: number = 2;\n");
        assert.equal(runUnderLoader(read).stdout.trim(), "2");
    });

    it("compiles every dynamic provider's functions into module text that stands alone", () => {
        // Each component's `__provider` text, loaded as the dynamic provider host loads it.
        const script = `
            const fs = require("node:fs"), path = require("node:path");
            const texts = {
                gcs: require("./components/gcsObjectFromUrlProvider.ts").providerModuleText(),
                headscale: require("./components/headscalePreAuthKey.ts").PRE_AUTH_KEY_MODULE,
                oci: require("./components/ociObjectFromUrl.ts").OBJECT_COPY_MODULE,
                proxmox: require("./components/proxmoxIsoFile.ts").ISO_FILE_MODULE,
            };
            const out = {};
            for (const [name, text] of Object.entries(texts)) {
                const file = path.join(${JSON.stringify(dir)}, name + ".js");
                fs.writeFileSync(file, text);
                out[name] = { methods: Object.keys(require(file).handler()).sort(), helpers: text.match(/\\b(__[a-zA-Z]+|import_[a-zA-Z0-9_]+)\\b/g) ?? [] };
            }
            console.log(JSON.stringify(out));`;
        const res = runUnderLoader(script);
        assert.equal(res.status, 0, res.stderr);
        const modules = JSON.parse(res.stdout) as Record<string, { methods: string[]; helpers: string[] }>;
        assert.deepEqual(Object.keys(modules), ["gcs", "headscale", "oci", "proxmox"]);
        for (const [name, m] of Object.entries(modules)) {
            // A bundler helper or a renamed import would be undefined in the standalone module.
            assert.deepEqual(m.helpers, [], `${name}: the module text refers to ${m.helpers.join(", ")}`);
            assert.ok(["check", "create", "delete", "diff"].every((k) => m.methods.includes(k)), `${name}: ${m.methods.join(", ")}`);
        }
    });

    it("maps a thrown error to the TypeScript line and names a file esbuild refuses", () => {
        const thrower = path.join(dir, "thrower.ts");
        // Types and blank lines before the throw: the JavaScript line differs from the TypeScript one.
        fs.writeFileSync(thrower, "interface Unused {\n    a: string;\n}\n\ntype Alias = Unused;\n\nexport function fail(): never {\n    throw new Error(\"boom\");\n}\n");
        const res = runUnderLoader(`try { require(${JSON.stringify(thrower)}).fail(); } catch (e) { console.log(e.stack); }`);
        assert.match(res.stdout, new RegExp(`${thrower.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:8:11`), res.stdout + res.stderr);

        const broken = path.join(dir, "broken.ts");
        fs.writeFileSync(broken, "export const = 1;\n");
        const bad = runUnderLoader(`require(${JSON.stringify(broken)})`);
        assert.notEqual(bad.status, 0);
        assert.match(bad.stderr, /broken\.ts: TypeScript could not be transpiled/);
    });
});
