import { rmSync } from "node:fs";
import { attempt } from "./attempt";
import { quoteIdent } from "../components/naming";
import { readJsonIfExists, writePrivateJson } from "./private-file";
import type { ServerInfo } from "./server";
import { SQLSTATE } from "./sqlstate";

/*
 * What the proof creates that other sessions must see, and so cannot keep inside a rolled-back
 * transaction: the table each DDL role creates for the runtime role to use, and the role that
 * stands for PUBLIC. Each is written to a journal before it is created. The proof drops what the
 * journal lists when it ends, however it ends; and every `prove` and `up` first drops what an
 * earlier proof, killed before its end, left listed. The journal names the exact objects, so the
 * clean-up can never take a tenant's own table for a proof's.
 */

export type ProofObject =
  | { readonly kind: "table"; readonly database: string; readonly schema: string; readonly table: string }
  | { readonly kind: "role"; readonly role: string };

interface Journal {
  readonly objects: readonly ProofObject[];
}

/** The database to connect to and the statement that drops `object`, whether or not it still exists. */
export function dropStatement(object: ProofObject): { readonly database: string; readonly sql: string } {
  return object.kind === "table"
    ? { database: object.database, sql: `DROP TABLE IF EXISTS ${quoteIdent(object.schema)}.${quoteIdent(object.table)}` }
    : { database: "postgres", sql: `DROP ROLE IF EXISTS ${quoteIdent(object.role)}` };
}

export function recordedProofObjects(file: string): ProofObject[] {
  return [...(readJsonIfExists<Journal>(file)?.objects ?? [])];
}

/** Write-ahead: called before the object is created, so a kill in between still leaves it listed. */
export function recordProofObject(file: string, object: ProofObject): void {
  writePrivateJson(file, { objects: [...recordedProofObjects(file), object] } satisfies Journal);
}

/**
 * Drops every object the journal lists, as the superuser (a tenant role's password may be what
 * is broken), tables before roles; then deletes the journal. An object whose database is gone
 * is gone with it. Returns how many were listed.
 */
export async function dropProofObjects(server: ServerInfo, file: string): Promise<number> {
  const objects = recordedProofObjects(file);
  if (objects.length === 0) return 0;
  const ordered = [...objects.filter((o) => o.kind === "table"), ...objects.filter((o) => o.kind === "role")];
  for (const object of ordered) {
    const { database, sql } = dropStatement(object);
    const { code, message } = await attempt(server, { user: server.user, password: server.password }, database, [sql]);
    // A table whose database is gone went with it.
    if (code !== undefined && code !== SQLSTATE.noSuchDatabase) throw new Error(`could not drop the proof's ${sql}: ${message ?? code}`);
  }
  rmSync(file, { force: true });
  return objects.length;
}
