/**
 * Embedded store: PGlite (PostgreSQL compiled to WebAssembly) in the service's own process, for
 * local runs and the lab. Needs no server, runs the same SQL as PostgreSQL, and serialises every
 * statement (one connection), which is what makes a single instance's ticket claim atomic. In
 * memory by default; give `dataDir` to keep records across restarts on local disk. Not for
 * several instances (each would have its own database), and not what the stack deploys: a
 * Cloud Run instance's disk is gone with the instance (decision 0011).
 */
import * as crypto from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import type { BatchLimits } from "./batch";
import { SqlBootStore, SqlExecutor } from "./sql";

export interface PgliteStoreOptions {
    /** Directory to keep the database in; default: in memory (gone with the process). */
    dataDir?: string;
    /** How concurrent ticket calls are coalesced into one statement (store/batch.ts). Default DEFAULT_BATCH_LIMITS. */
    batchLimits?: BatchLimits;
}

export async function createPgliteStore(opts: PgliteStoreOptions = {}): Promise<SqlBootStore> {
    const db = opts.dataDir === undefined ? await PGlite.create() : await PGlite.create(opts.dataDir);
    const executor: SqlExecutor = {
        async query(text, params = []) {
            const result = await db.query<Record<string, unknown>>(text, [...params]);
            return result.rows;
        },
        async runSchema(lockId, script) {
            await db.transaction(async (tx) => {
                await tx.query(`SELECT pg_advisory_xact_lock(${Number(lockId)})`);
                await tx.exec(script);
            });
        },
        async close() {
            await db.close();
        },
    };
    // Only one process opens a PGlite database, so claims by any other holder number were made
    // by a process that has exited: they are free to claim again.
    const store = new SqlBootStore("pglite", executor, { holder: crypto.randomInt(1, 2 ** 31 - 1), sessionLocks: false }, opts.batchLimits);
    await store.migrate();
    return store;
}
