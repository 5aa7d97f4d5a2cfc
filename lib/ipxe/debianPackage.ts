/**
 * The iPXE every edge site serves by default: Debian 13's `ipxe` package, pinned by version and
 * SHA-256 and fetched from Debian's archive by the edge host (infra/edge-host/install.ts), so that
 * every site runs the same bytes whatever distribution release its host runs.
 *
 * Why this build (docs/decisions/0009-https-ipxe-pinned-root.md): it has HTTPS (`Features: …
 * HTTPS …`), speaks TLS 1.2 with ECDHE-RSA suites, and was built without `TRUST=`, so it takes its
 * trusted roots from the `trust` setting present when it starts: the site's DHCP answer to the
 * firmware (option 175.90), which a chainloaded iPXE finds in the firmware's cached DHCPACK. It
 * has no ECDSA (added upstream in December 2025), so servers that offer both pick RSA for it.
 *
 * Licence: the HTTPS code is GPL v2 or later only, so whoever ships these binaries ships (or
 * offers) the corresponding source: Debian's source package of the same version, listed below.
 */

/** One binary taken from the package. */
export interface DebianIpxeFile {
    /** Path inside the package's data archive (no leading `./` or `/`). */
    path: string;
    /** SHA-256 of the file, 64 lower-case hex digits. */
    sha256: string;
}

export interface DebianIpxePackage {
    /** Debian package name. */
    name: string;
    /** Exact Debian version. */
    version: string;
    /** The release it comes from, for messages. */
    release: string;
    /** File name of the .deb in the archive's pool. */
    debFile: string;
    /** SHA-256 of the .deb, 64 lower-case hex digits (what `apt-cache show` lists). */
    sha256: string;
    /** Size of the .deb in bytes. */
    size: number;
    /**
     * Where to fetch it, tried in order: the archive's pool (until the version is superseded), then
     * snapshot.debian.org by the file's SHA-1 (kept forever). The SHA-256 is checked either way.
     */
    urls: string[];
    /** The binaries a site serves, by firmware. */
    files: {
        /** Legacy BIOS PXE (client-arch 0): a UNDI driver on top of the firmware's PXE stack. */
        bios: DebianIpxeFile;
        /** x86-64 UEFI (client-arch 7, 9): uses the firmware's network driver (SNP). */
        efi: DebianIpxeFile;
        /** arm64 UEFI (client-arch 11): iPXE with its own drivers. */
        arm64Efi: DebianIpxeFile;
    };
    /** Built with HTTPS (`DOWNLOAD_PROTO_HTTPS`). */
    https: boolean;
    /** Built without `TRUST=`: the trusted roots come from the `trust` setting at start-up (DHCP 175.90). */
    trustFromDhcp: boolean;
    /** The corresponding source (GPL v2): Debian source package and upstream commit. */
    source: { debianSourcePackage: string; dsc: string; upstreamCommit: string };
}

const VERSION = "1.21.1+git20250501.dad20602+dfsg-1";
const DEB = `ipxe_${VERSION}_all.deb`;

/** Debian 13 (trixie) `ipxe`, as `apt-cache show ipxe` lists it there. */
export const DEBIAN_IPXE: DebianIpxePackage = {
    name: "ipxe",
    version: VERSION,
    release: "Debian 13 (trixie)",
    debFile: DEB,
    sha256: "eeaca79dbde0fb86c102bf1d362c6f6a67ed0ddab38b3dd12e1b332339f5dd99",
    size: 2480284,
    urls: [
        `https://deb.debian.org/debian/pool/main/i/ipxe/${DEB}`,
        "https://snapshot.debian.org/file/cb84463ae4bc5d90037a9ba9e4641f0ea4117cf7",
    ],
    files: {
        bios: { path: "usr/lib/ipxe/undionly.kpxe", sha256: "391bfe580ec9f823d046ee390765d6c389f482b9a8b9fae0f90871cd8ff57828" },
        efi: { path: "usr/lib/ipxe/snponly.efi", sha256: "9a624b4e05ebc25718a7658356628a352532bd278e7a50465a36ab94a7c4e580" },
        arm64Efi: { path: "usr/lib/ipxe/ipxe-arm64.efi", sha256: "5369815eee98bf98b28a18af9a57207f9096a3b4e542ed3df1eb3f5b28d3d9a9" },
    },
    https: true,
    trustFromDhcp: true,
    source: {
        debianSourcePackage: `ipxe ${VERSION}`,
        dsc: `https://snapshot.debian.org/package/ipxe/${VERSION}/`,
        upstreamCommit: "dad20602609438e72f2fe8d9dd49b9a92b8490fa",
    },
};

/** The TFTP names a site serves the Debian binaries under (also dnsmasq's `dhcp-boot` names). */
export const DEBIAN_IPXE_TFTP_NAMES = { bios: "undionly.kpxe", efi: "snponly.efi", arm64Efi: "ipxe-arm64.efi" } as const;
