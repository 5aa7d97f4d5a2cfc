/**
 * An edge machine as a cluster member, after the boot service enrolled it: the day-two steps
 * the stack runs on it over the tailnet (docs/decisions/0007-day-two-operations.md).
 *
 * - configure: brings the config it runs in line with the stack (labels, taints, cluster-wide
 *   patches, control-plane endpoint), rendered as the boot service does, applied in place;
 * - upgrade: the Talos upgrade in its place in the rollout (after the cloud nodes);
 * - removal: when the machine leaves the inventory, drain, reset and deregister it before its
 *   VM (if the stack created one) is deleted.
 *
 * Whether it has joined comes from the tailnet (one device listing per stack, matched by
 * hostname). A machine that has not joined gets "" as its address: every step then succeeds
 * without touching it (it boots the current config and installer from the boot service), and
 * its steps run for real on the first `pulumi up` that finds it on the tailnet, because its
 * address is one of their inputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { dayTwoEnvironment, nodeRemovalCommand, nodeUpgradeCommand } from "./dayTwoCommands";
import { LocalCommand } from "./leanResources";
import { ConfigureEdgePlan, dayTwoCommandDir, dayTwoCommandLine } from "../infra/day-two/contract";
import { DAY_TWO_DEFAULTS, DayTwoConfig } from "../model/dayTwo";
import { TAILNET_VALID_SUBNETS } from "../lib/talos/documents";
import type { EdgeMachineConfig } from "../model/edgeMachine";
import { PROJECT } from "../model/stack";

export interface EdgeNodeArgs {
    /** The machine's site (`edgeSites[].name`). */
    site: string;
    /** The inventory machine; its `name` is the hostname, node name and tailnet device name. */
    machine: EdgeMachineConfig;
    /** Its tailnet IPv4 once it has joined, "" before. */
    tailnetAddress: pulumi.Input<string>;
    /** The base worker config the boot service serves (secret). */
    edgeWorkerConfig: pulumi.Input<string>;
    /** The edge schematic's installer (`…/metal-installer/<schematic>:<version>`). */
    installerImage: pulumi.Input<string>;
    /** talosconfig (secret). */
    talosconfig: pulumi.Input<string>;
    /** Admin kubeconfig (secret). */
    kubeconfig: pulumi.Input<string>;
    /** Talos API addresses of the control planes. */
    controlPlaneAddresses: pulumi.Input<string[]>;
    /** The upgrade step this machine's upgrade follows (the previous node in the rollout). Default none. */
    upgradeAfter?: pulumi.Resource;
    /** The removal step this machine's removal follows (rollout order; destroy runs it first). Default none. */
    removalAfter?: pulumi.Resource;
    /** The machine's libvirt domain when the stack creates it as a VM: the removal runs before it is deleted. */
    vm?: pulumi.Resource;
    /** Day-two bounds. Default `DAY_TWO_DEFAULTS`. */
    dayTwo?: DayTwoConfig;
}

/** The configure step's plan for one machine: what the boot service would render for it. */
export function configureEdgePlan(site: string, machine: EdgeMachineConfig, address: string, installerImage: string): ConfigureEdgePlan {
    return {
        node: machine.name,
        site,
        address,
        installerImage,
        ...(machine.installDisk !== undefined ? { installDisk: machine.installDisk } : {}),
        ...(machine.diskSelector !== undefined ? { diskSelector: machine.diskSelector } : {}),
        labels: machine.labels,
        taints: machine.taints,
        validSubnets: [...TAILNET_VALID_SUBNETS],
    };
}

export class EdgeNode extends pulumi.ComponentResource {
    /** Applies the stack's config in place once the machine has joined. */
    public readonly configure: LocalCommand;
    /** The Talos upgrade step. */
    public readonly upgrade: LocalCommand;
    /** The scale-down step (runs on delete). */
    public readonly removal: LocalCommand;
    /** Tailnet address, "" until the machine joined. */
    public readonly tailnetAddress: pulumi.Output<string>;

    constructor(name: string, args: EdgeNodeArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:edge:EdgeNode`, name, {}, opts);
        const dayTwo = args.dayTwo ?? DAY_TWO_DEFAULTS;
        const machine = args.machine;
        this.tailnetAddress = pulumi.output(args.tailnetAddress);
        const target = pulumi.all([this.tailnetAddress, args.installerImage, args.controlPlaneAddresses]);

        this.configure = new LocalCommand(`${name}-configure`, {
            dir: dayTwoCommandDir(),
            create: dayTwoCommandLine("configure-edge"),
            environment: dayTwoEnvironment(
                target.apply(([address, installerImage]) => configureEdgePlan(args.site, machine, address, installerImage)),
                { talosconfig: args.talosconfig, edgeBaseConfig: args.edgeWorkerConfig },
            ),
            logging: "stdoutAndStderr",
        }, { parent: this });

        const credentials = { talosconfig: args.talosconfig, kubeconfig: args.kubeconfig };
        this.upgrade = nodeUpgradeCommand(`${name}-upgrade`, target.apply(([address, installerImage, cps]) => ({
            node: machine.name,
            role: "worker" as const,
            address,
            installerImage,
            controlPlaneAddresses: cps,
            upgradeTimeout: dayTwo.upgradeTimeout,
            healthTimeout: dayTwo.healthTimeout,
            location: `site ${args.site}`,
        })), credentials, {
            parent: this,
            // After the previous node of the rollout, and after its own config is current.
            dependsOn: [...(args.upgradeAfter ? [args.upgradeAfter] : []), this.configure],
        });

        this.removal = nodeRemovalCommand(`${name}-removal`, target.apply(([address, , cps]) => ({
            node: machine.name,
            role: "worker" as const,
            address,
            controlPlaneAddresses: cps,
            drainTimeout: dayTwo.drainTimeout,
            resetTimeout: dayTwo.resetTimeout,
            location: `site ${args.site}`,
        })), credentials, {
            parent: this,
            // Deleted before the VM (its `delete` drains and resets the machine first), and on
            // `pulumi destroy` before the cloud nodes' removals.
            dependsOn: [...(args.removalAfter ? [args.removalAfter] : []), ...(args.vm ? [args.vm] : [])],
        });

        this.registerOutputs({ tailnetAddress: this.tailnetAddress });
    }
}
