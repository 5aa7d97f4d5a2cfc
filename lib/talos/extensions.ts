/**
 * Checks the system extensions a schematic asks for against the official extensions Image
 * Factory offers for a Talos version. A schematic naming one that is not on the list gets an
 * ID, but Image Factory then refuses every asset of it for that version (installer, kernel,
 * initramfs, disk image): a bad name must stop at preview, not at boot.
 *
 * The list is passed in: tests load the vendored copy (`loadOfficialExtensionList`), the
 * program can fetch the factory's (`fetchOfficialExtensions`, `GET <factory>/version/<v>/extensions/official`).
 */
import * as fs from "node:fs";
import { editDistance } from "../../model/problems";

/** One requested extension that Image Factory does not offer. */
export interface ExtensionProblem {
    /** The config key and list position, e.g. `images.cloudExtensions[1]`. */
    path: string;
    /** The requested name, e.g. `siderolabs/gcp-guest-agent`. */
    extension: string;
    /** What is wrong and the fix. */
    message: string;
}

/** `siderolabs/<name>`-style names: what schematics accept as official extensions. */
const EXTENSION_NAME = /^[a-z0-9-]+\/[a-z0-9._-]+$/;

/** The closest official name when it is plausibly what was meant (missing prefix, small typo). */
function suggestion(requested: string, official: readonly string[]): string | undefined {
    const base = requested.includes("/") ? requested.slice(requested.indexOf("/") + 1) : requested;
    const sameBase = official.find((o) => o.slice(o.indexOf("/") + 1) === base);
    if (sameBase !== undefined) return sameBase;
    // Stricter than the config readers' `closest`: extension names share long prefixes.
    let best: { name: string; d: number } | undefined;
    for (const o of official) {
        const d = editDistance(requested, o);
        if (d <= 2 && (best === undefined || d < best.d)) best = { name: o, d };
    }
    return best?.name;
}

/**
 * Problems of the extensions requested under `key` (e.g. `images.cloudExtensions`) given the
 * official list for `talosVersion`; [] when Image Factory offers every one of them.
 * `factoryUrl` only goes into the fix text (where to look the names up).
 */
export function officialExtensionProblems(
    key: string,
    requested: readonly string[],
    official: readonly string[],
    talosVersion: string,
    factoryUrl = "https://factory.talos.dev",
): ExtensionProblem[] {
    const offered = new Set(official);
    const problems: ExtensionProblem[] = [];
    requested.forEach((extension, i) => {
        if (offered.has(extension)) return;
        const path = `${key}[${i}]`;
        const shown = JSON.stringify(extension);
        if (!EXTENSION_NAME.test(extension)) {
            const hint = suggestion(extension, official);
            problems.push({ path, extension, message: `${shown} is not an extension name like "siderolabs/tailscale"${hint ? `; did you mean "${hint}"?` : ""}` });
            return;
        }
        const hint = suggestion(extension, official);
        problems.push({
            path,
            extension,
            message:
                `${shown} is not an official extension Image Factory offers for Talos ${talosVersion}; it would refuse every asset of this schematic. ` +
                (hint ? `Did you mean "${hint}"? ` : "") +
                `Remove it or pick one from ${factoryUrl.replace(/\/+$/, "")}/version/${talosVersion}/extensions/official`,
        });
    });
    return problems;
}

/** Parses an official-extension list: one `owner/name` per line; blank lines and `#` comments ignored. */
export function parseOfficialExtensionList(text: string, source = "extension list"): string[] {
    const names: string[] = [];
    text.split(/\r?\n/).forEach((raw, i) => {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) return;
        if (!EXTENSION_NAME.test(line)) throw new Error(`${source}: line ${i + 1} is not an extension name like siderolabs/tailscale`);
        names.push(line);
    });
    if (names.length === 0) throw new Error(`${source}: lists no extension`);
    return names;
}

/** Reads an official-extension list file (e.g. the vendored `official-extensions-v1.12.4.txt`). */
export function loadOfficialExtensionList(file: string): string[] {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new Error(`cannot read the official extension list ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    return parseOfficialExtensionList(text, file);
}

export interface FetchOfficialExtensionsOptions {
    /** fetch implementation (tests pass a fake). Default: the global fetch. */
    fetch?: typeof fetch;
    /** Give up after this many milliseconds. Default 15000. */
    timeoutMs?: number;
}

/**
 * The official extension names Image Factory offers for `talosVersion`:
 * `GET <factoryUrl>/version/<talosVersion>/extensions/official`, a JSON array of objects with a
 * `name` (plus ref, digest, author, description, which are not needed here).
 */
export async function fetchOfficialExtensions(factoryUrl: string, talosVersion: string, opts: FetchOfficialExtensionsOptions = {}): Promise<string[]> {
    if (!/^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(talosVersion)) {
        throw new Error(`official extensions: ${JSON.stringify(talosVersion)} is not a Talos version like v1.12.4`);
    }
    let base: URL;
    try {
        base = new URL(factoryUrl);
    } catch {
        throw new Error(`official extensions: ${JSON.stringify(factoryUrl)} is not a URL like https://factory.talos.dev`);
    }
    const url = `${base.origin}${base.pathname.replace(/\/+$/, "")}/version/${talosVersion}/extensions/official`;
    const res = await (opts.fetch ?? fetch)(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000) });
    if (!res.ok) {
        throw new Error(`official extensions: GET ${url}: HTTP ${res.status}${res.status === 404 ? ` (is ${talosVersion} a Talos release Image Factory knows?)` : ""}`);
    }
    let body: unknown;
    try {
        body = await res.json();
    } catch {
        throw new Error(`official extensions: GET ${url} did not return JSON`);
    }
    if (!Array.isArray(body) || body.length === 0 || !body.every((e) => typeof e === "object" && e !== null && typeof (e as { name?: unknown }).name === "string")) {
        throw new Error(`official extensions: GET ${url} did not return a list of {name, ...} objects`);
    }
    return body.map((e) => (e as { name: string }).name);
}
