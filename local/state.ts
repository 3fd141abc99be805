import { createHash } from "node:crypto";
import type { LocalPaths } from "./paths";
import { readJsonIfExists, writePrivateJson } from "./private-file";
import { readJournal, removeJournal, replayJournal } from "./state-journal";

/*
 * What the local apply has done, per stack and URN, as Pulumi's state would record it. It holds
 * generated passwords in the clear, so it lives only in a 0600 file beside the data directory.
 */

export interface AppliedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** Inputs with secret envelopes removed: the state file is private, and SQL needs the values. */
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly inputsHash: string;
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly dependsOn: readonly string[];
  /** `ignoreChanges`: inputs compared with the state only at the create. */
  readonly ignoreChanges?: readonly string[];
  /** `deleteBeforeReplace`: a replacement deletes first (otherwise Pulumi creates the new object first). */
  readonly deleteBeforeReplace?: boolean;
  /**
   * Outputs the local engine produced itself, e.g. a generated password's `result`, or what the
   * provider read back after a create (a GrantRole's `withAdminOption`), which the next diff
   * compares with the inputs as Pulumi compares them with the state.
   */
  readonly outputs?: Readonly<Record<string, unknown>>;
}

/** A change that was started and not recorded as finished: the next run reconciles it first. */
export interface PendingChange {
  readonly urn: string;
  readonly action: "create" | "update" | "delete";
  /** The inputs being applied: what a half-finished create left on the server. */
  readonly inputs: Readonly<Record<string, unknown>>;
}

export interface StackState {
  /** Applied resources in the order they were applied (a valid dependency order). */
  readonly resources: AppliedResource[];
  /** Changes whose SQL may have run without being recorded; each stays until that resource is applied again. */
  pending?: PendingChange[];
}

export interface LocalState {
  readonly version: 1;
  readonly stacks: Record<string, StackState>;
}

/** The state file with the journal of an apply that has not compacted it yet (local/state-journal.ts) folded in. */
export function readState(paths: Pick<LocalPaths, "stateFile">): LocalState {
  const base = readJsonIfExists<LocalState>(paths.stateFile) ?? { version: 1, stacks: {} };
  return replayJournal(base, readJournal(paths));
}

/**
 * Writes the whole state and then drops the journal, which it includes: a journal a crash left
 * between the two names the state before this one, and is ignored (local/state-journal.ts).
 */
export function writeState(paths: Pick<LocalPaths, "stateFile">, state: LocalState): void {
  writePrivateJson(paths.stateFile, state);
  removeJournal(paths);
}

export function stackState(state: LocalState, stack: string): StackState {
  state.stacks[stack] ??= { resources: [] };
  return state.stacks[stack];
}

/** Order-independent hash of inputs: equal inputs, equal hash, whatever the key order. */
export function hashInputs(inputs: unknown): string {
  return createHash("sha256").update(canonicalJson(inputs)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
