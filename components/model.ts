/**
 * The stack model (model/stack.ts) as components receive it, its secrets typed as Pulumi outputs: every secret value
 * the config parser returns is a `pulumi.Output<string>` already marked secret, so it cannot be
 * printed by accident and stays secret in state.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as M from "../model/stack";

export { PROJECT, TAILNET_IPV4_CIDR, TAILNET_IPV6_CIDR } from "../model/stack";
export type {
    Architecture,
    ClusterConfig,
    CloudNodeConfig,
    EdgeBridgeConfig,
    EdgeDhcpConfig,
    EdgeMachineConfig,
    EdgeStorageConfig,
    EdgeVmConfig,
    GcpConfig,
    ImagesConfig,
    NodeRole,
    OciWorkerConfig,
    ProxmoxMachineConfig,
} from "../model/stack";

/** A secret config value. */
export type Secret = pulumi.Output<string>;
export type StackConfig = M.StackConfig<Secret>;
export type TailscaleAuth = M.TailscaleAuth<Secret>;
export type TailnetConfig = M.TailnetConfig<Secret>;
export type KeyBackendConfig = M.KeyBackendConfig<Secret>;
export type BootServiceConfig = M.BootServiceConfig<Secret>;
export type EdgeHostConfig = M.EdgeHostConfig<Secret>;
export type EdgeSiteConfig = M.EdgeSiteConfig<Secret>;
export type HeadscaleConfig = M.HeadscaleConfig<Secret>;
export type ProxmoxConfig = M.ProxmoxConfig<Secret>;
export type OciConfig = M.OciConfig<Secret>;
