import type { ClaimResult } from "../local/proof/claim";
import { claimCounts } from "../local/proof/prove";

/*
 * `tenantry prove --json`, for the local proof and the after-deploy one alike:
 * `{ "stacks": [{ "stack", "target", "claims": [{ "claim", "attempt", "result", "status" }],
 * "summary": { "hold", "broken", "skipped" } }] }`, the table's rows and its last line as data.
 * `target` says what was proven: `embedded` (prove --local) or the server's URL, never a password.
 */

export interface StackProof {
  readonly stack: string;
  readonly target: string;
  readonly results: readonly ClaimResult[];
}

export function proofJson(proofs: readonly StackProof[]) {
  return {
    stacks: proofs.map(({ stack, target, results }) => ({
      stack,
      target,
      claims: results.map(({ claim, attempt, result, status }) => ({ claim, attempt, result, status })),
      summary: claimCounts(results),
    })),
  };
}
