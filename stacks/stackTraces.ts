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
 * traces.
 *
 * A third trace is read, and must stay exact: the one the SDK takes in every resource's
 * constructor (`Resource.callsites`, unlimited depth) for the source position and stack it sends
 * the engine. `reuseResourceStackTraces` formats each distinct stack once: source-map-support
 * clones every frame into an object of some thirty closures before mapping it, and a 1,000-machine
 * stack declares the same few dozen stacks thousands of times.
 *
 * Measured in docs/benchmarks.md ("Graph build benchmark").
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

/** The file and function of the SDK's per-resource stack capture (`Resource.callsites`). */
const RESOURCE_FILE = /[\\/]@pulumi[\\/]pulumi[\\/]resource\.js$/;

/** True for the anonymous Error that `Resource.callsites` creates to read the constructor's stack. */
export function isResourceCallsites(error: Error, frames: NodeJS.CallSite[]): boolean {
    return error.message === "" && frames.length > 0 && frames[0].getFunctionName() === "callsites" && RESOURCE_FILE.test(frames[0].getFileName() ?? "");
}

/** Distinct stacks kept at most; past that the memo starts over (a program declares a few dozen). */
export const MAX_REMEMBERED_STACKS = 4096;

const STACKS_REUSED = Symbol.for("talos-cloud-edge.reuseResourceStackTraces");

/** The wrapper, carrying the formatter it wraps (undefined: V8's own). */
type ReusingFormatter = Formatter & { [STACKS_REUSED]?: { inner: Formatter | undefined } };

/**
 * Wraps the installed formatter: a resource constructor's stack is formatted by it once per
 * distinct sequence of frames, and the same text is returned for every later identical stack.
 * The key is each frame's own V8 text (function, receiver type, file, line, column, and whether
 * it is a constructor, async, native or eval), which is all a formatter sees of a frame; the
 * source maps it maps them with do not change while the program runs. Every other trace goes to
 * the formatter as before. Returns true when installed now.
 */
export function reuseResourceStackTraces(): boolean {
    const current = Error.prepareStackTrace as ReusingFormatter | undefined;
    if (current?.[STACKS_REUSED]) {
        return false;
    }
    const formatted = new Map<string, unknown>();
    const format = (error: Error, frames: NodeJS.CallSite[]) => (current ? current(error, frames) : formatNatively(error, frames));
    const wrapped: ReusingFormatter = (error, frames) => {
        if (!isResourceCallsites(error, frames)) {
            return format(error, frames);
        }
        const key = frames.join("\n");
        let text = formatted.get(key);
        if (text === undefined) {
            text = format(error, frames);
            if (formatted.size >= MAX_REMEMBERED_STACKS) {
                formatted.clear();
            }
            formatted.set(key, text);
        }
        return text;
    };
    wrapped[STACKS_REUSED] = { inner: current };
    Error.prepareStackTrace = wrapped as typeof Error.prepareStackTrace;
    return true;
}

/** The formatter `reuseResourceStackTraces` wrapped, or `formatter` itself when it is not such a wrapper. */
export function formatterBeneathReuse(formatter: typeof Error.prepareStackTrace): typeof Error.prepareStackTrace {
    const reused = (formatter as ReusingFormatter | undefined)?.[STACKS_REUSED];
    return reused ? (reused.inner as typeof Error.prepareStackTrace) : formatter;
}
