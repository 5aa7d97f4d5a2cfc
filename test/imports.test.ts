/**
 * The layering rules in .dependency-cruiser.cjs (docs/layout.md), checked with dependency-cruiser's
 * own engine over the real tree. A second part writes one small probe file per rule that breaks
 * it, cruises the probes, and checks the rule reports exactly that import: a rule that can never
 * fire (a typo in a path regex, an npm edge silently excluded) fails here.
 *
 * dependency-cruiser is ESM-only; this file is CommonJS, so it is loaded with `import()`. The API is
 * used rather than the CLI because dependency-cruiser 18's CLI refuses to start on Node 20 (it
 * checks its engines field, ^22||^24||>=26); the API does not check, and runs fine on Node 20.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ICruiseOptions, ICruiseResult, IViolation } from "dependency-cruiser" with { "resolution-mode": "import" };

const REPO_ROOT = path.resolve(__dirname, "..");
const CONFIG_FILE = path.join(REPO_ROOT, ".dependency-cruiser.cjs");
/** What the before-stop hook cruises, plus testing/ (whose importers are restricted). */
const SOURCE_DIRS = ["stacks", "components", "lib", "infra", "model", "testing"];
/** Probe files carry this marker (ignored by git and by the config's `exclude`) and our pid. */
const PROBE_MARKER = "__probe_violation";

interface Found {
    rule: string;
    from: string;
    to: string;
    cycle: string[];
    comment: string;
}

/** Loads the config the way the CLI does (options + rule set, tsconfig flattened). */
async function loadOptions(): Promise<{ options: ICruiseOptions; tsConfig: unknown }> {
    const { default: extractDepcruiseOptions } = await import("dependency-cruiser/config-utl/extract-depcruise-options");
    const { default: extractTSConfig } = await import("dependency-cruiser/config-utl/extract-ts-config");
    const options = await extractDepcruiseOptions(CONFIG_FILE);
    return { options, tsConfig: extractTSConfig(path.join(REPO_ROOT, "tsconfig.json")) };
}

/** Cruises `entries` (repo-relative) with the project's rules; returns every violation. */
async function cruiseViolations(entries: string[], adjust?: (options: ICruiseOptions) => void): Promise<Found[]> {
    const { cruise } = await import("dependency-cruiser");
    const { options, tsConfig } = await loadOptions();
    const rules = new Map((options.ruleSet?.forbidden ?? []).map((rule) => [rule.name, rule.comment ?? ""]));
    adjust?.(options);
    const result = await cruise(entries, { ...options, baseDir: REPO_ROOT, validate: true }, {}, { tsConfig });
    const output = result.output as ICruiseResult;
    return output.summary.violations.map((violation: IViolation) => ({
        rule: violation.rule.name,
        from: violation.from,
        to: violation.to,
        cycle: (violation.cycle ?? []).map((step) => step.name),
        comment: rules.get(violation.rule.name) ?? "",
    }));
}

function describeViolation(found: Found): string {
    const route = found.cycle.length > 0 ? `${found.from} -> ${found.cycle.join(" -> ")}` : `${found.from} -> ${found.to}`;
    return `${found.rule}: ${route}\n    ${found.comment}`;
}

/** Removes probe files a killed run (its pid is gone) could not clean up; other live runs' stay. */
function removeLeftoversOfDeadRuns(dirs: Set<string>): void {
    for (const dir of dirs) {
        for (const name of fs.readdirSync(path.join(REPO_ROOT, dir))) {
            const owner = new RegExp(`^${PROBE_MARKER}_(\\d+)_`).exec(name);
            if (owner && !processIsAlive(Number(owner[1]))) fs.rmSync(path.join(REPO_ROOT, dir, name), { force: true });
        }
    }
}

function processIsAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        // EPERM: it exists but belongs to someone else.
        return (error as NodeJS.ErrnoException).code === "EPERM";
    }
}

function ruleNamesInConfig(): string[] {
    const config = require(CONFIG_FILE) as { forbidden: { name: string }[] };
    return config.forbidden.map((rule) => rule.name);
}

describe("import rules (.dependency-cruiser.cjs, docs/layout.md)", function () {
    // Two cruises of ~170 modules each; the CPU is shared, so leave room.
    this.timeout(120_000);

    it("the current tree breaks none of them", async () => {
        const violations = await cruiseViolations(SOURCE_DIRS);
        assert.equal(
            violations.length,
            0,
            `${violations.length} import rule violation(s):\n${violations.map(describeViolation).join("\n")}`,
        );
    });

    describe("each rule can fail (probe files that break it)", () => {
        interface Probe {
            /** Rule the probe breaks, or undefined for a probe that must pass (an allowed import). */
            rule: string | undefined;
            /** Folder (repo-relative) the probe is written into. */
            dir: string;
            label: string;
            source: string;
            /** Repo-relative target the reported violation points at (checked with startsWith). */
            to?: string;
        }
        // Every probe is valid TypeScript, so a type-check running while they exist stays clean.
        const probes: Probe[] = [
            { rule: "model-imports-nothing-of-ours", dir: "model", label: "stacks", source: `import "../stacks/index";\n`, to: "stacks/index.ts" },
            {
                rule: "model-imports-nothing-of-ours",
                dir: "model",
                label: "npm",
                source: `import type { Document } from "yaml";\nexport type ProbeDocument = Document;\n`,
                to: "node_modules/yaml/",
            },
            {
                rule: undefined,
                dir: "model",
                label: "allowed",
                source: `import { createHash } from "node:crypto";\nimport { parseIPv4 } from "./net";\nexport const probe = [createHash, parseIPv4];\n`,
            },
            {
                rule: "boot-server-and-edge-host-stay-below-the-graph",
                dir: "infra/boot-server/src",
                label: "components",
                source: `import "../../../components/bootService";\n`,
                to: "components/bootService.ts",
            },
            {
                rule: "boot-server-and-edge-host-stay-below-the-graph",
                dir: "infra/edge-host",
                label: "stacks",
                source: `import "../../stacks/cloud";\n`,
                to: "stacks/cloud.ts",
            },
            { rule: "lib-stays-pure", dir: "lib/talos", label: "pulumi", source: `import "@pulumi/pulumi";\n`, to: "node_modules/@pulumi/pulumi/" },
            { rule: "lib-stays-pure", dir: "lib/talos", label: "infra", source: `import "../../infra/edge-host/paths";\n`, to: "infra/edge-host/paths.ts" },
            {
                rule: "components-talk-to-the-boot-service-through-its-contract",
                dir: "components",
                label: "bootserver",
                source: `import "../infra/boot-server/src/ipxe";\n`,
                to: "infra/boot-server/src/ipxe.ts",
            },
            { rule: "only-tests-import-test-code", dir: "stacks", label: "test", source: `import "../test/stackFiles";\n`, to: "test/stackFiles.ts" },
            {
                rule: "only-tests-and-the-lab-import-testing",
                dir: "infra/boot-server/src",
                label: "testing",
                source: `import "../../../testing/fakes/scripted";\n`,
                to: "testing/fakes/scripted.ts",
            },
            { rule: undefined, dir: "infra/lab", label: "testing", source: `import "../../testing/fakes/scripted";\n` },
            { rule: "not-to-unresolvable", dir: "components", label: "missing", source: `import "./no-such-module-here";\n`, to: "./no-such-module-here" },
        ];
        const pid = process.pid;
        const probePath = (probe: Probe) => path.join(probe.dir, `${PROBE_MARKER}_${pid}_${probe.label}.ts`);
        // A two-file cycle inside model/ (so no other rule applies): a -> b -> a.
        const cycleA = path.join("model", `${PROBE_MARKER}_${pid}_cycle_a.ts`);
        const cycleB = path.join("model", `${PROBE_MARKER}_${pid}_cycle_b.ts`);
        const cycleFiles: [string, string][] = [
            [cycleA, `import { b } from "./${path.basename(cycleB, ".ts")}";\nexport const a = () => b;\n`],
            [cycleB, `import type { a } from "./${path.basename(cycleA, ".ts")}";\nexport const b: typeof a | undefined = undefined;\n`],
        ];
        const written: string[] = [];
        let violations: Found[] = [];

        function removeProbes(): void {
            for (const file of written.splice(0)) fs.rmSync(path.join(REPO_ROOT, file), { force: true });
        }

        before(async () => {
            removeLeftoversOfDeadRuns(new Set([...probes.map((probe) => probe.dir), "model"]));
            try {
                for (const [file, source] of [...probes.map((p): [string, string] => [probePath(p), p.source]), ...cycleFiles]) {
                    // "wx": never overwrite (and so never later delete) a file that was already there.
                    fs.writeFileSync(path.join(REPO_ROOT, file), `// throw-away probe written by test/imports.test.ts\n${source}`, { flag: "wx" });
                    written.push(file);
                }
                // The probes are the entry points; the config's exclude (which hides probes from
                // the real check) is dropped for this cruise only.
                violations = await cruiseViolations(written, (options) => {
                    delete options.exclude;
                });
            } finally {
                removeProbes();
            }
        });
        after(removeProbes);

        for (const probe of probes) {
            const title = probe.rule
                ? `${probe.rule}: ${probe.dir}/ -> ${probe.to} is reported`
                : `an allowed import from ${probe.dir}/ (${probe.label}) is not reported`;
            it(title, () => {
                const file = probePath(probe);
                const fromProbe = violations.filter((found) => found.from === file);
                if (probe.rule === undefined) {
                    assert.deepEqual(fromProbe.map(describeViolation), [], `${file} must pass every rule`);
                    return;
                }
                assert.ok(
                    fromProbe.some((found) => found.rule === probe.rule && found.to.startsWith(probe.to ?? "")),
                    `expected ${probe.rule} for ${file} -> ${probe.to}; got:\n${fromProbe.map(describeViolation).join("\n") || "(nothing)"}`,
                );
                assert.deepEqual(
                    fromProbe.filter((found) => found.rule !== probe.rule).map(describeViolation),
                    [],
                    `${file} should break only ${probe.rule}`,
                );
            });
        }

        it("no-circular: a two-file cycle (one edge type-only) is reported, with the cycle in the message", () => {
            const cycles = violations.filter((found) => found.rule === "no-circular" && (found.from === cycleA || found.from === cycleB));
            assert.ok(cycles.length > 0, `expected no-circular for ${cycleA} <-> ${cycleB}; got:\n${violations.map(describeViolation).join("\n")}`);
            assert.deepEqual(new Set([cycles[0].from, ...cycles[0].cycle]), new Set([cycleA, cycleB]));
            assert.ok(describeViolation(cycles[0]).includes(`${cycles[0].from} -> ${cycles[0].cycle.join(" -> ")}`));
            const others = violations.filter((found) => (found.from === cycleA || found.from === cycleB) && found.rule !== "no-circular");
            assert.deepEqual(others.map(describeViolation), []);
        });

        it("every rule in the config is proven by a probe", () => {
            const proven = new Set([...probes.map((probe) => probe.rule), "no-circular"]);
            assert.deepEqual(
                ruleNamesInConfig().filter((name) => !proven.has(name)),
                [],
                "add a probe for each new rule so it is known to fire",
            );
        });

        it("the probes are gone and git ignores the probe name", () => {
            for (const file of [...probes.map(probePath), cycleA, cycleB]) {
                assert.equal(fs.existsSync(path.join(REPO_ROOT, file)), false, `${file} was not removed`);
            }
            const gitignore = fs.readFileSync(path.join(REPO_ROOT, ".gitignore"), "utf8").split("\n");
            assert.ok(gitignore.includes(`${PROBE_MARKER}*`), `.gitignore must list ${PROBE_MARKER}*`);
        });
    });
});
