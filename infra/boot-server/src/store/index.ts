/**
 * Store selection: PostgreSQL when a database URL is given (what the stack deploys: Cloud SQL,
 * decision 0011), otherwise embedded PGlite (in memory, or on disk at `dataDir`) for local runs
 * and the lab.
 */
import type { BatchLimits } from "./batch";
import { createPgliteStore } from "./pglite";
import { createPostgresStore } from "./postgres";
import type { BootStore } from "./types";

export type { BootStore } from "./types";
export * from "./types";
export { createPgliteStore } from "./pglite";
export { createPostgresStore, SCHEMA_NAME } from "./postgres";

export async function createStore(opts: {
    databaseUrl?: string;
    /** PostgreSQL schema for the tables; default "public". */
    databaseSchema?: string;
    /** PostgreSQL pool size; default 10. */
    databasePoolSize?: number;
    dataDir?: string;
    onError?: (err: Error) => void;
    /** How concurrent ticket calls are coalesced (store/batch.ts); default DEFAULT_BATCH_LIMITS. */
    batchLimits?: BatchLimits;
}): Promise<BootStore> {
    if (opts.databaseUrl !== undefined) {
        return createPostgresStore({
            connectionString: opts.databaseUrl,
            schema: opts.databaseSchema,
            maxConnections: opts.databasePoolSize,
            onError: opts.onError,
            batchLimits: opts.batchLimits,
        });
    }
    return createPgliteStore({ dataDir: opts.dataDir, batchLimits: opts.batchLimits });
}
