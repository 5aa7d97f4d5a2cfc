/**
 * `talos-cloud-edge:nodes`: the cloud nodes, in declaration order.
 */
import { Problems } from "../../model/problems";
import { INVALID_JSON, asObject, checkKeys, item, num, oneOf, str } from "../../model/readers";
import { dnsLabel, machineType } from "../../model/checks";
import { type CloudNodeConfig, type NodeRole } from "../../components/model";
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
        checkKeys(p, at, o, ["name", "role", "machineType", "diskSizeGb"]);
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
        if (!name || !role || !mt || diskSizeGb === undefined) {
            complete = false;
            return;
        }
        items.push({ path: at, value: { name, role, machineType: mt, diskSizeGb } });
    });
    return { items, complete };
}
