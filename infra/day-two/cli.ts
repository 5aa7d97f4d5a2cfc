/**
 * The day-two steps the Pulumi graph runs on the runner, one per `command.local.Command`:
 *
 *   node -r ts-node/register/transpile-only infra/day-two/cli.ts <task> [--record]
 *
 * The plan comes from DAY_TWO_PLAN (JSON), credentials from their own variables
 * (infra/day-two/contract.ts); progress goes to stderr, one `DAY_TWO_RESULT {json}` line to
 * stdout. Exit 0 = done, 1 = the step failed (the message says why and what to do), 2 = usage.
 */
import { DAY_TWO_ENV, DAY_TWO_TASKS, DayTwoTask, RESULT_PREFIX, RUNNER_ENV } from "./contract";
import type { ConfigureEdgePlan, ReadinessPlan, RemoveNodePlan, UpgradeKubernetesPlan, UpgradeNodePlan } from "./contract";
import { apiServerUrl, CredentialDir, kubeconfigServer, withCredentialDir } from "./credentials";
import { goDurationMs } from "../../model/durations";
import { configureEdge } from "./edgeConfig";
import { Exec, spawnExec } from "./exec";
import { KubeApi, KubeCtl } from "./kubectl";
import { checkReadiness } from "./readiness";
import { removeNode } from "./removal";
import { TalosCtl } from "./talosctl";
import { upgradeKubernetes, upgradeNode } from "./upgrade";

const HELP = `Usage: node -r ts-node/register/transpile-only infra/day-two/cli.ts <task> [--record]

Day-two steps of the talos-cloud-edge stack. Pulumi runs them (one command resource per node and
step); running one by hand needs the same environment the graph sets.

Tasks:
  upgrade-node         Upgrade one node to the plan's installer image unless it runs it already,
                       then wait for etcd (control planes), the API server and the node to be healthy.
  upgrade-kubernetes   Run talosctl upgrade-k8s to the plan's version unless the cluster is there
                       already; --record only records the version (first creation).
  remove-node          Cordon, drain, gracefully reset (a control plane leaves etcd) and delete the
                       Kubernetes node, before Pulumi deletes the machine.
  configure-edge       Apply the stack's config to a joined edge machine when it differs.
  readiness            Wait for every cloud node to be Ready (fails after the bound) and for joined
                       edge nodes (reported, never failed).

Environment (set by the graph):
  ${DAY_TWO_ENV.plan}            the step's plan, JSON
  ${DAY_TWO_ENV.talosconfig}     talosconfig (secret)
  ${DAY_TWO_ENV.kubeconfig}      admin kubeconfig (secret)
  ${DAY_TWO_ENV.edgeBaseConfig}  edge base worker config (secret; configure-edge)
Environment (runner, optional):
  ${RUNNER_ENV.talosctl}, ${RUNNER_ENV.kubectl}   tool binaries (default: on PATH)
  ${RUNNER_ENV.pollInterval}   time between health checks, Go duration (default 5s)
  ${RUNNER_ENV.skipRemoval}=1  remove-node skips drain, reset and etcd (e.g. for pulumi destroy)

Credentials are written to 0600 files in a private temporary directory, removed afterwards.
`;

class UsageError extends Error {}

function required(env: NodeJS.ProcessEnv, name: string): string {
    const v = env[name];
    if (v === undefined || v === "") throw new UsageError(`${name} is not set; this step runs from the Pulumi graph, which sets it`);
    return v;
}

function planOf<T>(env: NodeJS.ProcessEnv): T {
    try {
        return JSON.parse(required(env, DAY_TWO_ENV.plan)) as T;
    } catch (e) {
        if (e instanceof UsageError) throw e;
        throw new UsageError(`${DAY_TWO_ENV.plan} is not valid JSON`);
    }
}

export interface CliIo {
    env: NodeJS.ProcessEnv;
    exec: Exec;
    stdout: (line: string) => void;
    stderr: (line: string) => void;
}

/** Runs one task; returns the exit code. */
export async function runTask(argv: string[], io: CliIo): Promise<number> {
    const [task, ...flags] = argv;
    if (task === undefined || task === "--help" || task === "-h" || flags.includes("--help")) {
        io.stdout(HELP);
        return task === undefined ? 2 : 0;
    }
    const log = io.stderr;
    try {
        if (!DAY_TWO_TASKS.includes(task as DayTwoTask)) throw new UsageError(`unknown task ${JSON.stringify(task)}; one of ${DAY_TWO_TASKS.join(", ")}`);
        const unknown = flags.filter((f) => f !== "--record");
        if (unknown.length > 0) throw new UsageError(`unknown option ${unknown[0]}`);
        const env = io.env;
        const pollMs = goDurationMs(RUNNER_ENV.pollInterval, env[RUNNER_ENV.pollInterval] || "5s");
        // Every task has a plan; a step started without the graph's environment stops here.
        const rawPlan = planOf<unknown>(env);
        const talosctl = env[RUNNER_ENV.talosctl] || "talosctl";
        const kubectl = env[RUNNER_ENV.kubectl] || "kubectl";
        const result = await withCredentialDir(async (creds: CredentialDir) => {
            const talos = () => new TalosCtl(io.exec, { binary: talosctl, talosconfig: creds.write("talosconfig", required(env, DAY_TWO_ENV.talosconfig)) });
            const kube = (kubeconfig: string, file = "kubeconfig"): KubeApi => new KubeCtl(io.exec, { binary: kubectl, kubeconfig: creds.write(file, kubeconfig) });
            switch (task as DayTwoTask) {
                case "upgrade-node":
                    return upgradeNode({ talos: talos(), kube: kube(required(env, DAY_TWO_ENV.kubeconfig)), log, pollMs }, rawPlan as UpgradeNodePlan);
                case "upgrade-kubernetes": {
                    const plan = rawPlan as UpgradeKubernetesPlan;
                    if (flags.includes("--record")) {
                        log(`Kubernetes ${plan.version} recorded; changing cluster.kubernetesVersion later upgrades the cluster with talosctl upgrade-k8s`);
                        return { outcome: "recorded", version: plan.version };
                    }
                    const t = talos();
                    const fromTalos = async () => {
                        const file = creds.write("kubeconfig", "");
                        await t.kubeconfig(plan.controlPlaneAddress, file);
                        return new KubeCtl(io.exec, { binary: kubectl, kubeconfig: file });
                    };
                    return upgradeKubernetes({ talos: t, kube: fromTalos, log, pollMs }, plan);
                }
                case "remove-node": {
                    const kubeconfig = required(env, DAY_TWO_ENV.kubeconfig);
                    const skip = env[RUNNER_ENV.skipRemoval] === "1";
                    return removeNode({
                        talos: talos(),
                        log,
                        pollMs,
                        skip,
                        kube: async (server) => (server ? kube(kubeconfigServer(kubeconfig, apiServerUrl(server)), "kubeconfig-peer") : kube(kubeconfig)),
                    }, rawPlan as RemoveNodePlan);
                }
                case "configure-edge": {
                    const plan = rawPlan as ConfigureEdgePlan;
                    const outcome = await configureEdge({ talos: talos(), log, pollMs }, plan, required(env, DAY_TWO_ENV.edgeBaseConfig), creds);
                    return { node: plan.node, outcome };
                }
                case "readiness": {
                    const report = await checkReadiness({ kube: kube(required(env, DAY_TWO_ENV.kubeconfig)), log, pollMs }, rawPlan as ReadinessPlan);
                    return report;
                }
            }
        });
        io.stdout(`${RESULT_PREFIX}${JSON.stringify(result)}`);
        if (task === "readiness" && (result as { ok?: boolean }).ok === false) {
            log("readiness gate failed: not every cloud node is Ready (see above); the update stops here");
            return 1;
        }
        return 0;
    } catch (e) {
        log(`${task}: ${(e as Error).message}`);
        return e instanceof UsageError ? 2 : 1;
    }
}

if (require.main === module) {
    void runTask(process.argv.slice(2), {
        env: process.env,
        exec: spawnExec,
        stdout: (l) => process.stdout.write(`${l}\n`),
        stderr: (l) => process.stderr.write(`${l}\n`),
    }).then((code) => {
        process.exitCode = code;
    });
}
