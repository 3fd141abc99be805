import { relative } from "node:path";
import { MOVE_STEPS, MoveRefused, nextActions, type MoveRecord, type MoveWish } from "../../fleet/move-plan";
import { moveFilePath, readMoveFile, recordFor, refuseMisplaced, writeMoveFile } from "../../fleet/move-record";
import { VerificationFailed } from "../../fleet/move-run";
import type { MoveHooks } from "../../fleet/move-local";
import { SpecError } from "../../spec/spec-errors";
import { EXIT_OK, EXIT_VIOLATIONS } from "../exit-codes";
import { withLocalSession } from "../local-session";

/*
 * `tenantry move <stack> --to <cluster> [--migrate <command>] [--rollback] [--finish]`: a placed
 * org's database moved between two local cluster servers (docs/move.md). The whole run holds the
 * project's local lock; its progress is the record file .tenantry/moves/<org>.json, saved before
 * and after each action, so a rerun resumes (or rolls back) from wherever a run stopped.
 */

export interface MoveOptions {
  readonly to?: string;
  readonly migrate?: string;
  readonly rollback?: boolean;
  readonly finish?: boolean;
  /** Test hooks (never set by the command line). */
  readonly hooks?: MoveHooks;
}

function wishOf(options: MoveOptions): MoveWish {
  if (options.rollback === true && options.finish === true) throw new SpecError([{ field: "--rollback", message: "--rollback and --finish do not go together: --rollback undoes a move before its switch, --finish drops the old copy after it" }]);
  if ((options.rollback === true || options.finish === true) && options.to !== undefined) {
    throw new SpecError([{ field: "--to", message: `--to starts or resumes a move; --${options.rollback === true ? "rollback" : "finish"} works on the org's saved move` }]);
  }
  return options.rollback === true ? "rollback" : options.finish === true ? "finish" : "resume";
}

export async function move(stackArg: string, options: MoveOptions, projectDir: string): Promise<number> {
  try {
    return await moveUnderLock(stackArg, options, projectDir);
  } catch (error) {
    // A refusal is about the input or the move's state: one line, exit 2, the record as it was.
    if (error instanceof MoveRefused) throw new SpecError([{ field: "move", message: error.message }]);
    throw error;
  }
}

async function moveUnderLock(stackArg: string, options: MoveOptions, projectDir: string): Promise<number> {
  const wish = wishOf(options);
  return withLocalSession(projectDir, async ({ signal }) => {
    const [{ loadLocalStack }, { runMove }, { LocalMoveActions }] = await Promise.all([
      import("../../local/up.js"), import("../../fleet/move-run.js"), import("../../fleet/move-local.js"),
    ]);
    const stack = loadLocalStack(projectDir, stackArg);
    if (stack.placement === undefined) {
      throw new SpecError([{ field: "tenantry:org.placement", message: `${stack.stackFile.stack} has no placement.cluster: only an org placed on a platform cluster moves (docs/placement.md)` }]);
    }
    const { spec } = stack.tenant;
    const recordFile = relative(projectDir, moveFilePath(projectDir, spec.slug));
    const saved = readMoveFile(projectDir, spec.slug);
    if (options.to !== undefined && !stack.placement.clusters.some((c) => c.name === options.to)) {
      const names = stack.placement.clusters.map((c) => c.name).join(", ");
      throw new SpecError([{ field: "--to", message: `--to ${options.to} is not a cluster of tenantry:platform.clusters in platform/Pulumi.platform.yaml (declared: ${names})` }]);
    }
    let record = recordFor(saved?.record, { stack: stack.stackFile.stack, placedOn: stack.placement.cluster, ...(options.to === undefined ? {} : { to: options.to }), wish }, recordFile);
    refuseMisplaced(record, stack.placement.cluster, recordFile);
    const actions = nextActions(record, wish);
    if (actions.length === 0) {
      console.log(describeOver(record, recordFile));
      return EXIT_OK;
    }
    const fresh = saved?.record !== record;
    const local = new LocalMoveActions({
      projectDir, stackArg, org: spec.slug, environments: spec.environments, workspaces: spec.workspaces.map((w) => w.slug), signal,
      ...(options.migrate === undefined ? {} : { migrate: options.migrate }), ...(options.hooks === undefined ? {} : { hooks: options.hooks }),
      log: (line) => console.log(`  ${line}`),
    });
    // Refused before anything is frozen: the target's tables come from the org's migrations.
    if (actions.includes("create-tables") && options.migrate === undefined && saved?.migrate === undefined && (fresh || record.completed <= 1)) {
      const tables = await local.sourceTables(record.from);
      if (tables.length > 0) throw new MoveRefused(`${record.stack}'s source holds tables (${tables.join(", ")}): the target's are made by the org's migrations; run again with --migrate <command> (docs/move.md)`);
    }
    // Refused before anything is frozen when the source's tables would make the copy run tenant
    // code; create-tables checks again after the freeze, which is what holds.
    if (actions.includes("freeze-source")) {
      const refusals = await local.tenantCodeRefusals(record.from);
      if (refusals.length > 0) throw new MoveRefused(`${record.stack} cannot be moved: the copy would run the tenant's own code for these tables, nothing was frozen:\n${refusals.map((r) => `  - ${r}`).join("\n")}\nsee "What the shape check refuses" in docs/move.md`);
    }
    const migrate = options.migrate ?? saved?.migrate;
    writeMoveFile(projectDir, {
      org: spec.slug, record, memberships: fresh ? [] : saved?.memberships ?? [],
      ...(fresh ? {} : { ...(saved?.sourceLogins === undefined ? {} : { sourceLogins: saved.sourceLogins }), ...(saved?.targetLogins === undefined ? {} : { targetLogins: saved.targetLogins }) }),
      ...(migrate === undefined ? {} : { migrate }),
    });
    console.log(`${describeStart(record, wish, fresh)} (record ${recordFile})`);
    const started = Date.now();
    const save = async (next: MoveRecord) => {
      const file = readMoveFile(projectDir, spec.slug);
      if (file === undefined) throw new Error("internal: the move's record file is gone");
      writeMoveFile(projectDir, { ...file, record: next });
    };
    try {
      // Resuming straight into the switch: the verification that allows it ran in an earlier run,
      // and the record saying so is a file anyone with the project can edit (or the target may
      // have changed since). The switch is the commit point, so the target is verified again first;
      // a difference rolls back as a failed verification does.
      if (!fresh && wish === "resume" && actions[0] === "switch" && record.inFlight === undefined) {
        try {
          await local.run("verify", record);
        } catch (error) {
          if (error instanceof VerificationFailed) record = await runMove(record, "rollback", local.run, save);
          throw error;
        }
      }
      record = await runMove(record, wish, local.run, save);
    } catch (error) {
      if (error instanceof VerificationFailed) {
        console.error(`${error.message}\nthe move was rolled back: ${record.stack} is writable on ${record.from} again, and ${record.to} holds nothing of it`);
        return EXIT_VIOLATIONS;
      }
      throw error;
    }
    console.log(`${describeOver(record, recordFile)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return EXIT_OK;
  });
}

function describeStart(record: MoveRecord, wish: MoveWish, fresh: boolean): string {
  const { stack, from, to } = record;
  if (wish === "rollback") return `rolling back the move of ${stack} from ${from} to ${to}`;
  if (wish === "finish") return `finishing the move of ${stack}: dropping its old copy on ${from}`;
  return fresh ? `moving ${stack} from ${from} to ${to}` : `resuming the move of ${stack} from ${from} to ${to} after ${MOVE_STEPS.slice(0, record.completed).join(", ") || "no completed step"}`;
}

function describeOver(record: MoveRecord, recordFile: string): string {
  const { stack, from, to } = record;
  if (record.finished) return `${stack} lives on ${to}; its old copy on ${from} is dropped (record ${recordFile})`;
  if (record.rolledBack) return `the move of ${stack} to ${to} is rolled back: ${stack} lives on ${from}, writable, and ${to} holds nothing of it`;
  if (record.completed === MOVE_STEPS.length) {
    return `${stack} lives on ${to}: the stack file places it there and its logins work there. Its old copy stays on ${from}, frozen, until \`tenantry move ${stack} --finish\``;
  }
  return `the move of ${stack} to ${to} stopped after ${MOVE_STEPS.slice(0, record.completed).join(", ") || "no step"}`;
}
