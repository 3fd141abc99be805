import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { edgeTrustOf, routerConfig } from "../../components/edge-config";
import { readStackFile } from "../../harness/stack-file";
import { tenantStackFromConfig } from "../../spec/stack-config";
import { accessMatrix, ssoCondition, subjectFor } from "../../report/access-matrix";
import type { AccessCell, AccessMatrix } from "../../report/report-model";
import { BASE_ROLES, decide, type AppAccess } from "../../workers/lib/access-policy";
import type { RouterConfig } from "../../workers/dispatch/config";
import { ssoAdmits, type SsoPolicy } from "../../workers/lib/sso";

function acmeConfig(): RouterConfig {
  const spec = tenantStackFromConfig({ ...readStackFile(join(__dirname, "../../stacks/Pulumi.org-acme.yaml")), now: new Date() }).spec;
  if (spec.edge === undefined) throw new Error("org-acme declares an edge");
  return routerConfig(spec, edgeTrustOf(spec.edge));
}

const cell = (matrix: AccessMatrix, name: string, app: string, environment: string): AccessCell => {
  const found = matrix.cells.find((c) => c.principal.name === name && c.app === app && c.environment === environment);
  if (found === undefined) throw new Error(`no cell ${name} x ${app}/${environment}`);
  return found;
};

describe("the access matrix of org-acme", () => {
  const config = acmeConfig();
  const matrix = accessMatrix(config);

  it("has a column for every app in every environment and a cell for every row in each", () => {
    expect(matrix.columns).toHaveLength(config.apps.length * config.environments.length);
    expect(matrix.cells).toHaveLength(matrix.principals.length * matrix.columns.length);
    expect(matrix.principals.map((p) => `${p.kind}:${p.name}`)).toEqual([
      "role:owner", "role:admin", "role:developer", "role:viewer",
      "user:cfo@acme.com", "user:controller@acme.com",
      "workspace:web members", "workspace:billing members",
      "api-key:storefront-browser (publishable key)", "api-key:billing-sync (secret key)",
      "integration:stripe",
    ]);
  });

  it("says for each role, named user and workspace what the router's evaluator says for the same subject, and an allow's SSO condition", () => {
    for (const c of matrix.cells.filter((c) => c.principal.kind === "role" || c.principal.kind === "user" || c.principal.kind === "workspace")) {
      const subject = subjectFor(config, c.principal);
      if (subject === undefined) throw new Error(`no subject for ${c.principal.name}`);
      const decision = decide(config, subject, "app.invoke", `app/${c.app}`);
      const reason = decision.allow ? `${decision.reason}${ssoCondition(config, subject.email)}` : decision.reason;
      expect({ decision: c.decision, reason: c.reason }, `${c.principal.name} x ${c.app}/${c.environment}`).toEqual({ decision: decision.allow ? "allow" : "deny", reason });
    }
  });

  it("shows the acme policies: a minimum role, named users, workspace members", () => {
    expect(cell(matrix, "developer", "storefront", "prod")).toMatchObject({ decision: "allow", reason: "role developer meets storefront's minimum developer" });
    expect(cell(matrix, "viewer", "storefront", "prod")).toMatchObject({ decision: "deny", reason: "storefront needs role developer or above" });
    // acme claims acme.com and enforces SSO: the router refuses cfo's token unless it came through it.
    expect(cell(matrix, "cfo@acme.com", "finance-console", "dev")).toMatchObject({
      decision: "allow", reason: "cfo@acme.com is named by finance-console; only with a token that came through the org's SSO (amr: sso), or the router refuses it (401)",
    });
    expect(cell(matrix, "owner", "finance-console", "prod")).toMatchObject({ decision: "deny", reason: "finance-console admits only its named users" });
    expect(cell(matrix, "billing members", "invoices", "test")).toMatchObject({ decision: "allow", reason: "member of workspace billing" });
    expect(cell(matrix, "web members", "invoices", "test")).toMatchObject({ decision: "deny", reason: "invoices admits only members of workspace billing" });
  });

  it("admits a key only at its own slot's app and environment, and an integration only on its route", () => {
    expect(cell(matrix, "storefront-browser (publishable key)", "storefront", "prod")).toMatchObject({ decision: "allow" });
    expect(cell(matrix, "storefront-browser (publishable key)", "storefront", "dev")).toMatchObject({ decision: "deny", reason: "403: a key of another app or environment" });
    expect(cell(matrix, "billing-sync (secret key)", "invoices", "prod")).toMatchObject({ decision: "allow", reason: "a secret key of slot billing-sync from a server" });
    expect(cell(matrix, "billing-sync (secret key)", "storefront", "prod")).toMatchObject({ decision: "deny" });
    expect(cell(matrix, "stripe", "invoices", "prod")).toMatchObject({ decision: "allow" });
    expect(cell(matrix, "stripe", "invoices", "dev")).toMatchObject({ decision: "deny", reason: "stripe's signature opens only /prod/invoices/stripe" });
    const allowedKeys = matrix.cells.filter((c) => c.principal.kind !== "role" && c.principal.kind !== "user" && c.principal.kind !== "workspace" && c.decision === "allow");
    expect(allowedKeys.map((c) => `${c.principal.name} ${c.app}/${c.environment}`).sort()).toEqual([
      "billing-sync (secret key) invoices/prod", "storefront-browser (publishable key) storefront/prod", "stripe invoices/prod",
    ]);
  });
});

/* Generated orgs: any apps, policies, custom roles, slots and integrations the router could be configured with. */
const slug = fc.constantFrom("shop", "books", "ops", "admin-ui", "hr");
const env = fc.constantFrom("dev", "test", "prod");
const workspace = fc.constantFrom("web", "billing", "ops");
const email = fc.constantFrom("a@acme.com", "B@acme.com", "c@other.example", "someone@report.invalid");
const access: fc.Arbitrary<AppAccess> = fc.oneof(
  fc.constantFrom(...BASE_ROLES).map((minRole) => ({ minRole })),
  fc.uniqueArray(email, { minLength: 1, maxLength: 3 }).map((users) => ({ users })),
  fc.constant({ workspaceMembers: true as const }),
  fc.constant({ editorsOnly: true as const }),
);
const generatedConfig: fc.Arbitrary<RouterConfig> = fc.record({
  apps: fc.uniqueArray(fc.record({ slug, workspace, access, origins: fc.subarray(["https://a.example", "https://b.example"]) }), { selector: (a) => a.slug, minLength: 1, maxLength: 4 }),
  roles: fc.uniqueArray(fc.record({
    name: fc.constantFrom("auditor", "release-manager", "support"),
    base: fc.constantFrom(...BASE_ROLES),
    permissions: fc.subarray(["app.invoke", "deploy.*", "logs.read", "*"]),
  }), { selector: (r) => r.name, maxLength: 2 }),
  environments: fc.subarray(["dev", "test", "prod"], { minLength: 1 }),
  keys: fc.array(fc.record({ name: fc.constantFrom("k1", "k2", "k3"), app: slug, environment: env, kind: fc.constantFrom("publishable" as const, "secret" as const) }), { maxLength: 3 }),
  hooks: fc.array(fc.record({ name: fc.constantFrom("stripe", "github"), app: slug, environment: env, path: fc.constantFrom("/stripe", "/hooks/in") }), { maxLength: 2 }),
}).map(({ apps, roles, environments, keys, hooks }) => ({
  org: "acme",
  environments,
  apps: apps.map((a) => ({ ...a, forwardHeaders: [] })),
  roles,
  apiKeys: keys,
  integrations: hooks.map((h) => ({ ...h, scheme: "stripe" as const, secret: { secretName: "acme/prod/x", key: "k" } })),
  identity: { issuer: "https://id.example/", audience: "apps", algorithms: ["ES256"], jwks: { keys: [] } },
  operator: { issuer: "https://op.example/", audience: "ops" },
  sso: { enforce: false },
  limits: { cpuMs: 50, subRequests: 50, maxConcurrentRequests: 10 },
}));

describe("the access matrix of any org", () => {
  it("never says allow where the router's evaluator denies the same subject, nor the reverse", () => {
    fc.assert(fc.property(generatedConfig, (config) => {
      for (const c of accessMatrix(config).cells) {
        const subject = subjectFor(config, c.principal);
        if (subject === undefined) continue;
        // The subject as the row's name says it, built here without the matrix's help.
        const expected = c.principal.kind === "role" ? { email: "someone@report.invalid", role: c.principal.name, workspaces: [] }
          : c.principal.kind === "user" ? { email: c.principal.name, role: "viewer", workspaces: [] }
          : { email: "someone@report.invalid", role: "viewer", workspaces: [c.principal.name.replace(/ members$/, "")] };
        expect(subject).toEqual({ ...expected, org: "acme" });
        expect(c.decision === "allow").toBe(decide(config, subject, "app.invoke", `app/${c.app}`).allow);
      }
    }), { numRuns: 300 });
  });

  it("never says allow for a key or an integration outside its own app and environment", () => {
    fc.assert(fc.property(generatedConfig, (config) => {
      for (const c of accessMatrix(config).cells.filter((c) => c.decision === "allow")) {
        if (c.principal.kind === "api-key") {
          expect((config.apiKeys ?? []).some((s) => c.principal.name.startsWith(`${s.name} (`) && s.app === c.app && s.environment === c.environment)).toBe(true);
        }
        if (c.principal.kind === "integration") {
          expect((config.integrations ?? []).some((i) => i.name === c.principal.name && i.app === c.app && i.environment === c.environment)).toBe(true);
        }
      }
    }), { numRuns: 300 });
  });
});

describe("the access matrix of an org that enforces SSO", () => {
  const sso: fc.Arbitrary<SsoPolicy> = fc.oneof(
    fc.constant({ enforce: false as const }),
    fc.record({ enforce: fc.constant(true as const), claimedDomains: fc.subarray(["acme.com", "other.example"], { minLength: 1 }), claim: fc.constantFrom("amr", "idp"), values: fc.constantFrom(["sso"], ["sso", "mfa"]) }),
  );

  it("never shows a named user's allow as unconditional where the router refuses that user's token without SSO", () => {
    fc.assert(fc.property(generatedConfig, sso, (base, policy) => {
      const config = { ...base, sso: policy };
      for (const c of accessMatrix(config).cells.filter((c) => c.principal.kind === "user" && c.decision === "allow")) {
        // The router's own rule, asked about a token for this address that names no SSO.
        const refusedWithoutSso = !ssoAdmits(policy, c.principal.name, {});
        expect(c.reason.includes("came through the org's SSO"), `${c.principal.name}: ${c.reason}`).toBe(refusedWithoutSso);
      }
    }), { numRuns: 300 });
  });

  it("control: some generated org has a named user in a claimed domain the router would refuse without SSO", () => {
    const config = { ...acmeConfig(), sso: { enforce: true as const, claimedDomains: ["acme.com"], claim: "amr", values: ["sso"] } };
    expect(ssoAdmits(config.sso, "cfo@acme.com", {})).toBe(false);
    expect(accessMatrix(config).cells.some((c) => c.principal.name === "cfo@acme.com" && c.decision === "allow" && c.reason.includes("SSO"))).toBe(true);
  });
});
