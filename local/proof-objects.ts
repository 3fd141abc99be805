import { rmSync } from "node:fs";
import { Client } from "pg";
import { quoteIdent } from "../components/naming";
import { readJsonIfExists, writePrivateJson } from "./private-file";
import type { ServerInfo } from "./server";

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

/** Every name the proof gives itself: a double underscore, which no tenant slug composition has. */
export const PROOF_PREFIX = "tenantry__proof_";

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
    const client = new Client({ host: server.host, port: server.port, user: server.user, password: server.password, database });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.query(sql);
    } catch (error) {
      if ((error as { code?: string }).code !== "3D000") throw error; // database does not exist
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  rmSync(file, { force: true });
  return objects.length;
}
