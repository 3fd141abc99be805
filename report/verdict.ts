/*
 * What the page says about a property, a claim, a cell and a rule: an icon and a word each,
 * so the page reads the same in black and white, printed, or to a screen reader.
 *
 * The page never claims more than its evidence: `shownVerdict` reads the claims themselves, so a
 * model that says "proven" over a failed claim, or over no held claim at all, is shown as what
 * the claims support, never as proven; and it reads where they came from, so claims of a saved
 * proof are never shown as proven, whatever the model says.
 */
import { verdictFrom, type EvidenceSource } from "./property-verdict";
import type { ClaimStatus, PolicyOutcome, PropertyVerdict, ReportProperty } from "./report-model";

export interface Label {
  readonly icon: string;
  readonly text: string;
  /** The CSS class (colour only; the icon and text carry the meaning). */
  readonly tone: string;
}

export const VERDICT_LABELS: Readonly<Record<PropertyVerdict, Label>> = {
  proven: { icon: "✓", text: "proven", tone: "v-proven" },
  broken: { icon: "✗", text: "broken", tone: "v-broken" },
  unverified: { icon: "?", text: "unverified (saved proof)", tone: "v-unverified" },
  "policy-only": { icon: "◐", text: "policy only", tone: "v-policy-only" },
  "not-proven-offline": { icon: "–", text: "not proven offline", tone: "v-not-proven-offline" },
};

export const CLAIM_LABELS: Readonly<Record<ClaimStatus, Label>> = {
  pass: { icon: "✓", text: "held", tone: "s-pass" },
  fail: { icon: "✗", text: "broken", tone: "s-fail" },
  skip: { icon: "–", text: "skipped", tone: "s-skip" },
};

export const DECISION_LABELS: Readonly<Record<"allow" | "deny" | "none", Label>> = {
  allow: { icon: "✓", text: "allow", tone: "d-allow" },
  deny: { icon: "✗", text: "deny", tone: "d-deny" },
  none: { icon: "–", text: "not evaluated", tone: "d-none" },
};

export const OUTCOME_LABELS: Readonly<Record<PolicyOutcome["outcome"], Label>> = {
  pass: { icon: "✓", text: "pass", tone: "o-pass" },
  fail: { icon: "✗", text: "fail", tone: "o-fail" },
};

export interface ShownVerdict {
  readonly verdict: PropertyVerdict;
  /** Why the page shows less than the model said, when it does. */
  readonly downgraded?: string;
}

/**
 * The verdict the page shows. A failed claim makes the property broken whatever the model says;
 * "proven" needs at least one held claim of a proof run for this page (`source` fresh); anything
 * weaker the model says is shown as it is.
 */
export function shownVerdict(property: Pick<ReportProperty, "verdict" | "claims" | "policies">, source: EvidenceSource): ShownVerdict {
  const { verdict: said, claims } = property;
  const saidText = VERDICT_LABELS[said].text;
  if (claims.some((c) => c.status === "fail")) {
    return said === "broken" ? { verdict: said } : { verdict: "broken", downgraded: `the report said ${saidText}, but a claim below failed` };
  }
  if ((said === "proven" || said === "unverified") && !claims.some((c) => c.status === "pass")) {
    const weaker: PropertyVerdict = property.policies.length > 0 ? "policy-only" : "not-proven-offline";
    return { verdict: weaker, downgraded: `the report said ${saidText}, but no claim below held` };
  }
  const verdict = verdictFrom(source, said);
  if (verdict !== said) return { verdict, downgraded: `the report said ${saidText}, but its claims come from a saved proof, which this page cannot verify` };
  return { verdict };
}
