/**
 * The hand-written provider bindings (sdks/talos = @pulumiverse/talos, sdks/libvirt =
 * @pulumi/libvirt) against the providers' published schemas, and their behaviour on the wire.
 *
 * 1. Each SDK's manifest (the single source its classes and invokes are built from) is compared
 *    with the schema: tokens, property names, types, required sets, secrets.
 * 2. Each SDK type-checks, which proves its hand-written interfaces and class properties equal
 *    the manifest (sdks/<name>/checks.ts).
 * 3. Every class and invoke is exercised under the mocks with a spy on the mock monitor, which
 *    sees the exact RegisterResource / ReadResource / Invoke requests a real engine would get
 *    (token, version, pluginDownloadURL, additionalSecretOutputs, secret inputs).
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as libvirt from "@pulumi/libvirt";
import * as talos from "@pulumiverse/talos";
import { findResource, inputIsSecret, invokesOf, isSecret, resetRegistrations, settle, valueOf } from "./mocks";

const ROOT = path.resolve(__dirname, "..");

type Json = any;

// ---------------------------------------------------------------------------------------
// Schema comparison (pure; the negative tests below feed it broken manifests).

/** Normalises `#/types/x`, and the `#types/x` spelling talos uses for its generated types. */
function refToken(ref: string): string {
    return ref.replace(/^#\/?types\//, "");
}

/** Why a manifest type descriptor does not describe a schema property, or undefined if it does. */
function typeMismatch(desc: Json, prop: Json): string | undefined {
    const want = descriptorOf(prop);
    return JSON.stringify(desc) === JSON.stringify(want) ? undefined : `declared ${JSON.stringify(desc)}, schema says ${JSON.stringify(want)}`;
}

/** A schema property rewritten in the manifest's descriptor grammar. */
function descriptorOf(prop: Json): Json {
    if (prop.$ref) {
        return { ref: refToken(prop.$ref) };
    }
    if (prop.type === "array") {
        return { array: descriptorOf(prop.items) };
    }
    if (prop.type === "object" && prop.additionalProperties) {
        return { map: descriptorOf(prop.additionalProperties) };
    }
    return prop.type;
}

/** Whether a schema property's value holds a secret anywhere (itself or a nested field). */
function holdsSecret(schema: Json, prop: Json, seen: Set<string> = new Set()): boolean {
    if (prop.secret) {
        return true;
    }
    if (prop.$ref) {
        const token = refToken(prop.$ref);
        if (seen.has(token)) {
            return false;
        }
        seen.add(token);
        const type = schema.types[token];
        return !!type && Object.values(type.properties ?? {}).some((p) => holdsSecret(schema, p, seen));
    }
    if (prop.items) {
        return holdsSecret(schema, prop.items, seen);
    }
    if (prop.additionalProperties) {
        return holdsSecret(schema, prop.additionalProperties, seen);
    }
    return false;
}

const sorted = (xs: Iterable<string>) => [...xs].sort();
const sameSet = (a: Iterable<string>, b: Iterable<string>) => JSON.stringify(sorted(new Set(a))) === JSON.stringify(sorted(new Set(b)));

/**
 * Declared properties vs schema properties: each declared one must exist with the same type;
 * each schema one must be declared or listed in `omitted`.
 */
function compareProperties(where: string, declared: Json, schemaProps: Json, omitted: Json, problems: string[]): void {
    for (const [name, desc] of Object.entries(declared)) {
        if (!(name in schemaProps)) {
            problems.push(`${where}: '${name}' is not in the schema (has: ${Object.keys(schemaProps).join(", ")})`);
            continue;
        }
        const why = typeMismatch(desc, schemaProps[name]);
        if (why) {
            problems.push(`${where}: '${name}' ${why}`);
        }
    }
    for (const name of Object.keys(schemaProps)) {
        if (!(name in declared) && !(name in (omitted ?? {}))) {
            problems.push(`${where}: schema property '${name}' is neither declared nor listed in 'omitted'`);
        }
    }
    for (const name of Object.keys(omitted ?? {})) {
        if (name in declared) {
            problems.push(`${where}: '${name}' is both declared and omitted`);
        }
    }
}

/**
 * Every disagreement between an SDK manifest and a provider schema. `extraRequired` lists
 * inputs the binding requires beyond the schema on purpose (token -> names).
 */
function schemaProblems(schema: Json, m: Json, extraRequired: Record<string, string[]>): string[] {
    const problems: string[] = [];
    if (schema.name !== m.packageName) {
        problems.push(`package name ${m.packageName} != schema ${schema.name}`);
    }
    if (schema.pluginDownloadURL !== m.pluginDownloadURL) {
        problems.push(`pluginDownloadURL ${m.pluginDownloadURL} != schema ${schema.pluginDownloadURL}`);
    }

    // Provider.
    compareProperties("provider inputs", m.provider.inputs, schema.provider.inputProperties ?? {}, {}, problems);
    for (const [name, prop] of Object.entries<Json>(schema.provider.inputProperties ?? {})) {
        const envs = prop.defaultInfo?.environment ?? [];
        if (!sameSet(envs, m.provider.environmentDefaults[name] ?? [])) {
            problems.push(`provider input '${name}': environment defaults ${JSON.stringify(m.provider.environmentDefaults[name])} != schema ${JSON.stringify(envs)}`);
        }
        if (!!prop.secret !== m.provider.secretInputs.includes(name)) {
            problems.push(`provider input '${name}': secret wrapping disagrees with the schema`);
        }
    }

    // Every object type reachable from a declared property, checked once below.
    const referenced = new Set<string>();
    const collectRefs = (desc: Json): void => {
        if (typeof desc !== "object") {
            return;
        }
        if (!desc.ref) {
            collectRefs(desc.array ?? desc.map);
            return;
        }
        if (referenced.has(desc.ref)) {
            return;
        }
        referenced.add(desc.ref);
        if (!m.types[desc.ref]) {
            problems.push(`type ${desc.ref} is referenced but not in the manifest's types`);
            return;
        }
        Object.values(m.types[desc.ref].properties).forEach(collectRefs);
    };

    // Resources.
    for (const [token, spec] of Object.entries<Json>(m.resources)) {
        const res = schema.resources[token];
        if (!res) {
            problems.push(`resource ${token} is not in the schema`);
            continue;
        }
        compareProperties(`${token} inputs`, spec.inputs, res.inputProperties ?? {}, spec.omitted, problems);
        compareProperties(`${token} outputs`, spec.outputs, res.properties ?? {}, spec.omitted, problems);
        for (const name of Object.keys(spec.omitted ?? {})) {
            if (!(name in (res.properties ?? {}))) {
                problems.push(`${token}: omitted '${name}' is not a schema property`);
            }
        }
        for (const name of Object.keys(spec.inputs)) {
            if (!(name in spec.outputs)) {
                problems.push(`${token}: input '${name}' is missing from outputs (every input is also state)`);
            }
        }
        const schemaRequired: string[] = res.requiredInputs ?? [];
        for (const name of schemaRequired) {
            if (!spec.requiredInputs.includes(name)) {
                problems.push(`${token}: schema-required input '${name}' is not enforced`);
            }
        }
        const extra = spec.requiredInputs.filter((n: string) => !schemaRequired.includes(n));
        if (!sameSet(extra, extraRequired[token] ?? [])) {
            problems.push(`${token}: required beyond the schema ${JSON.stringify(sorted(extra))}, expected ${JSON.stringify(sorted(extraRequired[token] ?? []))}`);
        }
        const schemaRequiredOutputs = (res.required ?? []).filter((n: string) => n in spec.outputs);
        if (!sameSet(spec.requiredOutputs, schemaRequiredOutputs)) {
            problems.push(`${token}: requiredOutputs ${JSON.stringify(sorted(spec.requiredOutputs))} != schema ${JSON.stringify(sorted(schemaRequiredOutputs))}`);
        }
        const secretInputs = Object.keys(spec.inputs).filter((n) => res.inputProperties?.[n]?.secret);
        if (!sameSet(spec.secretInputs, secretInputs)) {
            problems.push(`${token}: secretInputs ${JSON.stringify(sorted(spec.secretInputs))} != schema secret inputs ${JSON.stringify(sorted(secretInputs))}`);
        }
        for (const [name, prop] of Object.entries<Json>(res.properties ?? {})) {
            if (prop.secret && !spec.additionalSecretOutputs.includes(name)) {
                problems.push(`${token}: secret output '${name}' is missing from additionalSecretOutputs`);
            }
            const outputOnly = name in spec.outputs && !(name in spec.inputs);
            if (outputOnly && holdsSecret(schema, prop) && !spec.additionalSecretOutputs.includes(name)) {
                problems.push(`${token}: output-only '${name}' holds a nested secret but is not in additionalSecretOutputs`);
            }
        }
        for (const name of spec.additionalSecretOutputs) {
            if (!(name in (res.properties ?? {}))) {
                problems.push(`${token}: additionalSecretOutputs names '${name}', which is not a schema property`);
            }
        }
        Object.values(spec.inputs).forEach(collectRefs);
        Object.values(spec.outputs).forEach(collectRefs);
    }

    // Functions.
    for (const [token, spec] of Object.entries<Json>(m.functions ?? {})) {
        const fn = schema.functions[token];
        if (!fn) {
            problems.push(`function ${token} is not in the schema`);
            continue;
        }
        compareProperties(`${token} inputs`, spec.inputs, fn.inputs?.properties ?? {}, spec.omitted, problems);
        compareProperties(`${token} outputs`, spec.outputs, fn.outputs?.properties ?? {}, spec.omitted, problems);
        if (!sameSet(spec.requiredInputs, fn.inputs?.required ?? [])) {
            problems.push(`${token}: requiredInputs ${JSON.stringify(sorted(spec.requiredInputs))} != schema ${JSON.stringify(sorted(fn.inputs?.required ?? []))}`);
        }
        if (!sameSet(spec.requiredOutputs, fn.outputs?.required ?? [])) {
            problems.push(`${token}: requiredOutputs ${JSON.stringify(sorted(spec.requiredOutputs))} != schema ${JSON.stringify(sorted(fn.outputs?.required ?? []))}`);
        }
        const secret = Object.values<Json>(fn.outputs?.properties ?? {}).some((p) => holdsSecret(schema, p));
        if (spec.secretResult !== secret) {
            problems.push(`${token}: secretResult ${spec.secretResult}, but the schema result ${secret ? "holds" : "holds no"} secrets`);
        }
        Object.values(spec.inputs).forEach(collectRefs);
        Object.values(spec.outputs).forEach(collectRefs);
    }

    // Object types: exactly the referenced ones, each identical to the schema's.
    for (const [token, spec] of Object.entries<Json>(m.types)) {
        if (!referenced.has(token)) {
            problems.push(`type ${token} is in the manifest but nothing references it`);
        }
        const type = schema.types[token];
        if (!type) {
            problems.push(`type ${token} is not in the schema`);
            continue;
        }
        compareProperties(`type ${token}`, spec.properties, type.properties ?? {}, {}, problems);
        if (!sameSet(spec.required, type.required ?? [])) {
            problems.push(`type ${token}: required ${JSON.stringify(sorted(spec.required))} != schema ${JSON.stringify(sorted(type.required ?? []))}`);
        }
        const requiredOutputs = type.language?.nodejs?.requiredOutputs ?? [];
        if (!sameSet(spec.requiredOutputs ?? [], requiredOutputs)) {
            problems.push(`type ${token}: requiredOutputs ${JSON.stringify(spec.requiredOutputs ?? [])} != schema ${JSON.stringify(requiredOutputs)}`);
        }
    }
    return problems;
}

// ---------------------------------------------------------------------------------------
// The two SDKs under test.

interface ResourceCase {
    token: string;
    cls: any;
}
interface FunctionCase {
    token: string;
    plain: (args: any, opts?: pulumi.InvokeOptions) => Promise<any>;
    output: (args: any, opts?: pulumi.InvokeOutputOptions) => pulumi.Output<any>;
}
interface SdkCase {
    dir: string;
    packageName: string;
    schemaSha256: string;
    manifest: Json;
    provider: any;
    pluginDownloadURL: string | undefined;
    /** Tokens spelled out here, independently of the SDK, so a typo on either side fails. */
    resources: ResourceCase[];
    functions: FunctionCase[];
    extraRequired: Record<string, string[]>;
}

const SDKS: SdkCase[] = [
    {
        dir: "sdks/talos",
        packageName: "@pulumiverse/talos",
        schemaSha256: "353f9289300c548ce41fb36033bbae45abde70812f8f7470e3ee0179692105f6",
        manifest: talos.manifest,
        provider: talos.Provider,
        pluginDownloadURL: "github://api.github.com/pulumiverse",
        resources: [
            { token: "talos:machine/secrets:Secrets", cls: talos.machine.Secrets },
            { token: "talos:machine/configurationApply:ConfigurationApply", cls: talos.machine.ConfigurationApply },
            { token: "talos:machine/bootstrap:Bootstrap", cls: talos.machine.Bootstrap },
            { token: "talos:cluster/kubeconfig:Kubeconfig", cls: talos.cluster.Kubeconfig },
            { token: "talos:imageFactory/schematic:Schematic", cls: talos.imagefactory.Schematic },
        ],
        functions: [
            {
                token: "talos:machine/getConfiguration:getConfiguration",
                plain: talos.machine.getConfiguration,
                output: talos.machine.getConfigurationOutput,
            },
            {
                token: "talos:client/getConfiguration:getConfiguration",
                plain: talos.client.getConfiguration,
                output: talos.client.getConfigurationOutput,
            },
            { token: "talos:cluster/getHealth:getHealth", plain: talos.cluster.getHealth, output: talos.cluster.getHealthOutput },
            { token: "talos:imageFactory/getUrls:getUrls", plain: talos.imagefactory.getUrls, output: talos.imagefactory.getUrlsOutput },
        ],
        // providers.md §12.5: the schema relaxed these for write-only twins the bindings do not offer.
        extraRequired: {
            "talos:machine/configurationApply:ConfigurationApply": ["clientConfiguration", "machineConfigurationInput"],
            "talos:machine/bootstrap:Bootstrap": ["clientConfiguration"],
        },
    },
    {
        dir: "sdks/libvirt",
        packageName: "@pulumi/libvirt",
        schemaSha256: "0e2644e224eecfe63a332c72b384b8f2558ca6ffb3b533ab85442f6d3941f3b0",
        manifest: libvirt.manifest,
        provider: libvirt.Provider,
        pluginDownloadURL: undefined,
        resources: [
            { token: "libvirt:index/domain:Domain", cls: libvirt.Domain },
            { token: "libvirt:index/volume:Volume", cls: libvirt.Volume },
            { token: "libvirt:index/pool:Pool", cls: libvirt.Pool },
            { token: "libvirt:index/network:Network", cls: libvirt.Network },
        ],
        functions: [],
        extraRequired: {},
    },
];

function loadSchema(sdk: SdkCase): Json {
    return JSON.parse(fs.readFileSync(path.join(ROOT, sdk.dir, "schema.json"), "utf8"));
}

// ---------------------------------------------------------------------------------------
// Sample values and the monitor spy.

/** A distinct, well-typed value for a descriptor; objects get every field of their type. */
function sample(types: Json, desc: Json, seed: string): any {
    switch (desc) {
        case "string":
            return `v-${seed}`;
        case "integer":
        case "number":
            return 1000 + (parseInt(crypto.createHash("sha256").update(seed).digest("hex").slice(0, 4), 16) % 9000);
        case "boolean":
            return true;
    }
    if (desc.array) {
        return [sample(types, desc.array, `${seed}.0`)];
    }
    if (desc.map) {
        return { key: sample(types, desc.map, `${seed}.key`) };
    }
    const type = types[desc.ref];
    return Object.fromEntries(Object.entries(type.properties).map(([k, d]) => [k, sample(types, d, `${seed}.${k}`)]));
}

function sampleArgs(types: Json, props: Json, prefix: string): Record<string, any> {
    return Object.fromEntries(Object.entries(props).map(([k, d]) => [k, sample(types, d, `${prefix}.${k}`)]));
}

interface Captured {
    kind: "register" | "read" | "invoke";
    type: string;
    name: string;
    version: string;
    pluginDownloadURL: string;
    additionalSecretOutputs: string[];
    provider: string;
}

const captured: Captured[] = [];

function capturedFor(kind: Captured["kind"], type: string, name: string): Captured {
    const hits = captured.filter((c) => c.kind === kind && c.type === type && c.name === name);
    assert.strictEqual(hits.length, 1, `expected one ${kind} request for ${type} ${name}, got ${hits.length}`);
    return hits[0];
}

/** Wraps the mock monitor's request handlers to record what a real engine would receive. */
function spyOnMonitor(): () => void {
    const monitor: any = pulumi.runtime.getMonitor();
    assert.ok(monitor, "the Pulumi mocks (test/setup.ts) must be installed");
    const methods = ["registerResource", "readResource", "invoke"] as const;
    const own = new Map(methods.map((m) => [m, Object.prototype.hasOwnProperty.call(monitor, m) ? monitor[m] : undefined]));
    const record = (kind: Captured["kind"], req: any) =>
        captured.push({
            kind,
            type: kind === "invoke" ? req.getTok() : req.getType(),
            name: kind === "invoke" ? "" : req.getName(),
            version: req.getVersion(),
            pluginDownloadURL: req.getPlugindownloadurl(),
            additionalSecretOutputs: kind === "invoke" ? [] : req.getAdditionalsecretoutputsList(),
            provider: req.getProvider(),
        });
    const original = {
        registerResource: monitor.registerResource,
        readResource: monitor.readResource,
        invoke: monitor.invoke,
    };
    monitor.registerResource = function (req: any, cb: any) {
        record("register", req);
        return original.registerResource.call(this, req, cb);
    };
    monitor.readResource = function (req: any, cb: any) {
        record("read", req);
        return original.readResource.call(this, req, cb);
    };
    monitor.invoke = function (req: any, cb: any) {
        record("invoke", req);
        return original.invoke.call(this, req, cb);
    };
    return () => {
        for (const m of methods) {
            if (own.get(m)) {
                monitor[m] = own.get(m);
            } else {
                delete monitor[m];
            }
        }
    };
}

function expectThrowsMissing(fn: () => void, property: string): void {
    assert.throws(fn, (err: Error) => err.message === `Missing required property '${property}'`);
}

// ---------------------------------------------------------------------------------------

describe("sdks: hand-written provider bindings", () => {
    let restoreMonitor: () => void;

    before(() => {
        restoreMonitor = spyOnMonitor();
    });

    after(() => restoreMonitor());

    beforeEach(() => {
        resetRegistrations();
        captured.length = 0;
    });

    describe("root wiring", () => {
        it("installs both SDKs from sdks/ and builds them on npm install / npm ci", () => {
            const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
            assert.strictEqual(pkg.dependencies["@pulumiverse/talos"], "file:sdks/talos");
            assert.strictEqual(pkg.dependencies["@pulumi/libvirt"], "file:sdks/libvirt");
            assert.match(pkg.scripts.prepare, /tsc -p sdks\/talos\/tsconfig\.json/);
            assert.match(pkg.scripts.prepare, /tsc -p sdks\/libvirt\/tsconfig\.json/);
        });

        it("builds the shared sdks/common code into each package: every relative require stays inside its bin/", () => {
            for (const sdk of SDKS) {
                const bin = path.join(ROOT, sdk.dir, "bin");
                const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, sdk.dir, "package.json"), "utf8"));
                assert.strictEqual(fs.realpathSync(require.resolve(sdk.packageName)), path.join(ROOT, sdk.dir, pkg.main));
                const files = (fs.readdirSync(bin, { recursive: true }) as string[]).filter((f) => f.endsWith(".js"));
                assert.ok(files.includes(path.join("common", "runtime.js")), `${sdk.packageName} lacks bin/common/runtime.js`);
                for (const file of files) {
                    const source = fs.readFileSync(path.join(bin, file), "utf8");
                    for (const [, spec] of source.matchAll(/require\("(\.[^"]*)"\)/g)) {
                        const target = require.resolve(path.resolve(bin, path.dirname(file), spec));
                        assert.ok(target.startsWith(bin + path.sep), `${sdk.dir}/bin/${file} requires ${spec}, outside the package's bin/`);
                    }
                }
            }
        });

        it("resolves @pulumi/pulumi to the project's single copy (mocks and instanceof depend on it)", () => {
            for (const sdk of SDKS) {
                const fromSdk = require.resolve("@pulumi/pulumi", { paths: [path.join(ROOT, sdk.dir, "bin")] });
                assert.strictEqual(fromSdk, require.resolve("@pulumi/pulumi"), `${sdk.packageName} resolves another @pulumi/pulumi`);
            }
        });
    });

    for (const sdk of SDKS) {
        describe(sdk.packageName, () => {
            const schema = loadSchema(sdk);

            it("ships the pinned upstream schema", () => {
                const digest = crypto.createHash("sha256").update(fs.readFileSync(path.join(ROOT, sdk.dir, "schema.json"))).digest("hex");
                assert.strictEqual(digest, sdk.schemaSha256);
            });

            it("has the official package name, version and plugin metadata", () => {
                const pkg = require(`${sdk.packageName}/package.json`);
                assert.strictEqual(pkg.name, sdk.packageName);
                assert.strictEqual(pkg.version, sdk.manifest.version);
                // rootDir is sdks/ so the shared sdks/common compiles in beside the package: bin/<name>/, bin/common/.
                assert.strictEqual(pkg.main, `bin/${schema.name}/index.js`);
                assert.strictEqual(pkg.types, `bin/${schema.name}/index.d.ts`);
                const expected: Json = { resource: true, name: schema.name, version: sdk.manifest.version };
                if (sdk.pluginDownloadURL) {
                    expected.server = sdk.pluginDownloadURL;
                }
                assert.deepStrictEqual(pkg.pulumi, expected);
                assert.strictEqual(sdk.manifest.pluginDownloadURL, sdk.pluginDownloadURL);
            });

            it("agrees with the schema on every token, property, type, required set and secret", () => {
                assert.deepStrictEqual(schemaProblems(schema, sdk.manifest, sdk.extraRequired), []);
            });

            it("binds every manifest entry to a class or invoke with the same token", () => {
                assert.deepStrictEqual(sorted(sdk.resources.map((r) => r.token)), sorted(Object.keys(sdk.manifest.resources)));
                assert.deepStrictEqual(sorted(sdk.functions.map((f) => f.token)), sorted(Object.keys(sdk.manifest.functions ?? {})));
                for (const { token, cls } of sdk.resources) {
                    assert.strictEqual(cls.__pulumiType, token);
                }
                assert.strictEqual(sdk.provider.__pulumiType, schema.name);
            });

            it("type-checks: its interfaces and class properties equal the manifest (checks.ts)", function () {
                this.timeout(120000);
                const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
                try {
                    execFileSync(process.execPath, [tsc, "-p", path.join(ROOT, sdk.dir, "tsconfig.json"), "--noEmit"], {
                        cwd: ROOT,
                        encoding: "utf8",
                        stdio: "pipe",
                    });
                } catch (err: any) {
                    assert.fail(`tsc -p ${sdk.dir} failed:\n${err.stdout}${err.stderr}`);
                }
            });

            it("registers an explicit Provider with the package's version and plugin source", async () => {
                const Provider = sdk.provider;
                const args = sampleArgs(sdk.manifest.types, sdk.manifest.provider.inputs, "provider");
                new Provider("sdkcheck-provider", args);
                await settle();
                const req = capturedFor("register", `pulumi:providers:${schema.name}`, "sdkcheck-provider");
                assert.strictEqual(req.version, sdk.manifest.version);
                assert.strictEqual(req.pluginDownloadURL, sdk.pluginDownloadURL ?? "");
                assert.deepStrictEqual(findResource(`pulumi:providers:${schema.name}`, "sdkcheck-provider").inputs, args);
                assert.ok(Provider.isInstance(new Provider("sdkcheck-provider-2", args)));
            });

            for (const { token, cls } of sdk.resources) {
                describe(token, () => {
                    const spec = sdk.manifest.resources[token];
                    const args = () => sampleArgs(sdk.manifest.types, spec.inputs, token);

                    it("registers every input with the version, plugin source and additionalSecretOutputs", async () => {
                        const resource = new cls("sdkcheck", args());
                        await settle();
                        const req = capturedFor("register", token, "sdkcheck");
                        assert.strictEqual(req.version, sdk.manifest.version);
                        assert.strictEqual(req.pluginDownloadURL, sdk.pluginDownloadURL ?? "");
                        assert.deepStrictEqual(sorted(req.additionalSecretOutputs), sorted(spec.additionalSecretOutputs));
                        const reg = findResource(token, "sdkcheck");
                        assert.deepStrictEqual(reg.inputs, args(), "inputs sent differ from the inputs given");
                        for (const name of Object.keys(spec.inputs)) {
                            assert.strictEqual(inputIsSecret(reg, name), spec.secretInputs.includes(name), `secretness of input '${name}'`);
                        }
                        for (const name of Object.keys(spec.outputs)) {
                            assert.ok(pulumi.Output.isInstance(resource[name]), `output '${name}' is not an Output on the instance`);
                        }
                        assert.ok(cls.isInstance(resource));
                        assert.ok(!cls.isInstance({}));
                    });

                    if (spec.requiredInputs.length > 0) {
                        it("enforces each required input", () => {
                            for (const name of spec.requiredInputs) {
                                const partial = args();
                                delete partial[name];
                                expectThrowsMissing(() => new cls(`sdkcheck-missing-${name}`, partial), name);
                            }
                            expectThrowsMissing(() => new cls("sdkcheck-noargs"), spec.requiredInputs[0]);
                        });
                    } else {
                        it("can be created without arguments", async () => {
                            assert.doesNotThrow(() => new cls("sdkcheck-noargs"));
                            await settle();
                        });
                    }

                    it("reads existing state through get() with the same options", async () => {
                        const state = sampleArgs(sdk.manifest.types, spec.outputs, `${token}-state`);
                        const resource = cls.get("sdkcheck-get", "existing-id", state);
                        await settle();
                        const req = capturedFor("read", token, "sdkcheck-get");
                        assert.strictEqual(req.version, sdk.manifest.version);
                        assert.strictEqual(req.pluginDownloadURL, sdk.pluginDownloadURL ?? "");
                        assert.deepStrictEqual(findResource(token, "sdkcheck-get").inputs, state);
                        assert.strictEqual(await valueOf(resource.id), "existing-id");
                    });

                    if (spec.requiredInputs.length > 0) {
                        it("skips the required-input checks when rehydrating by URN", async () => {
                            const original = new cls("sdkcheck-urn", args());
                            const urn = await valueOf<string>(original.urn);
                            assert.doesNotThrow(() => new cls("sdkcheck-urn-ref", undefined, { urn }));
                            await settle();
                        });
                    }
                });
            }

            for (const { token, plain, output } of sdk.functions) {
                describe(token, () => {
                    const spec = sdk.manifest.functions[token];
                    const args = () => sampleArgs(sdk.manifest.types, spec.inputs, token);

                    it("Output form sends every argument with the version and plugin source, secret as the schema demands", async () => {
                        const result = output(args());
                        const value = await valueOf(result);
                        assert.deepStrictEqual(invokesOf(token).map((i) => i.inputs), [args()]);
                        const req = capturedFor("invoke", token, "");
                        assert.strictEqual(req.version, sdk.manifest.version);
                        assert.strictEqual(req.pluginDownloadURL, sdk.pluginDownloadURL ?? "");
                        assert.strictEqual(await isSecret(result), spec.secretResult);
                        for (const name of spec.requiredOutputs) {
                            assert.ok(name in value, `result lacks '${name}'`);
                        }
                    });

                    it("Promise form sends the same request", async () => {
                        await plain(args());
                        assert.deepStrictEqual(invokesOf(token).map((i) => i.inputs), [args()]);
                        const req = capturedFor("invoke", token, "");
                        assert.strictEqual(req.version, sdk.manifest.version);
                        assert.strictEqual(req.pluginDownloadURL, sdk.pluginDownloadURL ?? "");
                    });

                    it("keeps caller options (provider) next to the defaults", async () => {
                        const provider = new sdk.provider("sdkcheck-invoke-provider", {});
                        await valueOf(output(args(), { provider }));
                        const req = capturedFor("invoke", token, "");
                        assert.match(req.provider, /sdkcheck-invoke-provider/);
                        assert.strictEqual(req.version, sdk.manifest.version);
                    });
                });
            }
        });
    }

    describe("Talos specifics", () => {
        it("wraps machineConfigurationInput in a secret and marks the rendered config secret", async () => {
            new talos.machine.ConfigurationApply("sdkcheck-apply", {
                clientConfiguration: { caCertificate: "ca", clientCertificate: "crt", clientKey: "key" },
                machineConfigurationInput: "version: v1alpha1",
                node: "10.0.0.2",
            });
            await settle();
            const reg = findResource("talos:machine/configurationApply:ConfigurationApply", "sdkcheck-apply");
            assert.ok(inputIsSecret(reg, "machineConfigurationInput"));
            const req = capturedFor("register", "talos:machine/configurationApply:ConfigurationApply", "sdkcheck-apply");
            assert.ok(req.additionalSecretOutputs.includes("machineConfiguration"));
        });

        it("marks both Secrets outputs and both Kubeconfig credentials outputs secret as a whole", async () => {
            new talos.machine.Secrets("sdkcheck-secrets", { talosVersion: "v1.12" });
            const secrets = new talos.machine.Secrets("sdkcheck-secrets-src");
            new talos.cluster.Kubeconfig("sdkcheck-kubeconfig", { clientConfiguration: secrets.clientConfiguration, node: "10.0.0.2" });
            await settle();
            assert.deepStrictEqual(
                sorted(capturedFor("register", "talos:machine/secrets:Secrets", "sdkcheck-secrets").additionalSecretOutputs),
                ["clientConfiguration", "machineSecrets"],
            );
            assert.deepStrictEqual(
                sorted(capturedFor("register", "talos:cluster/kubeconfig:Kubeconfig", "sdkcheck-kubeconfig").additionalSecretOutputs),
                ["kubeconfigRaw", "kubernetesClientConfiguration"],
            );
        });

        it("uses the camelCase imageFactory module in tokens and the schematic id as resource id", async () => {
            const schematic = new talos.imagefactory.Schematic("sdkcheck-schematic", { schematic: "customization: {}\n" });
            const id = await valueOf(schematic.id);
            assert.match(id, /^[0-9a-f]{64}$/);
            const urls = await valueOf(talos.imagefactory.getUrlsOutput({ schematicId: schematic.id, talosVersion: "v1.12.4", platform: "metal" }));
            assert.strictEqual(urls.schematicId, id);
            assert.strictEqual(invokesOf("talos:imageFactory/getUrls:getUrls").length, 1);
        });

        it("runs an Output-form invoke only after the resources in dependsOn are registered", async () => {
            const secrets = new talos.machine.Secrets("sdkcheck-order");
            const health = talos.cluster.getHealthOutput(
                {
                    clientConfiguration: secrets.clientConfiguration,
                    controlPlaneNodes: ["10.0.0.2"],
                    endpoints: ["10.0.0.2"],
                },
                { dependsOn: [secrets] },
            );
            await valueOf(health);
            const registeredAt = captured.findIndex((c) => c.kind === "register" && c.name === "sdkcheck-order");
            const invokedAt = captured.findIndex((c) => c.kind === "invoke" && c.type === "talos:cluster/getHealth:getHealth");
            assert.ok(registeredAt >= 0 && invokedAt > registeredAt, `register at ${registeredAt}, invoke at ${invokedAt}`);
        });

        it("getUrlsOutput (no secret fields) is secret exactly when an argument is", async () => {
            const plain = talos.imagefactory.getUrlsOutput({ schematicId: "a".repeat(64), talosVersion: "v1.12.4", platform: "metal" });
            const secret = talos.imagefactory.getUrlsOutput({ schematicId: pulumi.secret("b".repeat(64)), talosVersion: "v1.12.4", platform: "metal" });
            assert.strictEqual((await valueOf(plain)).urls.installer, `factory.talos.dev/metal-installer/${"a".repeat(64)}:v1.12.4`);
            assert.strictEqual(await isSecret(plain), false);
            assert.strictEqual(await isSecret(secret), true);
        });
    });

    describe("libvirt specifics", () => {
        it("takes the provider uri from LIBVIRT_DEFAULT_URI when none is given", async () => {
            const saved = process.env.LIBVIRT_DEFAULT_URI;
            process.env.LIBVIRT_DEFAULT_URI = "qemu+ssh://root@192.0.2.10/system";
            try {
                new libvirt.Provider("sdkcheck-env");
                new libvirt.Provider("sdkcheck-explicit", { uri: "qemu:///system" });
            } finally {
                if (saved === undefined) {
                    delete process.env.LIBVIRT_DEFAULT_URI;
                } else {
                    process.env.LIBVIRT_DEFAULT_URI = saved;
                }
            }
            await settle();
            assert.strictEqual(findResource("pulumi:providers:libvirt", "sdkcheck-env").inputs.uri, "qemu+ssh://root@192.0.2.10/system");
            assert.strictEqual(findResource("pulumi:providers:libvirt", "sdkcheck-explicit").inputs.uri, "qemu:///system");
        });

        it("sends a Talos edge VM's domain as the schema shapes it", async () => {
            const provider = new libvirt.Provider("sdkcheck-kvm", { uri: "qemu:///system" });
            const disk = new libvirt.Volume("sdkcheck-disk", { name: "edge-1.qcow2", pool: "default", size: 20 * 1024 ** 3, format: "qcow2" }, { provider });
            const vmResource = new libvirt.Domain(
                "sdkcheck-vm",
                {
                    name: "edge-1",
                    memory: 4096,
                    vcpu: 2,
                    cpu: { mode: "host-passthrough" },
                    bootDevices: [{ devs: ["network", "hd"] }],
                    disks: [{ volumeId: disk.id }],
                    networkInterfaces: [{ bridge: "br-site", mac: "52:54:00:aa:bb:01" }],
                    consoles: [{ type: "pty", targetPort: "0", targetType: "serial" }],
                },
                { provider },
            );
            await valueOf(vmResource.id);
            const vm = findResource("libvirt:index/domain:Domain", "sdkcheck-vm");
            assert.deepStrictEqual(vm.inputs.bootDevices, [{ devs: ["network", "hd"] }]);
            assert.deepStrictEqual(vm.inputs.networkInterfaces, [{ bridge: "br-site", mac: "52:54:00:aa:bb:01" }]);
            assert.deepStrictEqual(vm.inputs.disks, [{ volumeId: "sdkcheck-disk-id" }]);
            assert.match(vm.provider ?? "", /pulumi:providers:libvirt::sdkcheck-kvm/);
            assert.strictEqual(capturedFor("register", "libvirt:index/domain:Domain", "sdkcheck-vm").pluginDownloadURL, "");
        });

        it("requires a pool type", () => {
            expectThrowsMissing(() => new libvirt.Pool("sdkcheck-pool", {} as libvirt.PoolArgs), "type");
        });
    });

    describe("the schema comparison itself catches mistakes", () => {
        const schema = loadSchema(SDKS[0]);
        const extra = SDKS[0].extraRequired;
        const broken = (edit: (m: Json) => void) => {
            const m = JSON.parse(JSON.stringify(talos.manifest));
            edit(m);
            return schemaProblems(schema, m, extra);
        };

        it("a misspelt resource token", () => {
            const problems = broken((m) => {
                m.resources["talos:imagefactory/schematic:Schematic"] = m.resources["talos:imageFactory/schematic:Schematic"];
                delete m.resources["talos:imageFactory/schematic:Schematic"];
            });
            assert.ok(problems.includes("resource talos:imagefactory/schematic:Schematic is not in the schema"), problems.join("\n"));
        });

        it("a misspelt input and output property", () => {
            const problems = broken((m) => {
                const spec = m.resources["talos:machine/bootstrap:Bootstrap"];
                spec.inputs.nodes = spec.inputs.node;
                delete spec.inputs.node;
            });
            assert.ok(problems.some((p) => p.startsWith("talos:machine/bootstrap:Bootstrap inputs: 'nodes' is not in the schema")), problems.join("\n"));
            assert.ok(problems.some((p) => p.includes("schema property 'node' is neither declared")), problems.join("\n"));
        });

        it("a wrong property type and a misspelt type reference", () => {
            const problems = broken((m) => {
                m.functions["talos:cluster/getHealth:getHealth"].inputs.endpoints = "string";
                m.resources["talos:machine/secrets:Secrets"].outputs.clientConfiguration = { ref: "talos:machine/generated:ClientConfig" };
            });
            assert.ok(problems.some((p) => p.includes("'endpoints' declared \"string\"")), problems.join("\n"));
            assert.ok(problems.some((p) => p.includes("'clientConfiguration' declared")), problems.join("\n"));
        });

        it("a dropped secret output and a dropped required input", () => {
            const problems = broken((m) => {
                const apply = m.resources["talos:machine/configurationApply:ConfigurationApply"];
                apply.additionalSecretOutputs = apply.additionalSecretOutputs.filter((n: string) => n !== "machineConfiguration");
                apply.requiredInputs = apply.requiredInputs.filter((n: string) => n !== "node");
                m.functions["talos:client/getConfiguration:getConfiguration"].secretResult = false;
            });
            assert.ok(problems.some((p) => p.includes("secret output 'machineConfiguration' is missing")), problems.join("\n"));
            assert.ok(problems.some((p) => p.includes("schema-required input 'node' is not enforced")), problems.join("\n"));
            assert.ok(problems.some((p) => p.includes("talos:client/getConfiguration:getConfiguration: secretResult false")), problems.join("\n"));
        });

        it("a misspelt nested type field", () => {
            const problems = broken((m) => {
                const urls = m.types["talos:imageFactory/getUrlsUrls:getUrlsUrls"];
                urls.properties.kernelCmdline = urls.properties.kernelCommandLine;
                delete urls.properties.kernelCommandLine;
            });
            assert.ok(problems.some((p) => p.includes("'kernelCmdline' is not in the schema")), problems.join("\n"));
        });
    });
});
