/**
 * The Talos API as the day-two steps use it, behind a small interface, and its implementation
 * with talosctl. Every call names one node and reaches it directly (`--endpoints` = `--nodes` =
 * that node's address): proxying through a control plane would send the runner's request from
 * the control plane's address, which the firewall does not admit.
 */
import { parseAllDocuments } from "yaml";
import { goDurationMs } from "../../model/durations";
import { Exec, ExecResult, ToolError } from "./exec";

export interface EtcdMember {
    id: string;
    hostname: string;
    learner: boolean;
}

export interface TalosApi {
    /** The Talos version the node runs ("v1.12.4"). */
    version(node: string): Promise<string>;
    /** The node's Image Factory schematic id, undefined when the node does not report one. */
    schematic(node: string): Promise<string | undefined>;
    /** `talosctl upgrade --image --wait`: returns once the node is back (or fails). */
    upgrade(node: string, image: string, timeout: string): Promise<void>;
    /** True when the node's etcd service is running and passes its health check. */
    etcdHealthy(node: string): Promise<boolean>;
    /** etcd members as the node sees them. */
    etcdMembers(node: string): Promise<EtcdMember[]>;
    /** Removes a member (by id) through the node. */
    etcdRemoveMember(node: string, memberId: string): Promise<void>;
    /** Graceful reset (cordon, drain, leave etcd, wipe), then power off. */
    reset(node: string, timeout: string): Promise<void>;
    /** `talosctl upgrade-k8s --to`. */
    upgradeKubernetes(node: string, version: string, timeout: string): Promise<void>;
    /** Writes an admin kubeconfig for the cluster to `path`. */
    kubeconfig(node: string, path: string): Promise<void>;
    /** The node's current machine config (multi-document YAML; secret). */
    readConfig(node: string): Promise<string>;
    /** Applies the config in `file` (mode auto). */
    applyConfig(node: string, file: string): Promise<void>;
}

/** `talosctl version` text: the Tag of the Server section. */
export function parseServerTag(text: string): string | undefined {
    const server = text.split(/^Server:\s*$/m)[1];
    return server === undefined ? undefined : /^\s*Tag:\s*(\S+)\s*$/m.exec(server)?.[1];
}

/** `talosctl get extensions -o yaml`: the version of the `schematic` pseudo-extension Image Factory adds. */
export function parseSchematicId(yamlText: string): string | undefined {
    for (const doc of parseAllDocuments(yamlText)) {
        const value = doc.toJS() as { spec?: { metadata?: { name?: string; version?: string } } } | null;
        if (value?.spec?.metadata?.name === "schematic" && typeof value.spec.metadata.version === "string") {
            return value.spec.metadata.version;
        }
    }
    return undefined;
}

/** `talosctl service etcd` text: running and healthy. */
export function parseServiceHealthy(text: string): boolean {
    const field = (name: string) => new RegExp(`^${name}\\s+(.+?)\\s*$`, "m").exec(text)?.[1];
    return field("STATE") === "Running" && field("HEALTH") === "OK";
}

/** `talosctl etcd members` table: NODE ID HOSTNAME PEER-URLS CLIENT-URLS LEARNER. */
export function parseEtcdMembers(text: string): EtcdMember[] {
    return text
        .split("\n")
        .map((l) => l.trim().split(/\s+/))
        .filter((cols) => cols.length >= 6 && cols[0] !== "NODE")
        .map((cols) => ({ id: cols[1], hostname: cols[2], learner: cols[cols.length - 1] === "true" }));
}

export interface TalosCtlOptions {
    /** talosctl binary. */
    binary: string;
    /** Path of the talosconfig file (0600). */
    talosconfig: string;
    /** Bound on calls without their own (queries). Default 60 s. */
    queryTimeoutMs?: number;
}

/** Extra time talosctl gets beyond its own `--timeout`, so it reports the timeout itself. */
const GRACE_MS = 60_000;

export class TalosCtl implements TalosApi {
    constructor(private readonly exec: Exec, private readonly opts: TalosCtlOptions) {}

    /** `secretOutput`: the answer is secret (a machine config), so a failure never quotes it. */
    private async run(node: string, args: string[], what: string, timeoutMs?: number, secretOutput = false): Promise<ExecResult> {
        const result = await this.exec(
            this.opts.binary,
            ["--talosconfig", this.opts.talosconfig, "--endpoints", node, "--nodes", node, ...args],
            { timeoutMs: timeoutMs ?? this.opts.queryTimeoutMs ?? 60_000 },
        );
        if (result.code !== 0) throw new ToolError(`talosctl ${what} on ${node}`, secretOutput ? { ...result, stdout: "" } : result);
        return result;
    }

    async version(node: string): Promise<string> {
        const out = (await this.run(node, ["version"], "version")).stdout;
        const tag = parseServerTag(out);
        if (!tag) throw new Error(`talosctl version on ${node}: no server version in the answer`);
        return tag;
    }

    async schematic(node: string): Promise<string | undefined> {
        return parseSchematicId((await this.run(node, ["get", "extensions", "-o", "yaml"], "get extensions")).stdout);
    }

    async upgrade(node: string, image: string, timeout: string): Promise<void> {
        await this.run(node, ["upgrade", "--image", image, "--wait", "--timeout", timeout], `upgrade to ${image}`, goDurationMs("timeout", timeout) + GRACE_MS);
    }

    async etcdHealthy(node: string): Promise<boolean> {
        const result = await this.exec(
            this.opts.binary,
            ["--talosconfig", this.opts.talosconfig, "--endpoints", node, "--nodes", node, "service", "etcd"],
            { timeoutMs: this.opts.queryTimeoutMs ?? 60_000 },
        );
        return result.code === 0 && parseServiceHealthy(result.stdout);
    }

    async etcdMembers(node: string): Promise<EtcdMember[]> {
        return parseEtcdMembers((await this.run(node, ["etcd", "members"], "etcd members")).stdout);
    }

    async etcdRemoveMember(node: string, memberId: string): Promise<void> {
        await this.run(node, ["etcd", "remove-member", memberId], `etcd remove-member ${memberId}`);
    }

    async reset(node: string, timeout: string): Promise<void> {
        await this.run(node, ["reset", "--graceful=true", "--reboot=false", "--wait", "--timeout", timeout], "reset", goDurationMs("timeout", timeout) + GRACE_MS);
    }

    async upgradeKubernetes(node: string, version: string, timeout: string): Promise<void> {
        await this.run(node, ["upgrade-k8s", "--to", version], `upgrade-k8s --to ${version}`, goDurationMs("timeout", timeout));
    }

    async kubeconfig(node: string, path: string): Promise<void> {
        await this.run(node, ["kubeconfig", path, "--force"], "kubeconfig");
    }

    async readConfig(node: string): Promise<string> {
        return (await this.run(node, ["read", "/system/state/config.yaml"], "read of the machine config", undefined, true)).stdout;
    }

    async applyConfig(node: string, file: string): Promise<void> {
        await this.run(node, ["apply-config", "--file", file, "--mode", "auto"], "apply-config");
    }
}
