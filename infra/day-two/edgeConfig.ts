/**
 * Config changes for edge machines after they joined: the stack renders the machine's config
 * exactly as the boot service does (same renderer, same base config, same inventory entry), and
 * applies it over the tailnet when it differs from what the node runs.
 *
 * One document is not the stack's: the tailscale ExtensionServiceConfig carries the single-use
 * key minted when the machine booted, which only the node knows. It is read from the node and
 * kept as it is, so an apply never touches the node's tailnet identity. A machine that has not
 * joined the tailnet yet is left alone: it gets the current config from the boot service.
 */
import { isDeepStrictEqual } from "node:util";
import { parseAllDocuments, stringify } from "yaml";
import { parseBaseConfig, prepareMachineConfig } from "../boot-server/src/machine-config";
import type { BootMachine } from "../../model/edgeMachine";
import type { ConfigureEdgePlan } from "./contract";
import type { CredentialDir } from "./credentials";
import type { StepContext } from "./upgrade";

type Doc = Record<string, unknown>;

function documents(text: string, what: string): Doc[] {
    return parseAllDocuments(text).flatMap((d, i) => {
        if (d.errors.length > 0) throw new Error(`${what}: YAML error in document ${i + 1} (${d.errors[0].code}); content not shown`);
        const v = d.toJS() as unknown;
        return v && typeof v === "object" ? [v as Doc] : [];
    });
}

const isTailscaleDoc = (d: Doc) => d.kind === "ExtensionServiceConfig" && d.name === "tailscale";
const docKey = (d: Doc) => (d.version === "v1alpha1" && d.kind === undefined ? "v1alpha1" : `${String(d.kind)}/${String(d.name ?? "")}`);

/** A placeholder key for the renderer; the document holding it is replaced by the node's own. */
const PLACEHOLDER_KEY = "placeholder-replaced-by-the-nodes-own-document";

/**
 * The config the machine should run: the boot service's rendering of the base config and the
 * inventory entry, with the node's own tailscale document in place of the rendered one.
 * Throws when the node has no tailscale document (applying would take it off the tailnet).
 */
export function desiredEdgeConfig(baseConfig: string, plan: ConfigureEdgePlan, nodeConfig: string): Doc[] {
    const nodeTailscale = documents(nodeConfig, `machine config of ${plan.node}`).filter(isTailscaleDoc);
    if (nodeTailscale.length !== 1) {
        throw new Error(`${plan.node} runs a config without exactly one tailscale ExtensionServiceConfig; refusing to apply one that could take it off the tailnet. Re-enroll it (raise its enrollment) instead`);
    }
    const machine: BootMachine = {
        name: plan.node,
        installDisk: plan.installDisk,
        diskSelector: plan.diskSelector,
        labels: plan.labels,
        taints: plan.taints,
        // Identity fields: the renderer does not read them.
        mac: "00:00:00:00:00:00",
        arch: "amd64",
        enrollment: 1,
    };
    const rendered = prepareMachineConfig(parseBaseConfig(baseConfig), {
        site: plan.site,
        machine,
        installerImage: plan.installerImage,
        validSubnets: plan.validSubnets,
    })(PLACEHOLDER_KEY);
    return [...documents(rendered, "rendered config").filter((d) => !isTailscaleDoc(d)), nodeTailscale[0]];
}

/** True when two configs hold the same documents (order and formatting aside). */
export function sameConfig(a: Doc[], b: Doc[]): boolean {
    const keyed = (docs: Doc[]) => Object.fromEntries(docs.map((d) => [docKey(d), d]));
    return a.length === b.length && isDeepStrictEqual(keyed(a), keyed(b));
}

export type ConfigureOutcome = "pending" | "unchanged" | "applied";

/** Applies the stack's config to a joined edge machine when it differs from what it runs. */
export async function configureEdge(ctx: StepContext, plan: ConfigureEdgePlan, baseConfig: string, creds: CredentialDir): Promise<ConfigureOutcome> {
    if (plan.address === "") {
        ctx.log(`${plan.node} (site ${plan.site}) has not joined the tailnet: it gets the current config from the boot service when it boots`);
        return "pending";
    }
    ctx.log(`${plan.node} (site ${plan.site}, ${plan.address}): comparing its machine config with the stack's`);
    const current = await ctx.talos.readConfig(plan.address);
    const desired = desiredEdgeConfig(baseConfig, plan, current);
    if (sameConfig(documents(current, `machine config of ${plan.node}`), desired)) {
        ctx.log("  up to date: nothing to apply");
        return "unchanged";
    }
    const file = creds.write("machine-config.yaml", desired.map((d) => stringify(d)).join("---\n"));
    ctx.log("  applying the stack's config (mode auto)");
    await ctx.talos.applyConfig(plan.address, file);
    ctx.log("  applied");
    return "applied";
}
