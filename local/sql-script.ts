import { planChanges, type DesiredResource } from "./changes";
import { TYPE, translationFor, type ProviderContext } from "./provider-sql";
import { ident, literal, type RoleSource } from "./provider-sql/sql";
import { splitBySuperuser } from "./managed-server";

/*
 * `tenantry sql <stack>`: the statements `up --local` runs against an empty server, as one psql
 * script. The provider's temporary memberships, which `up --local` decides by asking the server,
 * are written out as they come out on an empty server with a non-superuser login. Generated
 * passwords are never printed: each is a psql variable, `:'<role>_password'`, which psql must be
 * given (`-v tn_acme_dev_runtime_password=...`) or the script fails instead of creating a role
 * with a known password. Steps marked elevated connect as `:superuser` but run as the provider
 * login, as `up --local` runs them (local/managed-server.ts): only event-trigger statements run
 * as the superuser, so on a managed server `-v superuser=<the login>` runs the script unchanged.
 */


export async function renderSqlScript(desired: readonly DesiredResource[], provider: ProviderContext, providerDatabase: string): Promise<string> {
  const changes = planChanges(desired, [], translationFor);
  const ownerOf = (database: string) => desired.find((r) => r.type === TYPE.database && r.inputs["name"] === database)?.inputs["owner"];
  const schemaOwner = (database: string, schema: string) =>
    schema === "public" ? ownerOf(database) : desired.find((r) => r.type === TYPE.schema && r.inputs["database"] === database && r.inputs["name"] === schema)?.inputs["owner"];
  const standing = new Set<string>();
  const secrets = new Map(desired.filter((r) => r.type === TYPE.role && typeof r.inputs["password"] === "string" && r.inputs["password"] !== "")
    .map((r) => [String(r.inputs["password"]), passwordVariable(String(r.inputs["name"]))]));

  const resolve = (source: RoleSource, database: string): string[] => {
    const found =
      "role" in source ? source.role
      : "ownerOfCurrentDatabase" in source ? ownerOf(database)
      : "ownerOfSchema" in source ? schemaOwner(database, source.ownerOfSchema)
      : undefined; // ownersOfTablesIn: an empty server has no tables
    return typeof found === "string" ? [found] : [];
  };

  const lines = [
    `-- tenantry sql: what up --local runs on an empty server, as the provider login ${provider.adminUser};`,
    "-- steps marked elevated connect as :superuser and SET ROLE to the login for all but event triggers, as up --local does (managed servers: docs/managed-server.md)",
    `-- passwords: psql -v superuser=<role> ${[...secrets.values()].map((v) => `-v ${v}=...`).join(" ")} (logins' passwords from PGPASSFILE)`,
    "\\set ON_ERROR_STOP on",
  ];
  let connected: string | undefined;
  for (const change of changes) {
    if (change.kind !== "create") continue;
    const { type, inputs, name } = change.desired;
    for (const step of translationFor(type).create(inputs, provider)) {
      const database = step.database ?? providerDatabase;
      const target = `${database} ${step.elevated === true ? ":superuser" : provider.adminUser}`;
      if (target !== connected) lines.push(`\\connect ${target}`);
      connected = target;
      const roles = [...new Set((step.membership?.roles ?? []).flatMap((s) => resolve(s, database)))]
        .filter((role) => role !== provider.adminUser && !standing.has(role));
      // An empty server: every existence check comes out "absent", no role holds memberships.
      const body = [
        ...(step.prelude ?? []),
        ...roles.map((role) => `GRANT ${ident(role)} TO ${ident(provider.adminUser)}`),
        ...(step.branch?.whenAbsent ?? step.statements),
        ...roles.map((role) => `REVOKE ${ident(role)} FROM ${ident(provider.adminUser)}`),
        ...(step.epilogue ?? []),
      ];
      const statements = (step.elevated === true && step.transaction ? await runAsLogin(body, provider.adminUser) : body).map((sql) => `${redact(sql, secrets)};`);
      lines.push(`-- ${name}`, ...(step.transaction ? ["BEGIN;", ...statements, "COMMIT;"] : statements));
    }
    if (type === TYPE.grantRole && inputs["role"] === provider.adminUser) standing.add(String(inputs["grantRole"]));
  }
  return `${lines.join("\n")}\n`;
}

/** An elevated step's statements, each run as `login` but for the event triggers (as runAsManagedLogin does). */
async function runAsLogin(statements: readonly string[], login: string): Promise<string[]> {
  const lines: string[] = [];
  for (const sql of statements) {
    for (const run of await splitBySuperuser(sql)) lines.push(run.superuser ? "SET LOCAL ROLE NONE" : `SET LOCAL ROLE ${ident(login)}`, run.sql);
  }
  return [...lines, "SET LOCAL ROLE NONE"];
}

export function passwordVariable(role: string): string {
  return `${role}_password`;
}

function redact(sql: string, secrets: ReadonlyMap<string, string>): string {
  return [...secrets].reduce((text, [secret, variable]) => text.split(literal(secret)).join(`:'${variable}'`), sql);
}
