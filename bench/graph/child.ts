/**
 * One graph-benchmark measurement, in its own process so peak memory is this run's alone.
 * Started by bench/graph/run.ts the way the tree's Pulumi.yaml has `pulumi up` start the program
 * (working directory `main`, its `nodeargs` TypeScript loader, or ts-node transpile-only for a
 * tree that still says `typescript: true`); not meant to be run by hand.
 *
 *   cd stacks && node --require=talos-cloud-edge-typescript-loader ../bench/graph/child.ts <treeRoot> <rawConfig.json>
 *
 * It installs the tree's own test mocks (test/mocks.ts, what its program tests use), sets the
 * raw stack config, loads the tree's program entry (stacks/index.ts), calls it when it is a
 * function (as Pulumi's host does) and waits until every resource registration has reached the
 * mock monitor. The result goes to the parent over IPC.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";

/** What one run reports to the parent. */
export interface ChildResult {
    /** Registered resources (components included), as the mock monitor saw them. */
    resources: number;
    /** Milliseconds from loading the program entry until the last registration settled. */
    programMs: number;
    /** Milliseconds from process start until the last registration settled. */
    totalMs: number;
    /** CPU milliseconds (user + system) this process spent in the same span as programMs. */
    programCpuMs: number;
    /** Peak resident set size of this process, bytes. */
    maxRssBytes: number;
}

async function main(): Promise<void> {
    const [root, configFile] = process.argv.slice(2);
    if (!root || !configFile) {
        throw new Error("usage: child.ts <treeRoot> <rawConfig.json> (started by bench/graph/run.ts)");
    }
    const fromTree = (p: string) => require(path.join(root, p));
    const pulumi = fromTree("node_modules/@pulumi/pulumi");
    const settings = fromTree("node_modules/@pulumi/pulumi/runtime/settings");
    const mocksModule = fromTree("test/mocks");
    const raw = JSON.parse(fs.readFileSync(configFile, "utf8")) as { values: Record<string, string>; secretKeys: string[] };

    void pulumi.runtime.setMocks(mocksModule.mocks, "talos-cloud-edge", "dev", false);
    pulumi.runtime.setAllConfig(raw.values, raw.secretKeys);

    const start = performance.now();
    const cpuStart = process.cpuUsage();
    // Since the entry became an async function (stacks/turns.ts) it is called and awaited, as
    // Pulumi's Node.js host does; an older tree's entry declares everything while it loads.
    const entry = fromTree("stacks/index");
    if (typeof entry === "function") {
        await entry();
    }
    await settings.waitForRPCs();
    const end = performance.now();
    const cpu = process.cpuUsage(cpuStart);

    const result: ChildResult = {
        resources: mocksModule.registered.length,
        programMs: end - start,
        totalMs: end,
        programCpuMs: (cpu.user + cpu.system) / 1000,
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
    };
    process.send!(result);
}

main().catch((err: Error) => {
    process.stderr.write(`bench child: ${err.stack ?? err.message}\n`);
    process.exit(1);
});
