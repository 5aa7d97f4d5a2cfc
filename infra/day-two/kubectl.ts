/**
 * The Kubernetes API as the day-two steps and the verification suite use it, behind a small
 * interface, and its implementation with kubectl (one admin kubeconfig file, 0600).
 */
import { goDurationMs } from "../../model/durations";
import { Exec, ExecResult, ToolError } from "./exec";

export interface KubeNode {
    name: string;
    ready: boolean;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    kubeletVersion: string;
    internalIps: string[];
    unschedulable: boolean;
}

export interface KubePod {
    name: string;
    nodeName: string;
    podIp: string;
    ready: boolean;
}

export interface KubeApi {
    /** True when the API server answers /readyz with "ok". */
    readyz(): Promise<boolean>;
    nodes(): Promise<KubeNode[]>;
    /** The API server's version ("v1.35.0"). */
    serverVersion(): Promise<string>;
    cordon(node: string): Promise<void>;
    /** Evicts every pod but DaemonSet ones; fails when eviction does not finish within `timeout` (Go duration). */
    drain(node: string, timeout: string): Promise<void>;
    /** Deletes the Node object; no error when it is already gone. */
    deleteNode(node: string): Promise<void>;
    /** `kubectl apply` of a manifest (YAML). */
    apply(manifest: string): Promise<void>;
    /** Deletes a namespace and everything in it; no error when it is gone. */
    deleteNamespace(namespace: string): Promise<void>;
    pods(namespace: string, selector: string): Promise<KubePod[]>;
    /** The ClusterIP of a service. */
    serviceIp(namespace: string, name: string): Promise<string>;
    /** Runs `argv` in a pod's first container; never throws for the command's own failure. */
    exec(namespace: string, pod: string, argv: string[], timeoutMs: number): Promise<ExecResult>;
}

interface NodeJson {
    metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: { unschedulable?: boolean };
    status?: {
        conditions?: { type: string; status: string }[];
        nodeInfo?: { kubeletVersion?: string };
        addresses?: { type: string; address: string }[];
    };
}

interface PodJson {
    metadata: { name: string };
    spec?: { nodeName?: string };
    status?: { podIP?: string; conditions?: { type: string; status: string }[] };
}

const isTrue = (conditions: { type: string; status: string }[] | undefined, type: string) =>
    (conditions ?? []).some((c) => c.type === type && c.status === "True");

/** `kubectl get nodes -o json` → nodes. */
export function parseNodes(json: string): KubeNode[] {
    const list = JSON.parse(json) as { items?: NodeJson[] };
    return (list.items ?? []).map((n) => ({
        name: n.metadata.name,
        ready: isTrue(n.status?.conditions, "Ready"),
        labels: n.metadata.labels ?? {},
        annotations: n.metadata.annotations ?? {},
        kubeletVersion: n.status?.nodeInfo?.kubeletVersion ?? "",
        internalIps: (n.status?.addresses ?? []).filter((a) => a.type === "InternalIP").map((a) => a.address),
        unschedulable: n.spec?.unschedulable === true,
    }));
}

/** `kubectl get pods -o json` → pods. */
export function parsePods(json: string): KubePod[] {
    const list = JSON.parse(json) as { items?: PodJson[] };
    return (list.items ?? []).map((p) => ({
        name: p.metadata.name,
        nodeName: p.spec?.nodeName ?? "",
        podIp: p.status?.podIP ?? "",
        ready: isTrue(p.status?.conditions, "Ready"),
    }));
}

export interface KubeCtlOptions {
    /** kubectl binary. */
    binary: string;
    /** Path of the kubeconfig file (0600). */
    kubeconfig: string;
    /** Bound on each call without its own. Default 60 s. */
    timeoutMs?: number;
}

export class KubeCtl implements KubeApi {
    constructor(private readonly execTool: Exec, private readonly opts: KubeCtlOptions) {}

    private call(args: string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
        return this.execTool(this.opts.binary, ["--kubeconfig", this.opts.kubeconfig, ...args], {
            timeoutMs: opts.timeoutMs ?? this.opts.timeoutMs ?? 60_000,
            input: opts.input,
        });
    }

    private async run(args: string[], what: string, opts: { timeoutMs?: number; input?: string } = {}): Promise<string> {
        const result = await this.call(args, opts);
        if (result.code !== 0) throw new ToolError(`kubectl ${what}`, result);
        return result.stdout;
    }

    async readyz(): Promise<boolean> {
        const result = await this.call(["get", "--raw=/readyz"]);
        return result.code === 0 && result.stdout.trim() === "ok";
    }

    async nodes(): Promise<KubeNode[]> {
        return parseNodes(await this.run(["get", "nodes", "-o", "json"], "get nodes"));
    }

    async serverVersion(): Promise<string> {
        const v = JSON.parse(await this.run(["version", "-o", "json"], "version")) as { serverVersion?: { gitVersion?: string } };
        if (!v.serverVersion?.gitVersion) throw new Error("kubectl version: the answer has no server version");
        return v.serverVersion.gitVersion;
    }

    async cordon(node: string): Promise<void> {
        await this.run(["cordon", node], `cordon ${node}`);
    }

    async drain(node: string, timeout: string): Promise<void> {
        await this.run(["drain", node, "--ignore-daemonsets", "--delete-emptydir-data", `--timeout=${timeout}`], `drain ${node}`, { timeoutMs: goDurationMs("drain timeout", timeout) + 60_000 });
    }

    async deleteNode(node: string): Promise<void> {
        await this.run(["delete", "node", node, "--ignore-not-found"], `delete node ${node}`);
    }

    async apply(manifest: string): Promise<void> {
        await this.run(["apply", "-f", "-"], "apply", { input: manifest });
    }

    async deleteNamespace(namespace: string): Promise<void> {
        await this.run(["delete", "namespace", namespace, "--ignore-not-found", "--wait=false"], `delete namespace ${namespace}`);
    }

    async pods(namespace: string, selector: string): Promise<KubePod[]> {
        return parsePods(await this.run(["get", "pods", "-n", namespace, "-l", selector, "-o", "json"], "get pods"));
    }

    async serviceIp(namespace: string, name: string): Promise<string> {
        const svc = JSON.parse(await this.run(["get", "service", "-n", namespace, name, "-o", "json"], `get service ${name}`)) as { spec?: { clusterIP?: string } };
        if (!svc.spec?.clusterIP) throw new Error(`service ${namespace}/${name} has no ClusterIP`);
        return svc.spec.clusterIP;
    }

    exec(namespace: string, pod: string, argv: string[], timeoutMs: number): Promise<ExecResult> {
        return this.call(["exec", "-n", namespace, pod, "--", ...argv], { timeoutMs });
    }
}
