import { quoteIdent } from "../../spec/naming";

/*
 * Shared pieces of the SQL terraform-provider-postgresql issues (cyrilgdn/terraform-provider-
 * postgresql@ff936b9, the commit pulumi-postgresql 3.18 builds from). Each translation cites
 * the provider function it mirrors.
 */

/**
 * Statements run together; `database` undefined means the provider's own database (`postgres`).
 * In order: `prelude` (the provider's advisory locks), the temporary memberships, `statements`
 * (or the `branch` the server's answer picks), the memberships revoked, `epilogue`.
 */
export interface SqlStep {
  readonly database: string | undefined;
  /** The provider wraps every resource in one transaction except databases (autocommit). */
  readonly transaction: boolean;
  readonly prelude?: readonly string[];
  readonly statements: readonly string[];
  /** Roles the provider makes itself a member of around the statements (see membership.ts). */
  readonly membership?: Membership;
  /** Where the provider checks for an object and acts on the answer, inside the same step. */
  readonly branch?: Branch;
  /** revokeRoles: every membership this role holds is revoked, then `epilogue` grants the wanted ones. */
  readonly revokeMembershipsOf?: string;
  readonly epilogue?: readonly string[];
  /** Runs as the superuser stand-in (rds_superuser on RDS): event triggers need it. */
  readonly elevated?: boolean;
}

export interface Branch {
  /** Returns a row when the object exists. */
  readonly exists: string;
  readonly params: readonly unknown[];
  readonly whenPresent: readonly string[];
  readonly whenAbsent: readonly string[];
}

/** Where a role to be granted comes from; some are only known by asking the server. */
export type RoleSource =
  | { readonly role: string }
  | { readonly ownerOfCurrentDatabase: true }
  | { readonly ownerOfSchema: string }
  | { readonly ownersOfTablesIn: string };

export interface Membership {
  readonly roles: readonly RoleSource[];
  /**
   * helpers.go withRolesGranted skips a superuser admin and superuser roles and first revokes a
   * reverse membership; the database resource's grantRoleMembership does neither.
   */
  readonly style: "withRolesGranted" | "grantRoleMembership";
}

/** The admin role the provider connects as (`getDatabaseUsername()`); locally, the embedded superuser. */
export interface ProviderContext {
  readonly adminUser: string;
}

/** pq.QuoteIdentifier, which quotes exactly as naming.ts does. */
export const ident = quoteIdent;

/** helpers.go pqQuoteLiteral, wrapped in plain quotes as every caller does (backslashes doubled). */
export function literal(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/** helpers.go pgLockRole: serializes concurrent changes to one role's grants. */
export function lockRole(role: string): string[] {
  return [
    "SET statement_timeout = 0",
    `SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_roles WHERE rolname = ${literal(role)}`,
    `SELECT pg_advisory_xact_lock(member::bigint) FROM pg_auth_members JOIN pg_roles ON roleid = pg_roles.oid WHERE rolname = ${literal(role)}`,
  ];
}

/** helpers.go pgLockDatabase */
export function lockDatabase(database: string): string[] {
  return ["SET statement_timeout = 0", `SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_database WHERE datname = ${literal(database)}`];
}

export type Inputs = Readonly<Record<string, unknown>>;

export function str(inputs: Inputs, key: string): string | undefined {
  const value = inputs[key];
  return typeof value === "string" ? value : undefined;
}

export function requiredStr(inputs: Inputs, key: string): string {
  const value = str(inputs, key);
  if (value === undefined) throw new Error(`internal: input ${key} is required`);
  return value;
}

export function bool(inputs: Inputs, key: string, fallback: boolean): boolean {
  const value = inputs[key];
  return typeof value === "boolean" ? value : fallback;
}

export function num(inputs: Inputs, key: string): number | undefined {
  const value = inputs[key];
  return typeof value === "number" ? value : undefined;
}

export function strings(inputs: Inputs, key: string): string[] {
  const value = inputs[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

export function changed(previous: Inputs, next: Inputs, key: string): boolean {
  return JSON.stringify(previous[key]) !== JSON.stringify(next[key]);
}
