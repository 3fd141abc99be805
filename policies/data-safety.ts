import { databaseName } from "../spec/naming";
import { orgOfStack } from "./stack-org";
import * as postgresql from "@pulumi/postgresql";
import { validateResourceOfType } from "@pulumi/policy";
import type { TenantryResourcePolicy, TenantryStackPolicy } from "./policy-types";

/*
 * Data is never lost by accident. Only `protect` is visible to a policy: Pulumi does not pass
 * `retainOnDelete` to analyzers, so that half is enforced by the program, `tenantry check`'s
 * offline check and the local apply.
 */

const DATABASE = "postgresql:index/database:Database";

const FIXED = { template: "template0", encoding: "UTF8", lcCollate: "C", lcCtype: "C" } as const;

export const postgresDatabaseFixedSettings: TenantryResourcePolicy = {
  name: "postgres-database-fixed-settings",
  description: "An org database keeps template0, UTF8 and collation C: a change replaces it, and the provider drops a replaced database WITH (FORCE).",
  rationale: "Changing the template, encoding or collation replaces the database, and the provider drops the old one WITH (FORCE): one edited line would delete the org's data.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(postgresql.Database, (database, args, reportViolation) => {
    const changed = Object.entries(FIXED).filter(([key, value]) => database[key as keyof typeof FIXED] !== value).map(([key]) => key);
    if (changed.length > 0) reportViolation(`Database ${args.name} must keep ${changed.map((k) => `${k}=${FIXED[k as keyof typeof FIXED]}`).join(", ")}.`);
  }),
};

export const postgresProductionDatabaseProtected: TenantryStackPolicy = {
  name: "postgres-production-database-protected",
  description: "The org database of a production-tier org is protected, unless the org is marked for offboarding (then it is retained, so a destroy forgets it).",
  rationale: "Production data is never lost by accident (posture property 15, README): protect makes Pulumi refuse to delete the database. Offboarding lifts it only while retainOnDelete keeps the data when the stack is destroyed.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    // Offboarding lifts protect so `pulumi destroy` can finish; the program keeps retainOnDelete,
    // which `tenantry check` verifies offline (harness/offline-checks.ts).
    const org = orgOfStack(args.resources);
    if (org?.tier !== "production" || org.offboarding) return;
    for (const database of args.resources.filter((r) => r.type === DATABASE)) {
      if (!database.opts.protect) reportViolation(`Database ${database.name} of a production org must be protected (protect: true).`, database.urn);
    }
  },
};

/**
 * A database the program stops declaring is deleted (or forgotten, if its state says retained):
 * an org stack, offboarding or not, always declares its own database, exactly once.
 */
export const postgresOrgDatabaseDeclared: TenantryStackPolicy = {
  name: "postgres-org-database-declared",
  description: "An org stack declares its org's database, offboarding included: a database the stack stops declaring is deleted.",
  rationale: "Pulumi deletes what a stack stops declaring: a stack that leaves out its database resource, by mistake or to look harmless, would drop the org's data on the next update.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const org = orgOfStack(args.resources);
    if (org === undefined) return; // stack-one-org reports a stack without exactly one org
    const expected = databaseName(org.slug);
    const declared = args.resources.filter((r) => r.type === DATABASE && r.props["name"] === expected).length;
    if (declared !== 1) reportViolation(`Org ${org.slug} must declare its database ${expected} exactly once (found ${declared}): a database the stack stops declaring is deleted.`, org.urn);
  },
};
