/** The benchmark's report: the machine it ran on, a markdown table, and the targets' verdicts. */
import * as os from "node:os";
import type { ColdStartRound } from "./cold-start";

/** One measured target. Latencies in milliseconds. */
export interface Row {
    target: string;
    connections: number;
    requests: number;
    seconds: number;
    rps: number;
    p50: number;
    p99: number;
    non2xx: number;
    errors: number;
    /** CPU time of the measured Node.js process per answered request (µs); undefined for nginx. */
    cpuPerRequestUs?: number;
    /** CPU time of the load generator (autocannon, the benchmark's own process) per answered request (µs). */
    loadGeneratorCpuUs?: number;
    /**
     * CPU time of the database server per answered request (µs), when it runs on this machine
     * (cpu-budget.ts); undefined without one here (no database, PGlite inside the service, or
     * PostgreSQL elsewhere), whose CPU then costs this machine nothing beyond the service's.
     */
    databaseCpuUs?: number;
    /** Share (0..1) of all the machine's cores that was busy during the run. */
    machineBusy?: number;
}

function fmt(n: number, digits = 0): string {
    return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function markdownTable(rows: Row[]): string {
    const lines = [
        "| target | connections | requests | seconds | req/s | p50 (ms) | p99 (ms) | non-2xx | errors | server CPU (µs/request) | database CPU (µs/request) | load generator CPU (µs/request) | cores busy |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ];
    const opt = (n: number | undefined): string => (n === undefined ? "—" : fmt(n));
    for (const r of rows) {
        lines.push(
            `| ${r.target} | ${r.connections} | ${fmt(r.requests)} | ${fmt(r.seconds, 2)} | ${fmt(r.rps)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${r.non2xx} | ${r.errors} | ` +
                `${opt(r.cpuPerRequestUs)} | ${opt(r.databaseCpuUs)} | ${opt(r.loadGeneratorCpuUs)} | ${r.machineBusy === undefined ? "—" : `${fmt(r.machineBusy * 100)} %`} |`,
        );
    }
    return lines.join("\n");
}

export function verdicts(rows: Row[]): string[] {
    const by = (t: string) => rows.find((r) => r.target === t);
    const nginx = by("nginx-static");
    const hello = by("node-hello");
    const out: string[] = [];
    for (const t of ["node-hello", "site-script", "machine-script", "machine-enrolled", "config", "config-1conn"]) {
        const r = by(t);
        if (!r) continue;
        const parts = [];
        if (nginx) parts.push(`${fmt((r.rps / nginx.rps) * 100, 1)} % of nginx-static`);
        if (hello && t !== "node-hello") parts.push(`${fmt((r.rps / hello.rps) * 100, 1)} % of node-hello`);
        if (hello?.cpuPerRequestUs && r.cpuPerRequestUs && t !== "node-hello") {
            // Load-independent: how many node-hello requests one of these costs in server CPU.
            parts.push(`${fmt(r.cpuPerRequestUs / hello.cpuPerRequestUs, 1)}× node-hello's CPU per request`);
        }
        if (parts.length > 0) out.push(`- ${t} req/s: ${parts.join(", ")}`);
    }
    if (nginx) {
        for (const t of ["site-script", "machine-script", "machine-enrolled"]) {
            const r = by(t);
            if (!r) continue;
            const ratio = r.rps / nginx.rps;
            out.push(`- target "script endpoint >= 50 % of nginx req/s", ${t}: ${ratio >= 0.5 ? "MET" : "NOT MET"} (${fmt(ratio * 100, 1)} %)`);
        }
    }
    if (hello) {
        // Issue 10: the ticket and config paths at >= 0.5x the minimal Fastify route.
        for (const t of ["machine-script", "config"]) {
            const r = by(t);
            if (!r) continue;
            const ratio = r.rps / hello.rps;
            out.push(`- target "${t} >= 0.5x node-hello req/s": ${ratio >= 0.5 ? "MET" : "NOT MET"} (${fmt(ratio, 2)}x)`);
        }
    }
    const config = by("config");
    if (config && config.connections >= 100) {
        out.push(`- target "config p99 <= 50 ms at 100 connections": ${config.p99 <= 50 ? "MET" : "NOT MET"} (p99 ${fmt(config.p99, 1)} ms)`);
    }
    const bad = rows.filter((r) => r.non2xx > 0 || r.errors > 0);
    if (bad.length > 0) out.push(`- WARNING: non-2xx answers or errors in ${bad.map((r) => r.target).join(", ")}: those numbers are not clean`);
    return out;
}

/** What one request of a target costs this machine's cores, split by process (µs). */
export interface RequestCpu {
    server: number;
    database: number;
    loadGenerator: number;
    total: number;
}

/**
 * A row's CPU per request across every process on this machine; undefined unless the server's
 * and the load generator's were measured. A database not measured here costs this machine's
 * cores nothing beyond the service (none, PGlite inside it, or PostgreSQL elsewhere): 0.
 */
export function requestCpu(r: Row): RequestCpu | undefined {
    if (r.cpuPerRequestUs === undefined || r.loadGeneratorCpuUs === undefined) return undefined;
    const database = r.databaseCpuUs ?? 0;
    return { server: r.cpuPerRequestUs, database, loadGenerator: r.loadGeneratorCpuUs, total: r.cpuPerRequestUs + database + r.loadGeneratorCpuUs };
}

/**
 * How this machine's cores bound a target's req/s against node-hello's. No run can use more than
 * `cores` seconds of CPU per second, so a target whose requests cost all processes together
 * `t` µs of CPU answers at most cores × 10^6 / t requests per second here, however its load is
 * spread. As ratios to node-hello's measured req/s:
 *  - `bound`: with the target's CPU as measured; the measured ratio is always below it;
 *  - `ceiling`: with the target's server CPU replaced by node-hello's, its database and load
 *    generator unchanged: the most it could reach here whatever the service's code;
 *  - `serverBudgetUs`: the server CPU per request below which `goal` becomes possible here
 *    (at or below 0: out of reach on this machine however cheap the service gets).
 */
export interface CpuCeiling {
    hello: RequestCpu;
    target: RequestCpu;
    measured: number;
    bound: number;
    ceiling: number;
    serverBudgetUs: number;
}

export function cpuCeiling(hello: Row, target: Row, goal: number, cores: number): CpuCeiling | undefined {
    const h = requestCpu(hello);
    const t = requestCpu(target);
    if (h === undefined || t === undefined || hello.rps <= 0 || cores <= 0) return undefined;
    const coreMicrosPerSecond = cores * 1e6;
    const ratioAt = (cpuPerRequestUs: number): number => coreMicrosPerSecond / cpuPerRequestUs / hello.rps;
    return {
        hello: h,
        target: t,
        measured: target.rps / hello.rps,
        bound: ratioAt(t.total),
        ceiling: ratioAt(h.server + t.database + t.loadGenerator),
        serverBudgetUs: coreMicrosPerSecond / (goal * hello.rps) - t.database - t.loadGenerator,
    };
}

function cpuParts(c: RequestCpu): string {
    const parts = [`server ${fmt(c.server)}`];
    if (Math.round(c.database) > 0) parts.push(`database ${fmt(c.database)}`);
    parts.push(`load generator ${fmt(c.loadGenerator)}`);
    return `${fmt(c.total)} µs (${parts.join(" + ")})`;
}

/** The CPU-budget reading of the issue-10 req/s targets (see CpuCeiling), one line each. */
export function cpuBudgetLines(rows: Row[], cores: number = os.cpus().length, goal = 0.5): string[] {
    const hello = rows.find((r) => r.target === "node-hello");
    if (!hello) return [];
    const out: string[] = [];
    for (const t of ["machine-script", "config"]) {
        const r = rows.find((x) => x.target === t);
        const c = r && cpuCeiling(hello, r, goal, cores);
        if (!r || !c) continue;
        const reach =
            c.serverBudgetUs > 0
                ? `${fmt(goal, 1)}x needs the server at < ${fmt(c.serverBudgetUs)} µs per request (now ${fmt(c.target.server)})`
                : `${fmt(goal, 1)}x is out of reach on this machine however cheap the server gets`;
        out.push(
            `- CPU budget of "${t} >= ${fmt(goal, 1)}x node-hello req/s" on ${cores} cores: a node-hello request costs ${cpuParts(c.hello)}, ` +
                `a ${t} request ${cpuParts(c.target)}, which bounds it at ${fmt(c.bound, 2)}x (measured ${fmt(c.measured, 2)}x). ` +
                `With a server as cheap as node-hello's the bound would be ${fmt(c.ceiling, 2)}x; ${reach}.`,
        );
    }
    return out;
}

/** The cold-start rounds as a markdown table, and the verdict on "cold start to first answer <= 1 s". */
export function coldStartReport(rounds: ColdStartRound[], store: string): string[] {
    const lines = [
        `| round | bare Node.js server (ms) | boot service bundle, ${store} (ms) | ratio | service ready line: uptime / CPU (ms) |`,
        "| ---: | ---: | ---: | ---: | ---: |",
    ];
    rounds.forEach((r, i) => {
        lines.push(`| ${i + 1} | ${fmt(r.bareMs)} | ${fmt(r.serviceMs)} | ${fmt(r.serviceMs / r.bareMs, 1)}x | ${r.readyMs ?? "?"} / ${r.readyCpuMs ?? "?"} |`);
    });
    if (rounds.length > 0) {
        const best = Math.min(...rounds.map((r) => r.serviceMs));
        const median = [...rounds.map((r) => r.serviceMs)].sort((a, b) => a - b)[Math.floor(rounds.length / 2)];
        lines.push("", `- target "cold start to first answer <= 1 s" (${store}): ${median <= 1000 ? "MET" : "NOT MET"} (median ${fmt(median)} ms, best ${fmt(best)} ms)`);
    }
    return lines;
}

/** CPU, memory, OS, Node and nginx versions, and the load average when the run started. */
export function machineDescription(nginxVersion: string | undefined): string {
    const cpus = os.cpus();
    const load = os.loadavg().map((l) => l.toFixed(2)).join(" ");
    return `${cpus.length} × ${cpus[0]?.model.trim() ?? "unknown CPU"}, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}, nginx ${nginxVersion ?? "?"}; load average ${load}`;
}
