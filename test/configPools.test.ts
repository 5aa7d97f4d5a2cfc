/**
 * The optional stack config sections of issue 13: `headscale` (the overlay's control server),
 * `proxmox`, `oci`, and Arm machine types in `nodes`. Validated like every other section: one
 * line per problem, `<path>: <value> <problem>; <fix>`, secrets never shown.
 */
import { strict as assert } from "node:assert";
import { RawStackConfig, parseStackConfig } from "../stacks/config";
import { deterministicMac } from "../lib/proxmox/vm";
import { FAKE_POOL_SECRETS, FAKE_SECRETS, FILLED_DEV_STACK_FILE, loadStackFile, MIXED_STACK_FILE, OCI_STACK_FILE, PROXMOX_STACK_FILE, editStructured, stackConfigProblems } from "./stackFiles";

const NS = "talos-cloud-edge";
const SECRETS = [...Object.values(FAKE_POOL_SECRETS), FAKE_SECRETS.tailscaleOauthClientSecret];

const edit = editStructured;
const problemsOf = (raw: RawStackConfig): string[] => stackConfigProblems(raw, SECRETS);

const mixed = (secrets: Record<string, string> = FAKE_POOL_SECRETS) => loadStackFile(MIXED_STACK_FILE, secrets);
const proxmox = () => loadStackFile(PROXMOX_STACK_FILE, { ...FAKE_SECRETS, proxmoxApiToken: FAKE_POOL_SECRETS.proxmoxApiToken });
const oci = () => loadStackFile(OCI_STACK_FILE, { ...FAKE_SECRETS, ociPrivateKey: FAKE_POOL_SECRETS.ociPrivateKey });

describe("stack config: Headscale, Proxmox, Oracle Cloud and Arm sections", () => {
    it("parses the test stacks of each substrate; the dev stack has none of the sections", async () => {
        const dev = parseStackConfig(loadStackFile(FILLED_DEV_STACK_FILE));
        assert.deepEqual([dev.proxmox, dev.oci, dev.tailnet.headscale], [undefined, undefined, undefined]);
        const px = parseStackConfig(proxmox()).proxmox!;
        assert.deepEqual(
            { ...px, apiToken: undefined, machines: px.machines.map((m) => m.mac) },
            {
                endpoint: "https://pve.lab.internal:8006",
                apiToken: undefined,
                insecure: false,
                nodeName: "atlas",
                vmDatastore: "local-zfs",
                fileDatastore: "local",
                bridge: "vmbr0",
                vlanId: 30,
                gatewayCidr: "10.0.0.1/16",
                subnetCidr: "10.0.0.0/16",
                gateway: "10.0.0.1",
                prefixLength: 16,
                dnsServers: ["1.1.1.1", "8.8.8.8"],
                extensions: ["siderolabs/qemu-guest-agent", "siderolabs/tailscale"],
                machines: [deterministicMac("proxmox-cluster", "talos-worker-01"), deterministicMac("proxmox-cluster", "talos-worker-02")],
            },
        );
        assert.deepEqual(parseStackConfig(proxmox()).proxmox!.machines[0], { name: "talos-worker-01", vmId: 303, address: "10.0.0.21", mac: deterministicMac("proxmox-cluster", "talos-worker-01"), cores: 2, memoryMiB: 4096, diskSizeGb: 20 });
        const o = parseStackConfig(oci());
        assert.deepEqual(o.cloudNodes[0].arch, "arm64", "c4a is Axion");
        assert.deepEqual(o.oci!.workers, [
            { name: "cloudbox2", shape: "VM.Standard.A1.Flex", ocpus: 4, memoryGb: 24, bootVolumeSizeGb: 50 },
            { name: "cloudbox3", shape: "VM.Standard.A1.Flex", ocpus: 2, memoryGb: 12, bootVolumeSizeGb: 100 },
        ]);
        const m = parseStackConfig(mixed());
        assert.equal(m.tailnet.headscale!.user, "1");
        assert.equal(m.bootService.keyBackend.kind, "headscale");
    });

    describe("headscale", () => {
        it("makes the server the edge key backend too, with the same URL, user and API key", () => {
            const cfg = parseStackConfig(mixed());
            const backend = cfg.bootService.keyBackend;
            assert.ok(backend.kind === "headscale");
            assert.deepEqual([backend.url, backend.user, backend.apiKey], [cfg.tailnet.headscale!.url, "1", cfg.tailnet.headscale!.apiKey]);
        });

        it("refuses a missing API key, a URL with a path or without https, and a non-numeric user", () => {
            const withoutKey = problemsOf(mixed({ proxmoxApiToken: FAKE_POOL_SECRETS.proxmoxApiToken, ociPrivateKey: FAKE_POOL_SECRETS.ociPrivateKey }));
            assert.deepEqual(withoutKey, [`${NS}:headscaleApiKey: missing; ${NS}:headscale is set, so run \`pulumi config set --secret headscaleApiKey <value>\` with a key from \`headscale apikeys create\``]);
            const bad = problemsOf(edit(mixed(), "headscale", () => ({ url: "https://headscale.lab.internal/api", user: "cluster" })));
            assert.deepEqual(bad, [
                `${NS}:headscale.url: "https://headscale.lab.internal/api" has a path; use the server's base URL (e.g. "https://headscale.lab.internal"): nodes append their own paths`,
                `${NS}:headscale.user: "cluster" is not a Headscale user id; use the numeric id from \`headscale users list\` (e.g. "1"), or remove it for tag-only keys`,
            ]);
            assert.match(problemsOf(edit(mixed(), "headscale", () => ({ url: "http://headscale.lab.internal" })))[0], /^talos-cloud-edge:headscale\.url: "http:\/\/headscale\.lab\.internal" is not an https URL; the API key is sent with every request/);
        });

        it("refuses Tailscale credentials and another key backend next to it: one overlay, one server", () => {
            let raw = loadStackFile(MIXED_STACK_FILE, { ...FAKE_POOL_SECRETS, ...FAKE_SECRETS });
            raw = edit(raw, "tailnet", (t) => ({ ...t, oauthClientId: "kFAKE11CNTRL" }));
            raw = edit(raw, "bootService", () => ({ keyBackend: { kind: "tailscale" } }));
            assert.deepEqual(problemsOf(raw), [
                `${NS}:tailnet.oauthClientId: "kFAKE11CNTRL" is a Tailscale OAuth client but the overlay's control server is Headscale (${NS}:headscale), which mints every key; remove it`,
                `${NS}:tailscaleOauthClientSecret: (value hidden) is a Tailscale credential but the overlay's control server is Headscale (${NS}:headscale), which mints every key; remove it with \`pulumi config rm tailscaleOauthClientSecret\``,
                `${NS}:bootService.keyBackend.kind: "tailscale" conflicts with ${NS}:headscale: edge machines must join the same Headscale server as the cloud nodes; remove ${NS}:bootService.keyBackend`,
            ]);
            const moved = problemsOf(edit(mixed(), "bootService", () => ({ keyBackend: { kind: "headscale", url: "https://other.lab.internal" } })));
            assert.deepEqual(moved, [`${NS}:bootService.keyBackend.url: remove it: the server is ${NS}:headscale.url`]);
        });

        it("refuses its API key without the section", () => {
            const raw = loadStackFile(FILLED_DEV_STACK_FILE, { ...FAKE_SECRETS, headscaleApiKey: FAKE_POOL_SECRETS.headscaleApiKey });
            assert.deepEqual(problemsOf(raw), [
                `${NS}:headscaleApiKey: (value hidden) is set but there is no ${NS}:headscale section; name the server with \`pulumi config set --path '${NS}:headscale.url' https://headscale.lab.internal\` or remove the key with \`pulumi config rm headscaleApiKey\``,
            ]);
        });
    });

    describe("proxmox", () => {
        it("names each bad VM field with its value and the fix", () => {
            const raw = edit(proxmox(), "proxmox", (p) => ({
                ...p,
                machines: [
                    { name: "talos-worker-01", vmId: 303, address: "10.1.0.21" },
                    { name: "talos-worker-02", vmId: 303, address: "10.0.0.1", memoryMiB: 1024, role: "controlplane" },
                    { name: "talos-worker-03", vmId: 305, address: "10.0.0.23", mac: "01:00:5e:00:00:01" },
                ],
            }));
            assert.deepEqual(problemsOf(raw), [
                `${NS}:proxmox.machines[0].address: "10.1.0.21" is outside the LAN 10.0.0.0/16 (proxmox.gatewayCidr); use an address inside it`,
                `${NS}:proxmox.machines[1].role: remove it: Proxmox VMs are workers (the control planes share the GCP subnet for etcd)`,
                `${NS}:proxmox.machines[1].address: "10.0.0.1" is the LAN's gateway address; use a free host address`,
                `${NS}:proxmox.machines[1].memoryMiB: 1024 is below 2048; use a whole number between 2048 and 1048576 MiB (a Talos worker needs at least 2 GiB)`,
                `${NS}:proxmox.machines[2].mac: "01:00:5e:00:00:01" is a multicast MAC address, which no NIC uses as its own; check the first octet`,
            ]);
        });

        it("refuses duplicate VM ids, a missing or malformed token, and a LAN that overlaps the pod range", () => {
            const dup = edit(proxmox(), "proxmox", (p) => ({ ...p, machines: [p.machines[0], { ...p.machines[1], vmId: 303 }] }));
            assert.deepEqual(problemsOf(dup), [`${NS}:proxmox.machines[1].vmId: "303" is already used by ${NS}:proxmox.machines[0].vmId; every VM needs its own VM id`]);
            assert.deepEqual(problemsOf(loadStackFile(PROXMOX_STACK_FILE)), [
                `${NS}:proxmoxApiToken: missing; ${NS}:proxmox is set, so run \`pulumi config set --secret proxmoxApiToken <value>\` with an API token "user@realm!tokenid=secret" (Datacenter → Permissions → API Tokens)`,
            ]);
            assert.match(problemsOf(loadStackFile(PROXMOX_STACK_FILE, { ...FAKE_SECRETS, proxmoxApiToken: "root:hunter2hunter2hunter2" }))[0], /^talos-cloud-edge:proxmoxApiToken: \(value hidden\) is not an API token/);
            const overlap = edit(proxmox(), "proxmox", (p) => ({ ...p, gatewayCidr: "10.244.0.1/16", machines: [{ name: "w", vmId: 400, address: "10.244.0.9" }] }));
            assert.deepEqual(problemsOf(overlap), [
                `${NS}:proxmox.gatewayCidr: "10.244.0.1/16" (subnet 10.244.0.0/16) overlaps ${NS}:cluster.podCidr (10.244.0.0/16, the default); the VPC subnet, pod CIDR, service CIDR, tailnet 100.64.0.0/10 and every edge site subnet must be disjoint; pick a range that overlaps none of them`,
            ]);
        });

        it("refuses a VM named like another node: one Kubernetes node namespace", () => {
            const raw = edit(mixed(), "proxmox", (p) => ({ ...p, machines: [{ ...p.machines[0], name: "talos-edge-1" }] }));
            assert.deepEqual(problemsOf(raw), [`${NS}:proxmox.machines[0].name: "talos-edge-1" is already used by ${NS}:edgeSites[0].machines[0].name; node names must be unique across cloud nodes, edge machines, Proxmox VMs and Oracle workers (they share one Kubernetes node namespace)`]);
        });
    });

    describe("oci", () => {
        it("names each bad field with its value and the fix", () => {
            const raw = edit(oci(), "oci", (o) => ({
                ...o,
                region: "Frankfurt",
                subnetId: "ocid1.vcn.oc1.eu-frankfurt-1.aaaaaaaaocisubnetfortestsonly000000000000000000",
                workers: [{ name: "cloudbox2", shape: "VM.Standard.E4.Flex" }, { name: "cloudbox3", ocpus: 1, memoryGb: 128 }],
            }));
            assert.deepEqual(problemsOf(raw), [
                `${NS}:oci.region: "Frankfurt" is not an OCI region identifier; use e.g. "us-ashburn-1" or "eu-frankfurt-1"`,
                `${NS}:oci.subnetId: "ocid1.vcn.oc1.eu-frankfurt-1.aaaaaaaaocisubnetfortestsonly000000000000000000" is not a subnet OCID; copy it from the console ("ocid1.subnet.oc1..aaaa...")`,
                `${NS}:oci.workers[0].shape: "VM.Standard.E4.Flex" is not an Ampere (arm64) flexible shape; the image is oracle-arm64, so use e.g. "VM.Standard.A1.Flex"`,
                `${NS}:oci.workers[1].memoryGb: 128 is more than 64 GB per OCPU (1 OCPUs allow 64); raise ocpus or lower memoryGb`,
            ]);
        });

        it("refuses a missing private key and a private key in plain config", () => {
            assert.deepEqual(problemsOf(loadStackFile(OCI_STACK_FILE)), [
                `${NS}:ociPrivateKey: missing; ${NS}:oci is set, so run \`pulumi config set --secret ociPrivateKey < ~/.oci/oci_api_key.pem\` (the API signing key of ${NS}:oci.userOcid)`,
            ]);
            const leaked = edit(oci(), "oci", (o) => ({ ...o, privateKey: "x" }));
            assert.match(problemsOf(leaked)[0], /^talos-cloud-edge:oci\.privateKey: \(value hidden\) looks like a secret; secrets are not read from structured config: remove it and run `pulumi config set --secret ociPrivateKey < ~\/\.oci\/oci_api_key\.pem`/);
        });
    });

    describe("nodes: Arm machine types", () => {
        it("derives arm64 from the T2A, C4A and N4A families and checks a stated arch against it", () => {
            const raw = edit(loadStackFile(FILLED_DEV_STACK_FILE), "nodes", (n) => [...n, { name: "arm-1", role: "worker", machineType: "t2a-standard-4" }, { name: "arm-2", role: "worker", machineType: "n4a-standard-2", arch: "arm64" }]);
            assert.deepEqual(parseStackConfig(raw).cloudNodes.map((n) => n.arch), ["amd64", "amd64", "arm64", "arm64"]);
            const wrong = edit(loadStackFile(FILLED_DEV_STACK_FILE), "nodes", (n) => [n[0], { ...n[1], arch: "arm64" }]);
            assert.deepEqual(problemsOf(wrong), [
                `${NS}:nodes[1].arch: "arm64" contradicts machineType "e2-standard-8", which is amd64; remove arch (the machine type decides) or pick a arm64 type (t2a-standard-4, c4a-standard-4, n4a-standard-4)`,
            ]);
        });
    });
});
