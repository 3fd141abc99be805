import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { breakGlassPasswordKeepers, planBreakGlass } from "../../components/break-glass-plan";
import { planMigrations } from "../../components/migration-plan";
import { COMPONENT_TYPES } from "../../components/type-tokens";
import { isSecretValue, type RegisteredResource } from "../../harness/recording-monitor";
import type { ProgramRun } from "../../harness/run-program";
import { runPolicies } from "../../harness/run-policies";
import { breakGlassBoundProblems } from "../../policies/break-glass";
import { GRANT_SHAPES } from "../../policies/grant-shapes";
import type { OrgFacts } from "../../policies/org-roles";
import { allowedGrantShape, type AclFacts } from "../../policies/shape-match";
import type { BreakGlassAccess } from "../../spec/break-glass-spec";
import { parseOrgSpec } from "../../spec/spec";
import { aclChanges, input, ofType, runOrg, TYPES } from "../helpers/program";
import { validOrgInput } from "../helpers/spec-builder";

/*
 * Break-glass, provisioned (DESIGN property 13, issue 16 item 2): one login that reaches one
 * environment, read or DML, bounded and expiring, judged by the pack's allowlist. The adversary
 * is the stack-file author who would widen it (another environment, more privileges, a longer
 * expiry, more sessions), with generated grants checked against an oracle written here.
 */

const ROLE = "tn_acme_breakglass";
const ENVS = ["dev", "test", "prod"];
const WORKSPACES = ["web", "billing"];
const hoursFromNow = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();

function orgWithBreakGlass(environment: string, access: BreakGlassAccess, expiresAt = hoursFromNow(4)): Record<string, unknown> {
  return { ...validOrgInput(), breakGlass: { enabled: true, grantee: "oncall@acme.com", reason: "restore billing after incident 42", expiresAt, environment, access } };
}

const factsOf = (run: ProgramRun) => run.resources.find((r) => r.type === COMPONENT_TYPES.orgTenant)!.inputs as unknown as OrgFacts;
const breakGlassRole = (run: ProgramRun) => ofType(run, TYPES.role).find((r) => input(r, "name") === ROLE);
const aclFacts = (r: RegisteredResource): AclFacts => ({ resource: r.type === TYPES.grant ? "Grant" : "DefaultPrivileges", ...r.inputs });
const messages = async (resources: readonly RegisteredResource[]) => (await runPolicies(resources)).map((v) => `${v.policy}: ${v.message}`);

describe("the break-glass plan", () => {
  it("declares nothing while break-glass is off", () => {
    expect(planBreakGlass(parseOrgSpec(validOrgInput(), { now: new Date() }))).toBeUndefined();
  });

  it("declares one login with one connection, the org's timeouts and VALID UNTIL the spec's expiry", () => {
    const expiresAt = hoursFromNow(3);
    const plan = planBreakGlass(parseOrgSpec(orgWithBreakGlass("prod", "read", expiresAt), { now: new Date() }));
    expect(plan).toMatchObject({
      name: ROLE, grantee: "oncall@acme.com", environment: "prod", access: "read", validUntil: expiresAt,
      connectionLimit: 1, statementTimeoutMs: 5000, lockTimeoutMs: 2000, idleInTransactionSessionTimeoutMs: 10000,
    });
  });

  it("reaches only its environment's schemas, SELECT for read and DML for write, never CREATE, TEMPORARY, TRUNCATE or the ledger", () => {
    fc.assert(fc.property(fc.constantFrom(...ENVS), fc.constantFrom<BreakGlassAccess>("read", "write"), (environment, access) => {
      const plan = planBreakGlass(parseOrgSpec(orgWithBreakGlass(environment, access), { now: new Date() }))!;
      const ownSchemas = WORKSPACES.map((workspace) => `${workspace}_${environment}`);
      for (const grant of plan.grants) {
        expect(grant.role).toBe(ROLE);
        expect(grant.database).toBe("tn_acme");
        if (grant.objectType === "database") expect(grant.privileges).toEqual(["CONNECT"]);
        else expect(ownSchemas).toContain(grant.schema);
        expect(grant.privileges.filter((p) => ["CREATE", "TEMPORARY", "TRUNCATE", "REFERENCES", "TRIGGER"].includes(p))).toEqual([]);
      }
      const tables = plan.grants.filter((g) => g.objectType === "table").map((g) => [...g.privileges].sort());
      expect(tables).toEqual(ownSchemas.map(() => (access === "read" ? ["SELECT"] : ["DELETE", "INSERT", "SELECT", "UPDATE"])));
    }));
  });

  it("puts the break-glass login under the org's lock timeout and enforcer limits while it is on, and only then; off, the enforcer records no live grant for it", () => {
    const limitsRows = (sql: string) => sql.slice(sql.indexOf('INSERT INTO "guardrails"."limits"')).split(";")[0]!;
    const on = planMigrations({ ...baseFacts, breakGlass: { grantee: "oncall@acme.com", reason: "restore billing after incident 42", environment: "prod", access: "read", expiresAt: hoursFromNow(2) } });
    const off = planMigrations(baseFacts);
    expect(on.lockTimeouts.sql).toContain(`'${ROLE}'`);
    expect(limitsRows(on.guardrails.sql)).toContain(`'${ROLE}'`);
    expect(off.lockTimeouts.sql).not.toContain(ROLE);
    expect(limitsRows(off.guardrails.sql)).not.toContain(ROLE);
    // Off is a row with no grant (break-glass-sessions-sql.ts): any session by that name is ended.
    expect(off.guardrails.sql).toContain(`VALUES ('${ROLE}', 'acme', (SELECT oid FROM pg_roles WHERE rolname = '${ROLE}'), NULL::text, NULL::timestamptz)`);
  });
});

const baseFacts = {
  slug: "acme", environments: ENVS, workspaces: WORKSPACES, lockTimeoutMs: 2000, statementTimeoutMs: 5000,
  idleInTransactionTimeoutMs: 10000, tempFileLimitMb: 1024, providerDatabase: "postgres",
};

describe("the program with break-glass on", () => {
  const runs: Record<BreakGlassAccess, ProgramRun | undefined> = { read: undefined, write: undefined };
  let off: ProgramRun;
  beforeAll(async () => {
    runs.read = await runOrg(orgWithBreakGlass("prod", "read"));
    runs.write = await runOrg(orgWithBreakGlass("test", "write"));
    off = await runOrg(validOrgInput());
  });

  it.each(["read", "write"] as const)("passes every rule of the pack with access %s, using exactly the break-glass shapes of that access", async (access) => {
    const run = runs[access]!;
    expect(await messages(run.resources)).toEqual([]);
    const facts = factsOf(run);
    const used = new Set(aclChanges(run).filter((r) => input(r, "role") === ROLE).map((r) => allowedGrantShape(aclFacts(r), facts)));
    const expected = GRANT_SHAPES.filter((shape) => shape.grantee === "break-glass" && (shape.access === undefined || shape.access === access));
    expect(used).toEqual(new Set(expected));
  });

  it("declares the login with a secret password, VALID UNTIL, one connection and no privileged attribute", () => {
    const role = breakGlassRole(runs.read!)!;
    expect(isSecretValue(input(role, "password"))).toBe(true);
    expect(role.inputs).toMatchObject({
      login: true, connectionLimit: 1, statementTimeout: 5000, idleInTransactionSessionTimeout: 10000,
      superuser: false, createDatabase: false, createRole: false, replication: false, bypassRowLevelSecurity: false,
    });
    expect(Date.parse(input<string>(role, "validUntil"))).toBe(Date.parse(factsOf(runs.read!).breakGlass!.expiresAt));
  });

  it("makes every grant of the login wait for the ledger's migration, which records the grant: it reaches nothing before the ledger names its grantee", () => {
    for (const access of ["read", "write"] as const) {
      const run = runs[access]!;
      const ledger = run.resources.find((r) => input(r, "migration") === "acme-audit-ledger")!;
      expect(ledger.inputs["sql"]).toContain("'oncall@acme.com'");
      const grants = aclChanges(run).filter((r) => input(r, "role") === ROLE);
      expect(grants.length).toBeGreaterThan(0);
      for (const grant of grants) expect(grant.dependsOn).toContain(ledger.urn);
    }
  });

  it("declares no break-glass role and no grant to it while break-glass is off", () => {
    expect(breakGlassRole(off)).toBeUndefined();
    expect(aclChanges(off).filter((r) => input(r, "role") === ROLE)).toEqual([]);
  });

  it("refuses the break-glass role in a stack whose org has break-glass off (control: the same role passes when it is on)", async () => {
    const role = breakGlassRole(runs.read!)!;
    const withStrayRole = [...off.resources, role];
    expect((await messages(withStrayRole)).some((m) => m.startsWith("postgres-roles-match-allowed-kinds:") && m.includes(ROLE))).toBe(true);
    expect(await messages(runs.read!.resources)).toEqual([]);
  });
});

// --- the adversary: a stack-file author widening break-glass grants ---

/** What DESIGN.md property 13 allows the break-glass role of org acme, written out here. */
function oracleAllows(g: AclFacts, environment: string, access: BreakGlassAccess): boolean {
  if (g.resource !== "Grant" || g.role !== ROLE || g.database !== "tn_acme") return false;
  if (!(g.withGrantOption === undefined || g.withGrantOption === false) || g.owner !== undefined) return false;
  if (!(g.objects === undefined || (Array.isArray(g.objects) && g.objects.length === 0)) || g.columns !== undefined) return false;
  const privileges = (g.privileges as string[]).map((p) => p.toUpperCase()).sort().join(",");
  if (g.objectType === "database") return g.schema === undefined && privileges === "CONNECT";
  if (!WORKSPACES.some((workspace) => g.schema === `${workspace}_${environment}`)) return false;
  if (g.objectType === "schema") return privileges === "USAGE";
  if (g.objectType === "table") return privileges === (access === "read" ? "SELECT" : "DELETE,INSERT,SELECT,UPDATE");
  if (g.objectType === "sequence") return privileges === (access === "read" ? "SELECT" : "SELECT,USAGE");
  return false;
}

const KEYWORDS = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "CREATE", "CONNECT", "TEMPORARY", "USAGE", "ALL"];
const DESIGNED_SETS = [["CONNECT"], ["USAGE"], ["SELECT"], ["SELECT", "INSERT", "UPDATE", "DELETE"], ["USAGE", "SELECT"], ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE"]];
const SCHEMAS = [undefined, "public", "audit", ...["web", "billing", "shop"].flatMap((workspace) => [...ENVS, "staging"].map((env) => `${workspace}_${env}`))];

const generatedGrant: fc.Arbitrary<AclFacts> = fc.record({
  resource: fc.constantFrom("Grant" as const, "DefaultPrivileges" as const),
  role: fc.constantFrom(ROLE, ROLE, ROLE, "tn_globex_breakglass", "TN_ACME_BREAKGLASS"),
  database: fc.constantFrom("tn_acme", "tn_acme", "tn_globex"),
  schema: fc.constantFrom(...SCHEMAS),
  objectType: fc.constantFrom("database", "schema", "table", "sequence", "column", "function"),
  // The designed sets often, so the shapes' exact lists are hit, not only the random ones.
  privileges: fc.oneof(fc.constantFrom(...DESIGNED_SETS), fc.subarray(KEYWORDS, { minLength: 0, maxLength: 5 })).chain((set) =>
    set.length === 0 ? fc.constant<string[]>([]) : fc.tuple(...set.map((word) => fc.constantFrom(word, word.toLowerCase())))),
  objects: fc.constantFrom<string[] | undefined>(undefined, undefined, [], ["events"]),
  owner: fc.constantFrom<string | undefined>(undefined, undefined, "tn_acme_prod_ddl"),
  withGrantOption: fc.constantFrom<boolean | undefined>(undefined, false, true),
}, { requiredKeys: ["resource", "role", "database", "objectType", "privileges"] });

/** One dimension of a grant changed to another value: a stack-file author's edit of a planned grant. */
const EDITS: Partial<AclFacts>[] = [
  ...["tn_globex_breakglass", "TN_ACME_BREAKGLASS", "tn_acme_breakglass ", "tn_acme_prod_breakglass"].map((role) => ({ role })),
  { database: "tn_globex" }, { database: "postgres" },
  ...SCHEMAS.map((schema) => ({ schema })),
  ...["database", "schema", "table", "sequence", "column", "function"].map((objectType) => ({ objectType })),
  ...DESIGNED_SETS.map((privileges) => ({ privileges })), ...KEYWORDS.map((keyword) => ({ privileges: [keyword] })), { privileges: [] },
  { resource: "DefaultPrivileges" as const }, { objects: ["events"] }, { objects: [] }, { owner: "tn_acme_prod_ddl" }, { withGrantOption: true }, { withGrantOption: false },
];

/** A grant the program plans for break-glass, with up to three edits, for a random environment and access. */
const editedGrant = fc.tuple(fc.constantFrom(...ENVS), fc.constantFrom<BreakGlassAccess>("read", "write")).chain(([environment, access]) => {
  const planned = planBreakGlass(parseOrgSpec(orgWithBreakGlass(environment, access), { now: new Date() }))!.grants
    .map(({ role, database, schema, objectType, privileges }): AclFacts => ({ resource: "Grant", role, database, schema, objectType, privileges: [...privileges] }));
  return fc.tuple(fc.constant(environment), fc.constant(access), fc.constantFrom(...planned), fc.array(fc.constantFrom(...EDITS), { maxLength: 3 }))
    .map(([env, acc, grant, edits]) => ({ environment: env, access: acc, grant: Object.assign({}, grant, ...edits) as AclFacts }));
});

describe("the pack's break-glass grant shapes, against generated grants", () => {
  const facts = (environment: string, access: BreakGlassAccess, on = true): OrgFacts => ({
    slug: "acme", tier: "production", environments: ENVS, workspaces: WORKSPACES, providerLogin: "tenantry", providerHost: "pg", providerPort: 5432,
    providerDatabase: "postgres", providerSslmode: "require", lockTimeoutMs: 2000, statementTimeoutMs: 5000, idleInTransactionTimeoutMs: 10000,
    tempFileLimitMb: 1024, offboarding: false, ...(on ? { breakGlass: { grantee: "oncall@acme.com", reason: "restore billing after incident 42", environment, access, expiresAt: hoursFromNow(2) } } : {}),
  });

  it("allows a grant to the break-glass role exactly when the oracle does: its one environment, its access, nothing wider", () => {
    fc.assert(fc.property(generatedGrant, fc.constantFrom(...ENVS), fc.constantFrom<BreakGlassAccess>("read", "write"), (grant, environment, access) => {
      expect(allowedGrantShape(grant, facts(environment, access)) !== undefined).toBe(oracleAllows(grant, environment, access));
    }), { numRuns: 3000 });
  });

  it("allows an edited planned grant exactly when the oracle does", () => {
    fc.assert(fc.property(editedGrant, ({ environment, access, grant }) => {
      expect(allowedGrantShape(grant, facts(environment, access)) !== undefined).toBe(oracleAllows(grant, environment, access));
    }), { numRuns: 3000 });
  });

  it("allows the break-glass role nothing at all while break-glass is off", () => {
    fc.assert(fc.property(generatedGrant, (grant) => {
      expect(allowedGrantShape(grant, facts("prod", "write", false))).toBeUndefined();
    }), { numRuns: 1000 });
  });

  it("refuses write privileges to a read break-glass, and the other environments' schemas to either (controls of the oracle's two axes)", () => {
    const grant = (schema: string, privileges: string[]): AclFacts => ({ resource: "Grant", role: ROLE, database: "tn_acme", schema, objectType: "table", privileges });
    expect(allowedGrantShape(grant("web_prod", ["SELECT"]), facts("prod", "read"))).toBeDefined();
    expect(allowedGrantShape(grant("web_prod", ["SELECT", "INSERT", "UPDATE", "DELETE"]), facts("prod", "read"))).toBeUndefined();
    expect(allowedGrantShape(grant("web_prod", ["SELECT", "INSERT", "UPDATE", "DELETE"]), facts("prod", "write"))).toBeDefined();
    expect(allowedGrantShape(grant("web_dev", ["SELECT"]), facts("prod", "read"))).toBeUndefined();
  });
});

describe("postgres-break-glass-bounded", () => {
  const expiresAt = hoursFromNow(3);
  const org = { slug: "acme", statementTimeoutMs: 5000, idleInTransactionTimeoutMs: 10000, breakGlass: { environment: "prod", access: "read", expiresAt } } as unknown as OrgFacts;
  const bounded = { name: ROLE, connectionLimit: 1, validUntil: expiresAt, statementTimeout: 5000, idleInTransactionSessionTimeout: 10000 };

  it("passes the role the program declares", () => {
    expect(breakGlassBoundProblems(bounded, org)).toEqual([]);
  });

  it.each([
    ["two connections", { connectionLimit: 2 }, "needs connectionLimit 1"],
    ["no connection limit", { connectionLimit: -1 }, "needs connectionLimit 1"],
    ["an expiry a minute past the spec's", { validUntil: new Date(Date.parse(expiresAt) + 60_000).toISOString() }, "needs validUntil no later than"],
    ["no expiry", { validUntil: undefined }, "needs validUntil no later than"],
    ["VALID UNTIL infinity", { validUntil: "infinity" }, "needs validUntil no later than"],
    ["a looser statement timeout", { statementTimeout: 60000 }, "needs statementTimeout 5000"],
    ["a looser idle timeout", { idleInTransactionSessionTimeout: 60000 }, "needs idleInTransactionSessionTimeout 10000"],
  ])("refuses %s", (_name, change, problem) => {
    const problems = breakGlassBoundProblems({ ...bounded, ...change }, org);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(problem);
  });

  it("refuses a widened break-glass role declared in the program's stack", async () => {
    const run = await runOrg(orgWithBreakGlass("prod", "read"));
    const widened = run.resources.map((r) => (input(r, "name") === ROLE && r.type === TYPES.role ? { ...r, inputs: { ...r.inputs, connectionLimit: 5 } } : r));
    expect(await messages(widened)).toEqual([expect.stringMatching(/^postgres-break-glass-bounded: Break-glass role .* needs connectionLimit 1/)]);
  });
});

describe("the break-glass password", () => {
  const randomPassword = "random:index/randomPassword:RandomPassword";
  const passwordOf = (run: ProgramRun) => {
    const found = run.resources.filter((r) => r.type === randomPassword && /breakglass/.test(r.name));
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  it("is kept for exactly the grant: another grantee, environment, access or expiry changes its keepers, the reason does not", () => {
    const grant = fc.record({
      grantee: fc.constantFrom("oncall@acme.com", "sre@acme.com"), environment: fc.constantFrom(...ENVS),
      access: fc.constantFrom<BreakGlassAccess>("read", "write"), hours: fc.integer({ min: 1, max: 23 }), reason: fc.constantFrom("incident 42", "incident 43"),
    });
    const planOf = (g: { grantee: string; environment: string; access: BreakGlassAccess; hours: number; reason: string }) => planBreakGlass(parseOrgSpec(
      { ...validOrgInput(), breakGlass: { enabled: true, grantee: g.grantee, reason: g.reason, expiresAt: new Date(Date.UTC(2030, 0, 1, g.hours)).toISOString(), environment: g.environment, access: g.access } },
      { now: new Date(Date.UTC(2030, 0, 1)) }))!;
    fc.assert(fc.property(grant, grant, (a, b) => {
      const sameGrant = a.grantee === b.grantee && a.environment === b.environment && a.access === b.access && a.hours === b.hours;
      expect(JSON.stringify(breakGlassPasswordKeepers(planOf(a))) === JSON.stringify(breakGlassPasswordKeepers(planOf(b)))).toBe(sameGrant);
    }));
  });

  it("is registered with the grant's keepers, so a changed grantee replaces it (and no other login's password)", async () => {
    const before = await runOrg(orgWithBreakGlass("prod", "write"));
    const input2 = orgWithBreakGlass("prod", "write");
    const after = await runOrg({ ...input2, breakGlass: { ...(input2["breakGlass"] as object), grantee: "someone-else@acme.com" } });
    expect(input(passwordOf(before), "keepers")).toMatchObject({ grantee: "oncall@acme.com", environment: "prod", access: "write" });
    expect(input(passwordOf(after), "keepers")).toMatchObject({ grantee: "someone-else@acme.com" });
    const others = (run: ProgramRun) => run.resources.filter((r) => r.type === randomPassword && !/breakglass/.test(r.name)).map((r) => JSON.stringify(r.inputs));
    expect(others(after)).toEqual(others(before));
  });
});
