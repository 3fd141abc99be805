import { allowlistKey, OPERATOR_ROLES, type OperatorRole } from "../workers/lib/operator-access";
import { allowlistMigrationSql, grantStatement, listStatement, revokeStatement, type AllowlistStatement } from "../workers/lib/operator-allowlist-sql";

/*
 * Grant, revoke and list operators: checked here once, then one statement with its parameters
 * (workers/lib/operator-allowlist-sql.ts) sent to whichever store holds the allowlist: the local
 * gateway's D1 in workerd (local/d1-query-worker.ts), or production's through Cloudflare's D1 HTTP route (remote/d1-http.ts).
 */

/** Where the allowlist is: runs one statement, answers its rows. */
export interface AllowlistStore {
  readonly run: <Row>(statement: AllowlistStatement) => Promise<Row[]>;
}

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

export async function migrateAllowlist(store: AllowlistStore): Promise<void> {
  await store.run({ sql: allowlistMigrationSql(), params: [] });
}

/** The statement a grant sends, once its input is checked (throws naming what is wrong). */
export function grantOf(grant: OperatorGrant, now: number): AllowlistStatement {
  const email = allowlistKey(grant.email);
  if (email === undefined) throw new Error(`not an ASCII e-mail address: ${JSON.stringify(grant.email)}`);
  if (!(OPERATOR_ROLES as readonly string[]).includes(grant.role)) throw new Error(`role must be one of ${OPERATOR_ROLES.join(", ")}`);
  if (grant.grantedBy.trim() === "") throw new Error("a grant names who granted it");
  return grantStatement({ email, role: grant.role, grantedBy: grant.grantedBy, grantedAt: now, ...(grant.expiresAt === undefined ? {} : { expiresAt: grant.expiresAt }) });
}

export async function grantOperator(store: AllowlistStore, grant: OperatorGrant, now: number = Date.now()): Promise<void> {
  await store.run(grantOf(grant, now));
}

/** Removes the address's entry; false when the list held no entry for it (nothing changed). */
export async function revokeOperator(store: AllowlistStore, email: string): Promise<boolean> {
  const key = allowlistKey(email);
  if (key === undefined) throw new Error(`not an ASCII e-mail address: ${JSON.stringify(email)}`);
  return (await store.run<{ email: string }>(revokeStatement(key))).length > 0;
}

export async function listOperators(store: AllowlistStore): Promise<ListedOperator[]> {
  return store.run<ListedOperator>(listStatement());
}
