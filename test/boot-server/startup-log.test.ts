/**
 * What the service says at start-up about the base config it was given: each hostname
 * conflict it removed (Talos v1.12 refuses a HostnameConfig beside a fixed hostname or
 * stableHostname) is one warning naming the field, never the config's content.
 */
import * as assert from "node:assert/strict";
import { buildApp } from "../../infra/boot-server/src/app";
import { parseBootSettings } from "../../infra/boot-server/src/settings";
import { createPgliteStore } from "../../infra/boot-server/src/store/pglite";
import { BASE_CONFIG, BASE_CONFIG_WITH_HOSTNAME_CONFLICTS, FakeMinter, SITE_TOKENS, settingsInput } from "./fixtures";

async function startupLines(baseConfig: string): Promise<Array<Record<string, unknown>>> {
    const lines: string[] = [];
    const store = await createPgliteStore();
    const app = await buildApp({
        settings: parseBootSettings(settingsInput()),
        secrets: { baseConfig, siteTokens: SITE_TOKENS },
        store,
        minter: new FakeMinter(),
        logSink: { write: (line: string) => void lines.push(line) },
    });
    await app.close();
    await store.close();
    return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("boot-server start-up log", function () {
    this.timeout(30_000);

    it("warns once per hostname conflict removed from the base config, naming the field only", async () => {
        const lines = (await startupLines(BASE_CONFIG_WITH_HOSTNAME_CONFLICTS)).filter((l) => l.event === "base_config_adjusted");
        assert.equal(lines.length, 2, JSON.stringify(lines));
        assert.match(String(lines[0].message), /machine\.network\.hostname/);
        assert.match(String(lines[1].message), /machine\.features\.stableHostname/);
        assert.ok(!JSON.stringify(lines).includes("one-name-for-all"), "the removed value is not logged");
    });

    it("says nothing when the base config has no conflict", async () => {
        const lines = await startupLines(BASE_CONFIG);
        assert.deepEqual(lines.filter((l) => l.event === "base_config_adjusted"), []);
    });
});
