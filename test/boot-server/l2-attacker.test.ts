/**
 * The L2 attacker: someone on the site network knows the site token (it is in DHCP) and a
 * machine's MAC (it is on the wire), and also its SMBIOS UUID (PXE firmware and iPXE send it in
 * DHCP option 97). Over real HTTP:
 *  - a machine whose inventory entry records a UUID and a serial gets a ticket only for a request
 *    reporting both; the serial is the one identifier the L2 never sees;
 *  - the graph's VM identities (BOOT_MACHINE_IDENTITIES) are merged into the inventory and
 *    required the same way;
 *  - tickets for one machine are rate-limited, so a token holder cannot keep superseding the
 *    ticket of a machine that is booting.
 */
import { strict as assert } from "node:assert";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../infra/boot-server/src/app";
import { MACHINE_TICKET_BURST, MachineTicketThrottle } from "../../infra/boot-server/src/http/ticket-throttle";
import { parseBootSettings, SettingsError, withMachineIdentities, type BootSettingsInput } from "../../infra/boot-server/src/settings";
import { createPgliteStore } from "../../infra/boot-server/src/store/pglite";
import type { BootStore } from "../../infra/boot-server/src/store/types";
import { BASE_CONFIG, EDGE1, FakeMinter, rawRequest, RawResponse, settingsInput, SITE_TOKENS } from "./fixtures";

/** A VM as the graph makes it: MAC and a random UUID and serial. */
const VM = { name: "vm-1", mac: "52:54:00:00:0f:01", installDisk: "/dev/vda" };
const VM_ID = { uuid: "5b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d", serial: "9f86d081884c7d659a2feaa0c55ad015" };

describe("boot-server against an L2 attacker (HTTP)", function () {
    this.timeout(60_000);

    const logs: string[] = [];
    const apps: FastifyInstance[] = [];
    let store: BootStore;
    let nowMs = Date.parse("2026-06-01T08:00:00.000Z");

    async function start(input: BootSettingsInput, identities?: string): Promise<{ port: number; minter: FakeMinter }> {
        const parsed = parseBootSettings(input);
        const minter = new FakeMinter();
        const app = await buildApp({
            settings: { ...parsed, sites: withMachineIdentities(parsed.sites, identities) },
            secrets: { baseConfig: BASE_CONFIG, siteTokens: SITE_TOKENS },
            store,
            minter,
            logSink: { write: (line: string) => void logs.push(line) },
            now: () => new Date(nowMs),
        });
        await app.listen({ port: 0, host: "127.0.0.1" });
        apps.push(app);
        return { port: (app.server.address() as AddressInfo).port, minter };
    }

    function ask(port: number, m: { mac: string; uuid?: string; serial?: string }): Promise<RawResponse> {
        return rawRequest(port, {
            path: `/v1/sites/alpha/machine.ipxe?token=${SITE_TOKENS.alpha}&mac=${m.mac.replace(/:/g, "-")}&uuid=${m.uuid ?? ""}&serial=${encodeURIComponent(m.serial ?? "")}&arch=x86_64&platform=efi`,
        });
    }
    const ticketOf = (res: RawResponse): string | undefined => /\/v1\/config\/([A-Za-z0-9_-]{43})/.exec(res.body)?.[1];
    const events = (name: string) => logs.map((l) => JSON.parse(l) as Record<string, any>).filter((l) => l.event === name);

    before(async () => {
        store = await createPgliteStore();
    });
    after(async () => {
        for (const app of apps) await app.close();
        await store?.close();
    });

    it("refuses the MAC alone, and the MAC with the UUID seen in DHCP, for a machine that records a serial", async () => {
        const { port, minter } = await start(settingsInput());
        for (const [what, identity, reason] of [
            ["MAC only", { mac: EDGE1.mac }, "UUID missing from the request; the inventory records one"],
            ["MAC + UUID (from DHCP option 97)", { mac: EDGE1.mac, uuid: EDGE1.uuid }, "serial missing from the request; the inventory records one"],
            ["MAC + UUID + a guessed serial", { mac: EDGE1.mac, uuid: EDGE1.uuid, serial: "SN-0102" }, "serial differs from the inventory"],
            ["MAC + serial, no UUID", { mac: EDGE1.mac, serial: EDGE1.serial }, "UUID missing from the request; the inventory records one"],
        ] as const) {
            const res = await ask(port, identity);
            assert.equal(res.status, 409, `${what}: ${res.body}`);
            assert.deepEqual(JSON.parse(res.body), { error: "identity_conflict" });
            assert.equal(events("identity_conflict").at(-1)?.reason, reason, what);
        }
        assert.equal(events("ticket_issued").length, 0, "no ticket for any of them");
        const real = await ask(port, EDGE1);
        assert.equal(real.status, 200);
        const ticket = ticketOf(real);
        assert.ok(ticket, real.body);
        assert.equal((await rawRequest(port, { path: `/v1/config/${ticket}` })).status, 200);
        assert.equal(minter.minted.length, 1);
    });

    it("requires the graph's VM identity (BOOT_MACHINE_IDENTITIES) merged into the inventory", async () => {
        const input = settingsInput();
        input.sites[0].machines.push({ ...VM });
        const { port } = await start(input, JSON.stringify({ [VM.name]: VM_ID }));
        assert.equal((await ask(port, { mac: VM.mac, uuid: VM_ID.uuid })).status, 409, "MAC and UUID are not enough");
        assert.equal((await ask(port, { mac: VM.mac, uuid: VM_ID.uuid.toUpperCase(), serial: "0000000000000000000000000000000f" })).status, 409);
        const res = await ask(port, { mac: VM.mac, uuid: VM_ID.uuid.toUpperCase(), serial: VM_ID.serial });
        assert.equal(res.status, 200, res.body);
        assert.ok(ticketOf(res));
        const issued = events("ticket_issued").at(-1);
        assert.deepEqual(issued?.matchedBy, ["mac", "uuid", "serial"]);
        // Logged by reference only: the serial is what keeps the VM's identity off the L2.
        assert.match(issued?.serialRef, /^[0-9a-f]{12}$/);
        assert.equal(issued?.serial, undefined);
        for (const line of logs) assert.ok(!line.includes(VM_ID.serial) && !line.includes("0000000000000000000000000000000f"), line);
    });

    it("limits tickets per machine: a burst, then one per machineTicketIntervalSeconds; 429 ticket_rate_limited meanwhile", async () => {
        const input = settingsInput({ machineTicketIntervalSeconds: 60 });
        input.sites[0].machines.push({ ...VM, name: "vm-throttled", mac: "52:54:00:00:0f:02" });
        const { port } = await start(input);
        const m = { mac: "52:54:00:00:0f:02" };
        const first = ticketOf(await ask(port, m));
        const second = ticketOf(await ask(port, m));
        assert.ok(first && second, "the burst");
        const refused = await ask(port, m);
        assert.equal(refused.status, 429, refused.body);
        assert.deepEqual(JSON.parse(refused.body), { error: "ticket_rate_limited" });
        assert.equal(refused.headers["retry-after"], "60");
        assert.equal(events("ticket_throttled").at(-1)?.machine, "vm-throttled");

        // The attacker's refused request superseded nothing: the machine's latest ticket still works.
        nowMs += 30_000;
        assert.equal((await ask(port, m)).status, 429, "still within the interval");
        assert.equal((await rawRequest(port, { path: `/v1/config/${second}` })).status, 200, "the booting machine's ticket survived");

        // Enrolled now: its network boots get the local-boot script, never a 429.
        for (let i = 0; i < 5; i++) {
            const res = await ask(port, m);
            assert.equal(res.status, 200);
            assert.match(res.body, /exit 1\s*$/);
        }
    });

    it("gives a ticket again after the interval", async () => {
        const input = settingsInput({ machineTicketIntervalSeconds: 60 });
        input.sites[0].machines.push({ ...VM, name: "vm-later", mac: "52:54:00:00:0f:03" });
        const { port } = await start(input);
        const m = { mac: "52:54:00:00:0f:03" };
        for (let i = 0; i < MACHINE_TICKET_BURST; i++) assert.ok(ticketOf(await ask(port, m)));
        assert.equal((await ask(port, m)).status, 429);
        nowMs += 60_000;
        assert.ok(ticketOf(await ask(port, m)), "one more after 60 s");
        assert.equal((await ask(port, m)).status, 429);
    });

    describe("MachineTicketThrottle", () => {
        it("refills one ticket per interval up to the burst, keyed per site and machine", () => {
            const t = new MachineTicketThrottle(10_000, 2);
            const at = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000);
            assert.deepEqual(t.take("a", "m", at(0)), { allowed: true });
            assert.deepEqual(t.take("a", "m", at(0)), { allowed: true });
            assert.deepEqual(t.take("a", "m", at(1)), { allowed: false, retryAfterSeconds: 9 });
            assert.deepEqual(t.take("b", "m", at(1)), { allowed: true }, "another site's machine of the same name");
            assert.deepEqual(t.take("a", "m", at(10)), { allowed: true });
            assert.deepEqual(t.take("a", "m", at(10)), { allowed: false, retryAfterSeconds: 10 });
            assert.deepEqual(t.take("a", "m", at(1000)), { allowed: true });
            assert.deepEqual(t.take("a", "m", at(1000)), { allowed: true }, "never more than the burst banked");
            assert.equal(t.take("a", "m", at(1000)).allowed, false);
            t.refund("a", "m");
            assert.equal(t.take("a", "m", at(1000)).allowed, true, "a refunded ticket can be taken again");
            assert.equal(t.take("a", "m", at(500)).allowed, false, "a clock going back refills nothing");
        });
    });

    describe("BOOT_MACHINE_IDENTITIES", () => {
        const sites = () => parseBootSettings(settingsInput({ sites: [{ name: "alpha", machines: [{ ...VM }, { ...EDGE1 }] }] })).sites;

        it("fills in the UUID (lower case) and serial of listed machines, and leaves the rest", () => {
            const merged = withMachineIdentities(sites(), JSON.stringify({ [VM.name]: { uuid: VM_ID.uuid.toUpperCase(), serial: VM_ID.serial } }));
            assert.deepEqual({ uuid: merged[0].machines[0].uuid, serial: merged[0].machines[0].serial }, VM_ID);
            assert.deepEqual(merged[0].machines[1], sites()[0].machines[1]);
            assert.deepEqual(withMachineIdentities(sites(), undefined), sites());
            assert.deepEqual(withMachineIdentities(sites(), "  "), sites());
        });

        it("refuses identities that would not hold, never quoting a serial", () => {
            const cases: Array<[string, RegExp]> = [
                [JSON.stringify({ ghost: VM_ID }), /ghost: the inventory has no machine of that name/],
                [JSON.stringify({ [VM.name]: { uuid: "not-a-uuid" } }), /vm-1\.uuid: is not a usable SMBIOS UUID/],
                [JSON.stringify({ [VM.name]: { serial: "bad;serial" } }), /vm-1\.serial: is not a usable SMBIOS serial/],
                [JSON.stringify({ [VM.name]: {} }), /with at least one of them/],
                [JSON.stringify({ [EDGE1.name]: { serial: "SN-OTHER-9" } }), /edge-1\.serial: differs from the inventory's serial/],
                [JSON.stringify({ [VM.name]: { uuid: EDGE1.uuid } }), /vm-1 and edge-1 would share a uuid|edge-1 and vm-1 would share a uuid/],
                ["{not json", /BOOT_MACHINE_IDENTITIES: is not valid JSON/],
            ];
            for (const [text, expected] of cases) {
                assert.throws(
                    () => withMachineIdentities(sites(), text),
                    (err: Error) => err instanceof SettingsError && expected.test(err.message) && !err.message.includes("bad;serial") && !err.message.includes("SN-OTHER-9"),
                    text,
                );
            }
        });
    });
});
