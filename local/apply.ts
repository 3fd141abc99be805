import { planChanges, type Change, type DesiredResource } from "./changes";
import type { LocalPaths } from "./paths";
import { TYPE, translationFor, type ProviderContext, type SqlStep } from "./provider-sql";
import { ApplyError, Connections, runSteps, type Connection } from "./sql-runner";
import { readState, stackState, writeState, type AppliedResource, type PendingChange, type StackState } from "./state";
import { appendJournal, replayJournal, setPending, startJournal, type JournalEntry } from "./state-journal";

/*
 * Executes a change plan against the server, one resource at a time, recording each in the
 * state as soon as its SQL has run (appended to its journal: local/state-journal.ts). Before a
 * resource's SQL starts, the state marks it pending; if the process dies there, the next run
 * finds the mark and completes that resource instead of failing on an object that already exists. An interrupt (`signal`) stops between resources,
 * never inside one, so a Ctrl-C leaves nothing pending.
 */

export interface ApplyRequest {
  readonly paths: LocalPaths;
  /** The provider's login: a non-superuser with CREATEDB and CREATEROLE, as on a managed database. */
  readonly admin: Connection;
  /** The stand-in for rds_superuser, used only by steps marked `elevated` (event triggers, large-object functions). */
  readonly superuser: Connection;
  readonly stack: string;
  readonly desired: readonly DesiredResource[];
  /** Passwords generated for this run, by resource name, to keep in the state. */
  readonly generatedPasswords: ReadonlyMap<string, string>;
  /** Test hook: stop, as a crash would, at the `at`-th change, before its SQL or after it (before it is recorded). */
  readonly interrupt?: Interruption;
  /** Aborted on SIGINT/SIGTERM: the apply records what it finished and stops before the next resource. */
  readonly signal?: AbortSignal;
}

export interface Interruption {
  readonly at: number;
  readonly when: "before-sql" | "after-sql";
}

export class InterruptedApplyError extends Error {}

/** Applies what changed since the recorded state and returns the changes made (none when the stack matches that state). */
export async function applyChanges(request: ApplyRequest): Promise<Change[]> {
  const { paths, stack } = request;
  const state = readState(paths);
  const current = stackState(state, stack);
  const changes = planChanges(request.desired, current.resources, translationFor);
  const connections = new Connections(request.admin, request.superuser);
  const provider: ProviderContext = { adminUser: request.admin.user };
  const interrupted = new Map((current.pending ?? []).map((p) => [p.urn, p]));
  // Each step is done to the copy in memory and appended to the journal; the state file itself
  // is written twice: here (folding any journal a crashed run left, the first change marked
  // pending) and at the end, or where the run stops (the compaction).
  const journal = (entry: JournalEntry) => {
    replayJournal(state, [entry]);
    appendJournal(paths, entry);
  };
  const first = changes[0];
  if (first !== undefined) {
    setPending(current, pendingOf(first).urn, pendingOf(first));
    writeState(paths, state);
    startJournal(paths);
  }
  try {
    for (const [index, change] of changes.entries()) {
      if (request.signal?.aborted === true) {
        writeState(paths, state);
        request.signal.throwIfAborted();
      }
      const pending = pendingOf(change);
      if (index > 0) journal({ stack, mark: pending });
      crashIf(request.interrupt, index, "before-sql");
      try {
        const steps = await stepsFor(change, provider, connections, interrupted.get(pending.urn));
        await runSteps(steps, connections, describe(change));
      } catch (error) {
        // Refused and rolled back: nothing of this resource was left behind, so it is not pending.
        // Refused after part of it took effect: it stays pending, and the next run completes it.
        if (!(error instanceof ApplyError && error.partial)) journal({ stack, urn: pending.urn, cleared: true });
        writeState(paths, state);
        throw error;
      }
      crashIf(request.interrupt, index, "after-sql");
      journal(recorded(stack, current, change, request.generatedPasswords, await readBack(change, connections)));
    }
    if (changes.length > 0) writeState(paths, state);
  } finally {
    await connections.end();
  }
  return changes;
}

function crashIf(interrupt: Interruption | undefined, index: number, when: Interruption["when"]): void {
  if (interrupt?.at === index + 1 && interrupt.when === when) {
    throw new InterruptedApplyError(`interrupted at change ${index + 1}, ${when} (test hook)`);
  }
}

function pendingOf(change: Change): PendingChange {
  switch (change.kind) {
    case "create":
      return { urn: change.desired.urn, action: "create", inputs: change.desired.inputs };
    case "update":
    case "options":
      return { urn: change.desired.urn, action: "update", inputs: change.desired.inputs };
    case "delete":
    case "retain":
      return { urn: change.previous.urn, action: "delete", inputs: change.previous.inputs };
  }
}

function describe(change: Change): string {
  const resource = "desired" in change ? change.desired : change.previous;
  return `${change.kind} ${resource.name}`;
}

/**
 * The provider's SQL for a change. When an earlier run died inside this very resource, a create
 * whose object now exists becomes an update from what that run was creating, and a delete whose
 * object is gone becomes nothing: the provider's own Read would find the same. Creates of the
 * other types are repeatable as they are.
 */
async function stepsFor(change: Change, provider: ProviderContext, connections: Connections, interrupted: PendingChange | undefined): Promise<SqlStep[]> {
  switch (change.kind) {
    case "create": {
      const { type, inputs } = change.desired;
      const translation = translationFor(type);
      if (interrupted !== undefined && (await connections.exists(type, interrupted.inputs))) {
        return translation.update(interrupted.inputs, inputs, provider);
      }
      return translation.create(inputs, provider);
    }
    case "update":
      return translationFor(change.desired.type).update(change.previous.inputs, change.desired.inputs, provider);
    case "delete": {
      const { type, inputs } = change.previous;
      if (interrupted !== undefined && (await connections.exists(type, inputs)) === false) return [];
      return translationFor(type).delete(inputs, provider);
    }
    case "options":
    case "retain":
      return [];
  }
}

/** The provider's Read after a create, for the types whose state it shapes (Translation.readBack). */
async function readBack(change: Change, connections: Connections): Promise<Record<string, unknown> | undefined> {
  if (change.kind !== "create") return undefined;
  const read = translationFor(change.desired.type).readBack;
  if (read === undefined) return undefined;
  const { rows } = await (await connections.to(undefined)).query(read.query, read.params(change.desired.inputs));
  return read.outputs(rows[0] as Record<string, unknown> | undefined);
}

/** The journal entry that records a finished change, and clears its pending mark. */
function recorded(stack: string, current: StackState, change: Change, generated: ReadonlyMap<string, string>, read: Record<string, unknown> | undefined): JournalEntry {
  if (change.kind === "delete" || change.kind === "retain") return { stack, urn: change.previous.urn, removed: true };
  const previous = current.resources.find((r) => r.urn === change.desired.urn);
  const password = generated.get(change.desired.name) ?? previous?.outputs?.["result"];
  // An update keeps what the create read back: the provider's update reads again, and nothing here updates a GrantRole.
  const kept = read ?? (change.kind === "create" ? undefined : previous?.outputs?.["read"]);
  const outputs = {
    ...(change.desired.type === TYPE.randomPassword && password !== undefined ? { result: password } : {}),
    ...(kept === undefined ? {} : { read: kept }),
  };
  const applied: AppliedResource = { ...change.desired, ...(Object.keys(outputs).length === 0 ? {} : { outputs }) };
  return { stack, urn: applied.urn, applied };
}
