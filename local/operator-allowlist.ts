import type { D1Database } from "../workers/lib/bindings";
import { allowlistKey, OPERATOR_ROLES, type OperatorRole } from "../workers/lib/operator-access";
import { allowlistMigrationSql, DELETE_ENTRY_SQL, LIST_ENTRIES_SQL, UPSERT_ENTRY_SQL } from "../workers/lib/operator-allowlist-sql";

/*
 * Grant, revoke and list operators on a D1 database: the gateway's in workerd locally. The
 * statements are the ones the gateway's schema is rendered with, so the two cannot drift.
 */

export interface OperatorGrant {
  readonly email: string;
  readonly role: OperatorRole;
  /** Milliseconds since the epoch; omitted: no expiry. */
  readonly expiresAt?: number;
  readonly grantedBy: string;
}

export interface ListedOperator {
  readonly email: string;
  readonly role: string;
  readonly expiresAt: number | null;
  readonly grantedBy: string;
  readonly grantedAt: number;
}

export async function migrateAllowlist(db: D1Database): Promise<void> {
  await db.prepare(allowlistMigrationSql()).run();
}

export async function grantOperator(db: D1Database, grant: OperatorGrant, now: number = Date.now()): Promise<void> {
  const email = allowlistKey(grant.email);
  if (email === undefined) throw new Error(`not an ASCII e-mail address: ${JSON.stringify(grant.email)}`);
  if (!(OPERATOR_ROLES as readonly string[]).includes(grant.role)) throw new Error(`role must be one of ${OPERATOR_ROLES.join(", ")}`);
  if (grant.grantedBy.trim() === "") throw new Error("a grant names who granted it");
  await db.prepare(UPSERT_ENTRY_SQL).bind(email, grant.role, grant.expiresAt ?? null, grant.grantedBy, now).run();
}

export async function revokeOperator(db: D1Database, email: string): Promise<void> {
  await db.prepare(DELETE_ENTRY_SQL).bind(email.toLowerCase()).run();
}

export async function listOperators(db: D1Database): Promise<ListedOperator[]> {
  return (await db.prepare(LIST_ENTRIES_SQL).all<ListedOperator>()).results;
}
