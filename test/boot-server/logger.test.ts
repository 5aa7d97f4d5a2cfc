import { strict as assert } from "node:assert";
import { isoTimestamp, loggablePath } from "../../infra/boot-server/src/logger";

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
});
