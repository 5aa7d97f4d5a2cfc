/**
 * Checks Talos machine-config documents against the machine-config JSON schema Talos publishes
 * (`config.schema.json`, one `$defs` entry per document kind), plus the few load-time rules of
 * the Talos decoder and validators that a JSON schema cannot state: duplicate documents,
 * unregistered kinds, and the HostnameConfig rules (its own `auto`/`hostname` exclusivity and
 * its conflict with a fixed hostname or `stableHostname: true` in the v1alpha1 document).
 *
 * The schema is passed in (tests load the vendored v1.12.4 copy; nothing here knows where it
 * lives). Problems name the document, the field and what is wrong, never a value: machine
 * configs carry the cluster's join secrets.
 */
import * as fs from "node:fs";
import Ajv2020 from "ajv/dist/2020";
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020";
import { parseAllDocuments } from "yaml";

/** One thing wrong with one document. */
export interface TalosDocumentProblem {
    /** 1-based position of the document in the YAML stream (or in the array passed in). */
    document: number;
    /** `v1alpha1` for the main config document, else the document's kind (`?` when it has none). */
    kind: string;
    /** Dotted field path inside the document, e.g. `machine.network.hostname`; "" for the document itself. */
    path: string;
    /** What is wrong and, where there is one, the fix. Never quotes a value from the document. */
    message: string;
}

/** Fields the Talos decoder still accepts but the published schema leaves out (`nodoc-fields.json`): `$defs` name → field names. */
export type UndocumentedFields = Readonly<Record<string, readonly string[]>>;

export interface TalosSchemaSource {
    /** The parsed `config.schema.json` (JSON Schema draft 2020-12, `$defs` + top-level `oneOf`). */
    schema: unknown;
    /** Deprecated fields to accept although the schema omits them. Default: none (the schema as is). */
    undocumentedFields?: UndocumentedFields;
}

/** A compiled validator for one Talos release's documents. */
export interface TalosValidator {
    /** The schema's `$id`, e.g. `https://talos.dev/v1.12/schemas/config.schema.json`. */
    readonly schemaId: string;
    /** Every registered document kind as `apiVersion/kind`, plus `v1alpha1` for the main document. */
    readonly kinds: readonly string[];
    /** Problems of a multi-document YAML text or of already-parsed documents; [] when Talos would accept them. */
    validate(input: string | readonly unknown[]): TalosDocumentProblem[];
}

/** `$defs` name of the main (kindless) document. */
const V1ALPHA1_DEF = "v1alpha1.Config";
/** Top-level keys that make a kindless document the v1alpha1 one (as the Talos decoder decides). */
const V1ALPHA1_KEYS = ["machine", "cluster", "debug", "persist"];
/** Annotation keywords the Talos schema carries for editors; they validate nothing. */
const ANNOTATION_KEYWORDS = ["markdownDescription", "x-intellij-html-description"];

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function enumOne(def: Json, key: string): string | undefined {
    const props = def.properties;
    if (!isObject(props) || !isObject(props[key])) return undefined;
    const values = (props[key] as Json).enum;
    return Array.isArray(values) && values.length === 1 && typeof values[0] === "string" ? values[0] : undefined;
}

/**
 * The schema with the undocumented-but-accepted fields added as properties that take any value,
 * each one explicitly: an unknown field stays an error.
 */
function withUndocumentedFields(schema: Json, fields: UndocumentedFields): Json {
    const copy = structuredClone(schema);
    const defs = copy.$defs as Json;
    for (const [defName, names] of Object.entries(fields)) {
        if (defName.startsWith("_")) continue; // a comment entry
        const def = defs[defName];
        if (!isObject(def) || !isObject(def.properties)) {
            throw new Error(`talos schema: undocumented fields name $defs entry "${defName}", which the schema does not have`);
        }
        for (const name of names) {
            if (name in def.properties) continue;
            (def.properties as Json)[name] = { description: "Accepted by the Talos decoder, left out of the schema (deprecated)." };
        }
    }
    return copy;
}

/** Compiles a validator from a parsed schema. Throws when the schema is not Talos's config schema. */
export function createTalosValidator(source: TalosSchemaSource): TalosValidator {
    if (!isObject(source.schema) || !isObject(source.schema.$defs) || !Array.isArray(source.schema.oneOf) || typeof source.schema.$id !== "string") {
        throw new Error("talos schema: not a Talos config.schema.json (expected $id, $defs and a top-level oneOf)");
    }
    if (source.schema.$schema !== "https://json-schema.org/draft/2020-12/schema") {
        throw new Error(`talos schema: expected JSON Schema draft 2020-12, got ${JSON.stringify(source.schema.$schema)}`);
    }
    const schema = withUndocumentedFields(source.schema, source.undocumentedFields ?? {});
    const schemaId = schema.$id as string;
    const defs = schema.$defs as Json;

    // Which $defs entry validates which document: the top-level oneOf lists one per kind.
    const defByKind = new Map<string, string>();
    for (const entry of schema.oneOf as unknown[]) {
        const ref = isObject(entry) && typeof entry.$ref === "string" ? entry.$ref : "";
        const defName = ref.startsWith("#/$defs/") ? ref.slice("#/$defs/".length) : "";
        const def = defs[defName];
        if (!isObject(def)) throw new Error(`talos schema: oneOf entry ${JSON.stringify(ref)} names no $defs entry`);
        if (defName === V1ALPHA1_DEF) continue;
        const kind = enumOne(def, "kind");
        const apiVersion = enumOne(def, "apiVersion");
        if (!kind || !apiVersion) throw new Error(`talos schema: $defs entry ${defName} has no fixed apiVersion and kind`);
        defByKind.set(`${apiVersion}/${kind}`, defName);
    }
    if (!isObject(defs[V1ALPHA1_DEF])) throw new Error(`talos schema: no ${V1ALPHA1_DEF} definition`);

    // Draft 2020-12 is what the schema declares. Strict about keywords (a typo in our additions
    // fails loudly); not about type annotations, which the upstream schema leaves out in places.
    const ajv = new Ajv2020({ allErrors: true, strictTypes: false });
    ajv.addVocabulary(ANNOTATION_KEYWORDS);
    ajv.addFormat("uri", (text: string) => URL.canParse(text));
    ajv.addSchema(schema);
    const compiled = new Map<string, ValidateFunction>();
    const validatorFor = (defName: string): ValidateFunction => {
        let fn = compiled.get(defName);
        if (fn === undefined) {
            fn = ajv.compile({ $ref: `${schemaId}#/$defs/${defName}` });
            compiled.set(defName, fn);
        }
        return fn;
    };
    const release = /\/(v\d+\.\d+)\//.exec(schemaId)?.[1] ?? schemaId;
    const kinds = ["v1alpha1", ...[...defByKind.keys()].sort()];

    const validate = (input: string | readonly unknown[]): TalosDocumentProblem[] => {
        const problems: TalosDocumentProblem[] = [];
        const docs = typeof input === "string" ? parseStream(input, problems) : input.map((doc, i) => ({ n: i + 1, doc }));
        const seen = new Map<string, number>();
        let v1alpha1: { n: number; doc: Json } | undefined;
        const hostnameDocs: Array<{ n: number; doc: Json }> = [];

        for (const { n, doc } of docs) {
            if (doc === null || doc === undefined) continue; // Talos skips null documents
            if (!isObject(doc)) {
                problems.push({ document: n, kind: "?", path: "", message: "is not a mapping; every Talos document is one" });
                continue;
            }
            const kind = typeof doc.kind === "string" ? doc.kind : undefined;
            const apiVersion = typeof doc.apiVersion === "string" ? doc.apiVersion : "";
            const isV1alpha1 = kind === undefined && (doc.version === "v1alpha1" || V1ALPHA1_KEYS.some((k) => k in doc));
            const label = isV1alpha1 ? "v1alpha1" : (kind ?? "?");

            const id = `${apiVersion}/${kind ?? "v1alpha1"}/${typeof doc.name === "string" ? doc.name : ""}`;
            const first = seen.get(id);
            if (first !== undefined) {
                problems.push({ document: n, kind: label, path: "", message: `duplicates document ${first} (same apiVersion, kind and name); Talos refuses duplicate documents` });
                continue;
            }
            seen.set(id, n);

            let defName: string | undefined;
            if (isV1alpha1) {
                defName = V1ALPHA1_DEF;
            } else if (kind === undefined) {
                problems.push({ document: n, kind: "?", path: "kind", message: "is missing: a document other than the v1alpha1 config (version: v1alpha1) needs apiVersion and kind" });
                continue;
            } else if (apiVersion === "") {
                const known = [...defByKind.keys()].find((k) => k.endsWith(`/${kind}`));
                problems.push({ document: n, kind: label, path: "apiVersion", message: `is missing${known ? `; ${kind} documents take apiVersion: ${known.split("/")[0]}` : ""}` });
                continue;
            } else {
                defName = defByKind.get(`${apiVersion}/${kind}`);
                if (defName === undefined) {
                    problems.push({
                        document: n,
                        kind: label,
                        path: "kind",
                        message: `${apiVersion}/${kind} is not a document kind Talos ${release} registers; the registered kinds are ${kinds.filter((k) => k !== "v1alpha1").join(", ")}`,
                    });
                    continue;
                }
            }

            const fn = validatorFor(defName);
            if (!fn(doc)) {
                for (const err of fn.errors ?? []) problems.push(fromAjv(n, label, err, release));
            }
            if (isV1alpha1) v1alpha1 = { n, doc };
            if (kind === "HostnameConfig") hostnameDocs.push({ n, doc });
        }

        for (const h of hostnameDocs) problems.push(...hostnameConfigProblems(h.n, h.doc, v1alpha1?.doc));
        return problems.sort((a, b) => a.document - b.document);
    };

    return { schemaId, kinds, validate };
}

/** Reads the schema (and optionally `nodoc-fields.json`) from disk and compiles the validator. */
export function loadTalosValidator(schemaPath: string, undocumentedFieldsPath?: string): TalosValidator {
    const readJson = (file: string): unknown => {
        let text: string;
        try {
            text = fs.readFileSync(file, "utf8");
        } catch (err) {
            throw new Error(`talos schema: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
        }
        try {
            return JSON.parse(text);
        } catch {
            throw new Error(`talos schema: ${file} is not JSON`);
        }
    };
    const undocumented = undocumentedFieldsPath === undefined ? undefined : readJson(undocumentedFieldsPath);
    if (undocumented !== undefined && !isUndocumentedFields(undocumented)) {
        throw new Error(`talos schema: ${undocumentedFieldsPath} must map $defs names to lists of field names`);
    }
    return createTalosValidator({ schema: readJson(schemaPath), undocumentedFields: undocumented });
}

function isUndocumentedFields(v: unknown): v is UndocumentedFields {
    return isObject(v) && Object.entries(v).every(([k, list]) => k.startsWith("_") || (Array.isArray(list) && list.every((f) => typeof f === "string")));
}

/** Problems of `input` under `validator`; an empty list means Talos would load it. */
export function validateTalosDocuments(validator: TalosValidator, input: string | readonly unknown[]): TalosDocumentProblem[] {
    return validator.validate(input);
}

/** One line per problem: `document 2 (HostnameConfig) hostname: ...`. */
export function formatTalosProblems(problems: readonly TalosDocumentProblem[]): string {
    return problems.map((p) => `document ${p.document} (${p.kind})${p.path ? ` ${p.path}` : ""}: ${p.message}`).join("\n");
}

function parseStream(text: string, problems: TalosDocumentProblem[]): Array<{ n: number; doc: unknown }> {
    const out: Array<{ n: number; doc: unknown }> = [];
    const parsed = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false });
    if (!Array.isArray(parsed)) return out; // no documents at all
    parsed.forEach((d, i) => {
        if (d.errors.length > 0) {
            const pos = d.errors[0].linePos?.[0];
            problems.push({ document: i + 1, kind: "?", path: "", message: `is not valid YAML (${d.errors[0].code}${pos ? ` at line ${pos.line}` : ""})` });
            return;
        }
        out.push({ n: i + 1, doc: d.toJS({ maxAliasCount: 100 }) });
    });
    return out;
}

/** `/machine/network/hostname` → `machine.network.hostname`, with `[i]` for array items. */
function dotted(pointer: string): string {
    return pointer
        .split("/")
        .slice(1)
        .map((seg) => seg.replace(/~1/g, "/").replace(/~0/g, "~"))
        .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), "");
}

function join(path: string, field: string): string {
    return path ? `${path}.${field}` : field;
}

function fromAjv(document: number, kind: string, err: ErrorObject, release: string): TalosDocumentProblem {
    const path = dotted(err.instancePath);
    const p = err.params as Record<string, unknown>;
    switch (err.keyword) {
        case "additionalProperties":
            return { document, kind, path: join(path, String(p.additionalProperty)), message: `is not a field Talos ${release} knows here; remove it or check its spelling and level` };
        case "required":
            return { document, kind, path: join(path, String(p.missingProperty)), message: "is required" };
        case "enum":
            return { document, kind, path, message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}` };
        case "type":
            return { document, kind, path, message: `must be of type ${String(p.type)}` };
        case "pattern":
            return { document, kind, path, message: `does not match the pattern ${String(p.pattern)}` };
        case "format":
            return { document, kind, path, message: `must be a ${String(p.format)}` };
        default:
            // Ajv's own messages state the rule, not the value.
            return { document, kind, path, message: err.message ?? `fails the ${err.keyword} rule` };
    }
}

/**
 * The HostnameConfig rules Talos v1.12 checks on load beyond the schema: `auto` (other than
 * `off`) and `hostname` exclude each other, one of them is needed, the name fits DNS limits;
 * and the document conflicts with a v1alpha1 config that fixes the hostname
 * (`machine.network.hostname`) or sets `machine.features.stableHostname: true`.
 */
function hostnameConfigProblems(n: number, doc: Json, v1alpha1: Json | undefined): TalosDocumentProblem[] {
    const out: TalosDocumentProblem[] = [];
    const auto = typeof doc.auto === "string" ? doc.auto : "off";
    const hostname = typeof doc.hostname === "string" ? doc.hostname : "";
    const at = (path: string, message: string) => out.push({ document: n, kind: "HostnameConfig", path, message });
    if (auto === "off" && hostname === "") at("", "sets neither hostname nor auto (other than off); set one of them");
    if (auto !== "off" && hostname !== "") at("auto", `is ${JSON.stringify(auto)} next to hostname; Talos takes one or the other: drop auto or set it to "off"`);
    if (hostname.length > 253) at("hostname", "is longer than 253 characters");
    const label = hostname.split(".", 1)[0];
    if (hostname !== "" && (label.length === 0 || label.length > 63)) at("hostname", "must start with a label of 1 to 63 characters");

    const machine = isObject(v1alpha1?.machine) ? (v1alpha1!.machine as Json) : undefined;
    const network = isObject(machine?.network) ? (machine!.network as Json) : undefined;
    const features = isObject(machine?.features) ? (machine!.features as Json) : undefined;
    if (typeof network?.hostname === "string" && network.hostname !== "") {
        at("", "conflicts with machine.network.hostname in the v1alpha1 document (Talos v1.12 refuses both); remove machine.network.hostname");
    }
    if (features?.stableHostname === true) {
        at("", "conflicts with machine.features.stableHostname: true in the v1alpha1 document (Talos v1.12 refuses both); remove stableHostname");
    }
    return out;
}
