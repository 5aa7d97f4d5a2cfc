/**
 * Child processes for the project's local tools (the offline lab, the boot-service benchmark):
 * start a long-running process with its output captured line by line, find a free TCP port,
 * wait until a port or URL answers, and tear everything down in reverse order — on success, on
 * error and on SIGINT/SIGTERM/SIGHUP — so a run leaves nothing behind.
 *
 * Every process is started in its own process group: a terminal Ctrl-C then reaches only the
 * tool, which stops its children itself, in order, and a stop signal reaches the whole group
 * (a shell and what it started, `ip netns exec` and the program it runs).
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
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
    /** Called for every output line (carriage returns removed), in arrival order. */
    onLine?: LineHandler;
    /** Appends every output line, timestamped and tagged stdout/stderr, to this file. */
    logFile?: string;
    /** Opens an IPC channel (Node.js children only): `child.send`, `child.on("message")`. */
    ipc?: boolean;
}

/** How many of the last output lines a process keeps for error messages. */
const TAIL_LINES = 20;
/** How long `exited` waits, after the process ended, for its remaining output. */
const OUTPUT_DRAIN_MS = 500;

export interface ManagedProcess {
    name: string;
    pid: number;
    child: ChildProcess;
    /** Resolves with the exit code (or signal name, or "spawn error: …") once the process ended and its output was delivered. */
    exited: Promise<number | string>;
    exitedAlready(): boolean;
    /** The last output lines (both streams, at most 20), for error messages. */
    tail(): string[];
}

/** Starts `cmd` in its own process group with stdout/stderr captured. Throws when it cannot be started at all. */
export function startProcess(name: string, cmd: string, args: string[], opts: StartOptions = {}): ManagedProcess {
    const child = spawn(cmd, args, {
        env: opts.env ?? process.env,
        cwd: opts.cwd,
        detached: true,
        stdio: opts.ipc ? ["ignore", "pipe", "pipe", "ipc"] : ["ignore", "pipe", "pipe"],
    });
    const log = opts.logFile ? fs.createWriteStream(opts.logFile, { flags: "a", mode: 0o600 }) : undefined;
    const tail: string[] = [];
    const outputEnded: Array<Promise<void>> = [];
    for (const stream of ["stdout", "stderr"] as const) {
        const source = child[stream];
        if (!source) continue;
        const rl = readline.createInterface({ input: source, crlfDelay: Infinity });
        outputEnded.push(new Promise((resolve) => rl.once("close", resolve)));
        rl.on("line", (raw) => {
            const line = raw.replace(/\r/g, "");
            tail.push(line);
            if (tail.length > TAIL_LINES) tail.shift();
            log?.write(`${new Date().toISOString()} ${stream} ${line}\n`);
            opts.onLine?.(line, stream);
        });
    }
    let done = false;
    const exited = new Promise<number | string>((resolve) => {
        child.once("exit", (code, signal) => {
            // Deliver the last output lines first; a grandchild in another process group may hold
            // the pipes open, so wait for them only briefly.
            const drained = new Promise((r) => setTimeout(r, OUTPUT_DRAIN_MS).unref());
            void Promise.race([Promise.all(outputEnded), drained]).then(() => {
                done = true;
                resolve(code ?? signal ?? "unknown");
            });
        });
        child.once("error", (err) => {
            done = true;
            resolve(`spawn error: ${err.message}`);
        });
    });
    void exited.then(() => log?.end());
    if (child.pid === undefined) {
        throw new Error(`could not start ${name} (${cmd}): is it installed?`);
    }
    return { name, pid: child.pid, child, exited, exitedAlready: () => done, tail: () => [...tail] };
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

/** Stops a process and its group: SIGTERM (or `signal`), SIGKILL after `graceMs`. Resolves once it has exited. */
export async function stopProcess(proc: ManagedProcess, graceMs = 2000, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (proc.exitedAlready()) return;
    signalGroup(proc.pid, signal);
    const timer = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), graceMs).unref());
    if ((await Promise.race([proc.exited, timer])) === "timeout") {
        signalGroup(proc.pid, "SIGKILL");
        await Promise.race([proc.exited, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    }
}

/** A TCP port that was free on `host` a moment ago (the OS picks it; bind it soon). */
export function freePort(host = "127.0.0.1"): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, host, () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
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

export interface WaitOptions {
    /** Give up after this many milliseconds. */
    timeoutMs: number;
    /** Milliseconds between probes (default 100). */
    intervalMs?: number;
    /** Stop waiting (reject with its reason) when this aborts. */
    signal?: AbortSignal;
    /** Fail at once when this process exits while waiting (it was meant to answer). */
    process?: ManagedProcess;
}

/**
 * Polls `probe` every `intervalMs` until it returns a value other than undefined, `timeoutMs`
 * passes (rejects naming `what`), `signal` aborts, or `process` exits.
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, opts: WaitOptions): Promise<T> {
    const deadline = Date.now() + opts.timeoutMs;
    for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (opts.process?.exitedAlready()) {
            const code = await opts.process.exited;
            const last = opts.process.tail().slice(-3).join(" | ");
            throw new Error(`${opts.process.name} exited (${code}) while waiting for ${what}${last ? `: ${last}` : ""}`);
        }
        if (Date.now() >= deadline) {
            throw new Error(`timed out after ${(opts.timeoutMs / 1000).toFixed(0)} s waiting for ${what}`);
        }
        await sleep(opts.intervalMs ?? 100, opts.signal);
    }
}

/** Whether a TCP connection to host:port succeeds within `timeoutMs`. */
export function portAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ host, port });
        const finish = (ok: boolean): void => {
            socket.destroy();
            resolve(ok);
        };
        socket.setTimeout(timeoutMs, () => finish(false));
        socket.once("connect", () => finish(true));
        socket.once("error", () => finish(false));
    });
}

/** Waits until host:port accepts TCP connections. */
export function waitForPort(host: string, port: number, opts: WaitOptions): Promise<void> {
    return waitFor(`${host}:${port} to accept connections`, async () => ((await portAnswers(host, port)) ? null : undefined), opts).then(() => undefined);
}

/**
 * Waits until a GET of `url` answers and `accept` (default: status 200) agrees; resolves with
 * that answer's status and body. The URL is not printed on failure beyond its origin and path
 * (query strings may carry tokens).
 */
export async function waitForUrl(
    url: string,
    opts: WaitOptions & { accept?: (status: number, body: Buffer) => boolean },
): Promise<{ status: number; body: Buffer }> {
    const accept = opts.accept ?? ((status) => status === 200);
    const u = new URL(url);
    return waitFor(
        `${u.origin}${u.pathname} to answer`,
        async () => {
            try {
                const res = await fetch(url, { signal: AbortSignal.timeout(Math.min(5000, opts.timeoutMs)) });
                const body = Buffer.from(await res.arrayBuffer());
                return accept(res.status, body) ? { status: res.status, body } : undefined;
            } catch {
                return undefined; // not listening yet
            }
        },
        opts,
    );
}

/** A teardown step: what it undoes (for the report when it fails) and how. */
interface Step {
    what: string;
    undo: () => void | Promise<void>;
}

/**
 * What a run created, undone in reverse order of creation, once. Steps that fail are reported
 * through `say` and the remaining steps still run.
 */
export class Teardown {
    private readonly steps: Step[] = [];
    private running: Promise<void> | undefined;

    constructor(private readonly say: (msg: string) => void = (msg) => process.stderr.write(`${msg}\n`)) {}

    /** True once `run` was called: nothing new may be started. */
    get closing(): boolean {
        return this.running !== undefined;
    }

    /** Registers a step; it runs before every step registered earlier. */
    add(what: string, undo: () => void | Promise<void>): void {
        if (this.closing) throw new Error(`not registering "${what}": teardown already started`);
        this.steps.push({ what, undo });
    }

    /** Starts a process (see `startProcess`) and registers its stop (`graceMs` before SIGKILL). */
    start(name: string, cmd: string, args: string[], opts: StartOptions & { graceMs?: number } = {}): ManagedProcess {
        if (this.closing) throw new Error(`not starting ${name}: shutting down`);
        const proc = startProcess(name, cmd, args, opts);
        this.add(`stop ${name} (PID ${proc.pid})`, () => stopProcess(proc, opts.graceMs));
        return proc;
    }

    /** Creates a private temporary directory (mode 0700 unless `mode`) and registers its removal. */
    tempDir(prefix: string, mode?: number): string {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
        if (mode !== undefined) fs.chmodSync(dir, mode);
        this.add(`remove ${dir}`, () => fs.rmSync(dir, { recursive: true, force: true }));
        return dir;
    }

    /** Runs every step, last registered first. Safe to call more than once (later calls wait for the first). */
    run(): Promise<void> {
        this.running ??= (async () => {
            while (this.steps.length > 0) {
                const step = this.steps.pop()!;
                try {
                    await step.undo();
                } catch (err) {
                    this.say(`teardown: ${step.what} failed: ${(err as Error).message}`);
                }
            }
        })();
        return this.running;
    }

    /**
     * Tears down on SIGINT, SIGTERM and SIGHUP. On the first signal `onSignal` runs; when it
     * returns "handled" the caller finishes the run itself (and must call `run`), otherwise
     * teardown runs now and the process exits with 128 + the signal number. A second signal
     * always tears down and exits at once. Returns a function that removes the handlers.
     */
    exitOnSignals(onSignal?: (signal: NodeJS.Signals) => "handled" | void): () => void {
        let count = 0;
        const handler = (signal: NodeJS.Signals): void => {
            count += 1;
            const code = 128 + (os.constants.signals[signal] ?? 1);
            if (count === 1 && onSignal?.(signal) === "handled") return;
            if (count > 1) this.say(`second ${signal}: tearing down now`);
            void this.run().finally(() => process.exit(code));
        };
        const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
        for (const s of signals) process.on(s, handler);
        return () => {
            for (const s of signals) process.off(s, handler);
        };
    }
}
