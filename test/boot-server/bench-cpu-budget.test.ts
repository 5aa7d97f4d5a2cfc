/**
 * The benchmark's CPU accounting (bench/cpu-budget.ts) against the real /proc and the real
 * PostgreSQL server, and the bounds report.ts draws from it.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { Client } from "pg";
import {
    busyShare,
    localPostgresServer,
    parseMachineTicks,
    parseProcStat,
    processTreeCpu,
    type ProcStat,
    treeTicks,
} from "../../infra/boot-server/bench/cpu-budget";
import { cpuBudgetLines, cpuCeiling, requestCpu, type Row } from "../../infra/boot-server/bench/report";

function assertClose(actual: number, expected: number, tolerance: number): void {
    assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not ${expected}`);
}

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || "postgres://talos_boot:talos_boot@127.0.0.1:5432/talos_boot_test";

/** A stat line as the kernel writes it, fields 3.. after the command name. */
function statLine(pid: number, comm: string, ppid: number, utime: number, stime: number, cutime: number, cstime: number): string {
    const fields = ["S", ppid, pid, pid, 0, -1, 4194304, 100, 0, 0, 0, utime, stime, cutime, cstime, 20, 0, 1, 0, 12345];
    return `${pid} (${comm}) ${fields.join(" ")}\n`;
}

function row(target: string, rps: number, server: number, loadGenerator: number, database?: number): Row {
    return {
        target,
        connections: 100,
        requests: rps * 5,
        seconds: 5,
        rps,
        p50: 1,
        p99: 2,
        non2xx: 0,
        errors: 0,
        cpuPerRequestUs: server,
        loadGeneratorCpuUs: loadGenerator,
        databaseCpuUs: database,
    };
}

describe("benchmark CPU budget", () => {
    describe("parseProcStat", () => {
        it("counts the fields after the last ')' so a command name with spaces and parentheses does not shift them", () => {
            const s = parseProcStat(statLine(4242, "a) (b c", 17, 11, 22, 33, 44));
            assert.deepEqual(s, { pid: 4242, ppid: 17, ownTicks: 33, reapedChildrenTicks: 77 });
        });

        it("reads this process's real stat line: its parent is process.ppid", () => {
            const s = parseProcStat(fs.readFileSync("/proc/self/stat", "utf8"));
            assert.equal(s.pid, process.pid);
            assert.equal(s.ppid, process.ppid);
            assert.ok(s.ownTicks > 0);
        });

        it("refuses what is not a stat line", () => {
            assert.throws(() => parseProcStat("hello"), /not a \/proc\/<pid>\/stat line/);
            assert.throws(() => parseProcStat("1 (x) S two 3"), /field 4 is not a number/);
        });
    });

    describe("treeTicks", () => {
        const stats: ProcStat[] = [
            { pid: 1, ppid: 0, ownTicks: 1000, reapedChildrenTicks: 0 },
            { pid: 10, ppid: 1, ownTicks: 5, reapedChildrenTicks: 40 }, // root of the tree measured
            { pid: 11, ppid: 10, ownTicks: 7, reapedChildrenTicks: 0 },
            { pid: 12, ppid: 11, ownTicks: 3, reapedChildrenTicks: 1 },
            { pid: 13, ppid: 10, ownTicks: 9, reapedChildrenTicks: 0 },
            { pid: 20, ppid: 1, ownTicks: 500, reapedChildrenTicks: 0 }, // a sibling: not counted
        ];

        it("sums the root, its children and grandchildren, reaped children included, and nothing else", () => {
            assert.equal(treeTicks(10, stats), 5 + 40 + 7 + 3 + 1 + 9);
            assert.equal(treeTicks(11, stats), 7 + 3 + 1);
        });

        it("says so when the root is gone", () => {
            assert.throws(() => treeTicks(99, stats), /process 99 is gone/);
        });
    });

    it("processTreeCpu counts the CPU of a child process, while it runs and after it exited", async function () {
        this.timeout(20_000);
        const cpu = processTreeCpu(process.pid);
        const before = cpu();
        // A child that burns 400 ms of CPU (not wall time: the machine may be busy), then waits.
        const child = spawn(process.execPath, [
            "-e",
            "const t0 = process.cpuUsage(); while (process.cpuUsage(t0).user < 400000) {} process.stdout.write('done\\n'); setTimeout(() => {}, 60000)",
        ]);
        await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
        const whileRunning = cpu() - before;
        child.kill("SIGTERM");
        await new Promise((resolve) => child.once("exit", resolve));
        const afterExit = cpu() - before;
        // Clock ticks are 10 ms: allow two of them below the 400 ms the child used.
        assert.ok(whileRunning >= 380_000, `${whileRunning} < 380_000`);
        assert.ok(afterExit >= whileRunning, `${afterExit} < whileRunning`);
    });

    it("finds the local PostgreSQL server's postmaster and sees its CPU grow with the queries it runs", async function () {
        this.timeout(30_000);
        const found = await localPostgresServer(TEST_DATABASE_URL);
        if (!("pid" in found)) throw new Error(`expected the test database on this machine: ${found.unavailable}`);
        assert.match(fs.readFileSync(`/proc/${found.pid}/comm`, "utf8").trim(), /^(postgres|postmaster)$/);
        const cpu = processTreeCpu(found.pid);
        const before = cpu();
        const client = new Client({ connectionString: TEST_DATABASE_URL });
        await client.connect();
        try {
            // Work only the server does: ~0.5 s of CPU, in one backend that ends before the last reading.
            await client.query("SELECT count(*) FROM generate_series(1, 400000) g WHERE md5(g::text) LIKE 'a%'");
        } finally {
            await client.end();
        }
        await new Promise((resolve) => setTimeout(resolve, 200)); // the postmaster reaps the backend
        assert.ok(cpu() - before >= 100_000, `${cpu() - before} < 100_000`);
    });

    it("parseMachineTicks counts idle and iowait as idle and the rest as busy; busyShare is the busy part of the interval", () => {
        const a = parseMachineTicks("cpu  100 5 50 800 20 3 2 10 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n");
        assert.deepEqual(a, { busy: 170, total: 990 });
        const b = parseMachineTicks("cpu  160 5 80 830 30 3 2 10 0 0\n");
        assertClose(busyShare(a, b), 90 / 130, 1e-9);
        assert.throws(() => parseMachineTicks("intr 1 2 3\n"), /no aggregate cpu line/);
    });

    describe("bounds from the CPU budget", () => {
        const hello = row("node-hello", 20_000, 50, 30, 0);

        it("a database not measured here costs this machine's cores nothing", () => {
            assert.deepEqual(requestCpu(row("config", 1, 100, 20)), { server: 100, database: 0, loadGenerator: 20, total: 120 });
            assert.equal(requestCpu({ ...row("config", 1, 100, 20), cpuPerRequestUs: undefined }), undefined);
        });

        it("bounds the target by all processes' CPU per request on the machine's cores", () => {
            const c = cpuCeiling(hello, row("machine-script", 5_000, 150, 50, 60), 0.5, 2);
            assert.ok(c !== undefined);
            // 2 cores = 2,000,000 µs of CPU per second.
            assert.equal(c!.measured, 0.25);
            assertClose(c!.bound, 2e6 / 260 / 20_000, 1e-12);
            assertClose(c!.ceiling, 2e6 / (50 + 60 + 50) / 20_000, 1e-12);
            // 0.5x of 20,000 req/s on 2 cores leaves 200 µs per request for everything.
            assertClose(c!.serverBudgetUs, 200 - 60 - 50, 1e-9);
        });

        it("reports a target whose database and load generator alone exceed the budget as out of reach", () => {
            const rows = [hello, row("machine-script", 5_000, 150, 50, 60), row("config", 3_000, 200, 60, 180)];
            const lines = cpuBudgetLines(rows, 2);
            assert.equal(lines.length, 2);
            assert.ok(lines[0].includes('"machine-script >= 0.5x node-hello req/s" on 2 cores'), lines[0]);
            assert.ok(lines[0].includes("needs the server at < 90 µs per request (now 150)"), lines[0]);
            assert.ok(lines[0].includes("database 60"), lines[0]);
            assert.ok(lines[1].includes("a config request 440 µs (server 200 + database 180 + load generator 60)"), lines[1]);
            assert.ok(lines[1].includes("out of reach on this machine"), lines[1]);
            assert.ok(cpuBudgetLines(rows, 4)[1].includes("needs the server at < 160 µs per request"), cpuBudgetLines(rows, 4)[1]);
        });

        it("says nothing without node-hello or without the CPU readings", () => {
            assert.deepEqual(cpuBudgetLines([row("config", 3_000, 200, 60, 180)], 2), []);
            assert.deepEqual(cpuBudgetLines([hello, { ...row("config", 3_000, 200, 60, 180), loadGeneratorCpuUs: undefined }], 2), []);
        });
    });
});
