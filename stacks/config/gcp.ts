/**
 * `talos-cloud-edge:gcp` (and `gcp:project`): project, region, zone, subnet, admin CIDRs.
 */
import { Problems } from "../../model/problems";
import { asObject, bool, checkKeys, child, item, str, strList, strValue } from "../../model/readers";
import { anyCidr, ipv4Cidr, projectId, region, notDocumentationRange } from "../../model/checks";
import { parseCidr } from "../../model/net";
import { type GcpConfig } from "../../components/model";
import { key, setCmd } from "./common";

export function parseGcp(p: Problems, raw: unknown, projectRaw: string | undefined): GcpConfig | undefined {
    const path = key("gcp");
    const project = strValue(p, "gcp:project", projectRaw, {
        required: "set the GCP project id with `pulumi config set gcp:project <id>`",
        check: projectId,
    });
    if (raw === undefined) {
        p.add(path, `missing; add a "${path}" mapping with at least region and subnetCidr to Pulumi.<stack>.yaml`);
        return undefined;
    }
    const o = asObject(p, path, raw, "write it as a YAML mapping with region, subnetCidr, ...");
    if (!o) {
        return undefined;
    }
    checkKeys(p, path, o, ["region", "zone", "subnetCidr", "adminCidrs", "allowWorldAdmin"], {
        project: "the project is not read from here; remove it and run `pulumi config set gcp:project <id>`",
    });
    const reg = str(p, o, path, "region", { required: `set it with ${setCmd("gcp.region", "europe-west4")}`, check: region });
    const zone =
        o.zone === undefined
            ? reg && `${reg}-a`
            : str(p, o, path, "zone", {
                  check: (s) =>
                      !/^[a-z]+(-[a-z]+)+[0-9]+-[a-z]$/.test(s)
                          ? 'is not a GCP zone; use e.g. "europe-west4-a"'
                          : reg && !s.startsWith(`${reg}-`)
                            ? `is not in region "${reg}"; use a zone of that region, e.g. "${reg}-a"`
                            : undefined,
              });
    const subnetCidr = str(p, o, path, "subnetCidr", {
        required: `set the VPC subnet with ${setCmd("gcp.subnetCidr", "10.1.0.0/24")}`,
        check: ipv4Cidr({ minPrefix: 8, maxPrefix: 29, why: "GCE subnet ranges are /8 to /29" }),
    });
    const adminCidrs = o.adminCidrs === undefined ? [] : strList(p, o, path, "adminCidrs", { check: (s) => anyCidr(s) ?? notDocumentationRange(s), unique: true });
    const allowWorldAdmin = bool(p, o, path, "allowWorldAdmin", false);
    if (adminCidrs && allowWorldAdmin === false) {
        adminCidrs.forEach((c, i) => {
            if (parseCidr(c)?.prefix === 0) {
                p.invalid(
                    item(child(path, "adminCidrs"), i),
                    c,
                    `opens the Talos API (50000) and Kubernetes API (6443) to the whole internet; list your own ranges (e.g. "203.0.113.0/24"), or set allowWorldAdmin: true in ${key("gcp")} to accept that explicitly`,
                );
            }
        });
    }
    if (!project || !reg || !zone || !subnetCidr || !adminCidrs || allowWorldAdmin === undefined) {
        return undefined;
    }
    return { project, region: reg, zone, subnetCidr, adminCidrs, allowWorldAdmin };
}

/** A parsed list entry with its config path (for messages in cross-checks). */
