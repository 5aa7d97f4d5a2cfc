/**
 * What a Proxmox worker VM boots from: the META key 10 payload (checked against the format
 * Talos v1.12.4 reads), the per-VM schematic and its ID (checked against Image Factory's own
 * test vectors), the `metal-iso` config volume (checked with blkid and an independent reader),
 * and its upload through a local stand-in for the Proxmox API.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { metalNetworkConfig, metalNetworkMetaValue } from "../lib/talos/metaNetwork";
import { customizedSchematicId, customizedSchematicYaml, schematicId } from "../lib/talos/schematic";
import { METAL_ISO_KERNEL_ARG, METAL_ISO_LABEL, metalIsoImage } from "../lib/talos/metalIso";
import { deterministicMac, metalInstallerImage, metalQcow2Url, proxmoxSchematic } from "../lib/proxmox/vm";
import { deleteIsoFile, diffIsoFile, ISO_FILE_MODULE, IsoFileInputs, isoFileProblems, uploadIsoFile } from "../components/proxmoxIsoFile";
import { FakeProxmoxApi, startFakeProxmoxApi } from "../testing/fakes/proxmox-api";
import { readIso } from "./iso9660Reader";

const NET = { hostname: "talos-worker-01", address: "10.0.0.21", prefixLength: 16, gateway: "10.0.0.1", dnsServers: ["1.1.1.1", "8.8.8.8"] };

/**
 * The `yaml` tags of the network resources in `PlatformConfigSpec` (siderolabs/talos v1.12.4,
 * pkg/machinery/resources/network/{platform_config,address_spec,link_spec,route_spec,
 * hostname_spec,resolver_spec}.go): every key the payload uses must be one of these.
 */
const TALOS_FIELDS: Record<string, string[]> = {
    "": ["addresses", "links", "routes", "hostnames", "resolvers", "timeServers", "operators", "externalIPs", "probes", "metadata"],
    addresses: ["address", "linkName", "family", "scope", "flags", "announceWithARP", "priority", "layer"],
    links: ["name", "logical", "up", "mtu", "kind", "type", "hardwareAddr", "parentName", "masterName", "slaveIndex", "bridgeSlave", "vlan", "bondMaster", "bridgeMaster", "wireguard", "layer", "multicast"],
    routes: ["family", "dst", "src", "gateway", "outLinkName", "table", "priority", "scope", "type", "flags", "protocol", "layer", "mtu"],
    hostnames: ["hostname", "domainname", "layer"],
    resolvers: ["dnsServers", "layer", "searchDomains"],
};

describe("Proxmox worker boot media", () => {
    describe("META key 10 (lib/talos/metaNetwork.ts)", () => {
        it("renders the VM's address, default route, hostname and resolvers as a platform network config", () => {
            assert.deepEqual(metalNetworkConfig(NET), {
                addresses: [{ address: "10.0.0.21/16", linkName: "eth0", family: "inet4", scope: "global", flags: "permanent", layer: "platform" }],
                links: [{ name: "eth0", logical: false, up: true, mtu: 0, kind: "", type: "ether", layer: "platform" }],
                routes: [{ family: "inet4", dst: "", src: "", gateway: "10.0.0.1", outLinkName: "eth0", table: "main", priority: 1024, scope: "global", type: "unicast", flags: "", protocol: "static", layer: "platform" }],
                hostnames: [{ hostname: "talos-worker-01", domainname: "", layer: "platform" }],
                resolvers: [{ dnsServers: ["1.1.1.1", "8.8.8.8"], layer: "platform" }],
                timeServers: [],
                operators: [],
                externalIPs: [],
            });
        });

        it("uses only Talos's field names, and reads back through a YAML parser as the same document", () => {
            const value = metalNetworkMetaValue(NET);
            const doc = parse(value) as Record<string, Array<Record<string, unknown>>>;
            assert.deepEqual(doc, metalNetworkConfig(NET), "Talos unmarshals the value as YAML; compact JSON is YAML");
            assert.deepEqual(Object.keys(doc).filter((k) => !TALOS_FIELDS[""].includes(k)), []);
            for (const [list, fields] of Object.entries(TALOS_FIELDS).filter(([k]) => k !== "")) {
                for (const entry of doc[list] ?? []) {
                    assert.deepEqual(Object.keys(entry).filter((k) => !fields.includes(k)), [], `${list} entry has unknown fields`);
                }
            }
            assert.match(value, /^[!-&(-~]+$/, "one line of printable ASCII without spaces or quotes: the schematic carries it single-quoted");
        });

        it("refuses values Talos would misread or reject, naming them", () => {
            assert.throws(() => metalNetworkConfig({ ...NET, gateway: "10.1.0.1", prefixLength: 24, address: "10.0.0.21" }), /gateway 10\.1\.0\.1 is outside 10\.0\.0\.21\/24/);
            assert.throws(() => metalNetworkConfig({ ...NET, address: "10.0.0.1" }), /is the gateway's/);
            assert.throws(() => metalNetworkConfig({ ...NET, hostname: "Worker_1" }), /hostname "Worker_1" is not a DNS label/);
            assert.throws(() => metalNetworkConfig({ ...NET, dnsServers: [] }), /dnsServers \[\] must be one or more IPv4 addresses/);
            assert.throws(() => metalNetworkConfig({ ...NET, prefixLength: 33 }), /prefix length 33 is not 1\.\.32/);
        });
    });

    describe("per-VM schematic (lib/talos/schematic.ts, lib/proxmox/vm.ts)", () => {
        it("hashes customizations to the IDs Image Factory's own tests expect (pkg/schematic/schematic_test.go)", () => {
            assert.equal(customizedSchematicId({ extensions: [], meta: [{ key: 0x0a, value: "foo" }] }), "d308a2a5ee2277bed5fbaa104fcbc8d59122abfa737df987a95b4ca763459a7f");
            assert.equal(customizedSchematicId({ extensions: [], extraKernelArgs: ["noapic", "nolapic"] }), "9cba8e32753f91a16c1837ab8abf356af021706ef284aef07380780177d9a06c");
            assert.equal(customizedSchematicId({ extensions: ["siderolabs/tailscale"] }), schematicId(["siderolabs/tailscale"]), "extensions only: the seed's schematic");
        });

        it("carries classic link names, config from metal-iso and the VM's META, in the factory's field order", () => {
            const c = proxmoxSchematic(["siderolabs/tailscale", "siderolabs/qemu-guest-agent"], NET);
            const text = customizedSchematicYaml(c);
            assert.deepEqual(text.split("\n").filter((l) => /^ {4}\w/.test(l)), ["    extraKernelArgs:", "    meta:", "    systemExtensions:"]);
            const doc = parse(text);
            assert.deepEqual(doc.customization.extraKernelArgs, ["net.ifnames=0", METAL_ISO_KERNEL_ARG]);
            assert.equal(doc.customization.meta.length, 1);
            assert.equal(doc.customization.meta[0].key, 10);
            assert.deepEqual(JSON.parse(doc.customization.meta[0].value), metalNetworkConfig(NET));
            assert.deepEqual(doc.customization.systemExtensions.officialExtensions, ["siderolabs/qemu-guest-agent", "siderolabs/tailscale"]);
            assert.match(text, /^ {10}value: '\{"addresses":\[\{"address":"10\.0\.0\.21\/16",/m, "one single-quoted line, as go-yaml writes it");
            // Another VM, another META, another image.
            assert.notEqual(customizedSchematicId(c), customizedSchematicId(proxmoxSchematic(["siderolabs/tailscale"], { ...NET, address: "10.0.0.22" })));
        });

        it("refuses kernel arguments and META values whose canonical form it cannot know", () => {
            assert.throws(() => customizedSchematicYaml({ extensions: [], extraKernelArgs: ["console=ttyS0 quiet"] }), /kernel argument "console=ttyS0 quiet" is not a plain/);
            assert.throws(() => customizedSchematicYaml({ extensions: [], extraKernelArgs: ["yes"] }), /kernel argument "yes"/);
            assert.throws(() => customizedSchematicYaml({ extensions: [], meta: [{ key: 10, value: "a b" }] }), /must be printable ASCII without spaces/);
            assert.throws(() => customizedSchematicYaml({ extensions: [], meta: [{ key: 10, value: "a:b" }] }), /neither a simple word nor a JSON object/);
            assert.throws(() => customizedSchematicYaml({ extensions: [], meta: [{ key: 256, value: "x" }] }), /META key 256 must be a whole number 0\.\.255/);
        });

        it("names the factory's metal qcow2 and installer of the schematic", () => {
            assert.equal(metalQcow2Url("https://factory.talos.dev/", "ab".repeat(32), "v1.12.4"), `https://factory.talos.dev/image/${"ab".repeat(32)}/v1.12.4/metal-amd64.qcow2`);
            assert.equal(metalInstallerImage("https://factory.talos.dev", "ab".repeat(32), "v1.12.4"), `factory.talos.dev/metal-installer/${"ab".repeat(32)}:v1.12.4`);
        });

        it("gives each VM a stable, locally administered unicast MAC", () => {
            const mac = deterministicMac("mixed-cluster", "talos-worker-01");
            assert.match(mac, /^02(:[0-9a-f]{2}){5}$/);
            assert.equal(deterministicMac("mixed-cluster", "talos-worker-01"), mac, "same stack, same MAC");
            assert.notEqual(deterministicMac("mixed-cluster", "talos-worker-02"), mac);
            assert.notEqual(deterministicMac("other-cluster", "talos-worker-01"), mac);
        });
    });

    describe("metal-iso config volume (lib/talos/metalIso.ts)", () => {
        const config = "version: v1alpha1\nmachine:\n  type: worker\n" + "# padding\n".repeat(500);

        it("is an ISO 9660 volume labelled metal-iso holding config.yaml, as blkid and an independent reader see it", () => {
            const image = metalIsoImage(config);
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "metal-iso-"));
            try {
                const file = path.join(dir, "config.iso");
                fs.writeFileSync(file, image);
                const probe = execFileSync("blkid", ["-p", "-o", "export", file], { encoding: "utf8" });
                assert.match(probe, /^TYPE=iso9660$/m);
                assert.match(probe, new RegExp(`^LABEL=${METAL_ISO_LABEL}$`, "m"));
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
            const volume = readIso(image);
            assert.equal(volume.label, "metal-iso");
            assert.deepEqual(Object.keys(volume.files), ["config.yaml"]);
            assert.equal(volume.files["config.yaml"].toString("utf8"), config);
            assert.equal(volume.blocks * 2048, image.length);
        });

        it("is byte-for-byte the same for the same config (no timestamps), and refuses an empty one", () => {
            assert.ok(metalIsoImage(config).equals(metalIsoImage(config)));
            assert.throws(() => metalIsoImage("  \n"), /machine config is empty/);
        });
    });

    describe("config ISO upload (components/proxmoxIsoFile.ts) against a local Proxmox API", () => {
        const TOKEN = "terraform@pve!pulumi=0b1c2d3e-aaaa-4000-8000-000000000001";
        let pve: FakeProxmoxApi;
        const iso = metalIsoImage("version: v1alpha1\nmachine:\n  type: worker\n");
        const inputs = (over: Partial<IsoFileInputs> = {}): IsoFileInputs => ({
            endpoint: pve.url,
            apiToken: TOKEN,
            insecure: false,
            nodeName: "atlas",
            datastore: "local",
            fileName: "talos-config-mixed-cluster-talos-worker-01.iso",
            contentBase64: iso.toString("base64"),
            ...over,
        });
        beforeEach(async () => {
            pve = await startFakeProxmoxApi({ token: TOKEN, node: "atlas", storages: ["local"] });
        });
        afterEach(async () => {
            await pve.close();
        });

        it("uploads the exact bytes with their checksum, waits for the task, and deletes the file", async () => {
            const outs = await uploadIsoFile(inputs());
            assert.equal(outs.fileId, "local:iso/talos-config-mixed-cluster-talos-worker-01.iso");
            assert.ok(pve.files.get(outs.fileId)!.equals(iso));
            assert.deepEqual(pve.requests.map((r) => `${r.method} ${r.path.replace(/UPID%3A[^/]+/, "<upid>")}`), [
                "POST /api2/json/nodes/atlas/storage/local/upload",
                "GET /api2/json/nodes/atlas/tasks/<upid>/status",
                "GET /api2/json/nodes/atlas/tasks/<upid>/status",
            ]);
            assert.ok(pve.requests.every((r) => r.authorization === `PVEAPIToken=${TOKEN}`));
            assert.equal(await deleteIsoFile(outs), "deleted");
            assert.equal(pve.files.size, 0);
            assert.equal(await deleteIsoFile(outs), "absent");
        });

        it("fails on a refused upload, naming the file and never the token", async () => {
            await uploadIsoFile(inputs());
            await assert.rejects(uploadIsoFile(inputs()), (err: Error) => /ProxmoxIsoFile talos-config-.*: POST .*: HTTP 500 .*refusing to override/.test(err.message) && !err.message.includes(TOKEN.split("=")[1]));
            await assert.rejects(uploadIsoFile(inputs({ apiToken: "terraform@pve!pulumi=wrong" })), /HTTP 401/);
            await assert.rejects(uploadIsoFile(inputs({ datastore: "nfs" })), /storage 'nfs' does not exist/);
        });

        it("checks its inputs and diffs on content and location only", () => {
            assert.deepEqual(isoFileProblems(inputs({ endpoint: "http://pve.lab.internal:8006", apiToken: "root:password", fileName: "config.img" })).length, 3);
            const outs = { ...inputs(), fileId: "local:iso/x.iso", sha256: "", size: 1 };
            assert.equal(diffIsoFile(outs, { ...inputs(), apiToken: "terraform@pve!pulumi=rotated" }).changes, false);
            assert.equal(diffIsoFile(outs, inputs({ contentBase64: "AAAA" })).changes, true);
        });

        it("is self-contained: the module text, loaded on its own, creates, updates (delete, then upload) and deletes", async () => {
            assert.deepEqual([...new Set(ISO_FILE_MODULE.match(/require\([^)]*\)/g))].sort(), ['require("node:crypto")', 'require("node:http")', 'require("node:https")']);
            assert.deepEqual(ISO_FILE_MODULE.match(/\bexports\.\w+/g), ["exports.handler"]);
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pve-provider-"));
            try {
                const file = path.join(dir, "provider.js");
                fs.writeFileSync(file, ISO_FILE_MODULE);
                const provider = require(file).handler() as pulumi.dynamic.ResourceProvider;
                const created = await provider.create!(inputs());
                const next = metalIsoImage("version: v1alpha1\nmachine:\n  type: worker\n# changed\n");
                await provider.update!(created.id, created.outs, inputs({ contentBase64: next.toString("base64") }));
                assert.ok(pve.files.get("local:iso/talos-config-mixed-cluster-talos-worker-01.iso")!.equals(next));
                await provider.delete!(created.id, created.outs);
                assert.equal(pve.files.size, 0);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });
});
