/**
 * The lab's certificates, shaped like the chain Cloud Run's `*.run.app` presents (decision 0009):
 *
 *   leaf (IP 10.77.0.1) <- "Lab WR1" intermediate <- "Lab Root R1", sent as a copy cross-signed by
 *   "Lab Legacy Root", the way Google sends GTS Root R1 cross-signed by GlobalSign Root CA.
 *
 * The site pins Lab Root R1 and its cross-signed copy (DHCP 175.90) and serves Lab Root R1 as
 * iPXE's cross-signed-certificate source, exactly as sites do for Google's roots. A second,
 * unrelated root ("Lab Other Root") is what the wrong-pin VM's DHCP answer pins.
 *
 * Roots and intermediate are generated once and kept in `.lab/cache/lab-pki/` (ten years), so a
 * custom iPXE build can be made to trust them (`infra/ipxe/build.sh --ca .lab/cache/lab-pki/root-r1.pem`);
 * the leaf is made per run. Needs `openssl`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { run } from "../process/processes";
import { ipxeTrustAnchors, pemCertificates, type IpxeTrustAnchors } from "../../lib/ipxe/trust";
import { LAB_GATEWAY } from "./plan";

export interface LabPki {
    /** The leaf's private key (PEM) and the chain the TLS front end sends: leaf, intermediate, cross-signed root. */
    serverKeyFile: string;
    serverChainFile: string;
    /** Lab Root R1, self-signed: what clients that verify (Node, Talos) trust. */
    rootFile: string;
    /** What the site pins and serves. */
    anchors: IpxeTrustAnchors;
    /** What the wrong-pin VM's DHCP pins instead. */
    wrongAnchors: IpxeTrustAnchors;
}

const CA_EXT = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";
const INT_EXT = "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";
const LEAF_EXT = `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:${LAB_GATEWAY}\nauthorityKeyIdentifier=keyid\n`;

function openssl(args: string[], what: string): void {
    const r = run("openssl", args, { allowFail: true });
    if (r.status !== 0) throw new Error(`openssl could not ${what}: ${(r.stderr || r.stdout).trim().split("\n").pop()}`);
}

/** A self-signed CA (RSA: the Debian 13 iPXE verifies RSA signatures only). */
function selfSigned(dir: string, name: string, subject: string): void {
    const ext = path.join(dir, `${name}.ext`);
    fs.writeFileSync(ext, CA_EXT);
    openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path.join(dir, `${name}.key`), "-subj", subject, "-days", "3650", "-sha256", "-extensions", "v3", "-config", configWith(dir, ext), "-out", path.join(dir, `${name}.pem`)], `create ${name}`);
}

/** A minimal openssl config whose `v3` section is the given extension file. */
function configWith(dir: string, ext: string): string {
    const cfg = path.join(dir, `${path.basename(ext, ".ext")}.cnf`);
    fs.writeFileSync(cfg, `[req]\ndistinguished_name = dn\n[dn]\n[v3]\n${fs.readFileSync(ext, "utf8")}`);
    return cfg;
}

/** Signs `csrSubject`'s key (`keyName`.key, created if missing) with `issuer`; writes `outName`.pem. */
function signed(dir: string, opts: { keyName: string; subject: string; issuer: string; ext: string; outName: string; days: number; serial: number }): void {
    const key = path.join(dir, `${opts.keyName}.key`);
    const csr = path.join(dir, `${opts.outName}.csr`);
    const extFile = path.join(dir, `${opts.outName}.ext`);
    fs.writeFileSync(extFile, opts.ext);
    if (fs.existsSync(key)) openssl(["req", "-new", "-key", key, "-subj", opts.subject, "-out", csr], `request ${opts.outName}`);
    else openssl(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-subj", opts.subject, "-out", csr], `request ${opts.outName}`);
    openssl(
        ["x509", "-req", "-in", csr, "-CA", path.join(dir, `${opts.issuer}.pem`), "-CAkey", path.join(dir, `${opts.issuer}.key`), "-set_serial", String(opts.serial), "-days", String(opts.days), "-sha256", "-extfile", extFile, "-out", path.join(dir, `${opts.outName}.pem`)],
        `sign ${opts.outName}`,
    );
}

/** The lab PKI: cached roots and intermediate under `cacheDir`, a fresh leaf in `workDir`. */
export function labPki(cacheDir: string, workDir: string): LabPki {
    const dir = path.join(cacheDir, "lab-pki");
    const done = path.join(dir, "complete");
    if (!fs.existsSync(done)) {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        selfSigned(dir, "root-legacy", "/C=XX/O=talos-cloud-edge lab/CN=Lab Legacy Root");
        selfSigned(dir, "root-r1", "/C=XX/O=talos-cloud-edge lab/CN=Lab Root R1");
        selfSigned(dir, "root-other", "/C=XX/O=talos-cloud-edge lab/CN=Lab Other Root");
        // The same subject and key as Lab Root R1, issued by the legacy root.
        signed(dir, { keyName: "root-r1", subject: "/C=XX/O=talos-cloud-edge lab/CN=Lab Root R1", issuer: "root-legacy", ext: CA_EXT, outName: "root-r1-cross", days: 3650, serial: 2 });
        signed(dir, { keyName: "int-wr1", subject: "/C=XX/O=talos-cloud-edge lab/CN=Lab WR1", issuer: "root-r1", ext: INT_EXT, outName: "int-wr1", days: 3650, serial: 3 });
        fs.writeFileSync(done, "");
    }
    // A fresh leaf per run (30 days), signed by the cached intermediate.
    const leafDir = path.join(workDir, "tls");
    fs.mkdirSync(leafDir, { recursive: true, mode: 0o700 });
    for (const f of ["int-wr1.pem", "int-wr1.key"]) fs.copyFileSync(path.join(dir, f), path.join(leafDir, f));
    signed(leafDir, { keyName: "leaf", subject: `/CN=${LAB_GATEWAY}`, issuer: "int-wr1", ext: LEAF_EXT, outName: "leaf", days: 30, serial: Date.now() % 1_000_000_000 });
    fs.rmSync(path.join(leafDir, "int-wr1.key"));
    const serverChainFile = path.join(leafDir, "chain.pem");
    fs.writeFileSync(serverChainFile, ["leaf.pem", "int-wr1.pem"].map((f) => fs.readFileSync(path.join(leafDir, f), "utf8")).join("") + fs.readFileSync(path.join(dir, "root-r1-cross.pem"), "utf8"));
    const cert = (name: string) => pemCertificates(fs.readFileSync(path.join(dir, `${name}.pem`), "utf8"));
    return {
        serverKeyFile: path.join(leafDir, "leaf.key"),
        serverChainFile,
        rootFile: path.join(dir, "root-r1.pem"),
        anchors: ipxeTrustAnchors("lab roots (Lab Root R1 and its cross-signed copy)", cert("root-r1"), cert("root-r1-cross")),
        wrongAnchors: ipxeTrustAnchors("an unrelated root (Lab Other Root)", cert("root-other")),
    };
}
