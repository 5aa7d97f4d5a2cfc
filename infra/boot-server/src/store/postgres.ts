/**
 * PostgreSQL store: what the stack deploys (Cloud SQL), and what several instances share. Every
 * instance sees the same tickets, so single use holds across instances, and claims, enrollment
 * records and pending machines outlive crashes, restarts and revisions.
 */
import { Pool, PoolConfig } from "pg";
import type { BatchLimits } from "./batch";
import { HolderLock } from "./holder";
import { SqlBootStore, SqlExecutor } from "./sql";

export interface PostgresStoreOptions {
    /** postgres:// URL (secret: never logged). */
    connectionString: string;
    /** Schema to keep the tables in; created if missing. Default "public". Tests use a throwaway one. */
    schema?: string;
    /** Pool size. Default 10. Each store also holds one more connection for its claim holder lock. */
    maxConnections?: number;
    /** Called with pool errors on idle connections (which would otherwise crash the process). */
    onError?: (err: Error) => void;
    /** How concurrent ticket calls are coalesced into one statement (store/batch.ts). Default DEFAULT_BATCH_LIMITS. */
    batchLimits?: BatchLimits;
}

export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function createPostgresStore(opts: PostgresStoreOptions): Promise<SqlBootStore> {
    const schema = opts.schema ?? "public";
    if (!SCHEMA_NAME.test(schema)) throw new Error(`postgres store: schema name must match ${SCHEMA_NAME}`);
    const config: PoolConfig = {
        connectionString: opts.connectionString,
        max: opts.maxConnections ?? 10,
        connectionTimeoutMillis: 5000,
        idleTimeoutMillis: 30_000,
        // A refused request must stay cheap even when the database is slow (Talos retries for 3 h).
        statement_timeout: 10_000,
        application_name: "talos-boot-server",
        options: `-c search_path=${schema}`,
    };
    const onError = (err: Error): void => opts.onError?.(err);
    const pool = new Pool(config);
    pool.on("error", onError);
    let holderLock: HolderLock | undefined;
    const executor: SqlExecutor = {
        async query(text, params = []) {
            const result = await pool.query(text, [...params]);
            return result.rows as Record<string, unknown>[];
        },
        async runSchema(lockId, script) {
            const client = await pool.connect();
            try {
                await client.query("BEGIN");
                await client.query(`SELECT pg_advisory_xact_lock(${Number(lockId)})`);
                if (schema !== "public") await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
                await client.query(script);
                await client.query("COMMIT");
            } catch (err) {
                await client.query("ROLLBACK").catch(() => undefined);
                throw err;
            } finally {
                client.release();
            }
        },
        async close() {
            await holderLock?.close();
            await pool.end();
        },
    };
    try {
        holderLock = await HolderLock.acquire({ ...config, application_name: "talos-boot-server holder" }, onError);
        const store = new SqlBootStore("postgres", executor, { holder: holderLock.holder, sessionLocks: true }, opts.batchLimits);
        await store.migrate();
        return store;
    } catch (err) {
        await holderLock?.close();
        await pool.end().catch(() => undefined);
        throw err;
    }
}
