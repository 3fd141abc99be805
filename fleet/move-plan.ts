/*
 * Moving an org between clusters (issue 18 item 5, docs/move.md) as a state machine. Pure: the
 * command persists a MoveRecord before and after every action, so an interrupted move is
 * always at a known point, and this module decides what a rerun does from there.
 *
 * The guarantee is by construction, not by checks at each call site: the only action that
 * changes the placement is `switch`, it comes after `verify` in the one forward order, and the
 * only action that drops the source is `drop-source`, which only `--finish` after a completed
 * switch produces. Rolling back is offered exactly while the placement still names the source.
 */

/** The forward steps, in the only order they run. */
export const MOVE_STEPS = ["prepare-target", "freeze-source", "create-tables", "copy", "verify", "switch"] as const;
export type MoveStep = (typeof MOVE_STEPS)[number];
/** What undoes a move before its switch, in the order it runs: the org is writable again first. */
export type RollbackAction = "unfreeze-source" | "drop-target";
export type MoveAction = MoveStep | RollbackAction | "drop-source";

/** What a rerun was asked to do: carry on (the default), undo, or retire the source after a switch. */
export type MoveWish = "resume" | "rollback" | "finish";

export interface MoveRecord {
  readonly stack: string;
  readonly from: string;
  readonly to: string;
  /** How many of MOVE_STEPS completed, in order. */
  readonly completed: number;
  /** The action begun and not recorded as complete: it may have done all, part or none of its work. */
  readonly inFlight?: MoveAction;
  /** Set by the first rollback action: from then on a rerun only finishes the rollback. */
  readonly rollingBack: boolean;
  readonly rolledBack: boolean;
  readonly finished: boolean;
}

/** What each action does to either side (`tenantry move --plan` prints it; docs/move.md tabulates it). */
export const ACTION_EFFECTS: Readonly<Record<MoveAction, { readonly source: string; readonly target: string }>> = {
  "prepare-target": { source: "untouched", target: "creates the org database and applies its posture, every login role NOLOGIN" },
  "freeze-source": { source: "runtime and DDL roles NOLOGIN, CONNECTION LIMIT 0, their sessions ended", target: "untouched" },
  "create-tables": { source: "read", target: "the tenant's migrations run as the DDL roles; table shapes compared" },
  copy: { source: "read", target: "each table emptied and copied in one transaction, triggers not firing; the ledger as it is" },
  verify: { source: "read", target: "read: counts, checksums, the ledger and its append-only grants" },
  switch: { source: "stays frozen, retained", target: "placement names it (the commit point); its roles log in; posture re-applied" },
  "unfreeze-source": { source: "runtime and DDL roles get their recorded login attributes back", target: "untouched" },
  "drop-target": { source: "untouched", target: "the org database and roles dropped (they never held data of record)" },
  "drop-source": { source: "the org database and roles dropped", target: "untouched" },
};

export class MoveRefused extends Error {}

/**
 * A new move. `retainedOn` lists the clusters still holding an old copy of this org (a move not
 * yet finished): preparing the target there would meet that copy, so it is finished first.
 */
export function startMove(stack: string, from: string, to: string, retainedOn: readonly string[] = []): MoveRecord {
  if (from === to) throw new MoveRefused(`${stack} is already placed on ${to}: nothing to move`);
  if (retainedOn.includes(to)) throw new MoveRefused(`${to} still holds the old copy of ${stack} from an earlier move: run \`tenantry move ${stack} --finish\` first`);
  return { stack, from, to, completed: 0, rollingBack: false, rolledBack: false, finished: false };
}

const SWITCH = MOVE_STEPS.indexOf("switch");

function switchBegun(record: MoveRecord): boolean {
  return record.completed > SWITCH || record.inFlight === "switch";
}

/** Whether the forward step at this index has begun (completed, or in flight). */
function begun(record: MoveRecord, step: MoveStep): boolean {
  return record.completed > MOVE_STEPS.indexOf(step) || record.inFlight === step;
}

/**
 * The cluster the org's placement names at this point. Only `switch` writes it, and the record
 * cannot tell whether an interrupted switch wrote it yet, so while one is in flight the answer
 * is "either": callers read the stack's config, and a rerun only goes forward.
 */
export function placementOf(record: MoveRecord): string | "either" {
  if (record.inFlight === "switch") return "either";
  return record.completed > SWITCH ? record.to : record.from;
}

/** The actions a rerun runs from this record, in order; [] when there is nothing left to do. Refuses what would break the move's invariants, saying why. */
export function nextActions(record: MoveRecord, wish: MoveWish): readonly MoveAction[] {
  const { stack, from, to } = record;
  if (record.finished) return [];
  if (record.rolledBack) {
    if (wish === "finish") throw new MoveRefused(`the move of ${stack} to ${to} was rolled back: there is no old copy to finish; ${stack} lives on ${from}`);
    return [];
  }
  if (record.rollingBack) {
    if (wish === "finish") throw new MoveRefused(`the move of ${stack} to ${to} is being rolled back: rerun without --finish to complete the rollback`);
    return rollbackActions(record);
  }
  if (record.completed > SWITCH) {
    if (wish === "rollback") throw new MoveRefused(`${stack} lives on ${to} since the switch: nothing rolls back now; move it back with \`tenantry move ${stack} --to ${from}\``);
    // An interrupted --finish has dropped part of the old copy: any rerun completes it.
    if (wish === "finish" || record.inFlight === "drop-source") return ["drop-source"];
    return [];
  }
  if (wish === "finish") throw new MoveRefused(`${stack} has not switched to ${to} yet: --finish drops the old copy only after a completed switch`);
  if (wish === "rollback") {
    if (switchBegun(record)) throw new MoveRefused(`the switch of ${stack} to ${to} has begun and its placement may already name ${to}: rerun to complete it, then move it back`);
    return rollbackActions(record);
  }
  return MOVE_STEPS.slice(record.completed);
}

function rollbackActions(record: MoveRecord): readonly RollbackAction[] {
  const actions: RollbackAction[] = [];
  if (begun(record, "freeze-source") || record.inFlight === "unfreeze-source") actions.push("unfreeze-source");
  // Always, even when nothing was begun: it drops only what exists, and its completion is what
  // records the move as rolled back.
  actions.push("drop-target");
  return actions;
}

/** The record to persist before running an action. */
export function beginAction(record: MoveRecord, action: MoveAction): MoveRecord {
  if (record.inFlight !== undefined && record.inFlight !== action && !isRollback(action)) {
    throw new Error(`internal: ${action} begun while ${record.inFlight} is in flight`);
  }
  if (isStep(action) && MOVE_STEPS.indexOf(action) !== record.completed) {
    throw new Error(`internal: ${action} begun out of order after ${record.completed} completed steps`);
  }
  if (action === "drop-source" && record.completed <= SWITCH) throw new Error("internal: drop-source before the switch");
  // A rollback keeps what it undoes visible (completed, inFlight) until it is done.
  if (isRollback(action)) return { ...record, rollingBack: true, inFlight: record.inFlight ?? action };
  return { ...record, inFlight: action };
}

/** The record to persist after an action completed. */
export function completeAction(record: MoveRecord, action: MoveAction): MoveRecord {
  if (isStep(action)) return { ...record, completed: record.completed + 1, inFlight: undefined };
  if (action === "drop-source") return { ...record, finished: true, inFlight: undefined };
  if (action === "drop-target") return { ...record, rolledBack: true, inFlight: undefined };
  return record;
}

function isStep(action: MoveAction): action is MoveStep {
  return (MOVE_STEPS as readonly string[]).includes(action);
}

function isRollback(action: MoveAction): action is RollbackAction {
  return action === "unfreeze-source" || action === "drop-target";
}
