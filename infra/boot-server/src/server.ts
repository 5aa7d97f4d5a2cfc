/**
 * Entry point: read the environment, open the store, build the key minter and the app, listen,
 * and shut down gracefully on SIGTERM/SIGINT (stop accepting, finish in-flight requests, close
 * the store). Run `--help` for the environment it reads.
 *
 *   npm run boot-server                       (from the repository root, via ts-node)
 *   node dist/server.js                       (the esbuild bundle, as on Cloud Run)
 */
import type { FastifyInstance } from "fastify";
import { buildApp } from "./app";
import { createKeyMinter } from "./keys";
import { loadBootEnvironment, SettingsError } from "./settings";
import { createStore } from "./store";
import type { BootStore } from "./store/types";

export const USAGE = `talos-cloud-edge boot service: iPXE scripts and single-use Talos machine configs for edge sites.

Usage: node server.js            (or: npm run boot-server)
       node server.js --help

Environment:
  BOOT_SETTINGS           JSON settings (inventory, boot assets, limits, key backend); see
                          BootSettingsInput in model/bootContract.ts. Or BOOT_SETTINGS_FILE=<path>.
  BOOT_INVENTORY_FILE     path of a JSON file {"sites": [...]}: the inventory, instead of
                          BOOT_SETTINGS.sites (what the stack deploys: inventory.json in the bundle)
  BOOT_BASE_CONFIG        secret: the cluster's Talos worker config (multi-document YAML).
                          Or BOOT_BASE_CONFIG_FILE=<path>.
  BOOT_SITE_TOKENS        secret: JSON {"<site>": "<token>"}; tokens 22-128 chars of A-Za-z0-9._~-
  TS_OAUTH_CLIENT_ID      secret: Tailscale OAuth client (keyBackend.kind "tailscale")
  TS_OAUTH_CLIENT_SECRET  secret: Tailscale OAuth client secret
  HEADSCALE_API_KEY       secret: Headscale API key (keyBackend.kind "headscale")
  BOOT_STATIC_KEYS        secret: JSON {"<machine>": "<auth key>"} (keyBackend.kind "static")
  BOOT_DATABASE_URL       secret: postgres://user:pass@host:5432/db; unset = embedded PGlite
  BOOT_DATABASE_SCHEMA    PostgreSQL schema for the tables (default public)
  BOOT_DATABASE_POOL_SIZE PostgreSQL connections per instance, 1..100 (default 10; one more is
                          held for the instance's claim holder lock)
  BOOT_DATA_DIR           PGlite data directory; unset = in memory (records lost on exit)
  BOOT_ADMIN_TOKEN        secret: bearer credential of the read-only admin API (/v1/admin/...);
                          22-128 chars of A-Za-z0-9._~-, never a site token; unset = admin API off
  BOOT_VM_IDENTITY_KEY    secret: the stack's VM identity key, 32-256 printable characters; the
                          SMBIOS UUID and serial of each inventory machine marked derivedIdentity
                          (a VM the stack creates) are derived from it. Required when any is marked.
  PORT                    listen port (default 8080)
  HOST                    listen address (default 0.0.0.0)

Logs: one JSON object per line on stdout (Cloud Logging fields severity/message/time);
audit events carry an "event" field. Secrets never appear in them.
`;

/** Tickets are kept this long past expiry (so a late replay is still reported as such), then purged. */
const TICKET_RETENTION_MS = 24 * 3600 * 1000;
const PURGE_INTERVAL_MS = 10 * 60 * 1000;
/** Cloud Run allows 10 s between SIGTERM and SIGKILL. */
export const CLOUD_RUN_SIGTERM_GRACE_MS = 10_000;
/**
 * In-flight requests get this long after SIGTERM, then the process exits by itself. A config
 * fetch needs at most MINT_BUDGET_MS for its key plus a few store calls, so it completes (or is
 * answered 503 with its claim released) in time; whatever is still open at the deadline is
 * recovered by the claim's holder check on the next fetch (http/config.ts).
 */
export const SHUTDOWN_GRACE_MS = 9000;

function logLine(severity: "INFO" | "WARNING" | "ERROR", message: string, fields: Record<string, unknown> = {}): void {
    process.stdout.write(
        `${JSON.stringify({ severity, level: severity.toLowerCase(), time: new Date().toISOString(), service: "talos-boot-server", message, ...fields })}\n`,
    );
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
    if (argv.includes("--help") || argv.includes("-h")) {
        process.stdout.write(USAGE);
        return;
    }
    if (argv.length > 0) {
        process.stderr.write(`boot-server: unexpected arguments: ${argv.join(" ")}\n\n${USAGE}`);
        process.exitCode = 2;
        return;
    }

    let env: ReturnType<typeof loadBootEnvironment>;
    try {
        env = loadBootEnvironment(process.env);
    } catch (err) {
        if (err instanceof SettingsError) {
            process.stderr.write(`boot-server: ${err.message}\n`);
            process.exitCode = 2;
            return;
        }
        throw err;
    }
    const { settings, secrets, runtime } = env;
    logLine("INFO", "configuration loaded", {
        sites: settings.sites.map((s) => ({ site: s.name, machines: s.machines.length })),
        keyBackend: settings.keyBackend.kind,
        store: secrets.databaseUrl ? "postgres" : runtime.dataDir ? "pglite-disk" : "pglite-memory",
        publicUrl: settings.publicUrl ?? "(derived from requests)",
        adminApi: secrets.adminToken !== undefined ? "on" : "off (BOOT_ADMIN_TOKEN unset)",
    });

    if (settings.keyBackend.kind === "static") {
        const keyed = new Set(Object.keys(secrets.keys.staticKeys ?? {}));
        const missing = settings.sites.flatMap((s) => s.machines.map((m) => m.name)).filter((m) => !keyed.has(m));
        if (missing.length > 0) {
            // Named up to a point: one log line, whatever the inventory's size.
            logLine("WARNING", "machines without a key in BOOT_STATIC_KEYS cannot enroll", { count: missing.length, machines: missing.slice(0, 50) });
        }
    }

    const minter = createKeyMinter(settings.keyBackend, secrets.keys);
    logLine("INFO", "opening store");
    const store: BootStore = await createStore({
        databaseUrl: secrets.databaseUrl,
        databaseSchema: runtime.databaseSchema,
        databasePoolSize: runtime.databasePoolSize,
        dataDir: runtime.dataDir,
        onError: (err) => logLine("ERROR", "database connection error", { error: err.message }),
    });
    let app: FastifyInstance;
    try {
        app = await buildApp({ settings, secrets, store, minter });
        await app.listen({ port: runtime.port, host: runtime.host });
    } catch (err) {
        await store.close().catch(() => undefined);
        throw err;
    }
    const cpu = process.cpuUsage();
    logLine("INFO", "ready", {
        machines: settings.sites.reduce((n, s) => n + s.machines.length, 0),
        // From process start (Node's own clock), so it includes loading the bundle; and the CPU
        // time spent so far, which does not depend on what else the machine is running.
        startupMs: Math.round(process.uptime() * 1000),
        startupCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    });

    const purge = setInterval(() => {
        store
            .purgeTickets(new Date(Date.now() - TICKET_RETENTION_MS))
            .then((n) => n > 0 && app.log.info({ purged: n }, "expired tickets purged"))
            .catch((err: Error) => app.log.error({ err: { message: err.message } }, "ticket purge failed"));
    }, PURGE_INTERVAL_MS);
    purge.unref();

    let stopping = false;
    const shutdown = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        app.log.info({ signal }, "shutting down: no new connections, finishing in-flight requests");
        clearInterval(purge);
        const force = setTimeout(() => {
            app.log.error("shutdown grace period over; exiting with requests still open");
            process.exit(1);
        }, SHUTDOWN_GRACE_MS);
        force.unref();
        // Every request has been answered and every claim completed or released once the store
        // has closed; a key mint abandoned past its budget may still hold a socket, and is not
        // waited for (its key is never served).
        app.close()
            .then(() => store.close())
            .then(() => {
                app.log.info("stopped");
                process.exit(0);
            })
            .catch((err: Error) => {
                app.log.error({ err: { message: err.message } }, "error during shutdown");
                process.exit(1);
            });
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
}

if (require.main === module) {
    main().catch((err: Error) => {
        // Startup failures here come from the store or the minter, whose messages carry no secrets.
        logLine("ERROR", "boot service failed to start", { error: err.message });
        process.exit(1);
    });
}
