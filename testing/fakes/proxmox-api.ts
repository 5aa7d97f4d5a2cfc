/**
 * A local stand-in for the few Proxmox VE API calls the program makes itself (the config ISO
 * upload of components/proxmoxIsoFile.ts), strict about what the API viewer documents:
 * - `POST /api2/json/nodes/{node}/storage/{storage}/upload`: multipart/form-data with `content`
 *   (iso|vztmpl|import), optional `checksum` + `checksum-algorithm`, the file in field `filename`;
 *   answers `{data: "UPID:..."}`; refuses an existing file (Proxmox does not overwrite) and a
 *   checksum mismatch (the task fails).
 * - `GET /api2/json/nodes/{node}/tasks/{upid}/status` → `{data: {status, exitstatus}}`.
 * - `DELETE /api2/json/nodes/{node}/storage/{storage}/content/{volid}` → `{data: "UPID:..."}`.
 * - `Authorization: PVEAPIToken=<user>@<realm>!<token id>=<secret>`; anything else is 401.
 * Binds 127.0.0.1 only.
 */
import * as http from "node:http";
import { createHash } from "node:crypto";

export interface FakeProxmoxRequest {
    method: string;
    path: string;
    authorization: string;
}

export interface FakeProxmoxApi {
    /** Base URL, e.g. "http://127.0.0.1:40123" (the provider's `endpoint`). */
    url: string;
    /** Stored files by volume id ("local:iso/x.iso"). */
    files: Map<string, Buffer>;
    requests: FakeProxmoxRequest[];
    /** Tasks the next status calls report as running before they stop. */
    runningPolls: number;
    close(): Promise<void>;
}

export async function startFakeProxmoxApi(opts: { token: string; node: string; storages: string[] }): Promise<FakeProxmoxApi> {
    const files = new Map<string, Buffer>();
    const requests: FakeProxmoxRequest[] = [];
    const tasks = new Map<string, { exit: string; polls: number }>();
    let taskCount = 0;
    const api: FakeProxmoxApi = { url: "", files, requests, runningPolls: 1, close: async () => undefined };
    const newTask = (exit: string) => {
        const upid = `UPID:${opts.node}:0000${(++taskCount).toString(16).padStart(4, "0")}:00000000:65000000:imgcopy::root@pam:`;
        tasks.set(upid, { exit, polls: api.runningPolls });
        return upid;
    };

    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", async () => {
            const send = (status: number, body: unknown) => {
                res.writeHead(status, { "content-type": "application/json" });
                res.end(JSON.stringify(body));
            };
            const url = new URL(req.url ?? "/", "http://fake");
            requests.push({ method: req.method ?? "", path: url.pathname, authorization: String(req.headers.authorization ?? "") });
            if (req.headers.authorization !== `PVEAPIToken=${opts.token}`) {
                return send(401, { data: null, message: "authentication failure" });
            }
            const parts = url.pathname.split("/").map(decodeURIComponent);
            // ["", "api2", "json", "nodes", node, ...]
            if (parts[1] !== "api2" || parts[2] !== "json" || parts[3] !== "nodes" || parts[4] !== opts.node) {
                return send(404, { data: null, message: "no such node or path" });
            }
            if (req.method === "POST" && parts[5] === "storage" && parts[7] === "upload" && parts.length === 8) {
                if (!opts.storages.includes(parts[6])) {
                    return send(500, { data: null, message: `storage '${parts[6]}' does not exist` });
                }
                const form = await new Response(Buffer.concat(chunks), { headers: { "content-type": String(req.headers["content-type"] ?? "") } }).formData();
                const content = form.get("content");
                const file = form.get("filename");
                if (content !== "iso" && content !== "vztmpl" && content !== "import") {
                    return send(400, { data: null, errors: { content: "value must be iso, vztmpl or import" } });
                }
                if (!(file instanceof Blob) || !("name" in file)) {
                    return send(400, { data: null, errors: { filename: "missing file" } });
                }
                const volid = `${parts[6]}:${content}/${(file as File).name}`;
                if (files.has(volid)) {
                    return send(500, { data: null, message: `refusing to override existing file '${(file as File).name}'` });
                }
                const data = Buffer.from(await file.arrayBuffer());
                const expected = form.get("checksum");
                const ok = expected === null || (form.get("checksum-algorithm") === "sha256" && createHash("sha256").update(data).digest("hex") === expected);
                if (ok) {
                    files.set(volid, data);
                }
                return send(200, { data: newTask(ok ? "OK" : "checksum mismatch") });
            }
            if (req.method === "GET" && parts[5] === "tasks" && parts[7] === "status") {
                const task = tasks.get(parts[6]);
                if (!task) {
                    return send(500, { data: null, message: "no such task" });
                }
                if (task.polls > 0) {
                    task.polls--;
                    return send(200, { data: { status: "running", upid: parts[6] } });
                }
                return send(200, { data: { status: "stopped", exitstatus: task.exit, upid: parts[6] } });
            }
            if (req.method === "DELETE" && parts[5] === "storage" && parts[7] === "content") {
                if (!files.delete(parts[8])) {
                    return send(500, { data: null, message: `volume '${parts[8]}' does not exist` });
                }
                return send(200, { data: newTask("OK") });
            }
            return send(501, { data: null, message: `fake: ${req.method} ${url.pathname} is not implemented` });
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address() as { port: number };
    api.url = `http://127.0.0.1:${address.port}`;
    api.close = () => new Promise((resolve) => server.close(() => resolve()));
    return api;
}
