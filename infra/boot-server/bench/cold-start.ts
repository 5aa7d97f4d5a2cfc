/**
 * Cold start: process spawn to the first answer, for the production bundle (`node server.js`,
 * built by build.ts, no ts-node) with the bench inventory and the chosen store, beside a bare
 * Node.js HTTP server started the same way. Rounds are interleaved (bare, service, bare, …) so
 * that both see the same machine load; the ratio and the service's own CPU time (from its
 * `ready` line) say more than the wall-clock figures on a busy machine.
 */
import * as http from "node:http";
import * as path from "node:path";
import { buildBootServerBundle } from "../build";
import { freePort, ManagedProcess, sleep, stopProcess, Teardown } from "../../process/processes";
import { type BenchInventory, ENROLLED_MACHINE, SCRIPT_MACHINE } from "./inventory";
import type { ServiceFiles, ServiceStore } from "./servers";

const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
};

/** Longest a start may take before the run fails (ms). */
const START_TIMEOUT_MS = 60_000;
/** Pause between probes of a starting process (ms). */
const PROBE_INTERVAL_MS = 5;

/** One round of the cold-start target (milliseconds). */
export interface ColdStartRound {
    /** Bare `http.createServer`: spawn to first 200. */
    bareMs: number;
    /** The bundle: spawn to first `/healthz` 200. */
    serviceMs: number;
    /** The service's own `ready` line: process uptime when it listened, and CPU used by then. */
    readyMs?: number;
    readyCpuMs?: number;
}

/** A bare Node.js HTTP server: what any Node.js process costs to start and answer. */
const BARE_SERVER = `require("node:http").createServer((q, s) => s.end("ok")).listen(Number(process.env.PORT), "127.0.0.1")`;

/** One GET with a fresh connection; resolves with the status, or undefined while nothing listens. */
function probe(port: number, urlPath: string): Promise<number | undefined> {
    return new Promise((resolve) => {
        const req = http.get({ host: "127.0.0.1", port, path: urlPath, agent: false, timeout: 2000 }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode));
        });
        req.on("error", () => resolve(undefined));
        req.on("timeout", () => req.destroy());
    });
}

/** Spawns `args` and times spawn -> first 200 on `urlPath`; stops the process again. */
async function timeStart(
    teardown: Teardown,
    name: string,
    args: string[],
    opts: { cwd?: string; env: NodeJS.ProcessEnv; port: number; urlPath: string },
): Promise<{ ms: number; lines: string[] }> {
    const lines: string[] = [];
    const t0 = process.hrtime.bigint();
    const proc: ManagedProcess = teardown.start(name, process.execPath, args, {
        cwd: opts.cwd,
        env: opts.env,
        graceMs: 10_000,
        onLine: (line) => lines.push(line),
    });
    try {
        for (;;) {
            if ((await probe(opts.port, opts.urlPath)) === 200) break;
            if (proc.exitedAlready()) throw new Error(`${name} exited (${await proc.exited}) before answering: ${proc.tail().slice(-3).join(" | ")}`);
            if (Number(process.hrtime.bigint() - t0) / 1e6 > START_TIMEOUT_MS) throw new Error(`${name} did not answer within ${START_TIMEOUT_MS / 1000} s`);
            await sleep(PROBE_INTERVAL_MS);
        }
        return { ms: Number(process.hrtime.bigint() - t0) / 1e6, lines };
    } finally {
        await stopProcess(proc, 10_000);
    }
}

/**
 * The environment `node server.js` gets: what Cloud Run sets, with the bench's files and store.
 * BOOT_STATIC_KEYS carries the two named bench machines' keys only: one environment string may
 * not exceed 128 KiB (Linux), and the others' keys play no part in starting (the service logs one
 * warning line naming how many machines lack one). Production uses a key API, not static keys.
 */
function serviceEnv(inv: BenchInventory, files: ServiceFiles, store: ServiceStore, port: number): NodeJS.ProcessEnv {
    return {
        PATH: process.env.PATH,
        NODE_ENV: "production",
        BOOT_SETTINGS_FILE: files.settingsFile,
        BOOT_BASE_CONFIG_FILE: files.baseConfigFile,
        BOOT_SITE_TOKENS: JSON.stringify(inv.siteTokens),
        BOOT_STATIC_KEYS: JSON.stringify(Object.fromEntries([SCRIPT_MACHINE.name, ENROLLED_MACHINE.name].map((m) => [m, inv.staticKeys[m]]))),
        ...(store.kind === "postgres"
            ? { BOOT_DATABASE_URL: store.url, BOOT_DATABASE_SCHEMA: store.schema, BOOT_DATABASE_POOL_SIZE: String(store.poolSize) }
            : {}),
        PORT: String(port),
        HOST: "127.0.0.1",
    };
}

/** Builds the bundle into `dir`/bundle, then runs `rounds` interleaved rounds. */
export async function measureColdStarts(
    teardown: Teardown,
    dir: string,
    inv: BenchInventory,
    files: ServiceFiles,
    store: ServiceStore,
    rounds: number,
): Promise<ColdStartRound[]> {
    log("> cold-start: building the production bundle (build.ts)");
    const bundle = await buildBootServerBundle(path.join(dir, "bundle"));
    const out: ColdStartRound[] = [];
    for (let i = 1; i <= rounds; i++) {
        const barePort = await freePort();
        const bare = await timeStart(teardown, "bare Node.js server", ["-e", BARE_SERVER], {
            env: { PATH: process.env.PATH, PORT: String(barePort) },
            port: barePort,
            urlPath: "/",
        });
        const port = await freePort();
        const svc = await timeStart(teardown, "boot service bundle", ["server.js"], { cwd: bundle, env: serviceEnv(inv, files, store, port), port, urlPath: "/healthz" });
        const ready = svc.lines.map((l) => (l.startsWith("{") ? (JSON.parse(l) as Record<string, unknown>) : {})).find((l) => l.message === "ready");
        const round: ColdStartRound = {
            bareMs: bare.ms,
            serviceMs: svc.ms,
            readyMs: typeof ready?.startupMs === "number" ? ready.startupMs : undefined,
            readyCpuMs: typeof ready?.startupCpuMs === "number" ? ready.startupCpuMs : undefined,
        };
        log(
            `  cold-start ${i}/${rounds}: bare Node.js ${round.bareMs.toFixed(0)} ms, boot service ${round.serviceMs.toFixed(0)} ms to /healthz` +
                ` (its ready line: ${round.readyMs ?? "?"} ms uptime, ${round.readyCpuMs ?? "?"} ms CPU)`,
        );
        out.push(round);
    }
    return out;
}
