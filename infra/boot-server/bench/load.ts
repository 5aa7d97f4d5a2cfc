/** Load generation: pre-issuing tickets through the machine endpoint, and one autocannon run per target. */
import autocannon = require("autocannon");
import { performance } from "node:perf_hooks";
import { busyShare, type CpuReader, machineTicks } from "./cpu-budget";
import { BenchInventory, machinePath, siteAuthHeaders } from "./inventory";
import type { Row } from "./report";

const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
};

/** Issues one ticket per machine through the machine endpoint, `concurrency` at a time. */
export async function preIssueTickets(base: string, inv: BenchInventory, concurrency: number): Promise<string[]> {
    const tickets: string[] = new Array(inv.ticketMachines.length);
    let next = 0;
    let done = 0;
    const started = Date.now();
    const progress = setInterval(() => {
        log(`  pre-issuing tickets: ${done}/${tickets.length} (${Math.round(done / ((Date.now() - started) / 1000))}/s)`);
    }, 1000);
    try {
        await Promise.all(
            Array.from({ length: concurrency }, async () => {
                while (next < inv.ticketMachines.length) {
                    const i = next++;
                    const m = inv.ticketMachines[i];
                    const res = await fetch(base + machinePath(m.site, m), { headers: siteAuthHeaders(m.site, inv.siteTokens[m.site]), signal: AbortSignal.timeout(30_000) });
                    const body = await res.text();
                    const found = /\/v1\/config\/([A-Za-z0-9_-]{43})/.exec(body);
                    if (res.status !== 200 || !found) throw new Error(`ticket issue for machine #${i} failed: HTTP ${res.status}`);
                    tickets[i] = found[1];
                    done++;
                }
            }),
        );
    } finally {
        clearInterval(progress);
    }
    log(`  pre-issued ${tickets.length} tickets in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return tickets;
}

/** What a run reads around its load besides the load generator's own CPU (this process). */
export interface CpuProbes {
    /** The measured server's CPU time so far (µs), when it can say: gives its CPU per request. */
    server?: () => Promise<number>;
    /** The database server's CPU time so far (µs), when it runs on this machine. */
    database?: CpuReader;
}

/** CPU per answered request (µs) between two readings; undefined without both or without requests. */
function perRequest(before: number | undefined, after: number | undefined, requests: number): number | undefined {
    return before !== undefined && after !== undefined && requests > 0 ? (after - before) / requests : undefined;
}

/** Runs autocannon against one target and reports progress each second; `signal` stops the load early (and rejects). */
export async function measure(target: string, opts: autocannon.AutocannonOptions, signal: AbortSignal, probes: CpuProbes = {}): Promise<Row> {
    const what = opts.amount !== undefined ? `${opts.amount} requests` : `${opts.duration} s`;
    log(`> ${target}: ${opts.connections} connections, ${what}`);
    signal.throwIfAborted();
    const cpuBefore = await probes.server?.();
    const databaseBefore = probes.database?.();
    const machineBefore = machineTicks();
    // autocannon runs in this process: its CPU is this process's.
    const loadBefore = process.cpuUsage();
    const startedAt = performance.now();
    let lastResponseAt = startedAt;
    const instance = autocannon({ timeout: 10, ...opts, title: target });
    const stop = (): void => instance.stop();
    signal.addEventListener("abort", stop, { once: true });
    // autocannon's own duration/start/finish move in whole-second ticks; time the responses instead.
    instance.on("response", () => {
        lastResponseAt = performance.now();
    });
    let second = 0;
    instance.on("tick", (t: { counter: number }) => {
        second++;
        if (t.counter > 0) log(`  ${target}: ${second} s, ${t.counter} req/s`);
    });
    const result = await instance;
    signal.removeEventListener("abort", stop);
    signal.throwIfAborted();
    const load = process.cpuUsage(loadBefore);
    const machineAfter = machineTicks();
    const databaseAfter = probes.database?.();
    const cpuAfter = await probes.server?.();
    const total = result.requests.total;
    const seconds = Math.max(0.001, (lastResponseAt - startedAt) / 1000);
    const row: Row = {
        target,
        connections: opts.connections ?? 10,
        requests: result.requests.total,
        seconds,
        rps: result.requests.total / seconds,
        p50: result.latency.p50,
        p99: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors,
        cpuPerRequestUs: perRequest(cpuBefore, cpuAfter, total),
        loadGeneratorCpuUs: perRequest(0, load.user + load.system, total),
        databaseCpuUs: perRequest(databaseBefore, databaseAfter, total),
        machineBusy: machineBefore && machineAfter ? busyShare(machineBefore, machineAfter) : undefined,
    };
    // Which statuses the non-2xx answers were, so that a refusal is told from an overload.
    const statuses = Object.entries((result as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {})
        .filter(([code]) => !code.startsWith("2"))
        .map(([code, s]) => `${code}×${s.count}`);
    const refused = statuses.length > 0 ? ` (${statuses.join(", ")})` : "";
    const cpu = [
        row.cpuPerRequestUs !== undefined ? `server CPU ${Math.round(row.cpuPerRequestUs)}` : undefined,
        row.databaseCpuUs !== undefined ? `database ${Math.round(row.databaseCpuUs)}` : undefined,
        row.loadGeneratorCpuUs !== undefined ? `load generator ${Math.round(row.loadGeneratorCpuUs)} µs/request` : undefined,
    ].filter((part) => part !== undefined);
    const busy = row.machineBusy !== undefined ? `, cores ${Math.round(row.machineBusy * 100)} % busy` : "";
    log(`  ${target}: done, ${Math.round(row.rps)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, non-2xx ${row.non2xx}${refused}, errors ${row.errors}` +
            (cpu.length > 0 ? `, ${cpu.join(", ")}` : "") + busy);
    return row;
}
