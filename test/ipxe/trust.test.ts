/**
 * lib/ipxe: the trust anchors a site pins and serves, the pinned Debian package, and the config
 * check. iPXE's own behaviour (the DHCP pin read at start-up, the cross-signed-certificate fetch
 * over TFTP, HTTP Basic) is exercised under QEMU by the lab (`npm run lab`); here the values are
 * checked against iPXE's published algorithm (its CRC-32 test vector), against openssl, and
 * against the certificates Debian's ca-certificates ships.
 *
 * Needs the apt packages ca-certificates and openssl.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ipxeProblems, parseBuildInfo, RUN_APP_BOOT_URL, type ServedIpxe } from "../../lib/ipxe/check";
import { DEBIAN_IPXE, DEBIAN_IPXE_TFTP_NAMES } from "../../lib/ipxe/debianPackage";
import { GOOGLE_RUN_APP_TRUST, GOOGLE_TRUST_FINGERPRINTS, GOOGLE_TRUST_PEM } from "../../lib/ipxe/googleTrust";
import {
    certificateNames,
    crossCertFileName,
    derCertificateSet,
    dnsmasqHexBytes,
    ipxeTrustAnchors,
    normaliseFingerprint,
    pemCertificates,
    sha256Fingerprint,
} from "../../lib/ipxe/trust";

const MOZILLA = "/usr/share/ca-certificates/mozilla";
const WR2 = pemCertificates(fs.readFileSync(path.join(__dirname, "..", "fixtures", "ipxe", "google-wr2.pem"), "utf8"))[0];
const der = (pem: string) => pemCertificates(pem)[0];
const mozilla = (name: string) => der(fs.readFileSync(path.join(MOZILLA, `${name}.crt`), "utf8"));

describe("lib/ipxe", () => {
    describe("trust", () => {
        it("names cross-signed-certificate files with iPXE's CRC-32 (its own test vector)", () => {
            // src/tests/crc32_test.c: crc32_le(0xffffffff, "hello world") = 0xf2b5ee7a, no final XOR.
            assert.equal(crossCertFileName(Buffer.from("hello world")), "f2b5ee7a.der");
            // No data leaves the seed as it is (its empty_test), so the empty name is ffffffff.
            assert.equal(crossCertFileName(Buffer.alloc(0)), "ffffffff.der");
        });

        it("reads issuer and subject names byte for byte, as the chain links them", () => {
            const r1 = der(GOOGLE_TRUST_PEM.gtsRootR1);
            const wr2 = certificateNames(WR2);
            assert.ok(wr2.issuer.equals(certificateNames(r1).subject), "WR2 is issued by GTS Root R1");
            assert.ok(!wr2.issuer.equals(wr2.subject));
            assert.equal(new X509Certificate(WR2).issuer, new X509Certificate(r1).subject);
            // What iPXE asks the site for when Google sends the short chain (leaf, WR2) is a file it serves.
            assert.ok(GOOGLE_RUN_APP_TRUST.crossCerts.some((c) => c.fileName === crossCertFileName(wr2.issuer) && c.subject === "GTS Root R1"));
            assert.throws(() => certificateNames(Buffer.from([0x30, 0x05, 0x01])), /not a DER certificate/);
        });

        it("serves each root as a DER SET OF Certificate that openssl reads back", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ipxe-trust-"));
            try {
                for (const c of GOOGLE_RUN_APP_TRUST.crossCerts) {
                    assert.equal(c.der[0], 0x31, "a SET");
                    const file = path.join(dir, c.fileName);
                    fs.writeFileSync(file, c.der);
                    const parsed = spawnSync("openssl", ["asn1parse", "-inform", "DER", "-in", file], { encoding: "utf8" });
                    assert.equal(parsed.status, 0, parsed.stderr);
                    assert.match(parsed.stdout.split("\n")[0], /^\s*0:d=0\s+hl=\d+\s+l=\s*\d+ cons: SET\s*$/);
                    // The one certificate inside is the root itself, pinned.
                    const inner = c.der.subarray(c.der[1] === 0x82 ? 4 : c.der[1] === 0x81 ? 3 : 2);
                    assert.equal(new X509Certificate(inner).subject.split("\n").pop(), `CN=${c.subject}`);
                    assert.ok(GOOGLE_RUN_APP_TRUST.fingerprints.includes(sha256Fingerprint(inner)));
                }
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
            assert.deepEqual([...derCertificateSet([Buffer.from([1, 2])])], [0x31, 2, 1, 2]);
            assert.deepEqual([...derCertificateSet([Buffer.alloc(200)]).subarray(0, 3)], [0x31, 0x81, 200]);
            assert.deepEqual([...derCertificateSet([Buffer.alloc(300)]).subarray(0, 4)], [0x31, 0x82, 1, 44]);
        });

        it("accepts fingerprints as openssl prints them or as plain hex, and nothing else", () => {
            const fp = GOOGLE_TRUST_FINGERPRINTS.gtsRootR1;
            assert.equal(normaliseFingerprint(fp, "x"), fp.replace(/:/g, "").toLowerCase());
            assert.equal(normaliseFingerprint(fp.replace(/:/g, "").toLowerCase(), "x"), normaliseFingerprint(fp, "x"));
            assert.throws(() => normaliseFingerprint("D9:47", "images.trust[0]"), /images\.trust\[0\]: "D9:47" is not a SHA-256 fingerprint; give 64 hex digits/);
            assert.throws(() => normaliseFingerprint("z".repeat(64), "x"), /not a SHA-256 fingerprint/);
            assert.equal(dnsmasqHexBytes(["00ff".repeat(16)]), "00:ff:".repeat(16).slice(0, -1));
        });

        it("refuses anchors a site could not pin or serve", () => {
            const r1 = der(GOOGLE_TRUST_PEM.gtsRootR1);
            assert.throws(() => ipxeTrustAnchors("t", [r1, r1]), /listed twice/);
            assert.throws(() => ipxeTrustAnchors("t", [WR2]), /WR2 is not self-signed \(issuer GTS Root R1\)/);
            assert.throws(() => ipxeTrustAnchors("t", []), /no trust anchor given/);
            const seven = ["GTS_Root_R1", "GTS_Root_R2", "GTS_Root_R3", "GTS_Root_R4", "GlobalSign_Root_CA", "ISRG_Root_X1", "ISRG_Root_X2"].map(mozilla);
            assert.throws(() => ipxeTrustAnchors("t", seven), /7 fingerprints do not fit in DHCP option 175 \(at most 6\)/);
        });
    });

    describe("the Google Trust Services anchors for *.run.app", () => {
        it("are the GTS roots Debian's ca-certificates ships, and the cross-signed copy GlobalSign signed", () => {
            const names = ["GTS_Root_R1", "GTS_Root_R2", "GTS_Root_R3", "GTS_Root_R4"];
            assert.deepEqual(GOOGLE_RUN_APP_TRUST.fingerprints.slice(0, 4), names.map((n) => sha256Fingerprint(mozilla(n))));
            assert.equal(sha256Fingerprint(mozilla("GlobalSign_Root_CA")), normaliseFingerprint(GOOGLE_TRUST_FINGERPRINTS.globalSignRootCa, "x"));
            const cross = new X509Certificate(der(GOOGLE_TRUST_PEM.gtsRootR1CrossSigned));
            const globalSign = new X509Certificate(mozilla("GlobalSign_Root_CA"));
            assert.ok(cross.verify(globalSign.publicKey), "signed by GlobalSign Root CA");
            assert.ok(cross.publicKey.equals(new X509Certificate(mozilla("GTS_Root_R1")).publicKey), "same key as GTS Root R1");
            assert.equal(sha256Fingerprint(cross.raw), GOOGLE_RUN_APP_TRUST.fingerprints[4]);
            // Google's RSA intermediate chains to that key: the pin holds for the chain Google sends.
            assert.ok(new X509Certificate(WR2).verify(cross.publicKey));
        });

        it("serve the four roots, pin five certificates, and fit DHCP option 175", () => {
            assert.deepEqual(
                GOOGLE_RUN_APP_TRUST.crossCerts.map((c) => c.subject),
                ["GTS Root R1", "GTS Root R2", "GTS Root R3", "GTS Root R4"],
            );
            assert.equal(GOOGLE_RUN_APP_TRUST.fingerprints.length, 5);
            assert.equal(new Set(GOOGLE_RUN_APP_TRUST.crossCerts.map((c) => c.fileName)).size, 4);
        });
    });

    describe("the pinned Debian package", () => {
        it("pins one exact version by SHA-256, with HTTPS, and names its source", () => {
            assert.equal(DEBIAN_IPXE.version, "1.21.1+git20250501.dad20602+dfsg-1");
            assert.match(DEBIAN_IPXE.sha256, /^[0-9a-f]{64}$/);
            for (const f of Object.values(DEBIAN_IPXE.files)) assert.match(f.sha256, /^[0-9a-f]{64}$/);
            assert.ok(DEBIAN_IPXE.urls[0].endsWith(`/pool/main/i/ipxe/${DEBIAN_IPXE.debFile}`));
            assert.ok(DEBIAN_IPXE.https && DEBIAN_IPXE.trustFromDhcp);
            assert.ok(DEBIAN_IPXE.source.dsc.includes(DEBIAN_IPXE.version));
            assert.ok(DEBIAN_IPXE.version.includes(DEBIAN_IPXE.source.upstreamCommit.slice(0, 8)));
            assert.deepEqual(DEBIAN_IPXE_TFTP_NAMES, { bios: "undionly.kpxe", efi: "snponly.efi", arm64Efi: "ipxe-arm64.efi" });
        });
    });

    describe("ipxeProblems (the config check)", () => {
        const debian = (over: Partial<typeof DEBIAN_IPXE> = {}, pinned = GOOGLE_RUN_APP_TRUST.fingerprints): ServedIpxe => ({ kind: "debian", package: { ...DEBIAN_IPXE, ...over }, pinned });
        const buildInfo = (lines: string[]) => lines.join("\n") + "\n";
        const r1Line = `trusted root: C = US, O = Google Trust Services LLC, CN = GTS Root R1 sha256 ${GOOGLE_TRUST_FINGERPRINTS.gtsRootR1}`;
        const efiSha = "a".repeat(64);
        const biosSha = "b".repeat(64);
        const goodInfo = buildInfo(["https: enabled (DOWNLOAD_PROTO_HTTPS)", r1Line, `binary: ipxe.efi sha256 ${efiSha}`, `binary: undionly.kpxe sha256 ${biosSha}`]);
        const custom = (info: string | undefined): ServedIpxe => ({ kind: "custom", buildInfo: info, binaries: { "ipxe.efi": efiSha, "undionly.kpxe": biosSha } });

        it("passes the default (Debian 13 with the Google pin) and a build that trusts a GTS root", () => {
            assert.deepEqual(ipxeProblems(RUN_APP_BOOT_URL, debian()), []);
            assert.deepEqual(ipxeProblems(RUN_APP_BOOT_URL, custom(goodInfo)), []);
        });

        it("refuses an iPXE without HTTPS, or with no usable root, against an https:// boot URL", () => {
            assert.match(ipxeProblems(RUN_APP_BOOT_URL, debian({ https: false })).join("\n"), /ipxe 1\.21\.1.* has no HTTPS, and the boot URL \(Cloud Run \*\.run\.app\) is https:\/\//);
            assert.match(ipxeProblems(RUN_APP_BOOT_URL, debian({ trustFromDhcp: false })).join("\n"), /built with a fixed trust list, so the site's pin is ignored/);
            assert.match(ipxeProblems(RUN_APP_BOOT_URL, debian({}, ["0".repeat(64)])).join("\n"), /the site pins none of the roots the boot URL .* chains to \(GTS Root R1, /);
            assert.match(ipxeProblems(RUN_APP_BOOT_URL, custom(undefined))[0], /has no BUILD-INFO next to it, so nothing says it can do HTTPS.*build it with infra\/ipxe\/build\.sh --ca-preset google/);
            assert.match(ipxeProblems(RUN_APP_BOOT_URL, custom(goodInfo.replace(/^https:.*\n/m, ""))).join("\n"), /does not say "https: enabled"/);
            const otherRoot = goodInfo.replace(r1Line, `trusted root: CN = Lab Root sha256 ${"12".repeat(32)}`);
            assert.match(ipxeProblems(RUN_APP_BOOT_URL, custom(otherRoot)).join("\n"), /trusts none of the roots .* it trusts: CN = Lab Root\), so iPXE refuses its certificate/);
            assert.match(ipxeProblems(RUN_APP_BOOT_URL, custom(goodInfo.replace(efiSha, "c".repeat(64)))).join("\n"), /ipxe\.efi \(sha256 a{64}\) is not one of the binaries its BUILD-INFO describes/);
        });

        it("asks nothing of iPXE for an http:// boot URL (the offline lab)", () => {
            assert.deepEqual(ipxeProblems({ ...RUN_APP_BOOT_URL, scheme: "http" }, custom(undefined)), []);
        });

        it("reads BUILD-INFO as build.sh writes it", () => {
            const info = parseBuildInfo(goodInfo);
            assert.equal(info.https, true);
            assert.deepEqual(info.trustedRoots, [{ subject: "C = US, O = Google Trust Services LLC, CN = GTS Root R1", fingerprint: normaliseFingerprint(GOOGLE_TRUST_FINGERPRINTS.gtsRootR1, "x") }]);
            assert.deepEqual(info.binaries, { "ipxe.efi": efiSha, "undionly.kpxe": biosSha });
        });
    });
});

