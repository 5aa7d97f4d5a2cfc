/**
 * Image Factory schematics, rendered and identified locally.
 *
 * Image Factory names a schematic by the SHA-256 (hex) of its canonical YAML: the document
 * re-marshalled with 4-space indentation, sequences indented under their key, a trailing
 * newline. Rendering exactly that form here means the ID is known without asking the factory,
 * so names derived from it (the GCE image, the staging object) are known at preview, and the
 * factory's answer can be checked against it.
 *
 * Official system extensions, extra kernel arguments and META values are supported (no
 * overlays). The factory serves a schematic to anyone who knows its ID, so nothing secret may
 * go into one: kernel arguments and META values are checked against a narrow character set, and
 * callers only put public data there (the Proxmox VMs' static network config, `talos.config=metal-iso`).
 */
import { createHash } from "node:crypto";

/** `<vendor>/<name>`, as official extensions are listed, e.g. "siderolabs/tailscale". */
const EXTENSION_NAME = /^[a-z0-9][a-z0-9-]*\/[a-z0-9][a-z0-9._-]*$/;

/**
 * The extensions as the schematic lists them: validated, de-duplicated, sorted (so the order
 * in stack config does not change the ID). Throws naming every bad entry.
 */
export function schematicExtensions(extensions: readonly string[]): string[] {
    const bad = extensions.filter((e) => typeof e !== "string" || !EXTENSION_NAME.test(e));
    if (bad.length > 0) {
        throw new Error(
            `images: ${JSON.stringify(bad)} ${bad.length === 1 ? "is not an official extension name" : "are not official extension names"}; ` +
                'write them as "<vendor>/<name>", e.g. "siderolabs/tailscale"',
        );
    }
    return [...new Set(extensions)].sort();
}

/**
 * The schematic's canonical YAML, byte for byte what Image Factory hashes. Extension names
 * are plain YAML scalars (the name pattern leaves nothing to quote).
 */
export function schematicYaml(extensions: readonly string[]): string {
    return customizedSchematicYaml({ extensions });
}

/** The schematic ID Image Factory assigns to `schematicYaml(extensions)`: 64 hex characters. */
export function schematicId(extensions: readonly string[]): string {
    return createHash("sha256").update(schematicYaml(extensions)).digest("hex");
}

/** One initial META value of a schematic (`customization.meta[]`). */
export interface SchematicMetaValue {
    /** META key, 0..255; 10 (0x0a) is the metal platform's network config. */
    key: number;
    /** The value: printable ASCII without spaces or single quotes (see `customizedSchematicYaml`). */
    value: string;
}

/** A schematic's customization: what the factory bakes into every asset of it. */
export interface SchematicCustomization {
    /** Official extensions ("siderolabs/tailscale"); sorted and de-duplicated in the YAML. */
    extensions: readonly string[];
    /** Extra kernel arguments, in order (e.g. "net.ifnames=0"). Default []. */
    extraKernelArgs?: readonly string[];
    /** Initial META contents, written to the META partition of disk images. Default []. */
    meta?: readonly SchematicMetaValue[];
}

// Plain scalars go-yaml emits unquoted: no indicator first, no ": " or " #", not a number,
// boolean or null. Kernel arguments are limited to that, so their canonical form is themselves.
const KERNEL_ARG = /^[A-Za-z_][A-Za-z0-9_.,/=:+-]*(?<!:)$/;
// Printable ASCII without space and '\'': go-yaml (QuoteLegacy, unlimited width) emits such a
// value as one single-quoted line when it cannot be plain (a JSON object starts with "{").
const META_VALUE = /^[!-&(-~]+$/;

/**
 * Canonical YAML of a customized schematic, as Image Factory re-marshals it (go-yaml,
 * `Marshal`: 4-space indentation, unlimited line width): `customization` fields in the
 * factory's declaration order (extraKernelArgs, meta, systemExtensions). A META value that is
 * not a plain scalar is single-quoted on one line. Throws naming the first value outside the
 * supported forms (those whose canonical form is known without the factory).
 */
export function customizedSchematicYaml(c: SchematicCustomization): string {
    const names = schematicExtensions(c.extensions);
    const args = [...(c.extraKernelArgs ?? [])];
    const meta = [...(c.meta ?? [])];
    for (const arg of args) {
        if (!KERNEL_ARG.test(arg) || /^(true|false|null|y|n|yes|no|on|off)$/i.test(arg)) {
            throw new Error(`images: kernel argument ${JSON.stringify(arg)} is not a plain name[=value] of letters, digits and . , / = : + - _`);
        }
    }
    const seenKeys = new Set<number>();
    for (const m of meta) {
        if (!Number.isInteger(m.key) || m.key < 0 || m.key > 255 || seenKeys.has(m.key)) {
            throw new Error(`images: META key ${JSON.stringify(m.key)} must be a whole number 0..255, given once`);
        }
        seenKeys.add(m.key);
        if (!META_VALUE.test(m.value)) {
            throw new Error(`images: the value of META key ${m.key} must be printable ASCII without spaces or single quotes (render it as compact JSON)`);
        }
    }
    if (names.length === 0 && args.length === 0 && meta.length === 0) {
        return "customization: {}\n";
    }
    const lines = ["customization:"];
    if (args.length > 0) {
        lines.push("    extraKernelArgs:", ...args.map((a) => `        - ${a}`));
    }
    if (meta.length > 0) {
        lines.push("    meta:");
        for (const m of meta) {
            lines.push(`        - key: ${m.key}`, `          value: ${metaScalar(m.value)}`);
        }
    }
    if (names.length > 0) {
        lines.push("    systemExtensions:", "        officialExtensions:", ...names.map((name) => `            - ${name}`));
    }
    return [...lines, ""].join("\n");
}

/** The schematic ID Image Factory assigns to `customizedSchematicYaml(c)`. */
export function customizedSchematicId(c: SchematicCustomization): string {
    return createHash("sha256").update(customizedSchematicYaml(c)).digest("hex");
}

/**
 * A META value as go-yaml writes it: plain for a simple word, single-quoted for a JSON object
 * or list (a flow indicator first rules out plain). Anything between those is refused: its
 * canonical form would need go-yaml's full scalar analysis.
 */
function metaScalar(value: string): string {
    if (/^[A-Za-z_/][A-Za-z0-9_./=+-]*$/.test(value) && !/^(true|false|null|y|n|yes|no|on|off)$/i.test(value)) {
        return value;
    }
    if (/^[[{]/.test(value)) {
        return `'${value}'`;
    }
    throw new Error(`images: META value ${JSON.stringify(value.slice(0, 40))} is neither a simple word nor a JSON object or list`);
}

/**
 * Returns `registered` when it equals the locally computed ID; otherwise throws, because
 * names in the graph (image, staging object) were derived from the local ID and would no
 * longer match what the factory serves.
 */
export function confirmSchematicId(role: string, local: string, registered: string): string {
    if (registered !== local) {
        throw new Error(
            `images: Image Factory registered the ${role} schematic as ${registered}, but its canonical YAML hashes to ${local}; ` +
                "the factory's canonical form has changed: update lib/talos/schematic.ts (schematicYaml) to match it",
        );
    }
    return registered;
}
