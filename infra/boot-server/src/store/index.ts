/**
 * Store selection: PostgreSQL when a database URL is given (required for more than one
 * instance), otherwise embedded PGlite (in memory, or on disk at `dataDir`).
 */
import { createPgliteStore } from "./pglite";
import { createPostgresStore } from "./postgres";
import type { BootStore } from "./types";

export type { BootStore } from "./types";
export * from "./types";
export { createPgliteStore } from "./pglite";
export { createPostgresStore } from "./postgres";

export async function createStore(opts: {
    databaseUrl?: string;
    dataDir?: string;
    onError?: (err: Error) => void;
}): Promise<BootStore> {
    if (opts.databaseUrl !== undefined) {
        return createPostgresStore({ connectionString: opts.databaseUrl, onError: opts.onError });
    }
    return createPgliteStore({ dataDir: opts.dataDir });
}
