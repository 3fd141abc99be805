import * as postgresql from "@pulumi/postgresql";
import { validateResourceOfType, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";

/* The audit ledger: append-only by privileges, never dropped with CASCADE, present in every org. */

const AUDIT_SCHEMA = "audit";
const LEDGER_PRIVILEGES = ["SELECT", "INSERT"];

export const auditLedgerSelectInsertOnly: ResourceValidationPolicy = {
  name: "audit-ledger-select-insert-only",
  description: "No role gets anything beyond USAGE on the audit schema and SELECT/INSERT on its events.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (!args.isType(postgresql.Grant) && !args.isType(postgresql.DefaultPrivileges)) return;
    if (args.props["schema"] !== AUDIT_SCHEMA) return;
    if (args.isType(postgresql.DefaultPrivileges)) {
      reportViolation(`${args.name} sets default privileges in the audit schema: the ledger grants nothing by default.`);
      return;
    }
    const allowed = args.props["objectType"] === "schema" ? ["USAGE"] : LEDGER_PRIVILEGES;
    const extra = ((args.props["privileges"] ?? []) as string[]).filter((p) => !allowed.includes(p.toUpperCase()));
    if (extra.length > 0) reportViolation(`${args.name} grants ${extra.join(", ")} on the audit ledger: only ${allowed.join(" and ")} are allowed.`);
  },
};

export const auditSchemaNeverCascades: ResourceValidationPolicy = {
  name: "audit-schema-never-cascades",
  description: "The audit schema never drops with CASCADE.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(postgresql.Schema, (schema, args, reportViolation) => {
    if (schema.name === AUDIT_SCHEMA && schema.dropCascade === true) reportViolation(`Schema ${args.name} (audit) must set dropCascade: false.`);
  }),
};

export const auditLedgerPresent: StackValidationPolicy = {
  name: "audit-ledger-present",
  description: "Every org database has the audit ledger installed.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const ledgers = new Set(args.resources
      .filter((r) => r.props["kind"] === "tenantry:SqlMigration" && String(r.props["migration"] ?? "").endsWith("-audit-ledger"))
      .map((r) => String(r.props["database"])));
    for (const database of args.resources.filter((r) => r.type === "postgresql:index/database:Database")) {
      const name = String(database.props["name"] ?? "");
      if (!ledgers.has(name)) reportViolation(`Database ${name} has no audit ledger: declare an AuditLedger for it.`, database.urn);
    }
  },
};
