/**
 * The lab's helper services, run INSIDE the lab network namespace by the orchestrator
 * (`ip netns exec <ns> node … infra/lab/ns-services.ts`):
 *  - a static file server on the bridge address for the kernel and initramfs (the boot
 *    service never proxies assets; its settings point the edge asset URLs here);
 *  - the fake Tailscale API (testing/fakes) on the namespace's loopback, so the boot
 *    service performs a real OAuth client-credentials + create-key exchange for each boot;
 *  - the boot service's TLS front end on the bridge address, standing in for Cloud Run's: it
 *    terminates TLS with the lab chain (infra/lab/tls.ts), forwards each request to the service
 *    on the namespace's loopback with X-Forwarded-For/-Proto, and reports each request (TLS
 *    version, cipher, whether it carried credentials or a `token` in its query, never their
 *    values) and each refused handshake.
 * Reports to the orchestrator as one JSON object per stdout line (`event` field).
 *
 * Input: env LAB_SERVICES (JSON, see NsServicesConfig). Stops on SIGTERM/SIGINT.
 */
import Fastify from "fastify";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
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
    /** The TLS front end of the boot service. */
    tls: {
        host: string;
        port: number;
        /** PEM: the leaf's key, and the chain sent (leaf, intermediate, cross-signed root). */
        keyFile: string;
        chainFile: string;
        /** The boot service, e.g. http://127.0.0.1:8080. */
        upstream: string;
    };
}

/**
 * TLS 1.2 and up. SECLEVEL=0 only because the stand-in's busybox wget sends no
 * signature_algorithms extension (it then needs SHA-1 signatures in the handshake); iPXE and
 * real clients negotiate SHA-256 anyway. Lab only: Cloud Run's front end is not configurable.
 */
const TLS_CIPHERS = "DEFAULT:@SECLEVEL=0";

/** Starts the TLS front end; resolves once it listens. */
function startTlsFrontEnd(tls: NsServicesConfig["tls"]): Promise<https.Server> {
    const upstream = new URL(tls.upstream);
    const server = https.createServer(
        { key: fs.readFileSync(tls.keyFile), cert: fs.readFileSync(tls.chainFile), minVersion: "TLSv1.2", ciphers: TLS_CIPHERS },
        (req, res) => {
            const socket = req.socket as TLSSocket;
            const remote = socket.remoteAddress?.replace(/^::ffff:/, "") ?? "";
            const [pathOnly, query = ""] = (req.url ?? "").split("?", 2);
            const auth = req.headers.authorization;
            const record = {
                remote,
                method: req.method,
                path: pathOnly!.replace(/^\/v1\/config\/[^/]+/, "/v1/config/[ticket]"),
                queryHasToken: /(^|&)token=/.test(query),
                auth: auth === undefined ? "none" : /^Basic /i.test(auth) ? "basic" : "other",
                tls: socket.getProtocol(),
                cipher: socket.getCipher()?.name,
                userAgent: req.headers["user-agent"] ?? "",
            };
            const forward = http.request(
                {
                    host: upstream.hostname,
                    port: upstream.port,
                    method: req.method,
                    path: req.url,
                    headers: { ...req.headers, "x-forwarded-for": remote, "x-forwarded-proto": "https" },
                },
                (answer) => {
                    emit({ event: "https-request", ...record, status: answer.statusCode });
                    res.writeHead(answer.statusCode ?? 502, answer.headers);
                    answer.pipe(res);
                },
            );
            forward.on("error", (err) => {
                emit({ event: "https-request", ...record, status: 502, error: err.message });
                res.writeHead(502).end();
            });
            req.pipe(forward);
        },
    );
    // A client that refuses our certificate aborts the handshake: no request reaches the service.
    // By then the socket has no address any more: keep each connection's from when it opened
    // (the TLS socket's `_parent` is the accepted connection; Node has no public link).
    const addresses = new WeakMap<object, string>();
    server.on("connection", (raw: Socket) => addresses.set(raw, raw.remoteAddress?.replace(/^::ffff:/, "") ?? ""));
    server.on("tlsClientError", (err: NodeJS.ErrnoException, socket: TLSSocket & { _parent?: Socket }) => {
        const remote = (socket._parent && addresses.get(socket._parent)) ?? "";
        emit({ event: "tls-refused", remote, reason: err.code ?? err.message });
    });
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(tls.port, tls.host, () => resolve(server));
    });
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
    const front = await startTlsFrontEnd(config.tls);

    emit({ event: "ready", assetsUrl: `http://${config.assetsHost}:${config.assetsPort}/assets`, tailscaleApiUrl: tailscale.url, httpsUrl: `https://${config.tls.host}:${config.tls.port}` });

    const stop = async (): Promise<void> => {
        clearInterval(reportKeys);
        front.closeAllConnections();
        await Promise.allSettled([app.close(), tailscale.close(), new Promise((r) => front.close(r))]);
        process.exit(0);
    };
    process.once("SIGTERM", () => void stop());
    process.once("SIGINT", () => void stop());
}

main().catch((err: unknown) => {
    emit({ event: "error", message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
});
