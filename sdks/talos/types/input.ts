/**
 * Input object types, laid out as in the generated SDK (`types/input.ts`): one namespace per
 * schema module. Types also used by an invoke's plain form come in two flavours, `X` (plain
 * values) and `XArgs` (Inputs, for the Output form and resource state).
 */
import * as pulumi from "@pulumi/pulumi";

export namespace client {
    /** Talos API client credentials (`talos:client/getConfigurationClientConfiguration`); pass `Secrets.clientConfiguration`. */
    export interface GetConfigurationClientConfiguration {
        /** PEM CA certificate of the Talos API. */
        caCertificate: string;
        /** PEM client certificate. */
        clientCertificate: string;
        /** PEM client private key (secret). */
        clientKey: string;
    }

    /** {@link GetConfigurationClientConfiguration} with Input values. */
    export interface GetConfigurationClientConfigurationArgs {
        /** PEM CA certificate of the Talos API. */
        caCertificate: pulumi.Input<string>;
        /** PEM client certificate. */
        clientCertificate: pulumi.Input<string>;
        /** PEM client private key (secret). */
        clientKey: pulumi.Input<string>;
    }
}

export namespace cluster {
    /** Talos API client credentials (`talos:cluster/KubeconfigClientConfiguration`). */
    export interface KubeconfigClientConfiguration {
        /** PEM CA certificate of the Talos API. */
        caCertificate: pulumi.Input<string>;
        /** PEM client certificate. */
        clientCertificate: pulumi.Input<string>;
        /** PEM client private key (secret). */
        clientKey: pulumi.Input<string>;
    }

    /** Kubernetes API URL and admin credentials (state of a `Kubeconfig`). */
    export interface KubeconfigKubernetesClientConfiguration {
        /** PEM Kubernetes CA certificate. */
        caCertificate?: pulumi.Input<string>;
        /** PEM Kubernetes client certificate. */
        clientCertificate?: pulumi.Input<string>;
        /** PEM Kubernetes client key (secret). */
        clientKey?: pulumi.Input<string>;
        /** Kubernetes API server URL. */
        host?: pulumi.Input<string>;
    }

    /** Operation timeouts, Go duration strings such as "30s" or "2h45m" (default 10m). */
    export interface KubeconfigTimeouts {
        /** Timeout of create. */
        create?: pulumi.Input<string>;
        /** Timeout of update. */
        update?: pulumi.Input<string>;
    }

    /** Talos API client credentials (`talos:cluster/getHealthClientConfiguration`). */
    export interface GetHealthClientConfiguration {
        /** PEM CA certificate of the Talos API. */
        caCertificate: string;
        /** PEM client certificate. */
        clientCertificate: string;
        /** PEM client private key (secret). */
        clientKey: string;
    }

    /** {@link GetHealthClientConfiguration} with Input values. */
    export interface GetHealthClientConfigurationArgs {
        /** PEM CA certificate of the Talos API. */
        caCertificate: pulumi.Input<string>;
        /** PEM client certificate. */
        clientCertificate: pulumi.Input<string>;
        /** PEM client private key (secret). */
        clientKey: pulumi.Input<string>;
    }

    /** Read timeout of the health check, a Go duration string (default 10m). */
    export interface GetHealthTimeouts {
        /** How long to wait for the cluster to become healthy. */
        read?: string;
    }

    /** {@link GetHealthTimeouts} with Input values. */
    export interface GetHealthTimeoutsArgs {
        /** How long to wait for the cluster to become healthy. */
        read?: pulumi.Input<string>;
    }
}

export namespace machine {
    /** Talos API client credentials (`talos:machine/generated:ClientConfiguration`); pass `Secrets.clientConfiguration`. */
    export interface ClientConfiguration {
        /** PEM CA certificate of the Talos API. */
        caCertificate: pulumi.Input<string>;
        /** PEM client certificate. */
        clientCertificate: pulumi.Input<string>;
        /** PEM client private key (secret). */
        clientKey: pulumi.Input<string>;
    }

    /** Cluster PKI and tokens (`talos:machine/generated:MachineSecrets`); pass `Secrets.machineSecrets`. */
    export interface MachineSecrets {
        /** Certificate authorities. */
        certs: Certificates;
        /** Cluster identity. */
        cluster: Cluster;
        /** Kubernetes bootstrap token and encryption secrets. */
        secrets: KubernetesSecrets;
        /** trustd join token. */
        trustdinfo: TrustdInfo;
    }

    /** {@link MachineSecrets} with Input values. */
    export interface MachineSecretsArgs {
        /** Certificate authorities. */
        certs: pulumi.Input<CertificatesArgs>;
        /** Cluster identity. */
        cluster: pulumi.Input<ClusterArgs>;
        /** Kubernetes bootstrap token and encryption secrets. */
        secrets: pulumi.Input<KubernetesSecretsArgs>;
        /** trustd join token. */
        trustdinfo: pulumi.Input<TrustdInfoArgs>;
    }

    /** The cluster's certificate authorities. */
    export interface Certificates {
        /** etcd CA. */
        etcd: Certificate;
        /** Kubernetes CA. */
        k8s: Certificate;
        /** Kubernetes front-proxy (aggregator) CA. */
        k8sAggregator: Certificate;
        /** Service-account signing key. */
        k8sServiceaccount: Key;
        /** Talos API (os) CA. */
        os: Certificate;
    }

    /** {@link Certificates} with Input values. */
    export interface CertificatesArgs {
        /** etcd CA. */
        etcd: pulumi.Input<CertificateArgs>;
        /** Kubernetes CA. */
        k8s: pulumi.Input<CertificateArgs>;
        /** Kubernetes front-proxy (aggregator) CA. */
        k8sAggregator: pulumi.Input<CertificateArgs>;
        /** Service-account signing key. */
        k8sServiceaccount: pulumi.Input<KeyArgs>;
        /** Talos API (os) CA. */
        os: pulumi.Input<CertificateArgs>;
    }

    /** A PEM certificate and its key. */
    export interface Certificate {
        /** PEM certificate. */
        cert: string;
        /** PEM private key (secret). */
        key: string;
    }

    /** {@link Certificate} with Input values. */
    export interface CertificateArgs {
        /** PEM certificate. */
        cert: pulumi.Input<string>;
        /** PEM private key (secret). */
        key: pulumi.Input<string>;
    }

    /** A bare private key. */
    export interface Key {
        /** PEM private key (secret). */
        key: string;
    }

    /** {@link Key} with Input values. */
    export interface KeyArgs {
        /** PEM private key (secret). */
        key: pulumi.Input<string>;
    }

    /** Cluster identity. */
    export interface Cluster {
        /** Cluster ID. */
        id: string;
        /** Cluster secret (secret). */
        secret: string;
    }

    /** {@link Cluster} with Input values. */
    export interface ClusterArgs {
        /** Cluster ID. */
        id: pulumi.Input<string>;
        /** Cluster secret (secret). */
        secret: pulumi.Input<string>;
    }

    /** Kubernetes secrets. */
    export interface KubernetesSecrets {
        /** AES-CBC encryption secret for Kubernetes secrets at rest (secret). */
        aescbcEncryptionSecret?: string;
        /** Bootstrap token (secret). */
        bootstrapToken: string;
        /** secretbox encryption secret for Kubernetes secrets at rest (secret). */
        secretboxEncryptionSecret: string;
    }

    /** {@link KubernetesSecrets} with Input values. */
    export interface KubernetesSecretsArgs {
        /** AES-CBC encryption secret for Kubernetes secrets at rest (secret). */
        aescbcEncryptionSecret?: pulumi.Input<string>;
        /** Bootstrap token (secret). */
        bootstrapToken: pulumi.Input<string>;
        /** secretbox encryption secret for Kubernetes secrets at rest (secret). */
        secretboxEncryptionSecret: pulumi.Input<string>;
    }

    /** trustd secrets. */
    export interface TrustdInfo {
        /** trustd token (secret). */
        token: string;
    }

    /** {@link TrustdInfo} with Input values. */
    export interface TrustdInfoArgs {
        /** trustd token (secret). */
        token: pulumi.Input<string>;
    }

    /** What to do when the ConfigurationApply is destroyed; a no-op unless `reset` is true. */
    export interface ConfigurationApplyOnDestroy {
        /** Leave etcd (with etcd checks) before resetting; default true. */
        graceful?: pulumi.Input<boolean>;
        /** Reboot instead of halting after the reset; default false. */
        reboot?: pulumi.Input<boolean>;
        /** Wipe STATE and EPHEMERAL; default false. */
        reset?: pulumi.Input<boolean>;
    }

    /** Operation timeouts, Go duration strings such as "30s" or "2h45m" (default 10m each). */
    export interface Timeout {
        /** Timeout of create (first apply, retried until it succeeds or this expires). */
        create?: pulumi.Input<string>;
        /** Timeout of delete; honoured only if saved to state before the destroy. */
        delete?: pulumi.Input<string>;
        /** Timeout of update. */
        update?: pulumi.Input<string>;
    }

    /** Bootstrap timeout, a Go duration string (default 10m). */
    export interface BootstrapTimeouts {
        /** How long to retry the bootstrap call. */
        create?: pulumi.Input<string>;
    }
}
