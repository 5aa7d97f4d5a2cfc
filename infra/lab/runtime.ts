/**
 * Process, namespace and temp-dir bookkeeping for the lab. Everything the lab starts is
 * recorded here so teardown can undo exactly that (by PID and process group, by namespace
 * name, by path) and nothing else — on success, on failure, on Ctrl-C.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as readline from "node:readline";

export interface RunResult {
    status: number | null;
    stdout: string;
    stderr: string;
}

/** Runs a short command synchronously; throws with the command's stderr when it fails (unless `allowFail`). */
export function run(cmd: string, args: string[], opts: { allowFail?: boolean; timeoutMs?: number; cwd?: string; input?: string } = {}): RunResult {
    const res = spawnSync(cmd, args, {
        encoding: "utf8",
        timeout: opts.timeoutMs ?? 60_000,
        cwd: opts.cwd,
        input: opts.input,
        maxBuffer: 64 * 1024 * 1024,
    });
    const result: RunResult = { status: res.status, stdout: res.stdout ?? "", stderr: res.stderr ?? "" };
    if (!opts.allowFail && (res.error || res.status !== 0)) {
        const why = res.error ? res.error.message : `exit ${res.status}: ${result.stderr.trim() || result.stdout.trim()}`;
        throw new Error(`${cmd} ${args.join(" ")} failed (${why})`);
    }
    return result;
}

export type LineHandler = (line: string, stream: "stdout" | "stderr") => void;

export interface StartOptions {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    /** Called for every output line, in arrival order. */
    onLine?: LineHandler;
    /** Appends every output line to this file. */
    logFile?: string;
}

export interface ManagedProcess {
    name: string;
    pid: number;
    child: ChildProcess;
    /** Resolves with the exit code (or signal name) when the process ends. */
    exited: Promise<number | string>;
    exitedAlready(): boolean;
}

/** What the lab created, in creation order, so teardown can reverse it. */
export class Resources {
    private readonly processes: ManagedProcess[] = [];
    private readonly namespaces: string[] = [];
    private readonly tempDirs: string[] = [];
    private tornDown = false;

    constructor(private readonly say: (msg: string) => void) {}

    /**
     * Starts a long-running process in its own process group (so a terminal Ctrl-C reaches only
     * the lab, which then stops its children in order) and records its PID.
     */
    start(name: string, cmd: string, args: string[], opts: StartOptions = {}): ManagedProcess {
        if (this.tornDown) {
            throw new Error(`not starting ${name}: the lab is shutting down`);
        }
        const child = spawn(cmd, args, {
            env: opts.env ?? process.env,
            cwd: opts.cwd,
            detached: true,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let done = false;
        const exited = new Promise<number | string>((resolve) => {
            child.once("exit", (code, signal) => {
                done = true;
                resolve(code ?? signal ?? "unknown");
            });
            child.once("error", (err) => {
                done = true;
                resolve(`spawn error: ${err.message}`);
            });
        });
        const log = opts.logFile ? fs.createWriteStream(opts.logFile, { flags: "a" }) : undefined;
        for (const stream of ["stdout", "stderr"] as const) {
            const source = child[stream];
            if (!source) continue;
            const rl = readline.createInterface({ input: source, crlfDelay: Infinity });
            rl.on("line", (raw) => {
                const line = raw.replace(/\r/g, "");
                log?.write(`${new Date().toISOString()} ${stream} ${line}\n`);
                opts.onLine?.(line, stream);
            });
        }
        void exited.then(() => log?.end());
        if (child.pid === undefined) {
            throw new Error(`could not start ${name} (${cmd}): is it installed?`);
        }
        const managed: ManagedProcess = { name, pid: child.pid, child, exited, exitedAlready: () => done };
        this.processes.push(managed);
        return managed;
    }

    addNamespace(name: string): void {
        this.namespaces.push(name);
    }

    addTempDir(path: string): void {
        this.tempDirs.push(path);
    }

    /** Stops one recorded process (TERM to its group, KILL after `graceMs`). */
    async stop(proc: ManagedProcess, graceMs = 2000): Promise<void> {
        if (proc.exitedAlready()) return;
        signalGroup(proc.pid, "SIGTERM");
        const timer = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), graceMs).unref());
        if ((await Promise.race([proc.exited, timer])) === "timeout") {
            signalGroup(proc.pid, "SIGKILL");
            await Promise.race([proc.exited, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
        }
    }

    /**
     * Undoes everything in reverse order. `keepNamespace` leaves the namespace, its processes
     * and the work dir for debugging. Safe to call more than once.
     */
    async teardown(opts: { keepNamespace?: boolean } = {}): Promise<void> {
        if (this.tornDown) return;
        this.tornDown = true;
        if (opts.keepNamespace) {
            this.say(`--keep: leaving namespace(s) ${this.namespaces.join(", ") || "-"}, work dir(s) ${this.tempDirs.join(", ") || "-"}`);
            for (const proc of this.processes.filter((p) => !p.exitedAlready())) {
                this.say(`--keep: ${proc.name} still running as PID ${proc.pid}`);
            }
            this.say(`--keep: clean up with: ${cleanupCommand(this.processes, this.namespaces, this.tempDirs)}`);
            return;
        }
        await Promise.all([...this.processes].reverse().map((proc) => this.stop(proc)));
        for (const ns of [...this.namespaces].reverse()) {
            deleteNamespace(ns);
        }
        for (const dir of [...this.tempDirs].reverse()) {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
    try {
        process.kill(-pid, signal);
    } catch {
        try {
            process.kill(pid, signal);
        } catch {
            // already gone
        }
    }
}

/** Kills whatever still runs inside `ns` (only processes in a namespace this lab created), then deletes it. */
export function deleteNamespace(ns: string): void {
    const pids = run("ip", ["netns", "pids", ns], { allowFail: true }).stdout.split(/\s+/).filter((p) => /^\d+$/.test(p));
    for (const pid of pids) {
        try {
            process.kill(Number(pid), "SIGKILL");
        } catch {
            // already gone
        }
    }
    run("ip", ["netns", "del", ns], { allowFail: true });
}

function cleanupCommand(processes: ManagedProcess[], namespaces: string[], dirs: string[]): string {
    const parts: string[] = [];
    const pids = processes.filter((p) => !p.exitedAlready()).map((p) => `-${p.pid}`);
    if (pids.length > 0) parts.push(`kill -- ${pids.join(" ")}`);
    for (const ns of namespaces) parts.push(`ip netns del ${ns}`);
    if (dirs.length > 0) parts.push(`rm -rf ${dirs.join(" ")}`);
    return parts.join("; ") || "(nothing)";
}

/** Resolves after `ms`, or rejects early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
        if (signal?.aborted) {
            reject(signal.reason ?? new Error("aborted"));
            return;
        }
        const timer = setTimeout(() => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
        }, ms);
        const onAbort = (): void => {
            clearTimeout(timer);
            reject(signal?.reason ?? new Error("aborted"));
        };
        signal?.addEventListener("abort", onAbort, { once: true });
    });
}

/**
 * Polls `probe` every `intervalMs` until it returns a value other than undefined, `timeoutMs`
 * passes (rejects with `what`), or `signal` aborts.
 */
export async function waitFor<T>(
    what: string,
    probe: () => T | undefined | Promise<T | undefined>,
    opts: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal },
): Promise<T> {
    const deadline = Date.now() + opts.timeoutMs;
    for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (Date.now() >= deadline) {
            throw new Error(`timed out after ${(opts.timeoutMs / 1000).toFixed(0)} s waiting for ${what}`);
        }
        await sleep(opts.intervalMs ?? 100, opts.signal);
    }
}
