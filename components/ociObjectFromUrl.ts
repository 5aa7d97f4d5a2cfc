/**
 * An Oracle Cloud Object Storage object copied from a content-addressed URL through a
 * pre-authenticated request (PAR), as a Pulumi dynamic resource: how the Image Factory's
 * `oracle-arm64.qcow2` reaches the bucket a custom image is imported from
 * (docs/decisions/0132-oracle-cloud-workers.md). The OCI counterpart of GcsObjectFromUrl.
 *
 * The copy runs when the source URL, the bucket or the object name changes; the PAR URL is a
 * credential that is renewed now and then and is not a change. The provider streams the source
 * into one `PUT <par url>` (Object Storage's PutObject through a PAR needs no request signing;
 * it needs a Content-Length, taken from the source, else the body is buffered first) and hashes
 * what it forwards. Delete does nothing remote: a write-only PAR cannot delete, and the bucket is
 * a staging area kept on destroy (the image holds its own copy).
 *
 * The engine stores the provider's code in state: the functions are self-contained (Node
 * built-ins required inside them) and `OBJECT_COPY_MODULE` is their source text (components/dynamicModule.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { ModuleDynamicResource, dynamicProviderModule } from "./dynamicModule";

export interface ObjectCopyInputs {
    /** Source URL (https; http only on the loopback interface) whose bytes never change. */
    sourceUrl: string;
    /** Full PAR URL allowing `PUT` of the object (secret; not identity). */
    uploadUrl: string;
    /** Bucket and object name (identity; the PAR must point at them). */
    bucket: string;
    objectName: string;
}

export interface ObjectCopyOutputs {
    sourceUrl: string;
    bucket: string;
    objectName: string;
    /** Bytes copied. */
    size: number;
    /** SHA-256 of the bytes, hex. */
    sha256: string;
}

/** https, or http on the loopback interface (local fakes). */
export function secureUrl(value: unknown): boolean {
    try {
        const u = new URL(String(value));
        return u.protocol === "https:" || (u.protocol === "http:" && (u.hostname === "127.0.0.1" || u.hostname === "localhost"));
    } catch {
        return false;
    }
}

/** Input problems, before any request. */
export function objectCopyProblems(i: Partial<ObjectCopyInputs>): string[] {
    const problems: string[] = [];
    if (!secureUrl(i.sourceUrl)) {
        problems.push(`sourceUrl ${JSON.stringify(i.sourceUrl)} is not an https URL`);
    }
    if (!secureUrl(i.uploadUrl)) {
        problems.push("uploadUrl is not an https URL");
    } else if (typeof i.objectName === "string" && !String(i.uploadUrl).endsWith(`/o/${i.objectName.split("/").map(encodeURIComponent).join("/")}`)) {
        problems.push(`uploadUrl does not name object ${JSON.stringify(i.objectName)}`);
    }
    if (typeof i.bucket !== "string" || !/^[A-Za-z0-9_.-]{1,256}$/.test(i.bucket)) {
        problems.push(`bucket ${JSON.stringify(i.bucket)} is not a bucket name`);
    }
    if (typeof i.objectName !== "string" || i.objectName.length === 0 || i.objectName.startsWith("/")) {
        problems.push(`objectName ${JSON.stringify(i.objectName)} must be non-empty and not start with "/"`);
    }
    return problems;
}

/** Streams the source into the PAR; throws (naming no credential) on any failure or a short body. */
export async function copyUrlToObject(i: ObjectCopyInputs): Promise<ObjectCopyOutputs> {
    const crypto = require("node:crypto") as typeof import("node:crypto");
    const http = require("node:http") as typeof import("node:http");
    const https = require("node:https") as typeof import("node:https");
    const problems = objectCopyProblems(i);
    if (problems.length > 0) {
        throw new Error(`OciObjectFromUrl ${i.objectName}: ${problems.join("; ")}`);
    }
    const source = await fetch(i.sourceUrl, { redirect: "follow" });
    if (source.status !== 200 || !source.body) {
        throw new Error(`GET ${i.sourceUrl}: HTTP ${source.status}`);
    }
    const declared = source.headers.get("content-length");
    const sha256 = crypto.createHash("sha256");
    let size = 0;
    let body: Buffer | undefined;
    if (declared === null || !/^\d+$/.test(declared)) {
        body = Buffer.from(await source.arrayBuffer());
        sha256.update(body);
        size = body.length;
    }
    const length = body ? body.length : Number(declared);
    const target = new URL(i.uploadUrl);
    const reader = body ? undefined : source.body.getReader();
    const status = await new Promise<number>((resolve, reject) => {
        const req = (target.protocol === "https:" ? https : http).request(target, {
            method: "PUT",
            headers: { "content-length": String(length), "content-type": "application/octet-stream" },
        }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("error", (err) => reject(new Error(`PUT to the pre-authenticated request for ${i.objectName}: ${err.message}`)));
        if (body) {
            req.end(body);
            return;
        }
        const pump = async (): Promise<void> => {
            for (;;) {
                const piece = await reader!.read();
                if (piece.done) {
                    break;
                }
                const buf = Buffer.from(piece.value.buffer, piece.value.byteOffset, piece.value.byteLength);
                sha256.update(buf);
                size += buf.length;
                if (!req.write(buf)) {
                    await new Promise((r) => req.once("drain", r));
                }
            }
            req.end();
        };
        pump().catch((err) => req.destroy(err instanceof Error ? err : new Error(String(err))));
    });
    if (status !== 200) {
        // Refused before the body was through: stop reading the source.
        await reader?.cancel().catch(() => undefined);
        throw new Error(`PUT to the pre-authenticated request for ${i.bucket}/${i.objectName}: HTTP ${status}`);
    }
    if (size !== length) {
        throw new Error(`GET ${i.sourceUrl}: received ${size} bytes, Content-Length said ${length}`);
    }
    return { sourceUrl: i.sourceUrl, bucket: i.bucket, objectName: i.objectName, size, sha256: sha256.digest("hex") };
}

/** A new copy only when the source or the destination changed (not for a renewed PAR). */
export function diffObjectCopy(olds: Partial<ObjectCopyOutputs>, news: Partial<ObjectCopyInputs>): pulumi.dynamic.DiffResult {
    const changes = (["sourceUrl", "bucket", "objectName"] as const).some((k) => olds[k] !== news[k]);
    return { changes, replaces: [] };
}

export async function copyCheck(_olds: unknown, news: ObjectCopyInputs): Promise<pulumi.dynamic.CheckResult<ObjectCopyInputs>> {
    const known = Object.values(news).every((v) => v !== "04da6b54-80e4-46f7-96ec-b56ff0331ba9");
    return { inputs: news, failures: known ? objectCopyProblems(news).map((reason) => ({ property: "objectName", reason })) : [] };
}

export async function copyDiff(_id: string, olds: ObjectCopyOutputs, news: ObjectCopyInputs): Promise<pulumi.dynamic.DiffResult> {
    return diffObjectCopy(olds, news);
}

export async function copyCreate(inputs: ObjectCopyInputs): Promise<pulumi.dynamic.CreateResult<ObjectCopyOutputs>> {
    const outs = await copyUrlToObject(inputs);
    return { id: `${inputs.bucket}/${inputs.objectName}`, outs };
}

export async function copyUpdate(_id: string, _olds: ObjectCopyOutputs, news: ObjectCopyInputs): Promise<pulumi.dynamic.UpdateResult<ObjectCopyOutputs>> {
    return { outs: await copyUrlToObject(news) };
}

export async function copyDelete(): Promise<void> {
    // See the module comment: the staging bucket stays, the image has its own copy.
}

const PROVIDER: pulumi.dynamic.ResourceProvider<ObjectCopyInputs, ObjectCopyOutputs> = { check: copyCheck, diff: copyDiff, create: copyCreate, update: copyUpdate, delete: copyDelete };

/** The provider as the module text the dynamic provider host loads. */
export const OBJECT_COPY_MODULE = dynamicProviderModule({
    type: "OciObjectFromUrl",
    constants: {},
    functions: [secureUrl, objectCopyProblems, copyUrlToObject, diffObjectCopy, copyCheck, copyDiff, copyCreate, copyUpdate, copyDelete],
    handler: PROVIDER as unknown as Record<string, (...args: never[]) => unknown>,
});

export interface OciObjectFromUrlArgs {
    /** Source URL that always names the same bytes. */
    sourceUrl: pulumi.Input<string>;
    /** Full URL of a PAR allowing writes of `objectName` (made secret here). */
    uploadUrl: pulumi.Input<string>;
    /** Bucket name. */
    bucket: pulumi.Input<string>;
    /** Object name. */
    objectName: pulumi.Input<string>;
}

/** An Object Storage object holding a copy of a content-addressed URL, copied once per URL. */
export class OciObjectFromUrl extends ModuleDynamicResource {
    declare public readonly bucket: pulumi.Output<string>;
    declare public readonly objectName: pulumi.Output<string>;
    declare public readonly sha256: pulumi.Output<string>;

    constructor(name: string, args: OciObjectFromUrlArgs, opts?: pulumi.CustomResourceOptions) {
        super("OciObjectFromUrl", OBJECT_COPY_MODULE, name, {
            sourceUrl: args.sourceUrl,
            uploadUrl: pulumi.secret(args.uploadUrl),
            bucket: args.bucket,
            objectName: args.objectName,
            size: undefined,
            sha256: undefined,
        }, opts);
    }
}
