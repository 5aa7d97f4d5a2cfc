/**
 * The boot service as the benchmark runs it: its own process (so the load generator does not
 * share its event loop), loaded through the real settings path, with embedded in-memory PGlite
 * or PostgreSQL (a schema of its own, as production runs it), the static key backend, listening on 127.0.0.1 on a free port. Started by bench/run.ts over
 * an IPC channel; exits when the parent goes away.
 *
 * Two deliberate deviations from production: the per-address rate limit is raised out of reach,
 * because all benchmark traffic comes from 127.0.0.1, and the per-machine ticket interval is cut
 * to 1 µs, because the machine-script target asks for one machine's ticket over and over. Both
 * limiters still run on every request.
 *
 * Usage (by run.ts only): node -r ts-node/register/transpile-only server-child.ts <input.json>
 *   input.json: {settingsFile, baseConfigFile, siteTokens: {...}, staticKeys: {...}, logFile,
 *                store: {kind: "pglite"} | {kind: "postgres", url, schema, poolSize}, batchLimits?}
 */
import * as fs from "node:fs";
import type { AddressInfo } from "node:net";
import { buildApp } from "../src/app";
import { createKeyMinter } from "../src/keys";
import { loadBootEnvironment } from "../src/settings";
import { createStore } from "../src/store";
import type { BatchLimits } from "../src/store/batch";
import { answerCpuQueries, type ChildMessage, endLog, productionLogDestination } from "./child-messages";

interface ChildInput {
    settingsFile: string;
    baseConfigFile: string;
    siteTokens: Record<string, string>;
    staticKeys: Record<string, string>;
    logFile: string;
    store: { kind: "pglite" } | { kind: "postgres"; url: string; schema: string; poolSize: number };
    /** How the store coalesces calls; absent = the production default. */
    batchLimits?: BatchLimits;
}

function send(msg: ChildMessage): void {
    process.send?.(msg);
}

async function main(): Promise<void> {
    const inputPath = process.argv[2];
    if (!inputPath || !process.send) {
        process.stderr.write("server-child.ts is started by bench/run.ts (npm run bench:boot), not by hand\n");
        process.exit(2);
    }
    const input = JSON.parse(fs.readFileSync(inputPath, "utf8")) as ChildInput;
    const { settings, secrets } = loadBootEnvironment({
        BOOT_SETTINGS_FILE: input.settingsFile,
        BOOT_BASE_CONFIG_FILE: input.baseConfigFile,
        BOOT_SITE_TOKENS: JSON.stringify(input.siteTokens),
        BOOT_STATIC_KEYS: JSON.stringify(input.staticKeys),
    });
    settings.rateLimitPerMinute = Number.MAX_SAFE_INTEGER;
    settings.machineTicketIntervalSeconds = 1e-6;

    const s = input.store;
    const store = await createStore(
        s.kind === "postgres"
            ? {
                  databaseUrl: s.url,
                  databaseSchema: s.schema,
                  databasePoolSize: s.poolSize,
                  batchLimits: input.batchLimits,
                  onError: (err) => process.stderr.write(`database connection error: ${err.message}\n`),
              }
            : { batchLimits: input.batchLimits },
    );
    const minter = createKeyMinter(settings.keyBackend, secrets.keys);
    const log = productionLogDestination(input.logFile);
    const app = await buildApp({ settings, secrets, store, minter, logSink: log });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const port = (app.server.address() as AddressInfo).port;

    let stopping = false;
    const stop = (): void => {
        if (stopping) return;
        stopping = true;
        const force = setTimeout(() => process.exit(1), 5000);
        force.unref();
        app.close()
            .then(() => store.close())
            .finally(() => endLog(log));
    };
    answerCpuQueries();
    process.on("disconnect", stop);
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    send({ type: "ready", port });
}

main().catch((err: Error) => {
    send({ type: "error", message: err.message });
    process.exit(1);
});
