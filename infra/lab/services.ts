/**
 * The lab's services inside the namespace, started in dependency order and each awaited until
 * it answers: dnsmasq (config rendered by infra/edge-host, TFTP root with the pinned iPXE and the
 * lab roots), the asset server, fake Tailscale API and the boot service's TLS front end
 * (ns-services.ts), and the real boot service entry point on its embedded store.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ManagedProcess, run, waitFor } from "../process/processes";
import {
    bootServiceInternalUrl,
    bootServicePublicUrl,
    labBaseConfig,
    labBootEnv,
    labBootSettings,
    labSecrets,
    LAB_KEY_TAGS,
    parseBootServiceLine,
    RequestAddresses,
    talosTrustedRootsArg,
} from "./boot-service";
import { Context, LabFailure, nextEvent, nodeInNamespace, nsHttpGet, REPO_ROOT, waitReady } from "./context";
import { labDnsmasqConfig } from "./dnsmasq";
import { parseDnsmasqLine, parseServicesLine } from "./events";
import { layOutTftpRoot, type LabIpxe } from "./ipxe";
import { ASSETS_PORT, HTTPS_PORT, INVENTORY_MACHINES, LAB_GATEWAY, LAB_SITE, WRONG_PIN_MACHINE } from "./plan";
import { CACHE_DIR, type LabAssets } from "./prepare";
import { labPki, type LabPki } from "./tls";

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
    /** The lab's certificates (the root is what a verifying client trusts). */
    pki: LabPki;
    /** The iPXE the TFTP root serves. */
    ipxe: LabIpxe;
}

/** Starts dnsmasq, the asset server + fake Tailscale API, and the boot service; resolves once all answer. */
export async function startServices(ctx: Context, assets: LabAssets): Promise<LabServices> {
    const { out, res, bus } = ctx;
    const files: Record<string, string> = { [assets.kernelName]: assets.kernelPath, [assets.initramfsName]: assets.initramfsPath };

    // Certificates shaped like Cloud Run's chain; the TFTP root with the site's iPXE and roots.
    const pki = labPki(CACHE_DIR, ctx.workDir);
    out.say(`TLS: lab chain leaf ← Lab WR1 ← Lab Root R1 (sent cross-signed by Lab Legacy Root, as Google sends GTS Root R1); pinned: ${pki.anchors.fingerprints.map((f) => f.slice(0, 12)).join(", ")}`);
    const ipxe = await layOutTftpRoot({ tftpRoot: path.join(ctx.workDir, "tftp"), cacheDir: CACHE_DIR, customIpxeDir: ctx.opts.ipxeDir, anchors: pki.anchors, say: (m) => out.say(m) }).catch((err: Error) => {
        throw new LabFailure(err.message);
    });
    out.say(`ipxe: ${ipxe.description}; TFTP ${ipxe.tftpNames.bios} (BIOS), ${ipxe.tftpNames.efi} (UEFI), roots in ipxe-roots/`);

    // dnsmasq, with the edge site component's renderer.
    const secrets = labSecrets();
    const dnsmasq = labDnsmasqConfig({ workDir: ctx.workDir, siteToken: secrets.siteToken, anchors: pki.anchors, wrongAnchors: pki.wrongAnchors, ipxe });
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
    out.say(
        `dnsmasq: PID ${dnsmasqProc!.pid}, config from ${dnsmasq.renderer} (syntax ok), static leases ${INVENTORY_MACHINES.map((m) => `${m.ip} ${m.name}`).join(", ")}; ` +
            `iPXE → https://${LAB_SITE}:<site token>@${LAB_GATEWAY}:${HTTPS_PORT}/v1/sites/${LAB_SITE}/boot.ipxe; root pinned (175.90) and roots on TFTP (175.93); ${WRONG_PIN_MACHINE.name} pinned to an unrelated root`,
    );

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
                tls: { host: LAB_GATEWAY, port: HTTPS_PORT, keyFile: pki.serverKeyFile, chainFile: pki.serverChainFile, upstream: bootServiceInternalUrl() },
            }),
        },
        (line) => {
            const e = parseServicesLine(line);
            if (e) bus.emit(e);
        },
    );
    const ready = await waitReady(ctx, services, "asset server / fake Tailscale API", servicesReady, 30_000);
    out.say(`asset server ${ready.assetsUrl}, fake Tailscale API ${ready.tailscaleApiUrl} (namespace loopback) and the boot service's TLS front end ${ready.httpsUrl}: PID ${services.pid}`);

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
        // Real Talos verifies the config download against its roots: give it the lab's (the stand-in does not verify).
        kernelArgs: assets.kind === "talos" ? [...assets.kernelArgs, talosTrustedRootsArg(fs.readFileSync(pki.rootFile, "utf8"))] : assets.kernelArgs,
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
            async () => ((await nsHttpGet(ctx, `${bootServiceInternalUrl()}/healthz`, 3000).catch(() => ({ status: 0 }))).status === 200 ? true : undefined),
            { timeoutMs: BOOT_SERVICE_READY_MS, intervalMs: 300, signal: ctx.signal },
        ).catch((err: Error) => {
            if (ctx.signal.aborted) throw err;
            const log = path.join(ctx.workDir, `${bootService.name}.log`);
            throw new LabFailure(`the boot service did not answer /healthz within ${BOOT_SERVICE_READY_MS / 1000} s (1-minute load ${os.loadavg()[0]!.toFixed(1)}); its log: ${log}${ctx.opts.keep ? "" : " (kept in .lab/last-failure)"}`);
        }),
        BOOT_SERVICE_READY_MS + 5000,
    );
    out.say(
        `boot service ${bootServiceInternalUrl()} (behind ${bootServicePublicUrl()}): PID ${bootService.pid}, embedded PGlite store in ${dataDir}, inventory site "${LAB_SITE}" with ${INVENTORY_MACHINES.map((m) => m.name).join(", ")}, key backend tailscale → fake API; /healthz ok`,
    );
    return { bootService, dataDir, pki, ipxe };
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
