import { beginAction, completeAction, nextActions, type MoveAction, type MoveRecord, type MoveWish } from "./move-plan";

/*
 * The loop `tenantry move` runs (docs/move.md): each action is saved as begun before it runs and
 * as complete after, so whatever stops the process, the saved record says where, and the next
 * run's nextActions decides from there. The actions themselves (SQL on two servers, the stack's
 * config) are handed in; each must be idempotent, since a resumed one runs again from its start.
 */

/** Thrown by the verify action with every difference it found: the move then rolls back at once. */
export class VerificationFailed extends Error {
  constructor(readonly differences: readonly string[]) {
    super(`the copy on the target differs from the source:\n${differences.map((d) => `  - ${d}`).join("\n")}`);
  }
}

export type RunAction = (action: MoveAction, record: MoveRecord) => Promise<void>;
export type SaveRecord = (record: MoveRecord) => Promise<void>;

/**
 * Runs what the wish calls for from this record and returns the record it left. A failed
 * verification rolls back (the org gets its logins back on the source) and is then rethrown;
 * any other failure leaves the saved record at the failed action, for a rerun to resume or roll back.
 */
export async function runMove(record: MoveRecord, wish: MoveWish, run: RunAction, save: SaveRecord): Promise<MoveRecord> {
  let current = record;
  for (const action of nextActions(current, wish)) {
    current = beginAction(current, action);
    await save(current);
    try {
      await run(action, current);
    } catch (error) {
      if (!(error instanceof VerificationFailed)) throw error;
      await runMove(current, "rollback", run, save);
      throw error;
    }
    current = completeAction(current, action);
    await save(current);
  }
  return current;
}
