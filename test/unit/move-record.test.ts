import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { beginAction, completeAction, MOVE_STEPS, MoveRefused, nextActions, type MoveRecord } from "../../fleet/move-plan";
import { moveFilePath, recordFor, refuseMisplaced, refuseWhileMoving, retainingOldCopy, switched, unfinished, writeMoveFile } from "../../fleet/move-record";
import { SpecError } from "../../spec/spec-errors";

/*
 * The record file and the lock-out of a local move (fleet/move-record.ts), as the operator who
 * reruns `tenantry move` with other flags, or runs `up` in the middle of a move, sees them: a
 * move under way is never replaced by another, and while it is under way no local command
 * gives the org its frozen logins back.
 */

const CLUSTERS = ["pg-a", "pg-b", "pg-c"] as const;
const STACK = "org-moving";

/** Any record a run of the loop can leave: some steps done, maybe one in flight, maybe rolled back or finished. */
const anyRecord: fc.Arbitrary<MoveRecord> = fc.record({
  to: fc.constantFrom("pg-b", "pg-c"),
  completed: fc.integer({ min: 0, max: MOVE_STEPS.length }),
  inFlight: fc.boolean(),
  ending: fc.constantFrom("none", "rollingBack", "rolledBack", "finished"),
}).map(({ to, completed, inFlight, ending }) => {
  let record: MoveRecord = { stack: STACK, from: "pg-a", to, completed: 0, rollingBack: false, rolledBack: false, finished: false };
  for (const step of MOVE_STEPS.slice(0, completed)) record = completeAction(beginAction(record, step), step);
  const switchedNow = completed === MOVE_STEPS.length;
  if (ending === "finished" && switchedNow) return completeAction(beginAction(record, "drop-source"), "drop-source");
  if (ending !== "none" && ending !== "finished" && !switchedNow) {
    record = beginAction(record, "drop-target");
    return ending === "rolledBack" ? completeAction(record, "drop-target") : record;
  }
  const next = MOVE_STEPS[completed];
  return inFlight && next !== undefined ? beginAction(record, next) : record;
});

describe("which record a run of tenantry move works from", () => {
  it("never starts a second move of an org whose move is unfinished, whatever --to says: the saved one is resumed or the run is refused naming the record", () => {
    fc.assert(fc.property(anyRecord, fc.option(fc.constantFrom(...CLUSTERS), { nil: undefined }), fc.constantFrom("resume", "rollback", "finish"), (saved, to, wish) => {
      if (!unfinished(saved)) return;
      try {
        const chosen = recordFor(saved, { stack: STACK, placedOn: saved.from, to, wish }, ".tenantry/moves/moving.json");
        expect(chosen).toBe(saved);
      } catch (error) {
        expect(error).toBeInstanceOf(MoveRefused);
        expect((error as Error).message).toContain(".tenantry/moves/moving.json");
        expect(to).not.toBe(saved.to);
      }
    }));
  });

  it("does not forget a retained old copy: after a switch, a move elsewhere is refused until --finish", () => {
    fc.assert(fc.property(anyRecord, fc.constantFrom(...CLUSTERS), (saved, to) => {
      if (!retainingOldCopy(saved)) return;
      const run = () => recordFor(saved, { stack: STACK, placedOn: saved.to, to, wish: "resume" }, "record");
      if (to === saved.to) expect(run()).toBe(saved);
      else expect(run).toThrow(/--finish/);
    }));
  });

  it("starts a new move only from the cluster the stack file names, and only with --to", () => {
    const fresh = recordFor(undefined, { stack: STACK, placedOn: "pg-a", to: "pg-b", wish: "resume" }, "record");
    expect(fresh).toMatchObject({ from: "pg-a", to: "pg-b", completed: 0, rolledBack: false });
    expect(nextActions(fresh, "resume")).toEqual(MOVE_STEPS);
    expect(() => recordFor(undefined, { stack: STACK, placedOn: "pg-a", wish: "resume" }, "record")).toThrow(/--to <cluster>/);
    expect(() => recordFor(undefined, { stack: STACK, placedOn: "pg-a", wish: "rollback" }, "record")).toThrow(/no move to roll back/);
    expect(() => recordFor(undefined, { stack: STACK, placedOn: "pg-a", to: "pg-a", wish: "resume" }, "record")).toThrow(/already placed on pg-a/);
  });
});

describe("a stack file edited by hand in the middle of a move", () => {
  it("is refused unless it names where the record says the org lives, so --finish never drops the copy the stack file names", () => {
    fc.assert(fc.property(anyRecord, fc.constantFrom(...CLUSTERS), (record, placedOn) => {
      const run = () => refuseMisplaced(record, placedOn, "record");
      const over = record.rolledBack || record.finished;
      const lives = switched(record) ? record.to : record.from;
      if (over || record.inFlight === "switch" || placedOn === lives) expect(run).not.toThrow();
      else expect(run).toThrow(MoveRefused);
      // The one case that would drop live data: switched, not finished, and the file back on the source.
      if (retainingOldCopy(record) && placedOn === record.from) expect(run).toThrow(/put placement.cluster back to/);
    }));
  });
});

describe("the lock-out while a move is under way", () => {
  const project = mkdtempSync(join(tmpdir(), "tenantry-move-record-"));
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it("refuses up, prove and offboard of an org exactly while its move is neither switched nor rolled back, naming the record and both ways on", () => {
    fc.assert(fc.property(anyRecord, fc.constantFrom("up --local", "prove --local", "offboard"), (record, command) => {
      writeMoveFile(project, { org: "moving", record, memberships: [] });
      const run = () => refuseWhileMoving(project, command, ["other", "moving"]);
      if (!unfinished(record)) {
        expect(run).not.toThrow();
        return;
      }
      expect(run).toThrow(SpecError);
      try {
        run();
      } catch (error) {
        const [problem] = (error as SpecError).problems;
        expect(problem?.message).toContain(`${command} refused: ${STACK} is being moved from pg-a to ${record.to} (record .tenantry/moves/moving.json)`);
        expect(problem?.message).toContain(`tenantry move ${STACK} --rollback`);
      }
    }));
    // Another org, without a record, is never refused.
    expect(() => refuseWhileMoving(project, "up --local", ["other"])).not.toThrow();
  });

  it("keeps the record in a file only its owner can read", () => {
    writeMoveFile(project, { org: "moving", record: { stack: STACK, from: "pg-a", to: "pg-b", completed: 0, rollingBack: false, rolledBack: false, finished: false }, memberships: [] });
    expect(statSync(moveFilePath(project, "moving")).mode & 0o777).toBe(0o600);
    expect(() => moveFilePath(project, "../escape")).toThrow(/not an org slug/);
  });
});
