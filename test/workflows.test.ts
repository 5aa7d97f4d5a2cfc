/**
 * The GitHub Actions workflows (.github/workflows/{preview,up}.yml): parsed with `yaml` and
 * checked for the properties the deployment relies on: keyless cloud auth, the policy pack on
 * every preview and update, PR comments, and updates only from main, one at a time per stack.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

const workflowsDir = path.join(__dirname, "..", ".github", "workflows");
const readText = (name: string) => fs.readFileSync(path.join(workflowsDir, name), "utf8");
const load = (name: string): any => parse(readText(name));

interface Step {
    name?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, unknown>;
    if?: string;
}

const stepsOf = (wf: any, job: string): Step[] => wf.jobs[job].steps;
const stepUsing = (steps: Step[], action: string): Step => {
    const found = steps.filter((s) => (s.uses ?? "").split("@")[0] === action);
    assert.strictEqual(found.length, 1, `expected exactly one ${action} step`);
    return found[0];
};
const indexOfRun = (steps: Step[], command: string) => steps.findIndex((s) => (s.run ?? "").trim() === command);
const indexOfUses = (steps: Step[], action: string) => steps.findIndex((s) => (s.uses ?? "").startsWith(`${action}@`));

function assertKeylessGcpAuth(steps: Step[], serviceAccountVar: string) {
    const auth = stepUsing(steps, "google-github-actions/auth");
    assert.strictEqual(auth.uses, "google-github-actions/auth@v3");
    assert.strictEqual(auth.with?.workload_identity_provider, "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}");
    assert.strictEqual(auth.with?.service_account, `\${{ vars.${serviceAccountVar} }}`);
    assert.ok(!("credentials_json" in (auth.with ?? {})), "no service-account JSON keys");
}

function assertPulumiStep(steps: Step[], command: string): Step {
    const pulumi = stepUsing(steps, "pulumi/actions");
    assert.strictEqual(pulumi.uses, "pulumi/actions@v7");
    assert.strictEqual(pulumi.with?.command, command);
    assert.strictEqual(pulumi.with?.policyPacks, "${{ github.workspace }}/policy");
    assert.strictEqual(pulumi.with?.["stack-name"], "${{ vars.PULUMI_ORG }}/talos-cloud-edge/${{ matrix.stack }}");
    assert.strictEqual(pulumi.env?.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}");
    // The pack's dependencies are installed before Pulumi loads it, and tests gate the cloud steps.
    const pulumiAt = steps.indexOf(pulumi);
    assert.ok(indexOfRun(steps, "npm test") >= 0 && indexOfRun(steps, "npm test") < pulumiAt);
    assert.ok(indexOfRun(steps, "npm ci --prefix policy") >= 0 && indexOfRun(steps, "npm ci --prefix policy") < pulumiAt);
    assert.ok(indexOfUses(steps, "google-github-actions/auth") < pulumiAt);
    return pulumi;
}

describe("GitHub Actions workflows", () => {
    for (const file of ["preview.yml", "up.yml"]) {
        it(`${file} never embeds a cloud key or a literal credential`, () => {
            const text = readText(file);
            assert.doesNotMatch(text, /credentials_json/);
            assert.doesNotMatch(text, /tskey-|-----BEGIN|AKIA[0-9A-Z]{16}/);
        });
    }

    describe("preview.yml", () => {
        const wf = load("preview.yml");
        const steps = stepsOf(wf, "preview");

        it("runs on pull requests only, with OIDC and PR-comment permissions and nothing more", () => {
            assert.deepStrictEqual(Object.keys(wf.on), ["pull_request"]);
            assert.deepStrictEqual(wf.permissions, { contents: "read", "id-token": "write", "pull-requests": "write" });
            assert.strictEqual(wf.concurrency.group, "preview-${{ github.ref }}");
            assert.strictEqual(wf.concurrency["cancel-in-progress"], true);
        });

        it("previews every stack in a matrix with diff, a PR comment and the policy pack", () => {
            assert.ok(wf.jobs.preview.strategy.matrix.stack.includes("dev"));
            const pulumi = assertPulumiStep(steps, "preview");
            assert.strictEqual(pulumi.with?.diff, true);
            assert.strictEqual(pulumi.with?.["comment-on-pr"], true);
        });

        it("authenticates to GCP through Workload Identity Federation with the preview account", () => {
            assertKeylessGcpAuth(steps, "GCP_PREVIEW_SERVICE_ACCOUNT");
        });

        it("keeps fork pull requests (no OIDC token, no secrets) to the unit tests", () => {
            const sameRepo = "github.event.pull_request.head.repo.full_name == github.repository";
            for (const s of steps.filter((x) => /google-github-actions|tailscale|ssh-agent|pulumi\/actions/.test(x.uses ?? ""))) {
                assert.strictEqual(s.if, sameRepo, `${s.uses} must be skipped for forks`);
            }
            assert.strictEqual(steps.find((s) => (s.run ?? "").trim() === "npm test")?.if, undefined);
        });

        it("uses a Node.js that @pulumi/pulumi supports, with the npm cache", () => {
            const node = stepUsing(steps, "actions/setup-node");
            assert.ok(Number(node.with?.["node-version"]) >= 22);
            assert.strictEqual(node.with?.cache, "npm");
        });
    });

    describe("up.yml", () => {
        const wf = load("up.yml");
        const job = wf.jobs.up;
        const steps = stepsOf(wf, "up");

        it("deploys only on pushes to main", () => {
            assert.deepStrictEqual(Object.keys(wf.on), ["push"]);
            assert.deepStrictEqual(wf.on.push.branches, ["main"]);
            assert.deepStrictEqual(wf.permissions, { contents: "read", "id-token": "write" });
        });

        it("runs each stack behind its environment, one update at a time, never cancelled", () => {
            assert.ok(job.strategy.matrix.stack.includes("dev"));
            assert.strictEqual(job.strategy["max-parallel"], 1);
            assert.strictEqual(job.environment, "${{ matrix.stack }}");
            assert.strictEqual(job.concurrency.group, "up-${{ matrix.stack }}");
            assert.strictEqual(job.concurrency["cancel-in-progress"], false);
        });

        it("runs pulumi up with the policy pack and the deployer account", () => {
            assertPulumiStep(steps, "up");
            assertKeylessGcpAuth(steps, "GCP_DEPLOY_SERVICE_ACCOUNT");
        });

        it("reaches the edge hosts over the tailnet with an agent-held SSH key and pinned host keys", () => {
            const pulumiAt = indexOfUses(steps, "pulumi/actions");
            const ts = stepUsing(steps, "tailscale/github-action");
            assert.strictEqual(ts.with?.["oauth-secret"], "${{ secrets.TS_CI_OAUTH_SECRET }}");
            assert.strictEqual(ts.with?.tags, "tag:ci");
            const agent = stepUsing(steps, "webfactory/ssh-agent");
            assert.strictEqual(agent.with?.["ssh-private-key"], "${{ secrets.EDGE_SSH_PRIVATE_KEY }}");
            assert.ok(steps.indexOf(ts) < pulumiAt && steps.indexOf(agent) < pulumiAt);
            assert.ok(steps.some((s) => /known_hosts/.test(s.run ?? "") && s.env?.EDGE_SSH_KNOWN_HOSTS === "${{ vars.EDGE_SSH_KNOWN_HOSTS }}"));
        });
    });
});
