/**
 * Packs the boot service for Cloud Run's source deploy: the esbuild bundle from build.ts as a
 * deterministic `.tar.gz` (sorted entries, fixed mtimes, portable headers), so the same source
 * always yields the same bytes, the same sha256 and therefore no new revision.
 *
 * Packed bundles are cached by the content of their inputs (every file esbuild read, the PGlite
 * files, the build and pack scripts, the esbuild and tar versions) under
 * `node_modules/.cache/talos-cloud-edge/boot-server/<sha256>/`: a program run whose inputs are
 * unchanged reuses the tarball instead of building and compressing it again (seconds). As in
 * git's index, a file whose size and modification time are those recorded is taken to have the
 * recorded sha256; any other file is hashed. Entries are immutable and written atomically (built
 * in a temporary directory, then renamed), so concurrent runs and the engine reading the file
 * are safe. `rm -rf node_modules/.cache/talos-cloud-edge` forces a rebuild.
 *
 * Given the inventory, the bundle also carries it as `inventory.json` (BUNDLED_INVENTORY_FILE),
 * which the service reads through BOOT_INVENTORY_FILE (Cloud Run caps an environment variable at
 * 32 KiB): its sha256 is part of the cache recipe, so an inventory change is a new tarball and a
 * new revision.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tar from "tar";
import { BuiltBundle, buildBootServerBundleWithInputs, PROJECT_ROOT } from "./build";
import { BUNDLED_INVENTORY_FILE, inventoryFileText, type BootSiteInput } from "../../model/bootContract";

export interface PackedBootServer {
    /** Absolute path of the tarball. */
    path: string;
    /** sha256 of the tarball, hex. */
    sha256: string;
    /** True when the tarball came from the cache without a build. */
    cached: boolean;
    /** sha256 (hex) of the bundled inventory file, when one was packed; the stack checks it against its sites. */
    inventorySha256?: string;
}

/** Where packed bundles are cached: inside node_modules, so never committed and gone with a clean install. */
export const DEFAULT_PACK_CACHE = path.join(PROJECT_ROOT, "node_modules", ".cache", "talos-cloud-edge", "boot-server");
/** Entries kept; older ones (by last use) are removed after a build. */
const KEEP_ENTRIES = 8;
const TARBALL = "boot-server.tar.gz";
const MANIFEST = "manifest.json";

/** A file's content hash with the size and modification time it had when hashed. */
interface FileStamp {
    sha256: string;
    size: number;
    mtimeMs: number;
}

/** What an entry was made from: the tools' versions and every input file with its sha256. */
interface PackManifest {
    recipe: Record<string, string>;
    /** Paths relative to the project root, so worktrees with the same content share entries. */
    inputs: ({ path: string } & FileStamp)[];
    /** The tarball's stamp. */
    tarball: FileStamp;
}

const sha256File = (file: string): string => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

function stampFile(file: string): FileStamp {
    const stat = fs.statSync(file);
    return { sha256: sha256File(file), size: stat.size, mtimeMs: stat.mtimeMs };
}

/** True when `file` has the recorded content: same size and mtime, or else the same sha256. */
function matchesStamp(file: string, stamp: FileStamp): boolean {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(file);
    } catch {
        return false;
    }
    if (stat.size !== stamp.size) {
        return false;
    }
    return stat.mtimeMs === stamp.mtimeMs || sha256File(file) === stamp.sha256;
}

function listFiles(dir: string, prefix = ""): string[] {
    const out: string[] = [];
    for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
        const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
        if (entry.isDirectory()) {
            out.push(...listFiles(dir, rel));
        } else if (entry.isFile()) {
            out.push(rel);
        }
    }
    return out.sort();
}

/** Tars `dir` reproducibly into `file` and returns its sha256. */
export async function packDirectory(dir: string, file: string): Promise<string> {
    await tar.create(
        { gzip: { level: 9 }, file, cwd: dir, portable: true, mtime: new Date(0), noDirRecurse: true },
        listFiles(dir),
    );
    return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** The tools and format that shape the tarball besides the input files. */
export function bootServerRecipe(): Record<string, string> {
    const versionOf = (pkg: string): string =>
        (JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`, { paths: [__dirname] }), "utf8")) as { version: string }).version;
    return { format: "1", esbuild: versionOf("esbuild"), tar: versionOf("tar"), pack: sha256File(__filename) };
}

/** The cached entry whose recipe and input contents match the current files, if any. */
export function findCachedPack(cacheDir: string, recipe: Record<string, string>, root: string): PackedBootServer | undefined {
    let entries: fs.Dirent[];
    try {
        entries = fs.readdirSync(cacheDir, { withFileTypes: true });
    } catch {
        return undefined;
    }
    for (const entry of entries.filter((e) => e.isDirectory() && /^[0-9a-f]{64}$/.test(e.name))) {
        const dir = path.join(cacheDir, entry.name);
        let manifest: PackManifest;
        try {
            manifest = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), "utf8")) as PackManifest;
        } catch {
            continue;
        }
        const file = path.join(dir, TARBALL);
        if (
            JSON.stringify(manifest.recipe) !== JSON.stringify(recipe) ||
            manifest.tarball?.sha256 !== entry.name ||
            !matchesStamp(file, manifest.tarball) ||
            !manifest.inputs.every((i) => matchesStamp(path.join(root, i.path), i))
        ) {
            continue;
        }
        const now = new Date();
        fs.utimesSync(dir, now, now);
        return { path: file, sha256: entry.name, cached: true };
    }
    return undefined;
}

/** Removes all but the `keep` most recently used entries and any leftover temporary directory older than an hour. */
function pruneCache(cacheDir: string, keep: number, except: string): void {
    const dirs = fs.readdirSync(cacheDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => {
        const full = path.join(cacheDir, e.name);
        return { name: e.name, full, mtime: fs.statSync(full).mtimeMs };
    });
    const entries = dirs.filter((d) => /^[0-9a-f]{64}$/.test(d.name) && d.full !== except).sort((a, b) => b.mtime - a.mtime);
    for (const old of entries.slice(Math.max(0, keep - 1))) {
        fs.rmSync(old.full, { recursive: true, force: true });
    }
    for (const tmp of dirs.filter((d) => d.name.startsWith("tmp-") && Date.now() - d.mtime > 3_600_000)) {
        fs.rmSync(tmp.full, { recursive: true, force: true });
    }
}

/**
 * The packed bundle for the current inputs: from the cache when one matches, otherwise built
 * with `build`, packed, and stored as a new entry. `root` is the directory input paths are
 * recorded relative to.
 */
export async function packCached(
    cacheDir: string,
    recipe: Record<string, string>,
    root: string,
    build: (outDir: string) => Promise<BuiltBundle>,
): Promise<PackedBootServer> {
    const hit = findCachedPack(cacheDir, recipe, root);
    if (hit) {
        return hit;
    }
    fs.mkdirSync(cacheDir, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(cacheDir, `tmp-${process.pid}-`));
    try {
        const built = await build(path.join(tmp, "bundle"));
        const sha256 = await packDirectory(built.dir, path.join(tmp, TARBALL));
        const manifest: PackManifest = {
            recipe,
            inputs: built.inputs.map((file) => ({ path: path.relative(root, file).split(path.sep).join("/"), ...stampFile(file) })),
            tarball: stampFile(path.join(tmp, TARBALL)),
        };
        fs.writeFileSync(path.join(tmp, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
        fs.rmSync(built.dir, { recursive: true, force: true });
        const entry = path.join(cacheDir, sha256);
        const intact = (): boolean => {
            try {
                return sha256File(path.join(entry, TARBALL)) === sha256;
            } catch {
                return false;
            }
        };
        if (fs.existsSync(entry) && !intact()) {
            fs.rmSync(entry, { recursive: true, force: true });
        }
        try {
            fs.renameSync(tmp, entry);
        } catch (err) {
            // Another run stored the same bytes first: its entry serves as well.
            if (!intact()) {
                throw err;
            }
        }
        pruneCache(cacheDir, KEEP_ENTRIES, entry);
        return { path: path.join(entry, TARBALL), sha256, cached: false };
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/** Writes the inventory file into a bundle directory; returns the sha256 of what it wrote. */
export function writeBundledInventory(bundleDir: string, sites: BootSiteInput[]): string {
    const text = inventoryFileText(sites);
    fs.writeFileSync(path.join(bundleDir, BUNDLED_INVENTORY_FILE), text);
    return crypto.createHash("sha256").update(text).digest("hex");
}

/**
 * Builds and packs the boot service, with `opts.inventory` as its inventory file, or reuses the
 * cached tarball when no input (and no inventory) changed.
 */
export async function packBootServer(cacheDir = DEFAULT_PACK_CACHE, opts: { inventory?: BootSiteInput[] } = {}): Promise<PackedBootServer> {
    const sites = opts.inventory;
    if (sites === undefined) {
        return packCached(cacheDir, bootServerRecipe(), PROJECT_ROOT, buildBootServerBundleWithInputs);
    }
    const inventorySha256 = crypto.createHash("sha256").update(inventoryFileText(sites)).digest("hex");
    const packed = await packCached(cacheDir, { ...bootServerRecipe(), inventory: inventorySha256 }, PROJECT_ROOT, async (outDir) => {
        const built = await buildBootServerBundleWithInputs(outDir);
        writeBundledInventory(built.dir, sites);
        return built;
    });
    return { ...packed, inventorySha256 };
}
