import * as assert from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { formatterBeneathReuse, isPromiseBookkeeping, isResourceCallsites, reuseResourceStackTraces, SKIPPED_TRACE, skipPromiseStackCapture, skipSourceMapsForPromiseBookkeeping } from "../stacks/stackTraces";

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

describe("stacks/stackTraces: Pulumi's promise stamps capture no frames", () => {
    /** A stand-in for the SDK module: records the stack trace limit each call ran under. */
    function fakeModule() {
        const limits: number[] = [];
        const mod = {
            debuggablePromise: (p: Promise<unknown>, ctx: unknown): Promise<unknown> => {
                limits.push(Error.stackTraceLimit);
                if (ctx === "throw") throw new Error("from the SDK");
                return p;
            },
        };
        return { mod, limits };
    }

    it("runs the SDK's function with no frames captured and restores the limit, also when it throws", () => {
        const { mod, limits } = fakeModule();
        const before = Error.stackTraceLimit;
        assert.strictEqual(skipPromiseStackCapture(mod, {}), true);
        const p = Promise.resolve(7);
        assert.strictEqual(mod.debuggablePromise(p, "ok"), p, "the SDK's own result is returned");
        assert.throws(() => mod.debuggablePromise(p, "throw"), /from the SDK/);
        assert.deepStrictEqual(limits, [0, 0]);
        assert.strictEqual(Error.stackTraceLimit, before);
        assert.strictEqual(skipPromiseStackCapture(mod, {}), false, "installed once");
    });

    it("changes nothing while PULUMI_DEBUG_PROMISE_LEAKS is set, or when the SDK has no such function", () => {
        const { mod, limits } = fakeModule();
        const original = mod.debuggablePromise;
        assert.strictEqual(skipPromiseStackCapture(mod, { PULUMI_DEBUG_PROMISE_LEAKS: "1" }), false);
        assert.strictEqual(mod.debuggablePromise, original);
        void mod.debuggablePromise(Promise.resolve(1), "ok");
        assert.deepStrictEqual(limits, [Error.stackTraceLimit]);
        assert.strictEqual(skipPromiseStackCapture({}, {}), false);
        assert.strictEqual(skipPromiseStackCapture({ debuggablePromise: "renamed" as never }, {}), false);
    });

    it("reaches the real SDK: its stamps hold no frames, and its promise bookkeeping still passes values and errors through", async () => {
        const sdk = require(path.join(path.dirname(require.resolve("@pulumi/pulumi")), "runtime", "debuggable")) as {
            debuggablePromise: (p: Promise<unknown>, ctx: unknown) => Promise<unknown>;
        };
        skipPromiseStackCapture(sdk, {}); // may already be in place (the program tests install it)
        const limit = Error.stackTraceLimit;
        // Whatever formatter is installed, count the frames the stamp captured.
        const captured: number[] = [];
        const saved = Error.prepareStackTrace;
        Error.prepareStackTrace = (_error, frames) => {
            captured.push(frames.length);
            return "counted";
        };
        const ok = Promise.resolve("value");
        let tracked: Promise<unknown>;
        try {
            tracked = sdk.debuggablePromise(ok, "test");
        } finally {
            Error.prepareStackTrace = saved;
        }
        assert.deepStrictEqual(captured, [0], "the stamp captured no frames");
        assert.strictEqual(await tracked, "value");
        assert.strictEqual(Error.stackTraceLimit, limit);
        const failed = Promise.reject(new Error("rejected"));
        await assert.rejects(sdk.debuggablePromise(failed, "test"), (err: Error & { promise?: unknown }) => err.message === "rejected" && err.promise === failed);
        // Errors thrown by the program keep their traces.
        assert.match(String(new Error("real").stack), /\n\s+at /);
    });
});

describe("stacks/stackTraces: each distinct resource-constructor stack is formatted once", () => {
    /** The SDK's own capture, as every resource constructor runs it (`Resource.callsites`, internal). */
    const callsites = () => (pulumi.Resource as unknown as { callsites(): Array<{ file?: string; line?: number; column?: number }> }).callsites();
    let saved: typeof Error.prepareStackTrace;
    let calls: number;
    beforeEach(() => {
        saved = Error.prepareStackTrace;
        calls = 0;
        // Stands in for source-map-support: formats like V8, and counts what it formatted.
        Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => {
            calls++;
            return `${String(error)}${frames.map((f) => `\n    at ${String(f)}`).join("")}`;
        };
    });
    afterEach(() => {
        Error.prepareStackTrace = saved;
    });

    it("recognises only the anonymous Error of Resource.callsites", () => {
        const frame = (file: string, fn: string) => ({ getFileName: () => file, getFunctionName: () => fn }) as unknown as NodeJS.CallSite;
        const sdkResource = "/p/node_modules/@pulumi/pulumi/resource.js";
        assert.ok(isResourceCallsites(new Error(), [frame(sdkResource, "callsites")]));
        assert.ok(isResourceCallsites(new Error(), [frame("C:\\p\\node_modules\\@pulumi\\pulumi\\resource.js", "callsites")]));
        assert.ok(!isResourceCallsites(new Error("a real failure"), [frame(sdkResource, "callsites")]));
        assert.ok(!isResourceCallsites(new Error(), [frame(sdkResource, "Resource")]));
        assert.ok(!isResourceCallsites(new Error(), [frame("/p/node_modules/@pulumi/pulumi/runtime/debuggable.js", "callsites")]));
        assert.ok(!isResourceCallsites(new Error(), []));
    });

    it("formats a repeated stack once and returns the same positions; a new call site or any other trace is formatted anew", () => {
        assert.strictEqual(reuseResourceStackTraces(), true);
        assert.strictEqual(reuseResourceStackTraces(), false, "installed once");
        const positions: Array<ReturnType<typeof callsites>> = [];
        for (let i = 0; i < 3; i++) {
            positions.push(callsites()); // one call site, three times
        }
        assert.strictEqual(calls, 1, "the same stack went to the formatter once");
        assert.deepStrictEqual(positions[1], positions[0]);
        assert.deepStrictEqual(positions[2], positions[0]);
        assert.ok(positions[0].some((p) => p.file === __filename), "the positions name this file");

        const elsewhere = callsites(); // another line: another stack
        assert.strictEqual(calls, 2);
        assert.notDeepStrictEqual(elsewhere, positions[0]);

        void new Error("boom").stack;
        void new Error("boom").stack;
        assert.strictEqual(calls, 4, "other errors are formatted every time");
    });

    it("gives exactly what the installed formatter gives, under the source maps mocha runs with", () => {
        // ts-node's source-map-support, as under Pulumi's launcher (without the memo, when an
        // earlier suite loaded the program entry, which installs it for the whole process).
        Error.prepareStackTrace = formatterBeneathReuse(saved);
        const results: Array<ReturnType<typeof callsites>> = [];
        for (const reuse of [false, true, true]) {
            if (reuse) reuseResourceStackTraces();
            results.push(callsites());
        }
        assert.deepStrictEqual(results[1], results[0]);
        assert.deepStrictEqual(results[2], results[0]);
        // Mapped: the position of the call above is this TypeScript file's line, not the compiled one.
        const source = require("fs").readFileSync(__filename, "utf8").split("\n") as string[];
        const lines = results[0].filter((p) => p.file === __filename).map((p) => source[p.line! - 1]);
        assert.ok(lines.some((l) => /results\.push\(callsites\(\)\)/.test(l)), `mapped to this file's lines: ${JSON.stringify(lines)}`);
    });
});
