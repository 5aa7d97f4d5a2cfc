/**
 * Where a benchmark run's CPU goes besides the measured server: the load generator (autocannon,
 * in this process), the database server (PostgreSQL's postmaster and every process under it,
 * read from /proc when the server runs on this machine), and how busy the machine's cores were.
 *
 * On a machine whose cores are all busy, requests per second follow the CPU every request costs
 * all processes together, not the service's alone. That is what report.ts's ceilings use: what a
 * target could reach against node-hello here even if the service's own CPU per request were
 * node-hello's.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { Client } from "pg";

/** One process as /proc/<pid>/stat describes it; CPU in clock ticks. */
export interface ProcStat {
    pid: number;
    ppid: number;
    /** utime + stime: the process's own CPU. */
    ownTicks: number;
    /** cutime + cstime: CPU of its children that have exited and been waited for. */
    reapedChildrenTicks: number;
}

/**
 * Parses a /proc/<pid>/stat line (proc(5)). The command name (field 2) is in parentheses and may
 * itself hold spaces and parentheses, so the fields are counted from the last ")".
 */
export function parseProcStat(line: string): ProcStat {
    const open = line.indexOf(" (");
    const close = line.lastIndexOf(")");
    if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${JSON.stringify(line.slice(0, 60))}`);
    // After ") ": state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17).
    const rest = line.slice(close + 2).trim().split(/\s+/);
    const field = (n: number): number => {
        const value = Number(rest[n - 3]);
        if (!Number.isInteger(value)) throw new Error(`/proc/<pid>/stat field ${n} is not a number`);
        return value;
    };
    return {
        pid: Number(line.slice(0, open)),
        ppid: field(4),
        ownTicks: field(14) + field(15),
        reapedChildrenTicks: field(16) + field(17),
    };
}

/**
 * CPU (in ticks) of `root` and every process below it, from stat lines of all processes. A
 * child that exited and was reaped is in its parent's reaped-children ticks, so the total only
 * grows, whether the child ended between two readings or not.
 */
export function treeTicks(root: number, stats: readonly ProcStat[]): number {
    const children = new Map<number, ProcStat[]>();
    for (const s of stats) {
        const list = children.get(s.ppid);
        if (list) list.push(s);
        else children.set(s.ppid, [s]);
    }
    const rootStat = stats.find((s) => s.pid === root);
    if (rootStat === undefined) throw new Error(`process ${root} is gone`);
    let ticks = 0;
    const pending = [rootStat];
    for (let s = pending.pop(); s !== undefined; s = pending.pop()) {
        ticks += s.ownTicks + s.reapedChildrenTicks;
        pending.push(...(children.get(s.pid) ?? []));
    }
    return ticks;
}

/** Clock ticks per second of /proc's CPU fields (`getconf CLK_TCK`; 100 on every Linux we run). */
export function clockTicksPerSecond(): number {
    try {
        const hz = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
        if (Number.isInteger(hz) && hz > 0) return hz;
    } catch {
        // getconf missing: fall back to Linux's USER_HZ.
    }
    return 100;
}

function readAllStats(procDir: string): ProcStat[] {
    const stats: ProcStat[] = [];
    for (const entry of fs.readdirSync(procDir)) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            stats.push(parseProcStat(fs.readFileSync(`${procDir}/${entry}/stat`, "utf8")));
        } catch {
            // The process ended while the directory was read.
        }
    }
    return stats;
}

/** CPU time (µs) so far of a process and everything below it. */
export type CpuReader = () => number;

/** A reader of `root`'s process tree CPU (µs), from `procDir` (default /proc). */
export function processTreeCpu(root: number, procDir = "/proc", hz = clockTicksPerSecond()): CpuReader {
    return () => (treeTicks(root, readAllStats(procDir)) * 1e6) / hz;
}

/**
 * The PostgreSQL server behind `url` as a process tree on this machine: the postmaster, found as
 * the parent of this connection's backend (`pg_backend_pid()`); `unavailable` says why not when
 * that process is not visible here (a server on another machine or in another PID namespace).
 */
export async function localPostgresServer(url: string, procDir = "/proc"): Promise<{ pid: number } | { unavailable: string }> {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
        const backend = Number((await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid);
        let stat: ProcStat;
        try {
            stat = parseProcStat(fs.readFileSync(`${procDir}/${backend}/stat`, "utf8"));
        } catch {
            return { unavailable: "the database server's processes are not visible on this machine" };
        }
        const comm = fs.readFileSync(`${procDir}/${stat.ppid}/comm`, "utf8").trim();
        if (comm !== "postgres" && comm !== "postmaster") {
            return { unavailable: `backend ${backend}'s parent is "${comm}", not a PostgreSQL postmaster` };
        }
        return { pid: stat.ppid };
    } finally {
        await client.end().catch(() => undefined);
    }
}

/** The machine's CPU counters (/proc/stat's first line), in ticks summed over all cores. */
export interface MachineTicks {
    busy: number;
    total: number;
}

/** Parses /proc/stat's aggregate `cpu` line: idle and iowait are idle, everything else busy. */
export function parseMachineTicks(procStat: string): MachineTicks {
    const line = procStat.split("\n").find((l) => l.startsWith("cpu "));
    if (line === undefined) throw new Error("/proc/stat has no aggregate cpu line");
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const busy = user + nice + system + irq + softirq + (steal || 0);
    return { busy, total: busy + idle + (iowait || 0) };
}

/** The machine's CPU counters now, or undefined where /proc/stat is not readable. */
export function machineTicks(procDir = "/proc"): MachineTicks | undefined {
    try {
        return parseMachineTicks(fs.readFileSync(`${procDir}/stat`, "utf8"));
    } catch {
        return undefined;
    }
}

/** Share (0..1) of all cores' time that was busy between two readings. */
export function busyShare(before: MachineTicks, after: MachineTicks): number {
    const total = after.total - before.total;
    return total > 0 ? (after.busy - before.busy) / total : 0;
}
