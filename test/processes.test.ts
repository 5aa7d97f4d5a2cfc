/**
 * infra/process/processes.ts: the child-process handling the lab and the benchmark share, with
 * real processes (sh, sleep, node) and real sockets on 127.0.0.1.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import {
    freePort,
    portAnswers,
    run,
    startProcess,
    stopProcess,
    Teardown,
    waitFor,
    waitForPort,
    waitForUrl,
} from "../infra/process/processes";

const REPO_ROOT = path.resolve(__dirname, "..");

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

function listen(server: net.Server, port = 0): Promise<number> {
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port));
    });
}

describe("process helper (infra/process)", function () {
    this.timeout(20_000);
    let tmp: string;
    beforeEach(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "proc-test-"));
    });
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    describe("run", () => {
        it("returns the output of a command that succeeds", () => {
            assert.deepEqual(run("sh", ["-c", "echo out; echo err >&2"]), { status: 0, stdout: "out\n", stderr: "err\n" });
        });
        it("throws with the command and its stderr when it fails, unless allowFail", () => {
            assert.throws(() => run("sh", ["-c", "echo broken >&2; exit 3"]), /sh -c .* failed \(exit 3: broken\)/);
            assert.equal(run("sh", ["-c", "exit 3"], { allowFail: true }).status, 3);
        });
    });

    describe("startProcess", () => {
        it("delivers every output line, tagged by stream, before `exited` resolves, and logs them", async () => {
            const lines: string[] = [];
            const logFile = path.join(tmp, "p.log");
            const proc = startProcess("printer", "sh", ["-c", "printf 'a\\r\\nb\\n'; echo c >&2; exit 4"], {
                onLine: (line, stream) => lines.push(`${stream}:${line}`),
                logFile,
            });
            assert.equal(await proc.exited, 4);
            assert.ok(proc.exitedAlready());
            assert.deepEqual(lines.filter((l) => l.startsWith("stdout")), ["stdout:a", "stdout:b"]);
            assert.ok(lines.includes("stderr:c"));
            assert.deepEqual([...proc.tail()].sort(), ["a", "b", "c"]);
            await new Promise((r) => setTimeout(r, 50)); // the log stream ends after `exited`
            const log = fs.readFileSync(logFile, "utf8");
            assert.match(log, /^\S+Z stdout a$/m);
            assert.match(log, /^\S+Z stderr c$/m);
            assert.equal(fs.statSync(logFile).mode & 0o777, 0o600);
        });

        it("keeps only the last 20 lines for error messages", async () => {
            const proc = startProcess("counter", "sh", ["-c", "for i in $(seq 1 30); do echo $i; done"]);
            await proc.exited;
            assert.deepEqual(proc.tail(), Array.from({ length: 20 }, (_, i) => String(i + 11)));
        });

        it("refuses a program that does not exist, naming it", () => {
            assert.throws(() => startProcess("ghost", path.join(tmp, "no-such-program"), []), /could not start ghost \(.*no-such-program\): is it installed\?/);
        });

        it("opens an IPC channel when asked", async () => {
            const proc = startProcess("ipc", process.execPath, ["-e", "process.send({hello: 1}); process.disconnect()"], { ipc: true });
            const msg = await new Promise((resolve) => proc.child.once("message", resolve));
            assert.deepEqual(msg, { hello: 1 });
            assert.equal(await proc.exited, 0);
        });
    });

    describe("stopProcess", () => {
        it("stops the whole process group, not only the direct child", async () => {
            const pidFile = path.join(tmp, "grandchild.pid");
            const proc = startProcess("shell", "sh", ["-c", `sleep 30 & echo $! > ${pidFile}; wait`]);
            const grandchild = await waitFor("the grandchild's pid", () => (fs.existsSync(pidFile) && fs.readFileSync(pidFile, "utf8").trim() ? Number(fs.readFileSync(pidFile, "utf8")) : undefined), { timeoutMs: 5000 });
            assert.ok(alive(grandchild));
            await stopProcess(proc, 2000);
            assert.ok(proc.exitedAlready());
            await waitFor("the grandchild to end", () => (alive(grandchild) ? undefined : true), { timeoutMs: 3000 });
        });

        it("kills a process that ignores SIGTERM after the grace period", async () => {
            const proc = startProcess("stubborn", "sh", ["-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"], {});
            await waitFor("the trap", () => (proc.tail().includes("ready") ? true : undefined), { timeoutMs: 5000 });
            const started = Date.now();
            await stopProcess(proc, 300);
            assert.equal(await proc.exited, "SIGKILL");
            assert.ok(Date.now() - started >= 300, "SIGKILL came before the grace period ended");
        });

        it("returns at once for a process that already exited", async () => {
            const proc = startProcess("quick", "true", []);
            await proc.exited;
            await stopProcess(proc, 10_000); // would hang the test if it waited for the grace period
        });
    });

    describe("ports and URLs", () => {
        it("freePort gives a port that can be bound", async () => {
            const port = await freePort();
            assert.ok(port > 0 && port < 65536);
            const server = net.createServer();
            assert.equal(await listen(server, port), port);
            assert.equal(await portAnswers("127.0.0.1", port), true);
            await new Promise((r) => server.close(r));
            assert.equal(await portAnswers("127.0.0.1", port), false);
        });

        it("waitForPort resolves once something listens, and names the port when it times out", async () => {
            const port = await freePort();
            const server = net.createServer((s) => s.end());
            const late = setTimeout(() => void listen(server, port), 300);
            try {
                await waitForPort("127.0.0.1", port, { timeoutMs: 5000, intervalMs: 50 });
            } finally {
                clearTimeout(late);
                server.close();
            }
            const closed = await freePort();
            await assert.rejects(waitForPort("127.0.0.1", closed, { timeoutMs: 200, intervalMs: 50 }), new RegExp(`waiting for 127\\.0\\.0\\.1:${closed} to accept connections`));
        });

        it("waitForUrl waits for an accepted answer and keeps the query (tokens) out of its error", async () => {
            let calls = 0;
            const server = http.createServer((_req, res) => {
                calls += 1;
                res.writeHead(calls < 3 ? 503 : 200).end(calls < 3 ? "starting" : "ready");
            });
            const port = await listen(server);
            try {
                const answer = await waitForUrl(`http://127.0.0.1:${port}/health`, { timeoutMs: 5000, intervalMs: 20 });
                assert.equal(answer.status, 200);
                assert.equal(answer.body.toString(), "ready");
                assert.equal(calls, 3);
                await assert.rejects(
                    waitForUrl(`http://127.0.0.1:${port}/health?token=secret-value`, { timeoutMs: 200, intervalMs: 20, accept: (status) => status === 204 }),
                    (err: Error) => err.message.includes(`http://127.0.0.1:${port}/health to answer`) && !err.message.includes("secret-value"),
                );
            } finally {
                server.close();
            }
        });

        it("stops waiting when the process that should answer exits, with its last output", async () => {
            const proc = startProcess("server", "sh", ["-c", "echo 'bind: address in use' >&2; exit 1"]);
            const port = await freePort();
            await assert.rejects(
                waitForUrl(`http://127.0.0.1:${port}/`, { timeoutMs: 10_000, intervalMs: 20, process: proc }),
                /server exited \(1\) while waiting for .*: bind: address in use/,
            );
        });

        it("stops waiting when the signal aborts", async () => {
            const controller = new AbortController();
            setTimeout(() => controller.abort(new Error("run aborted")), 100);
            await assert.rejects(waitFor("nothing", () => undefined, { timeoutMs: 10_000, intervalMs: 20, signal: controller.signal }), /run aborted/);
        });
    });

    describe("Teardown", () => {
        it("undoes steps last-registered first, once, and goes on after a failing step", async () => {
            const said: string[] = [];
            const order: string[] = [];
            const teardown = new Teardown((m) => said.push(m));
            teardown.add("first", () => void order.push("first"));
            teardown.add("broken", () => {
                throw new Error("boom");
            });
            teardown.add("last", async () => void order.push("last"));
            await Promise.all([teardown.run(), teardown.run()]);
            await teardown.run();
            assert.deepEqual(order, ["last", "first"]);
            assert.deepEqual(said, ["teardown: broken failed: boom"]);
            assert.ok(teardown.closing);
            assert.throws(() => teardown.add("late", () => undefined), /teardown already started/);
            assert.throws(() => teardown.start("late", "true", []), /not starting late: shutting down/);
        });

        it("stops the processes it started, newest first, and removes its temp dirs after them", async () => {
            const teardown = new Teardown(() => undefined);
            const dir = teardown.tempDir("proc-teardown-");
            assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
            const marker = path.join(tmp, "order");
            // Each process, on SIGTERM, appends its name only while the temp dir still exists.
            const script = (name: string): string => `trap '[ -d ${dir} ] && echo ${name} >> ${marker}; exit 0' TERM; echo up; while :; do sleep 0.05; done`;
            const a = teardown.start("a", "sh", ["-c", script("a")]);
            const b = teardown.start("b", "sh", ["-c", script("b")]);
            await waitFor("both up", () => (a.tail().includes("up") && b.tail().includes("up") ? true : undefined), { timeoutMs: 5000 });
            await teardown.run();
            assert.equal(fs.readFileSync(marker, "utf8"), "b\na\n");
            assert.ok(a.exitedAlready() && b.exitedAlready());
            assert.equal(fs.existsSync(dir), false);
        });

        it("on SIGTERM stops its children, exits 143, and leaves nothing running", function () {
            this.timeout(60_000);
            const pidFile = path.join(tmp, "child.pid");
            const program = `
                const { Teardown } = require(${JSON.stringify(path.join(REPO_ROOT, "infra", "process", "processes.ts"))});
                const t = new Teardown((m) => console.log(m));
                t.exitOnSignals();
                const p = t.start("sleeper", "sleep", ["30"]);
                require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(p.pid));
                setTimeout(() => process.kill(process.pid, "SIGTERM"), 200);
                setTimeout(() => process.exit(7), 20000);
            `;
            const res = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", program], { cwd: REPO_ROOT, encoding: "utf8", timeout: 50_000 });
            assert.equal(res.status, 143, `exit ${res.status}, stderr: ${res.stderr}`);
            const sleeper = Number(fs.readFileSync(pidFile, "utf8"));
            const survived = alive(sleeper);
            if (survived) process.kill(sleeper, "SIGKILL");
            assert.equal(survived, false, "the child outlived the signal");
        });
    });
});
