/**
 * The talos-cloud-edge policy pack. Every policy is mandatory unless it says otherwise
 * (the secret-sealing remediation runs at "remediate"). Run locally with
 * `pulumi preview --policy-pack policy` after `npm ci --prefix policy`.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("talos-cloud-edge", { policies, enforcementLevel: "mandatory" });
