/**
 * Graph benchmark: how long the Pulumi program takes to build its resource graph under the
 * test mocks, and how much memory it needs, for the dev stack and synthetic stacks of many edge
 * machines — for the working tree and, in the same run, for an older revision of the program.
 *
 *   npm run bench:graph                                  # dev + 10/100/1,000 machines, 3 runs each, vs HEAD~1
 *   npm run bench:graph -- --base fda3e3a --sizes 10,100 --runs 5
 *   npm run bench:graph -- --help
 *
 * Each run is its own Node.js process (bench/graph/child.ts), so peak memory is that run's
 * alone, started with the Node.js arguments its tree's Pulumi.yaml gives `pulumi up`
 * (programLoaderArgs), so each tree loads its TypeScript the way it is deployed. The base revision is exported with `git archive`, the working tree is copied as it is
 * at the start (tracked and untracked files, so edits during the run do not mix in), both into
 * a temporary directory whose node_modules is a symlink to this tree's; git is only read. Runs
 * of the two trees are interleaved so that background load hits both alike. Nothing asserts on the numbers: see
 * docs/benchmarks.md for the targets and the measured results.
 */
import { ChildProcess, execFileSync, fork, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tar from "tar";
import { parse } from "yaml";
import type { ChildResult } from "./child";
import { readStackFile, syntheticStack, toRawConfig } from "./stacks";

const ROOT = path.resolve(__dirname, "..", "..");
const CHILD = path.join(__dirname, "child.ts");
/** The dev stack as the tests build it (placeholders filled in); the shipped file when absent. */
const DEV_STACK_FILES = [path.join(ROOT, "test", "fixtures", "Pulumi.dev.filled.yaml"), path.join(ROOT, "Pulumi.dev.yaml")];

const USAGE = `Usage: npm run bench:graph -- [options]

Times the program (stacks/index.ts) under the test mocks for the dev stack and synthetic
stacks of N edge machines, for a copy of the working tree taken at the start and a base
revision (git archive), one process per run.

Options:
  --base <rev>      git revision to compare with (default HEAD~1); "none" measures only the working tree
  --sizes <list>    edge machine counts of the synthetic stacks (default 10,100,1000); "" for dev only
  --runs <n>        runs per stack and tree, reported as the median (default 3, 1..20)
  --timeout <s>     seconds before a run is killed (default 600)
  --json <file>     also write every run's raw result as JSON
  --help            this text

Each tree's program is started as its Pulumi.yaml tells \`pulumi up\` to: in its main
directory, with typescript false + nodeargs, or ts-node transpile-only.

Columns: resources registered (components included); program = seconds from loading the
entry until the last registration settled; cpu = CPU seconds of the process in that span;
process = seconds since the process started; peak = maximum resident set size.
`;

interface Options {
    base: string | undefined;
    sizes: number[];
    runs: number;
    timeoutSeconds: number;
    json: string | undefined;
}

export function parseArgs(argv: string[]): Options | "help" {
    const opts: Options = { base: "HEAD~1", sizes: [10, 100, 1000], runs: 3, timeoutSeconds: 600, json: undefined };
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        const value = (): string => {
            const v = argv[++i];
            if (v === undefined) {
                throw new Error(`${flag} needs a value; see --help`);
            }
            return v;
        };
        const int = (v: string, min: number, max: number): number => {
            const n = Number(v);
            if (!Number.isInteger(n) || n < min || n > max) {
                throw new Error(`${flag} ${JSON.stringify(v)}: use a whole number from ${min} to ${max}`);
            }
            return n;
        };
        switch (flag) {
            case "--help":
            case "-h":
                return "help";
            case "--base": {
                const v = value();
                opts.base = v === "none" ? undefined : v;
                break;
            }
            case "--sizes": {
                const v = value().trim();
                opts.sizes = v === "" ? [] : v.split(",").map((s) => int(s.trim(), 1, 25_000));
                break;
            }
            case "--runs":
                opts.runs = int(value(), 1, 20);
                break;
            case "--timeout":
                opts.timeoutSeconds = int(value(), 10, 7200);
                break;
            case "--json":
                opts.json = value();
                break;
            default:
                throw new Error(`unknown option ${JSON.stringify(flag)}; see --help`);
        }
    }
    return opts;
}

interface Tree {
    label: string;
    root: string;
}

/**
 * How `pulumi up` starts `root`'s program, from its Pulumi.yaml. Working directory: the `main`
 * directory (or a `main` file's directory; the project directory without `main`), as the Pulumi
 * CLI starts its language host there. Node.js arguments: with `runtime.options.typescript:
 * false`, its `nodeargs` (split on whitespace; the language host splits them like a shell, and
 * ours hold no quotes); otherwise ts-node, transpile-only (`pulumi up` with
 * PULUMI_NODEJS_TRANSPILE_ONLY=true; without it ts-node also type-checks, which is not timed here).
 */
export function programLoaderArgs(root: string): { cwd: string; execArgv: string[]; loader: string } {
    const project = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { main?: string; runtime?: string | { options?: Record<string, unknown> } };
    const main = path.resolve(root, project.main ?? ".");
    const cwd = fs.statSync(main).isDirectory() ? main : path.dirname(main);
    const options = typeof project.runtime === "object" ? project.runtime.options ?? {} : {};
    if (options.typescript === false) {
        const nodeargs = typeof options.nodeargs === "string" ? options.nodeargs.trim().split(/\s+/).filter((a) => a !== "") : [];
        return { cwd, execArgv: nodeargs, loader: nodeargs.length > 0 ? `nodeargs ${nodeargs.join(" ")}` : "plain node" };
    }
    return { cwd, execArgv: ["--require", path.join(root, "node_modules", "ts-node", "register", "transpile-only")], loader: "ts-node (transpile-only)" };
}

/** Exports `rev` into `dir` with `git archive` and links this tree's node_modules into it. */
async function exportRevision(rev: string, dir: string): Promise<string> {
    const commit = execFileSync("git", ["-C", ROOT, "rev-parse", "--short", `${rev}^{commit}`], { encoding: "utf8" }).trim();
    fs.mkdirSync(dir, { recursive: true });
    const archive = spawn("git", ["-C", ROOT, "archive", "--format=tar", commit], { stdio: ["ignore", "pipe", "inherit"] });
    const extract = tar.x({ cwd: dir });
    await new Promise<void>((resolve, reject) => {
        archive.on("error", reject);
        extract.on("error", reject);
        extract.on("finish", resolve);
        archive.stdout.pipe(extract);
    });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    return commit;
}

/** The run in progress, stopped when the benchmark is interrupted. */
let running: ChildProcess | undefined;

/** Copies the working tree's files (tracked and untracked, not ignored) into `dir`. */
function snapshotWorkingTree(dir: string): string {
    const head = execFileSync("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const files = execFileSync("git", ["-C", ROOT, "ls-files", "--cached", "--others", "--exclude-standard", "-z"], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
        .split("\0")
        .filter((f) => f !== "");
    for (const file of files) {
        const from = path.join(ROOT, file);
        const stat = fs.lstatSync(from, { throwIfNoEntry: false });
        if (!stat || !(stat.isFile() || stat.isSymbolicLink())) {
            continue; // deleted in the working tree, or a submodule
        }
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.cpSync(from, path.join(dir, file), { verbatimSymlinks: true });
    }
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    return head;
}

/** One measurement of `tree` with the raw config in `configFile`. */
function measure(tree: Tree, configFile: string, timeoutSeconds: number): Promise<ChildResult> {
    return new Promise((resolve, reject) => {
        const stderr: string[] = [];
        const launch = programLoaderArgs(tree.root);
        const child: ChildProcess = fork(CHILD, [tree.root, configFile], {
            cwd: launch.cwd,
            execArgv: launch.execArgv,
            env: { ...process.env, TS_NODE_PROJECT: path.join(tree.root, "tsconfig.json") },
            stdio: ["ignore", "ignore", "pipe", "ipc"],
        });
        running = child;
        let result: ChildResult | undefined;
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutSeconds * 1000);
        child.stderr!.on("data", (d: Buffer) => stderr.push(d.toString()));
        child.on("message", (m) => {
            result = m as ChildResult;
        });
        child.on("exit", (code, signal) => {
            clearTimeout(timer);
            running = undefined;
            if (result) {
                resolve(result);
            } else {
                const why = signal === "SIGKILL" ? `killed after ${timeoutSeconds} s` : `exit ${code ?? signal}`;
                reject(new Error(`${tree.label}: ${why}\n${stderr.join("").split("\n").filter((l) => !l.startsWith("warning:")).slice(-15).join("\n")}`));
            }
        });
    });
}

const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const seconds = (ms: number): string => (ms / 1000).toFixed(2);
const mb = (bytes: number): string => (bytes / 1e6).toFixed(0);

interface Row {
    stack: string;
    tree: string;
    runs: ChildResult[];
    error?: string;
}

/** The Markdown table of medians, with current ÷ base ratios. */
export function report(rows: Row[], treeOrder: string[]): string {
    const lines = [
        "| stack | tree | resources | program (s) | cpu (s) | process (s) | peak RSS (MB) | program vs base |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ];
    const stacks = [...new Set(rows.map((r) => r.stack))];
    for (const stack of stacks) {
        const base = rows.find((r) => r.stack === stack && r.tree === treeOrder[0] && treeOrder.length > 1);
        for (const tree of treeOrder) {
            const row = rows.find((r) => r.stack === stack && r.tree === tree);
            if (!row || row.runs.length === 0) {
                lines.push(`| ${stack} | ${tree} | — | failed | | | | |`);
                continue;
            }
            const program = median(row.runs.map((r) => r.programMs));
            const ratio = base && base !== row && base.runs.length > 0 ? `×${(program / median(base.runs.map((r) => r.programMs))).toFixed(2)}` : "";
            lines.push(
                `| ${stack} | ${tree} | ${median(row.runs.map((r) => r.resources))} | ${seconds(program)} | ${seconds(median(row.runs.map((r) => r.programCpuMs)))} | ` +
                    `${seconds(median(row.runs.map((r) => r.totalMs)))} | ${mb(median(row.runs.map((r) => r.maxRssBytes)))} | ${ratio} |`,
            );
        }
    }
    return lines.join("\n");
}

async function main(): Promise<void> {
    const parsed = parseArgs(process.argv.slice(2));
    if (parsed === "help") {
        process.stdout.write(USAGE);
        return;
    }
    const opts = parsed;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-graph-"));
    const cleanup = (): void => fs.rmSync(work, { recursive: true, force: true });
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.on(signal, () => {
            running?.kill("SIGKILL");
            cleanup();
            console.log(`\nbench:graph: stopped (${signal})`);
            process.exit(130);
        });
    }
    try {
        const trees: Tree[] = [];
        if (opts.base) {
            console.log(`bench:graph: exporting ${opts.base} with git archive ...`);
            const commit = await exportRevision(opts.base, path.join(work, "base"));
            trees.push({ label: `base ${commit}`, root: path.join(work, "base") });
        }
        console.log("bench:graph: copying the working tree ...");
        const head = snapshotWorkingTree(path.join(work, "current"));
        trees.push({ label: `working tree (${head} + changes)`, root: path.join(work, "current") });

        const devFile = DEV_STACK_FILES.find((f) => fs.existsSync(f))!;
        const dev = readStackFile(devFile);
        const stacks: { label: string; file: string }[] = [{ label: "dev", file: path.join(work, "dev.json") }];
        fs.writeFileSync(stacks[0].file, JSON.stringify(toRawConfig(dev)));
        for (const n of opts.sizes) {
            const file = path.join(work, `edge-${n}.json`);
            fs.writeFileSync(file, JSON.stringify(toRawConfig(syntheticStack(dev, n))));
            stacks.push({ label: `${n.toLocaleString("en")} edge machines`, file });
        }

        for (const tree of trees) {
            const launch = programLoaderArgs(tree.root);
            console.log(`bench:graph: ${tree.label} runs its program in ${path.relative(tree.root, launch.cwd) || "."}/ with ${launch.loader} (its Pulumi.yaml)`);
        }
        const cpus = os.cpus();
        console.log(`bench:graph: ${cpus.length} × ${cpus[0]?.model ?? "CPU"}, Node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
        console.log(`bench:graph: dev stack from ${path.relative(ROOT, devFile)}; ${stacks.length} stacks × ${trees.length} trees × ${opts.runs} runs`);

        const rows: Row[] = [];
        const total = stacks.length * trees.length * opts.runs;
        let done = 0;
        for (const stack of stacks) {
            for (const tree of trees) {
                rows.push({ stack: stack.label, tree: tree.label, runs: [] });
            }
            for (let run = 1; run <= opts.runs; run++) {
                for (const tree of trees) {
                    const row = rows.find((r) => r.stack === stack.label && r.tree === tree.label)!;
                    done++;
                    const prefix = `[${done}/${total}] ${stack.label}, ${tree.label}, run ${run}/${opts.runs}`;
                    if (row.error) {
                        console.log(`${prefix}: skipped (failed before)`);
                        continue;
                    }
                    try {
                        const r = await measure(tree, stack.file, opts.timeoutSeconds);
                        row.runs.push(r);
                        console.log(`${prefix}: ${r.resources} resources, program ${seconds(r.programMs)} s (cpu ${seconds(r.programCpuMs)} s), peak ${mb(r.maxRssBytes)} MB`);
                    } catch (err) {
                        row.error = (err as Error).message;
                        console.log(`${prefix}: FAILED\n${row.error}`);
                    }
                }
            }
        }
        console.log(`\nbench:graph: load at the end ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}; medians of ${opts.runs} runs:\n`);
        console.log(report(rows, trees.map((t) => t.label)));
        if (opts.json) {
            fs.writeFileSync(opts.json, `${JSON.stringify({ node: process.version, cpus: cpus.length, rows }, null, 2)}\n`);
            console.log(`\nbench:graph: raw results in ${opts.json}`);
        }
        if (rows.some((r) => r.error)) {
            process.exitCode = 1;
        }
    } finally {
        cleanup();
    }
}

if (require.main === module) {
    main().catch((err: Error) => {
        console.error(`bench:graph: ${err.message}`);
        process.exit(1);
    });
}
