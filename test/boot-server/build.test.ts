/**
 * The Cloud Run bundle really runs: build it into a temp dir, start `node server.js` from
 * there (no node_modules of the repository on its path), answer /healthz and a site script,
 * and stop cleanly on SIGTERM.
 */
import { strict as assert } from "node:assert";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { buildBootServerBundle } from "../../infra/boot-server/build";
import { BASE_CONFIG, rawRequest, settingsInput, SITE_TOKENS } from "./fixtures";

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const { port } = srv.address() as net.AddressInfo;
            srv.close(() => resolve(port));
        });
    });
}

function waitForLine(child: ChildProcess, lines: string[], pattern: RegExp, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${lines.join("\n")}`)), timeoutMs);
        const check = (): void => {
            if (lines.some((l) => pattern.test(l))) {
                clearTimeout(timer);
                resolve();
            }
        };
        child.stdout?.on("data", check);
        child.once("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`server exited (${code}) before ${pattern}:\n${lines.join("\n")}`));
        });
        check();
    });
}

describe("boot-server bundle (esbuild)", function () {
    this.timeout(120_000);
    let dir: string;
    let child: ChildProcess | undefined;
    const lines: string[] = [];

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "boot-bundle-"));
    });
    after(() => {
        if (child && child.exitCode === null) child.kill("SIGKILL");
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("builds a self-contained directory", async () => {
        const out = await buildBootServerBundle(path.join(dir, "dist"));
        assert.equal(out, path.join(dir, "dist"));
        for (const f of ["server.js", "package.json", "node_modules/@electric-sql/pglite/dist/index.cjs", "node_modules/@electric-sql/pglite/dist/pglite.wasm"]) {
            assert.ok(fs.existsSync(path.join(out, f)), `${f} missing`);
        }
        const pkg = JSON.parse(fs.readFileSync(path.join(out, "package.json"), "utf8"));
        assert.equal(pkg.main, "server.js");
        const js = fs.readFileSync(path.join(out, "server.js"), "utf8");
        assert.ok(!/require\("fastify"\)|require\("yaml"\)|require\("pg"\)/.test(js), "dependencies are bundled, not required");
    });

    it("serves from the bundle with embedded PGlite and stops on SIGTERM", async () => {
        const out = path.join(dir, "dist");
        const port = await freePort();
        const settingsFile = path.join(dir, "settings.json");
        fs.writeFileSync(settingsFile, JSON.stringify(settingsInput()));
        child = spawn(process.execPath, ["server.js"], {
            cwd: out,
            env: {
                PATH: process.env.PATH,
                BOOT_SETTINGS_FILE: settingsFile,
                BOOT_BASE_CONFIG: BASE_CONFIG,
                BOOT_SITE_TOKENS: JSON.stringify(SITE_TOKENS),
                TS_OAUTH_CLIENT_ID: "client-id",
                TS_OAUTH_CLIENT_SECRET: "tskey-client-secret",
                BOOT_DATA_DIR: path.join(dir, "pgdata"),
                PORT: String(port),
                HOST: "127.0.0.1",
                NODE_PATH: "",
            },
            stdio: ["ignore", "pipe", "pipe"],
        });
        const collect = (d: Buffer) => lines.push(...d.toString("utf8").split("\n").filter(Boolean));
        child.stdout?.on("data", collect);
        child.stderr?.on("data", collect);
        await waitForLine(child, lines, /Server listening/, 90_000);

        const health = await rawRequest(port, { path: "/healthz" });
        assert.equal(health.status, 200);
        const site = await rawRequest(port, { path: `/v1/sites/alpha/boot.ipxe?token=${SITE_TOKENS.alpha}` });
        assert.equal(site.status, 200);
        assert.match(site.body, /^#!ipxe\n/);
        const pending = await rawRequest(port, { path: `/v1/sites/alpha/machine.ipxe?token=${SITE_TOKENS.alpha}&mac=52-54-00-77-77-77&uuid=&serial=&arch=x86_64&platform=efi` });
        assert.equal(pending.status, 200, "the store works from the bundle");
        assert.ok(fs.existsSync(path.join(dir, "pgdata")), "PGlite wrote its data dir");

        const exited = new Promise<number | null>((resolve) => child?.once("exit", (code) => resolve(code)));
        child.kill("SIGTERM");
        assert.equal(await exited, 0);
        assert.ok(lines.some((l) => /"message":"stopped"/.test(l)), lines.join("\n"));
        for (const l of lines) assert.ok(!l.includes(SITE_TOKENS.alpha), "token in the bundle's logs");
    });
});
