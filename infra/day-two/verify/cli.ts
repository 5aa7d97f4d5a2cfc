/**
 * `npm run verify -- [--stack <name>] [--kubeconfig <path>] …`: the seed's connectivity suite
 * on the live cluster. Prints progress, then a table; exits 1 when a check failed, 2 on bad
 * usage. The test namespace is deleted afterwards (also on Ctrl-C).
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { withCredentialDir } from "../credentials";
import { goDurationMs } from "../../../model/durations";
import { Exec, spawnExec, ToolError } from "../exec";
import { KubeCtl } from "../kubectl";
import { formatTable, runVerification } from "./suite";

const HELP = `Usage: npm run verify -- [options]

Runs the connectivity suite of the seed's verification section on the live cluster: every node
Ready with its flannel public IP on the tailnet (100.64.0.0/10), a test pod on every node
(tolerating every taint), pod-to-pod ping between every pair of nodes (cloud and edge), the
ClusterIP service, cluster DNS, external egress and external name resolution from every pod.
Prints a table; exits 1 when any check failed. The test namespace is deleted afterwards.

Options:
  --stack <name>         Pulumi stack whose kubeconfig output to use (default: the selected stack)
  --kubeconfig <path>    use this kubeconfig instead of the stack output
  --timeout <duration>   how long the test pods may take to be Ready (default 5m)
  --image <ref>          busybox image (default busybox:1.36)
  --egress-url <url>     URL fetched from every pod (default http://example.com)
  --external-name <dns>  name resolved from every pod (default google.com)
  --keep                 leave the test namespace in place for debugging
  --help                 this text

Environment: KUBECTL (default kubectl), PULUMI (default pulumi).
The kubeconfig is read with \`pulumi stack output kubeconfig --show-secrets\` and kept in a 0600
file in a private temporary directory for the run only.
`;

export interface VerifyArgs {
    stack?: string;
    kubeconfig?: string;
    timeout: string;
    image: string;
    egressUrl: string;
    externalName: string;
    keep: boolean;
    help: boolean;
}

export class VerifyUsageError extends Error {}

export function parseVerifyArgs(argv: string[]): VerifyArgs {
    const args: VerifyArgs = { timeout: "5m", image: "busybox:1.36", egressUrl: "http://example.com", externalName: "google.com", keep: false, help: false };
    const valued: Record<string, keyof VerifyArgs> = {
        "--stack": "stack",
        "--kubeconfig": "kubeconfig",
        "--timeout": "timeout",
        "--image": "image",
        "--egress-url": "egressUrl",
        "--external-name": "externalName",
    };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--help" || a === "-h") args.help = true;
        else if (a === "--keep") args.keep = true;
        else if (a in valued) {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) throw new VerifyUsageError(`${a} needs a value`);
            (args as unknown as Record<string, string>)[valued[a]] = v;
        } else throw new VerifyUsageError(`unknown option ${a}; see --help`);
    }
    goDurationMs("--timeout", args.timeout);
    if (!/^https?:\/\/\S+$/.test(args.egressUrl)) throw new VerifyUsageError(`--egress-url ${JSON.stringify(args.egressUrl)} must be an http(s) URL`);
    if (!/^[A-Za-z0-9.-]+$/.test(args.externalName)) throw new VerifyUsageError(`--external-name ${JSON.stringify(args.externalName)} must be a DNS name`);
    return args;
}

export interface VerifyIo {
    env: NodeJS.ProcessEnv;
    exec: Exec;
    out: (text: string) => void;
    log: (line: string) => void;
    /** Registers a cleanup for Ctrl-C; returns the unregister function. */
    onInterrupt?: (fn: () => Promise<void>) => () => void;
}

/** Reads the stack's kubeconfig output through the Pulumi CLI. */
async function stackKubeconfig(io: VerifyIo, stack: string | undefined): Promise<string> {
    const pulumiBin = io.env.PULUMI || "pulumi";
    const args = ["stack", "output", "kubeconfig", "--show-secrets", ...(stack ? ["--stack", stack] : [])];
    const r = await io.exec(pulumiBin, args, { timeoutMs: 120_000 });
    if (r.code !== 0) throw new ToolError(`pulumi stack output kubeconfig${stack ? ` --stack ${stack}` : ""}`, { ...r, stdout: "" });
    if (!/^apiVersion:/m.test(r.stdout)) throw new Error(`the stack${stack ? ` ${stack}` : ""} has no kubeconfig output yet (run pulumi up first)`);
    return r.stdout;
}

export async function runVerifyCli(argv: string[], io: VerifyIo): Promise<number> {
    let args: VerifyArgs;
    try {
        args = parseVerifyArgs(argv);
    } catch (e) {
        io.log(`verify: ${(e as Error).message}`);
        return 2;
    }
    if (args.help) {
        io.out(HELP);
        return 0;
    }
    try {
        const kubeconfig = args.kubeconfig !== undefined ? fs.readFileSync(args.kubeconfig, "utf8") : await stackKubeconfig(io, args.stack);
        io.log(`verify: cluster from ${args.kubeconfig ?? `stack ${args.stack ?? "(selected)"}`}`);
        const rows = await withCredentialDir(async (creds) => {
            const kube = new KubeCtl(io.exec, { binary: io.env.KUBECTL || "kubectl", kubeconfig: creds.write("kubeconfig", kubeconfig) });
            const namespace = `talos-verify-${crypto.randomBytes(3).toString("hex")}`;
            const unregister = io.onInterrupt?.(async () => {
                io.log(`interrupted: deleting namespace ${namespace}`);
                if (!args.keep) await kube.deleteNamespace(namespace);
            });
            try {
                return await runVerification(kube, {
                    namespace,
                    image: args.image,
                    podTimeoutMs: goDurationMs("--timeout", args.timeout),
                    execTimeoutMs: 30_000,
                    egressUrl: args.egressUrl,
                    externalName: args.externalName,
                    keep: args.keep,
                    pollMs: Number(io.env.DAY_TWO_VERIFY_POLL_MS) || 2000,
                    log: io.log,
                });
            } finally {
                unregister?.();
            }
        });
        io.out(formatTable(rows));
        return rows.every((r) => r.ok) ? 0 : 1;
    } catch (e) {
        io.log(`verify: ${(e as Error).message}`);
        return 1;
    }
}

if (require.main === module) {
    void runVerifyCli(process.argv.slice(2), {
        env: process.env,
        exec: spawnExec,
        out: (t) => process.stdout.write(`${t}\n`),
        log: (l) => process.stderr.write(`${l}\n`),
        onInterrupt: (fn) => {
            const handler = () => void fn().finally(() => process.exit(130));
            process.once("SIGINT", handler);
            process.once("SIGTERM", handler);
            return () => {
                process.off("SIGINT", handler);
                process.off("SIGTERM", handler);
            };
        },
    }).then((code) => {
        process.exitCode = code;
    });
}
