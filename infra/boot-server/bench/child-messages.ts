/** What the bench children (server-child.ts, hello-child.ts) and run.ts say to each other over IPC. */

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
