/**
 * The GcsObjectFromUrl provider against local fakes: an Image Factory that serves bytes and a
 * Cloud Storage JSON API that implements resumable uploads and generation-matched deletes
 * (both on 127.0.0.1). The provider functions are called directly, and once more through the
 * exact module text stored in state, loaded the way Pulumi's dynamic provider host loads it.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import {
    copyUrlToGcs,
    deleteGcsObject,
    deleteWithoutInputs,
    diffUrlCopy,
    updateUrlCopy,
    providerModuleText,
    urlCopyProblems,
    UrlCopyInputs,
} from "../components/gcsObjectFromUrlProvider";

const TOKEN = "ya29.fake-access-token-for-tests";
const MiB = 1024 * 1024;

interface StoredObject {
    data: Buffer;
    generation: string;
    contentType: string;
    metadata: Record<string, string>;
}

interface Session {
    bucket: string;
    name: string;
    contentType: string;
    metadata: Record<string, string>;
    parts: Buffer[];
    persisted: number;
    cancelled: boolean;
}

interface SeenRequest {
    method: string;
    url: string;
    authorization?: string;
    contentRange?: string;
    uploadLength?: string;
}

/** A Cloud Storage JSON API fake: resumable uploads, object deletes, failure injection. */
class FakeStorage {
    readonly objects = new Map<string, StoredObject>();
    readonly sessions = new Map<string, Session>();
    readonly requests: SeenRequest[] = [];
    /** PUT numbers (1-based, status queries included) answered with 503 without storing anything. */
    failPuts = new Set<number>();
    /** When set, a data PUT stores only this many bytes of its body (a multiple of 256 KiB). */
    persistAtMost?: number;
    /** Flip one stored byte before finalizing: Cloud Storage then reports a different MD5. */
    corrupt = false;
    /** Status for session initiation (200 = accept). */
    initStatus = 200;
    private puts = 0;
    private generation = 1_700_000_000_000_000;
    private server!: http.Server;
    url = "";

    key(bucket: string, name: string): string {
        return `${bucket}/${name}`;
    }

    async start(): Promise<void> {
        this.server = http.createServer((req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => this.handle(req, Buffer.concat(chunks), res));
        });
        await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
        this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    }

    async stop(): Promise<void> {
        await new Promise((r) => this.server.close(r));
    }

    private handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
        const u = new URL(req.url!, this.url);
        this.requests.push({
            method: req.method!,
            url: u.pathname + u.search,
            authorization: req.headers.authorization,
            contentRange: req.headers["content-range"] as string | undefined,
            uploadLength: req.headers["x-upload-content-length"] as string | undefined,
        });
        const init = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(u.pathname);
        if (req.method === "POST" && init && u.searchParams.get("uploadType") === "resumable") {
            if (req.headers.authorization !== `Bearer ${TOKEN}`) {
                return void res.writeHead(401).end(JSON.stringify({ error: { code: 401, message: "Invalid Credentials" } }));
            }
            if (this.initStatus !== 200) {
                return void res.writeHead(this.initStatus).end(JSON.stringify({ error: { code: this.initStatus, message: "denied" } }));
            }
            const meta = JSON.parse(body.toString("utf8")) as { name: string; contentType: string; metadata: Record<string, string> };
            const id = crypto.randomBytes(8).toString("hex");
            this.sessions.set(id, { bucket: decodeURIComponent(init[1]), name: u.searchParams.get("name")!, contentType: meta.contentType, metadata: meta.metadata, parts: [], persisted: 0, cancelled: false });
            return void res.writeHead(200, { location: `${this.url}/upload/session/${id}` }).end();
        }
        const sessionMatch = /^\/upload\/session\/([0-9a-f]+)$/.exec(u.pathname);
        if (sessionMatch) {
            const s = this.sessions.get(sessionMatch[1]);
            if (!s || s.cancelled) {
                return void res.writeHead(404).end();
            }
            if (req.method === "DELETE") {
                s.cancelled = true;
                return void res.writeHead(499).end();
            }
            this.puts++;
            if (this.failPuts.has(this.puts)) {
                return void res.writeHead(503).end("backend error");
            }
            const range = /^bytes (\*|(\d+)-(\d+))\/(\*|\d+)$/.exec(String(req.headers["content-range"]));
            if (!range) {
                return void res.writeHead(400).end("bad Content-Range");
            }
            const total = range[4] === "*" ? undefined : Number(range[4]);
            if (range[1] !== "*") {
                const first = Number(range[2]);
                if (first !== s.persisted || Number(range[3]) - first + 1 !== body.length) {
                    return void res.writeHead(400).end(`expected data from byte ${s.persisted}`);
                }
                const keep = this.persistAtMost !== undefined && total === undefined ? Math.min(body.length, this.persistAtMost) : body.length;
                s.parts.push(body.subarray(0, keep));
                s.persisted += keep;
            }
            if (total !== undefined && s.persisted === total) {
                return this.finalize(s, res);
            }
            const headers: Record<string, string> = s.persisted > 0 ? { range: `bytes=0-${s.persisted - 1}` } : {};
            return void res.writeHead(308, headers).end();
        }
        const object = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(u.pathname);
        if (req.method === "DELETE" && object) {
            if (req.headers.authorization !== `Bearer ${TOKEN}`) {
                return void res.writeHead(401).end();
            }
            const key = this.key(decodeURIComponent(object[1]), decodeURIComponent(object[2]));
            const stored = this.objects.get(key);
            if (!stored) {
                return void res.writeHead(404).end();
            }
            const match = u.searchParams.get("ifGenerationMatch");
            if (match !== null && match !== stored.generation) {
                return void res.writeHead(412).end();
            }
            this.objects.delete(key);
            return void res.writeHead(204).end();
        }
        res.writeHead(404).end();
    }

    private finalize(s: Session, res: http.ServerResponse): void {
        const data = Buffer.concat(s.parts);
        if (this.corrupt) {
            data[data.length - 1] ^= 0xff;
        }
        const generation = String(this.generation++);
        this.objects.set(this.key(s.bucket, s.name), { data, generation, contentType: s.contentType, metadata: s.metadata });
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({
            bucket: s.bucket,
            name: s.name,
            generation,
            size: String(data.length),
            md5Hash: crypto.createHash("md5").update(data).digest("base64"),
        }));
    }
}

/** An Image Factory fake: serves registered bodies in 1 MiB pieces. */
class FakeFactory {
    readonly bodies = new Map<string, Buffer>();
    /** Paths answered without Content-Length (chunked). */
    readonly chunked = new Set<string>();
    /** Paths whose Content-Length claims more bytes than are sent. */
    readonly truncated = new Set<string>();
    gets = 0;
    private server!: http.Server;
    url = "";

    async start(): Promise<void> {
        this.server = http.createServer((req, res) => {
            this.gets++;
            const body = this.bodies.get(req.url!);
            if (!body) {
                return void res.writeHead(404, { "content-type": "text/plain" }).end("schematic not found");
            }
            const headers: Record<string, string> = { "content-type": "application/octet-stream" };
            if (!this.chunked.has(req.url!)) {
                headers["content-length"] = String(body.length + (this.truncated.has(req.url!) ? 1000 : 0));
            }
            res.writeHead(200, headers);
            let at = 0;
            const pump = (): void => {
                while (at < body.length) {
                    const piece = body.subarray(at, at + MiB);
                    at += piece.length;
                    if (!res.write(piece)) {
                        return void res.once("drain", pump);
                    }
                }
                if (this.truncated.has(req.url!)) {
                    res.destroy();
                } else {
                    res.end();
                }
            };
            pump();
        });
        await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
        this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    }

    async stop(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise((r) => this.server.close(r));
    }
}

/** Pseudo-random bytes that start like gzip. */
function tarball(size: number): Buffer {
    const data = crypto.randomBytes(size);
    data[0] = 0x1f;
    data[1] = 0x8b;
    return data;
}

describe("components/gcsObjectFromUrlProvider (GcsObjectFromUrl against local fakes)", function () {
    this.timeout(60_000);
    let storage: FakeStorage;
    let factory: FakeFactory;
    const inputs = (path: string, over: Partial<UrlCopyInputs> = {}): UrlCopyInputs => ({
        sourceUrl: `${factory.url}${path}`,
        bucket: "img-bucket",
        objectName: "talos/v1.12.4/abc/gcp-amd64.raw.tar.gz",
        contentType: "application/gzip",
        storageApi: storage.url,
        accessToken: TOKEN,
        ...over,
    });

    beforeEach(async () => {
        storage = new FakeStorage();
        factory = new FakeFactory();
        await Promise.all([storage.start(), factory.start()]);
    });
    afterEach(async () => {
        await Promise.all([storage.stop(), factory.stop()]);
    });

    describe("create: copyUrlToGcs", () => {
        it("streams a multi-chunk body into one object and reports its hashes", async () => {
            const body = tarball(40 * MiB + 123);
            factory.bodies.set("/a.tar.gz", body);
            const outs = await copyUrlToGcs(inputs("/a.tar.gz"));

            const stored = storage.objects.get("img-bucket/talos/v1.12.4/abc/gcp-amd64.raw.tar.gz");
            assert.ok(stored, "object written");
            assert.ok(stored!.data.equals(body), "the object holds exactly the factory's bytes");
            assert.strictEqual(stored!.contentType, "application/gzip");
            assert.strictEqual(stored!.metadata["source-url"], `${factory.url}/a.tar.gz`);
            assert.deepStrictEqual(outs, {
                sourceUrl: `${factory.url}/a.tar.gz`,
                bucket: "img-bucket",
                objectName: "talos/v1.12.4/abc/gcp-amd64.raw.tar.gz",
                contentType: "application/gzip",
                storageApi: storage.url,
                size: body.length,
                sha256: crypto.createHash("sha256").update(body).digest("hex"),
                md5Hash: crypto.createHash("md5").update(body).digest("base64"),
                generation: stored!.generation,
            });
            assert.ok(!JSON.stringify(outs).includes(TOKEN), "the token is not an output");

            // One authorized session start announcing the length, then 16 MiB chunks carrying no token.
            const [init, ...puts] = storage.requests;
            assert.strictEqual(init.method, "POST");
            assert.strictEqual(init.authorization, `Bearer ${TOKEN}`);
            assert.strictEqual(init.uploadLength, String(body.length));
            assert.deepStrictEqual(puts.map((p) => p.contentRange), [
                `bytes 0-${16 * MiB - 1}/*`,
                `bytes ${16 * MiB}-${32 * MiB - 1}/*`,
                `bytes ${32 * MiB}-${body.length - 1}/${body.length}`,
            ]);
            assert.ok(puts.every((p) => p.authorization === undefined), "chunks go to the session URI without the token");
        });

        it("handles a body of unknown length that ends exactly on a chunk boundary", async () => {
            const body = tarball(32 * MiB);
            factory.bodies.set("/b.tar.gz", body);
            factory.chunked.add("/b.tar.gz");
            const outs = await copyUrlToGcs(inputs("/b.tar.gz"));
            assert.strictEqual(outs.size, 32 * MiB);
            assert.ok(storage.objects.get("img-bucket/talos/v1.12.4/abc/gcp-amd64.raw.tar.gz")!.data.equals(body));
            assert.strictEqual(storage.requests[0].uploadLength, undefined);
            assert.strictEqual(storage.requests.at(-1)!.contentRange, `bytes ${16 * MiB}-${32 * MiB - 1}/${32 * MiB}`);
        });

        it("re-sends what Cloud Storage did not persist and retries a 503 after asking the session", async () => {
            const body = tarball(20 * MiB);
            factory.bodies.set("/c.tar.gz", body);
            storage.persistAtMost = 4 * MiB;
            storage.failPuts.add(2);
            await copyUrlToGcs(inputs("/c.tar.gz"));
            assert.ok(storage.objects.get("img-bucket/talos/v1.12.4/abc/gcp-amd64.raw.tar.gz")!.data.equals(body));
            const ranges = storage.requests.slice(1).map((r) => r.contentRange);
            assert.deepStrictEqual(ranges.slice(0, 4), [
                `bytes 0-${16 * MiB - 1}/*`, // 4 MiB persisted
                `bytes ${4 * MiB}-${16 * MiB - 1}/*`, // 503
                "bytes */*", // status query: 4 MiB persisted
                `bytes ${4 * MiB}-${16 * MiB - 1}/*`,
            ]);
        });

        it("fails on a factory error without opening an upload session", async () => {
            await assert.rejects(copyUrlToGcs(inputs("/missing.tar.gz")), (err: Error) => {
                assert.match(err.message, /^GET http:\/\/127\.0\.0\.1:\d+\/missing\.tar\.gz: HTTP 404 schematic not found$/);
                return true;
            });
            assert.strictEqual(storage.requests.length, 0);
        });

        it("refuses bytes that are not gzip and cancels the session", async () => {
            const body = crypto.randomBytes(MiB);
            body[0] = 0x3c; // "<": an HTML error page, say
            factory.bodies.set("/html", body);
            await assert.rejects(copyUrlToGcs(inputs("/html")), /the body is not gzip data/);
            assert.strictEqual(storage.objects.size, 0);
            assert.ok([...storage.sessions.values()].every((s) => s.cancelled), "session cancelled");
        });

        it("fails when the source ends before its Content-Length, leaving no object", async () => {
            factory.bodies.set("/short.tar.gz", tarball(3 * MiB));
            factory.truncated.add("/short.tar.gz");
            await assert.rejects(copyUrlToGcs(inputs("/short.tar.gz")), /^Error: GET http:\/\/127\.0\.0\.1:\d+\/short\.tar\.gz: the download broke off after \d+ bytes/);
            assert.strictEqual(storage.objects.size, 0);
            assert.ok([...storage.sessions.values()].every((s) => s.cancelled), "session cancelled");
        });

        it("deletes the object and fails when Cloud Storage reports a different MD5", async () => {
            factory.bodies.set("/d.tar.gz", tarball(MiB));
            storage.corrupt = true;
            await assert.rejects(copyUrlToGcs(inputs("/d.tar.gz")), /with MD5 .* were sent; the object was deleted/);
            assert.strictEqual(storage.objects.size, 0);
        });

        it("reports a refused upload with its status and never the token", async () => {
            factory.bodies.set("/e.tar.gz", tarball(MiB));
            storage.initStatus = 403;
            await assert.rejects(copyUrlToGcs(inputs("/e.tar.gz")), (err: Error) => {
                assert.match(err.message, /^starting the upload to gs:\/\/img-bucket\/talos\/v1\.12\.4\/abc\/gcp-amd64\.raw\.tar\.gz: HTTP 403/);
                assert.ok(!err.message.includes(TOKEN));
                return true;
            });
        });

        it("checks inputs before any request: https only off the loopback interface, a token", async () => {
            const problems = urlCopyProblems(inputs("/x", { sourceUrl: "http://factory.example.com/x", storageApi: "http://storage.example.com", accessToken: "" }));
            assert.deepStrictEqual(problems.map((p) => p.property), ["sourceUrl", "storageApi", "accessToken"]);
            assert.deepStrictEqual(urlCopyProblems(inputs("/x", { bucket: "Bad_Bucket", objectName: "/abs", contentType: "gzip" })).map((p) => p.property), ["bucket", "objectName", "contentType"]);
            assert.deepStrictEqual(urlCopyProblems(inputs("/x", { sourceUrl: "https://factory.talos.dev/image/x", storageApi: "https://storage.googleapis.com" })), []);
            await assert.rejects(copyUrlToGcs(inputs("/x", { accessToken: "" })), /accessToken is empty/);
            assert.strictEqual(factory.gets, 0);
        });
    });

    describe("diff, update, delete", () => {
        it("diff: a new URL, bucket, object name or type is an update, a new token is nothing", () => {
            const olds = { ...inputs("/a"), size: 1, sha256: "x", md5Hash: "y", generation: "1" };
            assert.deepStrictEqual(diffUrlCopy(olds, { ...inputs("/a"), accessToken: "another-token", storageApi: "https://storage.googleapis.com" }), { changes: false, replaces: [] });
            for (const over of [{ sourceUrl: "https://f/b" }, { bucket: "other-bucket" }, { objectName: "talos/other" }, { contentType: "application/x-tar" }]) {
                assert.deepStrictEqual(diffUrlCopy(olds, { ...inputs("/a"), ...over }), { changes: true, replaces: [] }, JSON.stringify(over));
            }
        });

        it("update: copies to the new object, then deletes exactly the superseded generation", async () => {
            factory.bodies.set("/v1.tar.gz", tarball(MiB));
            factory.bodies.set("/v2.tar.gz", tarball(2 * MiB));
            const first = await copyUrlToGcs(inputs("/v1.tar.gz", { objectName: "talos/v1/disk.tar.gz" }));
            const second = await updateUrlCopy(first, inputs("/v2.tar.gz", { objectName: "talos/v2/disk.tar.gz" }));
            assert.deepStrictEqual([...storage.objects.keys()], ["img-bucket/talos/v2/disk.tar.gz"]);
            assert.strictEqual(second.size, 2 * MiB);
            const del = storage.requests.filter((r) => r.method === "DELETE");
            assert.deepStrictEqual(del.map((r) => r.url), [`/storage/v1/b/img-bucket/o/${encodeURIComponent("talos/v1/disk.tar.gz")}?ifGenerationMatch=${first.generation}`]);
            assert.strictEqual(del[0].authorization, `Bearer ${TOKEN}`);
        });

        it("update in place (same object name) writes a new generation and deletes nothing", async () => {
            factory.bodies.set("/v1.tar.gz", tarball(MiB));
            factory.bodies.set("/v1b.tar.gz", tarball(MiB));
            const first = await copyUrlToGcs(inputs("/v1.tar.gz"));
            const second = await updateUrlCopy(first, inputs("/v1b.tar.gz"));
            assert.notStrictEqual(second.generation, first.generation);
            assert.strictEqual(storage.objects.size, 1);
            assert.ok(!storage.requests.some((r) => r.method === "DELETE"));
        });

        it("deleteGcsObject: deleted, absent, or superseded by a generation it did not write", async () => {
            factory.bodies.set("/a.tar.gz", tarball(MiB));
            const outs = await copyUrlToGcs(inputs("/a.tar.gz"));
            const del = (generation: string) => deleteGcsObject(storage.url, outs.bucket, outs.objectName, generation, TOKEN);
            assert.strictEqual(await del("42"), "superseded");
            assert.strictEqual(storage.objects.size, 1);
            assert.strictEqual(await del(outs.generation), "deleted");
            assert.strictEqual(await del(outs.generation), "absent");
            await assert.rejects(deleteGcsObject(storage.url, outs.bucket, outs.objectName, outs.generation, "wrong-token"), /HTTP 401/);
        });

        it("delete without inputs: uses GOOGLE_OAUTH_ACCESS_TOKEN, else leaves the object and says why", async () => {
            factory.bodies.set("/a.tar.gz", tarball(MiB));
            const outs = await copyUrlToGcs(inputs("/a.tar.gz"));
            const before = storage.requests.length;
            assert.match(await deleteWithoutInputs(outs, {}), /^left gs:\/\/img-bucket\/talos\/v1\.12\.4\/abc\/gcp-amd64\.raw\.tar\.gz in place: no GOOGLE_OAUTH_ACCESS_TOKEN/);
            assert.strictEqual(storage.requests.length, before);
            assert.match(await deleteWithoutInputs(outs, { GOOGLE_OAUTH_ACCESS_TOKEN: TOKEN }), /: deleted$/);
            assert.strictEqual(storage.objects.size, 0);
        });
    });

    describe("as the engine stores and loads it", () => {
        it("is self-contained: the module text, loaded on its own, checks, copies, diffs and deletes", async () => {
            const text = providerModuleText();
            // Nothing of this project is required, and no function reaches for a module export.
            assert.deepStrictEqual([...new Set(text.match(/require\([^)]*\)/g))], ['require("node:crypto")']);
            assert.deepStrictEqual(text.match(/\bexports\.\w+/g), ["exports.handler"]);
            // What the dynamic provider host does with `__provider`: require the text, call handler().
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "provider-"));
            try {
                const file = path.join(dir, "provider.js");
                fs.writeFileSync(file, text);
                const provider = require(file).handler() as pulumi.dynamic.ResourceProvider;
                assert.deepStrictEqual(Object.keys(provider), ["check", "diff", "create", "update", "delete"]);

                factory.bodies.set("/s.tar.gz", tarball(3 * MiB));
                const checked = await provider.check!({}, { ...inputs("/s.tar.gz"), bucket: "04da6b54-80e4-46f7-96ec-b56ff0331ba9", objectName: "" });
                assert.deepStrictEqual(checked.failures!.map((f) => f.property), ["objectName"], "unknown values are not failures");
                const created = await provider.create!(inputs("/s.tar.gz"));
                assert.match(created.id, /^[0-9a-f-]{36}$/);
                assert.strictEqual(created.outs.size, 3 * MiB);
                assert.ok(storage.objects.has("img-bucket/talos/v1.12.4/abc/gcp-amd64.raw.tar.gz"));
                assert.deepStrictEqual(await provider.diff!(created.id, created.outs, { ...inputs("/s.tar.gz"), accessToken: "next-run-token" }), { changes: false, replaces: [] });
                const previous = process.env.GOOGLE_OAUTH_ACCESS_TOKEN;
                process.env.GOOGLE_OAUTH_ACCESS_TOKEN = TOKEN;
                try {
                    await provider.delete!(created.id, created.outs);
                } finally {
                    if (previous === undefined) delete process.env.GOOGLE_OAUTH_ACCESS_TOKEN;
                    else process.env.GOOGLE_OAUTH_ACCESS_TOKEN = previous;
                }
                assert.strictEqual(storage.objects.size, 0);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });
});
