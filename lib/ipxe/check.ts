/**
 * Whether the iPXE a stack serves can run the boot chain against its boot URL. An `https://` boot
 * URL with an iPXE that has no HTTPS, or trusts none of the roots the URL's certificate chains to,
 * fails every network boot with `Operation not supported` or `Permission denied`: this check makes
 * that a config error before any resource exists (docs/decisions/0009-https-ipxe-pinned-root.md).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { DEBIAN_IPXE, type DebianIpxePackage } from "./debianPackage";
import { GOOGLE_RUN_APP_TRUST, GOOGLE_TRUST_FINGERPRINTS } from "./googleTrust";
import { normaliseFingerprint } from "./trust";

/** What a boot URL asks of iPXE. */
export interface BootUrlTls {
    /** For messages, e.g. "Cloud Run *.run.app". */
    name: string;
    scheme: "https" | "http";
    /** Certificates an iPXE may trust for this URL (SHA-256, any case, colons optional), by name. */
    acceptableAnchors: Record<string, string>;
}

/** The boot service's default endpoint: Cloud Run's `https://<service>-<hash>.<region>.run.app`. */
export const RUN_APP_BOOT_URL: BootUrlTls = {
    name: "Cloud Run *.run.app",
    scheme: "https",
    acceptableAnchors: {
        "GTS Root R1": GOOGLE_TRUST_FINGERPRINTS.gtsRootR1,
        "GTS Root R2": GOOGLE_TRUST_FINGERPRINTS.gtsRootR2,
        "GTS Root R3": GOOGLE_TRUST_FINGERPRINTS.gtsRootR3,
        "GTS Root R4": GOOGLE_TRUST_FINGERPRINTS.gtsRootR4,
        "GTS Root R1 cross-signed by GlobalSign Root CA": GOOGLE_TRUST_FINGERPRINTS.gtsRootR1CrossSigned,
        "GlobalSign Root CA": GOOGLE_TRUST_FINGERPRINTS.globalSignRootCa,
    },
};

/** The iPXE a site serves. */
export type ServedIpxe =
    /** A pinned distribution package; `pinned` = the fingerprints the site's DHCP sends (175.90). */
    | { kind: "debian"; package: DebianIpxePackage; pinned: readonly string[] }
    /**
     * A custom build: the text of the `BUILD-INFO` infra/ipxe/build.sh wrote next to it (undefined
     * when there is none) and the SHA-256 of each binary the stack serves, by file name.
     */
    | { kind: "custom"; buildInfo: string | undefined; binaries: Record<string, string> };

/** What infra/ipxe/build.sh records in BUILD-INFO, as far as this check reads it. */
export interface BuildInfo {
    https: boolean;
    /** Trusted roots (`TRUST=`): subject and canonical fingerprint. */
    trustedRoots: { subject: string; fingerprint: string }[];
    /** SHA-256 of each binary of the build, by file name. */
    binaries: Record<string, string>;
}

/** Reads the lines of BUILD-INFO this check needs; unknown lines are ignored. */
export function parseBuildInfo(text: string): BuildInfo {
    const info: BuildInfo = { https: false, trustedRoots: [], binaries: {} };
    for (const line of text.split("\n")) {
        let m: RegExpExecArray | null;
        if (/^https: enabled\b/.test(line)) info.https = true;
        else if ((m = /^trusted root: (.*) sha256 ([0-9A-Fa-f:]{64,95})$/.exec(line))) {
            info.trustedRoots.push({ subject: m[1], fingerprint: normaliseFingerprint(m[2], "BUILD-INFO trusted root") });
        } else if ((m = /^binary: (\S+) sha256 ([0-9a-f]{64})$/.exec(line))) info.binaries[m[1]] = m[2];
    }
    return info;
}

/** Problems ("<what is wrong>; <how to fix it>") with serving `ipxe` for `url`; empty when it can boot. */
export function ipxeProblems(url: BootUrlTls, ipxe: ServedIpxe): string[] {
    if (url.scheme !== "https") return [];
    const acceptable = new Map(Object.entries(url.acceptableAnchors).map(([name, fp]) => [normaliseFingerprint(fp, name), name]));
    const rootNames = [...new Set(acceptable.values())].join(", ");
    if (ipxe.kind === "debian") {
        const pkg = `${ipxe.package.name} ${ipxe.package.version}`;
        const problems: string[] = [];
        if (!ipxe.package.https) problems.push(`${pkg} has no HTTPS, and the boot URL (${url.name}) is https://; serve the pinned Debian 13 package (lib/ipxe/debianPackage.ts) or a build of infra/ipxe/build.sh`);
        if (!ipxe.package.trustFromDhcp) {
            problems.push(`${pkg} was built with a fixed trust list, so the site's pin is ignored; serve a package built without TRUST= or a build of infra/ipxe/build.sh that trusts ${rootNames}`);
        } else if (!ipxe.pinned.some((fp) => acceptable.has(normaliseFingerprint(fp, "pinned fingerprint")))) {
            problems.push(`the site pins none of the roots the boot URL (${url.name}) chains to (${rootNames}), so iPXE refuses its certificate; pin them (lib/ipxe/googleTrust.ts)`);
        }
        return problems;
    }
    const rebuild = "build it with infra/ipxe/build.sh --ca-preset google and point images.ipxeEfi and images.ipxeBios at the files in its --out directory";
    if (ipxe.buildInfo === undefined) {
        return [`the custom iPXE build has no BUILD-INFO next to it, so nothing says it can do HTTPS or which roots it trusts, and the boot URL (${url.name}) is https://; ${rebuild}`];
    }
    let info: BuildInfo;
    try {
        info = parseBuildInfo(ipxe.buildInfo);
    } catch (e) {
        return [`the custom iPXE build's BUILD-INFO is unreadable (${(e as Error).message}); ${rebuild}`];
    }
    const problems: string[] = [];
    if (!info.https) problems.push(`the custom iPXE build's BUILD-INFO does not say "https: enabled", and the boot URL (${url.name}) is https://; ${rebuild}`);
    if (!info.trustedRoots.some((r) => acceptable.has(r.fingerprint))) {
        const has = info.trustedRoots.map((r) => r.subject).join("; ") || "none";
        problems.push(`the custom iPXE build trusts none of the roots the boot URL (${url.name}) chains to (${rootNames}; it trusts: ${has}), so iPXE refuses its certificate; ${rebuild}`);
    }
    for (const [file, sha256] of Object.entries(ipxe.binaries)) {
        if (!Object.values(info.binaries).includes(sha256)) {
            problems.push(`${file} (sha256 ${sha256}) is not one of the binaries its BUILD-INFO describes, so that BUILD-INFO says nothing about it; point at the --out directory of one build`);
        }
    }
    return problems;
}

/** What every site serves unless the stack names a custom build: Debian 13's iPXE with the Google pin. */
export const DEFAULT_SERVED_IPXE: ServedIpxe = { kind: "debian", package: DEBIAN_IPXE, pinned: GOOGLE_RUN_APP_TRUST.fingerprints };

/** A custom build as the check sees it: the BUILD-INFO next to the EFI binary and both binaries' SHA-256. */
export function readCustomIpxeBuild(files: { efi: string; bios: string }): ServedIpxe {
    const buildInfoFile = path.join(path.dirname(files.efi), "BUILD-INFO");
    const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");
    return {
        kind: "custom",
        buildInfo: fs.existsSync(buildInfoFile) ? fs.readFileSync(buildInfoFile, "utf8") : undefined,
        binaries: { [path.basename(files.efi)]: sha256(files.efi), [path.basename(files.bios)]: sha256(files.bios) },
    };
}
