/**
 * The servers the benchmark measures, each in its own process and registered for teardown:
 * the boot service (server-child.ts), the node-hello reference (hello-child.ts) and nginx
 * serving a static file. All bind 127.0.0.1 and keep their files in the run's temporary dir.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { BatchLimits } from "../src/store/batch";
import { freePort, run, Teardown, waitForUrl } from "../../process/processes";
import { Client } from "pg";
import { BenchInventory, benchBaseConfig } from "./inventory";
import { databaseWhere } from "./options";
import type { ChildMessage } from "./child-messages";

/** How long a Node.js child may take to say it is ready (ts-node compiles the service first). */
const NODE_CHILD_READY_MS = 120_000;

/**
 * Starts a bench child (server-child.ts, hello-child.ts) with an IPC channel and waits for its
 * "ready" message. The child stops when the channel closes, so it also ends if this process dies.
 */
/** A started bench child: its port, and a query for its CPU time so far (µs). */
export interface NodeChild {
    port: number;
    cpuMicros: () => Promise<number>;
}

function startNodeChild(teardown: Teardown, script: string, inputFile: string, what: string, cpuProfDir?: string): Promise<NodeChild> {
    const profile = cpuProfDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`];
    const child = teardown.start(what, process.execPath, [...profile, "-r", "ts-node/register/transpile-only", path.join(__dirname, script), inputFile], {
        ipc: true,
        env: { ...process.env, NODE_ENV: "production" },
        graceMs: 5000,
        onLine: (line) => process.stderr.write(`  ${what}| ${line}\n`),
    });
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${what} did not become ready within ${NODE_CHILD_READY_MS / 1000} s`)), NODE_CHILD_READY_MS);
        void child.exited.then((code) => {
            clearTimeout(timer);
            reject(new Error(`${what} exited during startup (${code})`));
        });
        const cpuWaiters: Array<(micros: number) => void> = [];
        const cpuMicros = (): Promise<number> =>
            new Promise((answer) => {
                cpuWaiters.push(answer);
                child.child.send({ type: "cpu" });
            });
        child.child.on("message", (msg: ChildMessage) => {
            if (msg.type === "cpu") {
                cpuWaiters.shift()?.(msg.micros);
                return;
            }
            clearTimeout(timer);
            if (msg.type === "ready") resolve({ port: msg.port, cpuMicros });
            else reject(new Error(`${what} failed to start: ${msg.message}`));
        });
    });
}

/** The minimal Fastify reference answering `bodyBytes` bytes on GET /hello (profiled into `cpuProfDir` when given). */
export async function startHello(teardown: Teardown, dir: string, bodyBytes: number, cpuProfDir?: string): Promise<NodeChild> {
    const inputFile = path.join(dir, "hello-input.json");
    fs.writeFileSync(inputFile, JSON.stringify({ bodyBytes, logFile: path.join(dir, "node-hello.log") }), { mode: 0o600 });
    return startNodeChild(teardown, "hello-child.ts", inputFile, "node-hello reference", cpuProfDir);
}

/** Where the service keeps its records: in-memory PGlite, or a PostgreSQL schema of its own. */
export type ServiceStore = { kind: "pglite" } | { kind: "postgres"; url: string; schema: string; poolSize: number };

/**
 * Creates an empty schema `bench_<random>` in the PostgreSQL at `url` and registers dropping it
 * (with everything the service created in it). Throws, naming the URL's host only, when the
 * database cannot be reached.
 */
export async function freshSchema(teardown: Teardown, url: string): Promise<string> {
    const schema = `bench_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const withClient = async (sql: string): Promise<void> => {
        const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
        try {
            await client.connect();
            await client.query(sql);
        } finally {
            await client.end().catch(() => undefined);
        }
    };
    try {
        await withClient(`CREATE SCHEMA ${schema}`);
    } catch (err) {
        throw new Error(`PostgreSQL at ${databaseWhere(url)} not usable for --store postgres: ${(err as Error).message} (set --database-url or BENCH_DATABASE_URL)`);
    }
    teardown.add(`drop PostgreSQL schema ${schema}`, () => withClient(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    return schema;
}

/** The files every start of the service reads: settings, base config. Written once per run. */
export interface ServiceFiles {
    settingsFile: string;
    baseConfigFile: string;
}

export function writeServiceFiles(dir: string, inv: BenchInventory): ServiceFiles {
    const settingsFile = path.join(dir, "settings.json");
    const baseConfigFile = path.join(dir, "base-config.yaml");
    fs.writeFileSync(settingsFile, JSON.stringify(inv.settings), { mode: 0o600 });
    fs.writeFileSync(baseConfigFile, benchBaseConfig(), { mode: 0o600 });
    return { settingsFile, baseConfigFile };
}

/** The boot service with the bench inventory, static keys and the given store. */
export async function startBootService(
    teardown: Teardown,
    dir: string,
    inv: BenchInventory,
    files: ServiceFiles,
    store: ServiceStore,
    cpuProfDir?: string,
    /** How the store coalesces calls (store/batch.ts); absent = the production default. */
    batchLimits?: BatchLimits,
): Promise<NodeChild> {
    const inputFile = path.join(dir, "child-input.json");
    fs.writeFileSync(
        inputFile,
        JSON.stringify({ ...files, siteTokens: inv.siteTokens, staticKeys: inv.staticKeys, logFile: path.join(dir, "boot-service.log"), store, batchLimits }),
        { mode: 0o600 },
    );
    return startNodeChild(teardown, "server-child.ts", inputFile, "boot service", cpuProfDir);
}

/** nginx from PATH, else Debian's location (/usr/sbin is not on every user's PATH). */
function nginxBinary(): string {
    const onPath = run("nginx", ["-v"], { allowFail: true });
    return onPath.status === null && fs.existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
}

/** nginx's version, or undefined when it is not installed. */
export function nginxVersion(): string | undefined {
    const r = run(nginxBinary(), ["-v"], { allowFail: true });
    if (r.status === null) return undefined;
    return (r.stderr || r.stdout).trim().replace(/^nginx version:\s*/, "");
}

function nginxConfig(dir: string, www: string, port: number): string {
    return `daemon off;
master_process on;
worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log ${dir}/nginx-access.log;
    client_body_temp_path ${dir}/nginx-client_body;
    proxy_temp_path ${dir}/nginx-proxy;
    fastcgi_temp_path ${dir}/nginx-fastcgi;
    uwsgi_temp_path ${dir}/nginx-uwsgi;
    scgi_temp_path ${dir}/nginx-scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000;
    keepalive_timeout 5s;
    default_type text/plain;
    server {
        listen 127.0.0.1:${port};
        root ${www};
    }
}
`;
}

/** nginx serving `fileBytes` as /machine.ipxe on a free port; resolves once it answers with them. */
export async function startNginx(teardown: Teardown, dir: string, fileBytes: Buffer): Promise<{ port: number }> {
    const www = path.join(dir, "www");
    fs.mkdirSync(www);
    for (const t of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]) fs.mkdirSync(path.join(dir, `nginx-${t}`));
    fs.writeFileSync(path.join(www, "machine.ipxe"), fileBytes);
    // Workers drop to an unprivileged user when started as root: they must be able to read the tree.
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(www, 0o755);
    fs.chmodSync(path.join(www, "machine.ipxe"), 0o644);
    const port = await freePort();
    const conf = path.join(dir, "nginx.conf");
    fs.writeFileSync(conf, nginxConfig(dir, www, port));
    const nginx = teardown.start("nginx", nginxBinary(), ["-p", dir, "-c", conf, "-e", path.join(dir, "nginx-error.log")], { graceMs: 3000 });
    await waitForUrl(`http://127.0.0.1:${port}/machine.ipxe`, {
        timeoutMs: 10_000,
        process: nginx,
        accept: (status, body) => status === 200 && body.length === fileBytes.length,
    });
    return { port };
}
