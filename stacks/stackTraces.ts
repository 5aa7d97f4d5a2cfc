/**
 * Keeps Pulumi's promise bookkeeping from mapping stack traces through source maps.
 *
 * The Node.js SDK stamps every promise it tracks with `new Error().stack`
 * (`@pulumi/pulumi/runtime/debuggable.js`, `debuggablePromise`) so that it can explain a leaked
 * promise, but it prints those traces only when `PULUMI_DEBUG_PROMISE_LEAKS` is set. Reading
 * `.stack` runs `Error.prepareStackTrace`, which the Pulumi launcher (fed by the program's
 * loader, scripts/typescript-loader.js) and ts-node (under mocha) point at source-map-support:
 * each of those never-read traces is mapped frame by frame through the TypeScript source maps.
 * That was most of the time the program took to build a large graph (docs/benchmarks.md,
 * "Graph build").
 *
 * `skipSourceMapsForPromiseBookkeeping` wraps the installed formatter: a trace taken by that
 * bookkeeping becomes a one-line placeholder; every other trace (errors the program throws,
 * the resource source positions Pulumi records) is formatted exactly as before. With
 * `PULUMI_DEBUG_PROMISE_LEAKS` set nothing changes, so leak reports keep their traces.
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
