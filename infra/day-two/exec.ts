/**
 * Running the external tools (talosctl, kubectl) without a shell: arguments are passed as a
 * list, so no value can be interpreted by a shell, and every call has a time bound.
 */
import { spawn } from "node:child_process";

export interface ExecResult {
    /** Exit code; 124 when the time bound killed the process, 127 when it could not start. */
    code: number;
    stdout: string;
    stderr: string;
}

export interface ExecOptions {
    /** Kill the process (and its group) after this long. Default 10 minutes. */
    timeoutMs?: number;
    /** Written to the process's stdin, then closed. */
    input?: string;
}

/** Runs `cmd args…` and resolves with its exit code and output (never rejects for a failing command). */
export type Exec = (cmd: string, args: readonly string[], opts?: ExecOptions) => Promise<ExecResult>;

/** An `Exec` whose processes get `env` (default: this process's environment). */
export function makeSpawnExec(env?: NodeJS.ProcessEnv): Exec {
    return (cmd, args, opts = {}) => spawnOnce(cmd, args, opts, env ?? process.env);
}

export const spawnExec: Exec = makeSpawnExec();

function spawnOnce(cmd: string, args: readonly string[], opts: ExecOptions, env: NodeJS.ProcessEnv): Promise<ExecResult> {
    return new Promise((resolve) => {
        const child = spawn(cmd, [...args], { stdio: ["pipe", "pipe", "pipe"], detached: true, env });
        let stdout = "";
        let stderr = "";
        let timedOut = false;
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        const timer = setTimeout(() => {
            timedOut = true;
            try {
                process.kill(-(child.pid ?? 0), "SIGKILL");
            } catch {
                child.kill("SIGKILL");
            }
        }, opts.timeoutMs ?? 600_000);
        child.once("error", (err) => {
            clearTimeout(timer);
            resolve({ code: 127, stdout, stderr: `${stderr}could not run ${cmd}: ${err.message}` });
        });
        child.once("close", (code) => {
            clearTimeout(timer);
            resolve({ code: timedOut ? 124 : code ?? 1, stdout, stderr: timedOut ? `${stderr}${cmd} timed out after ${opts.timeoutMs ?? 600_000} ms` : stderr });
        });
        child.stdin.on("error", () => undefined);
        child.stdin.end(opts.input ?? "");
    });
}

/** A tool call that failed: the message names the call (never its credentials) and the tool's last words. */
export class ToolError extends Error {
    readonly result: ExecResult;

    constructor(what: string, result: ExecResult) {
        const detail = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-5).join("\n");
        super(`${what} failed (exit ${result.code})${detail ? `: ${detail}` : ""}`);
        this.name = "ToolError";
        this.result = result;
    }
}
