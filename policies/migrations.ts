import { planMigrations, type MigrationPlan } from "../components/migration-plan";
import type { OrgFacts } from "../components/org-facts";
import { checksumOf, SQL_MIGRATION_KIND, sqlMigrationProviderCode } from "../components/sql-migration";
import { sameClientCertificate } from "./provider-inputs";
import { judgeAgainstOrg, orgOfStack } from "./stack-org";
import type { TenantryStackPolicy } from "./policy-types";

/*
 * SqlMigrations run SQL the Postgres provider's resources cannot express, with the provider
 * login's rights (the ledger's as a superuser): SQL no other rule can read. So the pack renders
 * the org's migrations again from the org's facts, with the renderers the program uses
 * (components/migration-plan.ts), and accepts a dynamic resource only if it is one of them:
 * the same name, database, SQL text and checksum, connecting where the org's provider does, and
 * run by SqlMigration's own provider code. Every other dynamic resource is refused. And each
 * migration the platform renders for the org must be in the stack, once: a stack that leaves
 * one out (its guardrails, its large objects' closing, its ledger) is refused, not just one
 * that adds a migration of its own.
 */

const DYNAMIC = "pulumi-nodejs:dynamic:Resource";
/** The inputs a SqlMigration registers; `__provider` is its provider's serialized code, which Pulumi adds. */
const MIGRATION_INPUTS = ["kind", "migration", "database", "sql", "checksum", "elevated", "drift", "connection", "__provider"];
const CONNECTION_INPUTS = ["host", "port", "user", "sslmode", "sslrootcert", "clientcert", "password"];

const text = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value) ?? "undefined");
const shortChecksum = (sql: unknown) => (typeof sql === "string" ? `sha256 ${checksumOf(sql).slice(0, 12)}` : `a ${typeof sql}`);

/** Why a migration's connection is not the org provider's (host, port, login, TLS settings); the password is the provider's secret. */
function connectionProblems(connection: unknown, org: OrgFacts): string[] {
  if (typeof connection !== "object" || connection === null || Array.isArray(connection)) return ["has no connection"];
  const record = connection as Record<string, unknown>;
  const expected: Record<string, unknown> = {
    host: org.providerHost, port: org.providerPort, user: org.providerLogin, sslmode: org.providerSslmode, sslrootcert: org.providerSslrootcert,
  };
  return [
    // A migration that trusts other roots, or presents another certificate, is not connecting as the provider does.
    sameClientCertificate(record["clientcert"], org.providerClientcert) ? undefined
      : `connects with clientcert ${text(record["clientcert"])}: the org's provider connects with clientcert ${text(org.providerClientcert)}`,
    ...Object.keys(record).filter((key) => !CONNECTION_INPUTS.includes(key)).map((key) => `connection sets ${key}, which no SqlMigration's connection has`),
    ...Object.entries(expected).filter(([key, value]) => record[key] !== value)
      .map(([key, value]) => `connects with ${key} ${text(record[key])}: the org's provider connects with ${key} ${text(value)}`),
    record["password"] === undefined || typeof record["password"] === "string" ? undefined : "connection password is not text",
  ].filter((problem): problem is string => problem !== undefined);
}

/**
 * What keeps a dynamic resource from being one of the org's planned migrations; empty when it is
 * one. `providerCode` is SqlMigration's serialized provider (sqlMigrationProviderCode).
 */
export function migrationProblems(values: Readonly<Record<string, unknown>>, inputs: readonly string[], org: OrgFacts, providerCode: string): string[] {
  const extra = inputs.filter((key) => !MIGRATION_INPUTS.includes(key)).map((key) => `sets ${key}, which no SqlMigration has`);
  if (values["kind"] !== SQL_MIGRATION_KIND) return [`is a dynamic resource but no SqlMigration (kind ${text(values["kind"])}): the program declares no other`];
  const planned: MigrationPlan[] = Object.values(planMigrations(org));
  const plan = planned.find((p) => p.migration === values["migration"]);
  if (plan === undefined) return [`is migration ${text(values["migration"])}, which the platform does not declare for org ${org.slug} (${planned.map((p) => p.migration).join(", ")})`, ...extra];
  return [
    ...extra,
    values["__provider"] === providerCode ? undefined : "runs provider code that is not SqlMigration's (components/sql-migration.ts): a dynamic resource does whatever its provider does",
    values["sql"] === plan.sql ? undefined : `runs SQL (${shortChecksum(values["sql"])}) that is not the SQL the platform renders for ${plan.migration} from the org's facts (${shortChecksum(plan.sql)})`,
    typeof values["sql"] === "string" && values["checksum"] === checksumOf(values["sql"]) ? undefined : `carries checksum ${text(values["checksum"])}, not its SQL's`,
    values["database"] === plan.database ? undefined : `runs in database ${text(values["database"])}: ${plan.migration} runs in ${plan.database}`,
    values["elevated"] === plan.elevated ? undefined : `sets elevated ${text(values["elevated"])}: ${plan.migration} is ${plan.elevated ? "" : "not "}elevated`,
    // The drift query runs on every preview with the migration's login: only the platform's own.
    values["drift"] === plan.drift ? undefined : `reads drift with ${values["drift"] === undefined ? "no query" : `a query (${text(values["drift"]).slice(0, 60)})`} where ${plan.migration} reads ${plan.drift === undefined ? "none" : "the platform's own"}`,
    ...connectionProblems(values["connection"], org),
  ].filter((problem): problem is string => problem !== undefined);
}

/** A SqlMigration declared in the stack: its resource's name and the migration it says it is. */
export interface DeclaredMigration {
  readonly resource: string;
  readonly migration: unknown;
}

/**
 * Each migration planned for the org that the stack does not declare, or declares more than once
 * (by the `migration` input of its SqlMigrations); empty when every one is there exactly once.
 */
export function migrationPresenceProblems(declared: readonly DeclaredMigration[], org: OrgFacts): string[] {
  const planned = Object.values(planMigrations(org)).map((p) => p.migration);
  return planned.flatMap((migration) => {
    const resources = declared.filter((d) => d.migration === migration).map((d) => d.resource);
    if (resources.length === 0) return [`The stack does not declare migration ${migration}, which the platform renders for org ${org.slug}: every one of the org's migrations must be in its stack (${planned.join(", ")}).`];
    if (resources.length > 1) return [`The stack declares migration ${migration} ${resources.length} times (${resources.join(", ")}): each of the org's migrations runs once, from one resource.`];
    return [];
  });
}

export const postgresMigrationsMatchPlatformSql: TenantryStackPolicy = {
  name: "postgres-migrations-match-platform-sql",
  description: "Every dynamic resource is one of the org's SqlMigrations, with exactly the name, database, SQL and checksum the platform renders from the org's facts, connecting as the org's provider does; and each migration the platform renders for the org is declared exactly once.",
  rationale: "A migration runs any SQL with the provider login's rights (the ledger's as a superuser), and no other rule reads SQL: one GRANT CREATE ON SCHEMA web_prod TO PUBLIC in a migration passed every other rule, and a stack that leaves out the guardrails or the ledger would switch a guard off.",
  enforcementLevel: "mandatory",
  validateStack: async (args, reportViolation) => {
    // Without exactly one org there is nothing to render: stack-one-org refuses such a stack.
    const org = orgOfStack(args.resources);
    if (org !== undefined) {
      const declared = args.resources.filter((r) => r.type === DYNAMIC && r.props["kind"] === SQL_MIGRATION_KIND)
        .map((r) => ({ resource: r.name, migration: r.props["migration"] }));
      for (const problem of migrationPresenceProblems(declared, org)) reportViolation(problem);
    }
    if (!args.resources.some((r) => r.type === DYNAMIC)) return;
    const providerCode = await sqlMigrationCode();
    judgeAgainstOrg(args.resources, [DYNAMIC], MIGRATION_INPUTS, reportViolation, (resource, values, org) =>
      migrationProblems(values, Object.keys(resource.props), org, providerCode).map((problem) => `${resource.name} ${problem}.`));
  },
};

/** Serialized once per process (about 15 ms). */
let providerCodeOnce: Promise<string> | undefined;
const sqlMigrationCode = () => (providerCodeOnce ??= sqlMigrationProviderCode());
