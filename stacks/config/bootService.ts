/**
 * `talos-cloud-edge:bootService`: the Cloud Run boot service.
 */
import { Problems } from "../../model/problems";
import { asObject, checkKeys, child, num, str, strList } from "../../model/readers";
import { noWhitespace, region } from "../../model/checks";
import { type BootServiceConfig, type HeadscaleConfig, type TailscaleAuth } from "../../components/model";
import { Secrets, key } from "./common";
import { DEFAULTS } from "./defaults";
import { parseKeyBackend } from "./tailnet";

/** `headscale`: the parsed Headscale section (undefined = none, null = invalid); see parseKeyBackend. */
export function parseBootService(p: Problems, raw: unknown, gcpRegion: string | undefined, auth: TailscaleAuth | undefined, secrets: Secrets, headscale?: HeadscaleConfig | null): BootServiceConfig | undefined {
    const path = key("bootService");
    const o = raw === undefined ? {} : asObject(p, path, raw, "write it as a YAML mapping (region, minInstances, maxInstances, ...)");
    if (!o) {
        return undefined;
    }
    checkKeys(p, path, o, ["region", "minInstances", "maxInstances", "ticketTtlSeconds", "edgeKeyExpirySeconds", "keyBackend", "rateLimitPerMinute", "consoleArgs"]);
    const reg = o.region === undefined ? gcpRegion : str(p, o, path, "region", { check: region });
    const minInstances = num(p, o, path, "minInstances", DEFAULTS.minInstances, { min: 0, max: 100 });
    const maxInstances = num(p, o, path, "maxInstances", DEFAULTS.maxInstances, { min: 1, max: 100 });
    if (minInstances !== undefined && maxInstances !== undefined && maxInstances < minInstances) {
        p.invalid(child(path, "maxInstances"), maxInstances, `is less than minInstances (${minInstances}); raise maxInstances or lower minInstances`);
    }
    const ticketTtlSeconds = num(p, o, path, "ticketTtlSeconds", DEFAULTS.ticketTtlSeconds, { min: 60, max: 3600, unit: "seconds" });
    const edgeKeyExpirySeconds = num(p, o, path, "edgeKeyExpirySeconds", DEFAULTS.edgeKeyExpirySeconds, {
        min: 60,
        max: 3600,
        unit: "seconds",
        why: "per-boot edge keys are short-lived so a leaked boot config stops working within the hour",
    });
    const keyBackend = parseKeyBackend(p, o.keyBackend, child(path, "keyBackend"), auth, secrets, headscale);
    const rateLimitPerMinute = num(p, o, path, "rateLimitPerMinute", DEFAULTS.rateLimitPerMinute, { min: 1, max: 100000, unit: "requests per minute" });
    const consoleArgs = o.consoleArgs === undefined ? [...DEFAULTS.consoleArgs] : strList(p, o, path, "consoleArgs", { check: noWhitespace("kernel argument") });
    if (
        !reg ||
        minInstances === undefined ||
        maxInstances === undefined ||
        maxInstances < minInstances ||
        ticketTtlSeconds === undefined ||
        edgeKeyExpirySeconds === undefined ||
        !keyBackend ||
        rateLimitPerMinute === undefined ||
        !consoleArgs
    ) {
        return undefined;
    }
    return { region: reg, minInstances, maxInstances, ticketTtlSeconds, edgeKeyExpirySeconds, keyBackend, rateLimitPerMinute, consoleArgs };
}
