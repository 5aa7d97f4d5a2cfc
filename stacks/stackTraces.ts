/**
 * Keeps Pulumi's promise bookkeeping from paying for stack traces nobody reads.
 *
 * The Node.js SDK stamps every promise it tracks with `new Error().stack`
 * (`@pulumi/pulumi/runtime/debuggable.js`, `debuggablePromise`) so that it can explain a leaked
 * promise, but it prints those traces only when `PULUMI_DEBUG_PROMISE_LEAKS` is set. Two costs
 * follow, one fix each, both installed by the program entry before any resource:
 *
 * - `skipSourceMapsForPromiseBookkeeping`: reading `.stack` runs `Error.prepareStackTrace`, which
 *   the Pulumi launcher (fed by the program's loader, scripts/typescript-loader.js) and ts-node
 *   (under mocha) point at source-map-support, so each never-read trace was mapped frame by frame
 *   through the TypeScript source maps. The installed formatter is wrapped: a trace taken by that
 *   bookkeeping becomes a one-line placeholder; every other trace (errors the program throws, the
 *   resource source positions Pulumi records) is formatted exactly as before.
 * - `skipPromiseStackCapture`: even unmapped, capturing the frames and handing them to a
 *   formatter as call-site objects was the SDK's largest single cost per resource; the stamp is
 *   taken with `Error.stackTraceLimit` at 0, so it captures nothing.
 *
 * With `PULUMI_DEBUG_PROMISE_LEAKS` set neither changes anything, so leak reports keep their
 * traces. Measured in docs/benchmarks.md ("Graph build benchmark").
 */

type Formatter = (error: Error, frames: NodeJS.CallSite[]) => unknown;

/** The file whose promise stamps are skipped, on any platform. */
const BOOKKEEPING_FILE = /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]debuggable\.js$/;

/** What a skipped trace reads as. */
export const SKIPPED_TRACE = "Error: stack not recorded (set PULUMI_DEBUG_PROMISE_LEAKS=1 to record promise stacks)";

const WRAPPED = Symbol.for("talos-cloud-edge.skipSourceMapsForPromiseBookkeeping");

/** True for the anonymous Error that debuggablePromise creates just to read its stack. */
export function isPromiseBookkeeping(error: Error, frames: NodeJS.CallSite[]): boolean {
    return error.message === "" && frames.length > 0 && BOOKKEEPING_FILE.test(frames[0].getFileName() ?? "");
}

/** V8's own format, for when no formatter was installed before. */
function formatNatively(error: Error, frames: NodeJS.CallSite[]): string {
    return `${String(error)}${frames.map((f) => `\n    at ${String(f)}`).join("")}`;
}

/**
 * Installs the wrapper (once per process). `env` decides whether leak debugging is on.
 * Returns true when installed now, false when it was already in place or leak debugging is on.
 */
export function skipSourceMapsForPromiseBookkeeping(env: Record<string, string | undefined> = process.env): boolean {
    const current = Error.prepareStackTrace as (Formatter & { [WRAPPED]?: true }) | undefined;
    if (env.PULUMI_DEBUG_PROMISE_LEAKS || current?.[WRAPPED]) {
        return false;
    }
    const wrapped: Formatter & { [WRAPPED]?: true } = (error, frames) =>
        isPromiseBookkeeping(error, frames) ? SKIPPED_TRACE : current ? current(error, frames) : formatNatively(error, frames);
    wrapped[WRAPPED] = true;
    Error.prepareStackTrace = wrapped as typeof Error.prepareStackTrace;
    return true;
}

/** The SDK module whose `debuggablePromise` stamps every tracked promise. */
interface DebuggableModule {
    debuggablePromise: (p: Promise<unknown>, ctx: unknown) => Promise<unknown>;
}

const STAMPS_SKIPPED = Symbol.for("talos-cloud-edge.skipPromiseStackCapture");

/** The SDK's debuggable module, the instance the SDK itself uses; undefined when it cannot be loaded. */
function sdkDebuggableModule(): Partial<DebuggableModule> | undefined {
    try {
        return require("@pulumi/pulumi/runtime/debuggable") as Partial<DebuggableModule>;
    } catch {
        return undefined;
    }
}

/**
 * Makes the stamp itself free: while `debuggablePromise` runs, `Error.stackTraceLimit` is 0, so
 * its `new Error().stack` captures no frames (capturing ten frames and handing them to the
 * installed formatter as call-site objects was the SDK's largest single cost per resource, and
 * their garbage a large part of the collector's). Everything else the function does — the leak
 * bookkeeping, the `.then`/`.catch` — is untouched, and errors thrown later keep their traces.
 * The SDK's own modules call it through the module object (`debuggable_1.debuggablePromise(…)`),
 * so replacing the export reaches every caller. With `PULUMI_DEBUG_PROMISE_LEAKS` set nothing
 * changes. Returns true when installed now.
 */
export function skipPromiseStackCapture(
    debuggable: Partial<DebuggableModule> | undefined = sdkDebuggableModule(),
    env: Record<string, string | undefined> = process.env,
): boolean {
    // An SDK without this module or function (another version) keeps its own behaviour.
    if (debuggable === undefined || typeof debuggable.debuggablePromise !== "function") return false;
    const current = debuggable.debuggablePromise as DebuggableModule["debuggablePromise"] & { [STAMPS_SKIPPED]?: true };
    if (env.PULUMI_DEBUG_PROMISE_LEAKS || current[STAMPS_SKIPPED]) return false;
    const wrapped: DebuggableModule["debuggablePromise"] & { [STAMPS_SKIPPED]?: true } = (p, ctx) => {
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
            return current(p, ctx);
        } finally {
            Error.stackTraceLimit = limit;
        }
    };
    wrapped[STAMPS_SKIPPED] = true;
    debuggable.debuggablePromise = wrapped;
    return true;
}
