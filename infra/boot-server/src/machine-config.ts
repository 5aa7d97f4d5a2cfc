/**
 * Renders the machine config an edge node fetches with its ticket: the cluster's base worker
 * config (multi-document YAML, a secret handed to the service) with this machine's settings
 * merged into the v1alpha1 document, its HostnameConfig, and the tailscale
 * ExtensionServiceConfig carrying the key minted for this boot.
 *
 * Pure functions over validated values. YAML is produced only by the `yaml` package (the
 * base documents through its Document API, so untouched nodes keep their form; the shared
 * documents through lib/talos/documents.ts), so no value can break out of its scalar.
 * Error messages never quote the base config: it holds the cluster's join secrets.
 */
import { Document, isMap, isScalar, parseAllDocuments, YAMLMap } from "yaml";
import { preparedHostnameConfig, tailscaleExtensionConfigFor } from "../../../lib/talos/documents";
import { DNS_LABEL } from "./formats";
import type { BootMachine } from "./settings";

export const ZONE_LABEL = "topology.kubernetes.io/zone";

/** Raised for an unusable base config; the message says what is wrong, never what it contains. */
export class BaseConfigError extends Error {
    constructor(message: string) {
        super(`BOOT_BASE_CONFIG: ${message}`);
        this.name = "BaseConfigError";
    }
}

/** The parsed base config, reused (cloned) for every render. */
export interface BaseConfig {
    /** Index of the v1alpha1 document in `documents`. */
    readonly v1alpha1Index: number;
    readonly documents: readonly Document.Parsed[];
    /**
     * What loading changed in the base, one sentence each (field names only, no values), for
     * the service to log at start-up; [] when the base was used as given.
     */
    readonly adjustments: readonly string[];
}

function docKind(doc: Document.Parsed): { apiVersion?: unknown; kind?: unknown; version?: unknown; name?: unknown } {
    const c = doc.contents;
    if (!isMap(c)) return {};
    return {
        apiVersion: doc.get("apiVersion"),
        kind: doc.get("kind"),
        version: doc.get("version"),
        name: doc.get("name"),
    };
}

/**
 * The v1alpha1 settings that Talos v1.12 refuses next to a HostnameConfig document, which the
 * service adds to every machine's config: a fixed `machine.network.hostname` (one name for every
 * machine of a shared base is wrong anyway) and `machine.features.stableHostname: true`. Both
 * are removed from the base when it is loaded, so a bad base shows at start-up, not at boot.
 */
function removeHostnameConflicts(v1: Document.Parsed): string[] {
    const adjustments: string[] = [];
    const why = "the service names each machine with its own HostnameConfig document, which Talos v1.12 refuses next to";
    const network = v1.getIn(["machine", "network"], true);
    if (isMap(network) && network.has("hostname")) {
        const hostname = network.get("hostname");
        if (hostname !== null && hostname !== undefined && hostname !== "") {
            adjustments.push(`removed machine.network.hostname from the base config: ${why} a fixed hostname`);
        }
        network.delete("hostname");
    }
    const features = v1.getIn(["machine", "features"], true);
    if (isMap(features) && features.get("stableHostname") === true) {
        features.delete("stableHostname");
        adjustments.push(`removed machine.features.stableHostname: true from the base config: ${why} stableHostname`);
    }
    return adjustments;
}

/**
 * Parses and checks the base config: valid YAML, exactly one v1alpha1 document, and that
 * document is a worker config (`machine.type: worker`) with a `cluster` section. Settings that
 * conflict with the per-machine HostnameConfig are removed and listed in `adjustments`.
 */
export function parseBaseConfig(text: string): BaseConfig {
    if (typeof text !== "string" || text.trim() === "") throw new BaseConfigError("is empty");
    if (text.length > 1024 * 1024) throw new BaseConfigError("is larger than 1 MiB");
    const parsed = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false });
    if (!Array.isArray(parsed)) throw new BaseConfigError("contains no YAML document");
    const documents: Document.Parsed[] = [];
    parsed.forEach((doc, i) => {
        if (doc.errors.length > 0) {
            const pos = doc.errors[0].linePos?.[0];
            // yaml's messages quote the offending source; give the position only.
            throw new BaseConfigError(
                `YAML error in document ${i + 1}${pos ? ` at line ${pos.line}, column ${pos.col}` : ""} (${doc.errors[0].code}); content not shown`,
            );
        }
        if (doc.contents === null) return; // an empty document between separators
        if (!isMap(doc.contents)) throw new BaseConfigError(`document ${i + 1} is not a mapping`);
        documents.push(doc);
    });
    const v1Indexes = documents
        .map((doc, i) => ({ i, k: docKind(doc) }))
        .filter(({ k }) => k.version === "v1alpha1" && k.kind === undefined)
        .map(({ i }) => i);
    if (v1Indexes.length === 0) {
        throw new BaseConfigError("has no v1alpha1 document (`version: v1alpha1` with machine and cluster sections); pass the cluster's worker config");
    }
    if (v1Indexes.length > 1) throw new BaseConfigError("has more than one v1alpha1 document");
    const v1 = documents[v1Indexes[0]];
    const type = v1.getIn(["machine", "type"]);
    if (type !== "worker") {
        throw new BaseConfigError(`the v1alpha1 document must be a worker config (machine.type: worker), got machine.type ${JSON.stringify(type ?? null)}`);
    }
    if (!isMap(v1.get("cluster"))) throw new BaseConfigError("the v1alpha1 document has no cluster section");
    for (const doc of documents) {
        const k = docKind(doc);
        if (k.version === undefined && (typeof k.apiVersion !== "string" || typeof k.kind !== "string")) {
            throw new BaseConfigError("every document must be the v1alpha1 config or carry apiVersion and kind");
        }
    }
    const adjustments = removeHostnameConflicts(v1);
    return { v1alpha1Index: v1Indexes[0], documents, adjustments };
}

export interface MachineConfigInput {
    site: string;
    machine: BootMachine;
    /** `machine.install.image`: the edge schematic's installer. */
    installerImage: string;
    /** kubelet `nodeIP.validSubnets`. */
    validSubnets: readonly string[];
    /** Auth key minted for this boot (secret). */
    authKey: string;
    /** Extra `tailscale up` arguments, e.g. `--login-server=https://hs.example` for Headscale. */
    tailscaleExtraArgs?: string[];
}

/** Tailscale and Headscale keys: printable ASCII without whitespace. */
const AUTH_KEY = /^[\x21-\x7e]{8,512}$/;

/** Returns the map at `path`, creating empty maps for missing or null nodes. */
function mapAt(doc: Document.Parsed, path: string[]): YAMLMap {
    let node: unknown = doc.contents;
    for (let i = 0; i < path.length; i++) {
        const parent = node as YAMLMap;
        let child: unknown = parent.get(path[i], true);
        if (child === undefined || child === null || (isScalar(child) && child.value === null)) {
            child = doc.createNode({});
            parent.set(path[i], child);
        }
        if (!isMap(child)) {
            throw new BaseConfigError(`${path.slice(0, i + 1).join(".")} in the v1alpha1 document is not a mapping`);
        }
        node = child;
    }
    return node as YAMLMap;
}

/** Merges this machine's settings into a clone of the v1alpha1 document. */
function mergeV1alpha1(base: Document.Parsed, input: Omit<MachineConfigInput, "authKey">): Document.Parsed {
    const doc = base.clone() as Document.Parsed;
    const { machine, site } = input;

    const install = mapAt(doc, ["machine", "install"]);
    if (machine.diskSelector !== undefined) {
        install.delete("disk");
        install.set("diskSelector", doc.createNode({ ...machine.diskSelector }));
    } else if (machine.installDisk !== undefined) {
        install.delete("diskSelector");
        install.set("disk", machine.installDisk);
    }
    install.set("image", input.installerImage);

    const labels = mapAt(doc, ["machine", "nodeLabels"]);
    for (const [k, v] of Object.entries(machine.labels)) labels.set(k, v);
    labels.set(ZONE_LABEL, site);

    if (Object.keys(machine.taints).length > 0) {
        const taints = mapAt(doc, ["machine", "nodeTaints"]);
        for (const [k, v] of Object.entries(machine.taints)) taints.set(k, v);
    }

    mapAt(doc, ["machine", "kubelet", "nodeIP"]).set("validSubnets", doc.createNode([...input.validSubnets]));
    // No hostname here: parseBaseConfig removed the settings that conflict with HostnameConfig.
    return doc;
}

function isReplacedDocument(doc: Document.Parsed): boolean {
    const k = docKind(doc);
    if (k.kind === "HostnameConfig") return true;
    return k.kind === "ExtensionServiceConfig" && k.name === "tailscale";
}

/** Documents are joined with our own `---`; their own markers would add empty documents. */
const NO_MARKERS = { directives: false } as const;

function ensureTrailingNewline(s: string): string {
    return s.endsWith("\n") ? s : `${s}\n`;
}

/** A machine's config with everything but the per-boot key rendered; call it with the key. */
export type PreparedMachineConfig = (authKey: string) => string;

/** Renders of one base config's documents, shared by every machine rendered from it. */
interface BaseRenders {
    /** Per document in order: its text, `null` for the v1alpha1 slot; replaced documents left out. */
    slots: Array<string | null>;
    /**
     * Every base document, the merged v1alpha1 one in its slot, joined with separators, by
     * everything the merge reads: machines with equal inputs share one string.
     */
    heads: Map<string, string>;
    /** The prepared tailscale document by the extra arguments (settings: one entry in practice). */
    tailscale: Map<string, (hostname: string, authKey: string) => string>;
}

const baseRenders = new WeakMap<BaseConfig, BaseRenders>();

/** Every input the v1alpha1 merge reads, as a key: the machine's name is not one of them. */
function mergeKey(input: Omit<MachineConfigInput, "authKey">): string {
    const m = input.machine;
    return JSON.stringify([input.site, input.installerImage, input.validSubnets, m.installDisk ?? null, m.diskSelector ?? null, m.labels, m.taints]);
}

/**
 * The parts of a machine's config that do not depend on the per-boot key — the merged v1alpha1
 * document, the other base documents, the HostnameConfig — rendered once, and the function that
 * appends the tailscale ExtensionServiceConfig for a key. Rendering the v1alpha1 document (a
 * clone of the base plus serialisation) is the expensive step; it depends only on the site, the
 * install disk, labels, taints and the global install settings, so machines that share those
 * share one render (kept with the parsed base config). A config fetch then renders only the
 * small per-boot document. What a machine keeps for itself is its HostnameConfig text (tens of
 * bytes), not a copy of the shared documents: 10,000 prepared machines cost ~1 MB, not the
 * hundreds a copy each would.
 */
export function prepareMachineConfig(base: BaseConfig, input: Omit<MachineConfigInput, "authKey">): PreparedMachineConfig {
    if (!DNS_LABEL.test(input.machine.name)) throw new Error("renderMachineConfig: machine name is not a DNS label");
    if (!DNS_LABEL.test(input.site)) throw new Error("renderMachineConfig: site name is not a DNS label");
    let renders = baseRenders.get(base);
    if (renders === undefined) {
        const slots: Array<string | null> = [];
        base.documents.forEach((doc, i) => {
            if (i === base.v1alpha1Index) slots.push(null);
            else if (!isReplacedDocument(doc)) slots.push(ensureTrailingNewline(doc.toString(NO_MARKERS)));
        });
        renders = { slots, heads: new Map(), tailscale: new Map() };
        baseRenders.set(base, renders);
    }
    const key = mergeKey(input);
    let shared = renders.heads.get(key);
    if (shared === undefined) {
        const v1 = ensureTrailingNewline(mergeV1alpha1(base.documents[base.v1alpha1Index], input).toString(NO_MARKERS));
        shared = renders.slots.map((slot) => `${slot ?? v1}---\n`).join("");
        renders.heads.set(key, shared);
    }
    const head = shared;
    const own = `${ensureTrailingNewline(preparedHostnameConfig(input.machine.name))}---\n`;
    const argsKey = JSON.stringify(input.tailscaleExtraArgs ?? null);
    let tailscale = renders.tailscale.get(argsKey);
    if (tailscale === undefined) {
        const extraArgs = input.tailscaleExtraArgs === undefined ? undefined : [...input.tailscaleExtraArgs];
        tailscale = tailscaleExtensionConfigFor({ extraArgs });
        renders.tailscale.set(argsKey, tailscale);
    }
    const renderTailscale = tailscale;
    const hostname = input.machine.name;
    return (authKey: string): string => {
        // The key is secret: say what is wrong with it, never what it is.
        if (!AUTH_KEY.test(authKey)) throw new Error("renderMachineConfig: the minted auth key is not printable ASCII without whitespace");
        return head + own + ensureTrailingNewline(renderTailscale(hostname, authKey));
    };
}

/**
 * The multi-document config for one machine. Base documents other than the v1alpha1 one are
 * kept as they are, except any HostnameConfig and tailscale ExtensionServiceConfig, which
 * this machine's own replace.
 */
export function renderMachineConfig(base: BaseConfig, input: MachineConfigInput): string {
    return prepareMachineConfig(base, input)(input.authKey);
}
