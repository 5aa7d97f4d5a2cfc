/**
 * The readiness gate that sees the cluster (docs/decisions/0007-day-two-operations.md): after
 * everything else of an update, every cloud node the stack declares must be a Ready Kubernetes
 * node within `cloudReadyTimeout`, or the update fails; edge machines on the tailnet get
 * `edgeReadyTimeout` and are reported, never failed.
 *
 * It runs on every `pulumi up` (one of its inputs is new on every program run, so it shows as
 * an update in every preview), and its result line becomes the `edgeMachines` stack output.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { dayTwoEnvironment } from "./dayTwoCommands";
import { DAY_TWO_ENV, dayTwoCommandDir, dayTwoCommandLine, parseResultLine, ReadinessPlan } from "../infra/day-two/contract";
import type { ReadinessReport } from "../infra/day-two/readiness";
import { edgeMachineStatus, EdgeMachineStatus } from "../infra/day-two/rollout";
import { DAY_TWO_DEFAULTS, DayTwoConfig } from "../model/dayTwo";
import { PROJECT } from "../model/stack";

export interface ClusterReadinessArgs {
    /** Kubernetes node names of the cloud nodes. */
    cloudNodes: string[];
    /** Every inventory edge machine with whether it is on the tailnet. */
    edgeMachines: pulumi.Input<{ node: string; site: string; onTailnet: boolean }[]>;
    /** Admin kubeconfig (secret). */
    kubeconfig: pulumi.Input<string>;
    /** talosconfig (secret; unused by the gate, part of every step's environment). */
    talosconfig: pulumi.Input<string>;
    /** Everything the gate must come after (the last upgrade, every edge configure). */
    after: pulumi.Resource[];
    /** Bounds. Default `DAY_TWO_DEFAULTS`. */
    dayTwo?: DayTwoConfig;
    /** Changes on every program run so the gate runs on every `pulumi up`. Default a fresh random value. */
    runId?: string;
}

/** One edge machine in the `edgeMachines` output. */
export interface EdgeMachineReport {
    node: string;
    site: string;
    status: EdgeMachineStatus;
}

/**
 * Statuses from the gate's report; where the gate did not report (it is disabled, or failed
 * before its result line), from the tailnet alone: "joined" or "pending".
 */
export function edgeMachineReports(machines: { node: string; site: string; onTailnet: boolean }[], report: ReadinessReport | undefined): EdgeMachineReport[] {
    return machines.map((m) => {
        const reported = report?.edge.find((e) => e.node === m.node);
        return { node: m.node, site: m.site, status: reported?.status ?? edgeMachineStatus(m.onTailnet, false) };
    });
}

export class ClusterReadiness extends pulumi.ComponentResource {
    public readonly gate: command.local.Command;
    /** Each edge machine: pending (not on the tailnet), joined (on it, not Ready) or ready. */
    public readonly edgeMachines: pulumi.Output<EdgeMachineReport[]>;

    constructor(name: string, args: ClusterReadinessArgs, opts?: pulumi.ComponentResourceOptions) {
        super(`${PROJECT}:talos:ClusterReadiness`, name, {}, opts);
        const dayTwo = args.dayTwo ?? DAY_TWO_DEFAULTS;
        const plan: pulumi.Output<ReadinessPlan> = pulumi.output(args.edgeMachines).apply((edgeMachines) => ({
            cloudNodes: args.cloudNodes,
            edgeMachines,
            cloudTimeout: dayTwo.cloudReadyTimeout,
            edgeTimeout: dayTwo.edgeReadyTimeout,
        }));
        this.gate = new command.local.Command(`${name}-gate`, {
            dir: dayTwoCommandDir(),
            create: dayTwoCommandLine("readiness"),
            environment: dayTwoEnvironment(plan, { talosconfig: args.talosconfig, kubeconfig: args.kubeconfig }, {
                [DAY_TWO_ENV.run]: args.runId ?? `${Date.now()}-${Math.random().toString(16).slice(2, 10)}`,
            }),
            logging: "stdoutAndStderr",
        }, {
            parent: this,
            // It judges the cluster as the update left it; nothing it reads comes from those steps.
            dependsOn: args.after,
        });
        this.edgeMachines = pulumi.all([args.edgeMachines, this.gate.stdout]).apply(([machines, stdout]) =>
            edgeMachineReports(machines, parseResultLine<ReadinessReport>(stdout ?? "")));
        this.registerOutputs({ edgeMachines: this.edgeMachines });
    }
}
