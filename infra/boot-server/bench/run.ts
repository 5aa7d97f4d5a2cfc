/**
 * Boot service benchmark: nginx serving a static file of the machine script's size (the
 * ceiling for "answer a small GET") and a minimal Fastify app with the service's logging (the
 * ceiling for any Node.js endpoint here) against the boot service's own endpoints, driven by
 * autocannon on this machine. Not a test: it asserts nothing, it measures and reports.
 *
 *   npm run bench:boot -- [--duration 10] [--connections 100] [--config-requests 5000] [--latency-requests 500]
 *                         [--only <targets>] [--cpu-prof <dir>] [--store pglite|postgres] [--cold-starts 3]
 *
 * Everything binds 127.0.0.1 and lives in a temporary directory; nginx and the service are
 * stopped, in reverse order of starting, on success, on error and on Ctrl-C/SIGTERM
 * (infra/process). Beside this file: options.ts (command line), inventory.ts (inputs),
 * servers.ts (what is measured), load.ts (autocannon), report.ts (table and verdicts).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import autocannon = require("autocannon");
import { Teardown } from "../../process/processes";
import { benchInventory, ENROLLED_MACHINE, machinePath, MACHINES_PER_SITE, SCRIPT_MACHINE, siteAuthHeaders } from "./inventory";
import { type CpuReader, localPostgresServer, processTreeCpu } from "./cpu-budget";
import { type CpuProbes, measure, preIssueTickets } from "./load";
import { databaseWhere, Options, parseOptions, Target, USAGE, UsageError } from "./options";
import { ColdStartRound, measureColdStarts } from "./cold-start";
import { coldStartReport, cpuBudgetLines, machineDescription, markdownTable, Row, verdicts } from "./report";
import { freshSchema, nginxVersion, ServiceStore, startBootService, startHello, startNginx, writeServiceFiles } from "./servers";

const log = (line: string): void => {
    process.stdout.write(`${line}\n`);
};

async function main(argv: string[], teardown: Teardown, signal: AbortSignal): Promise<number> {
    let options: Options | "help";
    try {
        options = parseOptions(argv);
    } catch (err) {
        if (err instanceof UsageError) {
            process.stderr.write(`bench: ${err.message}\n\n${USAGE}\n`);
            return 2;
        }
        throw err;
    }
    if (options === "help") {
        log(USAGE);
        return 0;
    }
    const nginx = nginxVersion();
    if (!nginx) {
        process.stderr.write("bench: nginx not found (PATH or /usr/sbin/nginx): apt-get install nginx (it is listed in scripts/apt-packages.txt)\n");
        return 2;
    }
    const o = options;
    log(`machine: ${machineDescription(nginx)}`);
    if (os.loadavg()[0] > os.cpus().length / 2) {
        log(`  note: the machine is busy (1-minute load ${os.loadavg()[0].toFixed(2)}); numbers will be lower and noisier than on an idle machine`);
    }
    log(`options: duration ${o.duration} s, connections ${o.connections}, config requests ${o.configRequests}, latency requests ${o.latencyRequests}, store ${o.store}, max batch ${o.maxBatch}, ${o.maxInFlight} in flight`);

    const dir = teardown.tempDir("boot-bench-");

    // Spare tickets: autocannon may prepare a request or two beyond `amount` per connection.
    const spare = 2 * o.connections + 2;
    const ticketCount = o.configRequests + o.latencyRequests + spare;
    const inv = benchInventory(ticketCount);
    const files = writeServiceFiles(dir, inv);
    let store: ServiceStore = { kind: "pglite" };
    /** The database server's CPU, when it runs on this machine (PGlite's is the service's own). */
    let database: CpuReader | undefined;
    if (o.store === "postgres") {
        const schema = await freshSchema(teardown, o.databaseUrl);
        store = { kind: "postgres", url: o.databaseUrl, schema, poolSize: o.poolSize };
        log(`  PostgreSQL at ${databaseWhere(o.databaseUrl)}, fresh schema ${schema} (dropped at the end), pool of ${o.poolSize}`);
        const server = await localPostgresServer(o.databaseUrl);
        if ("pid" in server) {
            database = processTreeCpu(server.pid);
            log(`  database CPU: read from /proc for the postmaster (pid ${server.pid}) and every process under it`);
        } else {
            log(`  database CPU: not measured (${server.unavailable}); it costs this machine's cores nothing`);
        }
    }
    const batching = o.maxBatch === 1 ? "every call alone" : `batches of up to ${o.maxBatch}, ${o.maxInFlight} in flight per operation`;
    const storeName = `${store.kind === "postgres" ? `PostgreSQL (pool ${store.poolSize})` : "in-memory PGlite"}, ${batching}`;
    let coldStarts: ColdStartRound[] | undefined;
    if (o.targets.has("cold-start")) {
        coldStarts = await measureColdStarts(teardown, dir, inv, files, store, o.coldStarts);
    }
    log(`> starting the boot service (inventory: ${ticketCount + 2} machines in ${Math.ceil(ticketCount / MACHINES_PER_SITE)} sites, static keys, ${storeName})`);
    if (o.cpuProfDir !== undefined) {
        fs.mkdirSync(o.cpuProfDir, { recursive: true });
        log(`  CPU profiles of the boot service and node-hello go to ${o.cpuProfDir} when they stop (numbers are lower while profiling)`);
    }
    const svc = await startBootService(teardown, dir, inv, files, store, o.cpuProfDir, { maxBatch: o.maxBatch, maxInFlight: o.maxInFlight });
    const base = `http://127.0.0.1:${svc.port}`;
    log(`  boot service on ${base}`);

    const scriptSite = inv.settings.sites[0].name;
    const scriptPath = machinePath(scriptSite, SCRIPT_MACHINE);
    const headers = siteAuthHeaders(scriptSite, inv.siteTokens[scriptSite]);
    const sample = await fetch(base + scriptPath, { headers });
    const sampleBody = Buffer.from(await sample.arrayBuffer());
    if (sample.status !== 200 || !sampleBody.toString().includes("talos.config=")) {
        throw new Error(`machine script request failed: HTTP ${sample.status}`);
    }
    log(`  machine script: ${sampleBody.length} bytes`);

    // A machine that has enrolled: one config fetch, after which its machine script only exits.
    const enrolledPath = machinePath(scriptSite, ENROLLED_MACHINE);
    const enrolledTicket = /\/v1\/config\/([A-Za-z0-9_-]{43})/.exec(await (await fetch(base + enrolledPath, { headers })).text())?.[1];
    const enrolledConfig = enrolledTicket ? await fetch(`${base}/v1/config/${enrolledTicket}`) : undefined;
    await enrolledConfig?.arrayBuffer();
    const localBoot = await (await fetch(base + enrolledPath, { headers })).text();
    if (enrolledConfig?.status !== 200 || !/\nexit 1\n/.test(localBoot)) {
        throw new Error("enrolling the machine-enrolled target failed: its machine script is not the local-boot answer");
    }

    const want = (t: Target): boolean => o.targets.has(t);
    // Every row reads the database's CPU too: whatever it does meanwhile (autovacuum, checkpoints) is this machine's.
    const service: CpuProbes = { server: svc.cpuMicros, database };
    const rows: Row[] = [];
    if (want("nginx-static")) {
        log("> starting nginx");
        const ng = await startNginx(teardown, dir, sampleBody);
        log(`  nginx on 127.0.0.1:${ng.port}, serving ${sampleBody.length} bytes`);
        rows.push(await measure("nginx-static", { url: `http://127.0.0.1:${ng.port}/machine.ipxe`, connections: o.connections, duration: o.duration }, signal, { database }));
    }
    if (want("node-hello")) {
        log("> starting the node-hello reference (minimal Fastify, the service's logging setup)");
        const hello = await startHello(teardown, dir, sampleBody.length, o.cpuProfDir);
        log(`  node-hello on 127.0.0.1:${hello.port}, answering ${sampleBody.length} bytes`);
        rows.push(await measure("node-hello", { url: `http://127.0.0.1:${hello.port}/hello`, connections: o.connections, duration: o.duration }, signal, { server: hello.cpuMicros, database }));
    }
    if (want("site-script")) {
        rows.push(
            await measure(
                "site-script",
                { url: `${base}/v1/sites/${scriptSite}/boot.ipxe`, headers, connections: o.connections, duration: o.duration },
                signal,
                service,
            ),
        );
    }
    if (want("machine-script")) {
        // One known machine after another, as when a site boots: asking for one machine's ticket
        // over and over would measure the per-machine ticket limit and the row lock on its tickets.
        let nextMachine = 0;
        const machineRequest: autocannon.AutocannonRequest = {
            method: "GET",
            setupRequest: (req) => {
                const m = inv.ticketMachines[nextMachine++ % inv.ticketMachines.length];
                return { ...req, path: machinePath(m.site, m), headers: siteAuthHeaders(m.site, inv.siteTokens[m.site]) };
            },
        };
        rows.push(await measure("machine-script", { url: base, connections: o.connections, duration: o.duration, requests: [machineRequest] }, signal, service));
    }
    if (want("machine-enrolled")) {
        rows.push(await measure("machine-enrolled", { url: base + enrolledPath, headers, connections: o.connections, duration: o.duration }, signal, service));
    }
    if (want("config") || want("config-1conn")) {
        log(`> pre-issuing ${ticketCount} tickets through the machine endpoint`);
        const tickets = await preIssueTickets(base, inv, o.connections);

        // One fetch checks the config path end to end before it is measured.
        const check = await fetch(`${base}/v1/config/${tickets.pop()}`);
        const checkBody = await check.text();
        if (check.status !== 200 || !checkBody.includes("ExtensionServiceConfig")) {
            throw new Error(`config request failed: HTTP ${check.status}`);
        }
        log(`  config: ${Buffer.byteLength(checkBody)} bytes of YAML`);

        const configRequest = (): autocannon.AutocannonRequest => ({
            method: "GET",
            setupRequest: (req) => {
                const ticket = tickets.pop();
                return ticket === undefined ? undefined : { ...req, path: `/v1/config/${ticket}` };
            },
        });
        if (want("config")) {
            rows.push(await measure("config", { url: base, connections: o.connections, amount: o.configRequests, requests: [configRequest()] }, signal, service));
        }
        if (want("config-1conn")) {
            rows.push(await measure("config-1conn", { url: base, connections: 1, amount: o.latencyRequests, requests: [configRequest()] }, signal, service));
        }
    }

    log("");
    log(`## Results (${new Date().toISOString()})`);
    log("");
    log(`Machine: ${machineDescription(nginx)}`);
    log("");
    log(`Store: ${storeName}`);
    log("");
    if (coldStarts) {
        for (const line of coldStartReport(coldStarts, storeName)) log(line);
        log("");
    }
    log(markdownTable(rows));
    log("");
    for (const line of verdicts(rows)) log(line);
    for (const line of cpuBudgetLines(rows)) log(line);
    return 0;
}

if (require.main === module) {
    const teardown = new Teardown((msg) => process.stderr.write(`bench: ${msg}\n`));
    const interrupt = new AbortController();
    // A signal stops the load at once; teardown then runs and the process exits with 128 + the signal number.
    teardown.exitOnSignals((signal) => {
        process.stderr.write(`\nbench: ${signal}: stopping load and tearing down nginx and the boot service\n`);
        interrupt.abort(new Error(`interrupted by ${signal}`));
    });
    main(process.argv.slice(2), teardown, interrupt.signal)
        .then(async (code) => {
            if (interrupt.signal.aborted) return; // the signal handler tears down and exits
            await teardown.run();
            process.exit(code);
        })
        .catch(async (err: Error) => {
            if (interrupt.signal.aborted) return;
            process.stderr.write(`bench: ${err.message}\n`);
            await teardown.run();
            process.exit(1);
        });
}
