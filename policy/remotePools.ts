/**
 * Policies for the resources of the Headscale overlay and the remote worker pools (Proxmox,
 * Oracle Cloud): their secrets stay secret, Headscale keys are short-lived, and no Oracle Cloud
 * security rule opens the Talos or Kubernetes API to the world. policy/policies.ts adds the
 * rules here to its secret checks and lists the policies.
 *
 * Types are matched by token: the pack does not depend on the Oracle Cloud or Proxmox SDKs.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import type { SecretOutputRule } from "./checks";

export const HEADSCALE_KEY_TYPE = "pulumi-nodejs:dynamic/talos-cloud-edge:HeadscalePreAuthKey";
export const PROXMOX_ISO_TYPE = "pulumi-nodejs:dynamic/talos-cloud-edge:ProxmoxIsoFile";
export const OCI_INSTANCE_TYPE = "oci:Core/instance:Instance";
export const OCI_PAR_TYPE = "oci:ObjectStorage/preauthrequest:Preauthrequest";
export const OCI_SECURITY_LIST_TYPE = "oci:Core/securityList:SecurityList";
export const OCI_NSG_RULE_TYPE = "oci:Core/networkSecurityGroupSecurityRule:NetworkSecurityGroupSecurityRule";

/** The admin API ports (same as the GCP firewall policy's). */
const ADMIN_PORTS: ReadonlyArray<{ port: number; name: string }> = [
    { port: 50000, name: "Talos API (apid)" },
    { port: 6443, name: "Kubernetes API" },
];

export const REMOTE_SECRET_OUTPUT_RULES: readonly SecretOutputRule[] = [
    { type: HEADSCALE_KEY_TYPE, what: "the Headscale pre-auth key and API key", outputs: ["key", "apiKey"] },
    { type: PROXMOX_ISO_TYPE, what: "the machine config on the config ISO and the Proxmox API token", outputs: ["contentBase64", "apiToken"] },
    {
        type: OCI_INSTANCE_TYPE,
        what: "the Talos machine config in metadata user_data",
        outputs: ["metadata"],
        appliesTo: (props) => props.metadata !== undefined && props.metadata !== null && "user_data" in props.metadata,
    },
    { type: OCI_PAR_TYPE, what: "the pre-authenticated request URL (a write credential)", outputs: ["accessUri", "fullPath"] },
];

export const REMOTE_SEALED_INPUT_PATHS: Readonly<Record<string, ReadonlyArray<readonly string[]>>> = {
    [OCI_INSTANCE_TYPE]: [["metadata", "user_data"]],
    [PROXMOX_ISO_TYPE]: [["contentBase64"], ["apiToken"]],
    [HEADSCALE_KEY_TYPE]: [["apiKey"]],
};

/** The Headscale key inputs the key policy reads. */
export interface HeadscaleKeyShape {
    expirySeconds?: number;
    aclTags?: string[];
}

/** Problems with a Headscale pre-auth key's lifetime and tags (reuse is fixed off by its provider). */
export function headscaleKeyProblems(key: HeadscaleKeyShape, maxExpirySeconds: number): string[] {
    const problems: string[] = [];
    if (typeof key.expirySeconds !== "number" || !(key.expirySeconds > 0)) {
        problems.push(`expirySeconds is ${JSON.stringify(key.expirySeconds)}; set a positive lifetime of at most ${maxExpirySeconds} seconds`);
    } else if (key.expirySeconds > maxExpirySeconds) {
        problems.push(`expirySeconds is ${key.expirySeconds}, above the maximum of ${maxExpirySeconds}`);
    }
    if (!Array.isArray(key.aclTags) || key.aclTags.length === 0) {
        problems.push("aclTags is empty: an untagged key enrolls a node with its user's full access; tag it (tailnet.cloudTags)");
    }
    return problems;
}

/** An ingress rule of an OCI security list or network security group, as far as this check reads it. */
export interface OciIngressShape {
    direction?: string;
    protocol?: string;
    source?: string;
    tcpOptions?: { min?: number; max?: number; destinationPortRange?: { min?: number; max?: number } };
}

/** The admin ports an OCI ingress rule opens to the whole internet ("all" or TCP, no or a covering port range). */
export function ociWorldOpenAdminPorts(rule: OciIngressShape): string[] {
    if ((rule.direction ?? "INGRESS").toUpperCase() !== "INGRESS") {
        return [];
    }
    const source = String(rule.source ?? "").trim();
    if (!/\/0$/.test(source)) {
        return [];
    }
    const protocol = String(rule.protocol ?? "").toLowerCase();
    if (protocol !== "all" && protocol !== "6") {
        return [];
    }
    const range = rule.tcpOptions?.destinationPortRange ?? rule.tcpOptions;
    const min = range?.min ?? 1;
    const max = range?.max ?? 65535;
    return ADMIN_PORTS.filter((p) => protocol === "all" || (min <= p.port && p.port <= max)).map((p) => `TCP ${p.port} (${p.name}) from ${source}`);
}

export const noWorldOpenAdminApisOnOci: ResourceValidationPolicy = {
    name: "no-world-open-admin-apis-oci",
    description: "Oracle Cloud security lists and network security group rules must not open the Talos API (50000) or the Kubernetes API (6443) to 0.0.0.0/0 or ::/0.",
    remediationSteps: "Reach the nodes over the overlay (the program never needs these ports public); restrict the rule's source to your admin ranges.",
    validateResource: (args, reportViolation) => {
        const rules: OciIngressShape[] =
            args.type === OCI_SECURITY_LIST_TYPE ? (args.props.ingressSecurityRules ?? []) : args.type === OCI_NSG_RULE_TYPE ? [args.props as OciIngressShape] : [];
        for (const rule of rules) {
            for (const open of ociWorldOpenAdminPorts(rule)) {
                reportViolation(`Oracle Cloud ingress rule allows ${open}. Remove it or restrict its source; Talos nodes of this stack are managed over the overlay.`);
            }
        }
    },
};

export const headscaleKeysShortLived: ResourceValidationPolicy = {
    name: "headscale-keys-short-lived",
    description: "Headscale pre-auth keys must be tagged and expire within maxKeyExpirySeconds (default one day); they are single-use by construction.",
    configSchema: {
        properties: {
            maxKeyExpirySeconds: { type: "integer", minimum: 1, default: 86400, description: "Longest allowed Headscale key lifetime, in seconds." },
        },
    },
    validateResource: (args, reportViolation) => {
        if (args.type !== HEADSCALE_KEY_TYPE) {
            return;
        }
        const max = args.getConfig<{ maxKeyExpirySeconds?: number }>().maxKeyExpirySeconds ?? 86400;
        for (const problem of headscaleKeyProblems(args.props as HeadscaleKeyShape, max)) {
            reportViolation(`Headscale pre-auth key: ${problem}.`);
        }
    },
};
