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
}

function fmt(n: number, digits = 0): string {
    return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function markdownTable(rows: Row[]): string {
    const lines = [
        "| target | connections | requests | seconds | req/s | p50 (ms) | p99 (ms) | non-2xx | errors | server CPU (µs/request) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ];
    for (const r of rows) {
        lines.push(
            `| ${r.target} | ${r.connections} | ${fmt(r.requests)} | ${fmt(r.seconds, 2)} | ${fmt(r.rps)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${r.non2xx} | ${r.errors} | ${r.cpuPerRequestUs === undefined ? "—" : fmt(r.cpuPerRequestUs)} |`,
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
