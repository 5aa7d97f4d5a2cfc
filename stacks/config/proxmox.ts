/**
 * `talos-cloud-edge:proxmox` (+ secret `proxmoxApiToken`): Talos worker VMs on one Proxmox VE
 * node, each with a static LAN address baked into its image through META key 10 (seed 003).
 * Optional; absent = no Proxmox pool (docs/decisions/0131-proxmox-workers.md).
 */
import * as pulumi from "@pulumi/pulumi";
import { Problems } from "../../model/problems";
import { INVALID_JSON, asObject, bool, checkKeys, child, item, num, str, strList } from "../../model/readers";
import { dnsLabel, extensionName, httpUrl, ifName, ipv4, poolName } from "../../model/checks";
import { macCheck, normaliseMac } from "../../model/identity";
import { cidrContains, formatCidr, formatIPv4, parseCidr, parseIPv4, type Cidr } from "../../model/net";
import { type ProxmoxConfig, type ProxmoxMachineConfig } from "../../components/model";
import { deterministicMac } from "../../lib/proxmox/vm";
import { Secrets, key, secretCmd, setCmd } from "./common";
import { DEFAULTS } from "./defaults";
import { Located } from "./nodes";

/** Defaults of the section. */
export const PROXMOX_DEFAULTS = {
    vmDatastore: "local-lvm",
    fileDatastore: "local",
    bridge: "vmbr0",
    extensions: ["siderolabs/qemu-guest-agent", "siderolabs/tailscale"],
    cores: 2,
    memoryMiB: 4096,
    diskSizeGb: 20,
};

const PVE_NAME = (s: string) => (/^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/.test(s) ? undefined : 'is not a Proxmox node name; use the name shown in the Proxmox tree, e.g. "pve"');

/** The parsed section with each machine's config path; undefined when absent, null when invalid. */
export interface ParsedProxmox {
    value: ProxmoxConfig;
    machines: Located<ProxmoxMachineConfig>[];
}

export function parseProxmox(p: Problems, raw: unknown, secrets: Secrets, clusterName: string | undefined): ParsedProxmox | undefined | null {
    const path = key("proxmox");
    if (raw === undefined) {
        if (secrets.proxmoxApiToken !== undefined) {
            p.add(key("proxmoxApiToken"), `(value hidden) is set but there is no ${path} section; add it or remove the token with \`pulumi config rm proxmoxApiToken\``);
        }
        return undefined;
    }
    const o = asObject(p, path, raw, "write it as a YAML mapping {endpoint, nodeName, gatewayCidr, machines, ...}");
    if (!o) {
        return null;
    }
    checkKeys(p, path, o, ["endpoint", "insecure", "nodeName", "vmDatastore", "fileDatastore", "bridge", "vlanId", "gatewayCidr", "dnsServers", "extensions", "machines"]);
    const endpoint = str(p, o, path, "endpoint", { required: `set the API URL with ${setCmd("proxmox.endpoint", "https://pve.lab.internal:8006/")}`, check: httpUrl(true) });
    const insecure = bool(p, o, path, "insecure", false);
    const nodeName = str(p, o, path, "nodeName", { required: 'name the Proxmox node that runs the VMs, e.g. "pve"', check: PVE_NAME });
    const datastore = (name: "vmDatastore" | "fileDatastore") => (o[name] === undefined ? PROXMOX_DEFAULTS[name] : str(p, o, path, name, { check: poolName }));
    const vmDatastore = datastore("vmDatastore");
    const fileDatastore = datastore("fileDatastore");
    const bridge = o.bridge === undefined ? PROXMOX_DEFAULTS.bridge : str(p, o, path, "bridge", { check: ifName });
    const vlanId = o.vlanId === undefined ? undefined : num(p, o, path, "vlanId", undefined, { min: 1, max: 4094 });
    let lan: Cidr | undefined;
    const gatewayCidr = str(p, o, path, "gatewayCidr", {
        required: `set the LAN gateway with its prefix, e.g. ${setCmd("proxmox.gatewayCidr", "10.0.0.1/16")}`,
        check: (s) => {
            const c = parseCidr(s);
            if (!c || c.version !== 4 || c.prefix < 8 || c.prefix > 30) {
                return 'is not an IPv4 gateway address with a /8../30 prefix; write the gateway and the LAN prefix, e.g. "10.0.0.1/16"';
            }
            if (c.address === c.network || c.address === c.last) {
                return `is the LAN's ${c.address === c.network ? "network" : "broadcast"} address, not a gateway; use the router's address, e.g. "${formatIPv4(c.network + 1n)}/${c.prefix}"`;
            }
            lan = c;
            return undefined;
        },
    });
    const dnsServers = o.dnsServers === undefined ? [...DEFAULTS.dnsServers] : strList(p, o, path, "dnsServers", { check: ipv4, nonEmpty: 'list at least one resolver, e.g. ["1.1.1.1"]', unique: true });
    let extensions: string[] | undefined = [...PROXMOX_DEFAULTS.extensions];
    if (o.extensions !== undefined) {
        extensions = strList(p, o, path, "extensions", { check: extensionName, unique: true });
        if (extensions && !extensions.includes("siderolabs/tailscale")) {
            p.invalid(child(path, "extensions"), extensions, 'does not include "siderolabs/tailscale"; the VMs join the cluster over the overlay, so add it');
            extensions = undefined;
        }
    }
    const machines = parseMachines(p, o.machines, child(path, "machines"), lan, clusterName);
    let apiToken: pulumi.Output<string> | undefined;
    if (secrets.proxmoxApiToken === undefined) {
        p.add(key("proxmoxApiToken"), `missing; ${path} is set, so run ${secretCmd("proxmoxApiToken")} with an API token "user@realm!tokenid=secret" (Datacenter → Permissions → API Tokens)`);
    } else if (!/^[^@\s]+@[^!\s]+![^=\s]+=\S+$/.test(secrets.proxmoxApiToken)) {
        p.add(key("proxmoxApiToken"), `(value hidden) is not an API token of the form "user@realm!tokenid=secret"; run ${secretCmd("proxmoxApiToken")} again with the full token`);
    } else {
        apiToken = pulumi.secret(secrets.proxmoxApiToken);
    }
    if (!endpoint || insecure === undefined || !nodeName || !vmDatastore || !fileDatastore || !bridge || (o.vlanId !== undefined && vlanId === undefined) || !gatewayCidr || !lan || !dnsServers || !extensions || !machines || !apiToken) {
        return null;
    }
    return {
        value: {
            endpoint: endpoint.replace(/\/+$/, ""),
            apiToken,
            insecure,
            nodeName,
            vmDatastore,
            fileDatastore,
            bridge,
            ...(vlanId !== undefined ? { vlanId } : {}),
            gatewayCidr,
            subnetCidr: formatCidr(lan),
            gateway: formatIPv4(lan.address),
            prefixLength: lan.prefix,
            dnsServers,
            extensions,
            machines: machines.map((m) => m.value),
        },
        machines,
    };
}

function parseMachines(p: Problems, raw: unknown, path: string, lan: Cidr | undefined, clusterName: string | undefined): Located<ProxmoxMachineConfig>[] | undefined {
    const example = "a list of {name, vmId, address}, e.g. [{name: talos-worker-01, vmId: 303, address: 10.0.0.21}]";
    if (raw === undefined || raw === INVALID_JSON) {
        p.add(path, `missing; list the VMs as ${example}`);
        return undefined;
    }
    if (!Array.isArray(raw) || raw.length === 0) {
        p.invalid(path, raw, `is ${Array.isArray(raw) ? "empty" : "not a list"}; list the VMs as ${example}`);
        return undefined;
    }
    const out: Located<ProxmoxMachineConfig>[] = [];
    const seen = { vmId: new Map<string, string>(), address: new Map<string, string>(), mac: new Map<string, string>() };
    const unique = (kind: keyof typeof seen, at: string, value: string, what: string): boolean => {
        const other = seen[kind].get(value);
        if (other) {
            p.invalid(at, value, `is already used by ${other}; every VM needs its own ${what}`);
            return false;
        }
        seen[kind].set(value, at);
        return true;
    };
    let ok = true;
    raw.forEach((entry, i) => {
        const at = item(path, i);
        const o = asObject(p, at, entry, "write each VM as {name, vmId, address, cores?, memoryMiB?, diskSizeGb?, mac?}");
        if (!o) {
            ok = false;
            return;
        }
        checkKeys(p, at, o, ["name", "vmId", "address", "mac", "cores", "memoryMiB", "diskSizeGb"], { role: "remove it: Proxmox VMs are workers (the control planes share the GCP subnet for etcd)" });
        const name = str(p, o, at, "name", { required: 'name the VM (a DNS label, e.g. "talos-worker-01"): VM name, hostname and Kubernetes node name', check: dnsLabel() });
        const vmId = num(p, o, at, "vmId", undefined, { min: 100, max: 999_999_999, required: "set the Proxmox VM id (100..999999999), e.g. 303" });
        const address = str(p, o, at, "address", {
            required: `set the VM's static LAN address, e.g. "${lan ? formatIPv4(lan.network + 21n) : "10.0.0.21"}"`,
            check: (s) => {
                const ip = parseIPv4(s);
                if (ip === undefined) {
                    return 'is not an IPv4 address; use e.g. "10.0.0.21"';
                }
                if (lan && !cidrContains(lan, { version: 4, value: ip })) {
                    return `is outside the LAN ${formatCidr(lan)} (proxmox.gatewayCidr); use an address inside it`;
                }
                if (lan && (ip === lan.network || ip === lan.last || ip === lan.address)) {
                    return `is the LAN's ${ip === lan.address ? "gateway" : ip === lan.network ? "network" : "broadcast"} address; use a free host address`;
                }
                return undefined;
            },
        });
        const macText = o.mac === undefined ? undefined : str(p, o, at, "mac", { check: macCheck });
        const cores = num(p, o, at, "cores", PROXMOX_DEFAULTS.cores, { min: 1, max: 128 });
        const memoryMiB = num(p, o, at, "memoryMiB", PROXMOX_DEFAULTS.memoryMiB, { min: 2048, max: 1_048_576, unit: "MiB", why: "a Talos worker needs at least 2 GiB" });
        const diskSizeGb = num(p, o, at, "diskSizeGb", PROXMOX_DEFAULTS.diskSizeGb, { min: 10, max: 65536, unit: "GB", why: "a Talos system disk needs at least 10 GiB" });
        if (!name || vmId === undefined || !address || (o.mac !== undefined && !macText) || cores === undefined || memoryMiB === undefined || diskSizeGb === undefined) {
            ok = false;
            return;
        }
        const mac = macText ? normaliseMac(macText)! : deterministicMac(clusterName ?? "", name);
        const fresh = [unique("vmId", child(at, "vmId"), String(vmId), "VM id"), unique("address", child(at, "address"), address, "address"), unique("mac", child(at, "mac"), mac, "MAC address")];
        if (fresh.includes(false)) {
            ok = false;
            return;
        }
        out.push({ path: at, value: { name, vmId, address, mac, cores, memoryMiB, diskSizeGb } });
    });
    return ok ? out : undefined;
}
