/**
 * What the lab created — processes, its network namespace, its work dir — on top of the shared
 * teardown (infra/process): undone in reverse order (by PID and process group, by namespace
 * name, by path) and nothing else, on success, on failure, on Ctrl-C. With --keep everything is
 * left in place and the command that removes it is printed instead.
 */
import { ManagedProcess, run, StartOptions, stopProcess, Teardown } from "../process/processes";

/** What the lab created, in creation order, so teardown can reverse it. */
export class Resources {
    private readonly teardownSteps: Teardown;
    private readonly processes: ManagedProcess[] = [];
    private readonly namespaces: string[] = [];
    private readonly tempDirs: string[] = [];
    private tornDown = false;

    constructor(private readonly say: (msg: string) => void) {
        this.teardownSteps = new Teardown(say);
    }

    /** Starts a long-running process in its own process group and records it. */
    start(name: string, cmd: string, args: string[], opts: StartOptions = {}): ManagedProcess {
        if (this.tornDown) {
            throw new Error(`not starting ${name}: the lab is shutting down`);
        }
        const proc = this.teardownSteps.start(name, cmd, args, opts);
        this.processes.push(proc);
        return proc;
    }

    addNamespace(name: string): void {
        this.namespaces.push(name);
        this.teardownSteps.add(`delete namespace ${name}`, () => deleteNamespace(name));
    }

    /** Creates the run's work dir (mode `mode`) and records it. */
    makeTempDir(prefix: string, mode: number): string {
        const dir = this.teardownSteps.tempDir(prefix, mode);
        this.tempDirs.push(dir);
        return dir;
    }

    /** Stops one recorded process (TERM to its group, KILL after `graceMs`). */
    stop(proc: ManagedProcess, graceMs = 2000): Promise<void> {
        return stopProcess(proc, graceMs);
    }

    /** SIGINT/SIGTERM/SIGHUP handling, see `Teardown.exitOnSignals`. */
    exitOnSignals(onSignal: (signal: NodeJS.Signals) => "handled" | void): () => void {
        return this.teardownSteps.exitOnSignals(onSignal);
    }

    /**
     * Undoes everything in reverse order. `keepNamespace` leaves the namespace, its processes
     * and the work dir for debugging. Safe to call more than once.
     */
    async teardown(opts: { keepNamespace?: boolean } = {}): Promise<void> {
        if (this.tornDown) return this.teardownSteps.closing ? this.teardownSteps.run() : undefined; // a second call waits for the first
        this.tornDown = true;
        if (opts.keepNamespace) {
            this.say(`--keep: leaving namespace(s) ${this.namespaces.join(", ") || "-"}, work dir(s) ${this.tempDirs.join(", ") || "-"}`);
            for (const proc of this.processes.filter((p) => !p.exitedAlready())) {
                this.say(`--keep: ${proc.name} still running as PID ${proc.pid}`);
            }
            this.say(`--keep: clean up with: ${cleanupCommand(this.processes, this.namespaces, this.tempDirs)}`);
            return;
        }
        await this.teardownSteps.run();
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
