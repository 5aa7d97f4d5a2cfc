import * as pulumi from "@pulumi/pulumi";
import { Problems, SECRET_NAME_RE, closest, unknownKeyMessage } from "../../model/problems";
import { INVALID_JSON, isObj } from "../../model/readers";
import { placeholder } from "../../model/checks";
import { parseDayTwo } from "../../model/dayTwo";
import { PROJECT, type StackConfig } from "../../components/model";
import { misplacedSecretFix, SECRET_CONFIG_KEYS, STRUCTURED_KEYS, StructuredKey, TOP_LEVEL_KEYS, key, readSecrets } from "./common";
import { parseCluster } from "./cluster";
import { parseGcp } from "./gcp";
import { parseNodes } from "./nodes";
import { parseImages } from "./images";
import { parseTailnet } from "./tailnet";
import { parseBootService } from "./bootService";
import { parseEdgeSites } from "./edgeSites";
import { crossChecks } from "./cross";
import { parseHeadscale } from "./headscale";
import { parseProxmox } from "./proxmox";
import { parseOci } from "./oci";

/** Raw stack config as Pulumi hands it to the program. */
export interface RawStackConfig {
    /** Full config keys ("talos-cloud-edge:cluster", "gcp:project") to their string form; objects and arrays are JSON. */
    values: Record<string, string>;
    /** Full keys whose values were set with `pulumi config set --secret`. */
    secretKeys: ReadonlySet<string>;
}

/** Every problem found in one stack's config; `problems` holds one line per problem. */
export class StackConfigError extends Error {
    readonly problems: string[];

    constructor(problems: string[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "StackConfigError";
        this.problems = problems;
    }
}

/** Secret config keys: top level, each set with `pulumi config set --secret <key>`. */
function parseStructured(p: Problems, name: StructuredKey, text: string | undefined): unknown {
    if (text === undefined) {
        return undefined;
    }
    try {
        return JSON.parse(text);
    } catch {
        const full = key(name);
        p.invalid(
            full,
            text,
            `is not an object or list; write it as a YAML mapping/list under "${full}" in Pulumi.<stack>.yaml, or set single fields with \`pulumi config set --path '${full}${name === "nodes" || name === "edgeSites" ? "[0]" : ""}.<field>' <value>\``,
        );
        return INVALID_JSON;
    }
}

/** Validates raw stack config into the model; throws one `StackConfigError` listing every problem. */
export function parseStackConfig(raw: RawStackConfig): StackConfig {
    const p = new Problems({ secretKeyAdvice: misplacedSecretFix, placeholder });
    const prefix = `${PROJECT}:`;
    const ours = new Map<string, string>();
    for (const [k, v] of Object.entries(raw.values)) {
        if (k.startsWith(prefix)) {
            ours.set(k.slice(prefix.length), v);
        }
    }
    // Anything set with --secret is never echoed, whatever key it sits under.
    for (const k of raw.secretKeys) {
        p.redact(k);
    }
    const secrets = readSecrets(p, ours, raw.secretKeys);

    for (const name of ours.keys()) {
        if (TOP_LEVEL_KEYS.includes(name)) {
            continue;
        }
        const full = key(name);
        const root = name.split(/[.[]/, 1)[0];
        if (root !== name && TOP_LEVEL_KEYS.includes(root)) {
            p.add(full, `is a literal key containing a path; remove it with \`pulumi config rm '${full}'\` and set it with \`pulumi config set --path '${full}' <value>\``);
        } else if (SECRET_NAME_RE.test(name)) {
            const guess = closest(name, SECRET_CONFIG_KEYS);
            p.add(full, `(value hidden) unknown secret key; ${guess ? `did you mean "${guess}"? ` : ""}this stack reads secrets only from ${SECRET_CONFIG_KEYS.join(", ")}`);
        } else {
            p.add(full, unknownKeyMessage(name, TOP_LEVEL_KEYS));
        }
    }

    const structured = Object.fromEntries(STRUCTURED_KEYS.map((k) => [k, parseStructured(p, k, ours.get(k))])) as Record<StructuredKey, unknown>;
    const cluster = parseCluster(p, structured.cluster);
    const gcp = parseGcp(p, structured.gcp, raw.values["gcp:project"]);
    const nodes = parseNodes(p, structured.nodes, cluster?.name);
    const images = parseImages(p, structured.images);
    const headscale = parseHeadscale(p, structured.headscale, secrets);
    const tailnet = parseTailnet(p, structured.tailnet, secrets, raw.values, headscale);
    const bootService = parseBootService(p, structured.bootService, gcp?.region, tailnet?.auth, secrets, headscale);
    const proxmox = parseProxmox(p, structured.proxmox, secrets, cluster?.name);
    const oci = parseOci(p, structured.oci, secrets);
    const edgeSites = parseEdgeSites(p, structured.edgeSites, secrets.edgeSshPrivateKey);
    const dayTwo = parseDayTwo(p, structured.dayTwo, key("dayTwo"));
    const clusterObj = isObj(structured.cluster) ? structured.cluster : {};
    crossChecks(p, cluster, gcp, nodes, edgeSites, clusterObj.podCidr !== undefined, clusterObj.serviceCidr !== undefined, { proxmox, oci });

    if (p.list.length > 0 || !cluster || !gcp || !nodes.complete || !images || !tailnet || !bootService || !edgeSites.complete || !dayTwo || headscale === null || proxmox === null || oci === null) {
        throw new StackConfigError(p.list.length > 0 ? p.list : ["internal: a section failed without a recorded problem"]);
    }
    return {
        cluster,
        gcp,
        cloudNodes: nodes.items.map((n) => n.value),
        images,
        tailnet,
        bootService,
        edgeSites: edgeSites.items.map((s) => s.value),
        dayTwo,
        ...(proxmox ? { proxmox: proxmox.value } : {}),
        ...(oci ? { oci: oci.value } : {}),
    };
}

/** `project:config:key` (older engines) -> `project:key`, as the SDK's own config reader does. */
function cleanKey(k: string): string {
    const idx = k.indexOf(":");
    return idx > 0 && k.startsWith("config:", idx + 1) ? k.slice(0, idx) + ":" + k.slice(idx + 1 + "config:".length) : k;
}

/**
 * Which config keys are secret. The engine passes the list as the JSON array
 * `PULUMI_CONFIG_SECRET_KEYS`; the SDK keeps it in its runtime store and exposes it only
 * through `runtime.isConfigSecret` (present in the JS module, absent from the typings).
 */
function secretConfigKeys(keys: string[]): Set<string> {
    const runtime = pulumi.runtime as typeof pulumi.runtime & { isConfigSecret?: (k: string) => boolean };
    const isSecret = runtime.isConfigSecret;
    if (typeof isSecret === "function") {
        return new Set(keys.filter((k) => isSecret(k) || isSecret(k.replace(":", ":config:"))));
    }
    let listed: unknown = [];
    try {
        listed = JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS || "[]");
    } catch {
        listed = [];
    }
    const secret = new Set(Array.isArray(listed) ? listed.map((k) => cleanKey(String(k))) : []);
    return new Set(keys.filter((k) => secret.has(k)));
}

/** The running program's raw config (values and which keys are secret). */
export function readRawStackConfig(): RawStackConfig {
    const values = pulumi.runtime.allConfig();
    return { values, secretKeys: secretConfigKeys(Object.keys(values)) };
}

/** Reads and validates the running stack's config. */
export function readStackConfig(): StackConfig {
    return parseStackConfig(readRawStackConfig());
}
