/**
 * The iPXE the lab's TFTP root serves, the same as every edge site serves (decision 0009):
 * Debian 13's `ipxe` package pinned in lib/ipxe/debianPackage.ts, fetched from Debian's archive
 * (cached in `.lab/cache/ipxe/`), its SHA-256 and each binary's checked, then unpacked with
 * `dpkg-deb`; or, with `--ipxe <dir>`, a custom build of infra/ipxe/build.sh (its `ipxe.efi` and
 * `undionly.kpxe`). Also writes the site's root files (iPXE's cross-signed-certificate source).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { DEBIAN_IPXE, DEBIAN_IPXE_TFTP_NAMES, type DebianIpxePackage } from "../../lib/ipxe/debianPackage";
import type { IpxeTrustAnchors } from "../../lib/ipxe/trust";
import { run } from "../process/processes";

/** The TFTP directory, under the TFTP root, of the roots iPXE may fetch (as at a site). */
export const LAB_ROOTS_DIR = "ipxe-roots";

export interface LabIpxe {
    /** "debian": the pinned package; "custom": a build of infra/ipxe/build.sh. */
    kind: "debian" | "custom";
    /** TFTP file names dnsmasq hands firmware PXE, by firmware. */
    tftpNames: { bios: string; efi: string };
    /** For the output. */
    description: string;
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** The pinned package in `cacheDir`, fetched when missing or not matching its SHA-256; returns the unpacked tree. */
export async function ensureDebianIpxe(cacheDir: string, say: (m: string) => void, pkg: DebianIpxePackage = DEBIAN_IPXE, timeoutMs = 120_000): Promise<string> {
    const dir = path.join(cacheDir, "ipxe");
    fs.mkdirSync(dir, { recursive: true });
    const deb = path.join(dir, pkg.debFile);
    const unpacked = path.join(dir, `unpacked-${pkg.version}`);
    const cached = fs.existsSync(deb) && sha256(fs.readFileSync(deb)) === pkg.sha256;
    if (!cached) {
        let last = "no source tried";
        for (const url of pkg.urls) {
            say(`ipxe: fetching ${pkg.name} ${pkg.version} (${pkg.release}) from ${url}`);
            try {
                const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
                if (!res.ok) {
                    last = `${url}: HTTP ${res.status}`;
                    continue;
                }
                const body = Buffer.from(await res.arrayBuffer());
                if (sha256(body) !== pkg.sha256) {
                    last = `${url} served other bytes (SHA-256 mismatch)`;
                    continue;
                }
                fs.writeFileSync(deb, body);
                fs.rmSync(unpacked, { recursive: true, force: true });
                break;
            } catch (err) {
                last = `${url}: ${(err as Error).message}`;
            }
        }
        if (!fs.existsSync(deb) || sha256(fs.readFileSync(deb)) !== pkg.sha256) {
            throw new Error(`could not fetch ${pkg.debFile} with SHA-256 ${pkg.sha256} (${last}); the lab needs Debian's archive once, then it is cached in ${dir}`);
        }
    }
    if (!fs.existsSync(unpacked)) {
        const tmp = `${unpacked}.tmp`;
        fs.rmSync(tmp, { recursive: true, force: true });
        const x = run("dpkg-deb", ["--extract", deb, tmp], { allowFail: true });
        if (x.status !== 0) throw new Error(`dpkg-deb could not unpack ${deb}: ${x.stderr.trim()}`);
        fs.renameSync(tmp, unpacked);
    }
    for (const f of Object.values(pkg.files)) {
        const file = path.join(unpacked, f.path);
        if (!fs.existsSync(file) || sha256(fs.readFileSync(file)) !== f.sha256) throw new Error(`${f.path} in ${pkg.debFile} does not have its pinned SHA-256; remove ${dir} and run again`);
    }
    return unpacked;
}

/** Fills the TFTP root: the iPXE binaries, and the roots iPXE may fetch. */
export async function layOutTftpRoot(opts: {
    tftpRoot: string;
    cacheDir: string;
    customIpxeDir?: string;
    anchors: IpxeTrustAnchors;
    say: (m: string) => void;
}): Promise<LabIpxe> {
    fs.mkdirSync(path.join(opts.tftpRoot, LAB_ROOTS_DIR), { recursive: true });
    for (const c of opts.anchors.crossCerts) fs.writeFileSync(path.join(opts.tftpRoot, LAB_ROOTS_DIR, c.fileName), c.der);
    if (opts.customIpxeDir !== undefined) {
        const names = { bios: "undionly.kpxe", efi: "ipxe.efi" };
        for (const f of Object.values(names)) {
            const src = path.join(opts.customIpxeDir, f);
            if (!fs.existsSync(src)) throw new Error(`--ipxe ${opts.customIpxeDir}: no ${f} there (infra/ipxe/build.sh --out writes undionly.kpxe and ipxe.efi)`);
            fs.copyFileSync(src, path.join(opts.tftpRoot, f));
        }
        return { kind: "custom", tftpNames: names, description: `custom build from ${opts.customIpxeDir}` };
    }
    const unpacked = await ensureDebianIpxe(opts.cacheDir, opts.say);
    fs.copyFileSync(path.join(unpacked, DEBIAN_IPXE.files.bios.path), path.join(opts.tftpRoot, DEBIAN_IPXE_TFTP_NAMES.bios));
    fs.copyFileSync(path.join(unpacked, DEBIAN_IPXE.files.efi.path), path.join(opts.tftpRoot, DEBIAN_IPXE_TFTP_NAMES.efi));
    return {
        kind: "debian",
        tftpNames: { bios: DEBIAN_IPXE_TFTP_NAMES.bios, efi: DEBIAN_IPXE_TFTP_NAMES.efi },
        description: `${DEBIAN_IPXE.release} ${DEBIAN_IPXE.name} ${DEBIAN_IPXE.version} (pinned, SHA-256 checked)`,
    };
}
