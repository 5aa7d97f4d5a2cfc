/**
 * The stack's requested system extensions checked against the official list Image Factory
 * offers for `cluster.talosVersion`, before any resource is declared: a schematic naming an
 * unknown extension gets an ID, but the factory then refuses every asset of it.
 *
 * The list comes from the factory itself (`GET <factory>/version/<v>/extensions/official`),
 * fetched synchronously in a child process (which loads TypeScript with scripts/typescript-loader.js)
 * so the program entry stays a plain module; or from
 * the file in TALOS_OFFICIAL_EXTENSIONS_FILE (tests: the vendored v1.12.4 list; air-gapped
 * runners: a copy). When neither answers, the check is skipped with a warning: the factory that
 * could not be asked is the one the schematic resources need, so they would fail anyway.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { loadOfficialExtensionList, officialExtensionProblems } from "../lib/talos/extensions";
import type { StackConfig } from "../components/model";
import { StackConfigError } from "./config";

/** The program's TypeScript loader (docs/decisions/0134-program-loader.md), for the child process. */
const TYPESCRIPT_LOADER = path.join(__dirname, "..", "scripts", "typescript-loader.js");

/** How long the factory may take to list its extensions, in milliseconds. */
const FETCH_TIMEOUT_MS = 20_000;

/** The official extension names for the stack's version, or undefined when they cannot be had. */
export function officialExtensionsFor(factoryUrl: string, talosVersion: string, env: NodeJS.ProcessEnv = process.env): string[] | undefined {
    if (env.TALOS_OFFICIAL_EXTENSIONS_FILE) {
        return loadOfficialExtensionList(env.TALOS_OFFICIAL_EXTENSIONS_FILE);
    }
    const module = path.join(__dirname, "..", "lib", "talos", "extensions");
    const script =
        // The loader `pulumi up` uses (Pulumi.yaml nodeargs): cheaper to start than ts-node.
        `require(${JSON.stringify(TYPESCRIPT_LOADER)});` +
        `require(${JSON.stringify(module)}).fetchOfficialExtensions(process.argv[1], process.argv[2], { timeoutMs: ${FETCH_TIMEOUT_MS} })` +
        `.then((l) => process.stdout.write(JSON.stringify(l)), (e) => { process.stderr.write(String(e.message)); process.exit(1); });`;
    try {
        const out = execFileSync(process.execPath, ["-e", script, factoryUrl, talosVersion], { encoding: "utf8", timeout: FETCH_TIMEOUT_MS + 5_000, stdio: ["ignore", "pipe", "pipe"] });
        return JSON.parse(out) as string[];
    } catch (err) {
        const reason = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
        void pulumi.log.warn(`images: could not list the official extensions for Talos ${talosVersion} (${reason}); the extension names were not checked`);
        return undefined;
    }
}

/** Throws one StackConfigError naming every requested extension the official list lacks. */
export function checkOfficialExtensions(cfg: Pick<StackConfig, "images" | "cluster">, official: readonly string[] | undefined): void {
    if (official === undefined) return;
    const problems = [
        ...officialExtensionProblems("talos-cloud-edge:images.cloudExtensions", cfg.images.cloudExtensions, official, cfg.cluster.talosVersion, cfg.images.factoryUrl),
        ...officialExtensionProblems("talos-cloud-edge:images.edgeExtensions", cfg.images.edgeExtensions, official, cfg.cluster.talosVersion, cfg.images.factoryUrl),
    ];
    if (problems.length > 0) {
        throw new StackConfigError(problems.map((p) => `${p.path}: ${p.message}`));
    }
}
