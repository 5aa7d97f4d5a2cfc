/**
 * A PostgreSQL store's claim holder: a number no other running process uses, made visible to
 * every instance as a session advisory lock (HOLDER_LOCK_CLASS, holder) on a connection of its
 * own. PostgreSQL releases a session's locks when its connection closes, which it notices at
 * once when the process is killed (the kernel closes the socket), so other instances can tell a
 * claim whose process died from one still being served (boot_holder_alive in schema.ts) without
 * waiting for the claim's lease to run out.
 *
 * If the lock connection breaks while the process lives (database restart, network), claims made
 * meanwhile look dead to other instances until it is back; the connection is re-opened and the
 * same holder locked again, every RECONNECT_MS.
 */
import * as crypto from "node:crypto";
import { Client, ClientConfig } from "pg";
import { HOLDER_LOCK_CLASS } from "./schema";

const MAX_HOLDER = 2 ** 31 - 1;
/** Tries before giving up on finding a free holder number (each collision is a 1 in 2^31 event). */
const HOLDER_ATTEMPTS = 16;
const RECONNECT_MS = 2000;

export class HolderLock {
    private client: Client | undefined;
    private closed = false;
    private reconnect: NodeJS.Timeout | undefined;

    private constructor(
        readonly holder: number,
        private readonly config: ClientConfig,
        private readonly onError: (err: Error) => void,
    ) {}

    /** Connects and locks a random free holder number. */
    static async acquire(config: ClientConfig, onError: (err: Error) => void = () => undefined): Promise<HolderLock> {
        const client = new Client(config);
        await client.connect();
        try {
            for (let i = 0; i < HOLDER_ATTEMPTS; i++) {
                const holder = crypto.randomInt(1, MAX_HOLDER);
                if (await tryLock(client, holder)) {
                    const lock = new HolderLock(holder, config, onError);
                    lock.adopt(client);
                    return lock;
                }
            }
        } catch (err) {
            await client.end().catch(() => undefined);
            throw err;
        }
        await client.end().catch(() => undefined);
        throw new Error("postgres store: no free claim holder number found");
    }

    /** Releases the lock (closes its connection). */
    async close(): Promise<void> {
        this.closed = true;
        if (this.reconnect) clearTimeout(this.reconnect);
        const client = this.client;
        this.client = undefined;
        await client?.end().catch(() => undefined);
    }

    private adopt(client: Client): void {
        this.client = client;
        client.on("error", (err) => {
            this.onError(new Error(`claim holder lock connection lost: ${err.message}`));
            if (this.client === client) this.client = undefined;
            client.end().catch(() => undefined);
            this.scheduleReconnect();
        });
    }

    private scheduleReconnect(): void {
        if (this.closed || this.reconnect) return;
        this.reconnect = setTimeout(() => {
            this.reconnect = undefined;
            void this.relock();
        }, RECONNECT_MS);
        this.reconnect.unref();
    }

    private async relock(): Promise<void> {
        if (this.closed) return;
        const client = new Client(this.config);
        try {
            await client.connect();
            if (!(await tryLock(client, this.holder))) throw new Error(`holder ${this.holder} is locked by another session`);
            if (this.closed) {
                await client.end();
                return;
            }
            this.adopt(client);
        } catch (err) {
            await client.end().catch(() => undefined);
            this.onError(new Error(`claim holder lock not re-acquired: ${(err as Error).message}`));
            this.scheduleReconnect();
        }
    }
}

async function tryLock(client: Client, holder: number): Promise<boolean> {
    const r = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1::integer, $2::integer) AS locked", [HOLDER_LOCK_CLASS, holder]);
    return r.rows[0]?.locked === true;
}
