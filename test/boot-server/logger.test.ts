import { strict as assert } from "node:assert";
import Fastify from "fastify";
import { audit } from "../../infra/boot-server/src/http/request";
import { fastifyLogging, isoTimestamp, loggablePath } from "../../infra/boot-server/src/logger";

describe("boot-server logger", () => {
    it("stamps each line with the current millisecond, rebuilding the string only when it changes", () => {
        let ms = Date.parse("2026-06-01T08:00:00.000Z");
        const stamp = isoTimestamp(() => ms);
        assert.equal(stamp(), ',"time":"2026-06-01T08:00:00.000Z"');
        assert.equal(stamp(), ',"time":"2026-06-01T08:00:00.000Z"');
        ms += 1;
        assert.equal(stamp(), ',"time":"2026-06-01T08:00:00.001Z"');
        ms += 3_600_000;
        assert.equal(stamp(), ',"time":"2026-06-01T09:00:00.001Z"');
    });

    it("logs paths rebuilt from the matched route: tickets masked, unknown sites masked, unrouted paths not at all", () => {
        const sites = new Set(["alpha"]);
        assert.equal(loggablePath({ routeOptions: { url: "/v1/sites/:site/boot.ipxe" }, params: { site: "alpha" } }, sites), "/v1/sites/alpha/boot.ipxe");
        assert.equal(loggablePath({ routeOptions: { url: "/v1/sites/:site/boot.ipxe" }, params: { site: "tokenlookalike" } }, sites), "/v1/sites/[site]/boot.ipxe");
        assert.equal(loggablePath({ routeOptions: { url: "/v1/config/:ticket" }, params: { ticket: "A".repeat(43) } }, sites), "/v1/config/[ticket]");
        assert.equal(loggablePath({ routeOptions: { url: "/v1/admin/machines/:mac" }, params: { mac: "52-54-00-AA-BB-CC" } }, sites), "/v1/admin/machines/52-54-00-aa-bb-cc");
        assert.equal(loggablePath({ routeOptions: { url: "/v1/admin/machines/:mac" }, params: { mac: "secret" } }, sites), "/v1/admin/machines/[mac]");
        assert.equal(loggablePath({ routeOptions: { url: "/v1/x/:other" }, params: { other: "secret" } }, sites), "/v1/x/[param]");
        assert.equal(loggablePath({ routeOptions: {}, params: {} }, sites), "[unrouted]");
        assert.equal(loggablePath({}), "[unrouted]");
    });

    it("writes one info line per request: the audit line alone, a request line without one, both for an audited 5xx", async () => {
        const lines: string[] = [];
        const app = Fastify(fastifyLogging("info", { write: (line: string) => void lines.push(line) }));
        app.get("/audited", async (req, reply) => {
            audit(req, "script_issued", { site: "alpha" }, "site script issued");
            return reply.send("ok");
        });
        app.get("/audited-then-failed", async (req, reply) => {
            audit(req, "script_issued", { site: "alpha" }, "site script issued");
            return reply.code(503).send("down");
        });
        app.get("/plain", async (_req, reply) => reply.send("ok"));
        try {
            const byPath: Record<string, Array<Record<string, any>>> = {};
            for (const url of ["/audited", "/audited-then-failed", "/plain"]) {
                lines.length = 0;
                assert.ok((await app.inject({ url })).statusCode < 600);
                byPath[url] = lines.map((l) => JSON.parse(l) as Record<string, any>).filter((l) => l.severity === "INFO");
            }
            assert.deepEqual(byPath["/audited"].map((l) => l.event ?? l.message), ["script_issued"]);
            assert.deepEqual(byPath["/audited-then-failed"].map((l) => l.event ?? l.message), ["script_issued", "request completed"]);
            assert.equal(byPath["/audited-then-failed"][1].res.statusCode, 503);
            assert.deepEqual(byPath["/plain"].map((l) => l.event ?? l.message), ["request completed"]);
            assert.equal(typeof byPath["/plain"][0].responseTime, "number");
        } finally {
            await app.close();
        }
    });
});
