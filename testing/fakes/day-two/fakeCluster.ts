/**
 * Typed handle on the fake Talos + Kubernetes cluster the fake `talosctl` and `kubectl` in this
 * folder act on: a temporary directory with the state file and the call log, the environment
 * that puts the fakes on PATH, and readers for what happened. Only tests import this.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const FAKES_DIR = __dirname;

export interface FakeNode {
    name: string;
    role: "controlplane" | "worker";
    /** "cloud" or "edge:<site>". */
    location: string;
    version: string;
    schematic?: string;
    etcdHealthy?: boolean;
    reachable?: boolean;
    /** A Kubernetes Node object exists. Default true. */
    registered?: boolean;
    ready?: boolean;
    kubeletVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    podIp?: string;
    /** The machine config the node runs (edge nodes). */
    config?: string;
    cordoned?: boolean;
    drained?: boolean;
    deleted?: boolean;
    wiped?: boolean;
    appliedConfigs?: number;
    taints?: boolean;
}

export interface FakeState {
    /** By Talos API address. */
    nodes: Record<string, FakeNode>;
    etcdMembers: { id: string; hostname: string }[];
    apiServerVersion: string;
    apiServerReady?: boolean;
    fail: {
        upgrade?: string[];
        rollback?: string[];
        etcdUnhealthyAfterUpgrade?: string[];
        drain?: string[];
        reset?: string[];
        upgradeK8s?: boolean;
        /** `read` of the machine config prints part of it, then fails. */
        readPartial?: string[];
    };
    upgradeDelayMs?: number;
    network?: { brokenPairs?: [string, string][]; dnsBroken?: boolean; egressBroken?: string[]; resolveBroken?: string[] };
    namespaces?: string[];
    deletedNamespaces?: string[];
    pods?: { namespace: string; name: string; nodeName: string; podIp: string }[];
    services?: Record<string, string>;
}

/** One call of a fake tool. */
export interface FakeCall {
    tool: "talosctl" | "kubectl";
    /** talosctl: the --nodes address. */
    node?: string;
    endpoint?: string;
    /** "upgrade", "service etcd", "drain …"… */
    op: string;
    argv: string[];
    /** Mode of the credential file the call was given ("600"), or "missing". */
    credentialMode: string;
    start: number;
    end: number;
    code: number;
}

export class FakeCluster {
    readonly dir: string;
    readonly statePath: string;
    readonly logPath: string;

    constructor(state: FakeState) {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-cluster-"));
        this.statePath = path.join(this.dir, "state.json");
        this.logPath = path.join(this.dir, "calls.jsonl");
        this.write(state);
        fs.writeFileSync(this.logPath, "");
    }

    /** Environment for a process (or an in-process step) that should use the fakes. */
    env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
        return {
            ...process.env,
            PATH: `${FAKES_DIR}${path.delimiter}${process.env.PATH ?? ""}`,
            TALOSCTL: path.join(FAKES_DIR, "talosctl"),
            KUBECTL: path.join(FAKES_DIR, "kubectl"),
            FAKE_CLUSTER_STATE: this.statePath,
            FAKE_CLUSTER_LOG: this.logPath,
            DAY_TWO_POLL_INTERVAL: "20ms",
            ...extra,
        };
    }

    state(): FakeState {
        return JSON.parse(fs.readFileSync(this.statePath, "utf8")) as FakeState;
    }

    write(state: FakeState): void {
        fs.writeFileSync(this.statePath, JSON.stringify(state, null, 2));
    }

    update(fn: (s: FakeState) => void): void {
        const s = this.state();
        fn(s);
        this.write(s);
    }

    calls(): FakeCall[] {
        return fs.readFileSync(this.logPath, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as FakeCall);
    }

    clearCalls(): void {
        fs.writeFileSync(this.logPath, "");
    }

    dispose(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** 64 hex digits derived from a word, for schematic ids in tests. */
export function fakeSchematic(word: string): string {
    return Buffer.from(word.padEnd(32, "-").slice(0, 32)).toString("hex");
}
