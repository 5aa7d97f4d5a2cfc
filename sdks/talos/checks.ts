/**
 * Compile-time proof that the hand-written declarations say exactly what manifest.ts says:
 * same property names, same optionality, same types (Input/Output wrappers removed), for every
 * Args, State, class, invoke Args/OutputArgs/Result and nested object type. A misspelt or
 * missing property anywhere fails `tsc -p sdks/talos` (and so `npm install` and the tests).
 * Nothing here exists at run time.
 */
import * as pulumi from "@pulumi/pulumi";
import { Assert, AllTrue, FunctionChecks, ProviderChecks, ResourceChecks, Same, TypeShape } from "../common/spec";
import * as client from "./client";
import * as cluster from "./cluster";
import * as imagefactory from "./imagefactory";
import * as machine from "./machine";
import { Functions, Resources, Types } from "./manifest";
import * as manifest from "./manifest";
import { ProviderArgs } from "./provider";
import * as inputs from "./types/input";
import * as outputs from "./types/output";

type R<T extends keyof Resources, Class, Args, State> = ResourceChecks<Resources[T], Types, Class, Args, State>;
type F<T extends keyof Functions, Args, OutputArgs, Result> = FunctionChecks<Functions[T], Types, Args, OutputArgs, Result>;
type In<T extends keyof Types> = TypeShape<T, Types, "input">;
type Out<T extends keyof Types> = TypeShape<T, Types, "output">;
type U<T> = pulumi.Unwrap<T>;

export type ProviderCheck = Assert<ProviderChecks<typeof manifest.provider, Types, ProviderArgs>>;

export type SecretsCheck = Assert<R<"talos:machine/secrets:Secrets", machine.Secrets, machine.SecretsArgs, machine.SecretsState>>;
export type ConfigurationApplyCheck = Assert<
    R<
        "talos:machine/configurationApply:ConfigurationApply",
        machine.ConfigurationApply,
        machine.ConfigurationApplyArgs,
        machine.ConfigurationApplyState
    >
>;
export type BootstrapCheck = Assert<R<"talos:machine/bootstrap:Bootstrap", machine.Bootstrap, machine.BootstrapArgs, machine.BootstrapState>>;
export type KubeconfigCheck = Assert<
    R<"talos:cluster/kubeconfig:Kubeconfig", cluster.Kubeconfig, cluster.KubeconfigArgs, cluster.KubeconfigState>
>;
export type SchematicCheck = Assert<
    R<"talos:imageFactory/schematic:Schematic", imagefactory.Schematic, imagefactory.SchematicArgs, imagefactory.SchematicState>
>;

export type MachineGetConfigurationCheck = Assert<
    F<
        "talos:machine/getConfiguration:getConfiguration",
        machine.GetConfigurationArgs,
        machine.GetConfigurationOutputArgs,
        machine.GetConfigurationResult
    >
>;
export type ClientGetConfigurationCheck = Assert<
    F<"talos:client/getConfiguration:getConfiguration", client.GetConfigurationArgs, client.GetConfigurationOutputArgs, client.GetConfigurationResult>
>;
export type GetHealthCheck = Assert<
    F<"talos:cluster/getHealth:getHealth", cluster.GetHealthArgs, cluster.GetHealthOutputArgs, cluster.GetHealthResult>
>;
export type GetUrlsCheck = Assert<
    F<"talos:imageFactory/getUrls:getUrls", imagefactory.GetUrlsArgs, imagefactory.GetUrlsOutputArgs, imagefactory.GetUrlsResult>
>;

// Nested object types, one line per interface (catches extra optional fields the
// whole-object checks above would tolerate).
export type NestedTypeChecks = Assert<
    AllTrue<
        [
            Same<U<inputs.machine.ClientConfiguration>, In<"talos:machine/generated:ClientConfiguration">>,
            Same<inputs.machine.MachineSecrets, In<"talos:machine/generated:MachineSecrets">>,
            Same<U<inputs.machine.MachineSecretsArgs>, In<"talos:machine/generated:MachineSecrets">>,
            Same<inputs.machine.Certificates, In<"talos:machine/generated:Certificates">>,
            Same<U<inputs.machine.CertificatesArgs>, In<"talos:machine/generated:Certificates">>,
            Same<inputs.machine.Certificate, In<"talos:machine/generated:Certificate">>,
            Same<U<inputs.machine.CertificateArgs>, In<"talos:machine/generated:Certificate">>,
            Same<inputs.machine.Key, In<"talos:machine/generated:Key">>,
            Same<U<inputs.machine.KeyArgs>, In<"talos:machine/generated:Key">>,
            Same<inputs.machine.Cluster, In<"talos:machine/generated:Cluster">>,
            Same<U<inputs.machine.ClusterArgs>, In<"talos:machine/generated:Cluster">>,
            Same<inputs.machine.KubernetesSecrets, In<"talos:machine/generated:KubernetesSecrets">>,
            Same<U<inputs.machine.KubernetesSecretsArgs>, In<"talos:machine/generated:KubernetesSecrets">>,
            Same<inputs.machine.TrustdInfo, In<"talos:machine/generated:TrustdInfo">>,
            Same<U<inputs.machine.TrustdInfoArgs>, In<"talos:machine/generated:TrustdInfo">>,
            Same<U<inputs.machine.ConfigurationApplyOnDestroy>, In<"talos:machine/ConfigurationApplyOnDestroy:ConfigurationApplyOnDestroy">>,
            Same<U<inputs.machine.Timeout>, In<"talos:machine/Timeout:Timeout">>,
            Same<U<inputs.machine.BootstrapTimeouts>, In<"talos:machine/BootstrapTimeouts:BootstrapTimeouts">>,
            Same<U<inputs.cluster.KubeconfigClientConfiguration>, In<"talos:cluster/KubeconfigClientConfiguration:KubeconfigClientConfiguration">>,
            Same<
                U<inputs.cluster.KubeconfigKubernetesClientConfiguration>,
                In<"talos:cluster/KubeconfigKubernetesClientConfiguration:KubeconfigKubernetesClientConfiguration">
            >,
            Same<U<inputs.cluster.KubeconfigTimeouts>, In<"talos:cluster/KubeconfigTimeouts:KubeconfigTimeouts">>,
            Same<inputs.cluster.GetHealthClientConfiguration, In<"talos:cluster/getHealthClientConfiguration:getHealthClientConfiguration">>,
            Same<U<inputs.cluster.GetHealthClientConfigurationArgs>, In<"talos:cluster/getHealthClientConfiguration:getHealthClientConfiguration">>,
            Same<inputs.cluster.GetHealthTimeouts, In<"talos:cluster/getHealthTimeouts:getHealthTimeouts">>,
            Same<U<inputs.cluster.GetHealthTimeoutsArgs>, In<"talos:cluster/getHealthTimeouts:getHealthTimeouts">>,
            Same<
                inputs.client.GetConfigurationClientConfiguration,
                In<"talos:client/getConfigurationClientConfiguration:getConfigurationClientConfiguration">
            >,
            Same<
                U<inputs.client.GetConfigurationClientConfigurationArgs>,
                In<"talos:client/getConfigurationClientConfiguration:getConfigurationClientConfiguration">
            >,
            Same<outputs.machine.ClientConfiguration, Out<"talos:machine/generated:ClientConfiguration">>,
            Same<outputs.machine.MachineSecrets, Out<"talos:machine/generated:MachineSecrets">>,
            Same<outputs.machine.Certificates, Out<"talos:machine/generated:Certificates">>,
            Same<outputs.machine.Certificate, Out<"talos:machine/generated:Certificate">>,
            Same<outputs.machine.Key, Out<"talos:machine/generated:Key">>,
            Same<outputs.machine.Cluster, Out<"talos:machine/generated:Cluster">>,
            Same<outputs.machine.KubernetesSecrets, Out<"talos:machine/generated:KubernetesSecrets">>,
            Same<outputs.machine.TrustdInfo, Out<"talos:machine/generated:TrustdInfo">>,
            Same<outputs.machine.ConfigurationApplyOnDestroy, Out<"talos:machine/ConfigurationApplyOnDestroy:ConfigurationApplyOnDestroy">>,
            Same<outputs.machine.Timeout, Out<"talos:machine/Timeout:Timeout">>,
            Same<outputs.machine.BootstrapTimeouts, Out<"talos:machine/BootstrapTimeouts:BootstrapTimeouts">>,
            Same<outputs.cluster.KubeconfigClientConfiguration, Out<"talos:cluster/KubeconfigClientConfiguration:KubeconfigClientConfiguration">>,
            Same<
                outputs.cluster.KubeconfigKubernetesClientConfiguration,
                Out<"talos:cluster/KubeconfigKubernetesClientConfiguration:KubeconfigKubernetesClientConfiguration">
            >,
            Same<outputs.cluster.KubeconfigTimeouts, Out<"talos:cluster/KubeconfigTimeouts:KubeconfigTimeouts">>,
            Same<outputs.cluster.GetHealthClientConfiguration, Out<"talos:cluster/getHealthClientConfiguration:getHealthClientConfiguration">>,
            Same<outputs.cluster.GetHealthTimeouts, Out<"talos:cluster/getHealthTimeouts:getHealthTimeouts">>,
            Same<
                outputs.client.GetConfigurationClientConfiguration,
                Out<"talos:client/getConfigurationClientConfiguration:getConfigurationClientConfiguration">
            >,
            Same<outputs.imagefactory.GetUrlsUrls, Out<"talos:imageFactory/getUrlsUrls:getUrlsUrls">>,
        ]
    >
>;
