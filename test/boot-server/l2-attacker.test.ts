/**
 * The L2 attacker: someone on the site network knows the site token (it is in DHCP) and a
 * machine's MAC (it is on the wire), and also its SMBIOS UUID (PXE firmware and iPXE send it in
 * DHCP option 97). Over real HTTP:
 *  - a machine whose inventory entry records a UUID and a serial gets a ticket only for a request
 *    reporting both; the serial is the one identifier the L2 never sees;
 *  - a VM the graph creates (marked derivedIdentity) gets its UUID and serial derived from the
 *    stack's key (BOOT_VM_IDENTITY_KEY) and must report both the same way: a wrong serial is 409;
 *  - tickets for one machine are rate-limited, so a token holder cannot keep superseding the
 *    ticket of a machine that is booting.
 */
import { strict as assert } from "node:assert";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../infra/boot-server/src/app";
import { MACHINE_TICKET_BURST, MachineTicketThrottle } from "../../infra/boot-server/src/http/ticket-throttle";
import { loadBootEnvironment, parseBootSettings, SettingsError, withDerivedIdentities, type BootSettingsInput } from "../../infra/boot-server/src/settings";
import { createPgliteStore } from "../../infra/boot-server/src/store/pglite";
import type { BootStore } from "../../infra/boot-server/src/store/types";
import { deriveVmIdentity } from "../../model/vmIdentity";
import { BASE_CONFIG, EDGE1, FakeMinter, rawRequest, RawResponse, settingsInput, SITE_TOKENS } from "./fixtures";

/** A VM as the graph makes it: a MAC, and an identity derived from the stack's key. */
const VM = { name: "vm-1", mac: "52:54:00:00:0f:01", installDisk: "/dev/vda" };
/** The stack's VM identity key (random.RandomPassword, 43 letters and digits). */
const KEY = "Kq3vX9mB2nL7wR4tY8pZ1cF6hJ0dG5sAeUiOoPwQrTy";
const VM_ID = deriveVmIdentity(KEY, VM.name);

describe("boot-server against an L2 attacker (HTTP)", function () {
    this.timeout(60_000);

    const logs: string[] = [];
    const apps: FastifyInstance[] = [];
    let store: BootStore;
    let nowMs = Date.parse("2026-06-01T08:00:00.000Z");

    async function start(input: BootSettingsInput, key?: string): Promise<{ port: number; minter: FakeMinter }> {
        const parsed = parseBootSettings(input);
        const minter = new FakeMinter();
        const app = await buildApp({
            settings: { ...parsed, sites: withDerivedIdentities(parsed.sites, key) },
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

    it("requires the VM identity derived from BOOT_VM_IDENTITY_KEY: the right MAC and UUID with a wrong serial is 409", async () => {
        const input = settingsInput();
        input.sites[0].machines.push({ ...VM, derivedIdentity: true });
        const { port } = await start(input, KEY);
        const otherKeys = deriveVmIdentity("AnotherStacksKey0123456789abcdefghijklmnopq", VM.name).serial;
        assert.equal((await ask(port, { mac: VM.mac, uuid: VM_ID.uuid })).status, 409, "MAC and UUID are not enough");
        for (const wrong of ["0000000000000000000000000000000f", otherKeys, VM_ID.serial.toUpperCase()]) {
            const res = await ask(port, { mac: VM.mac, uuid: VM_ID.uuid.toUpperCase(), serial: wrong });
            assert.equal(res.status, 409, res.body);
            assert.equal(events("identity_conflict").at(-1)?.reason, "serial differs from the inventory");
        }
        const res = await ask(port, { mac: VM.mac, uuid: VM_ID.uuid.toUpperCase(), serial: VM_ID.serial });
        assert.equal(res.status, 200, res.body);
        assert.ok(ticketOf(res));
        const issued = events("ticket_issued").at(-1);
        assert.deepEqual(issued?.matchedBy, ["mac", "uuid", "serial"]);
        // Logged by reference only: the serial is what keeps the VM's identity off the L2.
        assert.match(issued?.serialRef, /^[0-9a-f]{12}$/);
        assert.equal(issued?.serial, undefined);
        for (const line of logs) assert.ok(!line.includes(VM_ID.serial) && !line.includes(otherKeys) && !line.includes(KEY), line);
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

    describe("BOOT_VM_IDENTITY_KEY", () => {
        const sites = (vm: Record<string, unknown> = { ...VM, derivedIdentity: true }) =>
            parseBootSettings(settingsInput({ sites: [{ name: "alpha", machines: [vm as never, { ...EDGE1 }] }] })).sites;

        it("fills in the UUID and serial of marked machines from the key, keeps set values, and leaves the rest", () => {
            const merged = withDerivedIdentities(sites(), KEY);
            assert.deepEqual({ uuid: merged[0].machines[0].uuid, serial: merged[0].machines[0].serial }, VM_ID);
            assert.deepEqual(merged[0].machines[1], sites()[0].machines[1]);
            const partial = withDerivedIdentities(sites({ ...VM, uuid: "5B1C2D3E-4F50-4A6B-8C7D-9E0F1A2B3C4D", derivedIdentity: true }), KEY);
            assert.deepEqual({ uuid: partial[0].machines[0].uuid, serial: partial[0].machines[0].serial }, { uuid: "5b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d", serial: VM_ID.serial });
            const unmarked = sites({ ...VM });
            assert.deepEqual(withDerivedIdentities(unmarked, undefined), unmarked, "nothing marked: no key needed");
            assert.deepEqual(withDerivedIdentities(unmarked, KEY), unmarked);
        });

        it("refuses a missing or unusable key, naming the variable and the fix, never quoting the key", () => {
            const cases: Array<[string | undefined, RegExp]> = [
                [undefined, /^BOOT_VM_IDENTITY_KEY: is required: the inventory marks 1 machine\(s\) derivedIdentity \(vm-1\).*set it to that key/],
                ["tooShortKey0123456789", /^BOOT_VM_IDENTITY_KEY: is not a usable VM identity key: it must be 32\.\.256 printable ASCII characters.*the value is secret and not shown/],
                [`${KEY}\n`, /^BOOT_VM_IDENTITY_KEY: is not a usable VM identity key/],
                [`${KEY} with spaces`, /^BOOT_VM_IDENTITY_KEY: is not a usable VM identity key/],
            ];
            for (const [key, expected] of cases) {
                assert.throws(
                    () => withDerivedIdentities(sites(), key),
                    (err: Error) => err instanceof SettingsError && expected.test(err.problems[0]) && (key === undefined || !err.message.includes(key.trim().slice(0, 20))),
                    String(key),
                );
            }
            // Set but unusable is refused even when nothing is marked.
            assert.throws(() => withDerivedIdentities(sites({ ...VM }), "short"), /BOOT_VM_IDENTITY_KEY: is not a usable VM identity key/);
        });

        it("refuses a derived value that another machine already has, without quoting it", () => {
            const clash = { ...EDGE1, serial: VM_ID.serial };
            const s = parseBootSettings(settingsInput({ sites: [{ name: "alpha", machines: [{ ...VM, derivedIdentity: true }, clash] }] })).sites;
            assert.throws(
                () => withDerivedIdentities(s, KEY),
                (err: Error) => err instanceof SettingsError && /vm-1 and edge-1 would share a serial once derived|edge-1 and vm-1 would share a serial once derived/.test(err.message) && !err.message.includes(VM_ID.serial),
            );
        });

        it("is read by loadBootEnvironment, which refuses the retired BOOT_MACHINE_IDENTITIES", () => {
            const input = settingsInput();
            input.sites[0].machines.push({ ...VM, derivedIdentity: true });
            const env = { BOOT_SETTINGS: JSON.stringify(input), BOOT_BASE_CONFIG: BASE_CONFIG, BOOT_SITE_TOKENS: JSON.stringify(SITE_TOKENS) };
            const vm = loadBootEnvironment({ ...env, BOOT_VM_IDENTITY_KEY: KEY }).settings.sites[0].machines.find((m) => m.name === VM.name);
            assert.deepEqual({ uuid: vm?.uuid, serial: vm?.serial }, VM_ID);
            assert.throws(() => loadBootEnvironment(env), (err: Error) => err instanceof SettingsError && /^BOOT_VM_IDENTITY_KEY: is required/.test(err.problems[0]));
            assert.throws(
                () => loadBootEnvironment({ ...env, BOOT_VM_IDENTITY_KEY: KEY, BOOT_MACHINE_IDENTITIES: JSON.stringify({ [VM.name]: VM_ID }) }),
                (err: Error) => err instanceof SettingsError && /^BOOT_MACHINE_IDENTITIES: is no longer read/.test(err.problems[0]) && !err.message.includes(VM_ID.serial),
            );
        });

        it("parses derivedIdentity in the inventory: a boolean, and not with both uuid and serial set", () => {
            const parse = (vm: Record<string, unknown>) => () => parseBootSettings(settingsInput({ sites: [{ name: "alpha", machines: [vm as never] }] }));
            assert.throws(parse({ ...VM, derivedIdentity: "yes" }), /sites\[0\]\.machines\[0\]\.derivedIdentity: "yes" is not a boolean/);
            assert.throws(parse({ ...VM, uuid: EDGE1.uuid, serial: "SN-9", derivedIdentity: true }), /machines\[0\]\.derivedIdentity: is true, but uuid and serial are both set/);
            assert.equal("derivedIdentity" in parseBootSettings(settingsInput({ sites: [{ name: "alpha", machines: [{ ...VM, derivedIdentity: false } as never] }] })).sites[0].machines[0], false);
        });
    });
});
