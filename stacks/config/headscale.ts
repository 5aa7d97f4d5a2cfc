/**
 * `talos-cloud-edge:headscale` (+ secret `headscaleApiKey`): Headscale as the control server of
 * the whole overlay. Optional; absent = Tailscale's service (docs/decisions/0130-headscale-overlay.md).
 */
import * as pulumi from "@pulumi/pulumi";
import { Problems } from "../../model/problems";
import { asObject, checkKeys, str } from "../../model/readers";
import { httpUrl } from "../../model/checks";
import { type HeadscaleConfig } from "../../components/model";
import { Secrets, key, secretCmd, setCmd } from "./common";

/** The parsed section: undefined when absent, null when invalid (already reported). */
export function parseHeadscale(p: Problems, raw: unknown, secrets: Secrets): HeadscaleConfig | undefined | null {
    const path = key("headscale");
    if (raw === undefined) {
        return undefined;
    }
    const o = asObject(p, path, raw, `write it as a YAML mapping {url, user?}, e.g. ${setCmd("headscale.url", "https://headscale.lab.internal")}`);
    if (!o) {
        return null;
    }
    checkKeys(p, path, o, ["url", "user"]);
    const url = str(p, o, path, "url", {
        required: `set the Headscale server's URL with ${setCmd("headscale.url", "https://headscale.lab.internal")} (every node's --login-server)`,
        check: (s) => {
            // Plain http only on the loopback interface (a local server for tests and the lab).
            const loopback = /^http:\/\/(127\.0\.0\.1|localhost)(:[0-9]+)?\/?$/.test(s);
            const bad = loopback ? undefined : httpUrl(true)(s);
            if (bad) {
                return bad;
            }
            return new URL(s).pathname.replace(/\/+$/, "") !== "" ? `has a path; use the server's base URL (e.g. "${new URL(s).origin}"): nodes append their own paths` : undefined;
        },
    });
    const user = str(p, o, path, "user", {
        check: (s) => (/^[0-9]{1,20}$/.test(s) ? undefined : 'is not a Headscale user id; use the numeric id from `headscale users list` (e.g. "1"), or remove it for tag-only keys'),
    });
    if (secrets.headscaleApiKey === undefined) {
        p.add(key("headscaleApiKey"), `missing; ${path} is set, so run ${secretCmd("headscaleApiKey")} with a key from \`headscale apikeys create\``);
        return null;
    }
    if (!url || (o.user !== undefined && user === undefined)) {
        return null;
    }
    return { url: url.replace(/\/+$/, ""), ...(user !== undefined ? { user } : {}), apiKey: pulumi.secret(secrets.headscaleApiKey) };
}
