import { join } from "node:path";
import { readStackFile, resolveStackFile } from "../../harness/stack-file";
import { KeySlotError, listKeys, mintKey, openLocalKeyStore, revokeKeys, type KeyStore } from "../../local/api-key-store";
import { localPaths } from "../../local/paths";
import type { OrgSpec } from "../../spec/spec";
import { tenantStackFromConfig } from "../../spec/stack-config";
import { EXIT_INVALID, EXIT_OK } from "../exit-codes";

/*
 * `tenantry keys mint|list|revoke <stack>`: an org's API keys, in the D1 the local edge's router
 * reads (one database per org in the local state folder). Production's store (through
 * Cloudflare's D1 HTTP route, as `tenantry operators --remote` does) is not wired yet.
 * mint writes the key, and only the key, to stdout: `tenantry keys mint org-acme slot > file`.
 */

function specOf(stackOrPath: string, projectDir: string): OrgSpec {
  return tenantStackFromConfig({ ...readStackFile(resolveStackFile(stackOrPath, projectDir)), now: new Date() }).spec;
}

/** The org's local key database folder: one per org, so a key of one org is never in another's store. */
export const localKeysDir = (projectDir: string, org: string) => join(localPaths(projectDir).apiKeysDir, org);

async function withKeyStore<T>(projectDir: string, spec: OrgSpec, use: (store: KeyStore) => Promise<T>): Promise<T> {
  const local = await openLocalKeyStore(localKeysDir(projectDir, spec.slug));
  try {
    return await use(local.store);
  } finally {
    await local.dispose();
  }
}

export async function mint(stackOrPath: string, slot: string, projectDir: string): Promise<number> {
  const spec = specOf(stackOrPath, projectDir);
  try {
    const { key, id } = await withKeyStore(projectDir, spec, (store) => mintKey(store, spec, slot));
    process.stdout.write(`${key}\n`);
    process.stderr.write(`minted ${id} for slot ${slot}: shown once, only its SHA-256 is stored\n`);
    return EXIT_OK;
  } catch (error) {
    if (!(error instanceof KeySlotError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    return EXIT_INVALID;
  }
}

export async function list(stackOrPath: string, options: { json?: boolean }, projectDir: string): Promise<number> {
  const spec = specOf(stackOrPath, projectDir);
  const keys = await withKeyStore(projectDir, spec, listKeys);
  const rows = keys.map((k) => ({
    id: k.id, slot: k.slot, app: k.app, environment: k.environment, kind: k.kind,
    createdAt: new Date(Number(k.createdAt)).toISOString(),
    revokedAt: k.revokedAt === null ? null : new Date(Number(k.revokedAt)).toISOString(),
  }));
  if (options.json === true) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (rows.length === 0) process.stdout.write(`no API keys for org ${spec.slug}\n`);
  else for (const r of rows) process.stdout.write(`${r.id}\t${r.slot}\t${r.app}/${r.environment}\t${r.kind}\tcreated ${r.createdAt}\t${r.revokedAt === null ? "live" : `revoked ${r.revokedAt}`}\n`);
  return EXIT_OK;
}

export async function revoke(stackOrPath: string, slotOrId: string, projectDir: string): Promise<number> {
  const spec = specOf(stackOrPath, projectDir);
  const ids = await withKeyStore(projectDir, spec, (store) => revokeKeys(store, slotOrId));
  if (ids.length === 0) {
    process.stderr.write(`error: no live key of org ${spec.slug} has id or slot ${JSON.stringify(slotOrId)} (see tenantry keys list org-${spec.slug})\n`);
    return EXIT_INVALID;
  }
  process.stdout.write(`revoked ${ids.join(", ")}: the router refuses ${ids.length === 1 ? "it" : "them"} from the next request\n`);
  return EXIT_OK;
}
