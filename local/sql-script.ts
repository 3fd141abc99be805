import { planChanges, type DesiredResource } from "./changes";
import { translationFor, type ProviderContext } from "./provider-sql";
import { ident, literal, type RoleSource } from "./provider-sql/sql";

/*
 * `tenantry sql <stack>`: the statements `up --local` runs against an empty server, as one psql
 * script. The provider's temporary memberships, which `up --local` decides by asking the server,
 * are written out as they come out on an empty server with a non-superuser login. Generated
 * passwords print as [secret].
 */

const DATABASE = "postgresql:index/database:Database";
const SCHEMA = "postgresql:index/schema:Schema";
const GRANT_ROLE = "postgresql:index/grantRole:GrantRole";
const ROLE = "postgresql:index/role:Role";

export function renderSqlScript(desired: readonly DesiredResource[], provider: ProviderContext, providerDatabase: string): string {
  const changes = planChanges(desired, [], (type) => translationFor(type).replacesOn);
  const ownerOf = (database: string) => desired.find((r) => r.type === DATABASE && r.inputs["name"] === database)?.inputs["owner"];
  const schemaOwner = (database: string, schema: string) =>
    schema === "public" ? ownerOf(database) : desired.find((r) => r.type === SCHEMA && r.inputs["database"] === database && r.inputs["name"] === schema)?.inputs["owner"];
  const standing = new Set<string>();
  const secrets = desired.filter((r) => r.type === ROLE).map((r) => r.inputs["password"]).filter((p): p is string => typeof p === "string" && p !== "");

  const resolve = (source: RoleSource, database: string): string[] => {
    const found =
      "role" in source ? source.role
      : "ownerOfCurrentDatabase" in source ? ownerOf(database)
      : "ownerOfSchema" in source ? schemaOwner(database, source.ownerOfSchema)
      : undefined; // ownersOfTablesIn: an empty server has no tables
    return typeof found === "string" ? [found] : [];
  };

  const lines = [`-- tenantry sql: what up --local runs on an empty server, as the provider login ${provider.adminUser}`];
  let connected: string | undefined;
  for (const change of changes) {
    if (change.kind !== "create") continue;
    const { type, inputs, name } = change.desired;
    for (const step of translationFor(type).create(inputs, provider)) {
      const database = step.database ?? providerDatabase;
      if (database !== connected) lines.push(`\\connect ${database}`);
      connected = database;
      const roles = [...new Set((step.membership?.roles ?? []).flatMap((s) => resolve(s, database)))]
        .filter((role) => role !== provider.adminUser && !standing.has(role));
      const body = [
        ...roles.map((role) => `GRANT ${ident(role)} TO ${ident(provider.adminUser)};`),
        ...step.statements.map((sql) => `${redact(sql, secrets)};`),
        ...roles.map((role) => `REVOKE ${ident(role)} FROM ${ident(provider.adminUser)};`),
      ];
      lines.push(`-- ${name}`, ...(step.transaction ? ["BEGIN;", ...body, "COMMIT;"] : body));
    }
    if (type === GRANT_ROLE && inputs["role"] === provider.adminUser) standing.add(String(inputs["grantRole"]));
  }
  return `${lines.join("\n")}\n`;
}

function redact(sql: string, secrets: readonly string[]): string {
  return secrets.reduce((text, secret) => text.split(literal(secret)).join("'[secret]'"), sql);
}
