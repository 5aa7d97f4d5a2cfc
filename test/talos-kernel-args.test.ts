import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderMachineBootScript } from "../infra/boot-server/src/ipxe";
import { parseBootSettings } from "../infra/boot-server/src/settings";
import {
    bootServiceKernelArgs,
    edgeKernelArgs,
    factoryMetalKernelArgs,
    factoryMetalKernelCommandLine,
    fetchFactoryKernelCommandLine,
    splitKernelCommandLine,
} from "../lib/talos/kernelArgs";
import { readVendorFile } from "./talos-vendor";

/** Image Factory's `cmdline-metal-amd64` for v1.12.4, as published (vendored SOURCE.md). */
const V1_12_4_AMD64 =
    "talos.platform=metal console=tty0 init_on_alloc=1 slab_nomerge pti=on consoleblank=0 nvme_core.io_timeout=4294967295 printk.devkmsg=on selinux=1 module.sig_enforce=1";
const V1_12_ARGS = ["init_on_alloc=1", "slab_nomerge", "pti=on", "consoleblank=0", "nvme_core.io_timeout=4294967295", "printk.devkmsg=on", "selinux=1", "module.sig_enforce=1"];
const TICKET_URL = "https://boot.example.com/v1/config/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/** A fetch that answers one URL with `body` and records what was asked. */
function fakeFetch(status: number, body: string, asked: string[]): typeof fetch {
    return (async (input: string | URL | Request) => {
        asked.push(String(input));
        return new Response(body, { status });
    }) as typeof fetch;
}

describe("lib/talos/kernelArgs", () => {
    it("gives Image Factory's exact v1.12.4 metal amd64 command line", () => {
        assert.equal(factoryMetalKernelCommandLine("v1.12.4", "amd64"), V1_12_4_AMD64);
        // The pinned literal is the one the vendored reference data records.
        assert.ok(readVendorFile("SOURCE.md").includes(`\`${V1_12_4_AMD64}\``), "SOURCE.md records a different line");
    });

    it("gives arm64 the metal platform's arm64 console and the same defaults (pti=on included)", () => {
        assert.deepEqual(factoryMetalKernelArgs("v1.12.4", "arm64"), ["talos.platform=metal", "console=ttyAMA0", "console=tty0", ...V1_12_ARGS]);
        assert.equal(factoryMetalKernelCommandLine("v1.12.0", "amd64"), V1_12_4_AMD64, "same rules for every v1.12 patch release");
    });

    it("refuses a release whose rules are not pinned, saying what is and how to extend it", () => {
        for (const version of ["v1.11.5", "v1.13.0", "1.12.4", "latest"]) {
            assert.throws(() => factoryMetalKernelArgs(version, "amd64"), /pins Image Factory's metal command line for v1\.12\.x only.*cmdline-metal-<arch>/);
        }
        assert.throws(() => factoryMetalKernelArgs("v1.12.4", "riscv64" as "amd64"), /not amd64 or arm64/);
    });

    it("leaves talos.platform, console and talos.config to the boot service", () => {
        assert.deepEqual(bootServiceKernelArgs(splitKernelCommandLine(`${V1_12_4_AMD64} talos.config=https://x/y console=ttyS0,115200\n`)), V1_12_ARGS);
        assert.deepEqual(edgeKernelArgs("v1.12.4", ["amd64", "arm64"]), V1_12_ARGS);
        assert.throws(() => edgeKernelArgs("v1.12.4", []), /no edge architecture/);
    });

    it("the PXE kernel line is the factory's with the configured consoles and this boot's talos.config", () => {
        const settings = parseBootSettings({
            trustedProxyHops: 0,
            assets: {
                amd64: { kernelUrl: "https://factory.talos.dev/image/abc/v1.12.4/kernel-amd64", initramfsUrl: "https://factory.talos.dev/image/abc/v1.12.4/initramfs-amd64.xz" },
                arm64: { kernelUrl: "https://factory.talos.dev/image/abc/v1.12.4/kernel-arm64", initramfsUrl: "https://factory.talos.dev/image/abc/v1.12.4/initramfs-arm64.xz", consoleArgs: ["console=ttyAMA0", "console=tty0"] },
            },
            consoleArgs: ["console=tty0", "console=ttyS0,115200"],
            kernelArgs: edgeKernelArgs("v1.12.4", ["amd64", "arm64"]),
            installerImage: "factory.talos.dev/metal-installer/abc:v1.12.4",
            keyBackend: { kind: "static", expirySeconds: 3600 },
            sites: [{ name: "alpha", machines: [{ name: "edge-1", mac: "52:54:00:00:01:01", installDisk: "/dev/vda" }] }],
        });
        const lineFor = (arch: "amd64" | "arm64"): string => {
            const script = renderMachineBootScript({
                site: "alpha",
                machine: "edge-1",
                kernelUrl: settings.assets[arch]!.kernelUrl,
                initramfsUrl: settings.assets[arch]!.initramfsUrl,
                kernelArgs: [...settings.assets[arch]!.consoleArgs, ...settings.kernelArgs],
                configUrl: TICKET_URL,
                retry: { attempts: 3, delaySeconds: 5 },
            });
            const kernel = script.split("\n").find((l) => l.startsWith("kernel "))!;
            return kernel.replace(/^kernel \S+ /, "").replace(/ \|\| goto retry$/, "");
        };
        assert.equal(lineFor("amd64"), `${V1_12_4_AMD64.replace("console=tty0", "console=tty0 console=ttyS0,115200")} talos.config=${TICKET_URL}`);
        assert.equal(lineFor("arm64"), `${factoryMetalKernelCommandLine("v1.12.4", "arm64")} talos.config=${TICKET_URL}`);
    });

    it("the README's local example settings carry the v1.12.4 factory arguments for their v1.12.4 assets", () => {
        const file = path.resolve(__dirname, "..", "infra/boot-server/examples/settings.local.json");
        const example = JSON.parse(fs.readFileSync(file, "utf8"));
        assert.match(example.assets.amd64.kernelUrl, /\/v1\.12\.4\/kernel-amd64$/);
        assert.deepEqual(example.kernelArgs, edgeKernelArgs("v1.12.4", ["amd64"]));
    });

    it("reads a command line from Image Factory and refuses what is not one", async () => {
        const url = "https://factory.talos.dev/image/376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba/v1.12.4/cmdline-metal-amd64";
        const asked: string[] = [];
        assert.deepEqual(await fetchFactoryKernelCommandLine(url, { fetch: fakeFetch(200, `${V1_12_4_AMD64}\n`, asked) }), factoryMetalKernelArgs("v1.12.4", "amd64"));
        assert.deepEqual(asked, [url]);
        await assert.rejects(fetchFactoryKernelCommandLine(url, { fetch: fakeFetch(404, "not found", []) }), /GET .*cmdline-metal-amd64: HTTP 404/);
        await assert.rejects(fetchFactoryKernelCommandLine(url, { fetch: fakeFetch(200, "<html>\u00e9</html>", []) }), /did not return a kernel command line/);
        await assert.rejects(fetchFactoryKernelCommandLine("https://factory.talos.dev/image/x/v1.12.4/kernel-amd64", { fetch: fakeFetch(200, "", []) }), /not an Image Factory cmdline URL/);
    });
});
