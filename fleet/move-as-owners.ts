import type { Client } from "pg";
import { copySequences, copyTable, pinTextForms, type OwnersBySide } from "./move-copy";
import { grantSetRoleSql, maySetRoleSql, ownersSql, ownersToAssume } from "./move-owners";
import { MoveRefused } from "./move-plan";
import { unexpectedOwners } from "./move-trust";
import { compareDigests, digestSide, inventorySql, LEDGER_TABLES, ledgerWritersSql, qualified, type SideDigest, type TableRef } from "./move-verify";

/*
 * The copy and the verification of a move, run on two open sessions of the provider login (one
 * per cluster, in the org database) as each table's owner (fleet/move-owners.ts). The caller
 * journals every temporary membership before it is granted and revokes them after, so that a
 * crash in between leaves them for the next run to revoke.
 */

export interface OwnerPair {
  readonly source: Client;
  readonly target: Client;
  /** Each side's cluster, for the journal and for messages. */
  readonly clusters: { readonly source: string; readonly target: string };
  /** Called before each temporary membership is granted: the journal entry a crash must leave behind. */
  readonly journal: (cluster: string, role: string) => void;
  /** The one owner each schema's tables and sequences must have (fleet/move-trust.ts expectedOwners): no other is assumed. */
  readonly expectedOwners: ReadonlyMap<string, string>;
}

/**
 * Each table's and sequence's owner on one side, by qualified name. Refused when any is not its
 * schema's expected owner: the login would grant itself SET on whatever role the catalog names
 * and run the copy as it (another org's role, the provider login, a role with more rights).
 */
async function ownersOn(client: Client, schemas: readonly string[], expected: ReadonlyMap<string, string>, side: string): Promise<Map<string, string>> {
  const rows = (await client.query(ownersSql(schemas))).rows as Record<string, unknown>[];
  const strangers = unexpectedOwners(rows.map((r) => ({ schema: String(r["schema"]), name: String(r["name"]), owner: String(r["owner"]) })), expected, side);
  if (strangers.length > 0) throw new MoveRefused(`nothing is copied or verified as a role the org does not own:\n${strangers.map((s) => `  - ${s}`).join("\n")}\nroll back with --rollback`);
  return new Map(rows.map((r) => [qualified({ schema: String(r["schema"]), table: String(r["name"]) }), String(r["owner"])]));
}

/** Makes the login able to SET ROLE to each owner, journaling each grant before it is made. */
async function assume(client: Client, cluster: string, owners: ReadonlyMap<string, string>, journal: OwnerPair["journal"]): Promise<void> {
  for (const role of ownersToAssume([...owners.values()].map((owner) => ({ owner })))) {
    const [row] = (await client.query(maySetRoleSql(role))).rows as Record<string, unknown>[];
    if (row?.["may_set"] === true) continue;
    if (row?.["self_granted"] === true) {
      throw new Error(`${cluster}: the provider login holds a membership in ${role} it granted itself without SET; a temporary grant would replace it and its revoke remove it. Grant it SET (or let the apply do it) and rerun`);
    }
    journal(cluster, role);
    await client.query(grantSetRoleSql(role));
  }
}

/** Both sides' owners, each assumable by the login. */
async function assumeOwners(pair: OwnerPair, schemas: readonly string[]): Promise<OwnersBySide> {
  const owners = {
    source: await ownersOn(pair.source, schemas, pair.expectedOwners, `source ${pair.clusters.source}`),
    target: await ownersOn(pair.target, schemas, pair.expectedOwners, `target ${pair.clusters.target}`),
  };
  await assume(pair.source, pair.clusters.source, owners.source, pair.journal);
  await assume(pair.target, pair.clusters.target, owners.target, pair.journal);
  return owners;
}

/** Every table of the schemas copied as its owner on each side, then every sequence. */
export async function copyAsOwners(pair: OwnerPair, schemas: readonly string[]): Promise<{ tables: number; rows: number }> {
  const owners = await assumeOwners(pair, schemas);
  await Promise.all([pinTextForms(pair.source), pinTextForms(pair.target)]);
  const tables: TableRef[] = ((await pair.source.query(inventorySql(schemas))).rows as Record<string, unknown>[])
    .map((r) => ({ schema: String(r["schema"]), table: String(r["table"]) }));
  let rows = 0;
  for (const ref of tables) {
    const name = qualified(ref);
    rows += await copyTable(pair.source, pair.target, ref, { source: owners.source.get(name), target: owners.target.get(name) });
  }
  await copySequences(pair.source, pair.target, schemas, owners);
  return { tables: tables.length, rows };
}

/** Both sides digested as each table's owner, and every difference between them (with any tenant writer of the target's ledger). */
export async function verifyAsOwners(pair: OwnerPair, schemas: readonly string[], writers: readonly string[]): Promise<{ differences: string[]; source: SideDigest }> {
  const owners = await assumeOwners(pair, schemas);
  const queryOf = (client: Client) => async (sql: string) => (await client.query(sql)).rows as Record<string, unknown>[];
  const [source, target] = await Promise.all([
    digestSide(queryOf(pair.source), schemas, LEDGER_TABLES, owners.source),
    digestSide(queryOf(pair.target), schemas, LEDGER_TABLES, owners.target),
  ]);
  const ledgerWriters = ((await pair.target.query(ledgerWritersSql(writers, LEDGER_TABLES))).rows as Record<string, unknown>[])
    .map((r) => ({ role: String(r["role"]), table: String(r["table"]), privilege: String(r["privilege"]) }));
  return { differences: compareDigests(source, target, ledgerWriters), source };
}
