/**
 * Dynamic resources without Pulumi's closure serializer: a dynamic resource keeps its provider
 * as CommonJS module text in the `__provider` input, which the Node.js dynamic provider host
 * `require`s and calls `.handler()` on. Building that text from the source of self-contained
 * functions costs nothing at program start, where the serializer costs about half a second of
 * CPU (docs/decisions/0003-gcp-image-import.md, "How the provider code is stored";
 * components/gcsObjectFromUrlProvider.ts does the same for GcsObjectFromUrl).
 *
 * Rules for the functions: declared with `function` (so calls between them are plain names),
 * Node globals only, built-in modules required inside the function, constants passed in
 * `constants` (module-level exported constants compile to `exports.X`, which the text lacks).
 */
import * as pulumi from "@pulumi/pulumi";

/** The parts of one provider module. */
export interface DynamicProviderParts {
    /** Resource type name, for the module's header line. */
    type: string;
    /** Non-exported constants the functions use, by name. */
    constants: Record<string, unknown>;
    /** Every function the provider runs, callees included. */
    functions: ((...args: never[]) => unknown)[];
    /** Provider method → one of `functions` (check, diff, create, update, delete, read). */
    handler: Record<string, (...args: never[]) => unknown>;
}

/** The module text the dynamic provider host loads. */
export function dynamicProviderModule(parts: DynamicProviderParts): string {
    for (const fn of Object.values(parts.handler)) {
        if (!parts.functions.includes(fn)) {
            throw new Error(`${parts.type}: provider method ${fn.name} is not among the module's functions`);
        }
    }
    return [
        `// ${parts.type} provider (talos-cloud-edge): self-contained.`,
        '"use strict";',
        ...Object.entries(parts.constants).map(([name, value]) => `const ${name} = ${JSON.stringify(value)};`),
        ...parts.functions.map((fn) => fn.toString()),
        `exports.handler = () => ({ ${Object.entries(parts.handler).map(([method, fn]) => `${method}: ${fn.name}`).join(", ")} });`,
        "",
    ].join("\n");
}

/** Registers a dynamic resource of type `pulumi-nodejs:dynamic/talos-cloud-edge:<type>` run by `moduleText`. */
export class ModuleDynamicResource extends pulumi.CustomResource {
    constructor(type: string, moduleText: string, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
        super(`pulumi-nodejs:dynamic/talos-cloud-edge:${type}`, name, { __provider: moduleText, ...props }, opts);
    }
}
