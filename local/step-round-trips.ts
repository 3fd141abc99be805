import type { Client, QueryResult } from "pg";
import { session } from "./membership";
import { HELD_ROLES_SQL, planMemberships, restoreFactsSql, restoreStatements, roleFactsFrom, roleFactsSql, type MembershipPlan } from "./membership-facts";
import { ident, literal, type Branch, type SqlStep } from "./provider-sql/sql";

/*
 * One transactional step of the provider's SQL in as few round trips as its questions allow.
 * The provider sends each statement and each catalog look-up on its own; here statements wait
 * in a buffer and go with the next question (or the COMMIT) as one multi-statement query, in the
 * same order, inside the same transaction. A step that asks nothing (a role, a membership) is
 * one round trip; one that borrows memberships (a grant, a schema) is three: locks and the
 * look-ups, the grants and statements and the re-check, the restore and the commit.
 *
 * A statement that fails stops the rest of its query string, so the COMMIT behind it never runs;
 * the caller rolls back (sql-runner.ts), as it did when each statement went alone.
 */

class Buffered {
  private pending: string[] = [];

  constructor(private readonly client: Client) {}

  add(statements: readonly string[]): void {
    this.pending.push(...statements);
  }

  /** Sends what waits and `question` last, in one round trip; the question's rows. */
  async ask(question: string): Promise<Record<string, unknown>[]> {
    const sent = [...this.pending, question];
    this.pending = [];
    const result = (await this.client.query(sent.join(";\n"))) as QueryResult | QueryResult[];
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    return (last?.rows ?? []) as Record<string, unknown>[];
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const sent = this.pending;
    this.pending = [];
    await this.client.query(sent.join(";\n"));
  }
}

/** A branch's existence check with its parameters written in (a multi-statement query takes none). */
export function inlineParams(sql: string, params: readonly unknown[]): string {
  return sql.replace(/\$(\d+)/g, (whole, n: string) => {
    const value = params[Number(n) - 1];
    if (typeof value !== "string") throw new Error(`internal: parameter ${whole} of a branch check must be a string`);
    return literal(value);
  });
}

const branchSql = (branch: Branch) => `SELECT EXISTS (${inlineParams(branch.exists, branch.params)}) AS present`;

export async function runInFewRoundTrips(client: Client, step: SqlStep): Promise<void> {
  const membership = step.membership;
  const borrows = membership !== undefined && membership.roles.length > 0;
  // Who the connection is never changes: asked once per connection (membership.ts).
  const me = borrows ? await session(client) : undefined;
  const guarded = membership?.style === "withRolesGranted";
  const buffer = new Buffered(client);
  buffer.add(["BEGIN", ...(step.prelude ?? [])]);

  let plan: MembershipPlan = { before: [], granted: [], revoked: [] };
  // withRolesGranted does nothing for a superuser login.
  if (me !== undefined && membership !== undefined && !(guarded && me.superuser)) {
    plan = planMemberships(roleFactsFrom(await buffer.ask(roleFactsSql(membership.roles, me.current, me.hasSetOption))), me.current, guarded);
  }
  buffer.add(plan.before);
  const branch = step.branch;
  if (branch === undefined) buffer.add(step.statements);
  else buffer.add((await buffer.ask(branchSql(branch)))[0]?.["present"] === true ? branch.whenPresent : branch.whenAbsent);
  if (me !== undefined && plan.granted.length + plan.revoked.length > 0) {
    buffer.add(restoreStatements(await buffer.ask(restoreFactsSql(plan, me.current, me.hasSetOption)), me.current));
  }
  if (step.revokeMembershipsOf !== undefined) {
    // resource_postgresql_role.go revokeRoles: every role this one is a member of.
    const role = step.revokeMembershipsOf;
    const held = await buffer.ask(inlineParams(HELD_ROLES_SQL, [role]));
    buffer.add(held.map((row) => `REVOKE ${ident(String(row["granted"]))} FROM ${ident(role)}`));
  }
  buffer.add([...(step.epilogue ?? []), "COMMIT"]);
  await buffer.flush();
}
