/**
 * Builds the dev stack's graph under the test mocks and prints, as JSON on stdout, every
 * registration: URN, parent, inputs (assets as their kind) and the source position Pulumi sent
 * with it. Run by test/programLoader.test.ts in a child process, once under ts-node and once
 * under scripts/typescript-loader.js (`pulumi up`'s loader), so the two can be compared:
 *
 *   node --require=./scripts/typescript-loader.js test/programLoaderChild.ts
 */
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { mocks, registered } from "./mocks";
import { FILLED_DEV_STACK_FILE, loadStackFile } from "./stackFiles";
import { TALOS_VENDOR_DIR } from "./talos-vendor";

/** One registration as the child reports it. */
export interface LoadedRegistration {
    urn: string;
    inputs: unknown;
    /** `file:line:column` of the resource's source position, relative to the repository. */
    position: string;
}

const ROOT = path.resolve(__dirname, "..");

/** Inputs in a comparable form: assets by kind (their text is a promise), the rest as is. */
function comparable(v: unknown): unknown {
    if (pulumi.asset.Asset.isInstance(v) || pulumi.asset.Archive.isInstance(v)) return `<${(v as object).constructor.name}>`;
    if (Array.isArray(v)) return (v as unknown[]).map(comparable);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, comparable(x)]));
    return v;
}

async function main(): Promise<void> {
    process.env.TALOS_OFFICIAL_EXTENSIONS_FILE ??= path.join(TALOS_VENDOR_DIR, "official-extensions-v1.12.4.txt");
    void pulumi.runtime.setMocks(mocks, "talos-cloud-edge", "dev", false);
    const raw = loadStackFile(FILLED_DEV_STACK_FILE);
    pulumi.runtime.setAllConfig(raw.values, [...raw.secretKeys]);

    // The source position each registration request carries (the mock monitor drops it).
    const positions = new Map<string, string>();
    const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: any, cb: unknown) => unknown };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
        const pos = req.getSourceposition();
        const where = pos ? `${path.relative(ROOT, new URL(pos.getUri()).pathname)}:${pos.getLine()}:${pos.getColumn()}` : "";
        positions.set(`${req.getType()}::${req.getName()}`, where);
        return register(req, cb);
    };

    await (require("../stacks/index") as () => Promise<unknown>)();
    await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> }).waitForRPCs();
    const out: LoadedRegistration[] = registered.map((r) => ({
        urn: r.urn,
        inputs: comparable(r.inputs),
        position: positions.get(`${r.type}::${r.name}`) ?? "",
    }));
    process.stdout.write(JSON.stringify(out));
}

main().catch((err: Error) => {
    process.stderr.write(`programLoaderChild: ${err.stack ?? err.message}\n`);
    process.exit(1);
});
