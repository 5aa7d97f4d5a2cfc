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

    it("logs paths without their query string and with tickets masked", () => {
        assert.equal(loggablePath("/v1/sites/alpha/boot.ipxe?token=secret"), "/v1/sites/alpha/boot.ipxe");
        assert.equal(loggablePath(`/v1/config/${"A".repeat(43)}`), "/v1/config/[ticket]");
        assert.equal(loggablePath(undefined), "");
    });
});
