/**
 * How `pulumi up` loads the program's TypeScript (docs/decisions/0134-program-loader.md):
 * Pulumi.yaml sets `runtime.options.typescript: false` and passes this file to Node with
 * `nodeargs: --require=../scripts/typescript-loader.js` (relative to `main: stacks/`, the
 * directory Pulumi starts the program in).
 *
 * It registers a `.ts` require hook that strips the types of each of our files with esbuild
 * (one file at a time, like `ts-node --transpile-only`; type checks are `npm run build`'s job)
 * and maps stack traces back to the TypeScript lines through the same source-map-support
 * module the Pulumi launcher installs, so errors and the source positions Pulumi records for
 * every resource name `.ts` files and lines as they did under ts-node.
 *
 * Plain JavaScript on purpose: it runs before anything can load TypeScript. Also used by
 * bench/graph (to time the program as `pulumi up` loads it) and by stacks/extensions.ts.
 *
 *   node --require=./scripts/typescript-loader.js some/file.ts      (from the repository root)
 */
"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const Module = require("node:module");

const ROOT = path.resolve(__dirname, "..");
const REGISTERED = Symbol.for("talos-cloud-edge.typescript-loader");

/**
 * esbuild options equivalent to tsconfig.json for a single-file transpile: ES2022 output
 * (tsconfig `target`), so class fields keep define semantics, CommonJS modules (no
 * `"type": "module"` in package.json) with esModuleInterop-compatible default imports.
 */
const TRANSFORM_OPTIONS = {
    loader: "ts",
    format: "cjs",
    target: "es2022",
    platform: "node",
    sourcemap: "external",
    // The maps name the .ts file on disk (`sourcefile`, its absolute path); no copy of its text.
    sourcesContent: false,
    tsconfigRaw: { compilerOptions: { target: "ES2022", useDefineForClassFields: true, esModuleInterop: true } },
};

/**
 * Transpiled files are kept here, named by a SHA-256 of everything the output depends on (the
 * source text, its path, esbuild's version and the options), so an unchanged file is read back
 * instead of being transpiled again and a changed one can never be served stale. Entries are
 * written whole (temporary file, then rename); a cache that cannot be written is skipped.
 */
const CACHE_DIR = path.join(ROOT, "node_modules", ".cache", "talos-cloud-edge", "typescript-loader");

/** File name -> its source map (JSON text), for the stack-trace formatter. */
const sourceMaps = new Map();

/** The esbuild API, loaded on the first file that is not in the cache. */
let esbuild;

/** esbuild's version, read once (its package.json, not the API, which would start esbuild). */
let esbuildVersion;

function cacheKey(source, filename) {
    esbuildVersion ??= JSON.parse(fs.readFileSync(require.resolve("esbuild/package.json", { paths: [ROOT] }), "utf8")).version;
    return crypto.createHash("sha256").update(JSON.stringify([esbuildVersion, TRANSFORM_OPTIONS, filename])).update("\0").update(source).digest("hex");
}

function readCached(key) {
    try {
        return { code: fs.readFileSync(path.join(CACHE_DIR, `${key}.js`), "utf8"), map: fs.readFileSync(path.join(CACHE_DIR, `${key}.js.map`), "utf8") };
    } catch {
        return undefined;
    }
}

/** Entries kept: each edit of a file adds one, so the oldest go once there are more than this. */
const CACHE_ENTRIES = 2000;

function writeCached(key, result) {
    try {
        fs.mkdirSync(CACHE_DIR, { recursive: true });
        // The map first: an entry counts as present once its .js exists.
        for (const [suffix, text] of [[".js.map", result.map], [".js", result.code]]) {
            const tmp = path.join(CACHE_DIR, `${key}${suffix}.${process.pid}.tmp`);
            fs.writeFileSync(tmp, text);
            fs.renameSync(tmp, path.join(CACHE_DIR, `${key}${suffix}`));
        }
        pruneCache();
    } catch {
        // Read-only checkout or full disk: transpile again next time.
    }
}

/** Removes the least recently written entries beyond CACHE_ENTRIES (runs only after a miss). */
function pruneCache() {
    const entries = fs.readdirSync(CACHE_DIR).filter((f) => f.endsWith(".js"));
    if (entries.length <= CACHE_ENTRIES) {
        return;
    }
    const byAge = entries.map((f) => ({ f, mtime: fs.statSync(path.join(CACHE_DIR, f)).mtimeMs })).sort((a, b) => a.mtime - b.mtime);
    for (const { f } of byAge.slice(0, entries.length - CACHE_ENTRIES)) {
        fs.rmSync(path.join(CACHE_DIR, f), { force: true });
        fs.rmSync(path.join(CACHE_DIR, `${f}.map`), { force: true });
    }
}

/** The JavaScript for one TypeScript file; throws with the file named when esbuild refuses it. */
function transpile(source, filename) {
    const key = cacheKey(source, filename);
    let result = readCached(key);
    if (result === undefined) {
        esbuild ??= require("esbuild");
        try {
            result = esbuild.transformSync(source, { ...TRANSFORM_OPTIONS, sourcefile: filename });
        } catch (err) {
            throw new Error(`${path.relative(ROOT, filename)}: TypeScript could not be transpiled: ${err.message}`);
        }
        writeCached(key, result);
    }
    sourceMaps.set(filename, result.map);
    return result.code;
}

/** True for files the hook compiles: TypeScript outside node_modules (npm packages ship JavaScript). */
function ownTypeScript(filename) {
    return filename.endsWith(".ts") && !filename.endsWith(".d.ts") && !filename.split(path.sep).includes("node_modules");
}

/**
 * Lets the launcher's source-map-support map our files (it reads maps from disk otherwise, and
 * the compiled JavaScript never is on disk). Pulumi's launcher requires `source-map-support/register`
 * as resolved from @pulumi/pulumi; the same module instance receives the handler here.
 */
function installSourceMaps() {
    let support;
    try {
        const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [ROOT] }));
        support = require(require.resolve("source-map-support", { paths: [pulumiDir] }));
    } catch {
        // No Pulumi SDK installed: Node's own source maps.
        process.setSourceMapsEnabled(true);
        return;
    }
    support.install({
        environment: "node",
        handleUncaughtExceptions: false,
        retrieveSourceMap: (file) => {
            const map = sourceMaps.get(file);
            return map === undefined ? null : { url: file, map };
        },
    });
}

/**
 * `@pulumi/pulumi` requires the TypeScript compiler as it loads (through its `typescript-shim`,
 * for the closure serializer, which parses the functions it serializes), about 0.5 s of CPU,
 * yet calls it only when it serializes a function, which this program does not do (its dynamic
 * providers are module text: components/dynamicModule.ts). The shim's module is given a
 * stand-in that loads the real one on first use, so nothing changes for code that does use it.
 */
function deferSdkTypeScript() {
    let shim;
    try {
        shim = require.resolve("@pulumi/pulumi/typescript-shim", { paths: [ROOT] });
    } catch {
        return; // no Pulumi SDK here
    }
    if (require.cache[shim]) {
        return; // already loaded for real
    }
    let real;
    const load = () => {
        if (real === undefined) {
            const actual = new Module(shim, module);
            actual.filename = shim;
            actual.paths = Module._nodeModulePaths(path.dirname(shim));
            actual._compile(fs.readFileSync(shim, "utf8"), shim);
            real = actual.exports;
        }
        return real;
    };
    const standIn = new Module(shim, module);
    standIn.filename = shim;
    standIn.loaded = true;
    standIn.exports = new Proxy(
        {},
        {
            get: (_, key) => load()[key],
            has: (_, key) => key in load(),
            ownKeys: () => Reflect.ownKeys(load()),
            getOwnPropertyDescriptor: (_, key) => {
                const d = Object.getOwnPropertyDescriptor(load(), key);
                return d === undefined ? undefined : { ...d, configurable: true };
            },
        },
    );
    require.cache[shim] = standIn;
}

/**
 * Installs the hook once per process. It replaces any `.ts` handler already there (another
 * loader given first on the command line, or the type stripping of newer Node.js versions, which
 * refuses enums and parameter properties), so the program always loads the same way.
 */
function register() {
    if (global[REGISTERED]) {
        return;
    }
    global[REGISTERED] = true;
    installSourceMaps();
    deferSdkTypeScript();
    Module._extensions[".ts"] = function loadTypeScript(module, filename) {
        if (!ownTypeScript(filename)) {
            throw new Error(`${filename}: TypeScript inside node_modules is not loaded (the package should ship JavaScript)`);
        }
        module._compile(transpile(fs.readFileSync(filename, "utf8"), filename), filename);
    };
}

register();

module.exports = { transpile, TRANSFORM_OPTIONS };
