import type { Client } from "pg";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll } from "vitest";
import type { ServerInfo } from "../../local/server";
import { upLocal } from "../../local/up";
import { localStack, writeStackFile } from "./local";
import { replay, tableText, type StoredEvent } from "./ledger-replay";
import { orgLogin } from "./org-login";

/*
 * What the attacker's pass over the ledger's format 2 works with (audit-format-attack.test.ts,
 * audit-format-held.test.ts): an org of one workspace and one environment applied locally, its two
 * tenant logins (the adversaries that hold database logins), fresh tables the DDL role makes, and
 * a replay of the events a transaction provoked beside the table it left (ledger-replay.ts): a
 * change recorded wrongly or not at all shows as a difference.
 */

export interface LedgerAttack {
  /** The environment's DDL login (tenant migrations). */
  readonly ddl: () => Client;
  /** The environment's runtime login (tenant app code). */
  readonly runtime: () => Client;
  /** A fresh table in web_dev made by the DDL role (so the guard covers it), dropped after `body`. */
  withTable<T>(definition: string, body: (table: string) => Promise<T>): Promise<T>;
  eventsOf(client: Client, correlation: string): Promise<StoredEvent[]>;
  rowsOf(client: Client, table: string): Promise<Record<string, unknown>[]>;
  /** Runs `statements` as `client` in a transaction rolled back at the end: what replaying its events gives, the table, and the events. */
  replayed(client: Client, table: string, statements: readonly string[]): Promise<{ replayed: string[]; table: string[]; events: StoredEvent[] }>;
}

/** The SQLSTATE a statement fails with, or "allowed". */
export const codeOf = (promise: Promise<unknown>) => promise.then(() => "allowed", (error: { code?: string }) => error.code ?? String(error));

/** Applies org `slug` (web, dev) before the file's tests and connects its two logins. */
export function ledgerAttack(slug: string): LedgerAttack {
  const stack = localStack(writeStackFile({ slug, tier: "sandbox", environments: ["dev"], workspaces: [{ slug: "web" }], claimedDomains: [`${slug}.example`] }), slug);
  const database = `tn_${slug}`;
  let ddl: Client | undefined;
  let runtime: Client | undefined;
  let tables = 0;
  beforeAll(async () => {
    await upLocal(stack);
    const server = JSON.parse(readFileSync(stack.paths.serverFile, "utf8")) as ServerInfo;
    ddl = orgLogin(stack, server, database, `tn_${slug}_dev_ddl`);
    runtime = orgLogin(stack, server, database, `tn_${slug}_dev_runtime`);
    await Promise.all([ddl.connect(), runtime.connect()]);
  });
  afterAll(async () => {
    await Promise.all([ddl?.end(), runtime?.end()]);
  });
  const connected = (client: Client | undefined) => {
    if (client === undefined) throw new Error("the logins connect in beforeAll");
    return client;
  };
  const eventsOf = async (client: Client, correlation: string) =>
    (await client.query("SELECT operation, primary_key, before, after, diff FROM audit.events WHERE correlation_id = $1 ORDER BY id", [correlation])).rows as StoredEvent[];
  const rowsOf = async (client: Client, table: string) =>
    (await client.query(`SELECT to_jsonb(t) AS row FROM ${table} AS t`)).rows.map((r) => r.row as Record<string, unknown>);
  return {
    ddl: () => connected(ddl),
    runtime: () => connected(runtime),
    eventsOf,
    rowsOf,
    async withTable(definition, body) {
      const table = `web_dev.attack${(tables += 1)}`;
      await connected(ddl).query(`CREATE TABLE ${table} (${definition})`);
      try {
        return await body(table);
      } finally {
        await connected(runtime).query("ROLLBACK").catch(() => undefined);
        await connected(ddl).query(`DROP TABLE ${table}`);
      }
    },
    async replayed(client, table, statements) {
      const correlation = `attack-${table}-${Math.random()}`;
      await client.query("BEGIN");
      try {
        await client.query(`SET LOCAL tenantry.correlation_id = '${correlation}'`);
        for (const statement of statements) await client.query(statement);
        const events = await eventsOf(client, correlation);
        const rows = await rowsOf(client, table);
        return { replayed: tableText(replay([], events)), table: tableText(rows), events };
      } finally {
        await client.query("ROLLBACK");
      }
    },
  };
}
