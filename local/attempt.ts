import { Client } from "pg";
import type { ServerInfo } from "./server";

/*
 * Connecting as a tenant role and trying something, reporting the SQLSTATE Postgres answered
 * with. The proof is built on these: a claim holds only if the server itself refuses.
 */

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

export interface Outcome {
  /** undefined when the server accepted everything. */
  readonly code: string | undefined;
  readonly message: string | undefined;
  readonly rows: readonly Record<string, unknown>[];
}

export function connectAs(server: ServerInfo, who: Credentials, database: string): Client {
  return new Client({ host: server.host, port: server.port, user: who.user, password: who.password, database, application_name: server.applicationName });
}

function outcomeOf(error: unknown): Outcome {
  const { code, message } = error as { code?: string; message?: string };
  return { code: code ?? "connection-error", message, rows: [] };
}

/**
 * Connects as `who` to `database` and runs each statement in turn; stops at the first refusal.
 * With `rollback`, everything runs in a transaction that is rolled back, so an attempt the
 * server wrongly allows leaves nothing behind.
 */
export async function attempt(
  server: ServerInfo,
  who: Credentials,
  database: string,
  statements: readonly string[],
  { rollback = false }: { rollback?: boolean } = {},
): Promise<Outcome> {
  const client = connectAs(server, who, database);
  client.on("error", () => undefined);
  try {
    await client.connect();
    if (rollback) await client.query("BEGIN");
    let rows: Record<string, unknown>[] = [];
    for (const sql of statements) rows = (await client.query(sql)).rows as Record<string, unknown>[];
    if (rollback) await client.query("ROLLBACK");
    return { code: undefined, message: undefined, rows };
  } catch (error) {
    return outcomeOf(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Connects once as `who` and tries each statement in a transaction of its own that is always
 * rolled back: one outcome per statement, and nothing an allowed attempt did is left behind.
 */
export async function attemptEach(server: ServerInfo, who: Credentials, database: string, statements: readonly string[]): Promise<Outcome[]> {
  const client = connectAs(server, who, database);
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    return statements.map(() => outcomeOf(error));
  }
  const outcomes: Outcome[] = [];
  try {
    for (const sql of statements) {
      await client.query("BEGIN");
      try {
        const rows = (await client.query(sql)).rows as Record<string, unknown>[];
        outcomes.push({ code: undefined, message: undefined, rows });
      } catch (error) {
        outcomes.push(outcomeOf(error));
      }
      await client.query("ROLLBACK");
    }
    return outcomes;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Opens `count` connections as `who` and then one more; reports how many succeeded and what the
 * extra one got. Every connection is closed again before returning.
 */
export async function connectionsUntilRefused(server: ServerInfo, who: Credentials, database: string, count: number) {
  const clients: Client[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const client = connectAs(server, who, database);
      client.on("error", () => undefined);
      clients.push(client);
      await client.connect();
    }
    const extra = await attempt(server, who, database, ["SELECT 1"]);
    return { opened: clients.length, extra };
  } catch (error) {
    return { opened: clients.length - 1, extra: outcomeOf(error) };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}
