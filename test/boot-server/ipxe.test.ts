import { strict as assert } from "node:assert";
import {
    configUrl,
    kernelCommandLine,
    MACHINE_URL,
    machineUrlTemplate,
    renderLocalBootScript,
    renderMachineBootScript,
    renderSiteScript,
    renderWaitScript,
    siteScriptUrl,
} from "../../infra/boot-server/src/ipxe";
import { INITRAMFS_URL, KERNEL_URL, SITE_TOKENS } from "./fixtures";

const BASE = "https://boot.example.run.app";
const TOKEN = SITE_TOKENS.alpha;
const TICKET = "A".repeat(21) + "_-" + "b".repeat(20);
const RETRY = { attempts: 7, delaySeconds: 4 };

function lines(script: string): string[] {
    return script.split("\n");
}

/** Checks the bounded-retry idiom: counter, test against the bound, jump back, and a final reboot. */
function assertBoundedRetry(script: string, label: string, attempts: number, delay: number): void {
    const l = lines(script);
    assert.ok(l.includes("set attempts:int32 0"));
    assert.ok(l.includes(`:${label}`));
    assert.ok(l.includes("inc attempts"));
    assert.ok(l.includes(`iseq \${attempts} ${attempts} && goto give_up ||`));
    assert.ok(l.includes(`sleep ${delay}`));
    assert.ok(l.includes(`goto ${label}`));
    assert.ok(l.includes(":give_up"));
    assert.equal(l.filter((x) => x.trim() !== "").at(-1), "reboot");
    assert.ok(l.indexOf("set attempts:int32 0") < l.indexOf(`:${label}`), "counter is set once, before the loop");
}

describe("boot-server iPXE scripts", () => {
    it("documents the site URL shape", () => {
        assert.equal(siteScriptUrl(BASE, "alpha", TOKEN), `${BASE}/v1/sites/alpha/boot.ipxe?token=${TOKEN}`);
    });

    it("site script chains to the relative machine URL (no token anywhere) with iPXE's identifiers", () => {
        assert.equal(MACHINE_URL, "machine.ipxe?mac=${mac:hexhyp}&uuid=${uuid}&serial=${serial:uristring}&arch=${buildarch}&platform=${platform}");
        // Resolved as iPXE resolves it: against the site URL, keeping its credentials.
        const resolved = new URL(MACHINE_URL, `https://alpha:${TOKEN}@boot.example.run.app/v1/sites/alpha/boot.ipxe`);
        assert.equal(`${resolved.username}:${resolved.password}@${resolved.host}${resolved.pathname}`, `alpha:${TOKEN}@boot.example.run.app/v1/sites/alpha/machine.ipxe`);
        for (const script of [
            renderSiteScript({ site: "alpha", machineUrl: MACHINE_URL, retry: RETRY }),
            renderWaitScript({ site: "alpha", machineUrl: MACHINE_URL, waitSeconds: 30, retry: RETRY }),
        ]) {
            assert.ok(lines(script).includes(`chain --replace --autofree ${MACHINE_URL} || goto retry`));
            assert.ok(!script.includes(TOKEN));
        }
        for (const near of [`../beta/${MACHINE_URL}`, `/v1/sites/beta/${MACHINE_URL}`, `${MACHINE_URL} || reboot`, "machine.ipxe?mac=${mac}"]) {
            assert.throws(() => renderSiteScript({ site: "alpha", machineUrl: near, retry: RETRY }), /not a machine URL template/, near);
        }
    });

    it("site script for an old ?token= request chains to the old absolute machine URL with iPXE's identifiers", () => {
        const url = machineUrlTemplate(BASE, "alpha", TOKEN);
        assert.equal(
            url,
            `${BASE}/v1/sites/alpha/machine.ipxe?token=${TOKEN}` +
                "&mac=${mac:hexhyp}&uuid=${uuid}&serial=${serial:uristring}&arch=${buildarch}&platform=${platform}",
        );
        const script = renderSiteScript({ site: "alpha", machineUrl: url, retry: RETRY });
        assert.equal(lines(script)[0], "#!ipxe");
        assert.ok(lines(script).includes(`chain --replace --autofree ${url} || goto retry`));
        assertBoundedRetry(script, "chain", 7, 4);
    });

    it("machine script boots the assets straight from their URLs with the ticket's config URL", () => {
        const cfg = configUrl(BASE, TICKET);
        assert.equal(cfg, `${BASE}/v1/config/${TICKET}`);
        const script = renderMachineBootScript({
            site: "alpha",
            machine: "edge-1",
            kernelUrl: KERNEL_URL,
            initramfsUrl: INITRAMFS_URL,
            kernelArgs: ["console=tty0", "console=ttyS0,115200", "init_on_alloc=1"],
            configUrl: cfg,
            retry: RETRY,
        });
        const l = lines(script);
        assert.equal(l[0], "#!ipxe");
        assert.ok(l.includes("imgfree"));
        assert.ok(
            l.includes(`kernel ${KERNEL_URL} talos.platform=metal console=tty0 console=ttyS0,115200 init_on_alloc=1 talos.config=${cfg} || goto retry`),
            script,
        );
        assert.ok(l.includes(`initrd ${INITRAMFS_URL} || goto retry`));
        assert.ok(l.includes("boot || goto retry"));
        assert.equal(script.split(BASE).length - 1, 1, "the service URL appears only in talos.config: assets are never proxied");
        assertBoundedRetry(script, "assets", 7, 4);
    });

    it("wait script sleeps, then asks again with fresh iPXE values", () => {
        const url = machineUrlTemplate(BASE, "alpha", TOKEN);
        const script = renderWaitScript({ site: "alpha", machineUrl: url, waitSeconds: 45, retry: RETRY });
        const l = lines(script);
        assert.equal(l[0], "#!ipxe");
        assert.ok(l.indexOf("sleep 45") > 0 && l.indexOf("sleep 45") < l.findIndex((x) => x.startsWith("chain ")));
        assert.ok(l.includes(`chain --replace --autofree ${url} || goto retry`));
        assert.ok(script.includes("${mac}"), "identifiers shown come from iPXE, not the request");
        assertBoundedRetry(script, "chain", 7, 4);
    });

    it("local-boot script says why on the console and exits to the firmware with an error status", () => {
        const script = renderLocalBootScript({ site: "alpha", machine: "edge-1", enrollment: 3 });
        const l = lines(script);
        assert.equal(l[0], "#!ipxe");
        assert.ok(l.some((x) => x.startsWith("echo ") && x.includes("edge-1") && x.includes("alpha") && x.includes("enrollment 3")));
        // A non-zero status makes a UEFI boot manager try the next boot option instead of its menu.
        assert.equal(l.filter((x) => x.trim() !== "").at(-1), "exit 1");
        assert.ok(!/\b(chain|kernel|initrd|boot|sanboot|reboot)\b/.test(l.filter((x) => !x.startsWith("echo ") && !x.startsWith("#")).join("\n")), "nothing is loaded");
        assert.ok(!script.includes("$"), "no iPXE expansion");
    });

    it("puts talos.platform first and talos.config last on the command line", () => {
        const line = kernelCommandLine(["console=tty0"], `${BASE}/v1/config/${TICKET}`);
        assert.equal(line, `talos.platform=metal console=tty0 talos.config=${BASE}/v1/config/${TICKET}`);
    });

    const hostile: Array<[string, () => string]> = [
        ["a site name with a newline", () => siteScriptUrl(BASE, "alpha\nreboot", TOKEN)],
        ["a site name with ${}", () => machineUrlTemplate(BASE, "${x}", TOKEN)],
        ["a token with a space", () => machineUrlTemplate(BASE, "alpha", "tok en-0123456789abcdefghij")],
        ["a token with ||", () => machineUrlTemplate(BASE, "alpha", "token||reboot-0123456789abc")],
        ["a base URL with a path", () => configUrl(`${BASE}/x y`, TICKET)],
        ["a base URL with $", () => configUrl("https://a${b}.example", TICKET)],
        ["a short ticket", () => configUrl(BASE, "abc")],
        ["a ticket with a newline", () => configUrl(BASE, `${TICKET.slice(0, 42)}\n`)],
        ["a kernel argument with a space", () => kernelCommandLine(["console=tty0 ; reboot"], `${BASE}/v1/config/${TICKET}`)],
        ["a kernel argument with ${", () => kernelCommandLine(["x=${serial}"], `${BASE}/v1/config/${TICKET}`)],
        ["a kernel argument with ||", () => kernelCommandLine(["a||b"], `${BASE}/v1/config/${TICKET}`)],
        [
            "a kernel URL with a space",
            () =>
                renderMachineBootScript({
                    site: "alpha",
                    machine: "edge-1",
                    kernelUrl: "https://x.example/k boot",
                    initramfsUrl: INITRAMFS_URL,
                    kernelArgs: [],
                    configUrl: configUrl(BASE, TICKET),
                    retry: RETRY,
                }),
        ],
        [
            "an initramfs URL with &&",
            () =>
                renderMachineBootScript({
                    site: "alpha",
                    machine: "edge-1",
                    kernelUrl: KERNEL_URL,
                    initramfsUrl: "https://x.example/i&&reboot",
                    kernelArgs: [],
                    configUrl: configUrl(BASE, TICKET),
                    retry: RETRY,
                }),
        ],
        [
            "a machine name with a newline",
            () =>
                renderMachineBootScript({
                    site: "alpha",
                    machine: "edge\n#",
                    kernelUrl: KERNEL_URL,
                    initramfsUrl: INITRAMFS_URL,
                    kernelArgs: [],
                    configUrl: configUrl(BASE, TICKET),
                    retry: RETRY,
                }),
        ],
        ["a local-boot script for a machine name with a newline", () => renderLocalBootScript({ site: "alpha", machine: "edge-1\nchain http://evil", enrollment: 1 })],
        ["a local-boot script for enrollment 0", () => renderLocalBootScript({ site: "alpha", machine: "edge-1", enrollment: 0 })],
        ["a machine URL that is not the template", () => renderSiteScript({ site: "alpha", machineUrl: "https://evil.example/x", retry: RETRY })],
        ["a zero retry bound", () => renderSiteScript({ site: "alpha", machineUrl: machineUrlTemplate(BASE, "alpha", TOKEN), retry: { attempts: 0, delaySeconds: 1 } })],
    ];
    for (const [name, render] of hostile) {
        it(`refuses to render ${name}`, () => {
            assert.throws(render, (err: Error) => {
                assert.match(err.message, /^refusing to render an iPXE script/);
                assert.ok(!err.message.includes(TOKEN), "the token must not be quoted in the error");
                return true;
            });
        });
    }
});
