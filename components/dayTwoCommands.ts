/**
 * The day-two steps as `command:local:Command` resources (docs/decisions/0007-day-two-operations.md),
 * declared through LocalCommand (components/leanResources.ts): the program reads none of their outputs.
 * Each runs `infra/day-two/cli.ts <task>` on the Pulumi runner with its plan (JSON, in the clear,
 * so previews show what changes) and its credentials (secret outputs, in their own environment
 * variables; the CLI writes them to 0600 files). Nothing secret is on a command line.
 *
 * Why commands and not invokes: a command's inputs reach state only when it succeeded, so the
 * engine itself gives the rollout its semantics: it stops at the first failing step (nothing
 * that depends on it starts), and the next `pulumi up` re-runs exactly the steps whose inputs
 * did not reach state. Every step is idempotent (it checks before it acts), so a re-run caused by
 * another input (renewed credentials, a new address) only re-checks.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    DAY_TWO_ENV,
    dayTwoCommandDir,
    dayTwoCommandLine,
    RemoveNodePlan,
    UpgradeKubernetesPlan,
    UpgradeNodePlan,
} from "../infra/day-two/contract";
import { LocalCommand } from "./leanResources";

/** Credentials a step may need, all secret. */
export interface DayTwoCredentials {
    /** talosconfig. */
    talosconfig: pulumi.Input<string>;
    /** Admin kubeconfig; omitted for steps that fetch their own (the Kubernetes upgrade runs before the kubeconfig exists). */
    kubeconfig?: pulumi.Input<string>;
    /** Edge base worker config (configure-edge only). */
    edgeBaseConfig?: pulumi.Input<string>;
}

/** The step's environment: the plan as JSON, the credentials marked secret. */
export function dayTwoEnvironment(plan: pulumi.Input<object>, credentials: DayTwoCredentials, extra: Record<string, pulumi.Input<string>> = {}): Record<string, pulumi.Input<string>> {
    const env: Record<string, pulumi.Input<string>> = {
        [DAY_TWO_ENV.plan]: pulumi.output(plan).apply((p) => JSON.stringify(p)),
        [DAY_TWO_ENV.talosconfig]: pulumi.secret(credentials.talosconfig),
        ...extra,
    };
    if (credentials.kubeconfig !== undefined) env[DAY_TWO_ENV.kubeconfig] = pulumi.secret(credentials.kubeconfig);
    if (credentials.edgeBaseConfig !== undefined) env[DAY_TWO_ENV.edgeBaseConfig] = pulumi.secret(credentials.edgeBaseConfig);
    return env;
}

/**
 * One node's Talos upgrade. `triggers` hold only the target installer image (schematic and
 * version): changing either replaces the command, which runs the upgrade, and a preview lists
 * every node that will be upgraded. Other input changes re-run it in place (a health re-check).
 */
export function nodeUpgradeCommand(name: string, plan: pulumi.Input<UpgradeNodePlan>, credentials: DayTwoCredentials, opts: pulumi.CustomResourceOptions): LocalCommand {
    return new LocalCommand(name, {
        dir: dayTwoCommandDir(),
        create: dayTwoCommandLine("upgrade-node"),
        environment: dayTwoEnvironment(plan, credentials),
        triggers: [pulumi.output(plan).apply((p) => p.installerImage)],
        logging: "stdoutAndStderr",
    }, opts);
}

/**
 * The scale-down step of one node: nothing on create or update; its `delete` drains, resets and
 * deregisters the node. It must depend on the node's machine (instance, VM), so that Pulumi
 * deletes it first and deletes the machine only when it succeeded. It has no triggers: a
 * replacement would run `delete` against a node that stays.
 */
export function nodeRemovalCommand(name: string, plan: pulumi.Input<RemoveNodePlan>, credentials: DayTwoCredentials, opts: pulumi.CustomResourceOptions): LocalCommand {
    return new LocalCommand(name, {
        dir: dayTwoCommandDir(),
        delete: dayTwoCommandLine("remove-node"),
        environment: dayTwoEnvironment(plan, credentials),
        logging: "stdoutAndStderr",
    }, opts);
}

/**
 * The cluster's Kubernetes version. Creating it only records the version (a new cluster is born
 * on it); a changed version is an update, which runs `talosctl upgrade-k8s`. The Talos API
 * hands the step its own kubeconfig, so it can run before the admin kubeconfig exists.
 */
export function kubernetesUpgradeCommand(name: string, plan: pulumi.Input<UpgradeKubernetesPlan>, credentials: DayTwoCredentials, opts: pulumi.CustomResourceOptions): LocalCommand {
    return new LocalCommand(name, {
        dir: dayTwoCommandDir(),
        create: dayTwoCommandLine("upgrade-kubernetes", "--record"),
        update: dayTwoCommandLine("upgrade-kubernetes"),
        environment: dayTwoEnvironment(plan, { talosconfig: credentials.talosconfig }),
        logging: "stdoutAndStderr",
    }, opts);
}
