/**
 * The SMBIOS identity of every edge VM the stack creates, derived from ONE random key per stack
 * (`deriveVmIdentity`, model/vmIdentity.ts) and handed to both sides of the boot: the VM's
 * domain (EdgeVm `smbios`) reports it, and the boot service (BootService `vmIdentityKey`)
 * derives the same values from the same key for the machines its inventory marks
 * `derivedIdentity`, so the service serves the VM's config only to a request that reports both.
 *
 * Why both: PXE firmware and iPXE send the SMBIOS UUID in clear in every DHCP request (option
 * 97), so anyone on the site's L2 learns it. The serial is sent only inside HTTPS (the machine
 * URL), and only holders of the key can compute it, so it keeps a VM's identity off the L2.
 *
 * Why one key rather than random values per VM: the service's secret stays the same size for 10
 * or 10,000 VMs (a list of identities outgrows Secret Manager's 64 KiB at ~600), and the graph
 * has one resource here instead of two per VM. Values set in the stack config (`uuid`, `serial`
 * of a machine with `vm`) win, field by field, over derived ones.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { SmbiosIdentity } from "../infra/edge-host/libvirt";
import { needsDerivedIdentity } from "../model/edgeMachine";
import { deriveVmIdentity, VM_IDENTITY_KEY_LENGTH } from "../model/vmIdentity";
import { EdgeSiteConfig, PROJECT } from "./model";

export interface EdgeVmIdentitiesArgs {
    /** The edge sites; every machine with `vm` gets an identity. */
    sites: EdgeSiteConfig[];
}

export class EdgeVmIdentities extends pulumi.ComponentResource {
    /** Machine name -> its VM's SMBIOS UUID (lower case) and serial (secret). */
    public readonly byMachine: Record<string, pulumi.Output<SmbiosIdentity>>;
    /**
     * The stack's VM identity key (secret): BootService's `vmIdentityKey`. Undefined when no VM
     * needs a derived value (no VMs, or every VM's uuid and serial set in the config).
     */
    public readonly key?: pulumi.Output<string>;

    constructor(name: string, args: EdgeVmIdentitiesArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:edge:EdgeVmIdentities`, name, {}, opts);
        this.byMachine = {};
        const vms = args.sites.flatMap((site) => site.machines.filter((m) => m.vm !== undefined));
        // Made once and kept in state: a new key is a new identity for every derived VM.
        const key = vms.some(needsDerivedIdentity)
            ? pulumi.secret(new random.RandomPassword(`${name}-key`, { length: VM_IDENTITY_KEY_LENGTH, special: false }, { parent: this }).result)
            : undefined;
        this.key = key;
        for (const machine of vms) {
            const { uuid, serial } = machine;
            const identity: pulumi.Output<SmbiosIdentity> =
                uuid !== undefined && serial !== undefined
                    ? pulumi.output({ uuid: uuid.toLowerCase(), serial })
                    : key!.apply((k) => {
                          const derived = deriveVmIdentity(k, machine.name);
                          return { uuid: uuid?.toLowerCase() ?? derived.uuid, serial: serial ?? derived.serial };
                      });
            // Secret: the serial is what keeps the VM's identity off the L2.
            this.byMachine[machine.name] = pulumi.secret(identity);
        }
        this.registerOutputs({ byMachine: this.byMachine, ...(key !== undefined ? { key } : {}) });
    }
}
