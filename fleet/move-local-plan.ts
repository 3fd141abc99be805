import { isDeepStrictEqual } from "node:util";
import { isScalar, parseDocument } from "yaml";
import { TYPE } from "../local/provider-sql";
import type { AppliedResource, PendingChange } from "../local/state";
import { ORG_CONFIG_KEY } from "../spec/spec-errors";
import { databaseName, environmentRoleName, orgPrefix, quoteIdent, quoteLiteral } from "../spec/naming";
import { writerRoles } from "./move-freeze";
import { inheritedForMigration } from "./move-trust";

/*
 * The decisions of a local move's actions (fleet/move-local.ts), pure: which roles an action
 * touches, the SQL that drops an org's copy, the environment a migration runs in, and the edit
 * that switches a stack file's placement. Every role name an action touches comes from the org's
 * own naming prefix: no action can reach another org's roles, whatever a state file holds.
 */

/** A URN's resource type (after its parents' types): `urn:pulumi:<stack>::<project>::<parent>$<type>::<name>`. */
function urnType(urn: string): string {
  return (urn.split("::")[2] ?? "").split("$").at(-1) ?? "";
}

/**
 * The org's roles in one server's state of its stack: those applied, in the order they were, then
 * those an interrupted apply left pending (created, maybe, and not recorded). Taken from the state
 * and the naming scheme, never by matching names in the catalog: `tn_a_` is a prefix of org a-b's
 * names too. A name outside the org's prefix is dropped from the list as a last guard.
 */
export function orgRolesIn(resources: readonly AppliedResource[], org: string, pending: readonly PendingChange[] = []): string[] {
  const prefix = orgPrefix(org);
  const named = [
    ...resources.filter((r) => r.type === TYPE.role).map((r) => r.inputs["name"]),
    ...pending.filter((p) => urnType(p.urn) === TYPE.role).map((p) => p.inputs["name"]),
  ];
  return [...new Set(named.filter((name): name is string => typeof name === "string" && name.startsWith(prefix)))];
}

/** Every role of the org that may log in (its writers, and any other login the state records): what a freeze must stop. */
export function loginRolesOf(resources: readonly AppliedResource[], org: string, environments: readonly string[]): string[] {
  const declared = resources.flatMap((r) => (r.type === TYPE.role && r.inputs["login"] === true && typeof r.inputs["name"] === "string" ? [r.inputs["name"]] : []));
  const prefix = orgPrefix(org);
  return [...new Set([...writerRoles(org, environments), ...declared.filter((name) => name.startsWith(prefix))])].sort();
}

/** A role's stored password in a server's state of the stack. */
export function storedPassword(resources: readonly AppliedResource[], role: string): string | undefined {
  const password = resources.find((r) => r.type === TYPE.role && r.inputs["name"] === role)?.inputs["password"];
  return typeof password === "string" ? password : undefined;
}

/**
 * Drops an org's copy from one server, as the provider login: the database (its sessions ended),
 * then each role of the org, last applied first. Each statement may run again: a rerun after an
 * interruption finds what is left. Run in the provider's own database, never the org's.
 */
export function dropOrgCopySql(org: string, roles: readonly string[]): string[] {
  const prefix = orgPrefix(org);
  const foreign = roles.filter((role) => !role.startsWith(prefix));
  if (foreign.length > 0) throw new Error(`internal: ${foreign.join(", ")} are not roles of ${org}`);
  return [`DROP DATABASE IF EXISTS ${quoteIdent(databaseName(org))} WITH (FORCE)`, ...[...roles].reverse().map((role) => `DROP ROLE IF EXISTS ${quoteIdent(role)}`)];
}

/** Which of these roles exist on a server. Column: role. */
export function existingRolesSql(roles: readonly string[]): string {
  return `SELECT rolname AS role FROM pg_roles WHERE rolname = ANY (ARRAY[${roles.map(quoteLiteral).join(", ")}]::text[]) ORDER BY 1`;
}

/** Login for one environment's DDL role on the target, for its migration only: the recorded limit back, then frozen again. */
export function ddlLoginSql(org: string, env: string, connectionLimit: number, login: boolean): string {
  const role = quoteIdent(environmentRoleName(org, env, "ddl"));
  return login ? `ALTER ROLE ${role} LOGIN CONNECTION LIMIT ${Math.trunc(connectionLimit)}` : `ALTER ROLE ${role} NOLOGIN CONNECTION LIMIT 0`;
}

export interface MigrationTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  readonly environment: string;
}

/** The variables the tenant's migration command runs with (libpq's, which most migration tools read, and the environment's name). */
export function migrationEnv(base: NodeJS.ProcessEnv, target: MigrationTarget): NodeJS.ProcessEnv {
  // An allowlist (fleet/move-trust.ts): the caller's credentials stay out of tenant code, and
  // nothing of the caller's own libpq settings may point the migration elsewhere.
  return {
    ...inheritedForMigration(base),
    PGHOST: target.host, PGPORT: String(target.port), PGDATABASE: target.database, PGUSER: target.user, PGPASSWORD: target.password,
    TENANTRY_ENVIRONMENT: target.environment,
  };
}

const PLACEMENT_PATH = ["config", ORG_CONFIG_KEY, "placement", "cluster"] as const;

/**
 * The stack file's text with `placement.cluster` naming `cluster`, every other byte as it was
 * (comments, order, quoting): the scalar is replaced where it stands. Throws when the file has no
 * placement to switch, or when the edit would change anything else.
 */
export function withPlacement(text: string, cluster: string): string {
  const doc = parseDocument(text);
  const node = doc.getIn(PLACEMENT_PATH, true);
  if (!isScalar(node) || node.range === undefined || node.range === null) throw new Error(`the stack file has no ${ORG_CONFIG_KEY}.placement.cluster to switch`);
  const [start, end] = node.range;
  const edited = `${text.slice(0, start)}${cluster}${text.slice(end)}`;
  const expected = parseDocument(text).toJS() as Record<string, unknown>;
  const placement = ((expected["config"] as Record<string, Record<string, Record<string, unknown>>>)[ORG_CONFIG_KEY]!)["placement"]!;
  placement["cluster"] = cluster;
  if (!isDeepStrictEqual(parseDocument(edited).toJS(), expected)) throw new Error("internal: switching the placement would change more than placement.cluster");
  return edited;
}

/** The cluster a stack file's text places the org on. */
export function placementIn(text: string): string | undefined {
  const value = parseDocument(text).getIn(PLACEMENT_PATH);
  return typeof value === "string" ? value : undefined;
}
