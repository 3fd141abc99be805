import { AUDIT_SCHEMA } from "../components/audit-sql";
import { environmentRoleName, orgRoleName, schemaName } from "../spec/naming";
import type { OrgFacts } from "../components/org-facts";
import { orgDatabase } from "./org-roles";
import { judgeAgainstOrg } from "./stack-org";
import type { TenantryStackPolicy } from "./policy-types";

/*
 * The org's database and schemas, by allowlist: each is one the program gives the org, owned by
 * the role the design makes its owner. An owner holds every privilege on what it owns and can
 * grant them on, so an owner is a grant the allowlists of grant-shapes.ts would never see; so is
 * a Schema's `policies` input, which the provider turns into GRANTs: it must stay empty.
 */

const DATABASE = "postgresql:index/database:Database";
const SCHEMA = "postgresql:index/schema:Schema";

const schemaOwnersByOrg = new WeakMap<OrgFacts, ReadonlyMap<string, string>>();

/**
 * Every schema the org has, with its owner: `<workspace>_<env>` the DDL role of env, the ledger's
 * the audit owner. Asked for every judged schema, so built once per org (W x E schemas each
 * building W x E entries was quadratic in an org's workspaces).
 */
export function orgSchemaOwners(org: OrgFacts): ReadonlyMap<string, string> {
  const known = schemaOwnersByOrg.get(org);
  if (known !== undefined) return known;
  const owners = new Map([
    ...org.environments.flatMap((env) => org.workspaces.map((workspace) => [schemaName(workspace, env), environmentRoleName(org.slug, env, "ddl")] as const)),
    [AUDIT_SCHEMA, orgRoleName(org.slug, "audit")],
  ]);
  schemaOwnersByOrg.set(org, owners);
  return owners;
}

const isEmptyList = (value: unknown) => value === undefined || value === null || (Array.isArray(value) && value.length === 0);
const text = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value) ?? "undefined");

/** What keeps a Schema from being one of the org's, as the design declares it; empty when it is. */
export function schemaProblems(schema: { readonly name?: unknown; readonly database?: unknown; readonly owner?: unknown; readonly policies?: unknown }, org: OrgFacts): string[] {
  const owners = orgSchemaOwners(org);
  const owner = typeof schema.name === "string" ? owners.get(schema.name) : undefined;
  return [
    schema.database === orgDatabase(org) ? undefined : `is in database ${text(schema.database)}: the org's schemas are in ${orgDatabase(org)}`,
    owner !== undefined ? undefined : `is none of org ${org.slug}'s schemas (${[...owners.keys()].join(", ")})`,
    owner === undefined || schema.owner === owner ? undefined : `is owned by ${text(schema.owner)}: it must be owned by ${owner}, as the design declares it`,
    isEmptyList(schema.policies) ? undefined : "sets policies, which grant privileges on it: a schema's privileges are Grants, judged by postgres-grants-match-allowed-shapes",
  ].filter((problem): problem is string => problem !== undefined);
}

/** What keeps a Database from being the org's own, owned by the org owner; empty when it is. */
export function databaseProblems(database: { readonly name?: unknown; readonly owner?: unknown }, org: OrgFacts): string[] {
  const owner = orgRoleName(org.slug, "owner");
  return [
    database.name === orgDatabase(org) ? undefined : `is not org ${org.slug}'s database ${orgDatabase(org)}: an org stack declares no other`,
    database.owner === owner ? undefined : `is owned by ${text(database.owner)}: it must be owned by the NOLOGIN org owner ${owner}`,
  ].filter((problem): problem is string => problem !== undefined);
}

export const postgresDatabasesAndSchemasMatchOrg: TenantryStackPolicy = {
  name: "postgres-databases-and-schemas-match-org",
  description: "Every Database and Schema is one the program gives the org, owned by its designed owner (the org owner; the environment's DDL role; the audit owner for the ledger), and no Schema sets policies.",
  rationale: "An owner holds every privilege on what it owns and can grant them on, and a Schema's policies are GRANTs the provider runs: either would bypass the grant allowlist.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => judgeAgainstOrg(args.resources, [DATABASE, SCHEMA], ["name", "database", "owner", "policies"], reportViolation, (resource, values, org) => {
    const [kind, problems] = resource.type === DATABASE ? ["Database", databaseProblems(values, org)] : ["Schema", schemaProblems(values, org)];
    return problems.map((problem) => `${kind} ${resource.name} (${text(values["name"])}) ${problem}.`);
  }),
};
