import { randomBytes } from "node:crypto";
import {
  applicationEventsCannotBeForged, bulkChangesAreAllRecorded, changesAreRecordedWithDiffs, keyChangesAreRecorded, ledgerIsAppendOnly, lowPrecisionSessionsAreRecorded,
  ownersCannotSwitchAuditingOff, publicHoldsNothingOnTheLedger, tablesAreCoveredWithoutAStep,
} from "./audit-claims";
import { auditTriggersKeepTheirShape, ledgerFunctionsOutOfTenantReach } from "./audit-integrity-claims";
import { breakGlassChangesCarryItsActor, breakGlassIsOffOrRecorded, breakGlassReachesOnlyItsScope, expiredBreakGlassIsRefused, expiredBreakGlassSessionEnds } from "./break-glass-claims";
import { tagged, type Claim, type ClaimResult, type Demonstrates, type ProofContext } from "./claim";
import { guardOutOfTenantReach } from "./guard-claims";
import { applicationEventsStayInTheirEnvironment, ledgerReadsStayInTheirEnvironment, ledgerSegregationCannotBeSwitchedOff } from "./ledger-segregation-claims";
import { runawaySessionsAreEnded } from "./enforcer-claims";
import { deployKeepsItsFooting } from "./deploy-claims";
import {
  connectionLimitRefusesOneMore, noPrivilegedAttributes, otherOrgsCannotConnect, publicCannotConnect, roleSettingsAreRestored, rolesCarryTimeouts, statementTimeoutCancels,
  tempFilesAreCapped,
} from "./guardrail-claims";
import { defaultPrivilegesWork, environmentsAreSeparate, runtimeCannotCreate } from "./privilege-claims";
import { largeObjectsAreClosed, sharedDatabasesAreClosed } from "./shared-database-claims";
import { attempt } from "../attempt";
import type { ServerInfo } from "../server";
import { dropProofObjects, recordProofObject, type Leftover } from "../proof-objects";
import { PROOF_OBJECT_PREFIX } from "../../spec/platform-names";

/**
 * Every claim, in the order the table shows them, with the posture properties (DESIGN.md's
 * numbers) it demonstrates: the report puts its rows under them. Later issues append theirs here.
 */
export const CLAIMS: readonly { readonly properties: Demonstrates; readonly run: Claim }[] = [
  { properties: [3], run: runtimeCannotCreate },
  { properties: [3], run: defaultPrivilegesWork },
  { properties: [2], run: environmentsAreSeparate },
  { properties: [5], run: tablesAreCoveredWithoutAStep },
  { properties: [5], run: changesAreRecordedWithDiffs },
  { properties: [5], run: keyChangesAreRecorded },
  { properties: [5], run: lowPrecisionSessionsAreRecorded },
  { properties: [5], run: bulkChangesAreAllRecorded },
  { properties: [5], run: applicationEventsCannotBeForged },
  { properties: [5, 2], run: ledgerReadsStayInTheirEnvironment },
  { properties: [5, 2], run: applicationEventsStayInTheirEnvironment },
  { properties: [5], run: ledgerSegregationCannotBeSwitchedOff },
  { properties: [5], run: ledgerIsAppendOnly },
  { properties: [5], run: ownersCannotSwitchAuditingOff },
  { properties: [5], run: auditTriggersKeepTheirShape },
  { properties: [5, 16], run: ledgerFunctionsOutOfTenantReach },
  { properties: [16, 5], run: guardOutOfTenantReach },
  { properties: [5], run: publicHoldsNothingOnTheLedger },
  { properties: [1], run: publicCannotConnect },
  { properties: [1], run: deployKeepsItsFooting },
  { properties: [1], run: otherOrgsCannotConnect },
  { properties: [3], run: noPrivilegedAttributes },
  { properties: [4], run: rolesCarryTimeouts },
  { properties: [4], run: statementTimeoutCancels },
  { properties: [4], run: connectionLimitRefusesOneMore },
  { properties: [1], run: sharedDatabasesAreClosed },
  { properties: [1], run: largeObjectsAreClosed },
  { properties: [4], run: runawaySessionsAreEnded },
  { properties: [4], run: roleSettingsAreRestored },
  { properties: [4], run: tempFilesAreCapped },
  { properties: [13], run: breakGlassIsOffOrRecorded },
  { properties: [13], run: breakGlassReachesOnlyItsScope },
  { properties: [13], run: breakGlassChangesCarryItsActor },
  { properties: [13], run: expiredBreakGlassIsRefused },
  { properties: [13], run: expiredBreakGlassSessionEnds },
];

export interface ProveOptions {
  /** The journal of what the proof creates (local/proof-objects.ts). */
  readonly journal: string;
  /** Aborted on SIGINT/SIGTERM: the statement in flight is cancelled and no further claim starts. */
  readonly signal?: AbortSignal;
  /** Told what the clean-up could not drop (it stays journaled for the next run). */
  readonly onLeftovers?: (leftovers: readonly Leftover[]) => void;
}

/**
 * Runs every claim against the live server; whatever happens, drops what the proof created.
 * The proof's sessions carry their own application_name, so an interrupt cancels exactly them.
 */
export async function prove(context: Omit<ProofContext, "nonce" | "willCreate">, { journal, signal, onLeftovers }: ProveOptions): Promise<ClaimResult[]> {
  const nonce = randomBytes(4).toString("hex");
  const applicationName = `${PROOF_OBJECT_PREFIX}${nonce}`;
  const ctx: ProofContext = {
    ...context,
    server: { ...context.server, applicationName },
    nonce,
    willCreate: (object) => recordProofObject(journal, object),
  };
  const cancel = () => void cancelSessions(context.server, applicationName);
  signal?.addEventListener("abort", cancel, { once: true });
  const results: ClaimResult[] = [];
  try {
    for (const { properties, run } of CLAIMS) {
      signal?.throwIfAborted();
      results.push(...tagged(properties, await run(ctx)));
    }
  } finally {
    signal?.removeEventListener("abort", cancel);
    onLeftovers?.((await dropProofObjects(context.server, journal)).leftovers);
  }
  return results;
}

/**
 * Cancels the statements the proof's sessions are running (a pg_sleep, a bulk update). A server
 * that is gone or refusing runs nothing of the proof either, so its outcome is not read.
 */
async function cancelSessions(server: ServerInfo, applicationName: string): Promise<void> {
  await attempt(server, { user: server.user, password: server.password }, "postgres", [
    `SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = '${applicationName.replace(/'/g, "''")}'`,
  ]);
}

/** How many claims hold, are broken and were skipped: what `--json` reports as a proof's summary. */
export function claimCounts(results: readonly ClaimResult[]): { readonly hold: number; readonly broken: number; readonly skipped: number } {
  const hold = results.filter((r) => r.status === "pass").length;
  const broken = results.filter((r) => r.status === "fail").length;
  return { hold, broken, skipped: results.length - hold - broken };
}
