/**
 * The typed stack model: what the stack config parser (stacks/config/) returns after
 * validating raw Pulumi config, and what every component receives.
 *
 * Imports nothing of the project and no Pulumi: secret values are typed by the parameter `S`,
 * which the program instantiates with `pulumi.Output<string>` (values already marked secret, so
 * they cannot be printed by accident and stay secret in state).
 */
import type { DayTwoConfig } from "./dayTwo";
import type { Architecture, EdgeMachineConfig } from "./edgeMachine";

export type { Architecture, EdgeMachineConfig, EdgeVmConfig } from "./edgeMachine";


/** The Pulumi project name; also the first segment of every component type token. */
export const PROJECT = "talos-cloud-edge";

/** Tailscale's IPv4 CGNAT range; every node's kubelet registers an address from it. */
export const TAILNET_IPV4_CIDR = "100.64.0.0/10";
/** Tailscale's IPv6 ULA range. */
export const TAILNET_IPV6_CIDR = "fd7a:115c:a1e0::/48";

export type NodeRole = "controlplane" | "worker";

export interface StackConfig<S> {
    cluster: ClusterConfig;
    gcp: GcpConfig;
    /** Cloud nodes in declaration order; the first control plane bootstraps etcd. */
    cloudNodes: CloudNodeConfig[];
    images: ImagesConfig;
    tailnet: TailnetConfig<S>;
    bootService: BootServiceConfig<S>;
    /** Edge sites; empty when the stack has no edge. */
    edgeSites: EdgeSiteConfig<S>[];
    /** Day-two bounds (upgrades, removal, readiness gate, credential renewal). Default `DAY_TWO_DEFAULTS`. */
    dayTwo: DayTwoConfig;
    /** Talos worker VMs on a Proxmox VE host (`talos-cloud-edge:proxmox`); undefined = none. */
    proxmox?: ProxmoxConfig<S>;
    /** Talos arm64 workers on Oracle Cloud (`talos-cloud-edge:oci`); undefined = none. */
    oci?: OciConfig<S>;
}

export interface ClusterConfig {
    /** Cluster name (DNS label, at most 40 characters); prefixes cloud resource names. */
    name: string;
    /** Talos version installed on every node, e.g. "v1.12.4". */
    talosVersion: string;
    /**
     * Machine-config contract ("v1.12"), derived from `talosVersion`. Pinned on
     * `Secrets` and `getConfiguration`: lowering it would replace the secrets (new PKI).
     */
    talosContract: string;
    /** Kubernetes version, e.g. "v1.35.0"; undefined lets Talos pick its default. */
    kubernetesVersion?: string;
    /** Pod CIDR. Default "10.244.0.0/16". */
    podCidr: string;
    /** Service CIDR. Default "10.96.0.0/12". */
    serviceCidr: string;
    /** Extra API-server certificate SANs (names or IPs). Default []. */
    certSans: string[];
    /** Bound on the cluster health gate, as a Go duration ("10m"). Default "10m". */
    healthTimeout: string;
}

export interface GcpConfig {
    /** GCP project id (from `gcp:project`). */
    project: string;
    /** Region for the subnet, addresses, image bucket and Cloud Run. */
    region: string;
    /** Zone for instances. Default `${region}-a`. */
    zone: string;
    /** Primary VPC subnet CIDR, e.g. "10.1.0.0/24". */
    subnetCidr: string;
    /** CIDRs allowed to reach the Talos API (50000) and Kubernetes API (6443). Default []. */
    adminCidrs: string[];
    /** Explicit opt-in required to put 0.0.0.0/0 in `adminCidrs`. Default false. */
    allowWorldAdmin: boolean;
}

export interface CloudNodeConfig {
    /** Node name (DNS label); the GCE instance is `${cluster.name}-${name}`. */
    name: string;
    role: NodeRole;
    /** GCE machine type, e.g. "e2-standard-4", or an Arm one ("t2a-standard-4", "c4a-standard-4"). */
    machineType: string;
    /** CPU architecture, derived from the machine type's family by the config parser (t2a, c4a = arm64); absent = amd64. */
    arch?: Architecture;
    /** Boot disk size in GB. Default 50. */
    diskSizeGb: number;
}

export interface ImagesConfig {
    /** Official extensions for cloud nodes. Default ["siderolabs/tailscale"] (the seed's schematic 4a0d65c6...). */
    cloudExtensions: string[];
    /** Official extensions for edge nodes. Default ["siderolabs/qemu-guest-agent", "siderolabs/tailscale"] (the seed's 7d4c31cb...). */
    edgeExtensions: string[];
    /** Image Factory base URL. Default "https://factory.talos.dev". */
    factoryUrl: string;
    /**
     * Custom iPXE build (infra/ipxe/build.sh: HTTPS, pinned CA, embedded retry script) that every
     * edge host serves over TFTP; local paths on the runner. Undefined = the host's Debian iPXE.
     */
    ipxe?: { efi: string; bios: string };
}

export type TailscaleAuth<S> =
    | { kind: "oauth"; clientId: string; clientSecret: S }
    | { kind: "apiKey"; apiKey: S };

/**
 * Headscale as the overlay's control server (`talos-cloud-edge:headscale` + secret
 * `headscaleApiKey`): every node, cloud and edge, joins it instead of Tailscale's service.
 */
export interface HeadscaleConfig<S> {
    /** Server URL (https, no path), e.g. "https://headscale.lab.internal": every node's `--login-server` and the REST API base. */
    url: string;
    /** Headscale user id (decimal, `headscale users list`) owning the keys; undefined = tag-only keys. */
    user?: string;
    /** API key from `headscale apikeys create` (secret). */
    apiKey: S;
}

export interface TailnetConfig<S> {
    /** Tailnet name; "-" means the tailnet of the credentials. Default "-". Unused with Headscale. */
    tailnet: string;
    /** Credentials for the Tailscale API (OAuth client preferred); undefined when `headscale` is set. */
    auth?: TailscaleAuth<S>;
    /** The Headscale control server; undefined = Tailscale's service. Exactly one of `auth` and `headscale` is set. */
    headscale?: HeadscaleConfig<S>;
    /** Tags on cloud-node auth keys, e.g. ["tag:talos-cloud"]. */
    cloudTags: string[];
    /** Tags on edge-node auth keys, e.g. ["tag:talos-edge"]. */
    edgeTags: string[];
    /** Expiry of auth keys the stack creates, in seconds. Default 3600; at most 86400. */
    keyExpirySeconds: number;
}

export type KeyBackendConfig<S> =
    /** Mint per boot with the tailnet's OAuth client (requires `tailnet.auth.kind === "oauth"`). */
    | { kind: "tailscale" }
    /** Mint per boot from a Headscale server. */
    | { kind: "headscale"; url: string; user?: string; apiKey: S }
    /** One single-use key per inventory machine, created by the stack. */
    | { kind: "static" };

export interface BootServiceConfig<S> {
    /** Cloud Run region. Default `gcp.region`. */
    region: string;
    /** Minimum instances. Default 0 (scale to zero). */
    minInstances: number;
    /** Maximum instances. Default 1. The service always keeps its state in Cloud SQL PostgreSQL; this picks the tier (decision 0011). */
    maxInstances: number;
    /** Config ticket lifetime in seconds. Default 900. */
    ticketTtlSeconds: number;
    /** Expiry of per-boot edge auth keys in seconds. Default 3600; at most 3600. */
    edgeKeyExpirySeconds: number;
    /** Where per-boot Tailscale keys come from. Default { kind: "tailscale" } with OAuth, else "static". */
    keyBackend: KeyBackendConfig<S>;
    /** Requests per minute allowed from one source address. Default 120. */
    rateLimitPerMinute: number;
    /** Kernel console arguments for edge boots. Default ["console=tty0", "console=ttyS0,115200"]. */
    consoleArgs: string[];
}

export interface EdgeHostConfig<S> {
    /** SSH address (IP or DNS name) of the KVM host. */
    address: string;
    /** SSH port. Default 22. */
    port: number;
    /** SSH user (needs sudo without a password for OVS, systemd and libvirt). Default "root". */
    user: string;
    /**
     * The host's SSH public host key ("ssh-ed25519 AAAA..."): commands refuse any other.
     * Required: no trust on first use.
     */
    hostKey: string;
    /** Private key for SSH (secret config `edgeSshPrivateKey`); undefined = use the runner's ssh-agent. */
    privateKey?: S;
    /** Uplink interface that edge traffic is NATed out of, e.g. "eno1". */
    uplinkInterface: string;
    /** libvirt connection URI. Default `qemu+ssh://${user}@${address}:${port}/system?sshauth=agent,privkey`. */
    libvirtUri: string;
}

export interface EdgeBridgeConfig {
    /** Open vSwitch bridge name (at most 15 characters), e.g. "setup02-edge". */
    name: string;
    /** Gateway address with prefix on the bridge, e.g. "10.0.20.1/24". */
    gatewayCidr: string;
    /** The site subnet, derived from `gatewayCidr` ("10.0.20.0/24"). */
    subnetCidr: string;
    /** Gateway address alone ("10.0.20.1"). */
    gateway: string;
    /** Prefix length (24). */
    prefixLength: number;
    /** MTU of the bridge and the DHCP-advertised MTU. Default 1500. */
    mtu: number;
}

export interface EdgeDhcpConfig {
    /** Address dnsmasq serves DHCP from, inside the subnet, e.g. "10.0.20.2". */
    serverAddress: string;
    /** First dynamic address, e.g. "10.0.20.10". */
    rangeStart: string;
    /** Last dynamic address, e.g. "10.0.20.200". */
    rangeEnd: string;
    /** Lease time for dynamic addresses, dnsmasq syntax. Default "1h". */
    leaseTime: string;
    /** DNS servers handed out. Default ["1.1.1.1", "8.8.8.8"]. */
    dnsServers: string[];
}

export type EdgeStorageConfig =
    /** LVM logical volumes in an existing volume group, as in the seed. */
    | { kind: "lvm"; volumeGroup: string }
    /** libvirt pool volumes. */
    | { kind: "pool"; pool: string };

export interface EdgeSiteConfig<S> {
    /** Site name (DNS label); also the `topology.kubernetes.io/zone` label value. */
    name: string;
    host: EdgeHostConfig<S>;
    bridge: EdgeBridgeConfig;
    dhcp: EdgeDhcpConfig;
    /** Where VM disks live. Default { kind: "pool", pool: "default" }. */
    storage: EdgeStorageConfig;
    machines: EdgeMachineConfig[];
}

/** A Talos worker VM on the Proxmox host. */
export interface ProxmoxMachineConfig {
    /** VM name = Talos hostname = Kubernetes node name = overlay hostname (DNS label). */
    name: string;
    /** Proxmox VM id (100..999999999), unique on the host. */
    vmId: number;
    /** Static LAN IPv4 address inside `ProxmoxConfig.subnetCidr`; baked into the image's META key 10. */
    address: string;
    /** NIC MAC ("bc:24:11:xx:xx:xx", lower case). Default: derived from cluster and VM name (`deterministicMac`). */
    mac: string;
    /** vCPU cores. Default 2. */
    cores: number;
    /** Memory in MiB. Default 4096. */
    memoryMiB: number;
    /** System disk size in GB (Talos needs at least 10). Default 20. */
    diskSizeGb: number;
}

/** Talos worker VMs on one Proxmox VE node, with static addresses from META key 10 (seed 003). */
export interface ProxmoxConfig<S> {
    /** Proxmox VE API endpoint, e.g. "https://pve.lab.internal:8006/". */
    endpoint: string;
    /** API token "user@realm!tokenid=secret" (secret config `proxmoxApiToken`). */
    apiToken: S;
    /** Accept the API's self-signed certificate. Default false. */
    insecure: boolean;
    /** The Proxmox node (host) that runs the VMs, e.g. "pve". */
    nodeName: string;
    /** Datastore of the VM disks. Default "local-lvm". */
    vmDatastore: string;
    /** Datastore with `import` and `iso` content (Talos disk image, config ISOs). Default "local". */
    fileDatastore: string;
    /** Bridge the VMs' NIC is attached to. Default "vmbr0". */
    bridge: string;
    /** VLAN tag of the NIC; undefined = untagged. */
    vlanId?: number;
    /** The LAN gateway with prefix, e.g. "10.0.0.1/16" (the seed's home network). */
    gatewayCidr: string;
    /** The LAN, derived from `gatewayCidr` ("10.0.0.0/16"). */
    subnetCidr: string;
    /** Gateway alone ("10.0.0.1"). */
    gateway: string;
    /** Prefix length (16). */
    prefixLength: number;
    /** DNS servers baked into META. Default ["1.1.1.1", "8.8.8.8"]. */
    dnsServers: string[];
    /** Official extensions of the per-VM schematics. Default ["siderolabs/qemu-guest-agent", "siderolabs/tailscale"]. */
    extensions: string[];
    /** The VMs, all workers. */
    machines: ProxmoxMachineConfig[];
}

/** One Ampere A1 worker on Oracle Cloud. */
export interface OciWorkerConfig {
    /** Instance display name = Talos hostname = Kubernetes node name = overlay hostname (DNS label). */
    name: string;
    /** Compute shape. Default "VM.Standard.A1.Flex". */
    shape: string;
    /** OCPUs of the flexible shape. Default 4. */
    ocpus: number;
    /** Memory in GB. Default 24. */
    memoryGb: number;
    /** Boot volume size in GB (OCI's minimum is 50). Default 50. */
    bootVolumeSizeGb: number;
}

/** Oracle Cloud arm64 workers booted from an Image Factory `oracle-arm64` image (seed 004). */
export interface OciConfig<S> {
    /** OCI region, e.g. "us-ashburn-1". */
    region: string;
    /** Tenancy OCID (API signing). */
    tenancyOcid: string;
    /** User OCID (API signing). */
    userOcid: string;
    /** Fingerprint of the API signing key ("aa:bb:..."). */
    fingerprint: string;
    /** PEM private API signing key (secret config `ociPrivateKey`). */
    privateKey: S;
    /** Compartment OCID for the image, bucket and instances. */
    compartmentId: string;
    /** Availability domain, e.g. "Uocm:US-ASHBURN-AD-1". */
    availabilityDomain: string;
    /** OCID of the existing subnet the workers join (it needs outbound internet: a NAT gateway or public IPs). */
    subnetId: string;
    /** Give each worker a public IP (egress without a NAT gateway). Default false. */
    assignPublicIp: boolean;
    /** The workers. */
    workers: OciWorkerConfig[];
}
