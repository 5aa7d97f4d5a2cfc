import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tar from "tar";
import { packDirectory } from "../../infra/boot-server/pack";

describe("boot-server pack", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pack-test-"));
        fs.mkdirSync(path.join(dir, "src", "node_modules", "x"), { recursive: true });
        fs.writeFileSync(path.join(dir, "src", "server.js"), "console.log('hi')\n");
        fs.writeFileSync(path.join(dir, "src", "node_modules", "x", "index.js"), "module.exports = 1\n");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("is reproducible: same files, different mtimes and order of creation, same sha256", async () => {
        const a = await packDirectory(path.join(dir, "src"), path.join(dir, "a.tar.gz"));
        fs.utimesSync(path.join(dir, "src", "server.js"), new Date(), new Date(Date.now() - 86_400_000));
        const b = await packDirectory(path.join(dir, "src"), path.join(dir, "b.tar.gz"));
        assert.strictEqual(a, b);
        assert.ok(fs.readFileSync(path.join(dir, "a.tar.gz")).equals(fs.readFileSync(path.join(dir, "b.tar.gz"))));
    });

    it("changes when a file's content changes, and holds every file at its relative path", async () => {
        const a = await packDirectory(path.join(dir, "src"), path.join(dir, "a.tar.gz"));
        fs.writeFileSync(path.join(dir, "src", "server.js"), "console.log('bye')\n");
        const b = await packDirectory(path.join(dir, "src"), path.join(dir, "b.tar.gz"));
        assert.notStrictEqual(a, b);
        const entries: string[] = [];
        await tar.list({ file: path.join(dir, "b.tar.gz"), onReadEntry: (e) => { entries.push(e.path); } });
        assert.deepStrictEqual(entries, ["node_modules/x/index.js", "server.js"]);
    });
});
