/**
 * LocalCommand, RemoteCommand, LibvirtDomain and LibvirtVolume (components/leanResources.ts) must
 * send the engine exactly the registration the full classes (`@pulumi/command`'s generated ones,
 * our libvirt binding) send for the same arguments and options:
 * the engine, the provider and the state cannot tell them apart. Each case declares both under
 * the same parent, captures the two RegisterResource requests as the monitor receives them, and
 * compares every field but the name and the call site. A release of `@pulumi/command` (or a
 * change to the libvirt binding) that changes what its constructors send fails here.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as libvirt from "@pulumi/libvirt";
import { COMMAND_PLUGIN_VERSION, LibvirtDomain, LibvirtVolume, LocalCommand, RemoteCommand } from "../components/leanResources";
import { resetRegistrations, valueOf } from "./mocks";

type RequestObject = Record<string, unknown>;

interface Monitor {
    registerResource(req: { getName(): string; toObject(): RequestObject }, cb: unknown): unknown;
}

/** Every field of the request except the ones that name the resource or its call site. */
function comparable(request: RequestObject): RequestObject {
    const { name: _name, sourceposition: _position, stacktrace: _trace, ...rest } = request;
    return rest;
}

/** Declares `build(name)` for each name and returns each one's RegisterResource request, by name. */
async function requestsOf(names: string[], build: (name: string) => pulumi.CustomResource): Promise<Map<string, RequestObject>> {
    const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
    const requests = new Map<string, RequestObject>();
    monitor.registerResource = function (this: unknown, req, cb) {
        requests.set(req.getName(), req.toObject());
        return Object.getPrototypeOf(monitor).registerResource.call(this, req, cb);
    };
    try {
        const resources = names.map(build);
        await Promise.all(resources.map((r) => valueOf(r.urn)));
    } finally {
        delete (monitor as Partial<Monitor>).registerResource;
    }
    return requests;
}

class Holder extends pulumi.ComponentResource {
    constructor(name: string) {
        super("test:lean:Holder", name, {}, {});
    }
}

const SECRET_ENV = pulumi.secret("talosconfig: secret-key-material");

describe("lean registrations (components/leanResources.ts)", () => {
    let parent: Holder;
    let before: Holder;
    beforeEach(() => {
        resetRegistrations();
        parent = new Holder("lean-parent");
        before = new Holder("lean-before");
    });

    const localCases: Array<{ title: string; args: () => command.local.CommandArgs; opts?: () => pulumi.CustomResourceOptions }> = [
        {
            title: "a day-two step: create, update, environment with a secret, dir, triggers, logging",
            args: () => ({
                dir: "..",
                create: "node infra/day-two/cli.ts upgrade-node",
                update: "node infra/day-two/cli.ts upgrade-node --again",
                environment: { PLAN: pulumi.output({ node: "edge-1" }).apply((p) => JSON.stringify(p)), TALOSCONFIG: SECRET_ENV },
                triggers: [pulumi.output("factory.talos.dev/metal-installer/abc:v1.12.4")],
                logging: "stdoutAndStderr",
            }),
            opts: () => ({ parent, dependsOn: [before] }),
        },
        {
            title: "a removal step: delete only",
            args: () => ({ dir: "..", delete: "node infra/day-two/cli.ts remove-node", logging: "stdoutAndStderr" }),
            opts: () => ({ parent, deleteBeforeReplace: true }),
        },
        { title: "no options at all", args: () => ({ create: "true" }) },
    ];

    for (const c of localCases) {
        it(`local: ${c.title}`, async () => {
            const requests = await requestsOf(["generated", "lean"], (name) =>
                name === "generated" ? new command.local.Command(name, c.args(), c.opts?.()) : new LocalCommand(name, c.args(), c.opts?.()));
            const generated = comparable(requests.get("generated")!);
            assert.strictEqual(generated.type, "command:local:Command");
            assert.strictEqual(generated.version, COMMAND_PLUGIN_VERSION);
            assert.deepStrictEqual(comparable(requests.get("lean")!), generated);
        });
    }

    it("remote: a volume command with a secret connection given without defaults", async () => {
        const connection = { host: "edge-host.example.net", user: "pulumi", privateKey: pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n-----END OPENSSH PRIVATE KEY-----\n") };
        const args = (): command.remote.CommandArgs => ({
            connection,
            create: "lvcreate -L 20G -n talos-edge-1 vg0",
            delete: "lvremove -f vg0/talos-edge-1",
            triggers: ["vg0", "talos-edge-1"],
            logging: "stdoutAndStderr",
        });
        const requests = await requestsOf(["generated", "lean"], (name) =>
            name === "generated" ? new command.remote.Command(name, args(), { parent, deleteBeforeReplace: true, dependsOn: [before] }) : new RemoteCommand(name, args(), { parent, deleteBeforeReplace: true, dependsOn: [before] }));
        const generated = comparable(requests.get("generated")!);
        assert.deepStrictEqual(generated.additionalsecretoutputsList, ["connection"]);
        assert.deepStrictEqual(comparable(requests.get("lean")!), generated);
    });

    it("registers no Output for a property nobody set, and one for each that was", async () => {
        const lean = new LocalCommand("lean-outputs", { create: "true", logging: "stdout" }, { parent }) as unknown as Record<string, unknown>;
        const generated = new command.local.Command("generated-outputs", { create: "true", logging: "stdout" }, { parent }) as unknown as Record<string, unknown>;
        assert.ok(pulumi.Output.isInstance(generated.stdout), "the generated class makes an Output of every property");
        for (const unset of ["stdout", "stderr", "archive", "assets", "interpreter", "environment"]) {
            assert.strictEqual(lean[unset], undefined, unset);
        }
        assert.ok(pulumi.Output.isInstance(lean.create) && pulumi.Output.isInstance(lean.logging));
        await valueOf((lean as unknown as LocalCommand).urn);
    });

    it("refuses a remote command without a connection, naming it", () => {
        assert.throws(() => new RemoteCommand("no-connection", { create: "true" } as command.remote.CommandArgs), /remote command no-connection: connection is required/);
    });

    it("libvirt: a network-booting domain on a site's provider, as the binding's Domain sends it", async () => {
        const provider = new libvirt.Provider("lean-site", { uri: "qemu+ssh://pulumi@edge-host.example.net/system" });
        const args = (): libvirt.DomainArgs & { name: string } => ({
            name: "talos-edge-1",
            type: "kvm",
            machine: "q35",
            cpu: { mode: "host-passthrough" },
            vcpu: 2,
            memory: 4096,
            firmware: "/usr/share/OVMF/OVMF_CODE_4M.fd",
            nvram: { file: "/var/lib/libvirt/qemu/nvram/talos-edge-1_VARS.fd", template: "/usr/share/OVMF/OVMF_VARS_4M.fd" },
            disks: [{ blockDevice: "/dev/vg0/talos-edge-1" }],
            networkInterfaces: [{ bridge: "br-edge", mac: "52:54:00:00:02:01" }],
            bootDevices: [{ devs: ["network", "hd"] }],
            consoles: [{ type: "pty", targetPort: "0", targetType: "serial" }],
            xml: { xslt: pulumi.output("<xsl:stylesheet/>") },
            running: true,
            autostart: true,
        });
        const opts = (): pulumi.CustomResourceOptions => ({ parent, provider, deleteBeforeReplace: true, dependsOn: [before] });
        const requests = await requestsOf(["generated", "lean"], (name) => (name === "generated" ? new libvirt.Domain(name, args(), opts()) : new LibvirtDomain(name, args(), opts())));
        const full = comparable(requests.get("generated")!);
        assert.strictEqual(full.type, "libvirt:index/domain:Domain");
        assert.strictEqual(full.version, libvirt.manifest.version);
        assert.match(String(full.provider), /lean-site/);
        assert.deepStrictEqual(comparable(requests.get("lean")!), full);
    });

    it("libvirt: a pool volume, as the binding's Volume sends it; the domain keeps its name as an Output", async () => {
        const args = (): libvirt.VolumeArgs => ({ name: "talos-edge-1.qcow2", pool: "default", size: 20 * 1024 ** 3, format: "qcow2" });
        const requests = await requestsOf(["generated", "lean"], (name) => (name === "generated" ? new libvirt.Volume(name, args(), { parent }) : new LibvirtVolume(name, args(), { parent })));
        assert.deepStrictEqual(comparable(requests.get("lean")!), comparable(requests.get("generated")!));

        const domain = new LibvirtDomain("lean-named", { name: "talos-edge-2", running: true }, { parent });
        assert.strictEqual(await valueOf(domain.name), "talos-edge-2");
        assert.strictEqual((domain as unknown as Record<string, unknown>).cmdlines, undefined, "no Output for a property nobody set");
    });
});
