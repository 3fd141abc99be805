import type { StackValidationPolicy } from "@pulumi/policy";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { COMPONENT_TYPES } from "../../components/type-tokens";
import type { RegisteredResource } from "../../harness/recording-monitor";
import { runPolicies } from "../../harness/run-policies";
import { postgresGrantsMatchAllowedShapes, postgresMembershipsMatchAllowedShapes } from "../../policies/grants";
import type { OrgFacts } from "../../policies/org-roles";
import { allowedGrantShape } from "../../policies/shape-match";
import { postgresRolesMatchAllowedKinds } from "../../policies/postgres";
import { component } from "../helpers/declared";
import { runOrg } from "../helpers/program";
import { validOrgInput } from "../helpers/spec-builder";

/*
 * The allowlist rules against generated grants, memberships and roles, as a stack-file author
 * or a change to the program could declare them. Each verdict is compared with a small oracle
 * written here for org acme (environments dev, test, prod; workspaces web, billing; provider
 * login tenantry) from DESIGN.md, independently of policies/grant-shapes.ts.
 */

const TYPE = {
  grant: "postgresql:index/grant:Grant",
  defaultPrivileges: "postgresql:index/defaultPrivileges:DefaultPrivileges",
  grantRole: "postgresql:index/grantRole:GrantRole",
  role: "postgresql:index/role:Role",
};
const ENVS = ["dev", "test", "prod"];
const WORKSPACES = ["web", "billing"];
const APPLICATION_COLUMNS = ["correlation_id", "schema_name", "table_name", "primary_key", "before", "after", "diff"];

// --- the oracle: what DESIGN.md allows org acme, written out case by case ---

interface Acl {
  resource: "Grant" | "DefaultPrivileges";
  role: string;
  database: string;
  objectType: string;
  privileges: string[];
  schema?: string;
  objects?: string[];
  columns?: string[];
  owner?: string;
  withGrantOption?: boolean;
}

const none = (list?: string[]) => list === undefined || list.length === 0;

function oracleAllowsAcl(g: Acl): boolean {
  const privileges = new Set(g.privileges.map((p) => p.toUpperCase()));
  const exactly = (...expected: string[]) => privileges.size === expected.length && expected.every((p) => privileges.has(p));
  const noSchema = g.schema === undefined || g.schema === "";
  const wholeObjects = none(g.objects) && none(g.columns);
  if (g.withGrantOption === true || g.database !== "tn_acme") return false;
  if (g.resource === "Grant" && g.owner !== undefined) return false; // a Grant has no owner
  if (g.role === "public") {
    // PUBLIC only ever loses privileges: on the database, and on schema public.
    return g.resource === "Grant" && privileges.size === 0 && wholeObjects &&
      ((g.objectType === "database" && noSchema) || (g.objectType === "schema" && g.schema === "public"));
  }
  const login = /^tn_acme_(dev|test|prod)_(runtime|ddl)$/.exec(g.role);
  if (login === null) return false; // owners, the provider login, other orgs, anything else: nothing
  const [, env, kind] = login;
  const ownSchema = WORKSPACES.some((workspace) => g.schema === `${workspace}_${env}`);
  if (g.resource === "DefaultPrivileges") {
    return kind === "runtime" && ownSchema && wholeObjects && g.owner === `tn_acme_${env}_ddl` &&
      ((g.objectType === "table" && exactly("SELECT", "INSERT", "UPDATE", "DELETE")) || (g.objectType === "sequence" && exactly("USAGE", "SELECT")));
  }
  if (g.objectType === "database") return noSchema && wholeObjects && exactly("CONNECT");
  if (g.schema === "audit") {
    const events = g.objects?.length === 1 && g.objects[0] === "events";
    if (g.objectType === "schema") return wholeObjects && exactly("USAGE");
    if (g.objectType === "table") return events && none(g.columns) && exactly("SELECT");
    if (g.objectType === "column") return events && !none(g.columns) && g.columns!.every((c) => APPLICATION_COLUMNS.includes(c)) && exactly("INSERT");
    return false;
  }
  if (kind !== "runtime" || !ownSchema || !wholeObjects) return false;
  return (g.objectType === "schema" && exactly("USAGE")) || (g.objectType === "table" && exactly("SELECT", "INSERT", "UPDATE", "DELETE")) ||
    (g.objectType === "sequence" && exactly("USAGE", "SELECT"));
}

// --- the values an adversary composes grants from, one dimension at a time ---

const ROLES = [
  "public", "PUBLIC", "Public", "tenantry", "postgres", "pg_write_all_data",
  "tn_acme_owner", "tn_acme_audit", "tn_acme_breakglass",
  ...ENVS.flatMap((env) => [`tn_acme_${env}_runtime`, `tn_acme_${env}_ddl`]),
  "tn_acme_staging_runtime", "tn_acme_dev_owner", "tn_globex_dev_runtime", "tn_globex_owner", "TN_ACME_DEV_RUNTIME", "tn_acme_dev_runtime ",
];
const KEYWORDS = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "CREATE", "CONNECT", "TEMPORARY", "TEMP", "EXECUTE", "USAGE", "MAINTAIN", "ALL", "ALL PRIVILEGES"];
const OBJECT_TYPES = ["database", "schema", "table", "sequence", "column", "function", "procedure", "routine", "type", "foreign_data_wrapper", "foreign_server", "DATABASE", "Table"];
const DML = ["SELECT", "INSERT", "UPDATE", "DELETE"];
/** The privilege lists DESIGN.md gives anyone: each, each with one keyword more, each with one fewer. */
const DESIGNED_SETS = [["CONNECT"], ["USAGE"], ["SELECT"], ["INSERT"], DML, ["USAGE", "SELECT"]];
const PRIVILEGE_SETS = [
  [], ...KEYWORDS.map((keyword) => [keyword]), ...DESIGNED_SETS,
  ...DESIGNED_SETS.flatMap((set) => KEYWORDS.filter((keyword) => !set.includes(keyword)).map((keyword) => [...set, keyword])),
  ...DESIGNED_SETS.flatMap((set) => set.map((dropped) => set.filter((p) => p !== dropped))),
];
const at = (database: string, schema?: string, objects?: string[], columns?: string[]): Partial<Acl> => ({ database, schema, objects, columns });
/** Where a grant reaches: every field of the place set, so one value replaces the whole place. */
const REACHES = [
  at("tn_acme"), at("tn_globex"), at("postgres"), at("tn_acme", ""), at("tn_acme", "public"),
  ...["web", "billing", "shop"].flatMap((workspace) => [...ENVS, "staging"].map((env) => at("tn_acme", `${workspace}_${env}`))),
  at("tn_acme", "web_prod", []), at("tn_acme", "web_prod", ["orders"]), at("tn_globex", "web_prod"),
  at("tn_acme", "audit"), at("tn_acme", "audit", ["events"]), at("tn_acme", "audit", ["events", "orders"]),
  at("tn_acme", "audit", ["events"], ["correlation_id", "diff"]), at("tn_acme", "audit", ["events"], [...APPLICATION_COLUMNS]),
  at("tn_acme", "audit", ["events"], ["actor"]), at("tn_acme", "audit", ["events"], ["correlation_id", "operation"]), at("tn_acme", "audit", ["events"], []),
  at("tn_acme", "audit_guard"), at("tn_acme", "information_schema"), at("tn_acme", "pg_catalog"), at("tn_acme", "tenantry"),
];
/** Grant or DefaultPrivileges, with whose objects and whether the grantee may pass it on. */
const KINDS: Partial<Acl>[] = [
  { resource: "Grant", owner: undefined, withGrantOption: undefined }, { resource: "Grant", owner: undefined, withGrantOption: false },
  { resource: "Grant", owner: undefined, withGrantOption: true }, { resource: "Grant", owner: "tn_acme_prod_ddl", withGrantOption: undefined },
  ...[...ENVS.map((env) => `tn_acme_${env}_ddl`), "tn_acme_prod_runtime", "tn_acme_owner", "tn_globex_prod_ddl", undefined]
    .map((owner): Partial<Acl> => ({ resource: "DefaultPrivileges", owner, withGrantOption: undefined })),
  { resource: "DefaultPrivileges", owner: "tn_acme_prod_ddl", withGrantOption: true },
];
const DIMENSIONS: Partial<Acl>[][] = [
  ROLES.map((role) => ({ role })), REACHES, OBJECT_TYPES.map((objectType) => ({ objectType })), KINDS, PRIVILEGE_SETS.map((privileges) => ({ privileges })),
];

/** A keyword in any case: the provider upper-cases privileges, so `sElEcT` is SELECT. */
const anyCase = (word: string) => fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length })
  .map((upper) => [...word].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(""));
const identifier = fc.stringMatching(/^[a-z_][a-z0-9_]{0,20}$/);

const randomAcl: fc.Arbitrary<Acl> = fc.record({
  resource: fc.constantFrom("Grant" as const, "DefaultPrivileges" as const),
  role: fc.oneof(fc.constantFrom(...ROLES), identifier),
  database: fc.constantFrom("tn_acme", "tn_acme", "tn_globex", "postgres"),
  objectType: fc.constantFrom(...OBJECT_TYPES),
  privileges: fc.constantFrom(...PRIVILEGE_SETS).chain((set) => (set.length === 0 ? fc.constant([]) : fc.tuple(...set.map(anyCase)))),
  schema: fc.oneof(fc.constantFrom(...REACHES.map((reach) => reach.schema)), identifier),
  objects: fc.constantFrom<string[] | undefined>(undefined, [], ["events"], ["orders"]),
  columns: fc.oneof(fc.constantFrom<string[] | undefined>(undefined, [], ["actor"]), fc.subarray(APPLICATION_COLUMNS)),
  owner: fc.oneof(fc.constantFrom(...KINDS.map((kind) => kind.owner)), identifier),
  withGrantOption: fc.constantFrom<boolean | undefined>(undefined, false, true),
}, { requiredKeys: ["resource", "role", "database", "objectType", "privileges"] });

let org: RegisteredResource;
/** The example org's own grants: each one allowed, and where the near misses start. */
let declaredAcls: Acl[];

beforeAll(async () => {
  const run = await runOrg(validOrgInput());
  org = run.resources.find((r) => r.type === COMPONENT_TYPES.orgTenant)!;
  declaredAcls = run.resources.filter((r) => r.type === TYPE.grant || r.type === TYPE.defaultPrivileges)
    .map((r) => ({ ...(r.inputs as unknown as Acl), resource: r.type === TYPE.grant ? "Grant" : "DefaultPrivileges" }));
});

/** The facts the rule reads from the OrgTenant, as registered by the program. */
const orgFacts = () => org.inputs as unknown as OrgFacts;

const withoutUndefined = (record: object) => Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));

let serial = 0;
function declare(acl: Acl): RegisteredResource {
  const { resource, ...props } = acl;
  return component(resource === "Grant" ? TYPE.grant : TYPE.defaultPrivileges, `org-acme-generated-${serial++}`, withoutUndefined(props), true);
}

/** The rule's verdicts on many resources, judged in one stack beside the org: the set of refused URNs. */
async function refusedUrns(resources: readonly RegisteredResource[], rule: StackValidationPolicy): Promise<Set<string>> {
  const violations = await runPolicies([org, ...resources], [rule]);
  expect(violations.every((v) => v.enforcementLevel === "mandatory" && v.urn !== org.urn)).toBe(true);
  return new Set(violations.map((v) => v.urn ?? ""));
}

async function refused(type: string, props: object, rule: StackValidationPolicy): Promise<boolean> {
  const resource = component(type, `org-acme-generated-${serial++}`, withoutUndefined(props), true);
  return (await refusedUrns([resource], rule)).has(resource.urn);
}

describe("generated grants and default privileges", () => {
  it("get the oracle's verdict for every grant one change away from one the example org declares", async () => {
    const distinct = new Map(declaredAcls.flatMap((base) => DIMENSIONS.flat().map((change) => ({ ...base, ...change })))
      .map((acl) => [JSON.stringify(acl), acl] as const));
    const cases = [...distinct.values()];
    const resources = cases.map(declare);
    const refusedByRule = await refusedUrns(resources, postgresGrantsMatchAllowedShapes);
    const wrong = cases.filter((acl, i) => refusedByRule.has(resources[i]!.urn) === oracleAllowsAcl(acl));
    expect(wrong.slice(0, 5)).toEqual([]);
    const allowed = cases.filter(oracleAllowsAcl).length;
    // Both verdicts are exercised, not just the easy one.
    expect(allowed).toBeGreaterThan(declaredAcls.length);
    expect(cases.length - allowed).toBeGreaterThan(5000);
  });

  it("get the oracle's verdict from the rule's decision for every grantee kind x place x object type x resource x privilege list", () => {
    // One role of each kind and one place of each sort, seen from environment prod; every privilege alone.
    const roles = ["public", "tn_acme_owner", "tn_acme_audit", "tn_acme_breakglass", "tenantry", "tn_acme_prod_runtime", "tn_acme_prod_ddl",
      "tn_acme_dev_runtime", "tn_globex_prod_runtime", "tn_acme_prod_owner"];
    const places = [
      at("tn_acme"), at("tn_globex"), at("tn_acme", "public"), at("tn_acme", "web_prod"), at("tn_acme", "web_dev"), at("tn_acme", "shop_prod"),
      at("tn_acme", "web_prod", ["orders"]), at("tn_acme", "audit"), at("tn_acme", "audit", ["events"]), at("tn_acme", "audit", ["events", "orders"]),
      at("tn_acme", "audit", ["events"], ["correlation_id", "diff"]), at("tn_acme", "audit", ["events"], ["actor"]), at("tn_acme", "audit_guard"),
    ];
    const resources: Partial<Acl>[] = [
      { resource: "Grant" }, { resource: "Grant", withGrantOption: true },
      { resource: "DefaultPrivileges", owner: "tn_acme_prod_ddl" }, { resource: "DefaultPrivileges", owner: "tn_acme_dev_ddl" }, { resource: "DefaultPrivileges" },
    ];
    const privilegeLists = [[], ...KEYWORDS.map((keyword) => [keyword]), ...DESIGNED_SETS.filter((set) => set.length > 1)];
    const objectTypes = OBJECT_TYPES.filter((type) => type === type.toLowerCase());
    const org = orgFacts();
    let cases = 0;
    const wrong: Acl[] = [];
    for (const role of roles) for (const place of places) for (const objectType of objectTypes) for (const resource of resources) for (const privileges of privilegeLists) {
      const acl = { ...place, ...resource, role, objectType, privileges } as Acl;
      cases++;
      if ((allowedGrantShape(acl, org) !== undefined) !== oracleAllowsAcl(acl) && wrong.length < 5) wrong.push(acl);
    }
    expect(wrong).toEqual([]);
    expect(cases).toBeGreaterThan(100_000);
  });

  it("get the oracle's verdict two changes away, and for random roles, schemas, owners and privileges in any case", async () => {
    const values = DIMENSIONS.flat();
    const twoAway = fc.tuple(fc.constantFrom(...declaredAcls), fc.constantFrom(...values), fc.constantFrom(...values))
      .map(([base, first, second]) => ({ ...base, ...first, ...second }));
    await fc.assert(fc.asyncProperty(fc.oneof(twoAway, randomAcl), async (acl) => {
      expect(await refusedUrns([declare(acl)], postgresGrantsMatchAllowedShapes).then((urns) => urns.size > 0)).toBe(!oracleAllowsAcl(acl));
    }), { numRuns: 3000 });
  });

  it("refuse every grant that names a database, grantee or owner outside the org, a prefix look-alike's included", async () => {
    const orgRoleNames = new Set(["public", "tn_acme_owner", "tn_acme_audit", "tn_acme_breakglass", ...ENVS.flatMap((env) => [`tn_acme_${env}_runtime`, `tn_acme_${env}_ddl`])]);
    const outside = randomAcl.filter((acl) => acl.database !== "tn_acme" || !orgRoleNames.has(acl.role) || (acl.owner !== undefined && !orgRoleNames.has(acl.owner)));
    await fc.assert(fc.asyncProperty(outside, async (acl) => {
      expect(await refusedUrns([declare(acl)], postgresGrantsMatchAllowedShapes).then((urns) => urns.size > 0)).toBe(true);
    }), { numRuns: 1000 });
  });

  it("refuse every privilege beyond CONNECT, USAGE and DML for a runtime role, whatever the object, place or case", async () => {
    const runtimeRoles = ENVS.map((env) => `tn_acme_${env}_runtime`);
    const beyondDml = KEYWORDS.filter((keyword) => !["CONNECT", "USAGE", "SELECT", "INSERT", "UPDATE", "DELETE"].includes(keyword));
    const toRuntime = fc.tuple(randomAcl, fc.constantFrom(...runtimeRoles), fc.constantFrom(...beyondDml).chain(anyCase))
      .map(([acl, role, extra]) => ({ ...acl, role, privileges: [...acl.privileges, extra] }));
    await fc.assert(fc.asyncProperty(toRuntime, async (acl) => {
      expect(await refusedUrns([declare(acl)], postgresGrantsMatchAllowedShapes).then((urns) => urns.size > 0)).toBe(true);
    }), { numRuns: 1000 });
  });

  it("refuse every grant to PUBLIC that gives anything, whatever its object, schema or privileges' case", async () => {
    const toPublic = randomAcl.filter((acl) => acl.privileges.length > 0).map((acl) => ({ ...acl, role: "public" }));
    await fc.assert(fc.asyncProperty(toPublic, async (acl) => {
      expect(await refusedUrns([declare(acl)], postgresGrantsMatchAllowedShapes).then((urns) => urns.size > 0)).toBe(true);
    }), { numRuns: 500 });
  });
});

describe("generated memberships", () => {
  it("are allowed only as the provider login in the org owner, without admin option", async () => {
    const membership = fc.record({ role: fc.constantFrom(...ROLES), grantRole: fc.constantFrom(...ROLES), withAdminOption: fc.constantFrom(undefined, false, true) });
    const nearOwner = membership.map((m) => ({ ...m, grantRole: "tn_acme_owner" }));
    await fc.assert(fc.asyncProperty(fc.oneof(membership, nearOwner), async (m) => {
      const expected = m.role === "tenantry" && m.grantRole === "tn_acme_owner" && m.withAdminOption !== true;
      expect(await refused(TYPE.grantRole, m, postgresMembershipsMatchAllowedShapes)).toBe(!expected);
    }), { numRuns: 600 });
  });
});

describe("generated roles", () => {
  it("are allowed only as one of the org's kinds, LOGIN exactly where the kind logs in, without memberships", async () => {
    const role = fc.record({
      name: fc.constantFrom(...ROLES.filter((r) => r !== "public")),
      login: fc.constantFrom(undefined, true, false, "true", 1),
      roles: fc.constantFrom<string[] | undefined>(undefined, [], ["tn_acme_owner"], ["pg_read_all_data"]),
      assumeRole: fc.constantFrom(undefined, "", "tn_acme_owner"),
    });
    await fc.assert(fc.asyncProperty(role, async (r) => {
      const nologin = r.name === "tn_acme_owner" || r.name === "tn_acme_audit";
      // Break-glass is off in org acme: its role is nobody's (test/unit/break-glass.test.ts has it on).
      const login = /^tn_acme_(dev|test|prod)_(runtime|ddl)$/.test(r.name);
      const loginFits = nologin ? r.login === undefined || r.login === false : r.login === true;
      const expected = (nologin || login) && loginFits && none(r.roles) && (r.assumeRole === undefined || r.assumeRole === "");
      expect(await refused(TYPE.role, r, postgresRolesMatchAllowedKinds)).toBe(!expected);
    }), { numRuns: 600 });
  });
});
