/**
 * Packs the boot service for Cloud Run's source deploy: the esbuild bundle from build.ts as a
 * deterministic `.tar.gz` (sorted entries, fixed mtimes, portable headers), so the same source
 * always yields the same bytes, the same sha256 and therefore no new revision.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tar from "tar";
import { buildBootServerBundle } from "./build";

export interface PackedBootServer {
    /** Absolute path of the tarball. */
    path: string;
    /** sha256 of the tarball, hex. */
    sha256: string;
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

/**
 * Builds the bundle and packs it. `workDir` defaults to a per-user cache directory so
 * repeated previews reuse the location (the content hash decides whether anything changed).
 */
export async function packBootServer(workDir = path.join(os.tmpdir(), "talos-cloud-edge-boot-server")): Promise<PackedBootServer> {
    const bundleDir = await buildBootServerBundle(path.join(workDir, "bundle"));
    const file = path.join(workDir, "boot-server.tar.gz");
    const sha256 = await packDirectory(bundleDir, file);
    return { path: file, sha256 };
}
