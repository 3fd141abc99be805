import { appendFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import type { AppliedResource, LocalState, PendingChange } from "./state";

/*
 * The local apply records every resource as it goes, so a crash can resume; rewriting the whole
 * state file each time made an apply quadratic in its resources (a 200x3 org's 3,649 resources
 * wrote 3.9 MB 3,649 times: about 110 of its 130 s). Instead each step appends one line to a
 * journal beside the state file, and the whole state is written once at the end, which removes
 * the journal. Reading the state replays a journal a crash left over it. A crash can tear only
 * the line being appended, the last one: it is dropped, as if the step had not been recorded,
 * which the apply already survives (a step is marked pending before its SQL runs).
 */

/** One recorded step of one stack, replayed in order. */
export type JournalEntry =
  | { readonly stack: string; readonly pending: readonly PendingChange[] }
  | { readonly stack: string; readonly applied: AppliedResource }
  | { readonly stack: string; readonly removed: string };

export const journalPathOf = (stateFile: string) => `${stateFile}.journal`;

/** Appends steps; the file is private (0600) like the state, since applied resources hold generated passwords. */
export function appendJournal(stateFile: string, entries: readonly JournalEntry[]): void {
  if (entries.length === 0) return;
  mkdirSync(dirname(stateFile), { recursive: true, mode: 0o700 });
  appendFileSync(journalPathOf(stateFile), entries.map((entry) => `${JSON.stringify(entry)}\n`).join(""), { mode: 0o600 });
}

export function removeJournal(stateFile: string): void {
  rmSync(journalPathOf(stateFile), { force: true });
}

/** The journal's steps, in order; a torn last line (a crash while appending) is left out. */
export function readJournal(stateFile: string): JournalEntry[] {
  let text: string;
  try {
    text = readFileSync(journalPathOf(stateFile), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const lines = text.split("\n");
  // Every complete line ends with a newline, so the text after the last one is a torn line or "".
  lines.pop();
  return lines.map((line, i) => {
    try {
      return JSON.parse(line) as JournalEntry;
    } catch {
      throw new Error(`the local state's journal ${journalPathOf(stateFile)} is damaged at line ${i + 1}: remove .tenantry with tenantry down --local`);
    }
  });
}

/** The state with the journal's steps applied over it, in order (the state is changed in place). */
export function replayJournal(state: LocalState, entries: readonly JournalEntry[]): LocalState {
  for (const entry of entries) {
    const stack = (state.stacks[entry.stack] ??= { resources: [] });
    if ("pending" in entry) {
      stack.pending = [...entry.pending];
    } else if ("applied" in entry) {
      const at = stack.resources.findIndex((r) => r.urn === entry.applied.urn);
      if (at >= 0) stack.resources[at] = entry.applied;
      else stack.resources.push(entry.applied);
    } else {
      const at = stack.resources.findIndex((r) => r.urn === entry.removed);
      if (at >= 0) stack.resources.splice(at, 1);
    }
  }
  return state;
}
