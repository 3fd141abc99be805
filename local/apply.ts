import { Client } from "pg";
import { planChanges, type Change, type DesiredResource } from "./changes";
import { withMembership } from "./membership";
import type { LocalPaths } from "./paths";
import { translationFor, type ProviderContext, type SqlStep } from "./provider-sql";
import { readState, stackState, writeState, type AppliedResource, type PendingChange, type StackState } from "./state";

/*
 * Executes a change plan against the server, one resource at a time, recording each in the
 * state as soon as its SQL has run. Before a resource's SQL starts, the state marks it pending;
 * if the process dies there, the next run finds the mark and completes that resource instead of
 * failing on an object that already exists.
 */

export interface Connection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The provider's own database (`postgresql:database`). */
  readonly database: string;
}

export interface ApplyRequest {
  readonly paths: LocalPaths;
  /** The provider's login: a non-superuser with CREATEDB and CREATEROLE, as on a managed database. */
  readonly admin: Connection;
  readonly stack: string;
  readonly desired: readonly DesiredResource[];
  /** Passwords generated for this run, by resource name, to keep in the state. */
  readonly generatedPasswords: ReadonlyMap<string, string>;
  /** Test hook: stop, as a crash would, right after this many resources' SQL has run. */
  readonly interruptAfter?: number;
}

export class InterruptedApplyError extends Error {}

export class ApplyError extends Error {}

/** Applies what changed and returns the changes made (none when the server already matches). */
export async function applyChanges(request: ApplyRequest): Promise<Change[]> {
  const { paths, stack } = request;
  const state = readState(paths);
  const current = stackState(state, stack);
  const changes = planChanges(request.desired, current.resources, (type) => translationFor(type).replacesOn);
  const connections = new Connections(request.admin);
  const provider: ProviderContext = { adminUser: request.admin.user };
  const recovering = current.pending;
  try {
    for (const [index, change] of changes.entries()) {
      const pending = pendingOf(change);
      // One write per resource: it records the previous resource and marks this one pending.
      current.pending = pending;
      writeState(paths, state);
      const steps = await stepsFor(change, provider, connections, recovering?.urn === pending.urn ? recovering : undefined);
      await runSteps(steps, connections, describe(change));
      if (request.interruptAfter !== undefined && index + 1 >= request.interruptAfter) {
        throw new InterruptedApplyError(`interrupted after ${index + 1} resources (test hook)`);
      }
      record(current, change, request.generatedPasswords);
    }
    if (changes.length > 0) {
      delete current.pending;
      writeState(paths, state);
    }
  } finally {
    await connections.end();
  }
  return changes;
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
 * The provider's SQL for a change. When the previous run died inside this very resource, a
 * create whose object already exists becomes an update from what that run was creating, and a
 * delete whose object is gone becomes nothing: the provider's own Read would find the same.
 */
async function stepsFor(change: Change, provider: ProviderContext, connections: Connections, recovering: PendingChange | undefined): Promise<SqlStep[]> {
  switch (change.kind) {
    case "create": {
      const { type, inputs } = change.desired;
      if (recovering !== undefined && (await connections.exists(type, recovering.inputs))) {
        return translationFor(type).update(recovering.inputs, inputs, provider);
      }
      return translationFor(type).create(inputs, provider);
    }
    case "update":
      return translationFor(change.desired.type).update(change.previous.inputs, change.desired.inputs, provider);
    case "delete": {
      const { type, inputs } = change.previous;
      if (recovering !== undefined && !(await connections.exists(type, inputs))) return [];
      return translationFor(type).delete(inputs, provider);
    }
    case "options":
    case "retain":
      return [];
  }
}

async function runSteps(steps: readonly SqlStep[], connections: Connections, what: string): Promise<void> {
  for (const step of steps) {
    const client = await connections.to(step.database);
    try {
      if (step.transaction) await client.query("BEGIN");
      await withMembership(client, step.membership, async () => {
        // Inside a transaction, one round trip carries them all; CREATE DATABASE and friends
        // refuse to run in the implicit transaction of a multi-statement query, so one by one.
        if (step.transaction) await client.query(step.statements.join(";\n"));
        else for (const sql of step.statements) await client.query(sql);
      });
      if (step.transaction) await client.query("COMMIT");
    } catch (error) {
      if (step.transaction) await client.query("ROLLBACK").catch(() => undefined);
      throw new ApplyError(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

function record(current: StackState, change: Change, generated: ReadonlyMap<string, string>): void {
  if (change.kind === "delete" || change.kind === "retain") {
    const at = current.resources.findIndex((r) => r.urn === change.previous.urn);
    if (at >= 0) current.resources.splice(at, 1);
    return;
  }
  const previous = current.resources.find((r) => r.urn === change.desired.urn);
  const password = generated.get(change.desired.name) ?? previous?.outputs?.["result"];
  const applied: AppliedResource = {
    ...change.desired,
    ...(change.desired.type === "random:index/randomPassword:RandomPassword" && password !== undefined ? { outputs: { result: password } } : {}),
  };
  const at = current.resources.findIndex((r) => r.urn === applied.urn);
  if (at >= 0) current.resources[at] = applied;
  else current.resources.push(applied);
}

/** One admin connection per database, opened on first use. */
class Connections {
  private readonly clients = new Map<string, Client>();

  constructor(private readonly admin: Connection) {}

  async to(database: string | undefined): Promise<Client> {
    const name = database ?? this.admin.database;
    const open = this.clients.get(name);
    if (open !== undefined) return open;
    const client = new Client({ ...this.admin, database: name });
    client.on("error", () => undefined);
    await client.connect();
    this.clients.set(name, client);
    return client;
  }

  /** The provider's Exists checks, for the types whose create is not idempotent. */
  async exists(type: string, inputs: Readonly<Record<string, unknown>>): Promise<boolean> {
    const name = inputs["name"];
    const query =
      type === "postgresql:index/role:Role" ? "SELECT 1 FROM pg_roles WHERE rolname = $1"
      : type === "postgresql:index/database:Database" ? "SELECT 1 FROM pg_database WHERE datname = $1"
      : undefined;
    if (query === undefined) return true;
    return (await (await this.to(undefined)).query(query, [name])).rowCount !== 0;
  }

  async end(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.end().catch(() => undefined)));
    this.clients.clear();
  }
}
