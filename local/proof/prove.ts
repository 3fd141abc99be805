import { randomBytes } from "node:crypto";
import {
  applicationEventsCannotBeForged, bulkChangesAreAllRecorded, changesAreRecordedWithDiffs, keyChangesAreRecorded, ledgerIsAppendOnly, lowPrecisionSessionsAreRecorded,
  ownersCannotSwitchAuditingOff, publicHoldsNothingOnTheLedger, tablesAreCoveredWithoutAStep,
} from "./audit-claims";
import type { ClaimResult, ProofContext } from "./claim";
import { connectionLimitRefusesOneMore, noPrivilegedAttributes, otherOrgsCannotConnect, publicCannotConnect, rolesCarryTimeouts, statementTimeoutCancels } from "./guardrail-claims";
import { defaultPrivilegesWork, environmentsAreSeparate, runtimeCannotCreate } from "./privilege-claims";
import { dropProofObjects, recordProofObject } from "../proof-objects";

/** Every claim, in the order the table shows them. Later issues append theirs here. */
const CLAIMS = [
  runtimeCannotCreate,
  defaultPrivilegesWork,
  environmentsAreSeparate,
  tablesAreCoveredWithoutAStep,
  changesAreRecordedWithDiffs,
  keyChangesAreRecorded,
  lowPrecisionSessionsAreRecorded,
  bulkChangesAreAllRecorded,
  applicationEventsCannotBeForged,
  ledgerIsAppendOnly,
  ownersCannotSwitchAuditingOff,
  publicHoldsNothingOnTheLedger,
  publicCannotConnect,
  otherOrgsCannotConnect,
  noPrivilegedAttributes,
  rolesCarryTimeouts,
  statementTimeoutCancels,
  connectionLimitRefusesOneMore,
];

/**
 * Runs every claim against the live server; whatever happens, drops what the proof created
 * (each object is in the journal before it exists, so a kill leaves it for the next run).
 */
export async function prove(context: Omit<ProofContext, "nonce" | "willCreate">, { journal }: { journal: string }): Promise<ClaimResult[]> {
  const ctx: ProofContext = {
    ...context,
    nonce: randomBytes(4).toString("hex"),
    willCreate: (object) => recordProofObject(journal, object),
  };
  const results: ClaimResult[] = [];
  try {
    for (const claim of CLAIMS) results.push(...(await claim(ctx)));
  } finally {
    await dropProofObjects(context.server, journal);
  }
  return results;
}

const MARK = { pass: "✓", fail: "✗ FAIL", skip: "- skip" } as const;

export function renderProofTable(results: readonly ClaimResult[]): string {
  const rows = [["claim", "attempt", "result"], ...results.map((r) => [r.claim, r.attempt, `${r.result}  ${MARK[r.status]}`])];
  const widths = [0, 1].map((i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)));
  const line = (row: string[]) => row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell)).join(" | ");
  const [header, ...body] = rows;
  const passed = results.filter((r) => r.status === "pass").length;
  const failed = results.filter((r) => r.status === "fail").length;
  const skipped = results.length - passed - failed;
  return [line(header ?? []), widths.map((w) => "-".repeat(w)).concat("-".repeat(6)).join("-|-"), ...body.map(line), "",
    `claims: ${passed} hold, ${failed} broken, ${skipped} skipped`].join("\n");
}
