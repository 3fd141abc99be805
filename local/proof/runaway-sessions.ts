import type { Client } from "pg";
import { connectAs, type Credentials } from "../attempt";
import type { ServerInfo } from "../server";

/*
 * Sessions that try to outlive their limits, each on a connection of its own, timed from the
 * moment the runaway part starts to the moment the session is gone (or the attempt gives up).
 */

/** How a runaway session came to an end. */
export interface Ending {
  /** "ended": the server ended it (code says how); "completed": it ran to its end; "still open": nothing ended it. */
  readonly how: "ended" | "completed" | "still open";
  readonly code: string | undefined;
  /** From the start of the runaway part to its end, as the client saw it. */
  readonly afterMs: number;
}

async function open(server: ServerInfo, who: Credentials, database: string, setup: readonly string[]): Promise<Client> {
  const client = connectAs(server, who, database);
  client.on("error", () => undefined);
  await client.connect();
  for (const sql of setup) await client.query(sql);
  return client;
}

/** Runs `setup`, then `sql`, and reports whether and when `sql` was ended. */
export async function runQueryUntilEnded(server: ServerInfo, who: Credentials, database: string, setup: readonly string[], sql: string): Promise<Ending> {
  const client = await open(server, who, database, setup);
  const started = Date.now();
  try {
    await client.query(sql);
    return { how: "completed", code: undefined, afterMs: Date.now() - started };
  } catch (error) {
    return { how: "ended", code: (error as { code?: string }).code, afterMs: Date.now() - started };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Runs `setup`, opens a transaction, and leaves it idle; reports whether and when the server
 * ended the session. Gives up after `giveUpAfterMs`, rolling back and closing it itself.
 */
export async function idleInTransactionUntilEnded(
  server: ServerInfo, who: Credentials, database: string, setup: readonly string[], giveUpAfterMs: number,
): Promise<Ending> {
  const client = await open(server, who, database, setup);
  let code: string | undefined;
  const ended = new Promise<void>((resolve) => {
    client.on("error", (error: Error & { code?: string }) => (code ??= error.code));
    client.on("end", resolve);
  });
  await client.query("BEGIN");
  await client.query("SELECT 1");
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<"gave up">((resolve) => (timer = setTimeout(() => resolve("gave up"), giveUpAfterMs)));
  try {
    const outcome = await Promise.race([ended.then(() => "ended" as const), gaveUp]);
    return outcome === "ended" ? { how: "ended", code, afterMs: Date.now() - started } : { how: "still open", code: undefined, afterMs: Date.now() - started };
  } finally {
    clearTimeout(timer);
    await client.query("ROLLBACK").catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

/**
 * Holds an advisory lock as `holder` while `who` waits for the same lock; the holder lets go
 * after `giveUpAfterMs`, so a wait nothing ends still finishes (and is then reported completed).
 */
export async function lockWaitUntilEnded(
  server: ServerInfo, holder: Credentials, who: Credentials, database: string, setup: readonly string[], key: bigint, giveUpAfterMs: number,
): Promise<Ending> {
  const holding = await open(server, holder, database, [`SELECT pg_advisory_lock(${key})`]);
  const release = setTimeout(() => void holding.end().catch(() => undefined), giveUpAfterMs);
  try {
    return await runQueryUntilEnded(server, who, database, setup, `SELECT pg_advisory_lock(${key})`);
  } finally {
    clearTimeout(release);
    await holding.end().catch(() => undefined);
  }
}
