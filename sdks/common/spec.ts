/**
 * Shape of the machine-readable manifest (`<package>/manifest.ts`) both bindings are built from.
 *
 * A package's manifest is the single source for every token, property name, required set and
 * secret list: the resource constructors and invokes read it at run time (runtime.ts, bound
 * to the package by its utilities.ts), its `checks.ts` proves at compile time that the
 * hand-written TypeScript interfaces and class properties have exactly the manifest's names,
 * optionality and types, and `test/sdks.test.ts` compares the manifest with the provider's
 * published schema.
 */
import * as pulumi from "@pulumi/pulumi";

/** A property type, spelled the way the Pulumi package schema spells it. */
export type TypeDesc =
    | "string"
    | "integer"
    | "number"
    | "boolean"
    | { readonly array: TypeDesc }
    | { readonly map: TypeDesc }
    /** A named object type: the full schema token, e.g. `talos:machine/generated:Key` or `libvirt:index/DomainDisk:DomainDisk`. */
    | { readonly ref: string };

export interface PropertyTable {
    readonly [name: string]: TypeDesc;
}

/** A schema object type (`types` section). */
export interface ObjectTypeSpec {
    readonly properties: PropertyTable;
    /** Schema `required`: present in inputs and outputs. */
    readonly required: readonly string[];
    /** Schema `language.nodejs.requiredOutputs`: always present when read back as an output. */
    readonly requiredOutputs?: readonly string[];
}

/** A custom resource (`resources` section). */
export interface ResourceSpec {
    /** Properties the binding's Args accept (subset of schema `inputProperties`). */
    readonly inputs: PropertyTable;
    /** Properties the class exposes as Outputs, also its State (subset of schema `properties`). */
    readonly outputs: PropertyTable;
    /** Inputs the constructor insists on (`Missing required property '<p>'`); a superset of schema `requiredInputs`. */
    readonly requiredInputs: readonly string[];
    /** Outputs always present (schema `required`); the rest are typed `T | undefined`. */
    readonly requiredOutputs: readonly string[];
    /** Inputs wrapped in `pulumi.secret` before registration. */
    readonly secretInputs: readonly string[];
    /** Passed as the `additionalSecretOutputs` resource option. */
    readonly additionalSecretOutputs: readonly string[];
    /** Schema properties deliberately not bound, with the reason. */
    readonly omitted?: { readonly [name: string]: string };
}

/** An invoke (`functions` section). */
export interface FunctionSpec {
    /** Arguments the binding accepts (subset of schema `inputs.properties`). */
    readonly inputs: PropertyTable;
    /** Result properties (subset of schema `outputs.properties`). */
    readonly outputs: PropertyTable;
    /** Schema `inputs.required` (enforced by the TypeScript types, as in the generated SDK). */
    readonly requiredInputs: readonly string[];
    /** Schema `outputs.required`. */
    readonly requiredOutputs: readonly string[];
    /** The Output form marks the whole result secret (some result field is secret in the schema). */
    readonly secretResult: boolean;
    readonly omitted?: { readonly [name: string]: string };
}

/** The explicit provider resource (`provider` section). */
export interface ProviderSpec {
    readonly inputs: PropertyTable;
    readonly secretInputs: readonly string[];
    /** Inputs that fall back to environment variables (schema `defaultInfo.environment`). */
    readonly environmentDefaults: { readonly [name: string]: readonly string[] };
}

// ---------------------------------------------------------------------------------------
// Type-level mirror of the manifest, used by each package's checks.ts.

type Lookup<Table, Token> = Token extends keyof Table ? Table[Token] : never;

/** The plain TypeScript type a schema type describes (no Input/Output wrappers). */
export type PlainOf<D, Table, Mode extends "input" | "output"> = D extends "string"
    ? string
    : D extends "integer" | "number"
      ? number
      : D extends "boolean"
        ? boolean
        : D extends { readonly array: infer I }
          ? PlainOf<I, Table, Mode>[]
          : D extends { readonly map: infer I }
            ? { [key: string]: PlainOf<I, Table, Mode> }
            : D extends { readonly ref: infer R }
              ? ObjectOf<Lookup<Table, R>, Table, Mode>
              : never;

type RequiredNames<S, Mode> = S extends { readonly required: readonly (infer R)[] }
    ? R | (Mode extends "output" ? (S extends { readonly requiredOutputs: readonly (infer O)[] } ? O : never) : never)
    : never;

type Props<S> = S extends { readonly properties: infer P } ? P : never;

/** The object a property table describes, optional exactly where the spec says so. */
export type ObjectOf<S, Table, Mode extends "input" | "output"> = {
    [K in keyof Props<S> & RequiredNames<S, Mode>]: PlainOf<Props<S>[K], Table, Mode>;
} & {
    [K in Exclude<keyof Props<S>, RequiredNames<S, Mode>>]?: PlainOf<Props<S>[K], Table, Mode>;
};

/** What a resource's Args must unwrap to. */
export type ArgsShape<R extends ResourceSpec | FunctionSpec, Table> = ObjectOf<
    { properties: R["inputs"]; required: R["requiredInputs"] },
    Table,
    "input"
>;

/** What a resource's State must unwrap to (every property optional). */
export type StateShape<R extends ResourceSpec, Table> = ObjectOf<{ properties: R["outputs"]; required: [] }, Table, "input">;

/** What a function's Result must be. */
export type ResultShape<F extends FunctionSpec, Table> = ObjectOf<
    { properties: F["outputs"]; required: F["requiredOutputs"] },
    Table,
    "output"
>;

/** The value type of every Output property a resource class must declare. */
export type ClassOutputShape<R extends ResourceSpec, Table> = {
    [K in keyof R["outputs"]]:
        | PlainOf<R["outputs"][K], Table, "output">
        | (K extends R["requiredOutputs"][number] ? never : undefined);
};

/** The value types of the Output properties a class declares (besides `urn` and `id`). */
export type DeclaredOutputs<C> = {
    [K in keyof C as K extends "urn" | "id" ? never : C[K] extends pulumi.OutputInstance<any> ? K : never]: C[K] extends pulumi.OutputInstance<
        infer T
    >
        ? T
        : never;
};

/** A nested object type as the input or output interface for it must look. */
export type TypeShape<Token extends keyof Table, Table, Mode extends "input" | "output"> = ObjectOf<Table[Token], Table, Mode>;

/** `true` when A and B are assignable both ways and have the same keys. */
export type Same<A, B> = [A] extends [B]
    ? [B] extends [A]
        ? [keyof A] extends [keyof B]
            ? [keyof B] extends [keyof A]
                ? true
                : false
            : false
        : false
    : false;

/** Fails to compile unless T is `true`. */
export type Assert<T extends true> = T;

/** `true` when every check in the list is. */
export type AllTrue<T extends boolean[]> = T[number] extends true ? true : false;

/** `true` when a resource class, its Args and its State say exactly what its manifest entry says. */
export type ResourceChecks<Spec extends ResourceSpec, Table, Class, Args, State> = AllTrue<
    [
        Same<pulumi.Unwrap<Args>, ArgsShape<Spec, Table>>,
        Same<pulumi.Unwrap<State>, StateShape<Spec, Table>>,
        Same<DeclaredOutputs<Class>, ClassOutputShape<Spec, Table>>,
    ]
>;

/** `true` when an invoke's Args, OutputArgs and Result say exactly what its manifest entry says. */
export type FunctionChecks<Spec extends FunctionSpec, Table, Args, OutputArgs, Result> = AllTrue<
    [Same<Args, ArgsShape<Spec, Table>>, Same<pulumi.Unwrap<OutputArgs>, ArgsShape<Spec, Table>>, Same<Result, ResultShape<Spec, Table>>]
>;

/** `true` when the explicit provider's Args say exactly what the manifest's `provider` entry says. */
export type ProviderChecks<Spec extends ProviderSpec, Table, Args> = Same<
    pulumi.Unwrap<Args>,
    ObjectOf<{ properties: Spec["inputs"]; required: [] }, Table, "input">
>;
