/**
 * Image Factory schematics, rendered and identified locally.
 *
 * Image Factory names a schematic by the SHA-256 (hex) of its canonical YAML: the document
 * re-marshalled with 4-space indentation, sequences indented under their key, a trailing
 * newline. Rendering exactly that form here means the ID is known without asking the factory,
 * so names derived from it (the GCE image, the staging object) are known at preview, and the
 * factory's answer can be checked against it.
 *
 * Only official system extensions are supported (no kernel arguments, no overlays): nothing
 * secret can end up in a schematic, which the factory serves to anyone who knows its ID.
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
    const names = schematicExtensions(extensions);
    if (names.length === 0) {
        return "customization: {}\n";
    }
    return [
        "customization:",
        "    systemExtensions:",
        "        officialExtensions:",
        ...names.map((name) => `            - ${name}`),
        "",
    ].join("\n");
}

/** The schematic ID Image Factory assigns to `schematicYaml(extensions)`: 64 hex characters. */
export function schematicId(extensions: readonly string[]): string {
    return createHash("sha256").update(schematicYaml(extensions)).digest("hex");
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
