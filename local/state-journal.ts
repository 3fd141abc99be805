import { createHash } from "node:crypto";
import { appendFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { LocalPaths } from "./paths";
import type { AppliedResource, LocalState, PendingChange, StackState } from "./state";

/*
 * The apply's journal: one line appended per step of a change, instead of the whole state file
 * rewritten per resource (which made a first apply O(resources²) in bytes written). The state
 * file stays the base; reading the state folds the journal in, and writing the state (the
 * compaction, once at the start and once at the end of an apply) removes it. Like the state, it
 * holds generated passwords: it is created 0600 in the state's 0700 directory.
 *
 * Its first line names the state file it continues (a hash of its bytes). A journal that names
 * another was already folded into the state by a compaction that crashed before removing it,
 * and is ignored: replaying it again could reorder resources a replacement had moved.
 */

/** The first line: which state file the entries after it apply to. */
interface JournalHeader {
  readonly continues: string;
}

export type JournalEntry =
  /** The change to `mark.urn` is starting: the next run finishes it if nothing follows. */
  | { readonly stack: string; readonly mark: PendingChange }
  /** Refused and rolled back: nothing of it took effect, so it is no longer pending. */
  | { readonly stack: string; readonly urn: string; readonly cleared: true }
  /** Applied and recorded (created, updated, or only its options changed): no longer pending. */
  | { readonly stack: string; readonly urn: string; readonly applied: AppliedResource }
  /** Deleted or retained: gone from the state, no longer pending. */
  | { readonly stack: string; readonly urn: string; readonly removed: true };

/** Beside the state file it belongs to (tests and cluster servers keep several state files in one folder). */
export function journalFile(paths: Pick<LocalPaths, "stateFile">): string {
  return `${paths.stateFile}.journal`;
}

function stateDigest(paths: Pick<LocalPaths, "stateFile">): string | undefined {
  try {
    return createHash("sha256").update(readFileSync(paths.stateFile)).digest("hex");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Starts an empty journal continuing the state file as it is now (written just before, by the compaction). */
export function startJournal(paths: Pick<LocalPaths, "stateFile">): void {
  const header: JournalHeader = { continues: stateDigest(paths) ?? "" };
  writeFileSync(journalFile(paths), `${JSON.stringify(header)}\n`, { mode: 0o600 });
}

export function appendJournal(paths: Pick<LocalPaths, "stateFile">, entry: JournalEntry): void {
  appendFileSync(journalFile(paths), `${JSON.stringify(entry)}\n`, { mode: 0o600 });
}

export function removeJournal(paths: Pick<LocalPaths, "stateFile">): void {
  rmSync(journalFile(paths), { force: true });
}

/**
 * The journal's entries, in order, when it continues the state file as it is; none otherwise.
 * A last line cut short (the machine lost power inside an append) is dropped: every entry is
 * appended before the step it announces or after the one it records, so losing the last one
 * leaves the change pending or not yet started, and the next run does it again, as it would
 * after a crash a moment earlier. A torn line anywhere else is not
 * explainable by a crash, and is an error.
 */
export function readJournal(paths: Pick<LocalPaths, "stateFile">): JournalEntry[] {
  let text: string;
  try {
    text = readFileSync(journalFile(paths), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const lines = text.split("\n");
  const complete = text.endsWith("\n");
  const parsed: unknown[] = [];
  for (const [index, line] of lines.entries()) {
    if (line === "") continue;
    // An entry counts once its newline is written: a last line without one is an append cut short.
    if (index === lines.length - 1 && !complete) break;
    try {
      parsed.push(JSON.parse(line));
    } catch (error) {
      throw new Error(`${journalFile(paths)}: line ${index + 1} is not a journal entry (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  const [header, ...entries] = parsed;
  if (header === undefined) return [];
  if ((header as JournalHeader).continues !== (stateDigest(paths) ?? "")) return [];
  return entries as JournalEntry[];
}

/** Applies the entries to the state in order, as the apply did to its copy in memory. */
export function replayJournal(state: LocalState, entries: readonly JournalEntry[]): LocalState {
  for (const entry of entries) {
    const stack = (state.stacks[entry.stack] ??= { resources: [] });
    if ("mark" in entry) {
      setPending(stack, entry.mark.urn, entry.mark);
      continue;
    }
    setPending(stack, entry.urn, undefined);
    if ("applied" in entry) upsert(stack, entry.applied);
    else if ("removed" in entry) remove(stack, entry.urn);
  }
  return state;
}

/** A change's mark replaces any mark of the same resource (an earlier run's interrupted one). */
export function setPending(stack: StackState, urn: string, next: PendingChange | undefined): void {
  const rest = (stack.pending ?? []).filter((p) => p.urn !== urn);
  stack.pending = next === undefined ? rest : [...rest, next];
}

/** In place when it was applied before (the state keeps the order resources were first applied in), else last. */
export function upsert(stack: StackState, applied: AppliedResource): void {
  const at = stack.resources.findIndex((r) => r.urn === applied.urn);
  if (at >= 0) stack.resources[at] = applied;
  else stack.resources.push(applied);
}

export function remove(stack: StackState, urn: string): void {
  const at = stack.resources.findIndex((r) => r.urn === urn);
  if (at >= 0) stack.resources.splice(at, 1);
}
