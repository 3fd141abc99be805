import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { SpecError } from "../spec/spec-errors";
import { localPaths } from "../local/paths";
import { readJsonIfExists, writePrivateJson } from "../local/private-file";
import type { LoginAttributes } from "./move-freeze";
import { MOVE_STEPS, MoveRefused, placementOf, startMove, type MoveRecord, type MoveWish } from "./move-plan";

/*
 * The record file of a local move (docs/move.md): `.tenantry/moves/<org>.json`, private, holding
 * the MoveRecord fleet/move-run.ts saves before and after every action, and what the actions
 * must remember across a crash: the source's login attributes read before the first freeze
 * (a resumed freeze must never record the frozen state as the one to give back), the target's
 * read before they were frozen there, the migration command, and the temporary memberships the
 * copy granted the provider login (a rerun revokes a leftover).
 */

/** A membership the provider login granted itself in a table owner, to be revoked once the copy or the check is done. */
export interface TemporaryMembership {
  readonly cluster: string;
  readonly role: string;
}

export interface MoveFile {
  readonly record: MoveRecord;
  /** The org's slug: the file is named after it. */
  readonly org: string;
  readonly sourceLogins?: readonly LoginAttributes[];
  readonly targetLogins?: readonly LoginAttributes[];
  /** The --migrate command the move was started or last resumed with. */
  readonly migrate?: string;
  readonly memberships: readonly TemporaryMembership[];
}

const MOVES_FOLDER = "moves";

/** The record file of an org's move; the slug is validated by the spec, so it is one file name. */
export function moveFilePath(projectDir: string, org: string): string {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(org)) throw new Error(`internal: ${JSON.stringify(org)} is not an org slug`);
  return join(localPaths(projectDir).root, MOVES_FOLDER, `${org}.json`);
}

export function readMoveFile(projectDir: string, org: string): MoveFile | undefined {
  return readJsonIfExists<MoveFile>(moveFilePath(projectDir, org));
}

export function writeMoveFile(projectDir: string, file: MoveFile): void {
  writePrivateJson(moveFilePath(projectDir, file.org), file);
}

/** Every org with a move record in this project (finished, rolled back or not). */
export function movedOrgs(projectDir: string): string[] {
  const folder = join(localPaths(projectDir).root, MOVES_FOLDER);
  if (!existsSync(folder)) return [];
  return readdirSync(folder).filter((name) => name.endsWith(".json")).map((name) => name.slice(0, -".json".length)).sort();
}

const SWITCH = MOVE_STEPS.indexOf("switch");

/** Whether the switch completed: the placement names the target, and only --finish is left. */
export function switched(record: MoveRecord): boolean {
  return record.completed > SWITCH;
}

/**
 * A move under way: neither switched nor rolled back. While it is, the org's source logins are
 * frozen (or about to be), and an `up` would give them back: the org's apply is locked out.
 */
export function unfinished(record: MoveRecord): boolean {
  return !record.rolledBack && !switched(record);
}

/** A switched move whose old copy has not been dropped yet: the source still holds it, frozen. */
export function retainingOldCopy(record: MoveRecord): boolean {
  return switched(record) && !record.finished;
}

/** Why a local command that would touch this org is refused while its move is unfinished, and how to go on. */
export function moveBlocksMessage(command: string, record: MoveRecord, recordFile: string): string {
  const { stack, from, to } = record;
  return `${command} refused: ${stack} is being moved from ${from} to ${to} (record ${recordFile}); its logins stay frozen until the move ends. `
    + `Resume it with \`tenantry move ${stack}\`, or roll it back with \`tenantry move ${stack} --rollback\``;
}

export interface MoveRequest {
  readonly stack: string;
  /** The cluster the stack file places the org on now. */
  readonly placedOn: string;
  readonly to?: string;
  readonly wish: MoveWish;
}

/**
 * The record a run of `tenantry move` works from: the saved one when a move of this org exists
 * and is not over, or a new one. A second move to another cluster while one is unfinished is
 * refused, naming the record; so is a `--to` that disagrees with the saved move.
 */
export function recordFor(saved: MoveRecord | undefined, request: MoveRequest, recordFile: string): MoveRecord {
  const { stack, placedOn, to, wish } = request;
  if (saved !== undefined && !saved.rolledBack && !saved.finished) {
    if (switched(saved)) {
      // Starting another move would forget the old copy this record retains on the source.
      if (wish === "resume" && to !== undefined && to !== saved.to) {
        throw new MoveRefused(`${stack} still has its old copy on ${saved.from} from its move to ${saved.to} (record ${recordFile}): run \`tenantry move ${stack} --finish\` before moving it again`);
      }
      return saved;
    }
    if (to !== undefined && to !== saved.to) {
      throw new MoveRefused(`${stack} has an unfinished move from ${saved.from} to ${saved.to} (record ${recordFile}): resume it with \`tenantry move ${stack}\`, or roll it back with --rollback, before moving it to ${to}`);
    }
    return saved;
  }
  if (wish !== "resume") {
    // nextActions says why there is nothing to do (rolled back, finished).
    if (saved !== undefined) return saved;
    throw new MoveRefused(`${stack} has no move to ${wish === "rollback" ? "roll back" : "finish"} (no record ${recordFile})`);
  }
  if (to === undefined) throw new MoveRefused(`name the cluster to move ${stack} to: tenantry move ${stack} --to <cluster>`);
  return startMove(stack, placedOn, to);
}

/**
 * Refuses a local command (up, prove, offboard) that would touch an org whose move is unfinished:
 * an `up` would give the frozen source logins back while the copy is taken, and a write the copy
 * did not see would be lost at the switch.
 */
export function refuseWhileMoving(projectDir: string, command: string, orgs: readonly string[]): void {
  const problems = orgs.flatMap((org) => {
    const saved = readMoveFile(projectDir, org);
    if (saved === undefined || !unfinished(saved.record)) return [];
    return [{ field: "stack", message: moveBlocksMessage(command, saved.record, relative(projectDir, moveFilePath(projectDir, org))) }];
  });
  if (problems.length > 0) throw new SpecError(problems);
}

/**
 * Refuses to act on a saved move when the stack file's placement is not where the record says the
 * org lives: edited by hand mid-move, a resume would copy from the wrong side, and after a switch
 * --finish would drop the copy the stack file names. Nothing to check while a switch is in flight
 * (it may or may not have written the placement yet).
 */
export function refuseMisplaced(record: MoveRecord, placedOn: string, recordFile: string): void {
  if (record.rolledBack || record.finished) return;
  const expected = placementOf(record);
  if (expected === "either" || expected === placedOn) return;
  throw new MoveRefused(`the stack file places ${record.stack} on ${placedOn}, but its move (record ${recordFile}) says it lives on ${expected}: put placement.cluster back to ${expected}, then rerun`);
}
