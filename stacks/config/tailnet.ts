/**
 * `talos-cloud-edge:tailnet`: Tailscale credentials, tags, key expiry, and the boot service key backend.
 */
import * as pulumi from "@pulumi/pulumi";
import { Problems } from "../../model/problems";
import { asObject, checkKeys, child, num, oneOf, str, strList } from "../../model/readers";
import { tailscaleTag } from "../../model/checks";
import { type HeadscaleConfig, type KeyBackendConfig, type TailnetConfig, type TailscaleAuth } from "../../components/model";
import { Secrets, key, secretCmd, setCmd } from "./common";
import { DEFAULTS } from "./defaults";

/**
 * `headscale`: the parsed `talos-cloud-edge:headscale` section (undefined = Tailscale's service,
 * null = present but invalid). With Headscale no Tailscale credentials are read, and any given
 * is refused (one overlay, one control server).
 */
export function parseTailnet(p: Problems, raw: unknown, secrets: Secrets, values: Record<string, string>, headscale?: HeadscaleConfig | null): TailnetConfig | undefined {
    const path = key("tailnet");
    if (raw === undefined) {
        p.add(path, `missing; add a "${path}" mapping with cloudTags, edgeTags and oauthClientId to Pulumi.<stack>.yaml`);
        return undefined;
    }
    const o = asObject(p, path, raw, "write it as a YAML mapping with cloudTags, edgeTags, oauthClientId, ...");
    if (!o) {
        return undefined;
    }
    checkKeys(p, path, o, ["tailnet", "cloudTags", "edgeTags", "keyExpirySeconds", "oauthClientId"]);
    const tailnet =
        o.tailnet === undefined
            ? DEFAULTS.tailnet
            : str(p, o, path, "tailnet", {
                  check: (s) => (/^[^\s/]+$/.test(s) ? undefined : 'is not a tailnet name; use "-" (the credentials\' tailnet) or the name shown in the admin console'),
              });
    const tags = (name: "cloudTags" | "edgeTags", example: string) =>
        strList(p, o, path, name, {
            required: `set the tags with ${setCmd(`tailnet.${name}[0]`, example)}; keys minted by an OAuth client must carry tags`,
            nonEmpty: `list at least one tag, e.g. ["${example}"]`,
            check: tailscaleTag,
            unique: true,
        });
    const cloudTags = tags("cloudTags", "tag:talos-cloud");
    const edgeTags = tags("edgeTags", "tag:talos-edge");
    const keyExpirySeconds = num(p, o, path, "keyExpirySeconds", DEFAULTS.keyExpirySeconds, { min: 60, max: 86400, unit: "seconds" });
    const clientId = str(p, o, path, "oauthClientId", { check: (s) => (/\s/.test(s) ? "contains whitespace; paste the OAuth client id only" : undefined) });

    let auth: TailscaleAuth | undefined;
    const oauthSecret = secrets.tailscaleOauthClientSecret;
    const apiKey = secrets.tailscaleApiKey;
    const clientIdGiven = o.oauthClientId !== undefined;
    if (headscale !== undefined) {
        const hs = key("headscale");
        const fix = `the overlay's control server is Headscale (${hs}), which mints every key; remove it`;
        if (clientIdGiven) {
            p.invalid(child(path, "oauthClientId"), o.oauthClientId, `is a Tailscale OAuth client but ${fix}`);
        }
        if (o.tailnet !== undefined) {
            p.invalid(child(path, "tailnet"), o.tailnet, `names a Tailscale tailnet but ${fix}`);
        }
        for (const name of ["tailscaleOauthClientSecret", "tailscaleApiKey"] as const) {
            if (secrets[name] !== undefined) {
                p.add(key(name), `(value hidden) is a Tailscale credential but ${fix} with \`pulumi config rm ${name}\``);
            }
        }
        if (headscale === null || !tailnet || !cloudTags || !edgeTags || keyExpirySeconds === undefined) {
            return undefined;
        }
        return { tailnet, headscale, cloudTags, edgeTags, keyExpirySeconds };
    }
    if (apiKey !== undefined && (clientIdGiven || oauthSecret !== undefined)) {
        p.add(
            key("tailscaleApiKey"),
            "(value hidden) is set together with an OAuth client; use one: remove the API key with `pulumi config rm tailscaleApiKey` (the OAuth client is preferred) or remove tailnet.oauthClientId and tailscaleOauthClientSecret",
        );
    } else if (clientIdGiven && oauthSecret === undefined) {
        p.add(key("tailscaleOauthClientSecret"), `missing; tailnet.oauthClientId is set, so run ${secretCmd("tailscaleOauthClientSecret")}`);
    } else if (!clientIdGiven && oauthSecret !== undefined) {
        p.add(child(path, "oauthClientId"), `missing; tailscaleOauthClientSecret is set, so set the OAuth client's id with ${setCmd("tailnet.oauthClientId", "<client-id>")}`);
    } else if (clientId && oauthSecret !== undefined) {
        auth = { kind: "oauth", clientId, clientSecret: pulumi.secret(oauthSecret) };
    } else if (apiKey !== undefined) {
        auth = { kind: "apiKey", apiKey: pulumi.secret(apiKey) };
    } else if (!clientIdGiven) {
        const providerKeys = ["tailscale:apiKey", "tailscale:oauthClientId", "tailscale:oauthClientSecret"].filter((k) => k in values);
        const note = providerKeys.length > 0 ? ` (${providerKeys.join(", ")} ${providerKeys.length === 1 ? "is" : "are"} provider config this stack does not read)` : "";
        p.add(
            path,
            `no Tailscale API credentials; set tailnet.oauthClientId and run ${secretCmd("tailscaleOauthClientSecret")} (preferred), or run ${secretCmd("tailscaleApiKey")}${note}`,
        );
    }
    if (!tailnet || !cloudTags || !edgeTags || keyExpirySeconds === undefined || !auth) {
        return undefined;
    }
    return { tailnet, auth, cloudTags, edgeTags, keyExpirySeconds };
}

/**
 * `bootService.keyBackend`. With Headscale as the overlay's server (`headscale` set) edge keys
 * come from that server, so the backend defaults to it and nothing else is accepted; without,
 * Headscale for the edge alone is refused: edge and cloud would sit on two overlays.
 */
export function parseKeyBackend(p: Problems, raw: unknown, path: string, auth: TailscaleAuth | undefined, secrets: Secrets, headscale?: HeadscaleConfig | null): KeyBackendConfig | undefined {
    const hasOauth = auth?.kind === "oauth";
    const hsKey = key("headscaleApiKey");
    const hsSection = key("headscale");
    if (headscale !== undefined) {
        return headscaleKeyBackend(p, raw, path, headscale);
    }
    if (raw === undefined) {
        if (secrets.headscaleApiKey !== undefined) {
            p.add(hsKey, `(value hidden) is set but there is no ${hsSection} section; name the server with ${setCmd("headscale.url", "https://headscale.lab.internal")} or remove the key with \`pulumi config rm headscaleApiKey\``);
        }
        return hasOauth || auth === undefined ? { kind: "tailscale" } : { kind: "static" };
    }
    const o = asObject(p, path, raw, 'write it as {kind: "tailscale" | "headscale" | "static", url?, user?}');
    if (!o) {
        return undefined;
    }
    checkKeys(p, path, o, ["kind", "url", "user"]);
    const kind = str(p, o, path, "kind", {
        required: 'set kind: "tailscale", "headscale" or "static"',
        check: oneOf(["tailscale", "headscale", "static"] as const),
    });
    if (kind === undefined) {
        return undefined;
    }
    if (kind !== "headscale") {
        for (const name of ["url", "user"]) {
            if (o[name] !== undefined) {
                p.invalid(child(path, name), o[name], `only applies to kind "headscale"; remove it`);
            }
        }
        if (secrets.headscaleApiKey !== undefined) {
            p.add(hsKey, `(value hidden) is set but ${path}.kind is "${kind}"; remove it with \`pulumi config rm headscaleApiKey\``);
        }
    }
    if (kind === "tailscale") {
        if (!hasOauth && auth !== undefined) {
            p.invalid(
                child(path, "kind"),
                kind,
                `needs a Tailscale OAuth client (an API key cannot reliably mint tagged keys on behalf of the tailnet); set tailnet.oauthClientId and run ${secretCmd("tailscaleOauthClientSecret")}, or choose "static"`,
            );
            return undefined;
        }
        return { kind };
    }
    if (kind === "static") {
        return { kind };
    }
    p.invalid(
        child(path, "kind"),
        kind,
        `would mint edge keys from Headscale while the cloud nodes join Tailscale: two overlays, and the edge could not reach the control plane; name the server for the whole overlay in ${hsSection} (${setCmd("headscale.url", "<url>")}, optional headscale.user) and remove ${path}`,
    );
    return undefined;
}

/** The key backend when Headscale is the overlay's server: absent or kind "headscale", nothing else. */
function headscaleKeyBackend(p: Problems, raw: unknown, path: string, headscale: HeadscaleConfig | null): KeyBackendConfig | undefined {
    const hsSection = key("headscale");
    if (raw !== undefined) {
        const o = asObject(p, path, raw, 'remove it (edge keys come from the Headscale server) or write {kind: "headscale"}');
        if (!o) {
            return undefined;
        }
        checkKeys(p, path, o, ["kind"], {
            url: `remove it: the server is ${hsSection}.url`,
            user: `remove it: the key owner is ${hsSection}.user`,
        });
        if (o.kind !== "headscale") {
            p.invalid(child(path, "kind"), o.kind, `conflicts with ${hsSection}: edge machines must join the same Headscale server as the cloud nodes; remove ${path}`);
            return undefined;
        }
        if (Object.keys(o).length > 1) {
            return undefined;
        }
    }
    if (!headscale) {
        return undefined;
    }
    const backend: Extract<KeyBackendConfig, { kind: "headscale" }> = { kind: "headscale", url: headscale.url, apiKey: headscale.apiKey };
    if (headscale.user !== undefined) {
        backend.user = headscale.user;
    }
    return backend;
}
