/*
 * Postgres identifiers and Pulumi resource names, derived from validated slugs.
 *
 * Roles and databases are cluster-wide, so every name is prefixed by `tn_<org>_`: two orgs can
 * never collide, and tenantry's roles stand apart from anything else on the server (including
 * the `pg_` names Postgres reserves). Slugs use single inner hyphens and environments have no
 * separator at all, so each name can be split back into its parts: the mapping is injective
 * (test/unit/naming.test.ts proves it over random slugs).
 */

/** Postgres truncates identifiers beyond NAMEDATALEN - 1 bytes; truncation could merge two names. */
export const PG_IDENTIFIER_MAX_BYTES = 63;

const PREFIX = "tn";

/**
 * Kinds of org-level roles. Disjoint from the environment-level kinds, keeping names injective.
 * The program declares no break-glass role yet; the name is reserved for it (DESIGN property 13).
 */
export type OrgRoleKind = "owner" | "audit" | "breakglass";
/** Kinds of roles that exist once per environment. */
export type EnvironmentRoleKind = "runtime" | "ddl";

function identifierPart(slug: string): string {
  return slug.replace(/-/g, "_");
}

/**
 * Every generated identifier passes through here. The spec's bounds make a failure impossible
 * for validated input, so a throw means a programming error, never a user error.
 */
function checked(identifier: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(identifier) || Buffer.byteLength(identifier) > PG_IDENTIFIER_MAX_BYTES) {
    throw new Error(`internal: generated Postgres identifier ${JSON.stringify(identifier)} is not a safe name of <= 63 bytes`);
  }
  return identifier;
}

/** What every cluster-wide name of an org starts with: `tn_<org>_`. */
export function orgPrefix(org: string): string {
  return `${PREFIX}_${identifierPart(org)}_`;
}

export function databaseName(org: string): string {
  return checked(`${PREFIX}_${identifierPart(org)}`);
}

export function orgRoleName(org: string, kind: OrgRoleKind): string {
  return checked(`${orgPrefix(org)}${kind}`);
}

export function environmentRoleName(org: string, env: string, kind: EnvironmentRoleKind): string {
  return checked(`${orgPrefix(org)}${env}_${kind}`);
}

/** Schemas live inside the org's own database, so they need no org prefix. */
export function schemaName(workspace: string, env: string): string {
  return checked(`${identifierPart(workspace)}_${env}`);
}

/** Double-quotes an identifier for SQL text, doubling embedded quotes (`quote_ident` semantics). */
export function quoteIdent(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

/** Single-quotes a string constant for SQL text, doubling embedded quotes (`quote_literal` semantics with standard strings). */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Pulumi logical names: every child name starts with its org component's name. */
export function orgComponentName(org: string): string {
  return `org-${org}`;
}

export function childName(parent: string, ...parts: string[]): string {
  return [parent, ...parts].join("-");
}

/** Cloudflare names of the org's edge: `tn-<org>` (the namespace), `tn-<org>-router`, ... */
export function edgeName(org: string, part?: "router" | "outbound" | "secrets"): string {
  return part === undefined ? `${PREFIX}-${org}` : `${PREFIX}-${org}-${part}`;
}
