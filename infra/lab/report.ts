/**
 * The end of a lab run: one line per check, the verdict, and — when the run failed — a copy of
 * its logs that outlives the teardown of the work dir.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { CheckResult } from "./checks";
import { LabFailure, Output, REPO_ROOT } from "./context";

/** Prints every check; throws a LabFailure naming the first failed one. */
export function reportChecks(out: Output, checks: readonly CheckResult[]): void {
    for (const c of checks) {
        out.say(`check ${c.ok ? "ok  " : "FAIL"} ${c.name}${c.detail ? ` (${c.detail})` : ""}`);
    }
    const failed = checks.filter((c) => !c.ok);
    if (failed.length > 0) {
        throw new LabFailure(`${failed.length} of ${checks.length} checks failed, first: ${failed[0]!.name} (${failed[0]!.detail})`);
    }
}

/** Copies the run's logs (not assets, not the store) to .lab/last-failure/ before teardown removes the work dir. */
export function keepFailureLogs(workDir: string): string | undefined {
    const dest = path.join(REPO_ROOT, ".lab", "last-failure");
    try {
        fs.rmSync(dest, { recursive: true, force: true });
        fs.mkdirSync(dest, { recursive: true });
        for (const f of fs.readdirSync(workDir)) {
            if (/\.(log|conf|yaml)$/.test(f)) fs.copyFileSync(path.join(workDir, f), path.join(dest, f));
        }
        return dest;
    } catch {
        return undefined;
    }
}
