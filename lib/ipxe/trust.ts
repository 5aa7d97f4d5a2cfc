/**
 * What iPXE trusts, in the forms a site hands it: SHA-256 fingerprints of trust anchors (DHCP
 * option 175.90, iPXE's `trust` setting) and the files of a cross-signed-certificate source
 * (option 175.93, iPXE's `crosscert` setting) that a site serves over TFTP.
 *
 * iPXE facts these functions encode (src/crypto/rootcert.c, x509.c, net/validator.c):
 *  - any certificate of the chain whose SHA-256 fingerprint is listed is a trust anchor, whether
 *    self-signed or not (it is still checked against the clock);
 *  - when a chain does not reach an anchor, iPXE fetches `<crosscert>/<crc>.der?subject=<dn>` for
 *    the issuer of the topmost certificate it could not validate, where `<crc>` is iPXE's CRC-32 of
 *    the issuer's DER-encoded name (eight lower-case hex digits) and the answer is a DER
 *    `SET OF Certificate`; over TFTP the query is not part of the file name;
 *  - the `trust` setting is read once, when iPXE starts, and only by builds without `TRUST=`.
 */
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";

/** A certificate the site serves to iPXE, with what iPXE asks for it by. */
export interface CrossCertFile {
    /** File name under the cross-signed-certificate directory: `<crc>.der`. */
    fileName: string;
    /** Subject of the certificate, for messages and logs. */
    subject: string;
    /** The file's content: a DER `SET OF Certificate` holding the certificate. */
    der: Buffer;
}

/** Trust anchors for a boot URL, as a site pins them. */
export interface IpxeTrustAnchors {
    /** What the anchors are, for comments and messages (e.g. "Google Trust Services (*.run.app)"). */
    name: string;
    /** SHA-256 fingerprints, 64 lower-case hex digits each, in pin order. */
    fingerprints: string[];
    /** Self-signed roots served as the cross-signed-certificate source, one file per subject. */
    crossCerts: CrossCertFile[];
}

/** Trust anchors fit in DHCP option 175 next to the other iPXE options (255 bytes in all). */
export const MAX_PINNED_FINGERPRINTS = 6;

/** The DER of every `CERTIFICATE` block in PEM text, in order. */
export function pemCertificates(pem: string): Buffer[] {
    const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g)];
    return blocks.map((m) => Buffer.from(m[1].replace(/\s+/g, ""), "base64"));
}

/** SHA-256 of a certificate's DER, 64 lower-case hex digits (what `openssl x509 -fingerprint -sha256` shows). */
export function sha256Fingerprint(der: Buffer): string {
    return createHash("sha256").update(der).digest("hex");
}

/**
 * A fingerprint as written by a person or a tool ("D9:47:43:2A:…", "d947432a…") in canonical form;
 * throws naming `what` otherwise.
 */
export function normaliseFingerprint(value: string, what: string): string {
    const hex = typeof value === "string" ? value.replace(/:/g, "").toLowerCase() : "";
    if (!/^[0-9a-f]{64}$/.test(hex)) {
        throw new Error(`${what}: ${JSON.stringify(value)} is not a SHA-256 fingerprint; give 64 hex digits, with or without colons (openssl x509 -noout -fingerprint -sha256 -in <root.pem>)`);
    }
    return hex;
}

/** A DER element: where its content starts and ends within `buf`. */
interface DerElement {
    tag: number;
    start: number;
    contentStart: number;
    end: number;
}

function derElement(buf: Buffer, at: number): DerElement {
    if (at + 2 > buf.length) throw new Error("not a DER certificate: truncated");
    const tag = buf[at];
    let length = buf[at + 1];
    let contentStart = at + 2;
    if (length & 0x80) {
        const bytes = length & 0x7f;
        if (bytes < 1 || bytes > 4 || contentStart + bytes > buf.length) throw new Error("not a DER certificate: bad length");
        length = 0;
        for (let i = 0; i < bytes; i++) length = length * 256 + buf[contentStart + i];
        contentStart += bytes;
    }
    const end = contentStart + length;
    if (end > buf.length) throw new Error("not a DER certificate: truncated");
    return { tag, start: at, contentStart, end };
}

/** The DER-encoded issuer and subject names of a certificate, byte for byte. */
export function certificateNames(der: Buffer): { issuer: Buffer; subject: Buffer } {
    const cert = derElement(der, 0);
    const tbs = derElement(der, cert.contentStart);
    if (cert.tag !== 0x30 || tbs.tag !== 0x30) throw new Error("not a DER certificate: no TBSCertificate");
    const fields: DerElement[] = [];
    for (let at = tbs.contentStart; at < tbs.end && fields.length < 7; ) {
        const el = derElement(der, at);
        fields.push(el);
        at = el.end;
    }
    // [0] version is optional; then serial, signature, issuer, validity, subject.
    const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
    const issuer = fields[offset + 2];
    const subject = fields[offset + 4];
    if (!issuer || !subject || issuer.tag !== 0x30 || subject.tag !== 0x30) throw new Error("not a DER certificate: no issuer/subject");
    return { issuer: der.subarray(issuer.start, issuer.end), subject: der.subarray(subject.start, subject.end) };
}

/** iPXE's cross-signed-certificate file name for an issuer name: its CRC-32 as iPXE computes it (no final XOR). */
export function crossCertFileName(issuerName: Buffer): string {
    return `${((crc32(issuerName) ^ 0xffffffff) >>> 0).toString(16).padStart(8, "0")}.der`;
}

/** A DER `SET OF Certificate` of the given certificates (what iPXE expects from a cross-signed-certificate source). */
export function derCertificateSet(certs: readonly Buffer[]): Buffer {
    const content = Buffer.concat(certs);
    const n = content.length;
    let header: Buffer;
    if (n < 0x80) header = Buffer.from([0x31, n]);
    else if (n < 0x100) header = Buffer.from([0x31, 0x81, n]);
    else if (n < 0x10000) header = Buffer.from([0x31, 0x82, n >> 8, n & 0xff]);
    else throw new Error("certificate set over 64 KiB");
    return Buffer.concat([header, content]);
}

/** A readable form of a DER name's last CN (or the whole hex when there is none), for messages. */
function describeName(name: Buffer): string {
    // CN attribute: OID 2.5.4.3 = 06 03 55 04 03, then a string type, length, value.
    const i = name.lastIndexOf(Buffer.from([0x06, 0x03, 0x55, 0x04, 0x03]));
    if (i >= 0 && i + 7 <= name.length) {
        const len = name[i + 6];
        return name.subarray(i + 7, i + 7 + len).toString("latin1");
    }
    return name.toString("hex");
}

/**
 * The anchors a site pins for a boot URL: `roots` (self-signed roots, also served as the
 * cross-signed-certificate source so that a chain that stops below its root still reaches it) and
 * `alsoPin` (certificates the server sends that are anchors too, e.g. a cross-signed copy of a
 * root, so that no fetch is needed while the server sends them). Throws on a duplicate, a
 * non-self-signed root or too many fingerprints for DHCP.
 */
export function ipxeTrustAnchors(name: string, roots: readonly Buffer[], alsoPin: readonly Buffer[] = []): IpxeTrustAnchors {
    const fingerprints: string[] = [];
    const crossCerts: CrossCertFile[] = [];
    for (const der of [...roots, ...alsoPin]) {
        const fp = sha256Fingerprint(der);
        if (fingerprints.includes(fp)) throw new Error(`${name}: certificate ${fp} is listed twice`);
        fingerprints.push(fp);
    }
    for (const der of roots) {
        const { issuer, subject } = certificateNames(der);
        if (!issuer.equals(subject)) {
            throw new Error(`${name}: ${describeName(subject)} is not self-signed (issuer ${describeName(issuer)}); serve roots only, pin cross-signed copies with alsoPin`);
        }
        const fileName = crossCertFileName(subject);
        if (crossCerts.some((c) => c.fileName === fileName)) throw new Error(`${name}: two roots share the subject ${describeName(subject)}`);
        crossCerts.push({ fileName, subject: describeName(subject), der: derCertificateSet([der]) });
    }
    if (fingerprints.length === 0) throw new Error(`${name}: no trust anchor given`);
    if (fingerprints.length > MAX_PINNED_FINGERPRINTS) {
        throw new Error(`${name}: ${fingerprints.length} fingerprints do not fit in DHCP option 175 (at most ${MAX_PINNED_FINGERPRINTS})`);
    }
    return { name, fingerprints, crossCerts };
}

/** Fingerprints as dnsmasq writes binary option data: colon-separated hex bytes, concatenated. */
export function dnsmasqHexBytes(fingerprints: readonly string[]): string {
    return fingerprints
        .join("")
        .match(/../g)!
        .join(":");
}
