/**
 * log-redaction.ts: the guard that censors secret-bearing fields in log lines, in place of pino's
 * `redact`. Lines go through the service's real logger options (logger.ts) into a real pino
 * instance; the property test holds it to at least what pino's `redact` with the paths the
 * service used before hid, for generated shapes.
 */
import { strict as assert } from "node:assert";
import fc from "fast-check";
import pino from "pino";
import { CENSOR, NESTED_SECRET_KEYS, redactSecrets, TOP_LEVEL_SECRET_KEYS } from "../../infra/boot-server/src/log-redaction";
import { serviceLogger } from "../../infra/boot-server/src/logger";

/** The pino `redact` paths the service configured before log-redaction.ts. */
const PINO_REDACT_PATHS = [
    "req.headers",
    "req.query",
    "req.url",
    "headers",
    "query",
    "token",
    "ticket",
    "authKey",
    "key",
    "*.token",
    "*.ticket",
    "*.authKey",
    "*.key",
    "*.authorization",
    "*.cookie",
    "*.databaseUrl",
    "*.connectionString",
];

/** A pino logger writing lines into an array: `service` uses the service's options, `pinoRedact` pino's own redact. */
function capture(kind: "service" | "pinoRedact"): { log: pino.Logger; lines: string[] } {
    const lines: string[] = [];
    const sink = { write: (line: string) => void lines.push(line) };
    const log = kind === "service" ? serviceLogger("info", sink) : pino({ redact: { paths: PINO_REDACT_PATHS, censor: CENSOR } }, sink);
    return { log, lines };
}

describe("boot-server log redaction", () => {
    it("censors secret keys at the top level and one level down, and nothing else", () => {
        const { log, lines } = capture("service");
        log.info({ token: "s-top", site: "alpha", upstream: { authKey: "s-nested", status: 502, detail: { key: "two-down" } } }, "mint failed");
        const line = JSON.parse(lines[0]) as Record<string, unknown>;
        assert.equal(line.token, CENSOR);
        assert.equal(line.site, "alpha");
        assert.deepEqual(line.upstream, { authKey: CENSOR, status: 502, detail: { key: "two-down" } });
        assert.equal(line.message, "mint failed");
    });

    it("returns the caller's object untouched when nothing needs censoring, and never mutates it", () => {
        const clean = Object.freeze({ site: "alpha", machine: "m1", req: { headers: { authorization: "x" } }, nested: Object.freeze({ mac: "52:54:00:00:00:01" }) });
        assert.equal(redactSecrets(clean), clean);
        const dirty = Object.freeze({ site: "alpha", nested: Object.freeze({ token: "t", mac: "m" }), ticket: "t2" });
        const out = redactSecrets(dirty);
        assert.notEqual(out, dirty);
        assert.deepEqual(out, { site: "alpha", nested: { token: CENSOR, mac: "m" }, ticket: CENSOR });
        assert.deepEqual(dirty, { site: "alpha", nested: { token: "t", mac: "m" }, ticket: "t2" });
    });

    it("censors secret properties of a logged error and keeps its message, type and stack", () => {
        const { log, lines } = capture("service");
        const err = Object.assign(new TypeError("upstream refused"), { code: "E_UPSTREAM", connectionString: "postgres://u:p@h/db", token: "tok" });
        log.error({ err }, "store failed");
        const line = JSON.parse(lines[0]) as { err: Record<string, unknown> };
        assert.equal(line.err.message, "upstream refused");
        assert.equal(line.err.type, "TypeError");
        assert.equal(line.err.code, "E_UPSTREAM");
        assert.match(String(line.err.stack), /upstream refused/);
        assert.equal(line.err.connectionString, CENSOR);
        assert.equal(line.err.token, CENSOR);
        assert.ok(!lines[0].includes("u:p@h"));
        // Not error-like values under `err` pass through (censored the same way when they are objects).
        log.error({ err: { token: "plain" } }, "odd");
        log.error({ err: null }, "odder");
        assert.deepEqual((JSON.parse(lines[1]) as { err: unknown }).err, { token: CENSOR });
        assert.equal((JSON.parse(lines[2]) as { err: unknown }).err, null);
    });

    it("censors child logger bindings", () => {
        const { log, lines } = capture("service");
        const child = log.child({ ticket: "bound-ticket", reqId: "r1", upstream: { token: "bound-token" } });
        child.info("x");
        child.child({ key: "grandchild-key" }, { level: "info" }).info("y");
        const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
        assert.equal(first.ticket, CENSOR);
        assert.equal(first.reqId, "r1");
        assert.deepEqual(first.upstream, { token: CENSOR });
        assert.equal(second.key, CENSOR);
        assert.ok(!lines.join("").includes("bound-") && !lines.join("").includes("grandchild-"));
    });

    it("hides, for generated log fields, every value pino's redact hid and every value under a secret key", () => {
        let counter = 0;
        // Unique leaf values so a value's presence in a line can be checked by its quoted form.
        const leaf = fc.constant(null).map(() => `v${counter++}`);
        const key = fc.constantFrom(...TOP_LEVEL_SECRET_KEYS, "site", "machine", "detail", "upstream", "status", "reason");
        const level2 = fc.dictionary(key, leaf, { maxKeys: 4 });
        const level1 = fc.dictionary(key, fc.oneof(leaf, level2, fc.array(level2, { maxLength: 2 })), { maxKeys: 4 });
        const fields = fc.dictionary(key, fc.oneof(leaf, level1), { minKeys: 1, maxKeys: 5 });
        fc.assert(
            fc.property(fields, (f) => {
                const ours = capture("service");
                const theirs = capture("pinoRedact");
                ours.log.info(f, "m");
                theirs.log.info(f, "m");
                const [mine, pinos] = [ours.lines[0], theirs.lines[0]];
                const expectHidden = new Set<string>();
                const expectShown = new Set<string>();
                const walk = (value: unknown, hidden: boolean, into: (v: string, hidden: boolean) => void): void => {
                    if (typeof value === "string") into(value, hidden);
                    else if (Array.isArray(value)) value.forEach((v) => walk(v, hidden, into));
                    else if (value && typeof value === "object") Object.values(value).forEach((v) => walk(v, hidden, into));
                };
                const note = (v: string, hidden: boolean): void => void (hidden ? expectHidden : expectShown).add(v);
                for (const [k1, v1] of Object.entries(f)) {
                    if (TOP_LEVEL_SECRET_KEYS.has(k1)) walk(v1, true, note);
                    else if (v1 !== null && typeof v1 === "object" && !Array.isArray(v1)) {
                        for (const [k2, v2] of Object.entries(v1)) walk(v2, NESTED_SECRET_KEYS.has(k2), note);
                    } else walk(v1, false, note);
                }
                for (const v of expectHidden) assert.ok(!mine.includes(`"${v}"`), `${v} is under a secret key but was logged: ${mine}`);
                for (const v of expectShown) assert.ok(mine.includes(`"${v}"`), `${v} is under no secret key but was censored: ${mine}`);
                // Whatever pino's redact hid, this hides too.
                for (const v of [...expectHidden, ...expectShown]) {
                    if (!pinos.includes(`"${v}"`)) assert.ok(!mine.includes(`"${v}"`), `pino's redact hid ${v}, log-redaction did not: ${mine}`);
                }
            }),
            { numRuns: 300 },
        );
    });
});
