/**
 * An ISO file on a Proxmox VE storage, uploaded through the Proxmox API, as a Pulumi dynamic
 * resource: the `metal-iso` config volume a Proxmox worker VM reads its machine config from at
 * first boot (docs/decisions/0131-proxmox-workers.md).
 *
 * Why not the provider's `FileLegacy`: its raw source is a string, which cannot carry the
 * binary ISO (bytes above 0x7f would be re-encoded as UTF-8), and a local source file would put
 * the machine config on the runner's disk. Here the image travels as base64 in a secret input.
 *
 * API facts (Proxmox VE API viewer): `POST /api2/json/nodes/{node}/storage/{storage}/upload`,
 * multipart fields `content=iso`, `checksum`, `checksum-algorithm=sha256` and the file in field
 * `filename` → `{data: "<UPID>"}`; the task's end: `GET /api2/json/nodes/{node}/tasks/{upid}/status`
 * → `{data: {status: "stopped", exitstatus: "OK"}}`; removal: `DELETE
 * /api2/json/nodes/{node}/storage/{storage}/content/{volid}`; API tokens authenticate with
 * `Authorization: PVEAPIToken=<user>@<realm>!<token id>=<secret>`.
 *
 * The engine stores the provider's code in state: the functions are self-contained (Node
 * built-ins required inside them) and `ISO_FILE_MODULE` is their source text (components/dynamicModule.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { ModuleDynamicResource, dynamicProviderModule } from "./dynamicModule";

export interface IsoFileInputs {
    /** API base, e.g. "https://pve.lab.internal:8006" (http only on the loopback interface). */
    endpoint: string;
    /** API token "user@realm!id=secret" (secret). */
    apiToken: string;
    /** Accept a self-signed API certificate. */
    insecure: boolean;
    /** Proxmox node name. */
    nodeName: string;
    /** Storage with `iso` content, e.g. "local". */
    datastore: string;
    /** File name, ending in ".iso". */
    fileName: string;
    /** The image, base64 (secret: it holds a machine config). */
    contentBase64: string;
}

export interface IsoFileOutputs extends IsoFileInputs {
    /** Volume id, e.g. "local:iso/talos-config-x.iso": what a VM's cdrom `fileId` names. */
    fileId: string;
    /** SHA-256 of the image, hex (Proxmox checked it on upload). */
    sha256: string;
    size: number;
}

/** Input problems, before any request. */
export function isoFileProblems(i: Partial<IsoFileInputs>): string[] {
    const problems: string[] = [];
    try {
        const u = new URL(String(i.endpoint));
        const loopback = u.hostname === "127.0.0.1" || u.hostname === "localhost";
        if (!(u.protocol === "https:" || (u.protocol === "http:" && loopback)) || u.username || u.search) {
            problems.push(`endpoint ${JSON.stringify(i.endpoint)} is not an https URL without credentials`);
        }
    } catch {
        problems.push(`endpoint ${JSON.stringify(i.endpoint)} is not a URL`);
    }
    if (typeof i.apiToken !== "string" || !/^[^@\s]+@[^!\s]+![^=\s]+=\S+$/.test(i.apiToken)) {
        problems.push("apiToken is not \"user@realm!tokenid=secret\"; set it with `pulumi config set --secret proxmoxApiToken`");
    }
    for (const [k, v] of [["nodeName", i.nodeName], ["datastore", i.datastore]] as const) {
        if (typeof v !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v)) {
            problems.push(`${k} ${JSON.stringify(v)} is not a Proxmox name`);
        }
    }
    if (typeof i.fileName !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]*\.iso$/.test(i.fileName)) {
        problems.push(`fileName ${JSON.stringify(i.fileName)} must be letters, digits, . _ - and end in .iso`);
    }
    if (typeof i.contentBase64 !== "string" || i.contentBase64.length === 0) {
        problems.push("contentBase64 is empty");
    }
    return problems;
}

/** One API request; resolves with status and body text. The token never appears in errors. */
export async function pveRequest(i: Pick<IsoFileInputs, "endpoint" | "apiToken" | "insecure">, method: string, path: string, body?: { contentType: string; data: Buffer }): Promise<{ status: number; text: string }> {
    const http = require("node:http") as typeof import("node:http");
    const https = require("node:https") as typeof import("node:https");
    const url = new URL(`${i.endpoint.replace(/\/+$/, "")}/api2/json${path}`);
    const lib = url.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
        const req = lib.request(url, {
            method,
            headers: {
                authorization: `PVEAPIToken=${i.apiToken}`,
                accept: "application/json",
                ...(body ? { "content-type": body.contentType, "content-length": String(body.data.length) } : {}),
            },
            rejectUnauthorized: !i.insecure,
            timeout: 120_000,
        }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname}: timed out`)));
        req.on("error", (err) => reject(new Error(`${method} ${url.pathname}: ${err.message.split(i.apiToken).join("<token>")}`)));
        if (body) {
            req.write(body.data);
        }
        req.end();
    });
}

/** Waits for a Proxmox task to stop; throws unless it ended "OK". */
export async function waitForTask(i: IsoFileInputs, upid: string, timeoutMs = 300_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let poll = 0; ; poll++) {
        const res = await pveRequest(i, "GET", `/nodes/${encodeURIComponent(i.nodeName)}/tasks/${encodeURIComponent(upid)}/status`);
        if (res.status !== 200) {
            throw new Error(`task ${upid}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
        }
        const data = (JSON.parse(res.text) as { data?: { status?: string; exitstatus?: string } }).data ?? {};
        if (data.status === "stopped") {
            if (data.exitstatus !== "OK") {
                throw new Error(`task ${upid} failed: ${data.exitstatus ?? "no exit status"}`);
            }
            return;
        }
        if (Date.now() > deadline) {
            throw new Error(`task ${upid} still running after ${timeoutMs / 1000} s`);
        }
        // Small uploads finish within a second: look early, then every second.
        await new Promise((r) => setTimeout(r, Math.min(1000, 100 * 2 ** poll)));
    }
}

/** Uploads the image (checked by Proxmox against its SHA-256) and waits for the task. */
export async function uploadIsoFile(i: IsoFileInputs): Promise<IsoFileOutputs> {
    const crypto = require("node:crypto") as typeof import("node:crypto");
    const problems = isoFileProblems(i);
    if (problems.length > 0) {
        throw new Error(`ProxmoxIsoFile ${i.fileName}: ${problems.join("; ")}`);
    }
    const data = Buffer.from(i.contentBase64, "base64");
    const sha256 = crypto.createHash("sha256").update(data).digest("hex");
    const boundary = `----talos-cloud-edge-${crypto.randomBytes(12).toString("hex")}`;
    const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
    const multipart = Buffer.concat([
        Buffer.from(field("content", "iso") + field("checksum-algorithm", "sha256") + field("checksum", sha256)),
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="filename"; filename="${i.fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
        data,
        Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const path = `/nodes/${encodeURIComponent(i.nodeName)}/storage/${encodeURIComponent(i.datastore)}/upload`;
    const res = await pveRequest(i, "POST", path, { contentType: `multipart/form-data; boundary=${boundary}`, data: multipart });
    if (res.status !== 200) {
        throw new Error(`ProxmoxIsoFile ${i.fileName}: POST ${path}: HTTP ${res.status} ${res.text.replace(/\s+/g, " ").slice(0, 300)}`);
    }
    const upid = (JSON.parse(res.text) as { data?: unknown }).data;
    if (typeof upid === "string" && upid.startsWith("UPID:")) {
        await waitForTask(i, upid);
    }
    return { ...i, fileId: `${i.datastore}:iso/${i.fileName}`, sha256, size: data.length };
}

/** Removes the file; "absent" when it is already gone. */
export async function deleteIsoFile(o: IsoFileOutputs): Promise<"deleted" | "absent"> {
    const path = `/nodes/${encodeURIComponent(o.nodeName)}/storage/${encodeURIComponent(o.datastore)}/content/${encodeURIComponent(o.fileId)}`;
    const res = await pveRequest(o, "DELETE", path);
    if (res.status === 404 || (res.status === 500 && /does not exist|no such/i.test(res.text))) {
        return "absent";
    }
    if (res.status !== 200) {
        throw new Error(`ProxmoxIsoFile ${o.fileName}: DELETE ${path}: HTTP ${res.status} ${res.text.replace(/\s+/g, " ").slice(0, 300)}`);
    }
    const upid = (JSON.parse(res.text) as { data?: unknown }).data;
    if (typeof upid === "string" && upid.startsWith("UPID:")) {
        await waitForTask(o, upid);
    }
    return "deleted";
}

/** What identifies the file: a change re-uploads (removing the old file first: Proxmox refuses to overwrite). */
export function diffIsoFile(olds: Partial<IsoFileOutputs>, news: Partial<IsoFileInputs>): pulumi.dynamic.DiffResult {
    const fields = ["endpoint", "nodeName", "datastore", "fileName", "contentBase64"] as const;
    return { changes: fields.some((k) => olds[k] !== news[k]), replaces: [] };
}

export async function isoCheck(_olds: unknown, news: IsoFileInputs): Promise<pulumi.dynamic.CheckResult<IsoFileInputs>> {
    const known = Object.values(news).every((v) => v !== "04da6b54-80e4-46f7-96ec-b56ff0331ba9");
    return { inputs: news, failures: known ? isoFileProblems(news).map((reason) => ({ property: "fileName", reason })) : [] };
}

export async function isoDiff(_id: string, olds: IsoFileOutputs, news: IsoFileInputs): Promise<pulumi.dynamic.DiffResult> {
    return diffIsoFile(olds, news);
}

export async function isoCreate(inputs: IsoFileInputs): Promise<pulumi.dynamic.CreateResult<IsoFileOutputs>> {
    const outs = await uploadIsoFile(inputs);
    return { id: `${inputs.nodeName}/${outs.fileId}`, outs };
}

export async function isoUpdate(_id: string, olds: IsoFileOutputs, news: IsoFileInputs): Promise<pulumi.dynamic.UpdateResult<IsoFileOutputs>> {
    await deleteIsoFile(olds);
    return { outs: await uploadIsoFile(news) };
}

export async function isoDelete(_id: string, props: IsoFileOutputs): Promise<void> {
    await deleteIsoFile(props);
}

const PROVIDER: pulumi.dynamic.ResourceProvider<IsoFileInputs, IsoFileOutputs> = { check: isoCheck, diff: isoDiff, create: isoCreate, update: isoUpdate, delete: isoDelete };

/** The provider as the module text the dynamic provider host loads. */
export const ISO_FILE_MODULE = dynamicProviderModule({
    type: "ProxmoxIsoFile",
    constants: {},
    functions: [isoFileProblems, pveRequest, waitForTask, uploadIsoFile, deleteIsoFile, diffIsoFile, isoCheck, isoDiff, isoCreate, isoUpdate, isoDelete],
    handler: PROVIDER as unknown as Record<string, (...args: never[]) => unknown>,
});

export interface ProxmoxIsoFileArgs {
    /** Proxmox API base URL. */
    endpoint: pulumi.Input<string>;
    /** API token (made secret here; kept in state, encrypted, so delete can remove the file). */
    apiToken: pulumi.Input<string>;
    /** Accept a self-signed API certificate. Default false. */
    insecure?: pulumi.Input<boolean>;
    /** Proxmox node name. */
    nodeName: pulumi.Input<string>;
    /** Storage with `iso` content. */
    datastore: pulumi.Input<string>;
    /** File name, ending in ".iso". */
    fileName: pulumi.Input<string>;
    /** The image as base64 (made secret here). */
    contentBase64: pulumi.Input<string>;
}

/** An ISO image on a Proxmox storage, uploaded through the API. */
export class ProxmoxIsoFile extends ModuleDynamicResource {
    /** Volume id for a VM's cdrom (`<datastore>:iso/<fileName>`). */
    declare public readonly fileId: pulumi.Output<string>;
    declare public readonly sha256: pulumi.Output<string>;

    constructor(name: string, args: ProxmoxIsoFileArgs, opts?: pulumi.CustomResourceOptions) {
        super("ProxmoxIsoFile", ISO_FILE_MODULE, name, {
            endpoint: args.endpoint,
            apiToken: pulumi.secret(args.apiToken),
            insecure: args.insecure ?? false,
            nodeName: args.nodeName,
            datastore: args.datastore,
            fileName: args.fileName,
            contentBase64: pulumi.secret(args.contentBase64),
            fileId: undefined,
            sha256: undefined,
            size: undefined,
        }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["apiToken", "contentBase64"] }));
    }
}
