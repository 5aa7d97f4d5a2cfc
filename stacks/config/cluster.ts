/**
 * `talos-cloud-edge:cluster`: name, versions, pod/service CIDRs, SANs, health bound.
 */
import { Problems } from "../../model/problems";
import { asObject, checkKeys, str, strList } from "../../model/readers";
import { VERSION_RE, dnsLabel, goDuration, ipv4Cidr, sanName, version } from "../../model/checks";
import { type ClusterConfig } from "../../components/model";
import { key, setCmd } from "./common";
import { DEFAULTS } from "./defaults";

export const MIN_TALOS = { major: 1, minor: 12 };

export function parseCluster(p: Problems, raw: unknown): ClusterConfig | undefined {
    const path = key("cluster");
    if (raw === undefined) {
        p.add(path, `missing; add a "${path}" mapping with at least name and talosVersion to Pulumi.<stack>.yaml`);
        return undefined;
    }
    const o = asObject(p, path, raw, "write it as a YAML mapping with name, talosVersion, ...");
    if (!o) {
        return undefined;
    }
    checkKeys(p, path, o, ["name", "talosVersion", "kubernetesVersion", "podCidr", "serviceCidr", "certSans", "healthTimeout"]);
    const name = str(p, o, path, "name", {
        required: `set the cluster name with ${setCmd("cluster.name", "setup02-cluster")} (a DNS label of at most 40 characters)`,
        check: dnsLabel(40),
    });
    const talosVersion = str(p, o, path, "talosVersion", {
        required: `set it with ${setCmd("cluster.talosVersion", "v1.12.4")}`,
        check: (s) => {
            const bad = version("Talos", "v1.12.4")(s);
            if (bad) {
                return bad;
            }
            const [, major, minor] = VERSION_RE.exec(s)!.map(Number);
            if (major < MIN_TALOS.major || (major === MIN_TALOS.major && minor < MIN_TALOS.minor)) {
                return `is older than v${MIN_TALOS.major}.${MIN_TALOS.minor}.0; this stack needs Talos >= v${MIN_TALOS.major}.${MIN_TALOS.minor} (node names are set with HostnameConfig documents), e.g. "v1.12.4"`;
            }
            return undefined;
        },
    });
    const kubernetesVersion = str(p, o, path, "kubernetesVersion", { check: version("Kubernetes", "v1.35.0") });
    const podCidr =
        o.podCidr === undefined
            ? DEFAULTS.podCidr
            : str(p, o, path, "podCidr", { check: ipv4Cidr({ maxPrefix: 24, why: "each node takes a /24 from it" }) });
    const serviceCidr =
        o.serviceCidr === undefined
            ? DEFAULTS.serviceCidr
            : str(p, o, path, "serviceCidr", {
                  check: ipv4Cidr({ minPrefix: 12, maxPrefix: 28, why: "kube-apiserver rejects IPv4 service ranges larger than /12" }),
              });
    const certSans = o.certSans === undefined ? [] : strList(p, o, path, "certSans", { check: sanName, unique: true });
    const healthTimeout = o.healthTimeout === undefined ? DEFAULTS.healthTimeout : str(p, o, path, "healthTimeout", { check: goDuration });
    if (!name || !talosVersion || !podCidr || !serviceCidr || !certSans || !healthTimeout) {
        return undefined;
    }
    const [, major, minor] = VERSION_RE.exec(talosVersion)!;
    return { name, talosVersion, talosContract: `v${major}.${minor}`, kubernetesVersion, podCidr, serviceCidr, certSans, healthTimeout };
}
