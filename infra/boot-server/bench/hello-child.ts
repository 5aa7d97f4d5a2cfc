/**
 * The benchmark's Node.js reference: a minimal Fastify app with one GET route that answers a
 * fixed body the size of a machine script, in its own process, with the boot service's logging
 * setup (`fastifyLogging`: the same pino options, redaction, serializers and one request line
 * per request, written to a file). No validation, no store, no hooks, no rate limit. What it reaches is the ceiling
 * for any endpoint of a Fastify service on this machine; the boot service's rows are read
 * against it as well as against nginx.
 *
 * Usage (by run.ts only): node -r ts-node/register/transpile-only hello-child.ts <input.json>
 *   input.json: {bodyBytes, logFile}
 */
import * as fs from "node:fs";
import type { AddressInfo } from "node:net";
import Fastify from "fastify";
import { fastifyLogging } from "../src/logger";
import { answerCpuQueries, type ChildMessage, endLog, productionLogDestination } from "./child-messages";

interface HelloInput {
    bodyBytes: number;
    logFile: string;
}

async function main(): Promise<void> {
    const inputPath = process.argv[2];
    if (!inputPath || !process.send) {
        process.stderr.write("hello-child.ts is started by bench/run.ts (npm run bench:boot), not by hand\n");
        process.exit(2);
    }
    const input = JSON.parse(fs.readFileSync(inputPath, "utf8")) as HelloInput;
    const body = `#!ipxe\n${"#".repeat(Math.max(0, input.bodyBytes - 8))}\n`;
    const log = productionLogDestination(input.logFile);
    const app = Fastify(fastifyLogging("info", log));
    app.get("/hello", async (_req, reply) => reply.type("text/plain; charset=utf-8").send(body));
    await app.listen({ host: "127.0.0.1", port: 0 });
    const port = (app.server.address() as AddressInfo).port;

    let stopping = false;
    const stop = (): void => {
        if (stopping) return;
        stopping = true;
        const force = setTimeout(() => process.exit(1), 5000);
        force.unref();
        app.close().finally(() => endLog(log));
    };
    answerCpuQueries();
    process.on("disconnect", stop);
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    process.send({ type: "ready", port } satisfies ChildMessage);
}

main().catch((err: Error) => {
    process.send?.({ type: "error", message: err.message } satisfies ChildMessage);
    process.exit(1);
});
