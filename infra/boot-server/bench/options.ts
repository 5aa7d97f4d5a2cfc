/** Command-line options of `npm run bench:boot` (pure: parsing only). */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_BATCH_LIMITS } from "../src/store/batch";

export const USAGE = `Boot service benchmark (nginx static file and a minimal Fastify app vs. the boot service's endpoints).

Usage: npm run bench:boot -- [options]

Options:
  --duration <s>            seconds per duration-based target (1..120, default 10)
  --connections <n>         concurrent connections (1..1000, default 100)
  --config-requests <n>     config fetches at --connections, one pre-issued ticket each
                            (100..100000, default 5000); the inventory gets this many machines
  --latency-requests <n>    config fetches over ONE connection, to show unloaded latency
                            (10..10000, default 500)
  --only <targets>          comma-separated subset of the targets below (default: all)
  --store <kind>            the service's store: pglite (embedded, in memory; default) or
                            postgres (what production runs: a fresh schema per run in
                            --database-url, dropped at the end)
  --database-url <url>      PostgreSQL for --store postgres (default $BENCH_DATABASE_URL, else
                            the local server over its Unix socket, as the deployed service
                            reaches Cloud SQL; scripts/setup-dev.sh lets the role in there:
                            postgres://talos_boot:talos_boot@localhost/talos_boot_test
                            ?host=/var/run/postgresql)
  --pool-size <n>           PostgreSQL connections of the service (1..100, default 10, as in production)
  --max-batch <n>           most ticket calls the store coalesces into one statement (1..1000,
                            default 64 as in production; 1 = every call alone, as before batching)
  --max-in-flight <n>       most statements of one store operation on their way at once (1..10,
                            default 1 as in production)
  --cold-starts <n>         cold-start rounds (1..20, default 3)
  --cpu-prof <dir>          write V8 CPU profiles of the boot service and node-hello processes
                            (node --cpu-prof, one file each) into <dir> when they exit; open
                            them in Chrome DevTools or summarise them with bench/profile-summary.ts
  -h, --help                this text

Targets, in order:
  cold-start       spawn to first answer: a bare Node.js HTTP server vs. the production bundle
                   (build.ts, \`node server.js\`, the --store chosen) until /healthz answers 200,
                   interleaved, --cold-starts rounds
  nginx-static     nginx (worker_processes auto) serving a file the size of a machine script
  node-hello       a minimal Fastify app (own process, the service's logging setup) answering a
                   fixed body of the same size: the ceiling for any Node.js endpoint here
  site-script      GET /v1/sites/<site>/boot.ipxe (read only: token check + render)
  machine-script   GET /v1/sites/<site>/machine.ipxe for known machines not yet enrolled, one
                   after another (issues a ticket: a write)
  machine-enrolled the same for a machine that already got its config (local-boot answer, no write)
  config           GET /v1/config/<ticket> with a fresh pre-issued ticket per request
                   (claim + key from the static backend + render + complete: the
                   ticket used and the enrollment recorded)
  config-1conn     the same over a single connection

Needs nginx on PATH or at /usr/sbin/nginx (apt-get install nginx; listed in scripts/apt-packages.txt).
Prints progress while running and a markdown table at the end: req/s, latency, and the CPU per
request of the server, of a local PostgreSQL (its postmaster and every process under it, from
/proc) and of the load generator, with how busy the cores were; then the targets, and for the
ticket and config targets the most this machine's cores allow against node-hello.`;

export const TARGETS = ["cold-start", "nginx-static", "node-hello", "site-script", "machine-script", "machine-enrolled", "config", "config-1conn"] as const;
export type Target = (typeof TARGETS)[number];

export type StoreKind = "pglite" | "postgres";
/**
 * Over the Unix socket: the deployed service talks to Cloud SQL through Cloud Run's socket
 * (components/bootDatabase.ts), and a socket costs the service less CPU per statement than TCP.
 */
export const DEFAULT_DATABASE_URL = "postgres://talos_boot:talos_boot@localhost/talos_boot_test?host=/var/run/postgresql";

/** Where a PostgreSQL URL points, for progress lines: host:port, or the socket directory. Never the credentials. */
export function databaseWhere(url: string): string {
    const u = new URL(url);
    const socketDir = u.searchParams.get("host");
    return socketDir?.startsWith("/") ? `socket ${socketDir}` : u.host;
}

export interface Options {
    store: StoreKind;
    /** PostgreSQL URL for `store: "postgres"` (secret-free local default). */
    databaseUrl: string;
    poolSize: number;
    /** Store batch size (store/batch.ts maxBatch); 1 sends every call alone. */
    maxBatch: number;
    /** Store statements per operation on their way at once (store/batch.ts maxInFlight). */
    maxInFlight: number;
    coldStarts: number;
    duration: number;
    connections: number;
    configRequests: number;
    latencyRequests: number;
    targets: ReadonlySet<Target>;
    /** Directory for the service's CPU profile; undefined = no profiling. */
    cpuProfDir?: string;
}

/** A bad command line: printed with the usage text, exit 2. */
export class UsageError extends Error {}

function intOption(value: string | undefined, name: string, min: number, max: number, def: number): number {
    if (value === undefined) return def;
    if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) {
        throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`);
    }
    return Number(value);
}

export function parseOptions(argv: string[]): Options | "help" {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            options: {
                duration: { type: "string" },
                connections: { type: "string" },
                "config-requests": { type: "string" },
                "latency-requests": { type: "string" },
                "cpu-prof": { type: "string" },
                only: { type: "string" },
                store: { type: "string" },
                "database-url": { type: "string" },
                "pool-size": { type: "string" },
                "max-batch": { type: "string" },
                "max-in-flight": { type: "string" },
                "cold-starts": { type: "string" },
                help: { type: "boolean", short: "h" },
            },
            allowPositionals: false,
            strict: true,
        });
    } catch (err) {
        throw new UsageError((err as Error).message);
    }
    if (parsed.values.help) return "help";
    let targets: ReadonlySet<Target> = new Set(TARGETS);
    if (parsed.values.only !== undefined) {
        const wanted = parsed.values.only.split(",").map((t) => t.trim()).filter((t) => t !== "");
        const unknown = wanted.filter((t) => !(TARGETS as readonly string[]).includes(t));
        if (wanted.length === 0 || unknown.length > 0) {
            throw new UsageError(`--only takes a comma-separated list of ${TARGETS.join(", ")} (unknown: ${JSON.stringify(unknown.join(",") || parsed.values.only)})`);
        }
        targets = new Set(wanted as Target[]);
    }
    const store = parsed.values.store ?? "pglite";
    if (store !== "pglite" && store !== "postgres") {
        throw new UsageError(`--store must be pglite or postgres (got ${JSON.stringify(store)})`);
    }
    return {
        targets,
        store,
        databaseUrl: parsed.values["database-url"] ?? process.env.BENCH_DATABASE_URL ?? DEFAULT_DATABASE_URL,
        poolSize: intOption(parsed.values["pool-size"], "pool-size", 1, 100, 10),
        maxBatch: intOption(parsed.values["max-batch"], "max-batch", 1, 1000, DEFAULT_BATCH_LIMITS.maxBatch),
        maxInFlight: intOption(parsed.values["max-in-flight"], "max-in-flight", 1, 10, DEFAULT_BATCH_LIMITS.maxInFlight),
        coldStarts: intOption(parsed.values["cold-starts"], "cold-starts", 1, 20, 3),
        duration: intOption(parsed.values.duration, "duration", 1, 120, 10),
        connections: intOption(parsed.values.connections, "connections", 1, 1000, 100),
        configRequests: intOption(parsed.values["config-requests"], "config-requests", 100, 100_000, 5_000),
        latencyRequests: intOption(parsed.values["latency-requests"], "latency-requests", 10, 10_000, 500),
        cpuProfDir: parsed.values["cpu-prof"] === undefined ? undefined : path.resolve(parsed.values["cpu-prof"]),
    };
}
