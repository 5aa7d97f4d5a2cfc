/**
 * A local stand-in for the two HTTP ends of an image copy into Oracle Cloud Object Storage:
 * a content-addressed download (the Image Factory) and an object pre-authenticated request
 * (PAR): `PUT /p/<token>/n/<namespace>/b/<bucket>/o/<object>` with a Content-Length and the
 * bytes (OCI docs "Using Pre-Authenticated Requests": ObjectWrite PARs take PUT only, no
 * signing). Binds 127.0.0.1 only.
 */
import * as http from "node:http";

export interface FakeObjectStorage {
    url: string;
    /** Bytes served by GET, by path ("/image/x/v1.12.4/oracle-arm64.qcow2"). */
    downloads: Map<string, Buffer>;
    /** Serve downloads without a Content-Length (chunked). */
    chunkedDownloads: boolean;
    /** Objects written through a PAR, by "<bucket>/<object>". */
    objects: Map<string, Buffer>;
    /** The one PAR token writes are accepted for. */
    parToken: string;
    close(): Promise<void>;
}

export async function startFakeObjectStorage(parToken: string): Promise<FakeObjectStorage> {
    const store: FakeObjectStorage = { url: "", downloads: new Map(), chunkedDownloads: false, objects: new Map(), parToken, close: async () => undefined };
    const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://fake");
        if (req.method === "GET") {
            const body = store.downloads.get(url.pathname);
            if (!body) {
                res.writeHead(404).end();
                return;
            }
            res.writeHead(200, store.chunkedDownloads ? { "content-type": "application/octet-stream" } : { "content-length": String(body.length) });
            res.end(body);
            return;
        }
        const m = /^\/p\/([^/]+)\/n\/([^/]+)\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
        if (req.method !== "PUT" || !m) {
            res.writeHead(405).end();
            return;
        }
        if (m[1] !== store.parToken) {
            res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ code: "NotAuthorizedOrNotFound", message: "PAR not found" }));
            return;
        }
        if (req.headers["content-length"] === undefined) {
            res.writeHead(411, { "content-type": "application/json" }).end(JSON.stringify({ code: "MissingContentLength", message: "Content-Length is required" }));
            return;
        }
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const body = Buffer.concat(chunks);
            if (body.length !== Number(req.headers["content-length"])) {
                res.writeHead(400).end();
                return;
            }
            store.objects.set(`${m[3]}/${decodeURIComponent(m[4])}`, body);
            res.writeHead(200, { etag: `"${body.length}"` }).end();
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    store.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    store.close = () => new Promise((resolve) => server.close(() => resolve()));
    return store;
}
