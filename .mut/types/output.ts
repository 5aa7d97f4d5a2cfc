/** Output object types, laid out as in the generated SDK (`types/output.ts`). */

/** One boot-order entry. */
export interface DomainBootDevice {
    /** Devices in order: `hd`, `network`, `cdrom`, `fd`. */
    devs?: string[];
}

/** A console device. */
export interface DomainConsole {
    /** Address a tcp console listens on; default 127.0.0.1. */
    sourceHost?: string;
    /** Host path of a pty console. */
    sourcePath?: string;
    /** Port (or service name) a tcp console listens on; random by default. */
    sourceService?: string;
    /** Guest port number, e.g. "0". */
    targetPort: string;
    /** `serial` (default for the first console) or e.g. `virtio`. */
    targetType?: string;
    /** `pty` or `tcp`. */
    type: string;
}

/** CPU settings. */
export interface DomainCpu {
    /** CPU mode, e.g. `host-passthrough` or `host-model`. */
    mode: string;
}

/** A disk; set exactly one of `volumeId`, `url`, `file` or `blockDevice`. */
export interface DomainDisk {
    /** Host block device path. */
    blockDevice?: string;
    /** Host file used read-only as the disk (e.g. an ISO). */
    file?: string;
    /** Attach through a virtio-scsi controller. */
    scsi?: boolean;
    /** http(s) URL used read-only as the disk. */
    url?: string;
    /** Id of a `Volume`. */
    volumeId?: string;
    /** WWN of a SCSI disk; random when unset. */
    wwn: string;
}

/** A host directory shared with the guest. */
export interface DomainFilesystem {
    /** Security mode; default `mapped`. */
    accessmode?: string;
    /** Export read-only; default true. */
    readonly?: boolean;
    /** Host directory. */
    source: string;
    /** Mount tag the guest sees. */
    target: string;
}

/** A graphics device. */
export interface DomainGraphics {
    /** Pick the port automatically; default true. */
    autoport?: boolean;
    /** Listen address when `listenType` is `address`; default 127.0.0.1. */
    listenAddress?: string;
    /** `none` (default) or `address`. */
    listenType?: string;
    /** `spice` (default) or `vnc`. */
    type?: string;
    /** VNC WebSocket port; -1 = automatic. */
    websocket?: number;
}

/** A NIC; attach it through exactly one of `networkId`, `networkName`, `bridge`, `macvtap`, `vepa` or `passthrough`. */
export interface DomainNetworkInterface {
    /** Static IP addresses in a libvirt-managed network; reported addresses on read. */
    addresses: string[];
    /** Existing host bridge to attach to (e.g. an OVS or Linux bridge). */
    bridge?: string;
    /** Hostname registered in a libvirt-managed network's DNS/DHCP. */
    hostname: string;
    /** MAC address, e.g. `52:54:00:12:34:56`; generated when unset. */
    mac: string;
    /** Host NIC for a macvtap (bridge mode) attachment. */
    macvtap?: string;
    /** Id of a `Network`. */
    networkId: string;
    /** Name of a libvirt network. */
    networkName: string;
    /** Host NIC for a macvtap passthrough attachment. */
    passthrough?: string;
    /** Host NIC for a macvtap VEPA attachment. */
    vepa?: string;
    /** Wait for a DHCP lease from a libvirt-managed network before finishing create. */
    waitForlease?: boolean;
}

/** UEFI variable store. */
export interface DomainNvram {
    /** Host path of the per-domain NVRAM file. */
    file: string;
    /** Host path of the NVRAM template copied on first boot, e.g. `/usr/share/OVMF/OVMF_VARS.fd`. */
    template: string;
}

/** A TPM device. */
export interface DomainTpm {
    /** Host TPM device of a passthrough backend, e.g. `/dev/tpm0`. */
    backendDevicePath?: string;
    /** libvirt secret UUID encrypting the emulated TPM state. */
    backendEncryptionSecret?: string;
    /** Keep the emulated TPM state when a transient domain stops. */
    backendPersistentState?: boolean;
    /** `emulator` (default) or `passthrough`. */
    backendType?: string;
    /** TPM version of an emulator backend, e.g. `2.0`. */
    backendVersion?: string;
    /** TPM model, e.g. `tpm-tis` or `tpm-crb`. */
    model?: string;
}

/** A video device. */
export interface DomainVideo {
    /** Video model, e.g. `vga`, `cirrus`, `virtio`. */
    type?: string;
}

/** XSLT post-processing of the domain XML. */
export interface DomainXml {
    /** XSLT document. */
    xslt?: string;
}

/** DHCP server settings. */
export interface NetworkDhcp {
    /** Run the DHCP server; default true. */
    enabled: boolean;
}

/** DNS server settings. */
export interface NetworkDns {
    /** Run the DNS server. */
    enabled?: boolean;
    /** Upstream servers, optionally per domain. */
    forwarders?: NetworkDnsForwarder[];
    /** Static host records. */
    hosts?: NetworkDnsHost[];
    /** Do not forward unresolved queries for the network's domain. */
    localOnly?: boolean;
    /** SRV records. */
    srvs?: NetworkDnsSrv[];
}

/** An upstream DNS server. */
export interface NetworkDnsForwarder {
    /** Upstream server address. */
    address?: string;
    /** Forward only this domain to it. */
    domain?: string;
}

/** A static host record. */
export interface NetworkDnsHost {
    /** Host name. */
    hostname?: string;
    /** Address. */
    ip?: string;
}

/** An SRV record. */
export interface NetworkDnsSrv {
    /** Domain. */
    domain?: string;
    /** Port. */
    port?: string;
    /** Priority. */
    priority?: string;
    /** `tcp` or `udp`. */
    protocol?: string;
    /** Service name. */
    service?: string;
    /** Target host. */
    target?: string;
    /** Weight. */
    weight?: string;
}

/** Extra dnsmasq options. */
export interface NetworkDnsmasqOptions {
    /** Option entries. */
    options?: NetworkDnsmasqOptionsOption[];
}

/** One dnsmasq option. */
export interface NetworkDnsmasqOptionsOption {
    /** Option name, e.g. `dhcp-boot`. */
    optionName?: string;
    /** Option value, if the option takes one. */
    optionValue?: string;
}

/** A static route. */
export interface NetworkRoute {
    /** Destination in CIDR form. */
    cidr: string;
    /** Next hop, reachable via the bridge. */
    gateway: string;
}

/** XSLT post-processing of the network XML. */
export interface NetworkXml {
    /** XSLT document. */
    xslt?: string;
}

/** Source of a `logical` pool. */
export interface PoolSource {
    /** Physical devices of the volume group. */
    devices?: PoolSourceDevice[];
    /** Volume group name. */
    name?: string;
}

/** A pool source device. */
export interface PoolSourceDevice {
    /** Device path, e.g. `/dev/sdb`. */
    path?: string;
}

/** Where the pool lives on the host. */
export interface PoolTarget {
    /** Host directory (dir) or device directory (logical). */
    path: string;
}

/** XSLT post-processing of the pool XML. */
export interface PoolXml {
    /** XSLT document. */
    xslt?: string;
}

/** XSLT post-processing of the volume XML. */
export interface VolumeXml {
    /** XSLT document. */
    xslt?: string;
}
