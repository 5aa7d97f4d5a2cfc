/**
 * `talos-cloud-edge:nodes`: the cloud nodes, in declaration order.
 */
import { Problems } from "../../model/problems";
import { INVALID_JSON, asObject, checkKeys, item, num, oneOf, str } from "../../model/readers";
import { dnsLabel, machineType } from "../../model/checks";
import { type Architecture, type CloudNodeConfig, type NodeRole } from "../../components/model";
import { key } from "./common";
import { DEFAULTS } from "./defaults";

export interface Located<T> {
    path: string;
    value: T;
}

/** Parsed entries of a list; `complete` is false when any entry (or the list itself) was invalid. */
export interface Parsed<T> {
    items: Located<T>[];
    complete: boolean;
}

/** GCE machine families with Arm CPUs: Tau T2A (Ampere Altra), Axion C4A and N4A. */
export const ARM_MACHINE_FAMILIES: readonly string[] = ["t2a", "c4a", "n4a"];

/** The CPU architecture of a GCE machine type, from its family. */
export function machineArchitecture(machineType: string): Architecture {
    return ARM_MACHINE_FAMILIES.includes(machineType.split("-")[0]) ? "arm64" : "amd64";
}

export function parseNodes(p: Problems, raw: unknown, clusterName: string | undefined): Parsed<CloudNodeConfig> {
    const path = key("nodes");
    const example = "a list of {name, role, machineType}, e.g. [{name: master-1, role: controlplane, machineType: e2-standard-4}]";
    if (raw === undefined) {
        p.add(path, `missing; add "${path}" to Pulumi.<stack>.yaml as ${example}`);
        return { items: [], complete: false };
    }
    if (raw === INVALID_JSON) {
        return { items: [], complete: false };
    }
    if (!Array.isArray(raw)) {
        p.invalid(path, raw, `is not a list; write it as ${example}`);
        return { items: [], complete: false };
    }
    if (raw.length === 0) {
        p.add(path, `is empty; the cluster needs at least one cloud control plane node: ${example}`);
        return { items: [], complete: false };
    }
    const items: Located<CloudNodeConfig>[] = [];
    let complete = true;
    raw.forEach((entry, i) => {
        const at = item(path, i);
        const o = asObject(p, at, entry, "write each node as {name, role, machineType, diskSizeGb?}");
        if (!o) {
            complete = false;
            return;
        }
        checkKeys(p, at, o, ["name", "role", "machineType", "diskSizeGb", "arch"]);
        const name = str(p, o, at, "name", {
            required: 'name the node (a DNS label, e.g. "master-1")',
            check: (s) => {
                const bad = dnsLabel()(s);
                if (bad) {
                    return bad;
                }
                // GCE instance names (`${cluster}-${node}`) are limited to 63 characters.
                if (clusterName && clusterName.length + 1 + s.length > 63) {
                    return `makes the instance name "${clusterName}-${s}" longer than 63 characters; shorten the node or cluster name`;
                }
                return undefined;
            },
        });
        const role = str(p, o, at, "role", { required: 'set role: "controlplane" or "worker"', check: oneOf<NodeRole>(["controlplane", "worker"]) }) as
            | NodeRole
            | undefined;
        const mt = str(p, o, at, "machineType", { required: 'set the GCE machine type, e.g. "e2-standard-4"', check: machineType });
        const diskSizeGb = num(p, o, at, "diskSizeGb", DEFAULTS.diskSizeGb, { min: 10, max: 65536, unit: "GB", why: "a Talos system disk needs at least 10 GiB" });
        const arch = mt === undefined ? undefined : machineArchitecture(mt);
        if (o.arch !== undefined && arch !== undefined) {
            // Optional, for readers of the stack file; it must agree with the machine type.
            str(p, o, at, "arch", {
                check: (s) =>
                    s !== "amd64" && s !== "arm64"
                        ? 'is not "amd64" or "arm64"; remove it (the machine type decides)'
                        : s !== arch
                          ? `contradicts machineType "${mt}", which is ${arch}; remove arch (the machine type decides) or pick a ${s} type (${s === "arm64" ? ARM_MACHINE_FAMILIES.map((f) => `${f}-standard-4`).join(", ") : "e.g. e2-standard-4"})`
                          : undefined,
            });
        }
        if (!name || !role || !mt || diskSizeGb === undefined || arch === undefined) {
            complete = false;
            return;
        }
        items.push({ path: at, value: { name, role, machineType: mt, diskSizeGb, arch } });
    });
    return { items, complete };
}
