/**
 * The boot service over real HTTP on 127.0.0.1: the full known-machine flow, the unknown
 * machine that proceeds once added, single use under 100 parallel fetches, and a table of
 * malformed and hostile requests, each checked for its status, its error code, and that no
 * secret appears in the answer or in any log line.
 */
import { strict as assert } from "node:assert";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { parseAllDocuments } from "yaml";
import { buildApp } from "../../infra/boot-server/src/app";
import { parseBootSettings, BootSettingsInput } from "../../infra/boot-server/src/settings";
import { createPgliteStore } from "../../infra/boot-server/src/store/pglite";
import type { BootStore } from "../../infra/boot-server/src/store/types";
import { ticketId } from "../../infra/boot-server/src/tickets";
import {
    ARM_INITRAMFS_URL,
    ARM_KERNEL_URL,
    BASE_CONFIG,
    BASE_SECRETS,
    BETA1,
    EDGE1,
    EDGE2,
    expandIpxe,
    FakeMinter,
    INITRAMFS_URL,
    INSTALLER,
    KERNEL_URL,
    NEWBIE,
    pathOf,
    rawRequest,
    RawResponse,
    settingsInput,
    SITE_TOKENS,
} from "./fixtures";

/** Extra inventory machines: a test that enrolls a machine takes a fresh one, so no test depends on another's enrollments. */
const SPARES: Record<"alpha" | "beta", Array<{ name: string; mac: string; installDisk: string }>> = {
    alpha: Array.from({ length: 30 }, (_, i) => ({ name: `spare-a${i}`, mac: `52:54:00:00:0c:${(i + 1).toString(16).padStart(2, "0")}`, installDisk: "/dev/vda" })),
    beta: Array.from({ length: 5 }, (_, i) => ({ name: `spare-b${i}`, mac: `52:54:00:00:0d:${(i + 1).toString(16).padStart(2, "0")}`, installDisk: "/dev/sda" })),
};

/** The fixture settings with the spare machines added to both sites. */
function appSettings(overrides: Partial<BootSettingsInput> = {}): BootSettingsInput {
    const input = settingsInput(overrides);
    if (overrides.sites === undefined) {
        input.sites = input.sites.map((site) => ({ ...site, machines: [...site.machines, ...SPARES[site.name as "alpha" | "beta"].map((m) => ({ ...m }))] }));
    }
    return input;
}

interface Harness {
    app: FastifyInstance;
    port: number;
    minter: FakeMinter;
}

describe("boot-server app (HTTP)", function () {
    this.timeout(60_000);

    const logs: string[] = [];
    const sink = { write: (line: string) => void logs.push(line) };
    const issuedTickets: string[] = [];
    const minters: FakeMinter[] = [];
    const apps: FastifyInstance[] = [];
    let store: BootStore;
    let nowMs = Date.parse("2026-06-01T08:00:00.000Z");
    const now = (): Date => new Date(nowMs);
    let main: Harness;
    let limited: Harness;

    async function start(input: BootSettingsInput, minter = new FakeMinter(), over: { store?: BootStore } = {}): Promise<Harness> {
        const app = await buildApp({
            settings: parseBootSettings(input),
            secrets: { baseConfig: BASE_CONFIG, siteTokens: SITE_TOKENS },
            store: over.store ?? store,
            minter,
            logSink: sink,
            now,
        });
        await app.listen({ port: 0, host: "127.0.0.1" });
        apps.push(app);
        minters.push(minter);
        return { app, port: (app.server.address() as AddressInfo).port, minter };
    }

    const get = (h: Harness, path: string, headers?: Record<string, string>): Promise<RawResponse> => rawRequest(h.port, { path, headers });
    /** The site's credentials as iPXE sends them after the 401 challenge (docs/decisions/0008). */
    const siteAuth = (site: "alpha" | "beta") => ({ authorization: `Basic ${Buffer.from(`${site}:${SITE_TOKENS[site]}`).toString("base64")}` });

    /** The machine script's query; `token` only for rows that test the deprecated `?token=` form. */
    function machineQuery(m: { mac: string; uuid?: string; serial?: string }, over: Record<string, string> = {}, token?: string): string {
        const q: Record<string, string> = {
            ...(token === undefined ? {} : { token }),
            mac: m.mac.replace(/:/g, "-"),
            uuid: m.uuid ?? "",
            serial: encodeURIComponent(m.serial ?? ""),
            arch: "x86_64",
            platform: "efi",
            ...over,
        };
        return Object.entries(q)
            .map(([k, v]) => `${k}=${v}`)
            .join("&");
    }

    const sparesTaken = { alpha: 0, beta: 0 };
    /** A spare inventory machine no other test has used. */
    function nextSpare(site: "alpha" | "beta" = "alpha"): { name: string; mac: string } {
        const m = SPARES[site][sparesTaken[site]++];
        assert.ok(m, `out of spare machines for ${site}: add more to SPARES`);
        return m;
    }

    /** Asks for a machine script for `m` (default: a fresh spare machine). */
    function machineScript(h: Harness, site: "alpha" | "beta", m: { mac: string; uuid?: string; serial?: string }, over: Record<string, string> = {}): Promise<RawResponse> {
        return get(h, `/v1/sites/${site}/machine.ipxe?${machineQuery(m, over)}`, siteAuth(site));
    }

    /** Asserts `res` is the local-boot answer: a script that only exits, with nothing to fetch. */
    function assertLocalBoot(res: RawResponse, machine: string, enrollment: number): void {
        assert.equal(res.status, 200, res.body);
        assert.match(res.headers["content-type"] ?? "", /^text\/plain/);
        assert.match(res.body, /^#!ipxe\n/);
        assert.equal(res.body.trim().split("\n").at(-1), "exit 1");
        assert.ok(res.body.includes(`${machine} at site`) && res.body.includes(`enrollment ${enrollment}`), res.body);
        assert.ok(!/talos\.config|\/v1\/config\/|^(kernel|initrd|chain|boot) /m.test(res.body), `something to fetch in:\n${res.body}`);
    }

    /** Asks for a machine script and returns the ticket in its talos.config URL. */
    async function issueTicket(h: Harness, site: "alpha" | "beta" = "alpha", m: { mac: string; uuid?: string; serial?: string } = nextSpare(site)): Promise<string> {
        const res = await machineScript(h, site, m);
        assert.equal(res.status, 200, res.body);
        const match = /talos\.config=\S+\/v1\/config\/([A-Za-z0-9_-]{43})(?:\s|$)/.exec(res.body);
        assert.ok(match, `no ticket in:\n${res.body}`);
        issuedTickets.push(match[1]);
        return match[1];
    }

    function events(name: string): Array<Record<string, unknown>> {
        return logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === name);
    }

    function allSecrets(): string[] {
        return [
            ...Object.values(SITE_TOKENS),
            ...BASE_SECRETS,
            ...issuedTickets,
            ...minters.flatMap((m) => m.minted.map((k) => k.key)),
        ];
    }

    function assertNoSecret(text: string, where: string): void {
        for (const s of allSecrets()) assert.ok(!text.includes(s), `a secret (${s.slice(0, 6)}...) leaked into ${where}`);
    }

    before(async () => {
        store = await createPgliteStore();
        main = await start(appSettings());
        limited = await start(appSettings({ rateLimitPerMinute: 3 }));
    });

    after(async () => {
        for (const app of apps) await app.close();
        await store?.close();
    });

    it("answers /healthz", async () => {
        const res = await get(main, "/healthz");
        assert.equal(res.status, 200);
        assert.deepEqual(JSON.parse(res.body), { status: "ok" });
        assert.equal(res.headers["cache-control"], "no-store");
    });

    it("boots a known machine: site script -> machine script -> single-use config", async () => {
        const site = await get(main, "/v1/sites/alpha/boot.ipxe", siteAuth("alpha"));
        assert.equal(site.status, 200);
        assert.match(site.headers["content-type"] ?? "", /^text\/plain/);
        assert.match(site.body, /^#!ipxe\n/);
        const chain = /chain --replace --autofree (\S+) \|\| goto retry/.exec(site.body);
        assert.ok(chain, site.body);
        const base = `http://127.0.0.1:${main.port}`;
        // Relative: iPXE resolves it against the site URL and sends the same credentials.
        assert.equal(chain[1], "machine.ipxe?mac=${mac:hexhyp}&uuid=${uuid}&serial=${serial:uristring}&arch=${buildarch}&platform=${platform}");

        // What iPXE sends for edge-1.
        const machineUrl = expandIpxe(new URL(chain[1], `${base}/v1/sites/alpha/boot.ipxe`).href, { mac: EDGE1.mac, uuid: EDGE1.uuid, serial: EDGE1.serial, buildarch: "x86_64", platform: "efi" });
        const boot = await get(main, pathOf(machineUrl), siteAuth("alpha"));
        assert.equal(boot.status, 200, boot.body);
        const kernelLine = boot.body.split("\n").find((l) => l.startsWith("kernel "));
        assert.ok(kernelLine);
        const args = kernelLine.replace(/ \|\| goto retry$/, "").split(" ");
        assert.equal(args[1], KERNEL_URL, "kernel straight from its URL");
        assert.deepEqual(args.slice(2, 7), ["talos.platform=metal", "console=tty0", "console=ttyS0,115200", "init_on_alloc=1", "slab_nomerge="]);
        assert.match(args[7], new RegExp(`^talos\\.config=${base}/v1/config/[A-Za-z0-9_-]{43}$`));
        assert.ok(boot.body.includes(`initrd ${INITRAMFS_URL} || goto retry`));
        const ticket = args[7].split("/").at(-1) as string;
        issuedTickets.push(ticket);
        assert.ok(Buffer.from(ticket, "base64url").length * 8 >= 128);

        const cfg = await get(main, `/v1/config/${ticket}`);
        assert.equal(cfg.status, 200, cfg.body);
        assert.match(cfg.headers["content-type"] ?? "", /^application\/yaml/);
        assert.equal(cfg.headers["cache-control"], "no-store");
        const parsed = parseAllDocuments(cfg.body);
        assert.ok(Array.isArray(parsed));
        for (const d of parsed) assert.deepEqual(d.errors, []);
        const docs = parsed.map((d) => d.toJS() as Record<string, any>);
        assert.deepEqual(docs.map((d) => d.kind ?? d.version), ["v1alpha1", "TimeSyncConfig", "HostnameConfig", "ExtensionServiceConfig"]);
        const v1 = docs[0];
        assert.equal(v1.machine.install.disk, "/dev/vda");
        assert.equal(v1.machine.install.image, INSTALLER);
        assert.equal(v1.machine.nodeLabels["topology.kubernetes.io/zone"], "alpha");
        assert.equal(v1.machine.nodeLabels["node.kubernetes.io/instance-type"], "kvm");
        assert.deepEqual(v1.machine.nodeTaints, { dedicated: "edge:NoSchedule" });
        assert.deepEqual(v1.machine.kubelet.nodeIP.validSubnets, ["100.64.0.0/10", "fd7a:115c:a1e0::/48"]);
        assert.equal(v1.cluster.token, BASE_SECRETS[1]);
        assert.equal(docs[2].hostname, "edge-1");
        const minted = main.minter.minted.at(-1);
        assert.ok(minted);
        assert.deepEqual({ site: minted.site, machine: minted.machine }, { site: "alpha", machine: "edge-1" });
        assert.deepEqual(docs[3].environment, [`TS_AUTHKEY=${minted.key}`, "TS_HOSTNAME=edge-1", "TS_AUTH_ONCE=true", "TS_ACCEPT_DNS=false"]);

        // Which machine got which config when, with the key's id and never the key.
        const enrolled = await store.listEnrollments({ site: "alpha", machine: "edge-1" });
        const record = enrolled.find((e) => e.keyId === minted.id);
        assert.ok(record);
        assert.equal(record.mac, EDGE1.mac);
        assert.equal(record.keyBackend, "fake");
        assert.equal(record.ticketRef, ticketId(ticket).slice(0, 12));
        assert.match(record.configSha256, /^[0-9a-f]{64}$/);
        assertNoSecret(JSON.stringify(enrolled), "the enrollment records");

        const replay = await get(main, `/v1/config/${ticket}`);
        assert.equal(replay.status, 410);
        assert.deepEqual(JSON.parse(replay.body), { error: "ticket_used" });

        for (const name of ["script_issued", "ticket_issued", "config_served", "replay_refused"]) {
            assert.ok(events(name).length > 0, `no ${name} audit event`);
        }
        const served = events("config_served").at(-1);
        assert.equal(served?.keyId, minted.id);
        assert.equal(served?.machine, "edge-1");
    });

    it("matches an arm64 machine by UUID and boots the arm64 assets", async () => {
        const res = await get(main, `/v1/sites/alpha/machine.ipxe?${machineQuery({ mac: "52:54:00:aa:aa:aa", uuid: EDGE2.uuid }, { arch: "arm64" })}`, siteAuth("alpha"));
        assert.equal(res.status, 200, res.body);
        assert.ok(res.body.includes(`kernel ${ARM_KERNEL_URL} talos.platform=metal console=ttyAMA0 console=tty0 `));
        assert.ok(res.body.includes(`initrd ${ARM_INITRAMFS_URL} `));
        issuedTickets.push(/\/v1\/config\/([A-Za-z0-9_-]{43})/.exec(res.body)?.[1] ?? "");
    });

    it("builds script URLs from X-Forwarded-Proto and Host only behind a trusted proxy, or from publicUrl", async () => {
        const proxied = await start(appSettings({ trustedProxyHops: 1 }));
        const viaProxy = await get(proxied, `/v1/sites/alpha/boot.ipxe?token=${SITE_TOKENS.alpha}`, {
            host: "boot-abc-ew.a.run.app",
            "x-forwarded-proto": "https",
            "x-forwarded-for": "203.0.113.9",
        });
        assert.ok(viaProxy.body.includes("chain --replace --autofree https://boot-abc-ew.a.run.app/v1/sites/alpha/machine.ipxe?"), viaProxy.body);

        const direct = await get(main, `/v1/sites/alpha/boot.ipxe?token=${SITE_TOKENS.alpha}`, { host: "lab.local:8080", "x-forwarded-proto": "https" });
        assert.ok(direct.body.includes("--autofree http://lab.local:8080/v1/"), "X-Forwarded-Proto from an untrusted client is ignored");

        const fixed = await start(appSettings({ publicUrl: "https://boot.example.com" }));
        const pinned = await get(fixed, `/v1/sites/alpha/boot.ipxe?token=${SITE_TOKENS.alpha}`, { host: "evil.example" });
        assert.ok(pinned.body.includes("--autofree https://boot.example.com/v1/sites/alpha/machine.ipxe?"));
        assert.ok(!pinned.body.includes("evil.example"));
    });

    it("records an unknown machine as pending, and boots it once the inventory has it", async () => {
        const path = `/v1/sites/alpha/machine.ipxe?${machineQuery({ ...NEWBIE, serial: "NEW 01" }, { platform: "pcbios", arch: "i386" })}`;
        const first = await get(main, path, siteAuth("alpha"));
        assert.equal(first.status, 200);
        assert.match(first.body, /^#!ipxe\n/);
        assert.ok(first.body.includes("sleep 30\n"));
        assert.ok(!/talos\.config|kernel /.test(first.body), "no boot, no ticket for an unknown machine");
        const retryUrl = /chain --replace --autofree (\S+) \|\| goto retry/.exec(first.body)?.[1];
        assert.ok(retryUrl?.startsWith("machine.ipxe?"), "it asks the same URL again (relative: iPXE keeps the credentials)");

        nowMs += 45_000;
        await get(main, path, siteAuth("alpha"));
        const pending = (await store.listPending("alpha")).find((p) => p.mac === NEWBIE.mac);
        assert.ok(pending, "pending machine recorded");
        assert.equal(pending.uuid, NEWBIE.uuid);
        assert.equal(pending.serial, "NEW 01");
        assert.equal(pending.arch, "i386");
        assert.equal(pending.platform, "pcbios");
        assert.equal(pending.sourceIp, "127.0.0.1");
        assert.equal(pending.seenCount, 2);
        assert.equal(pending.lastSeen.getTime() - pending.firstSeen.getTime(), 45_000);
        const event = events("unknown_machine").at(-1);
        assert.equal(event?.mac, NEWBIE.mac);
        assert.equal(event?.recorded, true);

        // Adding it to the inventory = a new revision with new settings over the same store.
        const input = appSettings();
        input.sites[0].machines.push(NEWBIE);
        const next = await start(input);
        const res = await get(next, path, siteAuth("alpha"));
        assert.equal(res.status, 200);
        const ticket = /\/v1\/config\/([A-Za-z0-9_-]{43})/.exec(res.body)?.[1];
        assert.ok(ticket, res.body);
        issuedTickets.push(ticket);
        assert.equal((await store.listPending("alpha")).some((p) => p.mac === NEWBIE.mac), false, "no longer pending");
        const cfg = await get(next, `/v1/config/${ticket}`);
        assert.equal(cfg.status, 200);
        assert.ok(cfg.body.includes("hostname: edge-3"));
    });

    it("serves one ticket exactly once to 100 parallel fetches", async () => {
        const ticket = await issueTicket(main, "beta", BETA1);
        const mintsBefore = main.minter.minted.length;
        const results = await Promise.all(Array.from({ length: 100 }, () => get(main, `/v1/config/${ticket}`)));
        const ok = results.filter((r) => r.status === 200);
        assert.equal(ok.length, 1);
        assert.ok(ok[0].body.includes("hostname: beta-1"));
        assert.deepEqual(
            [...new Set(results.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.body}`))],
            ['410 {"error":"ticket_used"}'],
        );
        assert.equal(main.minter.minted.length - mintsBefore, 1, "one key minted");
        assert.equal((await store.listEnrollments({ site: "beta", machine: "beta-1" })).length, 1);
    });

    it("supersedes a machine's unused ticket when it asks again", async () => {
        const m = nextSpare("beta");
        const older = await issueTicket(main, "beta", m);
        const newer = await issueTicket(main, "beta", m);
        const refused = await get(main, `/v1/config/${older}`);
        assert.equal(refused.status, 410);
        assert.deepEqual(JSON.parse(refused.body), { error: "ticket_expired" });
        assert.equal(events("ticket_expired").at(-1)?.reason, "superseded");
        assert.equal((await get(main, `/v1/config/${newer}`)).status, 200);
    });

    it("sends an enrolled machine to its local disk: no ticket, no key, an audit event", async () => {
        const m = nextSpare("alpha");
        const ticket = await issueTicket(main, "alpha", m);
        assert.equal((await get(main, `/v1/config/${ticket}`)).status, 200);
        const issuedBefore = events("ticket_issued").length;
        const mintsBefore = main.minter.minted.length;

        // Its next network boot (firmware boot order: network, then disk).
        const res = await machineScript(main, "alpha", m);
        assertLocalBoot(res, m.name, 1);
        assert.equal(events("ticket_issued").length, issuedBefore, "no ticket issued");
        assert.equal(main.minter.minted.length, mintsBefore, "no key minted");
        const e = events("enrolled_local_boot").at(-1);
        assert.equal(e?.machine, m.name);
        assert.equal(e?.mac, m.mac);
        assert.equal(e?.enrollment, 1);
        assert.equal(e?.enrolledTicketRef, ticketId(ticket).slice(0, 12), "names the enrollment that closed the generation");
        assert.equal(typeof e?.enrolledAt, "string");
    });

    it("gives requests spoofing an enrolled machine's MAC nothing", async () => {
        const m = nextSpare("alpha");
        const ticket = await issueTicket(main, "alpha", m);
        assert.equal((await get(main, `/v1/config/${ticket}`)).status, 200);
        const before = { issued: events("ticket_issued").length, served: events("config_served").length, mints: main.minter.minted.length };
        const spoofs: Array<[{ mac: string; uuid?: string; serial?: string }, Record<string, string>]> = [
            [{ mac: m.mac }, {}],
            [{ mac: m.mac.toUpperCase() }, { arch: "i386", platform: "pcbios" }],
            [{ mac: m.mac, uuid: "99999999-2222-3333-4444-000000000999", serial: "FORGED-1" }, {}],
        ];
        for (const [identity, over] of spoofs) {
            assertLocalBoot(await machineScript(main, "alpha", identity, over), m.name, 1);
        }
        assert.equal(events("ticket_issued").length, before.issued, "no ticket for a spoofer");
        assert.equal(events("config_served").length, before.served);
        assert.equal(main.minter.minted.length, before.mints, "no key for a spoofer");
    });

    it("refuses a ticket issued while another config of the same generation was being served", async () => {
        let release: () => void = () => undefined;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let entered: () => void = () => undefined;
        const minting = new Promise<void>((resolve) => (entered = resolve));
        const slow = new FakeMinter();
        const inner = slow.mint.bind(slow);
        slow.mint = async (req) => {
            entered();
            await gate;
            return inner(req);
        };
        const h = await start(appSettings(), slow);
        const m = nextSpare("alpha");
        const real = await issueTicket(h, "alpha", m);
        const inFlight = get(h, `/v1/config/${real}`);
        await minting;
        // Not enrolled until the real machine's config is recorded: this one is still issued.
        const raced = await issueTicket(h, "alpha", m);
        release();
        assert.equal((await inFlight).status, 200);
        const refused = await get(h, `/v1/config/${raced}`);
        assert.equal(refused.status, 410);
        assert.deepEqual(JSON.parse(refused.body), { error: "ticket_revoked" });
        assert.equal(events("ticket_unknown").at(-1)?.reason, "machine already enrolled for this generation");
        assert.equal(slow.minted.length, 1, "one key for one generation");
        assert.equal((await store.listEnrollments({ site: "alpha", machine: m.name })).length, 1);
    });

    it("sends an enrolled machine to its disk even while the store is down, and refuses the rest with 503", async () => {
        const own = await createPgliteStore();
        const h = await start(appSettings(), new FakeMinter(), { store: own });
        const m = nextSpare("alpha");
        const ticket = await issueTicket(h, "alpha", m);
        assert.equal((await get(h, `/v1/config/${ticket}`)).status, 200);
        await own.close();
        assertLocalBoot(await machineScript(h, "alpha", m), m.name, 1);
        const other = await machineScript(h, "alpha", nextSpare("alpha"));
        assert.equal(other.status, 503);
        assert.deepEqual(JSON.parse(other.body), { error: "store_unavailable" });
    });

    it("re-enrolls a machine once, after its enrollment generation is bumped, and revokes the old generation's tickets", async () => {
        const m = nextSpare("alpha");
        const waiting = nextSpare("alpha");
        const first = await issueTicket(main, "alpha", m);
        assert.equal((await get(main, `/v1/config/${first}`)).status, 200);
        assertLocalBoot(await machineScript(main, "alpha", m), m.name, 1);
        const stale = await issueTicket(main, "alpha", waiting);

        // The operator bumps the generation and redeploys: a new revision over the same store.
        const input = appSettings();
        for (const x of input.sites[0].machines) {
            if (x.name === m.name || x.name === waiting.name) x.enrollment = 2;
        }
        const next = await start(input);

        const revoked = await get(next, `/v1/config/${stale}`);
        assert.equal(revoked.status, 410);
        assert.deepEqual(JSON.parse(revoked.body), { error: "ticket_revoked" });
        assert.equal(events("ticket_unknown").at(-1)?.reason, "enrollment generation changed to 2");

        const second = await issueTicket(next, "alpha", m);
        assert.equal(events("ticket_issued").at(-1)?.enrollment, 2);
        const cfg = await get(next, `/v1/config/${second}`);
        assert.equal(cfg.status, 200);
        assert.ok(cfg.body.includes(`hostname: ${m.name}`));
        assert.equal(next.minter.minted.length, 1, "a fresh key for the new generation");
        assert.equal(events("config_served").at(-1)?.enrollment, 2);
        assert.deepEqual((await store.listEnrollments({ site: "alpha", machine: m.name })).map((e) => e.enrollment), [1, 2]);

        // Generation 2 is served now: later boots go to the disk again, on either revision.
        assertLocalBoot(await machineScript(next, "alpha", m), m.name, 2);
        assertLocalBoot(await machineScript(main, "alpha", m), m.name, 1);
        assert.equal(next.minter.minted.length, 1);
    });

    it("revokes the ticket of a machine removed from the inventory, on every retry", async () => {
        const m = nextSpare("alpha");
        const ticket = await issueTicket(main, "alpha", m);
        const input = appSettings();
        input.sites[0].machines = input.sites[0].machines.filter((x) => x.name !== m.name);
        const next = await start(input);
        for (let i = 0; i < 2; i++) {
            const res = await get(next, `/v1/config/${ticket}`);
            assert.equal(res.status, 410);
            assert.deepEqual(JSON.parse(res.body), { error: "ticket_revoked" });
            assert.equal(events("ticket_unknown").at(-1)?.reason, "machine no longer in the inventory");
        }
        assert.equal(next.minter.minted.length, 0);
    });

    it("keeps the ticket valid when key minting fails, so Talos's retry succeeds", async () => {
        const ticket = await issueTicket(main);
        main.minter.failures = 1;
        const failed = await get(main, `/v1/config/${ticket}`);
        assert.equal(failed.status, 503);
        assert.deepEqual(JSON.parse(failed.body), { error: "key_unavailable" });
        assert.equal(failed.headers["retry-after"], "30");
        assert.ok(events("key_mint_failed").length > 0);
        const retried = await get(main, `/v1/config/${ticket}`);
        assert.equal(retried.status, 200);
    });

    it("finishes an in-flight config fetch when closed, then refuses connections", async () => {
        let release: () => void = () => undefined;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let entered: () => void = () => undefined;
        const minting = new Promise<void>((resolve) => (entered = resolve));
        const slow = new FakeMinter();
        const inner = slow.mint.bind(slow);
        slow.mint = async (req) => {
            entered();
            await gate;
            return inner(req);
        };
        const h = await start(appSettings(), slow);
        const ticket = await issueTicket(h);
        const inFlight = get(h, `/v1/config/${ticket}`);
        await minting;
        const closing = h.app.close();
        release();
        const res = await inFlight;
        assert.equal(res.status, 200, "the in-flight request completed");
        await closing;
        await assert.rejects(get(h, "/healthz"), /ECONNREFUSED/);
    });

    describe("malformed and hostile requests", () => {
        const A = SITE_TOKENS.alpha;
        const good = (over: Record<string, string> = {}) => `/v1/sites/alpha/machine.ipxe?${machineQuery(EDGE1, over)}`;
        interface Row {
            name: string;
            method?: string;
            path: string | (() => Promise<string>);
            headers?: Record<string, string>;
            body?: string;
            target?: "main" | "limited";
            status: number;
            error: string;
            field?: string;
        }
        const rows: Row[] = [
            { name: "site script without a token", path: "/v1/sites/alpha/boot.ipxe", status: 401, error: "token_required" },
            { name: "empty token", path: "/v1/sites/alpha/boot.ipxe?token=", status: 401, error: "token_required" },
            { name: "wrong token of the right length", path: `/v1/sites/alpha/boot.ipxe?token=${"x".repeat(A.length)}`, status: 403, error: "forbidden" },
            { name: "another site's token", path: `/v1/sites/alpha/boot.ipxe?token=${SITE_TOKENS.beta}`, status: 403, error: "forbidden" },
            { name: "token one character short", path: `/v1/sites/alpha/boot.ipxe?token=${A.slice(0, -1)}`, status: 403, error: "forbidden" },
            { name: "token with one character more", path: `/v1/sites/alpha/boot.ipxe?token=${A}x`, status: 403, error: "forbidden" },
            { name: "overlong token", path: `/v1/sites/alpha/boot.ipxe?token=${"a".repeat(200)}`, status: 400, error: "invalid_request", field: "token" },
            { name: "unicode token", path: `/v1/sites/alpha/boot.ipxe?token=${encodeURIComponent("tøkenÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅÅ")}`, status: 400, error: "invalid_request", field: "token" },
            { name: "token given twice", path: `/v1/sites/alpha/boot.ipxe?token=${A}&token=${A}`, status: 400, error: "invalid_request" },
            { name: "valid token for a site that does not exist", path: `/v1/sites/gamma/boot.ipxe?token=${A}`, status: 403, error: "forbidden" },
            { name: "path traversal in the site name", path: `/v1/sites/../boot.ipxe?token=${A}`, status: 400, error: "invalid_request", field: "site" },
            { name: "encoded traversal in the site name", path: `/v1/sites/..%2F..%2Fetc%2Fpasswd/boot.ipxe?token=${A}`, status: 400, error: "invalid_request", field: "site" },
            { name: "upper-case site name", path: `/v1/sites/ALPHA/boot.ipxe?token=${A}`, status: 400, error: "invalid_request", field: "site" },
            { name: "NUL in the site name", path: `/v1/sites/alpha%00/boot.ipxe?token=${A}`, status: 400, error: "invalid_request", field: "site" },
            { name: "bad percent-encoding", path: `/v1/sites/%E0%A4%A/boot.ipxe?token=${A}`, status: 400, error: "bad_request" },
            { name: "machine request with a wrong token", path: `/v1/sites/alpha/machine.ipxe?${machineQuery(EDGE1, {}, "y".repeat(30))}`, status: 403, error: "forbidden" },
            { name: "newline + command injected after the MAC", path: good({ mac: "aa-bb-cc-dd-ee-ff%0Aboot" }), status: 400, error: "invalid_request", field: "mac" },
            { name: "MAC missing", path: `/v1/sites/alpha/machine.ipxe?token=${A}&arch=x86_64&platform=efi`, status: 400, error: "invalid_request", field: "mac" },
            { name: "unexpanded ${mac:hexhyp}", path: good({ mac: "%24%7Bmac%3Ahexhyp%7D" }), status: 400, error: "invalid_request", field: "mac" },
            { name: "MAC with mixed separators", path: good({ mac: "52-54:00-00-01-01" }), status: 400, error: "invalid_request", field: "mac" },
            { name: "iPXE expansion in the UUID", path: good({ uuid: "%24%7Bnet0%2Fmac%7D" }), status: 400, error: "invalid_request", field: "uuid" },
            { name: "newline in the UUID", path: good({ uuid: `${EDGE1.uuid}%0Achain%20http%3A%2F%2Fevil` }), status: 400, error: "invalid_request", field: "uuid" },
            { name: "|| in the serial", path: good({ serial: "SN%7C%7Creboot" }), status: 400, error: "invalid_request", field: "serial" },
            { name: "semicolon in the serial", path: good({ serial: "a%3Bb" }), status: 400, error: "invalid_request", field: "serial" },
            { name: "equals sign in the serial", path: good({ serial: "a%3Db" }), status: 400, error: "invalid_request", field: "serial" },
            { name: "newline in the serial", path: good({ serial: "SN-0101%0Akernel%20http%3A%2F%2Fevil" }), status: 400, error: "invalid_request", field: "serial" },
            { name: "YAML in the serial", path: good({ serial: "x%0Akind%3A%20Evil" }), status: 400, error: "invalid_request", field: "serial" },
            { name: "overlong serial", path: good({ serial: "S".repeat(100) }), status: 400, error: "invalid_request", field: "serial" },
            { name: "newline in the arch", path: good({ arch: "x86_64%0Aimgfree" }), status: 400, error: "invalid_request", field: "arch" },
            { name: "unknown arch", path: good({ arch: "mips" }), status: 400, error: "invalid_request", field: "arch" },
            { name: "command after the platform", path: good({ platform: "efi%3Breboot" }), status: 400, error: "invalid_request", field: "platform" },
            { name: "unexpanded ${platform}", path: good({ platform: "%24%7Bplatform%7D" }), status: 400, error: "invalid_request", field: "platform" },
            { name: "unknown query parameter", path: `${good()}&debug=1`, status: 400, error: "invalid_request" },
            { name: "MAC and UUID of two different machines", path: good({ uuid: EDGE2.uuid }), headers: siteAuth("alpha"), status: 409, error: "identity_conflict" },
            { name: "arm64 iPXE for an amd64 machine", path: good({ arch: "arm64" }), headers: siteAuth("alpha"), status: 409, error: "identity_conflict" },
            { name: "Host header that is no host name", path: `/v1/sites/alpha/boot.ipxe?token=${A}`, headers: { host: "evil$(reboot).example" }, status: 400, error: "invalid_host" },
            { name: "overlong URL", path: `/v1/sites/alpha/boot.ipxe?token=${A}&pad=${"p".repeat(3000)}`, status: 414, error: "uri_too_long" },
            { name: "huge header", path: "/healthz", headers: { "x-padding": "h".repeat(20_000) }, status: 431, error: "headers_too_large" },
            { name: "oversize body on POST", method: "POST", path: "/v1/config/abc", headers: { "content-type": "application/json" }, body: "{" + " ".repeat(5000) + "}", status: 413, error: "body_too_large" },
            { name: "POST to a GET route", method: "POST", path: good(), headers: { "content-type": "text/plain" }, body: "hi", status: 405, error: "method_not_allowed" },
            { name: "DELETE of a config", method: "DELETE", path: `/v1/config/${"A".repeat(43)}`, status: 405, error: "method_not_allowed" },
            {
                name: "HEAD of a config (would consume the ticket)",
                method: "HEAD",
                path: async () => `/v1/config/${await issueTicket(main)}`,
                status: 405,
                error: "",
            },
            { name: "unknown route", path: "/admin", status: 404, error: "not_found" },
            { name: "trailing slash", path: "/healthz/", status: 404, error: "not_found" },
            { name: "semicolon path parameter", path: `/v1/sites/alpha/boot.ipxe;x=1?token=${A}`, status: 404, error: "not_found" },
            { name: "malformed ticket", path: "/v1/config/short", status: 400, error: "invalid_request", field: "ticket" },
            { name: "ticket with a forbidden character", path: `/v1/config/${"A".repeat(42)}!`, status: 400, error: "invalid_request", field: "ticket" },
            { name: "unknown ticket", path: `/v1/config/${"Q".repeat(43)}`, status: 404, error: "ticket_unknown" },
            { name: "query string on a config fetch", path: async () => `/v1/config/${await issueTicket(main)}?token=${A}`, status: 400, error: "invalid_request" },
            {
                name: "ticket replay",
                path: async () => {
                    const t = await issueTicket(main);
                    assert.equal((await get(main, `/v1/config/${t}`)).status, 200);
                    return `/v1/config/${t}`;
                },
                status: 410,
                error: "ticket_used",
            },
            {
                name: "expired ticket",
                path: async () => {
                    const t = await issueTicket(main);
                    nowMs += 901_000;
                    return `/v1/config/${t}`;
                },
                status: 410,
                error: "ticket_expired",
            },
            { name: "rate limit exceeded", target: "limited", path: `/v1/sites/alpha/boot.ipxe?token=${A}`, status: 429, error: "rate_limited" },
        ];

        it("has at least 30 rows", () => {
            assert.ok(rows.length >= 30, `${rows.length} rows`);
        });

        for (const row of rows) {
            it(`${row.name} -> ${row.status}${row.error ? ` ${row.error}` : ""}`, async () => {
                const h = row.target === "limited" ? limited : main;
                if (row.target === "limited") {
                    for (let i = 0; i < 3; i++) await get(h, `/v1/sites/alpha/boot.ipxe?token=${A}`);
                }
                const path = typeof row.path === "function" ? await row.path() : row.path;
                const res = await rawRequest(h.port, { method: row.method, path, headers: row.headers, body: row.body });
                assert.equal(res.status, row.status, `${row.name}: ${res.body}`);
                if (row.method !== "HEAD") {
                    const body = JSON.parse(res.body) as Record<string, unknown>;
                    assert.equal(body.error, row.error);
                    if (row.field) assert.equal(body.field, row.field);
                    assert.deepEqual(Object.keys(body).filter((k) => k !== "error" && k !== "field"), [], "nothing else in an error body");
                }
                assert.ok(!res.body.includes("#!ipxe"), "no script on a refusal");
                assertNoSecret(res.body, `the ${row.status} body`);
                assertNoSecret(JSON.stringify(res.headers), "the response headers");
            });
        }

        it("a HEAD request did not consume the ticket", async () => {
            const t = await issueTicket(main);
            assert.equal((await rawRequest(main.port, { method: "HEAD", path: `/v1/config/${t}` })).status, 405);
            assert.equal((await get(main, `/v1/config/${t}`)).status, 200);
        });

        it("rate limiting spares /healthz", async () => {
            assert.equal((await get(limited, "/healthz")).status, 200);
        });
    });

    describe("logs (checked after every request above)", () => {
        it("are structured JSON with audit events and never a secret", () => {
            assert.ok(logs.length > 50);
            for (const line of logs) {
                const entry = JSON.parse(line) as Record<string, unknown>;
                assert.ok(typeof entry.severity === "string" && typeof entry.message === "string" && typeof entry.time === "string", line);
                assertNoSecret(line, "a log line");
                assert.ok(!line.includes("token="), `query string logged: ${line}`);
            }
            for (const name of ["script_issued", "ticket_issued", "enrolled_local_boot", "config_served", "replay_refused", "unknown_machine", "token_refused", "identity_conflict", "ticket_expired", "ticket_unknown"]) {
                assert.ok(events(name).length > 0, `no ${name} event`);
            }
            assert.ok(events("ticket_expired").some((e) => e.reason === "ttl"), "TTL expiry told apart from supersession");
            // Every audit line names its request and source address itself.
            for (const line of logs.map((l) => JSON.parse(l) as Record<string, any>).filter((l) => typeof l.event === "string")) {
                // 203.0.113.9: the X-Forwarded-For client behind the trusted proxy in the proxy test.
                assert.ok(["127.0.0.1", "203.0.113.9"].includes(line.req?.remoteAddress), JSON.stringify(line));
                assert.ok(typeof line.req?.path === "string" && !line.req.path.includes("?"));
            }
            // One info line per request: its audit line, or else a request line written when it
            // completes, with method, masked path, status and response time.
            assert.equal(logs.filter((l) => l.includes('"message":"incoming request"')).length, 0);
            const entries = logs.map((l) => JSON.parse(l) as Record<string, any>);
            const completed = entries.filter((l) => l.message === "request completed");
            assert.ok(completed.length > 10, "requests without an audit event get a request line");
            for (const line of completed) {
                assert.equal(typeof line.req?.method, "string");
                assert.equal(typeof line.req?.path, "string");
                assert.equal(typeof line.res?.statusCode, "number");
                assert.equal(typeof line.responseTime, "number");
            }
            const infoLinesByRequest = new Map<string, Record<string, any>[]>();
            for (const line of entries.filter((l) => l.severity === "INFO" && typeof l.reqId === "string")) {
                infoLinesByRequest.set(line.reqId, [...(infoLinesByRequest.get(line.reqId) ?? []), line]);
            }
            assert.ok(infoLinesByRequest.size > 50);
            for (const [reqId, lines] of infoLinesByRequest) {
                const audited = lines.filter((l) => typeof l.event === "string");
                const requestLines = lines.filter((l) => l.message === "request completed");
                if (audited.length > 0) {
                    assert.ok(requestLines.every((l) => l.res.statusCode >= 500), `request ${reqId} has an audit line and a request line: ${JSON.stringify(lines)}`);
                } else {
                    assert.equal(requestLines.length, 1, `request ${reqId}: ${JSON.stringify(lines)}`);
                }
            }
            const configPaths = logs.filter((l) => l.includes("/v1/config/"));
            assert.ok(configPaths.length > 0 && configPaths.every((l) => l.includes("/v1/config/[ticket]")));
        });
    });
});
