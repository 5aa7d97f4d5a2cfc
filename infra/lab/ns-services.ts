/**
 * The lab's helper services, run INSIDE the lab network namespace by the orchestrator
 * (`ip netns exec <ns> node … infra/lab/ns-services.ts`):
 *  - a static file server on the bridge address for the kernel and initramfs (the boot
 *    service never proxies assets; its settings point the edge asset URLs here);
 *  - the fake Tailscale API (testing/fakes) on the namespace's loopback, so the boot
 *    service performs a real OAuth client-credentials + create-key exchange for each boot.
 * Reports to the orchestrator as one JSON object per stdout line (`event` field).
 *
 * Input: env LAB_SERVICES (JSON, see NsServicesConfig). Stops on SIGTERM/SIGINT.
 */
import Fastify from "fastify";
import * as fs from "node:fs";
import { startFakeTailscaleApi } from "../../testing/fakes/tailscale-api";

export interface NsServicesConfig {
    /** Address the asset server binds (the bridge address). */
    assetsHost: string;
    /** Asset server port. */
    assetsPort: number;
    /** Published file name -> absolute path. Only these names are served. */
    files: Record<string, string>;
    /** OAuth client the fake Tailscale API accepts (lab-only values). */
    oauthClientId: string;
    oauthClientSecret: string;
    /** Tags the fake OAuth client owns. */
    clientTags: string[];
}

function emit(event: Record<string, unknown>): void {
    process.stdout.write(`${JSON.stringify({ source: "ns-services", time: Date.now(), ...event })}\n`);
}

async function main(): Promise<void> {
    const raw = process.env.LAB_SERVICES;
    if (!raw) {
        throw new Error("LAB_SERVICES (JSON) is required; this helper is started by infra/lab/lab.ts");
    }
    const config = JSON.parse(raw) as NsServicesConfig;

    const tailscale = await startFakeTailscaleApi({
        clientId: config.oauthClientId,
        clientSecret: config.oauthClientSecret,
        clientTags: config.clientTags,
    });
    // Report each minted key once: the orchestrator checks that the served config carries it.
    let reported = 0;
    const reportKeys = setInterval(() => {
        while (reported < tailscale.mintedKeys.length) {
            const k = tailscale.mintedKeys[reported++]!;
            emit({ event: "key-minted", id: k.id, key: k.key, tags: k.tags, reusable: k.reusable, preauthorized: k.preauthorized, ephemeral: k.ephemeral, expires: k.expires, description: k.description });
        }
    }, 50);

    const app = Fastify({ logger: false, forceCloseConnections: true });
    app.get<{ Params: { name: string } }>("/assets/:name", async (req, reply) => {
        const file = Object.prototype.hasOwnProperty.call(config.files, req.params.name) ? config.files[req.params.name] : undefined;
        emit({ event: "asset-request", name: req.params.name, remote: req.ip, userAgent: req.headers["user-agent"] ?? "" });
        if (!file) {
            emit({ event: "asset-served", name: req.params.name, status: 404, bytes: 0, remote: req.ip });
            return reply.code(404).send("not found\n");
        }
        const size = fs.statSync(file).size;
        reply.raw.on("finish", () => emit({ event: "asset-served", name: req.params.name, status: 200, bytes: size, remote: req.ip }));
        return reply.header("content-type", "application/octet-stream").header("content-length", size).send(fs.createReadStream(file));
    });
    await app.listen({ host: config.assetsHost, port: config.assetsPort });

    emit({ event: "ready", assetsUrl: `http://${config.assetsHost}:${config.assetsPort}/assets`, tailscaleApiUrl: tailscale.url });

    const stop = async (): Promise<void> => {
        clearInterval(reportKeys);
        await Promise.allSettled([app.close(), tailscale.close()]);
        process.exit(0);
    };
    process.once("SIGTERM", () => void stop());
    process.once("SIGINT", () => void stop());
}

main().catch((err: unknown) => {
    emit({ event: "error", message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
});
