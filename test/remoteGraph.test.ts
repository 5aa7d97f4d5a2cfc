/**
 * Issue 13's "Done when": a stack mixing GCP (amd64 and arm64), an edge site, a Proxmox pool and
 * an Oracle Cloud worker, on Headscale, built offline under Pulumi mocks with the wiring
 * asserted: one set of cluster secrets, one overlay (every key, login flag and address from the
 * one Headscale server, a local implementation of its documented API reached over HTTP),
 * per-node keys, the META payloads and the first-boot configs. Plus one test stack per substrate
 * (Proxmox, Oracle Cloud with an Axion control plane) on Tailscale.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { parse, parseAllDocuments } from "yaml";
import { parseStackConfig, RawStackConfig } from "../stacks/config";
import { cloudNodeHostname, composeCloud } from "../stacks/cloud";
import { composeEdge } from "../stacks/edge";
import { composeRemoteWorkers } from "../stacks/remoteWorkers";
import { StackConfig } from "../components/model";
import { bundledInventorySha256 } from "../components/bootService";
import { inventoryFromSites } from "../model/bootContract";
import { FakeHeadscaleApi, startFakeHeadscaleApi } from "../testing/fakes/headscale-api";
import { fakeTailnetIp, findResource, inputIsSecret, invokesOf, mockHeadscaleKeyId, Registered, registered, resetRegistrations, resourcesOfType, settle, valueOf } from "./mocks";
import { FAKE_POOL_SECRETS, FAKE_SECRETS, loadStackFile, MIXED_STACK_FILE, OCI_STACK_FILE, PROXMOX_STACK_FILE } from "./stackFiles";
import { readIso } from "./iso9660Reader";
import { engineRegistration } from "./mocks";
import { missingSecretOutputs, SECRET_OUTPUT_RULES } from "../policy/policies";
import { headscaleKeyProblems } from "../policy/remotePools";

const GET_CONFIG = "talos:machine/getConfiguration:getConfiguration";
const APPLY = "talos:machine/configurationApply:ConfigurationApply";
const HS_KEY = "pulumi-nodejs:dynamic/talos-cloud-edge:HeadscalePreAuthKey";
const ISO = "pulumi-nodejs:dynamic/talos-cloud-edge:ProxmoxIsoFile";
const VM = "proxmoxve:index/vmLegacy:VmLegacy";
const OCI_INSTANCE = "oci:Core/instance:Instance";
const GCE_INSTANCE = "gcp:compute/instance:Instance";

/** Edits one structured key of raw config. */
function edit(raw: RawStackConfig, shortKey: string, fn: (v: any) => any): RawStackConfig {
    const full = `talos-cloud-edge:${shortKey}`;
    return { values: { ...raw.values, [full]: JSON.stringify(fn(JSON.parse(raw.values[full]))) }, secretKeys: raw.secretKeys };
}

async function build(cfg: StackConfig) {
    const cloud = composeCloud(cfg);
    const source = { path: "/nonexistent/boot-server.tar.gz", sha256: "cd".repeat(32), inventorySha256: bundledInventorySha256(inventoryFromSites(cfg.edgeSites)) };
    const edge = cfg.edgeSites.length > 0 ? await composeEdge(cfg, cloud, source) : undefined;
    const remote = composeRemoteWorkers(cfg, cloud);
    const outputs = [
        ...Object.values(cloud.outputs).filter(pulumi.Output.isInstance),
        ...Object.values(remote.outputs).filter((o): o is pulumi.Output<unknown> => o !== undefined),
        ...(edge ? Object.values(edge.outputs.siteBootUrls) : []),
        ...remote.proxmox.map((w) => w.configurationApply.urn),
        ...(remote.oracle ? remote.oracle.workers.map((w) => w.configurationApply.urn) : []),
    ];
    await Promise.all(outputs.map((o) => valueOf(o as pulumi.Output<unknown>)));
    await settle();
    return { cloud, edge, remote };
}

/** The documents of the patches of the config rendered for `hostname`. */
function configInvokeOf(hostname: string) {
    const hits = invokesOf(GET_CONFIG).filter((i) => (i.inputs.configPatches as string[]).some((p) => p.includes(`TS_HOSTNAME=${hostname}\n`)));
    assert.equal(hits.length, 1, `one config for ${hostname}`);
    const docs = (hits[0].inputs.configPatches as string[]).flatMap((p) => parseAllDocuments(p).map((d) => d.toJS()));
    const env: string[] = docs.find((d) => d.kind === "ExtensionServiceConfig").environment;
    return { invoke: hits[0], docs, env: Object.fromEntries(env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)])) };
}

const applyOf = (name: string): Registered => findResource(APPLY, name);

describe("remote worker pools in the graph", function () {
    this.timeout(120_000);

    describe("the mixed stack on Headscale (issue 13, Done when)", () => {
        let hs: FakeHeadscaleApi;
        let cfg: StackConfig;
        let handles: Awaited<ReturnType<typeof build>>;
        let bootstrapIp: string;
        const hostnames = () => [
            ...cfg.cloudNodes.map((n) => cloudNodeHostname(cfg.cluster.name, n.name)),
            ...cfg.proxmox!.machines.map((m) => m.name),
            ...cfg.oci!.workers.map((w) => w.name),
        ];

        before(async () => {
            hs = await startFakeHeadscaleApi({ apiKey: FAKE_POOL_SECRETS.headscaleApiKey, users: [{ id: "1", name: "cluster" }] });
            const raw = edit(loadStackFile(MIXED_STACK_FILE, FAKE_POOL_SECRETS), "headscale", (h) => ({ ...h, url: hs.url }));
            cfg = parseStackConfig(raw);
            resetRegistrations();
            // Every node boots and registers with its own key; a stale node of an earlier
            // control plane still carries its name and must not be taken for it.
            const keyResourceName = (h: string) => `${cfg.cluster.name}-headscale-${h}`;
            hs.registerNode({ hostname: cloudNodeHostname(cfg.cluster.name, "master-1"), preAuthKeyId: "999999" });
            for (const h of hostnames()) {
                hs.registerNode({ hostname: h, preAuthKeyId: mockHeadscaleKeyId(keyResourceName(h)) });
            }
            bootstrapIp = hs.nodes.find((n) => n.preAuthKey?.id === mockHeadscaleKeyId(keyResourceName(cloudNodeHostname(cfg.cluster.name, "master-1"))))!.ipAddresses[0];
            handles = await build(cfg);
        });
        after(async () => {
            await hs.close();
        });

        it("parses into Headscale for the whole overlay, an arm64 cloud node, a Proxmox pool and an Oracle worker", () => {
            assert.equal(cfg.tailnet.headscale?.url, hs.url);
            assert.equal(cfg.tailnet.auth, undefined);
            assert.deepEqual(cfg.cloudNodes.map((n) => n.arch), ["amd64", "amd64", "arm64"]);
            assert.deepEqual(cfg.bootService.keyBackend.kind, "headscale");
            assert.deepEqual(cfg.proxmox!.machines.map((m) => m.name), ["talos-worker-01", "talos-worker-02"]);
            assert.deepEqual(cfg.oci!.workers.map((w) => w.name), ["cloudbox2"]);
        });

        it("shares one set of cluster secrets across every node's config", () => {
            assert.equal(resourcesOfType("talos:machine/secrets:Secrets").length, 1);
            const configs = invokesOf(GET_CONFIG);
            // 3 cloud nodes, the edge base config, 2 Proxmox VMs, 1 Oracle worker.
            assert.equal(configs.length, 7);
            const ids = new Set(configs.map((i) => i.inputs.machineSecrets.cluster.id));
            assert.deepEqual([...ids], [`cluster-id-${cfg.cluster.name}-talos-secrets`]);
            assert.ok(configs.every((i) => i.inputs.clusterName === cfg.cluster.name && i.inputs.talosVersion === "v1.12"));
        });

        it("joins every node to one overlay: Headscale's keys, its --login-server, no Tailscale anywhere", async () => {
            assert.equal(resourcesOfType("tailscale:index/tailnetKey:TailnetKey").length, 0);
            assert.equal(resourcesOfType("pulumi:providers:tailscale").length, 0);
            for (const h of hostnames()) {
                assert.equal(configInvokeOf(h).env.TS_EXTRA_ARGS, `--login-server=${hs.url}`, h);
            }
            const svc = resourcesOfType("gcp:cloudrunv2/service:Service")[0];
            const envs = svc.inputs.template.containers[0].envs;
            const settings = JSON.parse(envs.find((e: any) => e.name === "BOOT_SETTINGS").value);
            assert.deepEqual(settings.keyBackend, { kind: "headscale", url: hs.url, user: "1", tags: ["tag:talos-edge"], expirySeconds: 3600 });
            assert.ok(envs.find((e: any) => e.name === "HEADSCALE_API_KEY").valueSource.secretKeyRef, "the edge's minter gets the same server's API key from Secret Manager");
        });

        it("mints one single-use, tagged, short-lived key per node and puts each only in its own node's config", async () => {
            const keys = resourcesOfType(HS_KEY);
            assert.deepEqual(keys.map((k) => k.inputs.hostname).sort(), hostnames().sort());
            for (const k of keys) {
                assert.deepEqual([k.inputs.url, k.inputs.user, k.inputs.aclTags, k.inputs.expirySeconds], [hs.url, "1", ["tag:talos-cloud"], 3600]);
                assert.ok(inputIsSecret(k, "apiKey"));
            }
            const used = hostnames().map((h) => configInvokeOf(h).env.TS_AUTHKEY);
            assert.equal(new Set(used).size, used.length, "no key is shared");
            for (const h of hostnames()) {
                const key = await valueOf(handles.cloud.headscale!.keys[h].key);
                assert.equal(configInvokeOf(h).env.TS_AUTHKEY, key, h);
            }
        });

        it("finds the control plane's overlay address through Headscale's API, by its key, and every remote node joins there", async () => {
            assert.ok(hs.requests.some((r) => r.method === "GET" && r.path === "/api/v1/node"));
            const endpoint = `https://${bootstrapIp}:6443`;
            assert.equal(await valueOf(handles.cloud.cluster.edgeClusterEndpoint), endpoint);
            for (const h of [...cfg.proxmox!.machines.map((m) => m.name), ...cfg.oci!.workers.map((w) => w.name)]) {
                assert.equal(configInvokeOf(h).invoke.inputs.clusterEndpoint, endpoint, h);
            }
            const proxmox = await valueOf(handles.remote.outputs.proxmoxWorkers!);
            assert.deepEqual(proxmox.map((w) => w.overlayIp), cfg.proxmox!.machines.map((m) => hs.nodes.find((n) => n.name === m.name && n.preAuthKey?.id !== "999999")!.ipAddresses[0]));
            // Later config changes reach the remote nodes over the overlay.
            assert.equal(applyOf(`${cfg.cluster.name}-proxmox-talos-worker-01-apply`).inputs.node, proxmox[0].overlayIp);
        });

        it("bakes each Proxmox VM's static address, gateway, hostname and resolvers into its image's META key 10", async () => {
            for (const [i, m] of cfg.proxmox!.machines.entries()) {
                const schematic = parse(findResource("talos:imageFactory/schematic:Schematic", `${cfg.cluster.name}-proxmox-${m.name}-schematic`).inputs.schematic);
                assert.deepEqual(schematic.customization.extraKernelArgs, ["net.ifnames=0", "talos.config=metal-iso"]);
                const meta = schematic.customization.meta;
                assert.deepEqual(meta.map((x: { key: number }) => x.key), [10]);
                const net = JSON.parse(meta[0].value);
                assert.deepEqual(net.addresses.map((a: any) => [a.address, a.linkName, a.layer]), [[`${m.address}/24`, "eth0", "platform"]]);
                assert.deepEqual(net.routes.map((r: any) => [r.dst, r.gateway]), [["", "192.168.10.1"]]);
                assert.deepEqual(net.hostnames.map((h: any) => h.hostname), [m.name]);
                assert.deepEqual(net.resolvers[0].dnsServers, ["1.1.1.1", "8.8.8.8"]);
                const worker = handles.remote.proxmox[i];
                const image = findResource("proxmoxve:download/fileLegacy:FileLegacy", `${cfg.cluster.name}-proxmox-${m.name}-disk-image`).inputs;
                assert.equal(image.url, `https://factory.talos.dev/image/${worker.schematicId}/v1.12.4/metal-amd64.qcow2`);
                assert.deepEqual([image.contentType, image.datastoreId, image.nodeName], ["import", "local", "atlas"]);
                const vm = findResource(VM, `${cfg.cluster.name}-proxmox-${m.name}-vm`).inputs;
                assert.deepEqual([vm.vmId, vm.name, vm.networkDevices[0].macAddress, vm.networkDevices[0].bridge], [m.vmId, m.name, m.mac, "vmbr0"]);
                assert.equal(vm.disks[0].importFrom, `local:import/${image.fileName}`);
                assert.equal(configInvokeOf(m.name).docs.find((d: any) => d.machine?.install)?.machine.install.image, `factory.talos.dev/metal-installer/${worker.schematicId}:v1.12.4`);
            }
            assert.equal(cfg.proxmox!.machines[1].mac, "bc:24:11:0a:00:22", "a configured MAC is kept");
            assert.match(cfg.proxmox!.machines[0].mac, /^02:/, "an unset MAC is derived, stable");
        });

        it("delivers every first-boot config without a maintenance window: ISO, user_data, user-data", async () => {
            for (const m of cfg.proxmox!.machines) {
                const iso = findResource(ISO, `${cfg.cluster.name}-proxmox-${m.name}-config-iso`);
                assert.ok(inputIsSecret(iso, "contentBase64"));
                const volume = readIso(Buffer.from(iso.inputs.contentBase64, "base64"));
                assert.equal(volume.label, "metal-iso");
                const apply = applyOf(`${cfg.cluster.name}-proxmox-${m.name}-apply`);
                assert.equal(volume.files["config.yaml"].toString("utf8"), apply.inputs.machineConfigurationInput, `${m.name} boots the config it is kept at`);
                assert.equal(findResource(VM, `${cfg.cluster.name}-proxmox-${m.name}-vm`).inputs.cdrom.fileId, `local:iso/${iso.inputs.fileName}`);
            }
            for (const w of cfg.oci!.workers) {
                const instance = findResource(OCI_INSTANCE, `${cfg.cluster.name}-oracle-${w.name}`);
                assert.ok(inputIsSecret(instance, "metadata"));
                const userData = Buffer.from(instance.inputs.metadata.user_data, "base64").toString("utf8");
                assert.equal(userData, applyOf(`${cfg.cluster.name}-oracle-${w.name}-apply`).inputs.machineConfigurationInput);
            }
            for (const n of cfg.cloudNodes) {
                const instance = findResource(GCE_INSTANCE, `${cfg.cluster.name}-talos-${n.name}-instance`);
                assert.equal(instance.inputs.metadata["user-data"], applyOf(`${cfg.cluster.name}-talos-${n.name}-apply`).inputs.machineConfigurationInput);
            }
        });

        it("runs the arm64 cloud node on the arm64 image, imported like the amd64 one", async () => {
            const images = Object.fromEntries(Object.entries(handles.cloud.images.gcpImages).map(([a, img]) => [a, img!]));
            assert.deepEqual(Object.keys(images).sort(), ["amd64", "arm64"]);
            const copies = resourcesOfType("pulumi-nodejs:dynamic/talos-cloud-edge:GcsObjectFromUrl").map((c) => c.inputs.sourceUrl.split("/").pop()).sort();
            assert.deepEqual(copies, ["gcp-amd64.raw.tar.gz", "gcp-arm64.raw.tar.gz"]);
            const arm = findResource(GCE_INSTANCE, `${cfg.cluster.name}-talos-worker-arm-1-instance`).inputs;
            assert.equal(arm.bootDisk.initializeParams.image, await valueOf(images.arm64.selfLink));
            assert.equal(arm.bootDisk.initializeParams.architecture, "ARM64");
            const amd = findResource(GCE_INSTANCE, `${cfg.cluster.name}-talos-worker-1-instance`).inputs;
            assert.equal(amd.bootDisk.initializeParams.image, await valueOf(images.amd64.selfLink));
            assert.equal(amd.bootDisk.initializeParams.architecture, undefined);
            const armImage = resourcesOfType("gcp:compute/image:Image").find((i) => i.name.endsWith("-gcp-arm64"))!;
            assert.ok(armImage.inputs.guestOsFeatures.some((f: { type: string }) => f.type === "GVNIC"));
        });

        it("imports the Oracle image from the cloud schematic's oracle-arm64.qcow2 and boots an Ampere A1 worker from it", async () => {
            const ids = await valueOf(handles.cloud.outputs.schematicIds);
            const copy = resourcesOfType("pulumi-nodejs:dynamic/talos-cloud-edge:OciObjectFromUrl")[0].inputs;
            assert.equal(copy.sourceUrl, `https://factory.talos.dev/image/${ids.cloud}/v1.12.4/oracle-arm64.qcow2`);
            assert.equal(copy.objectName, `talos/v1.12.4/${ids.cloud}/oracle-arm64.qcow2`);
            assert.match(copy.uploadUrl, /^https:\/\/objectstorage\.us-ashburn-1\.oraclecloud\.com\/p\/\w+\/n\/axmocknamespace\/b\/mixed-cluster-talos-images\/o\/talos\/v1\.12\.4\//);
            const image = resourcesOfType("oci:Core/image:Image")[0];
            assert.deepEqual(
                [image.inputs.launchMode, image.inputs.imageSourceDetails.sourceType, image.inputs.imageSourceDetails.sourceImageType, image.inputs.imageSourceDetails.objectName],
                ["PARAVIRTUALIZED", "objectStorageTuple", "QCOW2", copy.objectName],
            );
            assert.deepEqual(resourcesOfType("oci:Core/shapeManagement:ShapeManagement").map((s) => s.inputs.shapeName), ["VM.Standard.A1.Flex"]);
            const instance = findResource(OCI_INSTANCE, `${cfg.cluster.name}-oracle-cloudbox2`).inputs;
            assert.deepEqual([instance.shape, instance.shapeConfig, instance.sourceDetails.bootVolumeSizeInGbs], ["VM.Standard.A1.Flex", { ocpus: 4, memoryInGbs: 24 }, "50"]);
            assert.equal(instance.createVnicDetails.assignPublicIp, "false");
            const { docs } = configInvokeOf("cloudbox2");
            assert.equal(docs.find((d: any) => d.machine?.install)?.machine.install.image, `factory.talos.dev/oracle-installer/${ids.cloud}:v1.12.4`);
            assert.deepEqual(docs.find((d: any) => d.kind === "ResolverConfig")?.nameservers, [{ address: "169.254.169.254" }]);
            assert.deepEqual(docs.find((d: any) => d.kind === "LinkConfig")?.routes, [{ destination: "169.254.0.0/16" }]);
        });

        it("passes the policy pack's secret and key rules as registered (options included)", () => {
            let checked = 0;
            for (const rule of SECRET_OUTPUT_RULES) {
                for (const r of resourcesOfType(rule.type).filter((x) => !rule.appliesTo || rule.appliesTo(x.inputs))) {
                    assert.deepEqual(missingSecretOutputs(rule, engineRegistration(r.type, r.name).additionalSecretOutputs), [], `${r.type} ${r.name}`);
                    checked++;
                }
            }
            // Keys, ISOs, Oracle instance, PAR, applies, GCE instances, kubeconfig.
            assert.ok(checked >= 6 + 2 + 1 + 1 + 6 + 3 + 1, `checked ${checked}`);
            for (const k of resourcesOfType(HS_KEY)) {
                assert.deepEqual(headscaleKeyProblems(k.inputs, 86400), [], k.name);
            }
        });
    });

    describe("a Proxmox pool on Tailscale (test/fixtures/Pulumi.proxmox.yaml)", () => {
        let cfg: StackConfig;
        before(async () => {
            resetRegistrations();
            cfg = parseStackConfig(loadStackFile(PROXMOX_STACK_FILE, { ...FAKE_SECRETS, proxmoxApiToken: FAKE_POOL_SECRETS.proxmoxApiToken }));
            await build(cfg);
        });

        it("builds the VMs through the Proxmox provider, on their VLAN and datastore, found on the tailnet", () => {
            const vms = resourcesOfType(VM);
            assert.equal(vms.length, 2);
            assert.ok(vms.every((v) => v.provider?.includes("pulumi:providers:proxmoxve")), "the stack's Proxmox provider");
            assert.deepEqual(vms.map((v) => [v.inputs.networkDevices[0].vlanId, v.inputs.disks[0].datastoreId]), [[30, "local-zfs"], [30, "local-zfs"]]);
            assert.equal(resourcesOfType("tailscale:index/tailnetKey:TailnetKey").length, 3, "one key per cloud node and VM");
            assert.equal(resourcesOfType(HS_KEY).length, 0);
            const looked = invokesOf("tailscale:index/getDevice:getDevice").map((i) => i.inputs.hostname).sort();
            assert.deepEqual(looked, ["proxmox-cluster-master-1", "talos-worker-01", "talos-worker-02"]);
            assert.equal(findResource(APPLY, "proxmox-cluster-proxmox-talos-worker-02-apply").inputs.node, fakeTailnetIp("talos-worker-02"));
            for (const m of cfg.proxmox!.machines) {
                assert.equal(configInvokeOf(m.name).env.TS_EXTRA_ARGS, undefined, "Tailscale's service needs no --login-server");
                assert.equal(configInvokeOf(m.name).invoke.inputs.clusterEndpoint, `https://${fakeTailnetIp("proxmox-cluster-master-1")}:6443`);
            }
        });
    });

    describe("Oracle workers with an Axion control plane on Tailscale (test/fixtures/Pulumi.oci.yaml)", () => {
        before(async () => {
            resetRegistrations();
            await build(parseStackConfig(loadStackFile(OCI_STACK_FILE, { ...FAKE_SECRETS, ociPrivateKey: FAKE_POOL_SECRETS.ociPrivateKey })));
        });

        it("imports only the arm64 GCE image, boots c4a on Hyperdisk with gVNIC, and two Ampere workers", () => {
            const images = resourcesOfType("gcp:compute/image:Image");
            assert.deepEqual(images.map((i) => i.inputs.name), ["oci-cluster-v1-12-4-4a0d65c6-arm64"]);
            const cp = findResource(GCE_INSTANCE, "oci-cluster-talos-master-1-instance").inputs;
            assert.deepEqual([cp.bootDisk.initializeParams.type, cp.bootDisk.initializeParams.architecture, cp.networkInterfaces[0].nicType], ["hyperdisk-balanced", "ARM64", "GVNIC"]);
            const workers = resourcesOfType(OCI_INSTANCE);
            assert.deepEqual(workers.map((w) => [w.inputs.displayName, w.inputs.shapeConfig.ocpus, w.inputs.shapeConfig.memoryInGbs, w.inputs.sourceDetails.bootVolumeSizeInGbs]), [
                ["cloudbox2", 4, 24, "50"],
                ["cloudbox3", 2, 12, "100"],
            ]);
            assert.ok(workers.every((w) => w.inputs.createVnicDetails.assignPublicIp === "true"));
            assert.ok(workers.every((w) => w.provider?.includes("pulumi:providers:oci")), "the component's own OCI provider");
            assert.ok(registered.some((r) => r.type === "pulumi:providers:oci" && r.inputs.region === "eu-frankfurt-1"));
        });
    });
});
