/**
 * The lab's services inside the namespace, started in dependency order and each awaited until
 * it answers: dnsmasq (config rendered by infra/edge-host), the asset server and fake Tailscale
 * API (ns-services.ts), and the real boot service entry point on its embedded store.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ManagedProcess, run, waitFor } from "../process/processes";
import {
    bootServiceBaseUrl,
    labBaseConfig,
    labBootEnv,
    labBootSettings,
    labSecrets,
    LAB_KEY_TAGS,
    parseBootServiceLine,
    RequestAddresses,
} from "./boot-service";
import { Context, LabFailure, nextEvent, nodeInNamespace, nsHttpGet, REPO_ROOT, waitReady } from "./context";
import { labDnsmasqConfig } from "./dnsmasq";
import { parseDnsmasqLine, parseServicesLine } from "./events";
import { ASSETS_PORT, KNOWN_MACHINE, LAB_GATEWAY, LAB_SITE } from "./plan";
import type { LabAssets } from "./prepare";

const BOOT_SERVER_MAIN = path.join(REPO_ROOT, "infra", "boot-server", "src", "server.ts");
const NS_SERVICES_MAIN = path.join(__dirname, "ns-services.ts");
/**
 * Bound on the boot service's cold start: ts-node compiling it, then PGlite creating its store
 * on disk. That took over 45 s here on a shared 2-vCPU machine at load 12.
 */
const BOOT_SERVICE_READY_MS = 90_000;

export interface LabServices {
    bootService: ManagedProcess;
    /** The boot service's embedded store, read directly after it stops. */
    dataDir: string;
}

/** Starts dnsmasq, the asset server + fake Tailscale API, and the boot service; resolves once all answer. */
export async function startServices(ctx: Context, assets: LabAssets): Promise<LabServices> {
    const { out, res, bus } = ctx;
    const files: Record<string, string> = { [assets.kernelName]: assets.kernelPath, [assets.initramfsName]: assets.initramfsPath };

    // dnsmasq, with the edge site component's renderer.
    const secrets = labSecrets();
    const dnsmasq = labDnsmasqConfig({ workDir: ctx.workDir, siteToken: secrets.siteToken });
    const confFile = path.join(ctx.workDir, "dnsmasq.conf");
    fs.writeFileSync(confFile, dnsmasq.text, { mode: 0o600 });
    const syntax = run("dnsmasq", ["--test", `--conf-file=${confFile}`], { allowFail: true });
    if (syntax.status !== 0) throw new LabFailure(`dnsmasq rejects the rendered config: ${(syntax.stderr || syntax.stdout).trim()}`);
    let dnsmasqProc: ManagedProcess | undefined;
    const dnsmasqReady = new Promise<void>((resolve) => {
        dnsmasqProc = res.start("dnsmasq", "ip", ["netns", "exec", ctx.ns, "dnsmasq", ...dnsmasq.args, `--conf-file=${confFile}`], {
            logFile: path.join(ctx.workDir, "dnsmasq.log"),
            onLine: (line) => {
                ctx.out.raw("dnsmasq", line);
                if (/DHCP, sockets bound exclusively|DHCP, IP range/.test(line)) resolve();
                const e = parseDnsmasqLine(line);
                if (e) bus.emit(e);
            },
        });
    });
    await waitReady(ctx, dnsmasqProc!, "dnsmasq", dnsmasqReady, 10_000);
    out.say(`dnsmasq: PID ${dnsmasqProc!.pid}, config from ${dnsmasq.renderer} (syntax ok), static lease ${KNOWN_MACHINE.ip} for ${KNOWN_MACHINE.mac}, iPXE → ${bootServiceBaseUrl()}/v1/sites/${LAB_SITE}/boot.ipxe?token=…`);

    // Asset server + fake Tailscale API.
    const servicesReady = nextEvent(bus, "services-ready");
    const services = nodeInNamespace(
        ctx,
        "ns-services",
        NS_SERVICES_MAIN,
        {
            LAB_SERVICES: JSON.stringify({
                assetsHost: LAB_GATEWAY,
                assetsPort: ASSETS_PORT,
                files,
                oauthClientId: secrets.oauthClientId,
                oauthClientSecret: secrets.oauthClientSecret,
                clientTags: LAB_KEY_TAGS,
            }),
        },
        (line) => {
            const e = parseServicesLine(line);
            if (e) bus.emit(e);
        },
    );
    const ready = await waitReady(ctx, services, "asset server / fake Tailscale API", servicesReady, 30_000);
    out.say(`asset server ${ready.assetsUrl} and fake Tailscale API ${ready.tailscaleApiUrl} (namespace loopback): PID ${services.pid}`);

    // The boot service, its real entry point, on the embedded store.
    const caPem = makeLabCa(ctx.workDir);
    const baseConfigFile = path.join(ctx.workDir, "base-config.yaml");
    fs.writeFileSync(baseConfigFile, labBaseConfig(caPem), { mode: 0o600 });
    const settings = labBootSettings({
        assetsUrl: ready.assetsUrl,
        kernelName: assets.kernelName,
        initramfsName: assets.initramfsName,
        tailscaleApiUrl: ready.tailscaleApiUrl,
        installerImage: assets.installerImage,
        kernelArgs: assets.kernelArgs,
    });
    const dataDir = path.join(ctx.workDir, "store");
    const addresses = new RequestAddresses();
    const bootService = nodeInNamespace(ctx, "boot-service", BOOT_SERVER_MAIN, labBootEnv({ settings, secrets, baseConfigFile, dataDir }), (line) => {
        const e = parseBootServiceLine(line, addresses);
        if (e) bus.emit(e);
    });
    await waitReady(
        ctx,
        bootService,
        "boot service",
        waitFor(
            "the boot service's /healthz",
            async () => ((await nsHttpGet(ctx, `${bootServiceBaseUrl()}/healthz`, 3000).catch(() => ({ status: 0 }))).status === 200 ? true : undefined),
            { timeoutMs: BOOT_SERVICE_READY_MS, intervalMs: 300, signal: ctx.signal },
        ).catch((err: Error) => {
            if (ctx.signal.aborted) throw err;
            const log = path.join(ctx.workDir, `${bootService.name}.log`);
            throw new LabFailure(`the boot service did not answer /healthz within ${BOOT_SERVICE_READY_MS / 1000} s (1-minute load ${os.loadavg()[0]!.toFixed(1)}); its log: ${log}${ctx.opts.keep ? "" : " (kept in .lab/last-failure)"}`);
        }),
        BOOT_SERVICE_READY_MS + 5000,
    );
    out.say(`boot service ${bootServiceBaseUrl()}: PID ${bootService.pid}, embedded PGlite store in ${dataDir}, inventory site "${LAB_SITE}" with ${KNOWN_MACHINE.name} (${KNOWN_MACHINE.mac}), key backend tailscale → fake API; /healthz ok`);
    return { bootService, dataDir };
}

/** A throwaway CA certificate for the lab worker config (openssl), or a placeholder when openssl is absent. */
function makeLabCa(workDir: string): string {
    const crt = path.join(workDir, "lab-ca.crt");
    const res = run(
        "openssl",
        ["req", "-x509", "-newkey", "ed25519", "-nodes", "-keyout", path.join(workDir, "lab-ca.key"), "-subj", "/O=talos-cloud-edge lab", "-days", "1", "-out", crt],
        { allowFail: true },
    );
    return res.status === 0 && fs.existsSync(crt) ? fs.readFileSync(crt, "utf8") : "-----BEGIN CERTIFICATE-----\nlab placeholder\n-----END CERTIFICATE-----\n";
}
