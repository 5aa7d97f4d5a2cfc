/**
 * Bundles the boot service for Cloud Run's source deploy without a container build: one
 * `server.js` (esbuild, platform node, target node20) plus the files PGlite loads at run time
 * (its WebAssembly and data files cannot be inlined), and a minimal `package.json`.
 *
 *   npx ts-node --transpile-only infra/boot-server/build.ts [outDir]   (default infra/boot-server/dist)
 *   node <outDir>/server.js --help
 *
 * The output directory is self-contained (no npm install): upload it as is, start with
 * `node server.js`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { build } from "esbuild";

const HERE = __dirname;
/** The repository root: esbuild's working directory, so the bundle is the same from any cwd. */
export const PROJECT_ROOT = path.resolve(HERE, "..", "..");
const ENTRY = path.join(HERE, "src", "server.ts");
const DEFAULT_OUT_DIR = path.join(HERE, "dist");
const PGLITE = "@electric-sql/pglite";

/** Files of the PGlite package the CommonJS entry needs at run time. */
const PGLITE_FILES = ["package.json", "LICENSE", "dist/index.cjs", "dist/pglite.wasm", "dist/pglite.data", "dist/initdb.wasm"];

function pglitePackageDir(): string {
    // The package's exports map hides package.json; its CommonJS entry is dist/index.cjs.
    return path.resolve(path.dirname(require.resolve(PGLITE, { paths: [HERE] })), "..");
}

/** A built bundle and every file it was made from. */
export interface BuiltBundle {
    /** Absolute path of the bundle directory. */
    dir: string;
    /**
     * Absolute paths of every input: the sources esbuild read (its metafile), the PGlite files
     * copied as they are, and this build script. Same contents, same bundle.
     */
    inputs: string[];
}

/**
 * Builds the bundle into `outDir` (emptied first) and resolves to the absolute path of that
 * directory, which then holds `server.js`, `package.json` and `node_modules/@electric-sql/pglite`.
 */
export async function buildBootServerBundle(outDir: string = DEFAULT_OUT_DIR): Promise<string> {
    return (await buildBootServerBundleWithInputs(outDir)).dir;
}

/** `buildBootServerBundle`, also reporting the input files (for the pack cache in pack.ts). */
export async function buildBootServerBundleWithInputs(outDir: string = DEFAULT_OUT_DIR): Promise<BuiltBundle> {
    const out = path.resolve(outDir);
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out, { recursive: true });

    const result = await build({
        absWorkingDir: PROJECT_ROOT,
        metafile: true,
        entryPoints: [ENTRY],
        outfile: path.join(out, "server.js"),
        bundle: true,
        platform: "node",
        target: "node20",
        format: "cjs",
        minify: false,
        sourcemap: false,
        legalComments: "none",
        logLevel: "warning",
        // PGlite finds its .wasm/.data next to its own module, so it ships as a package.
        // pg-native is an optional peer of pg that is never loaded.
        external: [PGLITE, "pg-native"],
    });

    const inputs = Object.keys(result.metafile.inputs).map((p) => path.resolve(PROJECT_ROOT, p));
    inputs.push(__filename);
    const src = pglitePackageDir();
    const dst = path.join(out, "node_modules", ...PGLITE.split("/"));
    for (const file of PGLITE_FILES) {
        const from = path.join(src, file);
        if (!fs.existsSync(from)) {
            if (file === "LICENSE") continue;
            throw new Error(`buildBootServerBundle: ${PGLITE} file ${file} not found in ${src}`);
        }
        inputs.push(from);
        fs.mkdirSync(path.dirname(path.join(dst, file)), { recursive: true });
        fs.copyFileSync(from, path.join(dst, file));
    }
    const pgliteVersion = (JSON.parse(fs.readFileSync(path.join(src, "package.json"), "utf8")) as { version: string }).version;

    fs.writeFileSync(
        path.join(out, "package.json"),
        `${JSON.stringify(
            {
                name: "talos-boot-server",
                private: true,
                description: "talos-cloud-edge boot service (bundled)",
                main: "server.js",
                engines: { node: ">=20" },
                scripts: { start: "node server.js" },
                dependencies: { [PGLITE]: pgliteVersion },
            },
            null,
            2,
        )}\n`,
    );
    return { dir: out, inputs: [...new Set(inputs)].sort() };
}

if (require.main === module) {
    const args = process.argv.slice(2);
    if (args.includes("--help") || args.includes("-h") || args.length > 1) {
        process.stdout.write(
            "Usage: npx ts-node --transpile-only infra/boot-server/build.ts [outDir]\n" +
                `Bundles the boot service into outDir (default ${path.relative(process.cwd(), DEFAULT_OUT_DIR)}): server.js, package.json,\n` +
                "node_modules/@electric-sql/pglite. Run it with `node <outDir>/server.js` (see --help there).\n",
        );
        process.exit(args.length > 1 ? 2 : 0);
    }
    console.log("boot-server build: bundling with esbuild ...");
    buildBootServerBundle(args[0])
        .then((dir) => {
            const size = fs.statSync(path.join(dir, "server.js")).size;
            console.log(`boot-server build: wrote ${dir} (server.js ${(size / 1024).toFixed(0)} KiB)`);
        })
        .catch((err: Error) => {
            console.error(`boot-server build: failed: ${err.message}`);
            process.exit(1);
        });
}
