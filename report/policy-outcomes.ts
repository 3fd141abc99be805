import type { PolicyOutcome } from "./report-model";

/*
 * The policy pack's verdict on one stack, rule by rule, as `tenantry check` reaches it (the pack
 * in-process over what the program registered, then the offline-only checks): a rule with no
 * violation passed. Violations come from harness/run-policies.ts, unchanged.
 */

export interface DeclaredRule {
  readonly name: string;
  /** The rule's own level; the pack sets none, so a rule without one is advisory (as Pulumi runs it). */
  readonly enforcementLevel?: string;
}

export interface RuleViolation {
  readonly policy: string;
  readonly message: string;
  readonly enforcementLevel: string;
}

const LEVELS: readonly PolicyOutcome["enforcement"][] = ["mandatory", "advisory", "disabled"];
const levelOf = (level: string | undefined): PolicyOutcome["enforcement"] =>
  // remediate fixes a resource before it deploys: for the page it is as binding as mandatory.
  level === "remediate" ? "mandatory" : LEVELS.find((l) => l === level) ?? "advisory";

/**
 * Every declared rule with its outcome, in the pack's order; then, so nothing reported is hidden,
 * any violation of a rule not declared. A rule whose only violations are advisory (a value unknown
 * during preview) is shown failed at advisory level, so the reader sees it was not judged.
 */
export function policyOutcomes(rules: readonly DeclaredRule[], violations: readonly RuleViolation[]): PolicyOutcome[] {
  const outcome = (name: string, declared: string | undefined): PolicyOutcome => {
    const own = violations.filter((v) => v.policy === name);
    if (own.length === 0) return { rule: name, enforcement: levelOf(declared), outcome: "pass" };
    const mandatory = own.filter((v) => levelOf(v.enforcementLevel) === "mandatory");
    const shown = mandatory.length > 0 ? mandatory : own;
    return { rule: name, enforcement: mandatory.length > 0 ? "mandatory" : levelOf(shown[0]?.enforcementLevel), outcome: "fail", message: [...new Set(shown.map((v) => v.message))].join(" ") };
  };
  const declared = new Set(rules.map((r) => r.name));
  const undeclared = [...new Set(violations.map((v) => v.policy).filter((name) => !declared.has(name)))];
  return [...rules.map((r) => outcome(r.name, r.enforcementLevel)), ...undeclared.map((name) => outcome(name, undefined))];
}
