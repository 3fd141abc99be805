import fc from "fast-check";
import type { GuardrailFacts } from "../../components/enforcer-sql";
import { environmentRoleName } from "../../spec/naming";
import { QUOTA_BOUNDS } from "../../spec/quota-bounds";

/** A slug or environment name of the spec's shape, short. */
export const shortName = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);

const bounded = (bounds: { min: number; max: number }) => fc.integer({ min: bounds.min, max: bounds.max });

/** An org's guardrail facts: any quotas within their bounds, any environments whose role names can be composed. */
export const guardrailFacts: fc.Arbitrary<GuardrailFacts> = fc.record({
  slug: shortName,
  environments: fc.uniqueArray(shortName, { minLength: 1, maxLength: 4 }),
  statementTimeoutMs: bounded(QUOTA_BOUNDS.statementTimeoutMs),
  lockTimeoutMs: bounded(QUOTA_BOUNDS.lockTimeoutMs),
  idleInTransactionTimeoutMs: bounded(QUOTA_BOUNDS.idleInTransactionTimeoutMs),
  tempFileLimitMb: bounded(QUOTA_BOUNDS.tempFileLimitMb),
}).filter((org) => {
  try {
    for (const env of org.environments) environmentRoleName(org.slug, env, "runtime");
    return true;
  } catch {
    return false;
  }
});
