/**
 * Embedded store: PGlite (PostgreSQL compiled to WebAssembly) in the service's own process.
 * Needs no server, runs the same SQL as PostgreSQL, and serialises every statement (one
 * connection), which is what makes a single instance's ticket consume atomic. In memory by
 * default; give `dataDir` to keep records across restarts on local disk. Not for several
 * instances: each would have its own database.
 */
import { PGlite } from "@electric-sql/pglite";
import { SqlBootStore, SqlExecutor } from "./sql";

export async function createPgliteStore(opts: { dataDir?: string } = {}): Promise<SqlBootStore> {
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
    const store = new SqlBootStore("pglite", executor);
    await store.migrate();
    return store;
}
