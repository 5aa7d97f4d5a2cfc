/** The benchmark's report: the machine it ran on, a markdown table, and the targets' verdicts. */
import * as os from "node:os";

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
}

function fmt(n: number, digits = 0): string {
    return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function markdownTable(rows: Row[]): string {
    const lines = [
        "| target | connections | requests | seconds | req/s | p50 (ms) | p99 (ms) | non-2xx | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ];
    for (const r of rows) {
        lines.push(
            `| ${r.target} | ${r.connections} | ${fmt(r.requests)} | ${fmt(r.seconds, 2)} | ${fmt(r.rps)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${r.non2xx} | ${r.errors} |`,
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
    for (const t of ["config", "config-1conn"]) {
        const r = by(t);
        if (r) out.push(`- target "config p99 <= 10 ms" at ${r.connections} connection(s): ${r.p99 <= 10 ? "MET" : "NOT MET"} (p99 ${fmt(r.p99, 1)} ms)`);
    }
    const bad = rows.filter((r) => r.non2xx > 0 || r.errors > 0);
    if (bad.length > 0) out.push(`- WARNING: non-2xx answers or errors in ${bad.map((r) => r.target).join(", ")}: those numbers are not clean`);
    return out;
}

/** CPU, memory, OS, Node and nginx versions, and the load average when the run started. */
export function machineDescription(nginxVersion: string | undefined): string {
    const cpus = os.cpus();
    const load = os.loadavg().map((l) => l.toFixed(2)).join(" ");
    return `${cpus.length} × ${cpus[0]?.model.trim() ?? "unknown CPU"}, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}, nginx ${nginxVersion ?? "?"}; load average ${load}`;
}
