import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tar from "tar";
import { BuiltBundle } from "../../infra/boot-server/build";
import { packBootServer, packCached, packDirectory } from "../../infra/boot-server/pack";

describe("boot-server pack", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pack-test-"));
        fs.mkdirSync(path.join(dir, "src", "node_modules", "x"), { recursive: true });
        fs.writeFileSync(path.join(dir, "src", "server.js"), "console.log('hi')\n");
        fs.writeFileSync(path.join(dir, "src", "node_modules", "x", "index.js"), "module.exports = 1\n");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("is reproducible: same files, different mtimes and order of creation, same sha256", async () => {
        const a = await packDirectory(path.join(dir, "src"), path.join(dir, "a.tar.gz"));
        fs.utimesSync(path.join(dir, "src", "server.js"), new Date(), new Date(Date.now() - 86_400_000));
        const b = await packDirectory(path.join(dir, "src"), path.join(dir, "b.tar.gz"));
        assert.strictEqual(a, b);
        assert.ok(fs.readFileSync(path.join(dir, "a.tar.gz")).equals(fs.readFileSync(path.join(dir, "b.tar.gz"))));
    });

    it("changes when a file's content changes, and holds every file at its relative path", async () => {
        const a = await packDirectory(path.join(dir, "src"), path.join(dir, "a.tar.gz"));
        fs.writeFileSync(path.join(dir, "src", "server.js"), "console.log('bye')\n");
        const b = await packDirectory(path.join(dir, "src"), path.join(dir, "b.tar.gz"));
        assert.notStrictEqual(a, b);
        const entries: string[] = [];
        await tar.list({ file: path.join(dir, "b.tar.gz"), onReadEntry: (e) => { entries.push(e.path); } });
        assert.deepStrictEqual(entries, ["node_modules/x/index.js", "server.js"]);
    });
});

describe("boot-server pack cache", () => {
    let root: string;
    let cache: string;
    let builds: number;
    const recipe = { format: "1", esbuild: "0.0.0", tar: "0.0.0", pack: "x" };
    /** A stand-in build: a bundle made from two input files, reporting them as its inputs. */
    const build = async (outDir: string): Promise<BuiltBundle> => {
        builds++;
        fs.mkdirSync(outDir, { recursive: true });
        const inputs = ["src/a.ts", "src/b.ts"].map((f) => path.join(root, f));
        fs.writeFileSync(path.join(outDir, "server.js"), inputs.map((f) => fs.readFileSync(f, "utf8")).join("\n"));
        return { dir: outDir, inputs };
    };

    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "pack-cache-"));
        cache = path.join(root, "cache");
        fs.mkdirSync(path.join(root, "src"));
        fs.writeFileSync(path.join(root, "src", "a.ts"), "export const a = 1;\n");
        fs.writeFileSync(path.join(root, "src", "b.ts"), "export const b = 2;\n");
        builds = 0;
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("builds once, then reuses the entry while no input changed", async () => {
        const first = await packCached(cache, recipe, root, build);
        const second = await packCached(cache, recipe, root, build);
        assert.strictEqual(builds, 1);
        assert.deepStrictEqual([first.cached, second.cached], [false, true]);
        assert.strictEqual(second.path, first.path);
        assert.strictEqual(second.sha256, first.sha256);
        assert.strictEqual(first.path, path.join(cache, first.sha256, "boot-server.tar.gz"));
        const manifest = JSON.parse(fs.readFileSync(path.join(cache, first.sha256, "manifest.json"), "utf8"));
        assert.deepStrictEqual(manifest.inputs.map((i: { path: string }) => i.path), ["src/a.ts", "src/b.ts"]);
        // Only the entry is left: no bundle directory, no temporary directory.
        assert.deepStrictEqual(fs.readdirSync(cache), [first.sha256]);
        assert.deepStrictEqual(fs.readdirSync(path.join(cache, first.sha256)).sort(), ["boot-server.tar.gz", "manifest.json"]);
    });

    it("rebuilds when an input's content, the recipe, or the stored tarball changed", async () => {
        const first = await packCached(cache, recipe, root, build);
        fs.writeFileSync(path.join(root, "src", "b.ts"), "export const b = 3;\n");
        const edited = await packCached(cache, recipe, root, build);
        assert.strictEqual(edited.cached, false);
        assert.notStrictEqual(edited.sha256, first.sha256);

        // Same content as the first build again: its entry is still there and matches.
        fs.writeFileSync(path.join(root, "src", "b.ts"), "export const b = 2;\n");
        assert.deepStrictEqual(await packCached(cache, recipe, root, build), { ...first, cached: true });

        assert.strictEqual((await packCached(cache, { ...recipe, esbuild: "0.0.1" }, root, build)).cached, false);

        const buildsBefore = builds;
        fs.appendFileSync(first.path, "damage");
        const repaired = await packCached(cache, recipe, root, build);
        assert.strictEqual(builds, buildsBefore + 1, "a damaged tarball is not served");
        assert.strictEqual(repaired.sha256, first.sha256);
        assert.strictEqual(crypto.createHash("sha256").update(fs.readFileSync(repaired.path)).digest("hex"), first.sha256);
    });

    it("keeps the eight most recently used entries", async () => {
        const made: string[] = [];
        for (let i = 0; i < 10; i++) {
            fs.writeFileSync(path.join(root, "src", "a.ts"), `export const a = ${i};\n`);
            made.push((await packCached(cache, recipe, root, build)).sha256);
        }
        assert.deepStrictEqual(fs.readdirSync(cache).sort(), made.slice(2).sort());
    });

    it("caches the real boot service bundle by every file esbuild read", async function () {
        this.timeout(180_000);
        const first = await packBootServer(cache);
        const manifest = JSON.parse(fs.readFileSync(path.join(cache, first.sha256, "manifest.json"), "utf8")) as { inputs: { path: string }[] };
        const inputs = manifest.inputs.map((i) => i.path);
        for (const expected of ["infra/boot-server/src/server.ts", "infra/boot-server/build.ts", "node_modules/@electric-sql/pglite/dist/pglite.wasm"]) {
            assert.ok(inputs.includes(expected), `${expected} is an input`);
        }
        assert.ok(inputs.some((p) => p.startsWith("node_modules/fastify/")), "bundled dependencies are inputs");
        const second = await packBootServer(cache);
        assert.deepStrictEqual(second, { ...first, cached: true });
    });
});
