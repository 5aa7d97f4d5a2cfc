/**
 * The SMBIOS identity of every edge VM the stack creates: a random system UUID and a random
 * system serial, made once (kept in state) and handed to both sides of the boot: the VM's
 * domain (EdgeVm `smbios`) reports them, and the boot service's inventory (BootService
 * `vmIdentities`) records them, so the service serves the VM's config only to a request that
 * reports both.
 *
 * Why both: PXE firmware and iPXE send the SMBIOS UUID in clear in every DHCP request (option
 * 97), so anyone on the site's L2 learns it. The serial is sent only inside HTTPS (the machine
 * URL), so a random serial is what keeps a VM's identity off the L2. Values set in the stack
 * config (`uuid`, `serial` of a machine with `vm`) are used instead of random ones.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { SmbiosIdentity } from "../infra/edge-host/libvirt";
import { EdgeSiteConfig, PROJECT } from "./model";

export interface EdgeVmIdentitiesArgs {
    /** The edge sites; every machine with `vm` gets an identity. */
    sites: EdgeSiteConfig[];
}

/**
 * A VM's serial: 32 characters of a-z and 0-9 (over 160 bits; within SMBIOS's 64 characters and
 * model/identity.ts SERIAL). A RandomPassword, so the value is secret in Pulumi state.
 */
export const VM_SERIAL_LENGTH = 32;

export class EdgeVmIdentities extends pulumi.ComponentResource {
    /** Machine name -> its VM's SMBIOS UUID (lower case) and serial. */
    public readonly byMachine: Record<string, pulumi.Output<SmbiosIdentity>>;

    constructor(name: string, args: EdgeVmIdentitiesArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:edge:EdgeVmIdentities`, name, {}, opts);
        this.byMachine = {};
        for (const site of args.sites) {
            for (const machine of site.machines.filter((m) => m.vm !== undefined)) {
                const uuid = machine.uuid ?? new random.RandomUuid(`${name}-${machine.name}-uuid`, {}, { parent: this }).result;
                const serial =
                    machine.serial ??
                    new random.RandomPassword(`${name}-${machine.name}-serial`, { length: VM_SERIAL_LENGTH, special: false, upper: false }, { parent: this }).result;
                // Secret: the serial is what keeps the VM's identity off the L2.
                this.byMachine[machine.name] = pulumi.secret(pulumi.all([uuid, serial]).apply(([u, s]) => ({ uuid: u.toLowerCase(), serial: s })));
            }
        }
        this.registerOutputs({ byMachine: this.byMachine });
    }
}
