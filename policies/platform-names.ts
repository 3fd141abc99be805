import * as postgresql from "@pulumi/postgresql";
import { isPostgresOwnedSchema, isTenantForm, PLATFORM_SCHEMAS } from "../spec/platform-names";
import { isPlatformClusterUrn } from "./platform-clusters";
import type { TenantryResourcePolicy } from "./policy-types";

/*
 * Posture property 16 (README) at the pack: the names a stack declares are the tenant's (words joined by
 * single underscores, spec/platform-names.ts), never the platform's or Postgres'. Judged
 * by the form a name must have, so a platform name added later is refused without a new rule.
 */

/** What each declared name must look like; the ledger's schema is the one platform name a stack declares. */
function nameProblem(type: "Role" | "Database" | "Schema", name: string): string | undefined {
  if (type === "Schema" && name === PLATFORM_SCHEMAS.ledger) return undefined;
  if (!isTenantForm(name)) return "is not a tenant name (words joined by single underscores): the platform's own names are one word or joined by __";
  if (type === "Schema") {
    if (isPostgresOwnedSchema(name)) return "is a schema Postgres owns";
    if (name.startsWith("tn_")) return "is named like a tenantry role (tn_), so it would sit on that role's search_path";
    return undefined;
  }
  return name.startsWith("tn_") ? undefined : "does not start tn_, as every cluster-wide name tenantry gives an org does";
}

export const postgresNoPlatformNames: TenantryResourcePolicy = {
  name: "postgres-no-platform-names",
  description: "No Schema, Role or Database resource takes a name the platform or Postgres owns.",
  rationale: "The platform's own names must be out of tenant reach by construction (posture property 16, README): a schema, role or database a stack declares under a platform or Postgres name could stand in for the audit guard's objects, the enforcer or a catalog schema, or sit on a role's search_path.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const kind = args.isType(postgresql.Role) ? "Role" : args.isType(postgresql.Database) ? "Database" : args.isType(postgresql.Schema) ? "Schema" : undefined;
    // The provisioning login's name is the platform's own by design (rds-provisioning-login-shape).
    if (kind === undefined || isPlatformClusterUrn(args.urn)) return;
    const name = args.props["name"];
    if (typeof name !== "string") return; // unknown during preview: the spec already shaped it
    const problem = nameProblem(kind, name);
    if (problem !== undefined) reportViolation(`${kind} ${args.name} takes the name ${name}, which ${problem}.`);
  },
};
