/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, e.g. from `npm run bench:boot -- --cpu-prof <dir>`):
 * where the boot service process spent its time, by area (PGlite, pino logging, Fastify, YAML,
 * ...), by package, and the top functions by self time. Reads the profile only; prints text.
 *
 *   node -r ts-node/register/transpile-only infra/boot-server/bench/profile-summary.ts <file.cpuprofile> [--top N]
 */
import * as fs from "node:fs";
import { parseArgs } from "node:util";

export const USAGE = `Summarise a V8 CPU profile of the boot service.

Usage: node -r ts-node/register/transpile-only infra/boot-server/bench/profile-summary.ts <file.cpuprofile> [--top N]

  --top <n>   how many functions to list by self time (1..200, default 25)
  -h, --help  this text`;

interface ProfileNode {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
    children?: number[];
}

interface CpuProfile {
    nodes: ProfileNode[];
    startTime: number;
    endTime: number;
    samples?: number[];
    timeDeltas?: number[];
}

/** Areas, first match wins: the question is which component's work dominates. */
const AREAS: Array<[string, RegExp]> = [
    ["PGlite (PostgreSQL in WebAssembly)", /@electric-sql\/pglite|^wasm:\/\//],
    ["pino logging", /\/(pino|pino-std-serializers|sonic-boom|fast-redact|thread-stream|@pinojs)\//],
    ["rate limit", /@fastify\/rate-limit|toad-cache/],
    ["Fastify (routing, hooks, reply)", /\/(fastify|find-my-way|light-my-request|avvio|@fastify)\//],
    ["schema validation (ajv)", /\/(ajv|fast-uri|fast-json-stringify|json-schema-traverse)\//],
    ["YAML (yaml package)", /\/yaml\//],
    ["boot service code", /infra\/boot-server\/src\//],
    ["shared lib code", /\/lib\/talos\//],
    ["ts-node / module loading", /\/(ts-node|typescript)\//],
    ["Node.js internals (http, net, streams, crypto)", /^node:|^internal\//],
];

function areaOf(url: string, fn: string): string {
    if (url === "") {
        if (fn === "(garbage collector)") return "garbage collection";
        if (fn === "(idle)") return "idle";
        if (fn === "(program)") return "V8/native (program)";
        return "native / builtins";
    }
    for (const [name, re] of AREAS) if (re.test(url)) return name;
    if (/node_modules\//.test(url)) return "other packages";
    return "other";
}

function packageOf(url: string): string {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (m) return m[1];
    if (url.startsWith("wasm://")) return "@electric-sql/pglite (wasm)";
    if (/infra\/boot-server\/src\//.test(url)) return "(boot service)";
    if (/^node:|^internal\//.test(url)) return "(node)";
    return url === "" ? "(native)" : "(other)";
}

/** Self time per node id in microseconds, from samples and time deltas (hitCount as fallback). */
function selfTimes(p: CpuProfile): Map<number, number> {
    const out = new Map<number, number>();
    if (p.samples && p.timeDeltas && p.samples.length === p.timeDeltas.length) {
        for (let i = 0; i < p.samples.length; i++) {
            // The delta before sample i+1 is the time sample i ran.
            const dt = p.timeDeltas[i + 1] ?? 0;
            out.set(p.samples[i], (out.get(p.samples[i]) ?? 0) + Math.max(0, dt));
        }
        return out;
    }
    const total = p.endTime - p.startTime;
    const hits = p.nodes.reduce((n, x) => n + (x.hitCount ?? 0), 0) || 1;
    for (const n of p.nodes) out.set(n.id, ((n.hitCount ?? 0) / hits) * total);
    return out;
}

export function summarise(p: CpuProfile, top: number): string {
    const self = selfTimes(p);
    const byArea = new Map<string, number>();
    const byPackage = new Map<string, number>();
    const byFunction = new Map<string, number>();
    let busy = 0;
    let all = 0;
    for (const n of p.nodes) {
        const t = self.get(n.id) ?? 0;
        all += t;
        const { functionName, url, lineNumber } = n.callFrame;
        const area = areaOf(url, functionName);
        if (area === "idle") continue;
        busy += t;
        byArea.set(area, (byArea.get(area) ?? 0) + t);
        byPackage.set(packageOf(url), (byPackage.get(packageOf(url)) ?? 0) + t);
        const short = url.replace(/^.*node_modules\//, "").replace(/^.*\/infra\/boot-server\//, "boot-server/").replace(/^file:\/\//, "");
        const key = `${functionName || "(anonymous)"}  ${short}${url ? `:${lineNumber + 1}` : ""}`;
        byFunction.set(key, (byFunction.get(key) ?? 0) + t);
    }
    const pct = (t: number) => `${((t / (busy || 1)) * 100).toFixed(1).padStart(5)} %`;
    const ms = (t: number) => `${(t / 1000).toFixed(0).padStart(7)} ms`;
    const table = (m: Map<string, number>, n: number) =>
        [...m.entries()]
            .sort((a, b) => b[1] - a[1])
            .slice(0, n)
            .map(([k, t]) => `  ${pct(t)} ${ms(t)}  ${k}`)
            .join("\n");
    return [
        `profile: ${((p.endTime - p.startTime) / 1e6).toFixed(1)} s wall, ${(all / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (percentages are of busy time)`,
        "",
        "by area:",
        table(byArea, 50),
        "",
        "by package:",
        table(byPackage, 15),
        "",
        `top ${top} functions by self time:`,
        table(byFunction, top),
    ].join("\n");
}

function main(argv: string[]): number {
    let parsed;
    try {
        parsed = parseArgs({ args: argv, options: { top: { type: "string" }, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
    } catch (err) {
        process.stderr.write(`profile-summary: ${(err as Error).message}\n\n${USAGE}\n`);
        return 2;
    }
    if (parsed.values.help) {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    const top = parsed.values.top === undefined ? 25 : Number(parsed.values.top);
    if (parsed.positionals.length !== 1 || !Number.isInteger(top) || top < 1 || top > 200) {
        process.stderr.write(`profile-summary: give one .cpuprofile file and --top 1..200\n\n${USAGE}\n`);
        return 2;
    }
    const file = parsed.positionals[0];
    let profile: CpuProfile;
    try {
        profile = JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
    } catch (err) {
        process.stderr.write(`profile-summary: cannot read ${file}: ${(err as Error).message}\n`);
        return 2;
    }
    if (!Array.isArray(profile.nodes)) {
        process.stderr.write(`profile-summary: ${file} is not a V8 CPU profile (no "nodes")\n`);
        return 2;
    }
    process.stdout.write(`${summarise(profile, top)}\n`);
    return 0;
}

if (require.main === module) {
    process.exitCode = main(process.argv.slice(2));
}
