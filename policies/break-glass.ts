import { orgRoleName } from "../spec/naming";
import type { OrgFacts } from "./org-roles";

/*
 * The break-glass role's bounds, judged against the org's facts (never against the role's own
 * inputs): one connection, the org's timeouts, and a VALID UNTIL no later than the spec's expiry.
 * Whether it may exist at all and which grants it may hold are the allowlist rules' (org-roles.ts
 * lists it only while break-glass is on; grant-shapes.ts has its read and write shapes).
 * Pure: no Pulumi import.
 */

/** Stated here, not imported from the plan: if the program widens it, the pack must refuse. */
const BREAK_GLASS_CONNECTION_LIMIT = 1;

/** A break-glass Role's props. */
export interface BreakGlassRoleFacts {
  readonly name?: unknown;
  readonly connectionLimit?: unknown;
  readonly validUntil?: unknown;
  readonly statementTimeout?: unknown;
  readonly idleInTransactionSessionTimeout?: unknown;
}

/** What keeps a role from being the org's bounded break-glass login; empty for any other role. */
export function breakGlassBoundProblems(role: BreakGlassRoleFacts, org: OrgFacts): string[] {
  if (role.name !== orgRoleName(org.slug, "breakglass") || org.breakGlass === undefined) return [];
  const validUntil = typeof role.validUntil === "string" ? Date.parse(role.validUntil) : NaN;
  const problems = [
    role.connectionLimit === BREAK_GLASS_CONNECTION_LIMIT ? undefined : `needs connectionLimit ${BREAK_GLASS_CONNECTION_LIMIT}: one person, one session`,
    Number.isFinite(validUntil) && validUntil <= Date.parse(org.breakGlass.expiresAt)
      ? undefined : `needs validUntil no later than breakGlass.expiresAt (${org.breakGlass.expiresAt})`,
    role.statementTimeout === org.statementTimeoutMs ? undefined : `needs statementTimeout ${org.statementTimeoutMs}, the org's`,
    role.idleInTransactionSessionTimeout === org.idleInTransactionTimeoutMs ? undefined : `needs idleInTransactionSessionTimeout ${org.idleInTransactionTimeoutMs}, the org's`,
  ];
  return problems.filter((problem): problem is string => problem !== undefined);
}
