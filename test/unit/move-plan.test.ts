import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  beginAction, completeAction, MOVE_STEPS, MoveRefused, nextActions, placementOf, startMove,
  type MoveAction, type MoveRecord, type MoveWish,
} from "../../fleet/move-plan";
import { runMove, VerificationFailed } from "../../fleet/move-run";

/*
 * The move as the adversary of docs/move.md sees it: a process killed at any point of any
 * action, then rerun with any wish, any number of times. A model of the two clusters records
 * what each action did (all, part or none of its effects), and the invariants are checked after
 * every single effect, not only between actions.
 */

interface World {
  placement: string;
  sourceData: "intact" | "dropped";
  sourceLogins: boolean;
  targetDb: boolean;
  targetData: "none" | "partial" | "complete";
  verified: boolean;
  targetLogins: boolean;
}

const FROM = "pg-a";
const TO = "pg-b";

/** Each action's effects, in the order it makes them; an interruption keeps a prefix. */
function effects(action: MoveAction): ((world: World) => void)[] {
  switch (action) {
    case "prepare-target": return [(w) => { w.targetDb = true; }];
    case "freeze-source": return [(w) => { w.sourceLogins = false; }];
    case "create-tables": return [];
    case "copy": return [(w) => { w.targetData = "partial"; w.verified = false; }, (w) => { w.targetData = "complete"; }];
    // The real verification fails (and runMove rolls back) unless the copy is complete.
    case "verify": return [(w) => { if (w.targetData !== "complete") throw new VerificationFailed(["incomplete"]); w.verified = true; }];
    case "switch": return [(w) => { w.placement = TO; }, (w) => { w.targetLogins = true; }];
    case "unfreeze-source": return [(w) => { w.sourceLogins = true; }];
    case "drop-target": return [(w) => { w.targetLogins = false; }, (w) => { w.targetDb = false; w.targetData = "none"; w.verified = false; }];
    case "drop-source": return [(w) => { w.sourceData = "dropped"; }];
  }
}

function violations(world: World): string[] {
  const found: string[] = [];
  if (world.placement === FROM && world.sourceData !== "intact") found.push("placement names a dropped source");
  if (world.placement === TO && !(world.targetData === "complete" && world.verified)) found.push("placement names an unverified target");
  if (world.sourceLogins && world.targetLogins) found.push("both copies writable");
  if (world.targetLogins && world.placement !== TO) found.push("target writable before the switch");
  return found;
}

interface Run { readonly wish: MoveWish; readonly interruptAt?: { readonly action: number; readonly effects: number } }
type Planner = (record: MoveRecord, wish: MoveWish) => readonly MoveAction[];

class Interrupted extends Error {}

/**
 * Runs the reruns through runMove against the model, checking the invariants after every
 * effect. An interruption stops the process after some of an action's effects: what survives
 * is the last record runMove saved, as on disk.
 */
async function simulate(runs: readonly Run[], planner: Planner = nextActions): Promise<{ record: MoveRecord; world: World; broken: string[] }> {
  let saved = startMove("acme-prod", FROM, TO);
  const world: World = { placement: FROM, sourceData: "intact", sourceLogins: true, targetDb: false, targetData: "none", verified: false, targetLogins: false };
  const broken: string[] = [];
  const save = async (record: MoveRecord) => { saved = record; };
  for (const run of runs) {
    let index = 0;
    const act = async (action: MoveAction) => {
      const steps = effects(action);
      const interrupted = run.interruptAt?.action === index++;
      for (const effect of interrupted ? steps.slice(0, run.interruptAt!.effects) : steps) {
        effect(world);
        broken.push(...violations(world));
      }
      if (interrupted) throw new Interrupted();
    };
    try {
      if (planner === nextActions) await runMove(saved, run.wish, act, save);
      else for (const action of planner(saved, run.wish)) { saved = beginAction(saved, action); await act(action); saved = completeAction(saved, action); }
    } catch (error) {
      if (!(error instanceof Interrupted || error instanceof MoveRefused || error instanceof VerificationFailed)) throw error;
    }
  }
  return { record: saved, world, broken };
}

const wishes = fc.constantFrom<MoveWish>("resume", "rollback", "finish");
const interruptedRun = fc.record({ wish: wishes, interruptAt: fc.record({ action: fc.nat({ max: 7 }), effects: fc.nat({ max: 2 }) }) });
const cleanRun = fc.record({ wish: wishes }, { requiredKeys: ["wish"] });
const runs = fc.array(fc.oneof(interruptedRun, cleanRun), { maxLength: 8 });

describe("the move plan", () => {
  it("keeps the placement on a complete copy, and never leaves both copies writable, however often a move is interrupted and rerun", async () => {
    await fc.assert(fc.asyncProperty(runs, async (sequence) => {
      expect((await simulate(sequence)).broken).toEqual([]);
    }), { numRuns: 2000 });
  });

  it("ends moved (target serving, source retained and frozen) or rolled back (source writable, target gone) once a rerun is not interrupted", async () => {
    await fc.assert(fc.asyncProperty(runs, fc.constantFrom<MoveWish>("resume", "rollback"), async (sequence, last) => {
      const { record, world } = await simulate([...sequence, { wish: last }, { wish: "resume" }]);
      const moved = world.placement === TO && world.targetLogins && !world.sourceLogins && world.verified;
      const rolledBack = world.placement === FROM && world.sourceLogins && world.sourceData === "intact" && !world.targetDb;
      expect(moved !== rolledBack).toBe(true);
      expect(placementOf(record)).toBe(world.placement);
      if (moved && !record.finished) expect(world.sourceData).toBe("intact");
    }), { numRuns: 2000 });
  });

  it("drops the source only on --finish after a completed switch", async () => {
    await fc.assert(fc.asyncProperty(runs, async (sequence) => {
      const { record, world } = await simulate(sequence);
      if (world.sourceData === "dropped") {
        expect(record.finished || record.inFlight === "drop-source").toBe(true);
        expect(sequence.some((run) => run.wish === "finish")).toBe(true);
        expect(world.placement).toBe(TO);
      }
    }), { numRuns: 2000 });
  });

  it("control: a planner that lets a rollback through after the switch breaks the placement invariant the model checks", async () => {
    const lenient: Planner = (record, wish) => {
      try {
        return nextActions(record, wish);
      } catch {
        return ["unfreeze-source", "drop-target"];
      }
    };
    const { broken } = await simulate([{ wish: "resume" }, { wish: "rollback" }], lenient);
    expect(broken).toContain("placement names an unverified target");
    expect((await simulate([{ wish: "resume" }, { wish: "rollback" }])).broken).toEqual([]);
  });

  it("rolls back at once when the verification finds a difference, and says what differed", async () => {
    const ran: MoveAction[] = [];
    let saved = startMove("acme-prod", FROM, TO);
    const run = async (action: MoveAction) => {
      ran.push(action);
      if (action === "verify") throw new VerificationFailed(['"web_dev"."orders": 10 rows on the source, 9 on the target']);
    };
    await expect(runMove(saved, "resume", run, async (record) => { saved = record; })).rejects.toThrow(/10 rows on the source, 9 on the target/);
    expect(ran).toEqual([...MOVE_STEPS.slice(0, MOVE_STEPS.indexOf("verify") + 1), "unfreeze-source", "drop-target"]);
    expect(saved.rolledBack).toBe(true);
    expect(placementOf(saved)).toBe(FROM);
  });

  it("resumes with the step that was in flight and never repeats a completed one", () => {
    fc.assert(fc.property(fc.nat({ max: MOVE_STEPS.length - 1 }), (completed) => {
      let record = startMove("acme-prod", FROM, TO);
      for (const step of MOVE_STEPS.slice(0, completed)) record = completeAction(beginAction(record, step), step);
      record = beginAction(record, MOVE_STEPS[completed]!);
      expect(nextActions(record, "resume")).toEqual(MOVE_STEPS.slice(completed));
    }));
  });

  it("refuses, saying what to run instead: a rollback after the switch, --finish before it, a move to where the org already is or to a cluster holding its old copy", () => {
    let record = startMove("acme-prod", FROM, TO);
    expect(() => nextActions(record, "finish")).toThrow(/has not switched to pg-b yet/);
    for (const step of MOVE_STEPS) record = completeAction(beginAction(record, step), step);
    expect(() => nextActions(record, "rollback")).toThrow(/tenantry move acme-prod --to pg-a/);
    expect(nextActions(record, "finish")).toEqual(["drop-source"]);
    expect(() => startMove("acme-prod", FROM, FROM)).toThrow(/already placed on pg-a/);
    expect(() => startMove("acme-prod", TO, FROM, [FROM])).toThrow(/--finish/);
  });

});
