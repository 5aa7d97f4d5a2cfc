/**
 * The contract between the Pulumi graph, which declares one `command.local.Command` per
 * day-two step, and `infra/day-two/cli.ts`, which that command runs on the Pulumi runner.
 *
 * The plan travels as JSON in `DAY_TWO_PLAN` (no secret in it, so previews show what changes);
 * credentials travel in their own variables, which the graph fills from secret outputs, and the
 * CLI writes them to 0600 files in a private temporary directory for talosctl and kubectl. None
 * of them is ever on a command line.
 */
import * as path from "node:path";
import type { NodeRole } from "./rollout";

/** Environment variables the CLI reads. */
export const DAY_TWO_ENV = {
    /** JSON plan of the step (not secret). */
    plan: "DAY_TWO_PLAN",
    /** talosconfig (secret). */
    talosconfig: "DAY_TWO_TALOSCONFIG",
    /** Admin kubeconfig (secret). */
    kubeconfig: "DAY_TWO_KUBECONFIG",
    /** The edge base worker config (secret): the cluster's join secrets. */
    edgeBaseConfig: "DAY_TWO_EDGE_BASE_CONFIG",
    /** A value that changes on every program run, so the readiness gate runs on every `pulumi up`. */
    run: "DAY_TWO_RUN",
} as const;

/** Runner-side variables (set by the operator, never by the graph). */
export const RUNNER_ENV = {
    /** talosctl binary. Default "talosctl" on PATH. */
    talosctl: "TALOSCTL",
    /** kubectl binary. Default "kubectl" on PATH. */
    kubectl: "KUBECTL",
    /** "1": removals skip drain, reset and etcd (e.g. `DAY_TWO_SKIP_REMOVAL=1 pulumi destroy`). */
    skipRemoval: "DAY_TWO_SKIP_REMOVAL",
    /** Poll interval of every wait, Go duration. Default "5s". */
    pollInterval: "DAY_TWO_POLL_INTERVAL",
} as const;

export type DayTwoTask = "upgrade-node" | "upgrade-kubernetes" | "remove-node" | "configure-edge" | "readiness";
export const DAY_TWO_TASKS: readonly DayTwoTask[] = ["upgrade-node", "upgrade-kubernetes", "remove-node", "configure-edge", "readiness"];

/**
 * The command line of a step, relative to the repository root (`dayTwoCommandDir`), so the same
 * command is recorded whichever checkout runs `pulumi up`.
 */
export function dayTwoCommandLine(task: DayTwoTask, ...flags: string[]): string {
    return ["node", "-r", "ts-node/register/transpile-only", "infra/day-two/cli.ts", task, ...flags].join(" ");
}

/** The repository root: this file is infra/day-two/contract.ts. */
const REPOSITORY_ROOT = path.resolve(__dirname, "..", "..");

/**
 * The `dir` a step's command runs in: the repository root, relative to the directory the program
 * runs in, or undefined when that is the root itself. Pulumi starts the program, and the command
 * provider that runs the steps, in the same working directory: with `main: stacks/` that is
 * `stacks/`, so the steps get `..` — the same on every checkout, so nothing in state changes
 * between runners — and `infra/day-two/cli.ts` is found.
 */
export function dayTwoCommandDir(programDir: string = process.cwd()): string | undefined {
    const relative = path.relative(programDir, REPOSITORY_ROOT).split(path.sep).join("/");
    return relative === "" ? undefined : relative;
}

/** Upgrade one node to an installer image, then check health. */
export interface UpgradeNodePlan {
    /** Kubernetes node name (= Talos hostname). */
    node: string;
    role: NodeRole;
    /** Talos API address the runner uses; "" for an edge machine that has not joined the tailnet. */
    address: string;
    /** Target installer, `<host>/<platform>-installer/<schematic>:<version>`. */
    installerImage: string;
    /** Talos API addresses of every control plane (etcd health is checked on each). */
    controlPlaneAddresses: string[];
    /** Go durations. */
    upgradeTimeout: string;
    healthTimeout: string;
    /** "cloud" or the edge site's name (messages only). */
    location: string;
}

/** Move the cluster to a Kubernetes version with `talosctl upgrade-k8s`. */
export interface UpgradeKubernetesPlan {
    /** e.g. "v1.35.0". */
    version: string;
    /** Talos API address of the control plane upgrade-k8s runs against. */
    controlPlaneAddress: string;
    /** Cloud node names that must be Ready on the new kubelet afterwards. */
    cloudNodes: string[];
    timeout: string;
    healthTimeout: string;
}

/** Remove one node from the cluster before its machine is deleted. */
export interface RemoveNodePlan {
    node: string;
    role: NodeRole;
    /** Talos API address; "" for an edge machine that never joined. */
    address: string;
    /** Talos API addresses of every control plane at the last update, this node's own included. */
    controlPlaneAddresses: string[];
    drainTimeout: string;
    resetTimeout: string;
    location: string;
}

/** Bring a joined edge machine's config in line with the stack. */
export interface ConfigureEdgePlan {
    node: string;
    site: string;
    /** Tailnet address; "" when the machine has not joined (nothing to do yet). */
    address: string;
    installerImage: string;
    installDisk?: string;
    diskSelector?: Record<string, string>;
    labels: Record<string, string>;
    taints: Record<string, string>;
    validSubnets: string[];
}

/** Wait for the cluster's nodes after an update. */
export interface ReadinessPlan {
    cloudNodes: string[];
    edgeMachines: { node: string; site: string; onTailnet: boolean }[];
    cloudTimeout: string;
    edgeTimeout: string;
}

/** Prefix of the one stdout line that carries a step's machine-readable result. */
export const RESULT_PREFIX = "DAY_TWO_RESULT ";

/** Reads the result line out of a step's stdout; undefined when there is none. */
export function parseResultLine<T>(stdout: string): T | undefined {
    const line = stdout.split("\n").reverse().find((l) => l.startsWith(RESULT_PREFIX));
    return line === undefined ? undefined : (JSON.parse(line.slice(RESULT_PREFIX.length)) as T);
}
