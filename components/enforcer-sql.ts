/*
 * The guardrail enforcer: a platform function that ends tenant sessions which outlive their
 * declared limits, whatever the session or the role itself has SET. Role defaults
 * (statement_timeout, lock_timeout, idle_in_transaction_session_timeout) are a convenience a
 * tenant can switch off; this is the limit. Pure: no Pulumi import.
 */

/**
 * How often the enforcer runs: pg_cron's shortest interval on a managed server ('1 seconds'),
 * and the local engine's loop.
 */
export const ENFORCER_PERIOD_MS = 1_000;

/**
 * How far past its limit a session may run before the enforcer ends it. A session whose own
 * timeout is intact is cancelled by the server at the limit itself; the grace keeps the enforcer
 * from terminating such a session in the instant between the limit and that cancel. A session
 * is therefore ended at the latest `limit + grace + period` after it started.
 */
export const ENFORCER_GRACE_MS = 250;

/** The longest a tenant session can outlive a limit of `limitMs`. */
export function enforcedBoundMs(limitMs: number): number {
  return limitMs + ENFORCER_GRACE_MS + ENFORCER_PERIOD_MS;
}
