/**
 * A model of Talos's strategic-merge patching (what `talosctl gen config --config-patch` and the
 * Talos provider's `configPatches` do), on plain YAML values, so tests can check the config a
 * node ends up with — base config plus our patches — against the Talos schema.
 *
 * Rules modelled (Talos v1.12 `configpatcher.StrategicMerge` and `config/merge`):
 * - documents are matched by apiVersion, kind and name (the v1alpha1 document by having no
 *   kind); a patch document with no match is appended;
 * - mappings merge key by key; lists are appended to, except the fields Talos tags
 *   `merge:"replace"` (pod and service subnets, the audit policy), which the patch replaces;
 * - a scalar in the patch replaces the base value unless it is null, "" or 0 (Go zero values
 *   are not merged); booleans always replace.
 * Not modelled: `$patch: delete` and JSON6902 patches (the project uses neither).
 */
import { parseAllDocuments, stringify } from "yaml";

type Json = Record<string, unknown>;

/** v1alpha1 fields a patch replaces instead of appending to. */
const REPLACED_LISTS = new Set(["cluster.network.podSubnets", "cluster.network.serviceSubnets", "cluster.apiServer.auditPolicy"]);

function isObject(v: unknown): v is Json {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function documentId(doc: Json): string {
    const name = typeof doc.name === "string" ? doc.name : "";
    return `${String(doc.apiVersion ?? "")}/${String(doc.kind ?? "v1alpha1")}/${name}`;
}

function mergeValue(left: unknown, right: unknown, path: string, replaceLists: boolean): unknown {
    if (right === null || right === undefined) return left;
    if (Array.isArray(right)) {
        if (right.length === 0) return left;
        if (!Array.isArray(left) || (replaceLists && REPLACED_LISTS.has(path))) return structuredClone(right);
        return [...left, ...structuredClone(right)];
    }
    if (isObject(right)) {
        if (!isObject(left)) return structuredClone(right);
        if (replaceLists && REPLACED_LISTS.has(path)) return structuredClone(right);
        const out: Json = { ...left };
        for (const [k, v] of Object.entries(right)) out[k] = mergeValue(left[k], v, path ? `${path}.${k}` : k, replaceLists);
        return out;
    }
    if (typeof right === "boolean") return right;
    if (right === "" || right === 0) return left;
    return right;
}

function parseStream(text: string, what: string): Json[] {
    const parsed = parseAllDocuments(text);
    if (!Array.isArray(parsed)) return [];
    const docs: Json[] = [];
    for (const d of parsed) {
        if (d.errors.length > 0) throw new Error(`${what}: YAML error (${d.errors[0].code})`);
        const value: unknown = d.toJS();
        if (value === null || value === undefined) continue;
        if (!isObject(value)) throw new Error(`${what}: a document is not a mapping`);
        docs.push(value);
    }
    return docs;
}

/** The documents of `base` with every patch applied in order (each patch may hold several documents). */
export function applyStrategicPatches(base: string, patches: readonly string[]): Json[] {
    const docs = parseStream(base, "base config");
    patches.forEach((patch, i) => {
        for (const doc of parseStream(patch, `patch ${i + 1}`)) {
            const id = documentId(doc);
            const at = docs.findIndex((d) => documentId(d) === id);
            if (at < 0) docs.push(structuredClone(doc));
            else docs[at] = mergeValue(docs[at], doc, "", doc.kind === undefined) as Json;
        }
    });
    return docs;
}

/** Documents as one multi-document YAML text, as Talos and the boot service read it. */
export function toYamlStream(docs: readonly unknown[]): string {
    return docs.map((d) => stringify(d)).join("---\n");
}
