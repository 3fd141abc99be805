import { COMPONENT_TYPES } from "../components/type-tokens";
import * as postgresql from "@pulumi/postgresql";
import { validateResourceOfType, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";

/*
 * Data is never lost by accident. Only `protect` is visible to a policy: Pulumi does not pass
 * `retainOnDelete` to analyzers, so that half is enforced by the program and the local apply.
 */

const FIXED = { template: "template0", encoding: "UTF8", lcCollate: "C", lcCtype: "C" } as const;

export const postgresDatabaseFixedSettings: ResourceValidationPolicy = {
  name: "postgres-database-fixed-settings",
  description: "An org database keeps template0, UTF8 and collation C: a change replaces it, and the provider drops a replaced database WITH (FORCE).",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(postgresql.Database, (database, args, reportViolation) => {
    const changed = Object.entries(FIXED).filter(([key, value]) => database[key as keyof typeof FIXED] !== value).map(([key]) => key);
    if (changed.length > 0) reportViolation(`Database ${args.name} must keep ${changed.map((k) => `${k}=${FIXED[k as keyof typeof FIXED]}`).join(", ")}.`);
  }),
};

export const postgresProductionDatabaseProtected: StackValidationPolicy = {
  name: "postgres-production-database-protected",
  description: "The org database of a production-tier org is protected.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const production = args.resources.some((r) => r.type === COMPONENT_TYPES.orgTenant && r.props["tier"] === "production");
    if (!production) return;
    for (const database of args.resources.filter((r) => r.type === "postgresql:index/database:Database")) {
      if (!database.opts.protect) reportViolation(`Database ${database.name} of a production org must be protected (protect: true).`, database.urn);
    }
  },
};
