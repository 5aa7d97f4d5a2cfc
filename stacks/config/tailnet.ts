/**
 * `talos-cloud-edge:tailnet`: Tailscale credentials, tags, key expiry, and the boot service key backend.
 */
import * as pulumi from "@pulumi/pulumi";
import { Problems } from "../../model/problems";
import { asObject, checkKeys, child, num, oneOf, str, strList } from "../../model/readers";
import { httpUrl, tailscaleTag } from "../../model/checks";
import { type KeyBackendConfig, type TailnetConfig, type TailscaleAuth } from "../../components/model";
import { Secrets, key, secretCmd, setCmd } from "./common";
import { DEFAULTS } from "./defaults";

export function parseTailnet(p: Problems, raw: unknown, secrets: Secrets, values: Record<string, string>): TailnetConfig | undefined {
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

export function parseKeyBackend(p: Problems, raw: unknown, path: string, auth: TailscaleAuth | undefined, secrets: Secrets): KeyBackendConfig | undefined {
    const hasOauth = auth?.kind === "oauth";
    const hsKey = key("headscaleApiKey");
    if (raw === undefined) {
        if (secrets.headscaleApiKey !== undefined) {
            p.add(hsKey, `(value hidden) is set but ${path}.kind is not "headscale"; set ${setCmd("bootService.keyBackend.kind", "headscale")} or remove it with \`pulumi config rm headscaleApiKey\``);
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
    const url = str(p, o, path, "url", { required: `set the Headscale server URL with ${setCmd("bootService.keyBackend.url", "https://headscale.example.com")}`, check: httpUrl(true) });
    const user = str(p, o, path, "user");
    if (secrets.headscaleApiKey === undefined) {
        p.add(hsKey, `missing; ${path}.kind is "headscale", so run ${secretCmd("headscaleApiKey")} (create one with \`headscale apikeys create\`)`);
        return undefined;
    }
    if (!url) {
        return undefined;
    }
    const backend: Extract<KeyBackendConfig, { kind: "headscale" }> = {
        kind: "headscale",
        url: url.replace(/\/+$/, ""),
        apiKey: pulumi.secret(secrets.headscaleApiKey),
    };
    if (user !== undefined) {
        backend.user = user;
    }
    return backend;
}
