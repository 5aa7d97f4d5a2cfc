/**
 * Mocha `--require` hook: installs the Pulumi mocks once for the whole run, before any
 * module that declares resources is imported. Project and stack match Pulumi.yaml/dev.
 */
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import { mocks } from "./mocks";
import { TALOS_VENDOR_DIR } from "./talos-vendor";

void pulumi.runtime.setMocks(mocks, "talos-cloud-edge", "dev", false);

// The program checks extension names against Image Factory's list; offline, against the vendored one.
process.env.TALOS_OFFICIAL_EXTENSIONS_FILE ??= path.join(TALOS_VENDOR_DIR, "official-extensions-v1.12.4.txt");

// Under mocks Pulumi prints `pulumi.log.warn` with console.warn, once per graph that triggers it,
// and the suites build the same graphs many times: print each distinct runtime warning once and
// count the repeats at the end. Every other console.warn passes through unchanged.
const RUNTIME_WARNING = "warning: [runtime] ";
const runtimeWarnings = new Map<string, number>();
const consoleWarn = console.warn.bind(console);
console.warn = (...args: unknown[]): void => {
    const text = args.map(String).join(" ");
    if (!text.startsWith(RUNTIME_WARNING)) return consoleWarn(...args);
    const seen = runtimeWarnings.get(text) ?? 0;
    runtimeWarnings.set(text, seen + 1);
    if (seen === 0) consoleWarn(...args);
};

export const mochaHooks = {
    afterAll(): void {
        const repeats = [...runtimeWarnings.values()].reduce((sum, n) => sum + n - 1, 0);
        if (repeats > 0) consoleWarn(`(${runtimeWarnings.size} distinct Pulumi runtime warning(s) above, printed once each; ${repeats} repeat(s) not printed)`);
    },
};
