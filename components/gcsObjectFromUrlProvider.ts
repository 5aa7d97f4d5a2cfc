/**
 * The provider of GcsObjectFromUrl (components/gcsObjectFromUrl.ts): a Cloud Storage object
 * copied from a content-addressed URL (docs/decisions/0003-gcp-image-import.md).
 *
 * The copy runs only when the source URL, the bucket or the object name changes; previews and
 * unchanged updates fetch nothing (the engine never sees an asset to hash). On create the
 * provider streams the URL into a resumable Cloud Storage upload in 16 MiB chunks, hashing
 * what it forwards (SHA-256, MD5), and checks the MD5 Cloud Storage computed. On a change it
 * copies to the new location, then deletes the superseded object (only the generation it
 * wrote). Delete removes the object when a token is available to the provider process (see
 * `deleteWithoutInputs`); the resource is meant to be `deletedWith` its bucket.
 *
 * The engine stores the provider's code in state and runs it in its own process: every
 * function here is self-contained (Node globals, and built-in modules required inside the
 * function), and `providerModuleText()` is their source text. The exported functions are the
 * provider's logic; tests call them directly against local fake servers, and load the module
 * text the way the engine's dynamic provider host does.
 */
import type * as pulumi from "@pulumi/pulumi";

/** Cloud Storage JSON API base URL. */
export const STORAGE_API = "https://storage.googleapis.com";

/** What the provider receives as inputs. */
export interface UrlCopyInputs {
    /** Source URL (http or https) whose bytes never change. */
    sourceUrl: string;
    /** Destination bucket name. */
    bucket: string;
    /** Destination object name inside the bucket. */
    objectName: string;
    /** Content type stored with the object, e.g. "application/gzip". */
    contentType: string;
    /** Cloud Storage JSON API base URL (a fake in tests). */
    storageApi: string;
    /**
     * OAuth2 access token allowed to write and delete objects in the bucket. Used to open the
     * upload session and to delete a superseded object; never stored in outputs.
     */
    accessToken: string;
}

/** What the provider stores as outputs. */
export interface UrlCopyOutputs {
    sourceUrl: string;
    bucket: string;
    objectName: string;
    contentType: string;
    storageApi: string;
    /** Object size in bytes. */
    size: number;
    /** SHA-256 of the copied bytes, hex. */
    sha256: string;
    /** MD5 of the copied bytes as Cloud Storage reports it (base64). */
    md5Hash: string;
    /** Cloud Storage generation of the object this resource wrote. */
    generation: string;
}

/** The inputs whose change means a new copy. The token and the API URL are not identity. */
const IDENTITY_FIELDS = ["sourceUrl", "bucket", "objectName", "contentType"] as const;

/**
 * Provider diff: an update (never a replacement) when the source or the destination changed,
 * nothing otherwise. An update, because only the new inputs carry a fresh token, and removing
 * the superseded object needs one.
 */
export function diffUrlCopy(olds: Partial<UrlCopyOutputs>, news: Partial<UrlCopyInputs>): pulumi.dynamic.DiffResult {
    const changes = IDENTITY_FIELDS.some((k) => olds[k] !== news[k]);
    return { changes, replaces: [] };
}

/** One input problem: the input's name and what to do about it. */
export interface UrlCopyProblem {
    property: keyof UrlCopyInputs;
    reason: string;
}

/**
 * Checks inputs before any request. https only, except on the loopback interface (local
 * fakes and mirrors): the token goes to the storage API, and nothing else vouches for the
 * source's bytes than TLS.
 */
export function urlCopyProblems(inputs: Partial<UrlCopyInputs>): UrlCopyProblem[] {
    const problems: UrlCopyProblem[] = [];
    const secureUrl = (value: unknown): boolean => {
        try {
            const u = new URL(String(value));
            return u.protocol === "https:" || (u.protocol === "http:" && (u.hostname === "127.0.0.1" || u.hostname === "localhost" || u.hostname === "[::1]"));
        } catch {
            return false;
        }
    };
    if (typeof inputs.sourceUrl !== "string" || !secureUrl(inputs.sourceUrl)) {
        problems.push({ property: "sourceUrl", reason: `${JSON.stringify(inputs.sourceUrl)} is not an https URL (http only on the loopback interface)` });
    }
    if (typeof inputs.bucket !== "string" || !/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(inputs.bucket)) {
        problems.push({ property: "bucket", reason: `${JSON.stringify(inputs.bucket)} is not a Cloud Storage bucket name` });
    }
    if (typeof inputs.objectName !== "string" || inputs.objectName.length === 0 || inputs.objectName.length > 1024 || inputs.objectName.startsWith("/")) {
        problems.push({ property: "objectName", reason: `${JSON.stringify(inputs.objectName)} must be 1-1024 characters and not start with "/"` });
    }
    if (typeof inputs.contentType !== "string" || !/^[\w.+-]+\/[\w.+-]+$/.test(inputs.contentType)) {
        problems.push({ property: "contentType", reason: `${JSON.stringify(inputs.contentType)} is not a media type like "application/gzip"` });
    }
    if (typeof inputs.storageApi !== "string" || !secureUrl(inputs.storageApi)) {
        problems.push({ property: "storageApi", reason: `${JSON.stringify(inputs.storageApi)} is not an https URL (http only on the loopback interface)` });
    }
    if (typeof inputs.accessToken !== "string" || inputs.accessToken.length === 0) {
        problems.push({ property: "accessToken", reason: "is empty; pass the gcp provider's token (gcp.organizations.getClientConfigOutput().accessToken)" });
    }
    return problems;
}

/** Short, secret-free description of a failed HTTP exchange (the response body's first 300 characters). */
async function httpFailure(what: string, res: Response): Promise<Error> {
    let body = "";
    try {
        body = (await res.text()).replace(/\s+/g, " ").slice(0, 300);
    } catch {
        body = "";
    }
    return new Error(`${what}: HTTP ${res.status}${body ? ` ${body}` : ""}`);
}

/**
 * Streams `inputs.sourceUrl` into `gs://bucket/objectName` with a Cloud Storage resumable
 * upload and returns the outputs. Fails (leaving no object) on a non-200 source, a source that
 * is shorter than its Content-Length, an empty source, a gzip content type whose bytes are not
 * gzip, or an MD5 mismatch after the upload (then the written generation is deleted).
 */
export async function copyUrlToGcs(inputs: UrlCopyInputs): Promise<UrlCopyOutputs> {
    const crypto = require("node:crypto") as typeof import("node:crypto");
    /** Chunk size: a multiple of 256 KiB, as Cloud Storage requires for all but the last chunk. */
    const CHUNK = 16 * 1024 * 1024;
    const MAX_ATTEMPTS = 4;
    const problems = urlCopyProblems(inputs);
    if (problems.length > 0) {
        throw new Error(`GcsObjectFromUrl: ${problems.map((p) => `${p.property} ${p.reason}`).join("; ")}`);
    }
    const api = inputs.storageApi.replace(/\/+$/, "");
    const target = `gs://${inputs.bucket}/${inputs.objectName}`;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    const source = await fetch(inputs.sourceUrl, { redirect: "follow" });
    if (source.status !== 200 || !source.body) {
        throw await httpFailure(`GET ${inputs.sourceUrl}`, source);
    }
    const declaredHeader = source.headers.get("content-length");
    const declared = declaredHeader !== null && /^\d+$/.test(declaredHeader) ? Number(declaredHeader) : undefined;

    const init = await fetch(`${api}/upload/storage/v1/b/${encodeURIComponent(inputs.bucket)}/o?uploadType=resumable&name=${encodeURIComponent(inputs.objectName)}`, {
        method: "POST",
        headers: {
            authorization: `Bearer ${inputs.accessToken}`,
            "content-type": "application/json; charset=UTF-8",
            "x-upload-content-type": inputs.contentType,
            ...(declared !== undefined ? { "x-upload-content-length": String(declared) } : {}),
        },
        body: JSON.stringify({ name: inputs.objectName, contentType: inputs.contentType, metadata: { "source-url": inputs.sourceUrl } }),
    });
    if (init.status !== 200) {
        await source.body.cancel().catch(() => undefined);
        throw await httpFailure(`starting the upload to ${target}`, init);
    }
    // The session URI authorizes the upload by itself: the chunks carry no token.
    const session = init.headers.get("location");
    if (!session) {
        await source.body.cancel().catch(() => undefined);
        throw new Error(`starting the upload to ${target}: no session URI in the response`);
    }
    const reader = source.body.getReader();
    /** Cancels the download and the upload session (Cloud Storage then keeps nothing) and rethrows. */
    const abandon = async (reason: unknown): Promise<never> => {
        await reader.cancel().catch(() => undefined);
        // Best effort: an unfinished session expires on its own; the original error is what matters.
        await fetch(session, { method: "DELETE" }).catch(() => undefined);
        throw reason;
    };

    /** Bytes Cloud Storage has persisted, from a 308 response's Range header ("bytes=0-N"). */
    const persistedFrom = (res: Response): number => {
        const range = /^bytes=0-(\d+)$/.exec(res.headers.get("range") ?? "");
        return range ? Number(range[1]) + 1 : 0;
    };

    /**
     * Sends `data` as bytes [start, start + data.length) of the object; `total` on the last
     * chunk only. Re-sends whatever Cloud Storage did not persist, and retries transient
     * failures (network, 408, 429, 5xx) after asking the session how far it got.
     */
    const send = async (data: Buffer, start: number, total: number | undefined): Promise<Response | undefined> => {
        const end = start + data.length;
        let from = start;
        let failures = 0;
        for (;;) {
            let res: Response | undefined;
            try {
                res = await fetch(session, {
                    method: "PUT",
                    headers: { "content-range": `bytes ${from}-${end - 1}/${total ?? "*"}` },
                    body: data.subarray(from - start),
                });
            } catch {
                res = undefined;
            }
            if (res && total !== undefined && (res.status === 200 || res.status === 201)) {
                return res;
            }
            if (res && res.status === 308) {
                const persisted = persistedFrom(res);
                if (persisted >= end) {
                    return undefined;
                }
                if (persisted < start || persisted <= from) {
                    failures++;
                } else {
                    from = persisted;
                    continue;
                }
            } else if (res && !(res.status === 408 || res.status === 429 || res.status >= 500)) {
                throw await httpFailure(`uploading bytes ${from}-${end - 1} to ${target}`, res);
            } else {
                failures++;
            }
            if (failures >= MAX_ATTEMPTS) {
                throw res
                    ? await httpFailure(`uploading bytes ${from}-${end - 1} to ${target} (${failures} attempts)`, res)
                    : new Error(`uploading bytes ${from}-${end - 1} to ${target}: network error (${failures} attempts)`);
            }
            await sleep(250 * 2 ** failures);
            let status: Response | undefined;
            try {
                status = await fetch(session, { method: "PUT", headers: { "content-range": `bytes */${total ?? "*"}` } });
            } catch {
                status = undefined;
            }
            if (status && total !== undefined && (status.status === 200 || status.status === 201)) {
                return status;
            }
            if (status && status.status === 308) {
                from = Math.max(start, Math.min(end, persistedFrom(status)));
                if (from >= end) {
                    return undefined;
                }
            }
        }
    };

    const sha256 = crypto.createHash("sha256");
    const md5 = crypto.createHash("md5");
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let offset = 0;
    let size = 0;
    /** The first two bytes, to recognise gzip before anything is uploaded. */
    let head = Buffer.alloc(0);
    let last: Response | undefined;
    try {
        for (;;) {
            let piece: Awaited<ReturnType<typeof reader.read>>;
            try {
                piece = await reader.read();
            } catch (err) {
                throw new Error(`GET ${inputs.sourceUrl}: the download broke off after ${size} bytes (${err instanceof Error ? err.message : String(err)})`);
            }
            if (piece.done) {
                break;
            }
            const buf = Buffer.from(piece.value.buffer, piece.value.byteOffset, piece.value.byteLength);
            if (head.length < 2) {
                head = Buffer.concat([head, buf.subarray(0, 2 - head.length)]);
                if (head.length === 2 && inputs.contentType === "application/gzip" && !(head[0] === 0x1f && head[1] === 0x8b)) {
                    throw new Error(`GET ${inputs.sourceUrl}: the body is not gzip data (content type ${inputs.contentType})`);
                }
            }
            sha256.update(buf);
            md5.update(buf);
            size += buf.length;
            pending.push(buf);
            pendingBytes += buf.length;
            // Keep at least one byte back so the last PUT always carries data and the total.
            while (pendingBytes > CHUNK) {
                const all = Buffer.concat(pending, pendingBytes);
                await send(all.subarray(0, CHUNK), offset, undefined);
                offset += CHUNK;
                pending = [all.subarray(CHUNK)];
                pendingBytes -= CHUNK;
            }
        }
        if (size === 0) {
            throw new Error(`GET ${inputs.sourceUrl}: empty body`);
        }
        if (inputs.contentType === "application/gzip" && head.length < 2) {
            throw new Error(`GET ${inputs.sourceUrl}: the body is not gzip data (content type ${inputs.contentType})`);
        }
        if (declared !== undefined && declared !== size) {
            throw new Error(`GET ${inputs.sourceUrl}: received ${size} bytes, Content-Length said ${declared}`);
        }
        last = await send(Buffer.concat(pending, pendingBytes), offset, size);
    } catch (err) {
        return abandon(err);
    }
    if (!last) {
        throw new Error(`uploading to ${target}: Cloud Storage did not finalize the object`);
    }
    const object = (await last.json()) as { generation?: string | number; md5Hash?: string; size?: string | number };
    const md5Hash = md5.digest("base64");
    const generation = String(object.generation ?? "");
    if (object.md5Hash !== md5Hash || Number(object.size) !== size) {
        await deleteGcsObject(api, inputs.bucket, inputs.objectName, generation, inputs.accessToken);
        throw new Error(
            `uploading to ${target}: Cloud Storage stored ${object.size} bytes with MD5 ${object.md5Hash}, ` +
                `but ${size} bytes with MD5 ${md5Hash} were sent; the object was deleted, run the update again`,
        );
    }
    return {
        sourceUrl: inputs.sourceUrl,
        bucket: inputs.bucket,
        objectName: inputs.objectName,
        contentType: inputs.contentType,
        storageApi: inputs.storageApi,
        size,
        sha256: sha256.digest("hex"),
        md5Hash,
        generation,
    };
}

/**
 * Deletes generation `generation` of `gs://bucket/objectName`. "absent" when the object is
 * gone, "superseded" when another generation replaced it (that one is not ours to delete).
 */
export async function deleteGcsObject(
    storageApi: string,
    bucket: string,
    objectName: string,
    generation: string,
    accessToken: string,
): Promise<"deleted" | "absent" | "superseded"> {
    const api = storageApi.replace(/\/+$/, "");
    const query = /^\d+$/.test(generation) ? `?ifGenerationMatch=${generation}` : "";
    const res = await fetch(`${api}/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(objectName)}${query}`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${accessToken}` },
    });
    if (res.status === 204 || res.status === 200) {
        return "deleted";
    }
    if (res.status === 404) {
        return "absent";
    }
    if (res.status === 412) {
        return "superseded";
    }
    throw await httpFailure(`deleting gs://${bucket}/${objectName}#${generation}`, res);
}

/** Provider update: copy to the (new) location, then delete the superseded object with the fresh token. */
export async function updateUrlCopy(olds: UrlCopyOutputs, news: UrlCopyInputs): Promise<UrlCopyOutputs> {
    const outs = await copyUrlToGcs(news);
    if (olds.bucket !== news.bucket || olds.objectName !== news.objectName) {
        await deleteGcsObject(news.storageApi, olds.bucket, olds.objectName, olds.generation, news.accessToken);
    }
    return outs;
}

/**
 * Provider delete. The engine passes only the stored outputs, which hold no token (a stored
 * one would have expired), so the provider process needs its own: `GOOGLE_OAUTH_ACCESS_TOKEN`
 * (what the gcp provider also reads). Without one the object is left in place and the reason
 * is returned; the bucket it lives in is a staging area destroyed with its contents.
 */
export async function deleteWithoutInputs(props: UrlCopyOutputs, env: Record<string, string | undefined>): Promise<string> {
    const token = env.GOOGLE_OAUTH_ACCESS_TOKEN;
    const target = `gs://${props.bucket}/${props.objectName}`;
    if (!token) {
        return `left ${target} in place: no GOOGLE_OAUTH_ACCESS_TOKEN in the provider's environment (it goes with its bucket)`;
    }
    const result = await deleteGcsObject(props.storageApi, props.bucket, props.objectName, props.generation, token);
    return `${target}#${props.generation}: ${result}`;
}

/** Provider check: input problems as failures; values unknown at preview are checked at create. */
export async function providerCheck(_olds: Partial<UrlCopyInputs>, news: UrlCopyInputs): Promise<pulumi.dynamic.CheckResult<UrlCopyInputs>> {
    const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const failures = urlCopyProblems(news).filter((p) => news[p.property] !== UNKNOWN);
    return { inputs: news, failures };
}

export async function providerDiff(_id: string, olds: UrlCopyOutputs, news: UrlCopyInputs): Promise<pulumi.dynamic.DiffResult> {
    return diffUrlCopy(olds, news);
}

/** Provider create: the copy, under an opaque ID (an update may move the object). */
export async function providerCreate(inputs: UrlCopyInputs): Promise<pulumi.dynamic.CreateResult<UrlCopyOutputs>> {
    const outs = await copyUrlToGcs(inputs);
    return { id: (require("node:crypto") as typeof import("node:crypto")).randomUUID(), outs };
}

export async function providerUpdate(_id: string, olds: UrlCopyOutputs, news: UrlCopyInputs): Promise<pulumi.dynamic.UpdateResult<UrlCopyOutputs>> {
    return { outs: await updateUrlCopy(olds, news) };
}

export async function providerDelete(_id: string, props: UrlCopyOutputs): Promise<void> {
    process.stderr.write(`GcsObjectFromUrl delete: ${await deleteWithoutInputs(props, process.env)}\n`);
}

/** The provider, type-checked against the SDK's interface; its functions are the module below. */
const URL_COPY_PROVIDER: pulumi.dynamic.ResourceProvider<UrlCopyInputs, UrlCopyOutputs> = {
    check: providerCheck,
    diff: providerDiff,
    create: providerCreate,
    update: providerUpdate,
    delete: providerDelete,
};

/** Every function the provider runs, callees included. */
const PROVIDER_FUNCTIONS: ((...args: never[]) => unknown)[] = [
    httpFailure,
    urlCopyProblems,
    diffUrlCopy,
    copyUrlToGcs,
    deleteGcsObject,
    updateUrlCopy,
    deleteWithoutInputs,
    providerCheck,
    providerDiff,
    providerCreate,
    providerUpdate,
    providerDelete,
];

let moduleText: string | undefined;

/**
 * The provider as the CommonJS module the engine stores in `__provider` and the Node.js dynamic
 * provider host loads (`require` of the text, then `.handler()`; the format every state file
 * written by `pulumi.dynamic.Resource` holds, so the host must keep reading it). It is built
 * from the compiled source text of the functions above instead of with Pulumi's closure
 * serializer, which costs about half a second of CPU per program run (it loads npm's arborist
 * and opens an inspector session) to rediscover what this list states: the provider uses
 * nothing but these functions, one constant, Node globals and `node:crypto`.
 */
export function providerModuleText(): string {
    if (moduleText === undefined) {
        const handler = Object.entries(URL_COPY_PROVIDER).map(([method, fn]) => `${method}: ${(fn as (...a: never[]) => unknown).name}`);
        moduleText = [
            "// GcsObjectFromUrl provider (talos-cloud-edge components/gcsObjectFromUrl.ts): self-contained.",
            '"use strict";',
            `const IDENTITY_FIELDS = ${JSON.stringify(IDENTITY_FIELDS)};`,
            ...PROVIDER_FUNCTIONS.map((fn) => fn.toString()),
            `exports.handler = () => ({ ${handler.join(", ")} });`,
            "",
        ].join("\n");
    }
    return moduleText;
}

