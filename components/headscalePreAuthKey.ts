/**
 * One Headscale pre-auth key for one node, as a Pulumi dynamic resource: single-use, not
 * ephemeral, tagged, short-lived (docs/decisions/0130-headscale-overlay.md). The Headscale
 * counterpart of `tailscale.TailnetKey` for the cloud nodes and the remote worker pools; edge
 * machines get theirs per boot from the boot service (infra/boot-server/src/keys/headscale.ts).
 *
 * API facts (juanfont/headscale v0.29 `headscale.proto` + `preauthkey.proto`, grpc-gateway JSON):
 * `POST <url>/api/v1/preauthkey`, `Authorization: Bearer <api key>`, body `{user?: "<uint64>",
 * reusable, ephemeral, expiration: RFC 3339, aclTags}` → `{preAuthKey: {id, key, expiration, ...}}`.
 *
 * The key is created once and never renewed: the node spends it at first boot and its
 * extension config has TS_AUTH_ONCE=true, so an enrolled node never presents it again. Delete
 * does nothing remote: the key is single-use and expires by itself within a day.
 *
 * The engine stores the provider's code in state and runs it in its own process: the functions
 * here are self-contained (Node globals only) and `PRE_AUTH_KEY_MODULE` is their source text
 * (components/dynamicModule.ts). Tests call them directly, and load the text as the host does.
 */
import * as pulumi from "@pulumi/pulumi";
import { ModuleDynamicResource, dynamicProviderModule } from "./dynamicModule";

/** Longest lifetime the resource accepts (one day, like `tailnet.keyExpirySeconds`). */
const MAX_SECONDS = 86_400;
export const MAX_PREAUTH_KEY_SECONDS = MAX_SECONDS;

/** What the provider receives. */
export interface PreAuthKeyInputs {
    /** Headscale server URL (https; http only on the loopback interface). */
    url: string;
    /** API key (secret). */
    apiKey: string;
    /** Headscale user id (decimal); "" = a tag-only key. */
    user: string;
    /** ACL tags the node gets, each `tag:<name>`; at least one. */
    aclTags: string[];
    /** Lifetime in seconds from creation, 60..86400. */
    expirySeconds: number;
    /** The node the key is for (identity only: a new hostname is a new key). */
    hostname: string;
}

/** What the provider stores. */
export interface PreAuthKeyOutputs extends Omit<PreAuthKeyInputs, "apiKey"> {
    /** Headscale's id of the key; the node that registers with it is found by it. */
    keyId: string;
    /** The key (secret). */
    key: string;
    /** RFC 3339 expiry as Headscale recorded it. */
    expiration: string;
}

/** Input problems, one line each, before any request. */
export function preAuthKeyProblems(i: Partial<PreAuthKeyInputs>): string[] {
    const problems: string[] = [];
    let ok = false;
    try {
        const u = new URL(String(i.url));
        const loopback = u.hostname === "127.0.0.1" || u.hostname === "localhost" || u.hostname === "[::1]";
        ok = (u.protocol === "https:" || (u.protocol === "http:" && loopback)) && u.pathname.replace(/\/+$/, "") === "" && !u.username && !u.search;
    } catch {
        ok = false;
    }
    if (!ok) {
        problems.push(`url ${JSON.stringify(i.url)} is not an https base URL (http only on the loopback interface)`);
    }
    if (typeof i.apiKey !== "string" || i.apiKey.length === 0) {
        problems.push("apiKey is empty; run `pulumi config set --secret headscaleApiKey <key>` (`headscale apikeys create`)");
    }
    if (typeof i.user !== "string" || !/^([0-9]{1,20})?$/.test(i.user)) {
        problems.push(`user ${JSON.stringify(i.user)} is not a Headscale user id (digits)`);
    }
    if (!Array.isArray(i.aclTags) || i.aclTags.length === 0 || i.aclTags.some((t) => !/^tag:[A-Za-z0-9][A-Za-z0-9-]*$/.test(String(t)))) {
        problems.push(`aclTags ${JSON.stringify(i.aclTags)} must be one or more tags like "tag:talos-cloud"`);
    }
    if (!Number.isInteger(i.expirySeconds) || i.expirySeconds! < 60 || i.expirySeconds! > MAX_SECONDS) {
        problems.push(`expirySeconds ${i.expirySeconds} must be a whole number from 60 to ${MAX_SECONDS}`);
    }
    if (typeof i.hostname !== "string" || !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(i.hostname)) {
        problems.push(`hostname ${JSON.stringify(i.hostname)} is not a DNS label`);
    }
    return problems;
}

/** The request body for `inputs`, expiring `expirySeconds` after `now`. */
export function preAuthKeyRequest(i: PreAuthKeyInputs, now: Date): Record<string, unknown> {
    const expiration = new Date(now.getTime() + i.expirySeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    return {
        ...(i.user !== "" ? { user: i.user } : {}),
        reusable: false,
        ephemeral: false,
        expiration,
        aclTags: [...i.aclTags],
    };
}

/** Creates the key; throws with the HTTP status and Headscale's message (never the API key). */
export async function createPreAuthKey(i: PreAuthKeyInputs, now: Date = new Date()): Promise<PreAuthKeyOutputs> {
    const problems = preAuthKeyProblems(i);
    if (problems.length > 0) {
        throw new Error(`HeadscalePreAuthKey ${i.hostname}: ${problems.join("; ")}`);
    }
    const base = i.url.replace(/\/+$/, "");
    let res: Response | undefined;
    let lastError = "";
    for (let attempt = 1; attempt <= 4; attempt++) {
        try {
            res = await fetch(`${base}/api/v1/preauthkey`, {
                method: "POST",
                headers: { authorization: `Bearer ${i.apiKey}`, "content-type": "application/json", accept: "application/json" },
                body: JSON.stringify(preAuthKeyRequest(i, now)),
                signal: AbortSignal.timeout(15_000),
            });
        } catch (err) {
            res = undefined;
            lastError = err instanceof Error ? err.message : String(err);
        }
        // A creation that failed with 5xx or on the network created nothing usable: try again.
        if (res && res.status < 500) {
            break;
        }
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
    if (!res) {
        throw new Error(`HeadscalePreAuthKey ${i.hostname}: POST ${base}/api/v1/preauthkey failed: ${lastError.split(i.apiKey).join("<api key>")}`);
    }
    const text = await res.text();
    if (res.status !== 200) {
        const detail = text.split(i.apiKey).join("<api key>").replace(/\s+/g, " ").slice(0, 300);
        throw new Error(`HeadscalePreAuthKey ${i.hostname}: POST ${base}/api/v1/preauthkey: HTTP ${res.status} ${detail}`);
    }
    const key = (JSON.parse(text) as { preAuthKey?: Record<string, unknown> }).preAuthKey ?? {};
    if (typeof key.key !== "string" || key.key === "" || key.id === undefined) {
        throw new Error(`HeadscalePreAuthKey ${i.hostname}: Headscale answered without a key`);
    }
    const { apiKey: _secret, ...rest } = i;
    return { ...rest, keyId: String(key.id), key: key.key, expiration: typeof key.expiration === "string" ? key.expiration : String(preAuthKeyRequest(i, now).expiration) };
}

/** Identity of a key: any change is a new key (the old one is simply left to expire). */
export function diffPreAuthKey(olds: Partial<PreAuthKeyOutputs>, news: Partial<PreAuthKeyInputs>): pulumi.dynamic.DiffResult {
    const replaces = ["url", "user", "aclTags", "expirySeconds", "hostname"].filter(
        (k) => JSON.stringify((olds as Record<string, unknown>)[k]) !== JSON.stringify((news as Record<string, unknown>)[k]),
    );
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
}

export async function providerCheck(_olds: unknown, news: PreAuthKeyInputs): Promise<pulumi.dynamic.CheckResult<PreAuthKeyInputs>> {
    // Values unknown at preview are checked at create.
    const known = Object.values(news).every((v) => v !== "04da6b54-80e4-46f7-96ec-b56ff0331ba9");
    return { inputs: news, failures: known ? preAuthKeyProblems(news).map((reason) => ({ property: "hostname", reason })) : [] };
}

export async function providerDiff(_id: string, olds: PreAuthKeyOutputs, news: PreAuthKeyInputs): Promise<pulumi.dynamic.DiffResult> {
    return diffPreAuthKey(olds, news);
}

export async function providerCreate(inputs: PreAuthKeyInputs): Promise<pulumi.dynamic.CreateResult<PreAuthKeyOutputs>> {
    const outs = await createPreAuthKey(inputs);
    return { id: `headscale-preauthkey-${outs.keyId}`, outs };
}

export async function providerDelete(): Promise<void> {
    // Single-use and short-lived: it expires by itself (see the module comment).
}

/** The provider, type-checked against the SDK's interface; the engine runs the module text below. */
const PROVIDER: pulumi.dynamic.ResourceProvider<PreAuthKeyInputs, PreAuthKeyOutputs> = {
    check: providerCheck,
    diff: providerDiff,
    create: providerCreate,
    delete: providerDelete,
};

/** The provider as the module text the dynamic provider host loads. */
export const PRE_AUTH_KEY_MODULE = dynamicProviderModule({
    type: "HeadscalePreAuthKey",
    constants: { MAX_SECONDS },
    functions: [preAuthKeyProblems, preAuthKeyRequest, createPreAuthKey, diffPreAuthKey, providerCheck, providerDiff, providerCreate, providerDelete],
    handler: PROVIDER as unknown as Record<string, (...args: never[]) => unknown>,
});

export interface HeadscalePreAuthKeyArgs {
    /** Headscale server URL. */
    url: pulumi.Input<string>;
    /** Headscale API key (made secret here). */
    apiKey: pulumi.Input<string>;
    /** Headscale user id owning the key; undefined = a tag-only key. */
    user?: pulumi.Input<string>;
    /** ACL tags of the node, e.g. ["tag:talos-cloud"]. */
    aclTags: pulumi.Input<string[]>;
    /** Lifetime in seconds (60..86400): long enough for first boot, short enough to be useless if leaked. */
    expirySeconds: pulumi.Input<number>;
    /** The node's hostname (a new hostname means a new key). */
    hostname: pulumi.Input<string>;
}

/** A single-use, tagged, short-lived Headscale pre-auth key for one node. */
export class HeadscalePreAuthKey extends ModuleDynamicResource {
    /** Headscale's key id: the node registered with this key is found by it. */
    declare public readonly keyId: pulumi.Output<string>;
    /** The key (secret). */
    declare public readonly key: pulumi.Output<string>;
    declare public readonly expiration: pulumi.Output<string>;

    constructor(name: string, args: HeadscalePreAuthKeyArgs, opts?: pulumi.CustomResourceOptions) {
        super("HeadscalePreAuthKey", PRE_AUTH_KEY_MODULE, name, {
            url: args.url,
            apiKey: pulumi.secret(args.apiKey),
            user: args.user ?? "",
            aclTags: args.aclTags,
            expirySeconds: args.expirySeconds,
            hostname: args.hostname,
            keyId: undefined,
            key: undefined,
            expiration: undefined,
        }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["key", "apiKey"] }));
    }
}
