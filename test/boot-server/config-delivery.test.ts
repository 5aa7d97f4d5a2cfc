/**
 * The config route's two-step redemption over real HTTP, in process (PGlite): a key mint that
 * overruns its budget, a client that goes away before the config is written, a store that fails
 * after the config was written, and the order "enrollment recorded, then config_served logged".
 * What happens when the process itself dies is test/boot-server/crash.test.ts.
 */
import { strict as assert } from "node:assert";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../infra/boot-server/src/app";
import { DeadlineError, withDeadline } from "../../infra/boot-server/src/http/deliver";
import { parseBootSettings } from "../../infra/boot-server/src/settings";
import { createPgliteStore } from "../../infra/boot-server/src/store/pglite";
import type { BootStore } from "../../infra/boot-server/src/store/types";
import { ticketId } from "../../infra/boot-server/src/tickets";
import { BASE_CONFIG, FakeMinter, rawRequest, settingsInput, SITE_TOKENS } from "./fixtures";

const MACHINES = Array.from({ length: 8 }, (_, i) => ({ name: `deliver-${i}`, mac: `52:54:00:00:0f:${(i + 1).toString(16).padStart(2, "0")}`, installDisk: "/dev/vda" }));

/** A minter whose mints wait for `open()` (or never finish), counting calls. */
class GatedMinter extends FakeMinter {
    calls = 0;
    private release: () => void = () => undefined;
    private gate: Promise<void> = new Promise((resolve) => (this.release = resolve));
    private entered: () => void = () => undefined;
    readonly minting: Promise<void> = new Promise((resolve) => (this.entered = resolve));
    gated = true;
    /** The budget signal of each mint, as the route passed it. */
    readonly signals: Array<AbortSignal | undefined> = [];

    open(): void {
        this.gated = false;
        this.release();
    }

    override async mint(req: Parameters<FakeMinter["mint"]>[0]) {
        this.calls++;
        this.signals.push(req.signal);
        this.entered();
        if (this.gated) await this.gate;
        return super.mint(req);
    }
}

describe("boot-server config delivery (two-step redemption)", function () {
    this.timeout(60_000);
    const logs: string[] = [];
    const apps: FastifyInstance[] = [];
    let store: BootStore;
    let taken = 0;

    before(async () => {
        store = await createPgliteStore();
    });
    after(async () => {
        for (const app of apps) await app.close();
        await store?.close();
    });

    async function start(minter: FakeMinter, over: { store?: BootStore; mintBudgetMs?: number } = {}): Promise<number> {
        const input = settingsInput();
        input.sites[0].machines.push(...MACHINES.map((m) => ({ ...m })));
        const app = await buildApp({
            settings: parseBootSettings(input),
            secrets: { baseConfig: BASE_CONFIG, siteTokens: SITE_TOKENS },
            store: over.store ?? store,
            minter,
            logSink: { write: (line: string) => void logs.push(line) },
            mintBudgetMs: over.mintBudgetMs,
        });
        await app.listen({ port: 0, host: "127.0.0.1" });
        apps.push(app);
        return (app.server.address() as AddressInfo).port;
    }

    async function ticketFor(port: number): Promise<{ ticket: string; machine: string }> {
        const m = MACHINES[taken++];
        const res = await rawRequest(port, {
            path: `/v1/sites/alpha/machine.ipxe?mac=${m.mac.replace(/:/g, "-")}&uuid=&serial=&arch=x86_64&platform=efi`,
            headers: { authorization: `Basic ${Buffer.from(`alpha:${SITE_TOKENS.alpha}`).toString("base64")}` },
        });
        assert.equal(res.status, 200, res.body);
        const ticket = /\/v1\/config\/([A-Za-z0-9_-]{43})/.exec(res.body)?.[1];
        assert.ok(ticket, res.body);
        return { ticket, machine: m.name };
    }

    const events = (name: string, ticket: string): Array<Record<string, unknown>> =>
        logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === name && l.ticketRef === ticketId(ticket).slice(0, 12));

    it("answers 503 when the key mint overruns its budget, releases the claim, and serves the retry", async () => {
        const minter = new GatedMinter();
        const port = await start(minter, { mintBudgetMs: 200 });
        const { ticket, machine } = await ticketFor(port);
        const slow = await rawRequest(port, { path: `/v1/config/${ticket}` });
        assert.equal(slow.status, 503);
        assert.deepEqual(JSON.parse(slow.body), { error: "key_unavailable" });
        assert.match(String(events("key_mint_failed", ticket)[0]?.reason), /key minting did not finish within 200 ms/);
        // The backend got the same budget, so its API calls stop with the answer, not after it.
        assert.equal(minter.signals[0]?.aborted, true, "the mint's budget signal had aborted when the 503 went out");
        minter.open();
        const retried = await rawRequest(port, { path: `/v1/config/${ticket}` });
        assert.equal(retried.status, 200, retried.body);
        assert.ok(retried.body.includes(`hostname: ${machine}`));
        assert.equal(events("config_served", ticket).length, 1);
        assert.equal((await store.listEnrollments({ site: "alpha", machine })).length, 1);
    });

    it("writes the whole config with its headers before recording the enrollment, and logs config_served only after the record", async () => {
        let servedLinesAtCompletion = -1;
        let ticketRef = "";
        const watching: BootStore = Object.create(store) as BootStore;
        watching.completeClaim = async (id, claim, record) => {
            servedLinesAtCompletion = logs.filter((l) => l.includes('"event":"config_served"') && l.includes(ticketRef)).length;
            return store.completeClaim(id, claim, record);
        };
        const port = await start(new FakeMinter(), { store: watching });
        const { ticket, machine } = await ticketFor(port);
        ticketRef = ticketId(ticket).slice(0, 12);
        const res = await rawRequest(port, { path: `/v1/config/${ticket}` });
        assert.equal(res.status, 200);
        assert.equal(Number(res.headers["content-length"]), Buffer.byteLength(res.body));
        assert.match(res.headers["content-type"] ?? "", /^application\/yaml; charset=utf-8$/);
        assert.equal(res.headers["cache-control"], "no-store");
        assert.equal(res.headers["x-content-type-options"], "nosniff");
        assert.ok(res.headers["x-ratelimit-limit"], "the rate limiter's headers survive the hijacked reply");
        assert.equal(servedLinesAtCompletion, 0, "config_served was not logged before the enrollment was recorded");
        assert.equal(events("config_served", ticket).length, 1);
        assert.equal((await store.listEnrollments({ site: "alpha", machine })).length, 1);
    });

    it("releases the claim when the client goes away before the config is written, so the retry is served", async () => {
        const minter = new GatedMinter();
        const port = await start(minter);
        const { ticket, machine } = await ticketFor(port);
        const aborted = new Promise<void>((resolve) => {
            const req = http.get({ host: "127.0.0.1", port, path: `/v1/config/${ticket}`, agent: false });
            req.on("error", () => resolve());
            req.on("close", () => resolve());
            void minter.minting.then(() => req.destroy());
        });
        await aborted;
        // Let the server notice the closed connection before the mint returns.
        await new Promise((r) => setTimeout(r, 100));
        minter.open();
        let retried = await rawRequest(port, { path: `/v1/config/${ticket}` });
        for (let i = 0; i < 50 && retried.status === 410; i++) {
            // The first request may still be finishing (writing into a closed socket, then releasing).
            await new Promise((r) => setTimeout(r, 50));
            retried = await rawRequest(port, { path: `/v1/config/${ticket}` });
        }
        assert.equal(retried.status, 200, retried.body);
        const lost = logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.ticketRef === ticketId(ticket).slice(0, 12));
        assert.ok(lost.some((l) => /connection closed before the config was sent; ticket claim released/.test(String(l.message))), "the lost answer released its claim");
        assert.equal(minter.calls, 2, "a key for the lost answer, a fresh one for the retry");
        const served = events("config_served", ticket);
        assert.equal(served.length, 1, "the lost answer is not logged as served");
        assert.equal(served[0].keyId, minter.minted.at(-1)?.id, "the served key is the retry's");
        assert.deepEqual((await store.listEnrollments({ site: "alpha", machine })).map((e) => e.keyId), [minter.minted.at(-1)?.id]);
    });

    it("never logs config_served when the store fails after the config was written", async () => {
        const failing: BootStore = Object.create(store) as BootStore;
        failing.completeClaim = async () => {
            throw new Error("connection to the database lost");
        };
        const port = await start(new FakeMinter(), { store: failing });
        const { ticket, machine } = await ticketFor(port);
        const res = await rawRequest(port, { path: `/v1/config/${ticket}` });
        assert.equal(res.status, 200, "the machine has its config");
        assert.equal(events("config_served", ticket).length, 0);
        const error = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.ticketRef === ticketId(ticket).slice(0, 12) && l.severity === "ERROR");
        assert.match(String(error?.message), /config sent but the store failed recording the enrollment/);
        assert.equal((await store.listEnrollments({ site: "alpha", machine })).length, 0, "nothing claims an enrollment");
    });
});

describe("boot-server withDeadline (the key mint's time budget)", () => {
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

    it("settles with the work's result and never aborts its signal once the work is done", async () => {
        let seen: AbortSignal | undefined;
        const result = await withDeadline(40, async (signal) => {
            seen = signal;
            return "key";
        });
        assert.equal(result, "key");
        await sleep(80); // past the budget: the timer was cleared, so nothing fires
        assert.equal(seen?.aborted, false);
    });

    it("rejects with a DeadlineError at the budget and aborts the work's signal with it before the caller hears", async () => {
        let seen: AbortSignal | undefined;
        const started = Date.now();
        const err = await withDeadline(50, (signal) => {
            seen = signal;
            return new Promise<string>(() => undefined); // never settles
        }).catch((e: unknown) => e);
        assert.ok(err instanceof DeadlineError, String(err));
        assert.equal((err as DeadlineError).ms, 50);
        assert.ok(Date.now() - started >= 45, "not before the budget");
        assert.equal(seen?.aborted, true);
        assert.equal(seen?.reason, err);
    });

    it("reports an overrun as a DeadlineError even when the work gives up on the abort with an error of its own", async () => {
        const unhandled: unknown[] = [];
        const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
        process.on("unhandledRejection", onUnhandled);
        try {
            const err = await withDeadline(
                30,
                (signal) =>
                    new Promise<string>((_, reject) => {
                        signal.addEventListener("abort", () => reject(new Error("the mint's time budget ran out")));
                    }),
            ).catch((e: unknown) => e);
            assert.ok(err instanceof DeadlineError, String(err));
            await sleep(20);
            assert.deepEqual(unhandled, [], "the work's late rejection is swallowed");
        } finally {
            process.off("unhandledRejection", onUnhandled);
        }
    });

    it("passes on the work's own failure before the budget, and a synchronous throw", async () => {
        await assert.rejects(
            withDeadline(1000, async () => {
                throw new Error("backend said 403");
            }),
            /backend said 403/,
        );
        await assert.rejects(
            withDeadline(1000, () => {
                throw new Error("thrown before any promise");
            }),
            /thrown before any promise/,
        );
    });
});
