import { z } from "zod";
import { emailAddress, environmentSlug } from "./spec-fields";

/*
 * `breakGlass` of the org spec (DESIGN property 13): governed emergency access. The cross-field
 * rules (spec-rules.ts) require every field of an enabled grant; parseOrgSpec then narrows it to
 * one of two shapes, with a passed expiry meaning off.
 */

/** What a break-glass login may do in its environment; DDL is never one of them. */
export const BREAK_GLASS_ACCESS = ["read", "write"] as const;
export type BreakGlassAccess = (typeof BREAK_GLASS_ACCESS)[number];

/**
 * Off unless a person with a reason and an end time is named. Strict with every field
 * optional, then checked as a whole, so `enabled: false` with leftovers is refused too.
 */
export const breakGlassSchema = z.strictObject({
  enabled: z.boolean({ error: "must be true or false" }).describe("Off (false) unless someone needs emergency access now; when true, grantee, reason, expiresAt, environment and access are required, and one login role is provisioned (docs/break-glass.md)."),
  grantee: emailAddress.optional().describe("Who gets emergency access: an address in one of claimedDomains. Rows the break-glass login changes carry the actor break-glass:<grantee> in the audit ledger."),
  reason: z
    .string({ error: "must be text" })
    .min(10, { error: "must explain the emergency in 10..500 characters" })
    .max(500, { error: "must explain the emergency in 10..500 characters" })
    .optional()
    .describe("Why, in 10..500 characters."),
  expiresAt: z
    .string({ error: "must be an ISO 8601 time with a zone" })
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/, {
      error: "must be an ISO 8601 time with a zone, e.g. 2026-01-31T18:00:00Z",
    })
    .optional()
    .describe("When the emergency access ends: an ISO 8601 time with a zone, at most 24 h ahead. It becomes the login's VALID UNTIL, so the password stops working then; once it has passed, break-glass is planned as off (the next apply drops the login, with a warning from validate and up)."),
  environment: environmentSlug
    .optional()
    .describe("The one environment the break-glass login reaches: one of environments. It gets no schema of any other environment."),
  access: z
    .enum(BREAK_GLASS_ACCESS, { error: `must be one of ${BREAK_GLASS_ACCESS.join(", ")}` })
    .optional()
    .describe("read: SELECT on the environment's schemas; write: DML there. Never DDL, never CREATE, never more of the audit ledger than tenant roles have."),
});

export type BreakGlass =
  /** Off; `expired` when the spec enables it with an expiry already passed, which means off. */
  | { readonly enabled: false; readonly expired?: { readonly grantee: string; readonly expiresAt: string } }
  | {
    readonly enabled: true; readonly grantee: string; readonly reason: string; readonly expiresAt: string;
    readonly environment: string; readonly access: BreakGlassAccess;
  };

/** The cross-field rules have already required every field of an enabled break-glass. */
export function narrowBreakGlass(raw: z.output<typeof breakGlassSchema>, now: Date): BreakGlass {
  const { enabled, grantee, reason, expiresAt, environment, access } = raw;
  if (!enabled) return { enabled: false };
  if (grantee === undefined || reason === undefined || expiresAt === undefined || environment === undefined || access === undefined) {
    throw new Error("unreachable: break-glass fields are checked by spec-rules");
  }
  // Passing the expiry leaves a role that cannot log in; the next apply drops it (issue 16).
  if (Date.parse(expiresAt) <= now.getTime()) return { enabled: false, expired: { grantee, expiresAt } };
  return { enabled, grantee, reason, expiresAt, environment, access };
}
