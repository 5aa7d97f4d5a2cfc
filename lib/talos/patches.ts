/**
 * Talos machine-config patches for the cloud nodes and the edge base worker config.
 *
 * Pure functions from plain values to patch strings (strategic-merge YAML, one document per
 * string) that `talos.machine.getConfiguration` applies in order. Tests parse them back with
 * `yaml`, so every patch is a real document, never a hand-built string.
 */
import { parse, stringify } from "yaml";
import { hostnameConfig, tailscaleExtensionConfig, TAILNET_VALID_SUBNETS } from "./documents";

/** The interface flannel must carry VXLAN over: the only network every node shares. */
export const FLANNEL_INTERFACE = "tailscale0";

export interface ClusterPatchOptions {
    /** Pod CIDR, e.g. "10.244.0.0/16". */
    podCidr: string;
    /** Service CIDR, e.g. "10.96.0.0/12". */
    serviceCidr: string;
    /** Extra API-server certificate SANs (names or IPs); Talos adds every node address itself. */
    apiServerCertSans: string[];
}

/**
 * The cluster-wide patch every node gets, cloud and edge alike.
 *
 * - kubelet registers only a tailnet address, so cloud and edge nodes reach each other by the
 *   addresses Kubernetes reports;
 * - flannel binds VXLAN to tailscale0. The flannel DaemonSet is rendered by the control planes
 *   from *their* `cluster.network.cni`, so it must be here (not in a worker-only patch); it is
 *   declarative, unlike the seed's `kubectl patch` that a node reset lost;
 * - pod and service CIDRs are pinned so edge and cloud configs cannot drift apart.
 */
export function clusterPatch(o: ClusterPatchOptions): string {
    return stringify({
        machine: {
            kubelet: { nodeIP: { validSubnets: [...TAILNET_VALID_SUBNETS] } },
        },
        cluster: {
            network: {
                podSubnets: [o.podCidr],
                serviceSubnets: [o.serviceCidr],
                cni: { name: "flannel", flannel: { extraArgs: [`--iface=${FLANNEL_INTERFACE}`] } },
            },
            apiServer: { certSANs: uniqueSorted(o.apiServerCertSans) },
        },
    });
}

/**
 * Control-plane-only settings. etcd peers advertise their VPC address: the control planes share
 * one low-latency subnet, and quorum must not depend on tailscaled being up after a reboot.
 * Left unset, etcd would pick whichever address came first, sometimes the tailnet one.
 */
export function controlPlanePatch(o: { etcdSubnets: string[] }): string {
    if (o.etcdSubnets.length === 0) {
        throw new Error("controlPlanePatch: etcdSubnets is empty; pass the VPC subnet CIDR the control planes share");
    }
    return stringify({ cluster: { etcd: { advertisedSubnets: [...o.etcdSubnets] } } });
}

/**
 * `machine.install.image`: the Image Factory installer of the node's schematic, so an upgrade
 * or reinstall keeps the extensions (tailscale) the node booted with.
 */
export function installImagePatch(image: string): string {
    if (!/^[a-z0-9.-]+(:\d+)?\/[^\s:]+:[^\s]+$/.test(image)) {
        throw new Error(`installImagePatch: "${image}" is not an installer image reference like factory.talos.dev/gcp-installer/<schematic>:v1.12.4`);
    }
    return stringify({ machine: { install: { image } } });
}

export interface NodeIdentityPatchOptions {
    /** Addresses talosctl may dial this node's apid on, beyond those Talos sees on its NICs (e.g. the GCE NAT IP). */
    talosApiCertSans: string[];
    /** Node labels, e.g. topology.kubernetes.io/zone. */
    labels: Record<string, string>;
}

/** Per-node v1alpha1 settings: apid certificate SANs and node labels. */
export function nodeIdentityPatch(o: NodeIdentityPatchOptions): string {
    return stringify({
        machine: {
            certSANs: uniqueSorted(o.talosApiCertSans),
            nodeLabels: { ...o.labels },
        },
    });
}

/**
 * A `HostnameConfig` patch. The generated config already holds `HostnameConfig{auto: stable}`
 * (Talos >= 1.12) and a strategic merge keeps `auto`, which Talos rejects next to `hostname`
 * unless `auto` is `off`. So the shared document gets `auto: "off"` (quoted: YAML 1.1 readers
 * would take a bare off for false).
 */
export function hostnamePatch(hostname: string): string {
    const doc = parse(hostnameConfig(hostname)) as Record<string, unknown>;
    return stringify({ ...doc, auto: "off" }, { defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN" });
}

/**
 * The tailscale `ExtensionServiceConfig` (TS_AUTH_ONCE=true) for one node; the result holds the
 * key. `extraArgs` go to TS_EXTRA_ARGS (Headscale's `--login-server=<url>`).
 */
export function tailscalePatch(authKey: string, hostname: string, extraArgs: readonly string[] = []): string {
    return tailscaleExtensionConfig({ authKey, hostname, extraArgs: [...extraArgs] });
}

function uniqueSorted(values: string[]): string[] {
    return [...new Set(values.filter((v) => v.length > 0))].sort();
}
