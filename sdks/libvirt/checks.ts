/**
 * Compile-time proof that the hand-written declarations say exactly what manifest.ts says:
 * same property names, same optionality, same types (Input/Output wrappers removed), for every
 * Args, State, class and nested object type. A misspelt or missing property anywhere fails
 * `tsc -p sdks/libvirt` (and so `npm install` and the tests). Nothing here exists at run time.
 */
import * as pulumi from "@pulumi/pulumi";
import { Assert, AllTrue, ProviderChecks, ResourceChecks, Same, TypeShape } from "../common/spec";
import { Domain, DomainArgs, DomainState } from "./domain";
import * as manifest from "./manifest";
import { Resources, Types } from "./manifest";
import { Network, NetworkArgs, NetworkState } from "./network";
import { Pool, PoolArgs, PoolState } from "./pool";
import { ProviderArgs } from "./provider";
import * as inputs from "./types/input";
import * as outputs from "./types/output";
import { Volume, VolumeArgs, VolumeState } from "./volume";

type R<T extends keyof Resources, Class, Args, State> = ResourceChecks<Resources[T], Types, Class, Args, State>;
type In<T extends keyof Types> = TypeShape<T, Types, "input">;
type Out<T extends keyof Types> = TypeShape<T, Types, "output">;
type U<T> = pulumi.Unwrap<T>;

export type ProviderCheck = Assert<ProviderChecks<typeof manifest.provider, Types, ProviderArgs>>;

export type DomainCheck = Assert<R<"libvirt:index/domain:Domain", Domain, DomainArgs, DomainState>>;
export type VolumeCheck = Assert<R<"libvirt:index/volume:Volume", Volume, VolumeArgs, VolumeState>>;
export type PoolCheck = Assert<R<"libvirt:index/pool:Pool", Pool, PoolArgs, PoolState>>;
export type NetworkCheck = Assert<R<"libvirt:index/network:Network", Network, NetworkArgs, NetworkState>>;

// Nested object types, one line per interface (catches extra optional fields the
// whole-object checks above would tolerate).
export type NestedTypeChecks = Assert<
    AllTrue<
        [
            Same<U<inputs.DomainBootDevice>, In<"libvirt:index/DomainBootDevice:DomainBootDevice">>,
            Same<U<inputs.DomainConsole>, In<"libvirt:index/DomainConsole:DomainConsole">>,
            Same<U<inputs.DomainCpu>, In<"libvirt:index/DomainCpu:DomainCpu">>,
            Same<U<inputs.DomainDisk>, In<"libvirt:index/DomainDisk:DomainDisk">>,
            Same<U<inputs.DomainFilesystem>, In<"libvirt:index/DomainFilesystem:DomainFilesystem">>,
            Same<U<inputs.DomainGraphics>, In<"libvirt:index/DomainGraphics:DomainGraphics">>,
            Same<U<inputs.DomainNetworkInterface>, In<"libvirt:index/DomainNetworkInterface:DomainNetworkInterface">>,
            Same<U<inputs.DomainNvram>, In<"libvirt:index/DomainNvram:DomainNvram">>,
            Same<U<inputs.DomainTpm>, In<"libvirt:index/DomainTpm:DomainTpm">>,
            Same<U<inputs.DomainVideo>, In<"libvirt:index/DomainVideo:DomainVideo">>,
            Same<U<inputs.DomainXml>, In<"libvirt:index/DomainXml:DomainXml">>,
            Same<U<inputs.NetworkDhcp>, In<"libvirt:index/NetworkDhcp:NetworkDhcp">>,
            Same<U<inputs.NetworkDns>, In<"libvirt:index/NetworkDns:NetworkDns">>,
            Same<U<inputs.NetworkDnsForwarder>, In<"libvirt:index/NetworkDnsForwarder:NetworkDnsForwarder">>,
            Same<U<inputs.NetworkDnsHost>, In<"libvirt:index/NetworkDnsHost:NetworkDnsHost">>,
            Same<U<inputs.NetworkDnsSrv>, In<"libvirt:index/NetworkDnsSrv:NetworkDnsSrv">>,
            Same<U<inputs.NetworkDnsmasqOptions>, In<"libvirt:index/NetworkDnsmasqOptions:NetworkDnsmasqOptions">>,
            Same<U<inputs.NetworkDnsmasqOptionsOption>, In<"libvirt:index/NetworkDnsmasqOptionsOption:NetworkDnsmasqOptionsOption">>,
            Same<U<inputs.NetworkRoute>, In<"libvirt:index/NetworkRoute:NetworkRoute">>,
            Same<U<inputs.NetworkXml>, In<"libvirt:index/NetworkXml:NetworkXml">>,
            Same<U<inputs.PoolSource>, In<"libvirt:index/PoolSource:PoolSource">>,
            Same<U<inputs.PoolSourceDevice>, In<"libvirt:index/PoolSourceDevice:PoolSourceDevice">>,
            Same<U<inputs.PoolTarget>, In<"libvirt:index/PoolTarget:PoolTarget">>,
            Same<U<inputs.PoolXml>, In<"libvirt:index/PoolXml:PoolXml">>,
            Same<U<inputs.VolumeXml>, In<"libvirt:index/VolumeXml:VolumeXml">>,
            Same<outputs.DomainBootDevice, Out<"libvirt:index/DomainBootDevice:DomainBootDevice">>,
            Same<outputs.DomainConsole, Out<"libvirt:index/DomainConsole:DomainConsole">>,
            Same<outputs.DomainCpu, Out<"libvirt:index/DomainCpu:DomainCpu">>,
            Same<outputs.DomainDisk, Out<"libvirt:index/DomainDisk:DomainDisk">>,
            Same<outputs.DomainFilesystem, Out<"libvirt:index/DomainFilesystem:DomainFilesystem">>,
            Same<outputs.DomainGraphics, Out<"libvirt:index/DomainGraphics:DomainGraphics">>,
            Same<outputs.DomainNetworkInterface, Out<"libvirt:index/DomainNetworkInterface:DomainNetworkInterface">>,
            Same<outputs.DomainNvram, Out<"libvirt:index/DomainNvram:DomainNvram">>,
            Same<outputs.DomainTpm, Out<"libvirt:index/DomainTpm:DomainTpm">>,
            Same<outputs.DomainVideo, Out<"libvirt:index/DomainVideo:DomainVideo">>,
            Same<outputs.DomainXml, Out<"libvirt:index/DomainXml:DomainXml">>,
            Same<outputs.NetworkDhcp, Out<"libvirt:index/NetworkDhcp:NetworkDhcp">>,
            Same<outputs.NetworkDns, Out<"libvirt:index/NetworkDns:NetworkDns">>,
            Same<outputs.NetworkDnsForwarder, Out<"libvirt:index/NetworkDnsForwarder:NetworkDnsForwarder">>,
            Same<outputs.NetworkDnsHost, Out<"libvirt:index/NetworkDnsHost:NetworkDnsHost">>,
            Same<outputs.NetworkDnsSrv, Out<"libvirt:index/NetworkDnsSrv:NetworkDnsSrv">>,
            Same<outputs.NetworkDnsmasqOptions, Out<"libvirt:index/NetworkDnsmasqOptions:NetworkDnsmasqOptions">>,
            Same<outputs.NetworkDnsmasqOptionsOption, Out<"libvirt:index/NetworkDnsmasqOptionsOption:NetworkDnsmasqOptionsOption">>,
            Same<outputs.NetworkRoute, Out<"libvirt:index/NetworkRoute:NetworkRoute">>,
            Same<outputs.NetworkXml, Out<"libvirt:index/NetworkXml:NetworkXml">>,
            Same<outputs.PoolSource, Out<"libvirt:index/PoolSource:PoolSource">>,
            Same<outputs.PoolSourceDevice, Out<"libvirt:index/PoolSourceDevice:PoolSourceDevice">>,
            Same<outputs.PoolTarget, Out<"libvirt:index/PoolTarget:PoolTarget">>,
            Same<outputs.PoolXml, Out<"libvirt:index/PoolXml:PoolXml">>,
            Same<outputs.VolumeXml, Out<"libvirt:index/VolumeXml:VolumeXml">>,
        ]
    >
>;
