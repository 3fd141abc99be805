import type { PolicyResource } from "@pulumi/policy";
import { allowedMembership, allowedGrantShape, type AclFacts } from "./shape-match";
import { allowedFor, allowedMemberships, describeAcl, describeMembership } from "./shape-messages";
import { judgeAgainstOrg } from "./stack-org";
import type { TenantryStackPolicy } from "./policy-types";

/*
 * Grants: every Grant, DefaultPrivileges and GrantRole matches a shape the design allows
 * (grant-shapes.ts), which alone keeps grants inside the org and runtime roles to DML; PUBLIC's
 * revoke is declared, and no two Grants fight.
 */

const GRANT = "postgresql:index/grant:Grant";
const DEFAULT_PRIVILEGES = "postgresql:index/defaultPrivileges:DefaultPrivileges";
const DATABASE = "postgresql:index/database:Database";
const GRANT_ROLE = "postgresql:index/grantRole:GrantRole";

const grants = (resources: readonly PolicyResource[]) => resources.filter((r) => r.type === GRANT);
const orgDatabases = (resources: readonly PolicyResource[]) =>
  resources.filter((r) => r.type === DATABASE).map((r) => String(r.props["name"] ?? "")).filter((name) => name.startsWith("tn_"));

export const postgresOneGrantPerTarget: TenantryStackPolicy = {
  name: "postgres-one-grant-per-target",
  description: "At most one Grant per (role, database, schema, object type): the provider revokes what a Grant omits, so two would undo each other.",
  rationale: "The provider's Grant revokes whatever it does not list on its target, so two Grants on one target undo each other on every apply, and which one wins depends on the order they run in.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const seen = new Map<string, string>();
    for (const grant of grants(args.resources)) {
      const { role, database, schema, objectType } = grant.props as Record<string, string | undefined>;
      const key = [role, database, schema ?? "", objectType].join("|");
      const first = seen.get(key);
      if (first !== undefined) reportViolation(`${grant.name} and ${first} both grant ${objectType} privileges to ${role}: keep one.`, grant.urn);
      else seen.set(key, grant.name);
    }
  },
};

export const postgresPublicRevoked: TenantryStackPolicy = {
  name: "postgres-public-revoked",
  description: "PUBLIC has CONNECT and TEMPORARY revoked on every org database.",
  rationale: "Postgres gives PUBLIC CONNECT and TEMPORARY on every new database, so every role on the server, other orgs' included, could connect: the revoke must be declared, not only allowed.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const database of orgDatabases(args.resources)) {
      const revoked = grants(args.resources).some((g) =>
        g.props["role"] === "public" && g.props["database"] === database && g.props["objectType"] === "database" &&
        ((g.props["privileges"] ?? []) as string[]).length === 0);
      if (!revoked) reportViolation(`Database ${database} needs a Grant revoking everything from PUBLIC (role "public", objectType "database", privileges []).`);
    }
  },
};

const ACL_KEYS = ["role", "database", "schema", "objectType", "objects", "columns", "privileges", "owner", "withGrantOption"];

export const postgresGrantsMatchAllowedShapes: TenantryStackPolicy = {
  name: "postgres-grants-match-allowed-shapes",
  description: "Every Grant and DefaultPrivileges is one the design allows: grantee kind, object type, exact privileges, objects of the grantee's own environment; PUBLIC only ever loses privileges.",
  rationale: "PUBLIC is every role, other orgs' included; a runtime or DDL role of one environment reaches only that environment's schemas, and runtime code gets DML only. Judged by the shapes the design allows, a grant nobody thought to forbid (ALL, TRUNCATE, a privilege a new Postgres version adds) is refused too.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => judgeAgainstOrg(args.resources, [GRANT, DEFAULT_PRIVILEGES], ACL_KEYS, reportViolation, (resource, values, org) => {
    const acl: AclFacts = { resource: resource.type === GRANT ? "Grant" : "DefaultPrivileges", ...values };
    return allowedGrantShape(acl, org) !== undefined ? [] : [`${resource.name} gives ${describeAcl(acl)}: the design allows no such grant. ${allowedFor(acl, org)}`];
  }),
};

export const postgresMembershipsMatchAllowedShapes: TenantryStackPolicy = {
  name: "postgres-memberships-match-allowed-shapes",
  description: "Every GrantRole is a membership the design makes (the provider login in the org owner role), never with admin option.",
  rationale: "A membership hands over every privilege of the role: no tenant role may gain a platform role or another environment's, and admin option would let the member pass it on.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => judgeAgainstOrg(args.resources, [GRANT_ROLE], ["role", "grantRole", "withAdminOption"], reportViolation, (resource, values, org) =>
    allowedMembership(values, org) !== undefined ? [] : [`${resource.name} ${describeMembership(values)}: the only membership allowed is ${allowedMemberships(org)}.`]),
};
