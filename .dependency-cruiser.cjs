/**
 * Import rules for the project's layers (docs/layout.md explains the layers and why).
 *
 * Imports point down: model/ <- lib/ <- components/ and infra/ <- stacks/.
 * Checked by test/imports.test.ts (which also proves every rule can fail) and by
 *   node_modules/.bin/depcruise --config .dependency-cruiser.cjs stacks components lib infra model
 * Each rule's `comment` says how to fix a violation: it is what a developer reads when the check
 * fails.
 *
 * `path`/`pathNot` are regular expressions matched against paths relative to the repo root. For an
 * npm package that is the resolved file (node_modules/@pulumi/pulumi/index.js); the two local SDKs
 * resolve through their node_modules symlink to sdks/<name>/; an import that cannot be resolved
 * keeps its name as written (@pulumi/foo).
 */

/** Pulumi SDKs: resolved from node_modules, resolved to the local sdks/, or unresolved. */
const PULUMI_SDKS = ["(^|/)node_modules/@pulumi(verse)?/", "^sdks/", "^@pulumi(verse)?/"];

/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
    forbidden: [
        {
            name: "model-imports-nothing-of-ours",
            severity: "error",
            comment:
                "model/ is the bottom layer: it may import only other model/ files and node " +
                "builtins (node:net, node:crypto, ...) - no other project folder and no npm " +
                "package at all (no @pulumi/*, no fastify, not even yaml). Fix: move the code " +
                "that needs the import up into lib/, components/ or infra/, or have the caller " +
                "pass the value in as a parameter.",
            from: { path: "^model/" },
            to: { pathNot: "^model/", dependencyTypesNot: ["core"] },
        },
        {
            name: "boot-server-and-edge-host-stay-below-the-graph",
            severity: "error",
            comment:
                "infra/boot-server (bundled into the Cloud Run image) and infra/edge-host (what " +
                "runs on, or is rendered for, the edge host) must not depend on the Pulumi " +
                "program. Fix: move the shared type or function down into model/ (data shapes, " +
                "parsing, the boot contract) or lib/ (pure renderers) and import it from there " +
                "on both sides.",
            from: { path: "^infra/(boot-server|edge-host)/" },
            to: { path: "^(stacks|components)/" },
        },
        {
            name: "lib-stays-pure",
            severity: "error",
            comment:
                "lib/ holds pure renderers shared by the Pulumi program and the boot service: it " +
                "may import model/ and plain libraries (yaml, ajv), never components/, stacks/, " +
                "infra/, a Pulumi SDK (@pulumi/*, @pulumiverse/*) or fastify. Fix: take the " +
                "value as a plain parameter and let the caller (a component, a stack or the " +
                "boot service) do the wiring.",
            from: { path: "^lib/" },
            to: { path: ["^(components|stacks|infra)/", ...PULUMI_SDKS, "(^|/)node_modules/fastify/"] },
        },
        {
            name: "components-talk-to-the-boot-service-through-its-contract",
            severity: "error",
            comment:
                "A component must not reach into the boot service's implementation " +
                "(infra/boot-server/**): the two meet at model/bootContract.ts (the machine " +
                "record the service reads and what it serves). Fix: import the shape or helper " +
                "from model/bootContract.ts, moving it there from infra/boot-server if it is " +
                "part of the contract.",
            from: { path: "^components/" },
            to: { path: "^infra/boot-server/" },
        },
        {
            name: "only-tests-import-test-code",
            severity: "error",
            comment:
                "Nothing outside test/ imports test/ (mocks, fixtures, helpers). Fix: code that " +
                "production needs is not test code - move it to model/ or lib/; a fake the lab " +
                "needs too goes to testing/.",
            from: { pathNot: "^test/" },
            to: { path: "^test/" },
        },
        {
            name: "only-tests-and-the-lab-import-testing",
            severity: "error",
            comment:
                "testing/ holds fakes of external APIs shared by test/ and the offline lab: only " +
                "test/, infra/lab/ and testing/ itself may import it, so no fake ends up in the " +
                "boot service or the Pulumi program. Fix: take the real client (or its URL) as a " +
                "parameter and let the test or the lab pass the fake.",
            from: { pathNot: "^(test|testing|infra/lab)/" },
            to: { path: "^testing/" },
        },
        {
            name: "no-circular",
            severity: "error",
            comment:
                "This import closes a cycle (type-only imports count too). Cycles make load " +
                "order matter and blur which module owns what. Fix: move what both modules need " +
                "into a third, lower module (often in model/) and import it from both.",
            from: {},
            to: { circular: true },
        },
        {
            name: "not-to-unresolvable",
            severity: "error",
            comment:
                "This import does not resolve to a file: a typo, a moved or deleted file, or a " +
                "package missing from node_modules. Fix the path, or add the package to " +
                "package.json (installing it is the lead's call).",
            from: {},
            to: { couldNotResolve: true },
        },
    ],
    options: {
        // npm packages and the generated SDKs are leaves: their own imports are not ours to check.
        doNotFollow: { path: ["(^|/)node_modules/", "^sdks/"] },
        // The throw-away probe files test/imports.test.ts writes for a few seconds (to prove each
        // rule can fail) are skipped, so a check running at that moment does not trip on them.
        // node_modules is deliberately NOT excluded: that would drop the npm edges themselves,
        // which model-imports-nothing-of-ours and lib-stays-pure must see.
        exclude: { path: "__probe_violation" },
        // `import type` couples layers as much as a value import does.
        tsPreCompilationDeps: true,
        tsConfig: { fileName: "tsconfig.json" },
        moduleSystems: ["cjs", "es6"],
        enhancedResolveOptions: {
            exportsFields: ["exports"],
            conditionNames: ["require", "node", "default", "types"],
            extensions: [".ts", ".js", ".json", ".d.ts"],
        },
        progress: { type: "none" },
    },
};
