/**
 * `talos-cloud-edge:oci` (+ secret `ociPrivateKey`): Talos arm64 workers on Oracle Cloud
 * (Ampere A1), booted from the Image Factory's oracle-arm64 image (seed 004). Optional; absent =
 * no Oracle workers (docs/decisions/0132-oracle-cloud-workers.md).
 */
import * as pulumi from "@pulumi/pulumi";
import { Problems } from "../../model/problems";
import { INVALID_JSON, asObject, bool, checkKeys, child, item, num, str, type Check } from "../../model/readers";
import { dnsLabel } from "../../model/checks";
import { type OciConfig, type OciWorkerConfig } from "../../components/model";
import { Secrets, key, secretCmd, setCmd } from "./common";
import { Located } from "./nodes";

export const OCI_DEFAULTS = { shape: "VM.Standard.A1.Flex", ocpus: 4, memoryGb: 24, bootVolumeSizeGb: 50, assignPublicIp: false };

/** An OCID of the given resource type ("tenancy", "user", "compartment", "subnet"). */
const ocid = (...types: string[]): Check => (s) =>
    new RegExp(`^ocid1\\.(${types.join("|")})\\.[a-z0-9-]+\\.[a-z0-9-]*\\.[a-z0-9]{20,}$`).test(s)
        ? undefined
        : `is not ${types.length === 1 ? `a ${types[0]}` : `an ${types.join(" or ")}`} OCID; copy it from the console ("ocid1.${types[0]}.oc1..aaaa...")`;

const region: Check = (s) => (/^[a-z]{2}-[a-z]+-[0-9]+$/.test(s) ? undefined : 'is not an OCI region identifier; use e.g. "us-ashburn-1" or "eu-frankfurt-1"');
const fingerprint: Check = (s) =>
    /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/.test(s) ? undefined : 'is not an API key fingerprint; use the 16 colon-separated hex pairs shown under User → API Keys, e.g. "12:34:...:ef"';
const availabilityDomain: Check = (s) =>
    /^[A-Za-z0-9]+:[A-Z0-9-]+-AD-[0-9]$/.test(s) ? undefined : 'is not an availability domain name; use the full name with its tenancy prefix, e.g. "Uocm:US-ASHBURN-AD-1" (`oci iam availability-domain list`)';
// The image is arm64: only Ampere flexible shapes run it.
const ampereShape: Check = (s) =>
    /^VM\.Standard\.A[0-9]+\.Flex$/.test(s) ? undefined : `is not an Ampere (arm64) flexible shape; the image is oracle-arm64, so use e.g. "${OCI_DEFAULTS.shape}"`;

/** The parsed section with each worker's config path; undefined when absent, null when invalid. */
export interface ParsedOci {
    value: OciConfig;
    workers: Located<OciWorkerConfig>[];
}

export function parseOci(p: Problems, raw: unknown, secrets: Secrets): ParsedOci | undefined | null {
    const path = key("oci");
    if (raw === undefined) {
        if (secrets.ociPrivateKey !== undefined) {
            p.add(key("ociPrivateKey"), `(value hidden) is set but there is no ${path} section; add it or remove the key with \`pulumi config rm ociPrivateKey\``);
        }
        return undefined;
    }
    const o = asObject(p, path, raw, "write it as a YAML mapping {region, tenancyOcid, userOcid, fingerprint, compartmentId, availabilityDomain, subnetId, workers}");
    if (!o) {
        return null;
    }
    checkKeys(p, path, o, ["region", "tenancyOcid", "userOcid", "fingerprint", "compartmentId", "availabilityDomain", "subnetId", "assignPublicIp", "workers"]);
    const required = (name: string, example: string, check: Check) => str(p, o, path, name, { required: `set it with ${setCmd(`oci.${name}`, example)}`, check });
    const reg = required("region", "us-ashburn-1", region);
    const tenancyOcid = required("tenancyOcid", "ocid1.tenancy.oc1..aaaa...", ocid("tenancy"));
    const userOcid = required("userOcid", "ocid1.user.oc1..aaaa...", ocid("user"));
    const fp = required("fingerprint", "12:34:...:ef", fingerprint);
    // The root compartment is the tenancy itself.
    const compartmentId = required("compartmentId", "ocid1.compartment.oc1..aaaa...", ocid("compartment", "tenancy"));
    const ad = required("availabilityDomain", "Uocm:US-ASHBURN-AD-1", availabilityDomain);
    const subnetId = required("subnetId", "ocid1.subnet.oc1.iad.aaaa...", ocid("subnet"));
    const assignPublicIp = bool(p, o, path, "assignPublicIp", OCI_DEFAULTS.assignPublicIp);
    const workers = parseWorkers(p, o.workers, child(path, "workers"));
    let privateKey: pulumi.Output<string> | undefined;
    if (secrets.ociPrivateKey === undefined) {
        p.add(key("ociPrivateKey"), `missing; ${path} is set, so run \`pulumi config set --secret ociPrivateKey < ~/.oci/oci_api_key.pem\` (the API signing key of ${path}.userOcid)`);
    } else if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(secrets.ociPrivateKey)) {
        p.add(key("ociPrivateKey"), `(value hidden) is not a PEM private key; run ${secretCmd("ociPrivateKey")} with the contents of the API signing key file`);
    } else {
        privateKey = pulumi.secret(secrets.ociPrivateKey);
    }
    if (!reg || !tenancyOcid || !userOcid || !fp || !compartmentId || !ad || !subnetId || assignPublicIp === undefined || !workers || !privateKey) {
        return null;
    }
    return {
        value: {
            region: reg,
            tenancyOcid,
            userOcid,
            fingerprint: fp,
            privateKey,
            compartmentId,
            availabilityDomain: ad,
            subnetId,
            assignPublicIp,
            workers: workers.map((w) => w.value),
        },
        workers,
    };
}

function parseWorkers(p: Problems, raw: unknown, path: string): Located<OciWorkerConfig>[] | undefined {
    const example = "a list of {name, ocpus?, memoryGb?}, e.g. [{name: cloudbox2}]";
    if (raw === undefined || raw === INVALID_JSON) {
        p.add(path, `missing; list the workers as ${example}`);
        return undefined;
    }
    if (!Array.isArray(raw) || raw.length === 0) {
        p.invalid(path, raw, `is ${Array.isArray(raw) ? "empty" : "not a list"}; list the workers as ${example}`);
        return undefined;
    }
    const out: Located<OciWorkerConfig>[] = [];
    let ok = true;
    raw.forEach((entry, i) => {
        const at = item(path, i);
        const o = asObject(p, at, entry, "write each worker as {name, shape?, ocpus?, memoryGb?, bootVolumeSizeGb?}");
        if (!o) {
            ok = false;
            return;
        }
        checkKeys(p, at, o, ["name", "shape", "ocpus", "memoryGb", "bootVolumeSizeGb"], { role: "remove it: Oracle Cloud nodes are workers (the control planes share the GCP subnet for etcd)" });
        const name = str(p, o, at, "name", { required: 'name the worker (a DNS label, e.g. "cloudbox2"): instance, hostname and Kubernetes node name', check: dnsLabel() });
        const shape = o.shape === undefined ? OCI_DEFAULTS.shape : str(p, o, at, "shape", { check: ampereShape });
        const ocpus = num(p, o, at, "ocpus", OCI_DEFAULTS.ocpus, { min: 1, max: 80 });
        const memoryGb = num(p, o, at, "memoryGb", OCI_DEFAULTS.memoryGb, { min: 2, max: 512, unit: "GB", why: "a Talos worker needs at least 2 GB" });
        const bootVolumeSizeGb = num(p, o, at, "bootVolumeSizeGb", OCI_DEFAULTS.bootVolumeSizeGb, { min: 50, max: 32768, unit: "GB", why: "OCI boot volumes are at least 50 GB" });
        if (ocpus !== undefined && memoryGb !== undefined && memoryGb > ocpus * 64) {
            p.invalid(child(at, "memoryGb"), memoryGb, `is more than 64 GB per OCPU (${ocpus} OCPUs allow ${ocpus * 64}); raise ocpus or lower memoryGb`);
            ok = false;
            return;
        }
        if (!name || !shape || ocpus === undefined || memoryGb === undefined || bootVolumeSizeGb === undefined) {
            ok = false;
            return;
        }
        out.push({ path: at, value: { name, shape, ocpus, memoryGb, bootVolumeSizeGb } });
    });
    return ok ? out : undefined;
}
