import * as postgresql from "@pulumi/postgresql";
import { validateResourceOfType } from "@pulumi/policy";
import type { TenantryResourcePolicy, TenantryStackPolicy } from "./policy-types";

/* The audit ledger: append-only by privileges, never dropped with CASCADE, present in every org. */

const AUDIT_SCHEMA = "audit";
const LEDGER_PRIVILEGES = ["SELECT", "INSERT"];

export const auditLedgerSelectInsertOnly: TenantryResourcePolicy = {
  name: "audit-ledger-select-insert-only",
  description: "No role gets anything beyond USAGE on the audit schema and SELECT/INSERT on its events.",
  rationale: "The ledger is append-only by privilege: UPDATE, DELETE or TRUNCATE for any role would let it rewrite history, and default privileges in the audit schema would grant on tables nobody reviewed. The grant allowlist refuses these too; this rule says it on its own.",
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

export const auditSchemaNeverCascades: TenantryResourcePolicy = {
  name: "audit-schema-never-cascades",
  description: "The audit schema never drops with CASCADE.",
  rationale: "Dropping the audit schema with CASCADE takes the ledger and its history with it; without CASCADE, Postgres refuses to drop a schema that still holds the ledger.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(postgresql.Schema, (schema, args, reportViolation) => {
    if (schema.name === AUDIT_SCHEMA && schema.dropCascade === true) reportViolation(`Schema ${args.name} (audit) must set dropCascade: false.`);
  }),
};

export const auditLedgerPresent: TenantryStackPolicy = {
  name: "audit-ledger-present",
  description: "Every org database has the audit ledger installed.",
  rationale: "Every change to tenant data is recorded (posture property 5, README): a database without the ledger's migration has no audit trigger, no guard against disabling one, and no history.",
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
