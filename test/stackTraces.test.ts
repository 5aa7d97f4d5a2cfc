import * as assert from "assert";
import * as path from "path";
import { isPromiseBookkeeping, SKIPPED_TRACE, skipSourceMapsForPromiseBookkeeping } from "../stacks/stackTraces";

/** The SDK's own promise tracker (internal: not in its type declarations). */
const { debuggablePromise } = require(path.join(path.dirname(require.resolve("@pulumi/pulumi")), "runtime", "debuggable")) as {
    debuggablePromise: (p: Promise<unknown>, ctx: string) => Promise<unknown>;
};
/** The stamp debuggablePromise leaves on the promise it tracks. */
function stampOf(p: Promise<unknown>): string {
    void debuggablePromise(p, "test");
    return (p as Promise<unknown> & { _debugStackTrace: string })._debugStackTrace;
}

/** A CallSite stand-in: only the file name matters to the check. */
const frameIn = (file: string) => ({ getFileName: () => file }) as unknown as NodeJS.CallSite;

describe("stacks/stackTraces: Pulumi's promise stamps skip source maps", () => {
    let saved: typeof Error.prepareStackTrace;
    beforeEach(() => {
        saved = Error.prepareStackTrace;
        // Stands in for source-map-support: marks what went through the mapped path.
        Error.prepareStackTrace = (error: Error) => `MAPPED ${error.message}`;
    });
    afterEach(() => {
        Error.prepareStackTrace = saved;
    });

    it("recognises only the anonymous Error of runtime/debuggable.js", () => {
        const pulumiRuntime = "/p/node_modules/@pulumi/pulumi/runtime/debuggable.js";
        assert.ok(isPromiseBookkeeping(new Error(), [frameIn(pulumiRuntime)]));
        assert.ok(isPromiseBookkeeping(new Error(), [frameIn("C:\\p\\node_modules\\@pulumi\\pulumi\\runtime\\debuggable.js")]));
        assert.ok(!isPromiseBookkeeping(new Error("a real failure"), [frameIn(pulumiRuntime)]));
        // Resource source positions (resource.js) keep their mapped trace.
        assert.ok(!isPromiseBookkeeping(new Error(), [frameIn("/p/node_modules/@pulumi/pulumi/resource.js")]));
        assert.ok(!isPromiseBookkeeping(new Error(), [frameIn("/p/stacks/index.ts")]));
        assert.ok(!isPromiseBookkeeping(new Error(), []));
    });

    it("stamps the SDK's tracked promises with a placeholder and leaves every other trace to the installed formatter", () => {
        assert.strictEqual(skipSourceMapsForPromiseBookkeeping({}), true);
        assert.strictEqual(stampOf(Promise.resolve(1)), SKIPPED_TRACE);
        assert.strictEqual(new Error("boom").stack, "MAPPED boom");
        assert.strictEqual(skipSourceMapsForPromiseBookkeeping({}), false, "installed once");
    });

    it("changes nothing while PULUMI_DEBUG_PROMISE_LEAKS is set", () => {
        assert.strictEqual(skipSourceMapsForPromiseBookkeeping({ PULUMI_DEBUG_PROMISE_LEAKS: "1" }), false);
        assert.strictEqual(stampOf(Promise.resolve(1)), "MAPPED ");
    });
});
