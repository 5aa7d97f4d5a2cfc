/**
 * What the bench children (server-child.ts, hello-child.ts) and run.ts say to each other over
 * IPC, and how the children write their log lines.
 */
import pino from "pino";

/** Child -> parent: ready on a port, failed to start, or its CPU time so far (user + system, µs). */
export type ChildMessage = { type: "ready"; port: number } | { type: "error"; message: string } | { type: "cpu"; micros: number };

/**
 * Answers the parent's {type: "cpu"} with the process's CPU time so far: CPU per request does not
 * depend on how busy the machine is, wall-clock figures do.
 */
export function answerCpuQueries(): void {
    process.on("message", (msg: { type?: string }) => {
        if (msg?.type !== "cpu") return;
        const { user, system } = process.cpuUsage();
        process.send?.({ type: "cpu", micros: user + system } satisfies ChildMessage);
    });
}

/**
 * Where a child's log lines go: the destination pino gives the deployed service for stdout (an
 * asynchronous SonicBoom that writes what accumulated while its last write was on its way), on a
 * file instead of stdout. A log line then costs what it costs in production; through the
 * `fs.WriteStream` used before, which batches differently, a config fetch cost the service
 * 16–18 µs less (docs/benchmarks.md).
 */
export function productionLogDestination(file: string): ReturnType<typeof pino.destination> {
    return pino.destination({ dest: file, append: true });
}

/** Writes out what the destination still holds, closes it, then exits the child with 0. */
export function endLog(log: ReturnType<typeof productionLogDestination>): void {
    log.once("close", () => process.exit(0));
    log.end();
}
