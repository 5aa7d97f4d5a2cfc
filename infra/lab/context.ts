/**
 * What every step of a lab run shares: the console output, the event bus that fans log events
 * out to whoever listens, the run context (options, resources, abort signal, namespace, work
 * dir), and the helpers that run things inside the lab's network namespace.
 */
import * as path from "node:path";
import { ManagedProcess, sleep, startProcess, stopProcess } from "../process/processes";
import type { BootServiceEvent } from "./boot-service";
import type { LabOptions } from "./cli";
import { formatTimelineLine, LabEvent } from "./events";
import type { Resources } from "./runtime";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
const TS_NODE = ["-r", "ts-node/register/transpile-only"];

/** A failure the lab explains itself (no stack trace). */
export class LabFailure extends Error {}
/** Console output: progress lines prefixed "lab:", timeline lines "[  4.9s] …". */
export class Output {
    /** `write` receives whole lines (newline included); default stdout. */
    constructor(
        private readonly verbose: boolean,
        private readonly write: (text: string) => void = (text) => void process.stdout.write(text),
    ) {}

    say(msg: string): void {
        this.write(`lab: ${msg}\n`);
    }

    raw(source: string, line: string): void {
        if (this.verbose) this.write(`      ${source}| ${line}\n`);
    }

    timeline(vmStart: number, text: string): void {
        this.write(`${formatTimelineLine(Date.now() - vmStart, text)}\n`);
    }
}

export type Listener = (event: LabEvent | BootServiceEvent, at: number) => void;

/** Fans events from every log source out to whoever listens (the VM currently booting, the checks). */
export class EventBus {
    private listeners: Listener[] = [];
    readonly history: Array<{ event: LabEvent | BootServiceEvent; at: number }> = [];

    emit(event: LabEvent | BootServiceEvent): void {
        const at = Date.now();
        this.history.push({ event, at });
        for (const l of [...this.listeners]) l(event, at);
    }

    on(listener: Listener): () => void {
        this.listeners.push(listener);
        return () => {
            this.listeners = this.listeners.filter((l) => l !== listener);
        };
    }
}

export interface Context {
    opts: LabOptions;
    out: Output;
    res: Resources;
    bus: EventBus;
    signal: AbortSignal;
    ns: string;
    workDir: string;
}

/** Rejects when the run is aborted (Ctrl-C, --timeout, uncaught error), so no wait outlives it. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
        const onAbort = (): void => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        promise.then(
            (v) => {
                signal.removeEventListener("abort", onAbort);
                resolve(v);
            },
            (e) => {
                signal.removeEventListener("abort", onAbort);
                reject(e);
            },
        );
    });
}

export function nodeInNamespace(ctx: Context, name: string, script: string, env: Record<string, string>, onLine: (line: string) => void): ManagedProcess {
    return ctx.res.start(name, "ip", ["netns", "exec", ctx.ns, process.execPath, ...TS_NODE, script], {
        cwd: REPO_ROOT,
        env: { ...process.env, ...env, TS_NODE_PROJECT: path.join(REPO_ROOT, "tsconfig.json") },
        logFile: path.join(ctx.workDir, `${name}.log`),
        onLine: (line) => {
            ctx.out.raw(name, line);
            onLine(line);
        },
    });
}

/** Waits for `ready` or fails with the process' exit, whichever comes first. */
export async function waitReady<T>(ctx: Context, proc: ManagedProcess, what: string, ready: Promise<T>, timeoutMs: number): Promise<T> {
    const exited = proc.exited.then((code) => {
        throw new LabFailure(`${what} exited (${code}) before it was ready; see ${path.join(ctx.workDir, `${proc.name}.log`)}${ctx.opts.keep ? "" : " (run with --keep to keep it)"}`);
    });
    const timer = sleep(timeoutMs, ctx.signal).then(() => {
        throw new LabFailure(`${what} not ready after ${timeoutMs / 1000} s`);
    });
    return abortable(Promise.race([ready, exited, timer]), ctx.signal);
}

export function nextEvent<K extends (LabEvent | BootServiceEvent)["kind"]>(
    bus: EventBus,
    kind: K,
): Promise<Extract<LabEvent | BootServiceEvent, { kind: K }>> {
    return new Promise((resolve) => {
        const off = bus.on((e) => {
            if (e.kind === kind) {
                off();
                resolve(e as Extract<LabEvent | BootServiceEvent, { kind: K }>);
            }
        });
    });
}

/** The URL without what may be secret in it (ticket in the path, token in the query), for messages. */
export function redactUrl(url: string): string {
    return url.replace(/\/v1\/config\/[^/?#]+/, "/v1/config/<ticket>").replace(/\?.*$/, "?…");
}

/**
 * GET from inside the namespace (the lab process itself lives on the host network). With
 * `caFile`, an https:// URL is verified against that root (the lab's), as a real client would.
 */
export async function nsHttpGet(ctx: Context, url: string, timeoutMs = 10_000, caFile?: string): Promise<{ status: number; body: string }> {
    const script =
        "fetch(process.argv[1],{signal:AbortSignal.timeout(8000)}).then(async r=>console.log(JSON.stringify({status:r.status,body:(await r.text()).slice(0,4000)})))" +
        ".catch(e=>console.log(JSON.stringify({status:0,body:String(e&&e.cause&&e.cause.code||e)})))";
    // Short-lived and bounded by its own timer, so not registered for teardown (deleting the namespace would end it anyway).
    let answer = "";
    const probe = startProcess("probe", "ip", ["netns", "exec", ctx.ns, process.execPath, "-e", script, url], {
        env: caFile ? { ...process.env, NODE_EXTRA_CA_CERTS: caFile } : process.env,
        onLine: (line, stream) => {
            if (stream === "stdout" && line.trim()) answer = line.trim();
        },
    });
    const timer = setTimeout(() => void stopProcess(probe, 0, "SIGKILL"), timeoutMs);
    return abortable(
        probe.exited.then(() => {
            clearTimeout(timer);
            try {
                return JSON.parse(answer) as { status: number; body: string };
            } catch {
                throw new Error(`probe of ${redactUrl(url)} from inside the namespace gave no answer`);
            }
        }),
        ctx.signal,
    );
}
