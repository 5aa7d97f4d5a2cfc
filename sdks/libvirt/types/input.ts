/** Input object types, laid out as in the generated SDK (`types/input.ts`, module `index` at top level). */
import * as pulumi from "@pulumi/pulumi";

/** One boot-order entry. */
export interface DomainBootDevice {
    /** Devices in order: `hd`, `network`, `cdrom`, `fd`. */
    devs?: pulumi.Input<pulumi.Input<string>[]>;
}

/** A console device. */
export interface DomainConsole {
    /** Address a tcp console listens on; default 127.0.0.1. */
    sourceHost?: pulumi.Input<string>;
    /** Host path of a pty console. */
    sourcePath?: pulumi.Input<string>;
    /** Port (or service name) a tcp console listens on; random by default. */
    sourceService?: pulumi.Input<string>;
    /** Guest port number, e.g. "0". */
    targetPort: pulumi.Input<string>;
    /** `serial` (default for the first console) or e.g. `virtio`. */
    targetType?: pulumi.Input<string>;
    /** `pty` or `tcp`. */
    type: pulumi.Input<string>;
}

/** CPU settings. */
export interface DomainCpu {
    /** CPU mode, e.g. `host-passthrough` or `host-model`. */
    mode?: pulumi.Input<string>;
}

/** A disk; set exactly one of `volumeId`, `url`, `file` or `blockDevice`. */
export interface DomainDisk {
    /** Host block device path. */
    blockDevice?: pulumi.Input<string>;
    /** Host file used read-only as the disk (e.g. an ISO). */
    file?: pulumi.Input<string>;
    /** Attach through a virtio-scsi controller. */
    scsi?: pulumi.Input<boolean>;
    /** http(s) URL used read-only as the disk. */
    url?: pulumi.Input<string>;
    /** Id of a `Volume`. */
    volumeId?: pulumi.Input<string>;
    /** WWN of a SCSI disk; random when unset. */
    wwn?: pulumi.Input<string>;
}

/** A host directory shared with the guest. */
export interface DomainFilesystem {
    /** Security mode; default `mapped`. */
    accessmode?: pulumi.Input<string>;
    /** Export read-only; default true. */
    readonly?: pulumi.Input<boolean>;
    /** Host directory. */
    source: pulumi.Input<string>;
    /** Mount tag the guest sees. */
    target: pulumi.Input<string>;
}

/** A graphics device. */
export interface DomainGraphics {
    /** Pick the port automatically; default true. */
    autoport?: pulumi.Input<boolean>;
    /** Listen address when `listenType` is `address`; default 127.0.0.1. */
    listenAddress?: pulumi.Input<string>;
    /** `none` (default) or `address`. */
    listenType?: pulumi.Input<string>;
    /** `spice` (default) or `vnc`. */
    type?: pulumi.Input<string>;
    /** VNC WebSocket port; -1 = automatic. */
    websocket?: pulumi.Input<number>;
}

/** A NIC; attach it through exactly one of `networkId`, `networkName`, `bridge`, `macvtap`, `vepa` or `passthrough`. */
export interface DomainNetworkInterface {
    /** Static IP addresses in a libvirt-managed network; reported addresses on read. */
    addresses?: pulumi.Input<pulumi.Input<string>[]>;
    /** Existing host bridge to attach to (e.g. an OVS or Linux bridge). */
    bridge?: pulumi.Input<string>;
    /** Hostname registered in a libvirt-managed network's DNS/DHCP. */
    hostname?: pulumi.Input<string>;
    /** MAC address, e.g. `52:54:00:12:34:56`; generated when unset. */
    mac?: pulumi.Input<string>;
    /** Host NIC for a macvtap (bridge mode) attachment. */
    macvtap?: pulumi.Input<string>;
    /** Id of a `Network`. */
    networkId?: pulumi.Input<string>;
    /** Name of a libvirt network. */
    networkName?: pulumi.Input<string>;
    /** Host NIC for a macvtap passthrough attachment. */
    passthrough?: pulumi.Input<string>;
    /** Host NIC for a macvtap VEPA attachment. */
    vepa?: pulumi.Input<string>;
    /** Wait for a DHCP lease from a libvirt-managed network before finishing create. */
    waitForLease?: pulumi.Input<boolean>;
}

/** UEFI variable store. */
export interface DomainNvram {
    /** Host path of the per-domain NVRAM file. */
    file?: pulumi.Input<string>;
    /** Host path of the NVRAM template copied on first boot, e.g. `/usr/share/OVMF/OVMF_VARS.fd`. */
    template?: pulumi.Input<string>;
}

/** A TPM device. */
export interface DomainTpm {
    /** Host TPM device of a passthrough backend, e.g. `/dev/tpm0`. */
    backendDevicePath?: pulumi.Input<string>;
    /** libvirt secret UUID encrypting the emulated TPM state. */
    backendEncryptionSecret?: pulumi.Input<string>;
    /** Keep the emulated TPM state when a transient domain stops. */
    backendPersistentState?: pulumi.Input<boolean>;
    /** `emulator` (default) or `passthrough`. */
    backendType?: pulumi.Input<string>;
    /** TPM version of an emulator backend, e.g. `2.0`. */
    backendVersion?: pulumi.Input<string>;
    /** TPM model, e.g. `tpm-tis` or `tpm-crb`. */
    model?: pulumi.Input<string>;
}

/** A video device. */
export interface DomainVideo {
    /** Video model, e.g. `vga`, `cirrus`, `virtio`. */
    type?: pulumi.Input<string>;
}

/** XSLT post-processing of the domain XML. */
export interface DomainXml {
    /** XSLT document. */
    xslt?: pulumi.Input<string>;
}

/** DHCP server settings. */
export interface NetworkDhcp {
    /** Run the DHCP server; default true. */
    enabled?: pulumi.Input<boolean>;
}

/** DNS server settings. */
export interface NetworkDns {
    /** Run the DNS server. */
    enabled?: pulumi.Input<boolean>;
    /** Upstream servers, optionally per domain. */
    forwarders?: pulumi.Input<pulumi.Input<NetworkDnsForwarder>[]>;
    /** Static host records. */
    hosts?: pulumi.Input<pulumi.Input<NetworkDnsHost>[]>;
    /** Do not forward unresolved queries for the network's domain. */
    localOnly?: pulumi.Input<boolean>;
    /** SRV records. */
    srvs?: pulumi.Input<pulumi.Input<NetworkDnsSrv>[]>;
}

/** An upstream DNS server. */
export interface NetworkDnsForwarder {
    /** Upstream server address. */
    address?: pulumi.Input<string>;
    /** Forward only this domain to it. */
    domain?: pulumi.Input<string>;
}

/** A static host record. */
export interface NetworkDnsHost {
    /** Host name. */
    hostname?: pulumi.Input<string>;
    /** Address. */
    ip?: pulumi.Input<string>;
}

/** An SRV record. */
export interface NetworkDnsSrv {
    /** Domain. */
    domain?: pulumi.Input<string>;
    /** Port. */
    port?: pulumi.Input<string>;
    /** Priority. */
    priority?: pulumi.Input<string>;
    /** `tcp` or `udp`. */
    protocol?: pulumi.Input<string>;
    /** Service name. */
    service?: pulumi.Input<string>;
    /** Target host. */
    target?: pulumi.Input<string>;
    /** Weight. */
    weight?: pulumi.Input<string>;
}

/** Extra dnsmasq options. */
export interface NetworkDnsmasqOptions {
    /** Option entries. */
    options?: pulumi.Input<pulumi.Input<NetworkDnsmasqOptionsOption>[]>;
}

/** One dnsmasq option. */
export interface NetworkDnsmasqOptionsOption {
    /** Option name, e.g. `dhcp-boot`. */
    optionName?: pulumi.Input<string>;
    /** Option value, if the option takes one. */
    optionValue?: pulumi.Input<string>;
}

/** A static route. */
export interface NetworkRoute {
    /** Destination in CIDR form. */
    cidr: pulumi.Input<string>;
    /** Next hop, reachable via the bridge. */
    gateway: pulumi.Input<string>;
}

/** XSLT post-processing of the network XML. */
export interface NetworkXml {
    /** XSLT document. */
    xslt?: pulumi.Input<string>;
}

/** Source of a `logical` pool. */
export interface PoolSource {
    /** Physical devices of the volume group. */
    devices?: pulumi.Input<pulumi.Input<PoolSourceDevice>[]>;
    /** Volume group name. */
    name?: pulumi.Input<string>;
}

/** A pool source device. */
export interface PoolSourceDevice {
    /** Device path, e.g. `/dev/sdb`. */
    path?: pulumi.Input<string>;
}

/** Where the pool lives on the host. */
export interface PoolTarget {
    /** Host directory (dir) or device directory (logical). */
    path?: pulumi.Input<string>;
}

/** XSLT post-processing of the pool XML. */
export interface PoolXml {
    /** XSLT document. */
    xslt?: pulumi.Input<string>;
}

/** XSLT post-processing of the volume XML. */
export interface VolumeXml {
    /** XSLT document. */
    xslt?: pulumi.Input<string>;
}
