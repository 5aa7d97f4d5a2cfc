/**
 * `talos-cloud-edge:edgeSites`: KVM hosts, bridges, DHCP, storage and machines (machines through model/edgeMachine.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { Problems } from "../../model/problems";
import { INVALID_JSON, asObject, checkKeys, child, item, num, oneOf, str, strList } from "../../model/readers";
import { dnsLabel, hostOrIp, ifName, ipv4, leaseTime, libvirtUri, lvmName, poolName, posixUser, sshHostKey } from "../../model/checks";
import { cidrContains, formatCidr, formatIPv4, parseCidr, parseIPv4, parseIPv4Cidr, parseIp, type Cidr, type IpAddress } from "../../model/net";
import { parseEdgeMachine } from "../../model/edgeMachine";
import { type EdgeBridgeConfig, type EdgeDhcpConfig, type EdgeHostConfig, type EdgeMachineConfig, type EdgeSiteConfig, type EdgeStorageConfig } from "../../components/model";
import { key } from "./common";
import { DEFAULTS } from "./defaults";
import { Located } from "./nodes";

export function parseHost(p: Problems, raw: unknown, path: string, privateKey: string | undefined): EdgeHostConfig | undefined {
    if (raw === undefined) {
        p.add(path, "missing; describe the KVM host: {address, hostKey, uplinkInterface, port?, user?, libvirtUri?}");
        return undefined;
    }
    const o = asObject(p, path, raw, "write it as {address, hostKey, uplinkInterface, port?, user?, libvirtUri?}");
    if (!o) {
        return undefined;
    }
    checkKeys(p, path, o, ["address", "port", "user", "hostKey", "uplinkInterface", "libvirtUri"]);
    const address = str(p, o, path, "address", { required: "set the host's SSH address (IP or DNS name)", check: hostOrIp });
    const port = num(p, o, path, "port", DEFAULTS.sshPort, { min: 1, max: 65535 });
    const user = o.user === undefined ? DEFAULTS.sshUser : str(p, o, path, "user", { check: posixUser });
    const hostKey = str(p, o, path, "hostKey", {
        required: "pin the host's SSH public host key (no trust on first use): the output of `ssh-keyscan -t ed25519 <host>` without the host name",
        check: sshHostKey,
    });
    const uplinkInterface = str(p, o, path, "uplinkInterface", { required: 'name the interface edge traffic is NATed out of, e.g. "eno1"', check: ifName });
    const uri = str(p, o, path, "libvirtUri", { check: libvirtUri });
    if (!address || port === undefined || !user || !hostKey || !uplinkInterface || (o.libvirtUri !== undefined && !uri)) {
        return undefined;
    }
    const uriHost = parseIp(address)?.version === 6 ? `[${address}]` : address;
    const host: EdgeHostConfig = {
        address,
        port,
        user,
        hostKey: hostKey.trim(),
        uplinkInterface,
        libvirtUri: uri ?? `qemu+ssh://${user}@${uriHost}:${port}/system?sshauth=agent,privkey`,
    };
    if (privateKey !== undefined) {
        host.privateKey = pulumi.secret(privateKey);
    }
    return host;
}

export function parseBridge(p: Problems, raw: unknown, path: string): EdgeBridgeConfig | undefined {
    if (raw === undefined) {
        p.add(path, 'missing; describe the site bridge: {name, gatewayCidr, mtu?}, e.g. {name: setup02-edge, gatewayCidr: "10.0.20.1/24"}');
        return undefined;
    }
    const o = asObject(p, path, raw, "write it as {name, gatewayCidr, mtu?}");
    if (!o) {
        return undefined;
    }
    checkKeys(p, path, o, ["name", "gatewayCidr", "mtu"]);
    const name = str(p, o, path, "name", {
        required: 'name the Open vSwitch bridge (at most 15 characters), e.g. "setup02-edge"',
        check: (s) => (s.length > 15 ? "is longer than 15 characters (the Linux interface name limit); use a shorter bridge name" : ifName(s)),
    });
    let gw: Cidr | undefined;
    const gatewayCidr = str(p, o, path, "gatewayCidr", {
        required: 'set the gateway address with the site prefix, e.g. "10.0.20.1/24"',
        check: (s) => {
            const c = parseCidr(s);
            if (!c || c.version !== 4) {
                return 'is not an IPv4 address with prefix; use the gateway address and the site prefix, e.g. "10.0.20.1/24"';
            }
            if (c.prefix < 8 || c.prefix > 29) {
                return `has prefix /${c.prefix}; use a prefix between /8 and /29 so the subnet holds the gateway, the DHCP server and the machines`;
            }
            if (c.address === c.network || c.address === c.last) {
                return `is the subnet's ${c.address === c.network ? "network" : "broadcast"} address, not a gateway; use a host address such as "${formatIPv4(c.network + 1n)}/${c.prefix}"`;
            }
            gw = c;
            return undefined;
        },
    });
    const mtu = num(p, o, path, "mtu", DEFAULTS.mtu, { min: 1280, max: 9000, unit: "bytes" });
    if (!name || !gatewayCidr || !gw || mtu === undefined) {
        return undefined;
    }
    return { name, gatewayCidr, subnetCidr: formatCidr(gw), gateway: formatIPv4(gw.address), prefixLength: gw.prefix, mtu };
}

export function parseDhcp(p: Problems, raw: unknown, path: string): EdgeDhcpConfig | undefined {
    if (raw === undefined) {
        p.add(path, 'missing; describe DHCP: {serverAddress, rangeStart, rangeEnd, leaseTime?, dnsServers?}, e.g. {serverAddress: 10.0.20.2, rangeStart: 10.0.20.10, rangeEnd: 10.0.20.200}');
        return undefined;
    }
    const o = asObject(p, path, raw, "write it as {serverAddress, rangeStart, rangeEnd, leaseTime?, dnsServers?}");
    if (!o) {
        return undefined;
    }
    checkKeys(p, path, o, ["serverAddress", "rangeStart", "rangeEnd", "leaseTime", "dnsServers"]);
    const serverAddress = str(p, o, path, "serverAddress", { required: 'set the address dnsmasq serves from, e.g. "10.0.20.2"', check: ipv4 });
    const rangeStart = str(p, o, path, "rangeStart", { required: 'set the first dynamic address, e.g. "10.0.20.10"', check: ipv4 });
    const rangeEnd = str(p, o, path, "rangeEnd", { required: 'set the last dynamic address, e.g. "10.0.20.200"', check: ipv4 });
    const lease = o.leaseTime === undefined ? DEFAULTS.leaseTime : str(p, o, path, "leaseTime", { check: leaseTime });
    const dnsServers = o.dnsServers === undefined ? [...DEFAULTS.dnsServers] : strList(p, o, path, "dnsServers", { check: ipv4, unique: true });
    if (!serverAddress || !rangeStart || !rangeEnd || !lease || !dnsServers) {
        return undefined;
    }
    return { serverAddress, rangeStart, rangeEnd, leaseTime: lease, dnsServers };
}

export function parseStorage(p: Problems, raw: unknown, path: string): EdgeStorageConfig | undefined {
    if (raw === undefined) {
        return { kind: "pool", pool: DEFAULTS.storagePool };
    }
    const o = asObject(p, path, raw, 'write it as {kind: lvm, volumeGroup: <vg>} or {kind: pool, pool: <name>}');
    if (!o) {
        return undefined;
    }
    const kind = str(p, o, path, "kind", { required: 'set kind: "lvm" or "pool"', check: oneOf(["lvm", "pool"] as const) });
    if (kind === "lvm") {
        checkKeys(p, path, o, ["kind", "volumeGroup"]);
        const volumeGroup = str(p, o, path, "volumeGroup", { required: 'name the existing LVM volume group, e.g. "vg-talos-setup02"', check: lvmName });
        return volumeGroup ? { kind, volumeGroup } : undefined;
    }
    if (kind === "pool") {
        checkKeys(p, path, o, ["kind", "pool"]);
        const pool = o.pool === undefined ? DEFAULTS.storagePool : str(p, o, path, "pool", { check: poolName });
        return pool ? { kind, pool } : undefined;
    }
    checkKeys(p, path, o, ["kind", "volumeGroup", "pool"]);
    return undefined;
}

/** A parsed site plus the config path of each of its parsed machines. */
export interface LocatedSite extends Located<EdgeSiteConfig> {
    machinePaths: string[];
}

/** Address checks inside one site: DHCP server, dynamic range and static leases against the subnet. */
export function checkSiteAddresses(p: Problems, s: LocatedSite): void {
    const site = s.value;
    const subnet = parseIPv4Cidr(site.bridge.subnetCidr)!;
    const gateway = parseIPv4(site.bridge.gateway)!;
    const inSubnet = (at: string, text: string, role: string): bigint | undefined => {
        const a = parseIPv4(text)!;
        const ip: IpAddress = { version: 4, value: a };
        if (!cidrContains(subnet, ip)) {
            p.invalid(at, text, `is outside the site subnet ${site.bridge.subnetCidr} (from bridge.gatewayCidr); use ${role} inside it`);
            return undefined;
        }
        if (a === subnet.network || a === subnet.last) {
            p.invalid(at, text, `is the ${a === subnet.network ? "network" : "broadcast"} address of ${site.bridge.subnetCidr}; use a host address`);
            return undefined;
        }
        if (a === gateway) {
            p.invalid(at, text, `is the bridge gateway address; use another address for ${role}`);
            return undefined;
        }
        return a;
    };
    const dhcpPath = child(s.path, "dhcp");
    const server = inSubnet(child(dhcpPath, "serverAddress"), site.dhcp.serverAddress, "the DHCP server address");
    const start = inSubnet(child(dhcpPath, "rangeStart"), site.dhcp.rangeStart, "a range start");
    const end = inSubnet(child(dhcpPath, "rangeEnd"), site.dhcp.rangeEnd, "a range end");
    if (start !== undefined && end !== undefined) {
        if (start > end) {
            p.invalid(child(dhcpPath, "rangeStart"), site.dhcp.rangeStart, `is after rangeEnd "${site.dhcp.rangeEnd}"; swap them so rangeStart <= rangeEnd`);
        } else {
            const range = `${site.dhcp.rangeStart}-${site.dhcp.rangeEnd}`;
            if (gateway >= start && gateway <= end) {
                p.add(child(dhcpPath, "rangeStart"), `the dynamic range ${range} contains the gateway ${site.bridge.gateway}; dnsmasq could lease it to a client: start the range after it`);
            }
            if (server !== undefined && server >= start && server <= end) {
                p.invalid(child(dhcpPath, "serverAddress"), site.dhcp.serverAddress, `is inside the dynamic range ${range}; dnsmasq could lease it to a client: move it out of the range or shrink the range`);
            }
        }
    }
    // Static leases may sit inside or outside the dynamic range (dnsmasq reserves them either way).
    const seen = new Map<bigint, string>();
    site.machines.forEach((m, i) => {
        const at = child(s.machinePaths[i], "ip");
        const a = inSubnet(at, m.ip, "a machine address");
        if (a === undefined) {
            return;
        }
        if (a === server) {
            p.invalid(at, m.ip, "is the DHCP server address; give the machine another address");
        } else if (seen.has(a)) {
            p.invalid(at, m.ip, `is already the static lease of ${seen.get(a)}; give every machine its own address`);
        } else {
            seen.set(a, child(s.machinePaths[i], "name"));
        }
    });
}

export function parseEdgeSites(p: Problems, raw: unknown, privateKey: string | undefined): { items: LocatedSite[]; complete: boolean } {
    const path = key("edgeSites");
    if (raw === undefined) {
        return { items: [], complete: true };
    }
    if (raw === INVALID_JSON) {
        return { items: [], complete: false };
    }
    if (!Array.isArray(raw)) {
        p.invalid(path, raw, "is not a list; write it as a list of sites {name, host, bridge, dhcp, storage?, machines}");
        return { items: [], complete: false };
    }
    const items: LocatedSite[] = [];
    let complete = true;
    raw.forEach((entry, i) => {
        const at = item(path, i);
        const o = asObject(p, at, entry, "write each site as {name, host, bridge, dhcp, storage?, machines}");
        if (!o) {
            complete = false;
            return;
        }
        checkKeys(p, at, o, ["name", "host", "bridge", "dhcp", "storage", "machines"]);
        const name = str(p, o, at, "name", { required: 'name the site (a DNS label; also the topology.kubernetes.io/zone label), e.g. "site-1"', check: dnsLabel() });
        const host = parseHost(p, o.host, child(at, "host"), privateKey);
        const bridge = parseBridge(p, o.bridge, child(at, "bridge"));
        const dhcp = parseDhcp(p, o.dhcp, child(at, "dhcp"));
        const storage = parseStorage(p, o.storage, child(at, "storage"));
        const machinesPath = child(at, "machines");
        const machines: EdgeMachineConfig[] = [];
        const machinePaths: string[] = [];
        if (o.machines === undefined) {
            p.add(machinesPath, "missing; list the site's machines ({name, mac, ip, ...}), or [] to only record unknown machines that PXE boot");
        } else if (!Array.isArray(o.machines)) {
            p.invalid(machinesPath, o.machines, "is not a list; write it as a list of {name, mac, ip, ...}");
        } else {
            o.machines.forEach((m, j) => {
                const machine = parseEdgeMachine(p, m, item(machinesPath, j), "stack", name);
                if (machine) {
                    machines.push(machine);
                    machinePaths.push(item(machinesPath, j));
                }
            });
        }
        if (!name || !host || !bridge || !dhcp || !storage) {
            complete = false;
            return;
        }
        const site: LocatedSite = { path: at, value: { name, host, bridge, dhcp, storage, machines }, machinePaths };
        checkSiteAddresses(p, site);
        items.push(site);
    });
    return { items, complete };
}
