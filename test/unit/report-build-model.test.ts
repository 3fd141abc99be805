import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readStackFile } from "../../harness/stack-file";
import { buildReportModel, type ProvenClaim } from "../../report/build-model";
import { routerOf } from "../../report/gather-evidence";
import { policyOutcomes } from "../../report/policy-outcomes";
import { tenantStackFromConfig } from "../../spec/stack-config";

const spec = tenantStackFromConfig({ ...readStackFile(join(__dirname, "../../stacks/Pulumi.org-acme.yaml")), now: new Date() }).spec;
const claim = (status: ProvenClaim["status"], properties?: number[]): ProvenClaim => ({
  claim: `claim ${status}`, attempt: "tn_acme_dev_runtime: CREATE TABLE web_dev.t (id int)", result: "refused 42501", status, at: "2026-11-27T10:00:00.000Z",
  ...(properties === undefined ? {} : { properties }),
});

function model(claims: readonly ProvenClaim[], source: { kind: "fresh" } | { kind: "saved"; file: string } = { kind: "fresh" }) {
  const router = routerOf(spec);
  return buildReportModel({
    spec, ...(router === undefined ? {} : { router }),
    proof: { source, target: "embedded", provedAt: "2026-11-27T10:00:01.000Z", claims },
    policies: policyOutcomes([{ name: "postgres-public-revoked", enforcementLevel: "mandatory" }], []),
    tenantry: { version: "0.1.0", commit: "unknown" }, generatedAt: "2026-11-27T10:00:02.000Z",
  });
}

describe("the trust page's model for org-acme", () => {
  it("states the org at a glance from the spec", () => {
    expect(model([]).org).toEqual({
      slug: "acme", tier: "production", environments: ["dev", "test", "prod"], workspaces: ["web", "billing"],
      apps: [
        { name: "storefront", workspace: "web", access: "role developer or above" },
        { name: "invoices", workspace: "billing", access: "members of workspace billing" },
        { name: "finance-console", workspace: "billing", access: "named users: cfo@acme.com, controller@acme.com" },
      ],
      roles: ["dev", "test", "prod"].map((env) => ({ environment: env, runtime: `tn_acme_${env}_runtime`, ddl: `tn_acme_${env}_ddl` })),
      schemas: ["web", "billing"].flatMap((workspace) => ["dev", "test", "prod"].map((env) => ({ workspace, environment: env, name: `${workspace}_${env}` }))),
    });
  });

  it("lists the secrets by reference, with scope and hosts, the integration's signing secret included", () => {
    expect(model([]).secrets).toEqual([
      { name: "DATABASE_URL", scope: "prod", reference: "aws-secretsmanager:acme/prod/db#url", allowedHosts: [] },
      { name: "STRIPE_API_KEY", scope: "prod", reference: "aws-secretsmanager:acme/prod/stripe#api_key", allowedHosts: ["api.stripe.com"] },
      { name: "DATABASE_URL", scope: "dev", reference: "aws-secretsmanager:acme/dev/db#url", allowedHosts: [] },
      { name: "stripe (integration signing secret, read by the router only)", scope: "prod", reference: "aws-secretsmanager:acme/prod/stripe#webhook_secret", allowedHosts: [] },
    ]);
  });

  it("counts the proof's claims and marks a broken one's property broken", () => {
    const built = model([claim("pass", [3]), claim("fail", [3]), claim("skip", [1]), claim("pass")]);
    expect(built.proof).toEqual({ source: { kind: "fresh" }, target: "embedded", provedAt: "2026-11-27T10:00:01.000Z", counts: { hold: 2, broken: 1, skipped: 1 } });
    expect(built.properties.find((p) => p.number === 3)?.verdict).toBe("broken");
    expect(built.notProvenHere).toEqual(expect.arrayContaining([
      expect.stringMatching(/^1 claim\(s\) of this proof were skipped/), expect.stringMatching(/^1 claim\(s\) of this proof name no property/),
    ]));
  });

  it("says a saved proof is saved, and that it shows the server as it was", () => {
    const built = model([claim("pass", [3])], { kind: "saved", file: "saved.json" });
    expect(built.proof.source).toEqual({ kind: "saved", file: "saved.json" });
    expect(built.notProvenHere).toContain("This page was built from a saved proof: it shows the server as it was when that proof ran, not as it is now.");
  });

  it("has the access matrix of the router's configuration", () => {
    expect(model([]).access.columns).toHaveLength(9);
  });
});

describe("the pack's outcomes on the page", () => {
  const rules = [{ name: "a", enforcementLevel: "mandatory" }, { name: "b", enforcementLevel: "mandatory" }, { name: "c" }];

  it("passes every rule without a violation and fails each with one, with its message", () => {
    expect(policyOutcomes(rules, [{ policy: "b", message: "Runtime roles must not hold CREATE.", enforcementLevel: "mandatory" }])).toEqual([
      { rule: "a", enforcement: "mandatory", outcome: "pass" },
      { rule: "b", enforcement: "mandatory", outcome: "fail", message: "Runtime roles must not hold CREATE." },
      { rule: "c", enforcement: "advisory", outcome: "pass" },
    ]);
  });

  it("shows a rule skipped during preview as failed at advisory level, and a violation of an undeclared rule too", () => {
    expect(policyOutcomes(rules, [
      { policy: "a", message: "can't run policy 'a' during preview", enforcementLevel: "advisory" },
      { policy: "password-is-secret (offline only)", message: "x receives a password in plain text", enforcementLevel: "mandatory" },
    ])).toEqual([
      { rule: "a", enforcement: "advisory", outcome: "fail", message: "can't run policy 'a' during preview" },
      { rule: "b", enforcement: "mandatory", outcome: "pass" },
      { rule: "c", enforcement: "advisory", outcome: "pass" },
      { rule: "password-is-secret (offline only)", enforcement: "mandatory", outcome: "fail", message: "x receives a password in plain text" },
    ]);
  });
});
