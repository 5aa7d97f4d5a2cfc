/**
 * `parseBootSettings`: the `BOOT_SETTINGS` JSON in, `BootSettings` with every default applied
 * out. Inventory machines go through the same parser as the stack config's edge machines
 * (model/edgeMachine.ts), so the stack never deploys an inventory this service refuses.
 * Problems name the field (`BOOT_SETTINGS.sites[0].machines[2].mac: ...`) and the fix; values
 * from BOOT_SETTINGS may be quoted back (they are not secret).
 */
import { TAILNET_VALID_SUBNETS } from "../../../../lib/talos/documents";
import { ARCHITECTURES, parseEdgeMachine, type Architecture, type BootMachine } from "../../../../model/edgeMachine";
import { Problems } from "../../../../model/problems";
import { asObject, checkKeys, Check, child, isObj, item, num, Obj, oneOf, str, strList } from "../../../../model/readers";
import { dnsLabel, tailscaleTag } from "../../../../model/checks";
import { checkHttpUrl, CIDR, IMAGE_REF, KERNEL_ARG } from "../formats";
import { BootSettings, BootSite, DEFAULTS, KeyBackendSettings, LogLevel, MAX_EXTRA_CMDLINE_CHARS, SettingsError } from "./types";

const SETTINGS_KEYS = [
    "publicUrl",
    "trustedProxyHops",
    "ticketTtlSeconds",
    "rateLimitPerMinute",
    "machineTicketIntervalSeconds",
    "unknownMachineRetrySeconds",
    "chainAttempts",
    "chainRetryDelaySeconds",
    "maxPendingPerSite",
    "assets",
    "consoleArgs",
    "kernelArgs",
    "installerImage",
    "validSubnets",
    "keyBackend",
    "logLevel",
    "sites",
] as const;

const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

const kernelArg: Check = (s) => (KERNEL_ARG.test(s) ? undefined : "is not a kernel argument; use key or key=value without spaces, $, |, & or #");
const cidr: Check = (s) => (CIDR.test(s) ? undefined : 'is not a CIDR; use e.g. "100.64.0.0/10"');
const imageRef: Check = (s) => (IMAGE_REF.test(s) ? undefined : 'is not an image reference; use e.g. "factory.talos.dev/metal-installer/<schematic>:v1.12.4"');

/** An http(s) URL read through `checkHttpUrl`; returns its canonical form. */
function url(p: Problems, o: Obj, path: string, name: string, opts: { allowPath: boolean; allowQuery: boolean; maxLength?: number; required?: string; trimSlash?: boolean }): string | undefined {
    const at = child(path, name);
    const raw = o[name];
    if (raw === undefined) {
        if (opts.required) p.add(at, `missing; ${opts.required}`);
        return undefined;
    }
    if (typeof raw !== "string") {
        p.invalid(at, raw, "is not a string; write the URL as a string");
        return undefined;
    }
    const checked = checkHttpUrl(opts.trimSlash ? raw.replace(/\/+$/, "") : raw, opts);
    if ("error" in checked) {
        p.invalid(at, raw, checked.error);
        return undefined;
    }
    return checked.url;
}

/** Validates parsed BOOT_SETTINGS JSON. Throws SettingsError listing every problem. */
export function parseBootSettings(raw: unknown, variable = "BOOT_SETTINGS"): BootSettings {
    const p = new Problems();
    const root = variable;
    const o = asObject(p, root, raw, "write BOOT_SETTINGS as a JSON object (see BootSettingsInput in model/bootContract.ts)");
    if (!o) {
        throw new SettingsError(p.list);
    }
    checkKeys(p, root, o, SETTINGS_KEYS);

    const publicUrl = url(p, o, root, "publicUrl", { allowPath: false, allowQuery: false, maxLength: 256, trimSlash: true });
    const consoleArgs = strList(p, o, root, "consoleArgs", { check: kernelArg }) ?? [...DEFAULTS.consoleArgs];
    const kernelArgs = strList(p, o, root, "kernelArgs", { check: kernelArg }) ?? [];
    kernelArgs.forEach((arg, i) => {
        if (/^talos\.(config|platform)(=|$)/.test(arg)) {
            p.invalid(item(child(root, "kernelArgs"), i), arg, `must not set ${arg.split("=")[0]}: the service sets it per boot; remove it`);
        }
    });

    const assets = parseAssets(p, o, root, consoleArgs);
    for (const a of Object.values(assets)) {
        const extra = [...a.consoleArgs, ...kernelArgs].join(" ");
        if (extra.length > MAX_EXTRA_CMDLINE_CHARS) {
            p.add(child(root, "kernelArgs"), `console and kernel arguments together exceed ${MAX_EXTRA_CMDLINE_CHARS} characters (kernel cmdline limit 4096); shorten them`);
        }
    }

    const installerImage = str(p, o, root, "installerImage", { required: 'set the installer image, e.g. "factory.talos.dev/metal-installer/<schematic>:v1.12.4"', check: imageRef }) ?? "";
    const validSubnets = strList(p, o, root, "validSubnets", { check: cidr, nonEmpty: "give at least one CIDR (kubelet would pick any address)" }) ?? [...TAILNET_VALID_SUBNETS];
    const logLevel = o.logLevel === undefined ? DEFAULTS.logLevel : ((str(p, o, root, "logLevel", { check: oneOf(LOG_LEVELS) }) as LogLevel | undefined) ?? DEFAULTS.logLevel);
    const keyBackend = parseKeyBackend(p, o.keyBackend, child(root, "keyBackend"));
    const sites = parseSites(p, o, root, assets);
    const int = (name: string, min: number, max: number, fallback: number): number => num(p, o, root, name, fallback, { min, max }) ?? fallback;

    const settings: BootSettings = {
        publicUrl,
        trustedProxyHops: int("trustedProxyHops", 0, 10, DEFAULTS.trustedProxyHops),
        ticketTtlSeconds: int("ticketTtlSeconds", 60, 3600, DEFAULTS.ticketTtlSeconds),
        rateLimitPerMinute: int("rateLimitPerMinute", 1, 100_000, DEFAULTS.rateLimitPerMinute),
        machineTicketIntervalSeconds: int("machineTicketIntervalSeconds", 1, 3600, DEFAULTS.machineTicketIntervalSeconds),
        unknownMachineRetrySeconds: int("unknownMachineRetrySeconds", 5, 3600, DEFAULTS.unknownMachineRetrySeconds),
        chainAttempts: int("chainAttempts", 1, 100, DEFAULTS.chainAttempts),
        chainRetryDelaySeconds: int("chainRetryDelaySeconds", 1, 300, DEFAULTS.chainRetryDelaySeconds),
        maxPendingPerSite: int("maxPendingPerSite", 1, 1_000_000, DEFAULTS.maxPendingPerSite),
        assets,
        kernelArgs,
        installerImage,
        validSubnets,
        keyBackend: keyBackend as KeyBackendSettings,
        logLevel,
        sites,
    };
    if (p.count > 0) throw new SettingsError(p.list);
    return settings;
}

function parseAssets(p: Problems, o: Obj, root: string, consoleArgs: string[]): BootSettings["assets"] {
    const path = child(root, "assets");
    const assets: BootSettings["assets"] = {};
    if (o.assets === undefined) {
        p.add(path, 'missing; give the boot assets per architecture: {"amd64": {"kernelUrl": ..., "initramfsUrl": ...}}');
        return assets;
    }
    const byArch = asObject(p, path, o.assets, 'write it as {"amd64": {"kernelUrl": ..., "initramfsUrl": ...}}');
    if (!byArch) return assets;
    if (Object.keys(byArch).length === 0) p.add(path, "is empty; give at least one architecture");
    for (const [arch, value] of Object.entries(byArch)) {
        const at = child(path, arch);
        if (!(ARCHITECTURES as readonly string[]).includes(arch)) {
            p.add(at, `unknown architecture; use ${ARCHITECTURES.join(" or ")}`);
            continue;
        }
        const a = asObject(p, at, value, "write it as {kernelUrl, initramfsUrl, consoleArgs?}");
        if (!a) continue;
        checkKeys(p, at, a, ["kernelUrl", "initramfsUrl", "consoleArgs"]);
        const kernelUrl = url(p, a, at, "kernelUrl", { allowPath: true, allowQuery: true, required: "set the kernel's http(s) URL" });
        const initramfsUrl = url(p, a, at, "initramfsUrl", { allowPath: true, allowQuery: true, required: "set the initramfs's http(s) URL" });
        const archConsole = strList(p, a, at, "consoleArgs", { check: kernelArg }) ?? consoleArgs;
        if (kernelUrl && initramfsUrl) {
            assets[arch as Architecture] = { kernelUrl, initramfsUrl, consoleArgs: archConsole };
        }
    }
    return assets;
}

function parseKeyBackend(p: Problems, raw: unknown, path: string): KeyBackendSettings | undefined {
    if (raw === undefined) {
        p.add(path, 'missing; set {"kind": "tailscale" | "headscale" | "static", ...}');
        return undefined;
    }
    const o = asObject(p, path, raw, 'write it as {"kind": "tailscale" | "headscale" | "static", ...}');
    if (!o) return undefined;
    const tags = (): string[] => strList(p, o, path, "tags", { check: tailscaleTag, required: 'list the ACL tags for minted keys, e.g. ["tag:edge"] (keys must be tagged)', nonEmpty: 'list at least one ACL tag, e.g. ["tag:edge"] (keys must be tagged)' }) ?? [];
    const expiry = (): number => num(p, o, path, "expirySeconds", undefined, { min: 60, max: 3600, unit: "seconds", required: "set the key lifetime in seconds, 60..3600" }) ?? 3600;
    const kind = str(p, o, path, "kind", { required: 'set "tailscale", "headscale" or "static"', check: oneOf(["tailscale", "headscale", "static"] as const) });
    switch (kind) {
        case "tailscale": {
            checkKeys(p, path, o, ["kind", "apiBaseUrl", "tailnet", "tags", "expirySeconds"]);
            const apiBaseUrl = url(p, o, path, "apiBaseUrl", { allowPath: false, allowQuery: false });
            const tailnet = str(p, o, path, "tailnet", { check: (s) => (/^(?:-|[A-Za-z0-9][A-Za-z0-9._@-]{0,127})$/.test(s) ? undefined : 'is not a tailnet name; use the tailnet\'s name or "-"') });
            return { kind, apiBaseUrl, tailnet, tags: tags(), expirySeconds: expiry() };
        }
        case "headscale": {
            checkKeys(p, path, o, ["kind", "url", "user", "tags", "expirySeconds"]);
            const serverUrl = url(p, o, path, "url", { allowPath: true, allowQuery: false, trimSlash: true, required: "set the Headscale server URL, e.g. https://hs.example.com" });
            const user = str(p, o, path, "user", { check: (s) => (/^[0-9]{1,20}$/.test(s) ? undefined : "is not a Headscale user id; use its decimal id") });
            return { kind, url: (serverUrl ?? "").replace(/\/+$/, ""), user, tags: tags(), expirySeconds: expiry() };
        }
        case "static": {
            checkKeys(p, path, o, ["kind", "expirySeconds"]);
            const expirySeconds = num(p, o, path, "expirySeconds", undefined, { min: 60, max: 90 * 86400, unit: "seconds" });
            return { kind, expirySeconds };
        }
        default:
            return undefined;
    }
}

function parseSites(p: Problems, o: Obj, root: string, assets: BootSettings["assets"]): BootSite[] {
    const path = child(root, "sites");
    if (!Array.isArray(o.sites) || o.sites.length === 0) {
        p.invalid(path, o.sites, 'is not a non-empty list; write it as [{"name": ..., "machines": [...]}]');
        return [];
    }
    const sites: BootSite[] = [];
    const siteNames = new Set<string>();
    const machineNames = new Map<string, string>();
    // Identifiers are unique across sites, as the stack config requires: a machine is in one place.
    const seen = { mac: new Map<string, string>(), uuid: new Map<string, string>(), serial: new Map<string, string>() };
    o.sites.forEach((rawSite, si) => {
        const at = item(path, si);
        const site = asObject(p, at, rawSite, 'write each site as {"name": ..., "machines": [...]}');
        if (!site) return;
        checkKeys(p, at, site, ["name", "machines"]);
        const name = str(p, site, at, "name", { required: "name the site (a DNS label)", check: dnsLabel() });
        if (name !== undefined) {
            if (siteNames.has(name)) p.invalid(child(at, "name"), name, "is a duplicate site; give every site its own name");
            siteNames.add(name);
        }
        const machinesPath = child(at, "machines");
        if (!Array.isArray(site.machines)) {
            p.invalid(machinesPath, site.machines, "is not a list; write the site's machines as a list (it may be empty)");
            return;
        }
        const machines: BootMachine[] = [];
        site.machines.forEach((m, mi) => {
            const mp = item(machinesPath, mi);
            const machine = parseEdgeMachine(p, m, mp, "service", name);
            if (!machine) return;
            // An arch whose assets entry is written but invalid is reported there, once.
            if (!(machine.arch in assets) && !(isObj(o.assets) && machine.arch in o.assets)) {
                p.invalid(child(mp, "arch"), machine.arch, `has no boot assets; add ${root}.assets.${machine.arch}`);
            }
            const other = machineNames.get(machine.name);
            if (other !== undefined) {
                p.invalid(child(mp, "name"), machine.name, `is a duplicate machine name (also ${other}); node names are cluster-wide, rename one`);
            }
            machineNames.set(machine.name, mp);
            for (const field of ["mac", "uuid", "serial"] as const) {
                const value = machine[field];
                if (value === undefined) continue;
                const prev = seen[field].get(value);
                if (prev !== undefined) p.invalid(child(mp, field), value, `is also ${prev}'s ${field}; every machine needs its own`);
                seen[field].set(value, machine.name);
            }
            machines.push(machine);
        });
        if (name !== undefined) sites.push({ name, machines });
    });
    return sites;
}
