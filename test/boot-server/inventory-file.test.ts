/**
 * BOOT_INVENTORY_FILE: the inventory read from a file (as the stack ships it inside the source
 * bundle) through the same settings path as BOOT_SETTINGS.sites, with problems naming the file;
 * and the database runtime variables the stack sets beside it.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadBootEnvironment, SettingsError } from "../../infra/boot-server/src/settings";
import { inventoryFileText } from "../../model/bootContract";
import { BASE_CONFIG, settingsInput, SITE_TOKENS } from "./fixtures";

function problemsOf(fn: () => unknown): string[] {
    try {
        fn();
    } catch (err) {
        assert.ok(err instanceof SettingsError, `expected SettingsError, got ${(err as Error).message}`);
        return err.problems;
    }
    assert.fail("expected a SettingsError");
}

describe("boot-server BOOT_INVENTORY_FILE", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "boot-inventory-file-"));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const { sites, ...withoutSites } = settingsInput();
    function env(inventoryFile: string, over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
        return {
            BOOT_SETTINGS: JSON.stringify(withoutSites),
            BOOT_INVENTORY_FILE: inventoryFile,
            BOOT_BASE_CONFIG: BASE_CONFIG,
            BOOT_SITE_TOKENS: JSON.stringify(SITE_TOKENS),
            ...over,
        };
    }
    function file(name: string, text: string): string {
        const p = path.join(dir, name);
        fs.writeFileSync(p, text);
        return p;
    }

    it("reads the sites from the file, exactly as BOOT_SETTINGS.sites would give them", () => {
        const inventory = file("inventory.json", inventoryFileText(sites));
        const fromFile = loadBootEnvironment(env(inventory)).settings;
        const fromEnv = loadBootEnvironment({ ...env(""), BOOT_SETTINGS: JSON.stringify({ ...withoutSites, sites }) }).settings;
        assert.deepEqual(fromFile, fromEnv);
        assert.deepEqual(fromFile.sites.map((s) => s.name), ["alpha", "beta"]);
    });

    it("refuses the inventory in both places, an unreadable file, bad JSON or another shape, naming the file", () => {
        const inventory = file("both.json", inventoryFileText(sites));
        assert.match(
            problemsOf(() => loadBootEnvironment(env(inventory, { BOOT_SETTINGS: JSON.stringify({ ...withoutSites, sites }) }))).join(),
            /BOOT_SETTINGS\.sites: the inventory is also in BOOT_INVENTORY_FILE ".*both\.json"; give it in one place/,
        );
        assert.match(problemsOf(() => loadBootEnvironment(env(path.join(dir, "missing.json")))).join(), /BOOT_INVENTORY_FILE ".*missing\.json": cannot read the file \(ENOENT\)/);
        assert.match(problemsOf(() => loadBootEnvironment(env(file("bad.json", "{sites")))).join(), /BOOT_INVENTORY_FILE ".*bad\.json": is not valid JSON/);
        assert.match(
            problemsOf(() => loadBootEnvironment(env(file("shape.json", JSON.stringify({ sites, extra: 1 }))))).join(),
            /must be a JSON object \{"sites": \[\.\.\.\]\} with nothing else in it/,
        );
    });

    it("reports a bad machine in the file at its place in the file", () => {
        const broken = structuredClone(sites);
        broken[1].machines[0].mac = "not-a-mac";
        const problems = problemsOf(() => loadBootEnvironment(env(file("broken.json", inventoryFileText(broken)))));
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(problems[0], /^BOOT_INVENTORY_FILE ".*broken\.json": sites\[1\]\.machines\[0\]\.mac: /);
    });

    it("reads the database schema and pool size, refusing what the store could not use", () => {
        const inventory = file("ok.json", inventoryFileText(sites));
        const { runtime } = loadBootEnvironment(env(inventory, { BOOT_DATABASE_SCHEMA: "boot_state", BOOT_DATABASE_POOL_SIZE: "4" }));
        assert.deepEqual([runtime.databaseSchema, runtime.databasePoolSize], ["boot_state", 4]);
        const defaults = loadBootEnvironment(env(inventory)).runtime;
        assert.deepEqual([defaults.databaseSchema, defaults.databasePoolSize], [undefined, undefined]);
        assert.match(problemsOf(() => loadBootEnvironment(env(inventory, { BOOT_DATABASE_SCHEMA: "Boot; DROP" }))).join(), /BOOT_DATABASE_SCHEMA: "Boot; DROP" is not a schema name/);
        for (const bad of ["0", "101", "four", "1.5"]) {
            assert.match(problemsOf(() => loadBootEnvironment(env(inventory, { BOOT_DATABASE_POOL_SIZE: bad }))).join(), /BOOT_DATABASE_POOL_SIZE: must be a whole number of connections 1\.\.100/);
        }
    });
});
