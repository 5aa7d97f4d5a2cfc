/**
 * Pure planning for day-two operations: the order nodes are upgraded (and removed) in, the
 * etcd quorum rule a scale-down must respect, what an installer image reference says, and which
 * tailnet device is an edge machine.
 */

export type NodeRole = "controlplane" | "worker";

/**
 * Rollout order: control planes in declaration order (the first one bootstraps etcd, so it is
 * also the first to be upgraded and the last to be removed), then workers in declaration order.
 */
export function rolloutOrder<T extends { role: NodeRole }>(nodes: readonly T[]): T[] {
    return [...nodes.filter((n) => n.role === "controlplane"), ...nodes.filter((n) => n.role === "worker")];
}

/** Members an etcd cluster of `members` needs to keep writing: a strict majority. */
export function etcdQuorum(members: number): number {
    return Math.floor(members / 2) + 1;
}

/** A scale-down the stack refuses before touching anything. */
export class ControlPlaneRemovalError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "ControlPlaneRemovalError";
    }
}

/**
 * Refuses a control-plane change that would end the cluster: no control plane left, or several
 * control planes removed in one `pulumi up` leaving fewer of the previous members than etcd's
 * quorum of the previous membership. One removal at a time is always allowed while another
 * control plane remains: each leaves etcd gracefully while the rest of the cluster is up, so
 * membership and quorum shrink together. Several at once are refused below quorum because if
 * one graceful leave fails halfway, the survivors must still hold a majority of the old set.
 *
 * `previous` is what the last deployment recorded (undefined on the first one: nothing to check).
 */
export function checkControlPlaneRemoval(previous: readonly string[] | undefined, next: readonly string[]): void {
    if (next.length === 0) {
        throw new ControlPlaneRemovalError(
            "cloudNodes: the change removes the last control plane; a cluster needs at least one node with role \"controlplane\". " +
                "Keep one (to tear the whole cluster down, run `pulumi destroy` instead)",
        );
    }
    if (previous === undefined) return;
    const kept = new Set(next);
    const removed = previous.filter((name) => !kept.has(name));
    if (removed.length <= 1) return;
    const survivors = previous.length - removed.length;
    const quorum = etcdQuorum(previous.length);
    if (survivors < quorum) {
        const atOnce = Math.max(1, previous.length - quorum);
        throw new ControlPlaneRemovalError(
            `cloudNodes: the change removes control planes ${removed.map((n) => `"${n}"`).join(", ")} at once; ` +
                `${survivors} of the ${previous.length} etcd members would remain, below the quorum of ${quorum}. ` +
                `Remove at most ${atOnce} per \`pulumi up\` (keep ${removed.slice(atOnce).map((n) => `"${n}"`).join(", ")} for now) and run again`,
        );
    }
}

/** What an Image Factory installer reference names. */
export interface InstallerImage {
    /** e.g. "gcp-installer", "metal-installer". */
    installer: string;
    /** 64 hex digits. */
    schematicId: string;
    /** e.g. "v1.12.4". */
    version: string;
}

const INSTALLER = /^[a-z0-9.-]+(?::\d+)?\/([a-z0-9-]+-installer(?:-secureboot)?)\/([0-9a-f]{64}):(v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/;

/** Parses `factory.talos.dev/<platform>-installer/<schematic>:<version>`; throws for anything else. */
export function parseInstallerImage(image: string): InstallerImage {
    const m = INSTALLER.exec(image);
    if (!m) {
        throw new Error(`installer image ${JSON.stringify(image)} is not an Image Factory installer (<host>/<platform>-installer/<schematic id>:<version>)`);
    }
    return { installer: m[1], schematicId: m[2], version: m[3] };
}

/** The tailnet device fields the edge discovery reads. */
export interface TailnetDevice {
    hostname: string;
    addresses: string[];
    authorized?: boolean;
    lastSeen?: string;
}

const TAILNET_V4 = /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.\d{1,3}\.\d{1,3}$/;

/** True for an IPv4 address inside Tailscale's 100.64.0.0/10. */
export function isTailnetIpv4(address: string): boolean {
    return TAILNET_V4.test(address) && address.split(".").every((o) => Number(o) <= 255);
}

/**
 * The tailnet IPv4 of the edge machine `hostname` among the tailnet's devices, or undefined when
 * it has not joined. A re-enrolled machine can leave its old device behind under the same
 * hostname: the authorized device seen most recently wins.
 */
export function tailnetAddressOf(hostname: string, devices: readonly TailnetDevice[]): string | undefined {
    const wanted = hostname.toLowerCase();
    const candidates = devices
        .filter((d) => d.hostname.toLowerCase() === wanted && d.authorized !== false)
        .map((d) => ({ d, ip: d.addresses.find(isTailnetIpv4) }))
        .filter((c): c is { d: TailnetDevice; ip: string } => c.ip !== undefined)
        .sort((a, b) => Date.parse(b.d.lastSeen ?? "") - Date.parse(a.d.lastSeen ?? "") || 0);
    return candidates[0]?.ip;
}

/** Where an edge machine stands: not on the tailnet, on the tailnet, or a Ready Kubernetes node. */
export type EdgeMachineStatus = "pending" | "joined" | "ready";

export function edgeMachineStatus(onTailnet: boolean, readyInKubernetes: boolean): EdgeMachineStatus {
    if (readyInKubernetes) return "ready";
    return onTailnet ? "joined" : "pending";
}
