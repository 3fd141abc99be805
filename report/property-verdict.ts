import type { PolicyOutcome, PropertyVerdict, ReportClaim, ReportModel, ReportProperty } from "./report-model";
import type { PostureProperty } from "./properties";

/*
 * How each posture property stands on the page, from the evidence alone: the proof's claims
 * tagged with it and the outcomes of its rules over this stack. The page never says more than
 * these show: one failed claim or failed mandatory rule makes the property broken, whatever else held.
 */

export interface PropertyEvidence {
  readonly claims: readonly ReportClaim[];
  /** The outcomes of the property's rules that were run over this stack (rules not run are absent). */
  readonly rules: readonly PolicyOutcome[];
}

export function propertyVerdict({ claims, rules }: PropertyEvidence): PropertyVerdict {
  if (claims.some((c) => c.status === "fail")) return "broken";
  if (rules.some((r) => r.outcome === "fail" && r.enforcement === "mandatory")) return "broken";
  if (claims.some((c) => c.status === "pass")) return "proven";
  if (rules.length > 0) return "policy-only";
  return "not-proven-offline";
}

/** Where the claims came from: a proof run for this page, or a saved file. */
export type EvidenceSource = ReportModel["proof"]["source"]["kind"];

/**
 * What the claims' verdict becomes given where they came from: only a proof run for this page
 * proves. A saved file's held claims are what the file says; anyone can edit it, so they are
 * shown as unverified, never as proven (a saved failure still shows broken: it claims less).
 */
export function verdictFrom(source: EvidenceSource, verdict: PropertyVerdict): PropertyVerdict {
  return verdict === "proven" && source !== "fresh" ? "unverified" : verdict;
}

/** Why a property stands where it does, when that needs saying: what broke it, or why no claim shows it. */
export function verdictNote(property: PostureProperty, verdict: PropertyVerdict, { claims, rules }: PropertyEvidence): string | undefined {
  if (verdict === "broken") {
    const failed = [
      ...claims.filter((c) => c.status === "fail").map((c) => `claim "${c.claim}": ${c.result}`),
      ...rules.filter((r) => r.outcome === "fail" && r.enforcement === "mandatory").map((r) => `rule ${r.rule}${r.message === undefined ? "" : `: ${r.message}`}`),
    ];
    return `broken by ${failed.join("; ")}`;
  }
  if (verdict === "proven") return undefined;
  if (verdict === "unverified") return "its claims held in a saved proof, as the file says; a saved file cannot be verified here, so it proves nothing on this page (run tenantry report without --proof to prove it afresh)";
  const skipped = claims.filter((c) => c.status === "skip");
  const why = property.offline
    ?? (skipped.length > 0 ? `its claims were skipped: ${skipped.map((c) => c.result).join("; ")}` : "no claim of this proof attempts it for this org (it declares nothing the claims would try)");
  const elsewhere = property.elsewhere === undefined ? "" : ` Guarded on ${property.elsewhere.stack} by ${property.elsewhere.policies.join(", ")}, which this org's check does not judge.`;
  return `${why}${elsewhere}`;
}

/** Every property of the table with its claims (those tagged with its number), its rules' outcomes and its verdict. */
export function reportProperties(
  table: readonly PostureProperty[], claims: readonly (ReportClaim & { readonly properties?: readonly number[] })[], outcomes: readonly PolicyOutcome[], source: EvidenceSource,
  { placed = true }: { readonly placed?: boolean } = {},
): ReportProperty[] {
  return table.map((property) => {
    const own = claims.filter((c) => c.properties?.includes(property.number) === true).map(({ claim, attempt, result, status, at }) => ({ claim, attempt, result, status, ...(at === undefined ? {} : { at }) }));
    // A placed-only property's rules pass on an unplaced org with nothing to judge: they guard nothing of it.
    const unplaced = property.placedOnly !== undefined && !placed;
    const rules = unplaced ? [] : outcomes.filter((o) => property.policies.includes(o.rule));
    const evidence = { claims: own, rules };
    const verdict = verdictFrom(source, propertyVerdict(evidence));
    const note = unplaced && verdict === "not-proven-offline" ? property.placedOnly : verdictNote(property, verdict, evidence);
    return {
      number: property.number, title: property.title, enforcedBy: property.enforcedBy, verdict, claims: own, policies: [...property.policies],
      ...(note === undefined ? {} : { note }),
    };
  });
}
