/**
 * What these bindings declare, token by token, in schema terms. Built from pulumi/pulumi-libvirt
 * v0.5.4 `provider/cmd/pulumi-resource-libvirt/schema.json` (copy:
 * shared/provider-schemas/libvirt-schema.json, pinned by sha256) for the subset talos-cloud-edge uses.
 *
 * Run-time behaviour (copied inputs, required checks, provider environment defaults) is read
 * from here by ../common/runtime.ts (through utilities.ts); checks.ts proves the TypeScript
 * declarations agree with it; test/sdks.test.ts proves it agrees with the schema.
 */
import { ObjectTypeSpec, ProviderSpec, ResourceSpec } from "../common/spec";

/** Package name = token prefix = config namespace. */
export const packageName = "libvirt";
/** The provider release these bindings speak for; every registration carries it. */
export const version = "0.5.4";
/**
 * None: `pulumi-resource-libvirt` is a first-party plugin, which the CLI fetches from its default
 * locations (get.pulumi.com, then GitHub releases of pulumi/pulumi-libvirt).
 */
export const pluginDownloadURL = undefined;

export const types = {
    "libvirt:index/DomainBootDevice:DomainBootDevice": {
        properties: { devs: { array: "string" } },
        required: [],
    },
    "libvirt:index/DomainConsole:DomainConsole": {
        properties: { sourceHost: "string", sourcePath: "string", sourceService: "string", targetPort: "string", targetType: "string", type: "string" },
        required: ["targetPort", "type"],
    },
    "libvirt:index/DomainCpu:DomainCpu": {
        properties: { mode: "string" },
        required: [],
        requiredOutputs: ["mode"],
    },
    "libvirt:index/DomainDisk:DomainDisk": {
        properties: { blockDevice: "string", file: "string", scsi: "boolean", url: "string", volumeId: "string", wwn: "string" },
        required: [],
        requiredOutputs: ["wwn"],
    },
    "libvirt:index/DomainFilesystem:DomainFilesystem": {
        properties: { accessmode: "string", readonly: "boolean", source: "string", target: "string" },
        required: ["source", "target"],
    },
    "libvirt:index/DomainGraphics:DomainGraphics": {
        properties: { autoport: "boolean", listenAddress: "string", listenType: "string", type: "string", websocket: "integer" },
        required: [],
    },
    "libvirt:index/DomainNetworkInterface:DomainNetworkInterface": {
        properties: { addresses: { array: "string" }, bridge: "string", hostname: "string", mac: "string", macvtap: "string", networkId: "string", networkName: "string", passthrough: "string", vepa: "string", waitForLease: "boolean" },
        required: [],
        requiredOutputs: ["addresses", "hostname", "mac", "networkId", "networkName"],
    },
    "libvirt:index/DomainNvram:DomainNvram": {
        properties: { file: "string", template: "string" },
        required: [],
        requiredOutputs: ["file", "template"],
    },
    "libvirt:index/DomainTpm:DomainTpm": {
        properties: { backendDevicePath: "string", backendEncryptionSecret: "string", backendPersistentState: "boolean", backendType: "string", backendVersion: "string", model: "string" },
        required: [],
    },
    "libvirt:index/DomainVideo:DomainVideo": {
        properties: { type: "string" },
        required: [],
    },
    "libvirt:index/DomainXml:DomainXml": {
        properties: { xslt: "string" },
        required: [],
    },
    "libvirt:index/NetworkDhcp:NetworkDhcp": {
        properties: { enabled: "boolean" },
        required: [],
        requiredOutputs: ["enabled"],
    },
    "libvirt:index/NetworkDns:NetworkDns": {
        properties: { enabled: "boolean", forwarders: { array: { ref: "libvirt:index/NetworkDnsForwarder:NetworkDnsForwarder" } }, hosts: { array: { ref: "libvirt:index/NetworkDnsHost:NetworkDnsHost" } }, localOnly: "boolean", srvs: { array: { ref: "libvirt:index/NetworkDnsSrv:NetworkDnsSrv" } } },
        required: [],
    },
    "libvirt:index/NetworkDnsForwarder:NetworkDnsForwarder": {
        properties: { address: "string", domain: "string" },
        required: [],
    },
    "libvirt:index/NetworkDnsHost:NetworkDnsHost": {
        properties: { hostname: "string", ip: "string" },
        required: [],
    },
    "libvirt:index/NetworkDnsSrv:NetworkDnsSrv": {
        properties: { domain: "string", port: "string", priority: "string", protocol: "string", service: "string", target: "string", weight: "string" },
        required: [],
    },
    "libvirt:index/NetworkDnsmasqOptions:NetworkDnsmasqOptions": {
        properties: { options: { array: { ref: "libvirt:index/NetworkDnsmasqOptionsOption:NetworkDnsmasqOptionsOption" } } },
        required: [],
    },
    "libvirt:index/NetworkDnsmasqOptionsOption:NetworkDnsmasqOptionsOption": {
        properties: { optionName: "string", optionValue: "string" },
        required: [],
    },
    "libvirt:index/NetworkRoute:NetworkRoute": {
        properties: { cidr: "string", gateway: "string" },
        required: ["cidr", "gateway"],
    },
    "libvirt:index/NetworkXml:NetworkXml": {
        properties: { xslt: "string" },
        required: [],
    },
    "libvirt:index/PoolSource:PoolSource": {
        properties: { devices: { array: { ref: "libvirt:index/PoolSourceDevice:PoolSourceDevice" } }, name: "string" },
        required: [],
    },
    "libvirt:index/PoolSourceDevice:PoolSourceDevice": {
        properties: { path: "string" },
        required: [],
    },
    "libvirt:index/PoolTarget:PoolTarget": {
        properties: { path: "string" },
        required: [],
        requiredOutputs: ["path"],
    },
    "libvirt:index/PoolXml:PoolXml": {
        properties: { xslt: "string" },
        required: [],
    },
    "libvirt:index/VolumeXml:VolumeXml": {
        properties: { xslt: "string" },
        required: [],
    },
} as const satisfies Record<string, ObjectTypeSpec>;

export const provider = {
    inputs: { uri: "string" },
    secretInputs: [],
    environmentDefaults: { uri: ["LIBVIRT_DEFAULT_URI"] },
} as const satisfies ProviderSpec;

export const resources = {
    "libvirt:index/domain:Domain": {
        inputs: { arch: "string", autostart: "boolean", bootDevices: { array: { ref: "libvirt:index/DomainBootDevice:DomainBootDevice" } }, cloudinit: "string", cmdlines: { array: { map: "string" } }, consoles: { array: { ref: "libvirt:index/DomainConsole:DomainConsole" } }, coreosIgnition: "string", cpu: { ref: "libvirt:index/DomainCpu:DomainCpu" }, description: "string", disks: { array: { ref: "libvirt:index/DomainDisk:DomainDisk" } }, emulator: "string", filesystems: { array: { ref: "libvirt:index/DomainFilesystem:DomainFilesystem" } }, firmware: "string", fwCfgName: "string", graphics: { ref: "libvirt:index/DomainGraphics:DomainGraphics" }, initrd: "string", kernel: "string", machine: "string", memory: "integer", metadata: "string", name: "string", networkInterfaces: { array: { ref: "libvirt:index/DomainNetworkInterface:DomainNetworkInterface" } }, nvram: { ref: "libvirt:index/DomainNvram:DomainNvram" }, qemuAgent: "boolean", running: "boolean", tpm: { ref: "libvirt:index/DomainTpm:DomainTpm" }, type: "string", vcpu: "integer", video: { ref: "libvirt:index/DomainVideo:DomainVideo" }, xml: { ref: "libvirt:index/DomainXml:DomainXml" } },
        outputs: { arch: "string", autostart: "boolean", bootDevices: { array: { ref: "libvirt:index/DomainBootDevice:DomainBootDevice" } }, cloudinit: "string", cmdlines: { array: { map: "string" } }, consoles: { array: { ref: "libvirt:index/DomainConsole:DomainConsole" } }, coreosIgnition: "string", cpu: { ref: "libvirt:index/DomainCpu:DomainCpu" }, description: "string", disks: { array: { ref: "libvirt:index/DomainDisk:DomainDisk" } }, emulator: "string", filesystems: { array: { ref: "libvirt:index/DomainFilesystem:DomainFilesystem" } }, firmware: "string", fwCfgName: "string", graphics: { ref: "libvirt:index/DomainGraphics:DomainGraphics" }, initrd: "string", kernel: "string", machine: "string", memory: "integer", metadata: "string", name: "string", networkInterfaces: { array: { ref: "libvirt:index/DomainNetworkInterface:DomainNetworkInterface" } }, nvram: { ref: "libvirt:index/DomainNvram:DomainNvram" }, qemuAgent: "boolean", running: "boolean", tpm: { ref: "libvirt:index/DomainTpm:DomainTpm" }, type: "string", vcpu: "integer", video: { ref: "libvirt:index/DomainVideo:DomainVideo" }, xml: { ref: "libvirt:index/DomainXml:DomainXml" } },
        requiredInputs: [],
        requiredOutputs: ["arch", "autostart", "cpu", "emulator", "machine", "name", "nvram"],
        secretInputs: [],
        additionalSecretOutputs: [],
    },
    "libvirt:index/volume:Volume": {
        inputs: { baseVolumeId: "string", baseVolumeName: "string", baseVolumePool: "string", format: "string", name: "string", pool: "string", size: "integer", source: "string", xml: { ref: "libvirt:index/VolumeXml:VolumeXml" } },
        outputs: { baseVolumeId: "string", baseVolumeName: "string", baseVolumePool: "string", format: "string", name: "string", pool: "string", size: "integer", source: "string", xml: { ref: "libvirt:index/VolumeXml:VolumeXml" } },
        requiredInputs: [],
        requiredOutputs: ["format", "name", "size"],
        secretInputs: [],
        additionalSecretOutputs: [],
    },
    "libvirt:index/pool:Pool": {
        inputs: { allocation: "integer", available: "integer", capacity: "integer", name: "string", path: "string", source: { ref: "libvirt:index/PoolSource:PoolSource" }, target: { ref: "libvirt:index/PoolTarget:PoolTarget" }, type: "string", xml: { ref: "libvirt:index/PoolXml:PoolXml" } },
        outputs: { allocation: "integer", available: "integer", capacity: "integer", name: "string", path: "string", source: { ref: "libvirt:index/PoolSource:PoolSource" }, target: { ref: "libvirt:index/PoolTarget:PoolTarget" }, type: "string", xml: { ref: "libvirt:index/PoolXml:PoolXml" } },
        requiredInputs: ["type"],
        requiredOutputs: ["allocation", "available", "capacity", "name", "target", "type"],
        secretInputs: [],
        additionalSecretOutputs: [],
    },
    "libvirt:index/network:Network": {
        inputs: { addresses: { array: "string" }, autostart: "boolean", bridge: "string", dhcp: { ref: "libvirt:index/NetworkDhcp:NetworkDhcp" }, dns: { ref: "libvirt:index/NetworkDns:NetworkDns" }, dnsmasqOptions: { ref: "libvirt:index/NetworkDnsmasqOptions:NetworkDnsmasqOptions" }, domain: "string", mode: "string", mtu: "integer", name: "string", routes: { array: { ref: "libvirt:index/NetworkRoute:NetworkRoute" } }, xml: { ref: "libvirt:index/NetworkXml:NetworkXml" } },
        outputs: { addresses: { array: "string" }, autostart: "boolean", bridge: "string", dhcp: { ref: "libvirt:index/NetworkDhcp:NetworkDhcp" }, dns: { ref: "libvirt:index/NetworkDns:NetworkDns" }, dnsmasqOptions: { ref: "libvirt:index/NetworkDnsmasqOptions:NetworkDnsmasqOptions" }, domain: "string", mode: "string", mtu: "integer", name: "string", routes: { array: { ref: "libvirt:index/NetworkRoute:NetworkRoute" } }, xml: { ref: "libvirt:index/NetworkXml:NetworkXml" } },
        requiredInputs: [],
        requiredOutputs: ["autostart", "bridge", "dhcp", "dns", "name"],
        secretInputs: [],
        additionalSecretOutputs: [],
    },
} as const satisfies Record<string, ResourceSpec>;

export type Types = typeof types;
export type Resources = typeof resources;
