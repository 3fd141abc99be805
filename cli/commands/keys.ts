import { readStackFile, resolveStackFile } from "../../harness/stack-file";
import { KeySlotError, listKeys, mintKey, openLocalKeyStore, revokeKeys, type KeyStore, type ListedKey } from "../../local/api-key-store";
import { localKeysDir } from "../../local/paths";
import type { D1RouteLabels } from "../../remote/d1-http";
import type { OrgSpec } from "../../spec/spec";
import { tenantStackOrPlacement } from "../../spec/stack-config";
import { apiKeysMigrationStatement } from "../../workers/lib/api-key-store-sql";
import { planApiKeyStore } from "../../components/edge-plan";
import { exitCodeOf, productionSuffix, TargetError, withD1Store, type D1Target, type RemoteEndpoint } from "../d1-target";
import { EXIT_INVALID, EXIT_OK } from "../exit-codes";

/*
 * `tenantry keys mint|list|revoke <stack>`: an org's API keys. Locally, the D1 the local edge's
 * router reads (one database per org in the local state folder); with --remote, the org's key
 * store in production (the stack's ApiKeyStore, `pulumi stack output apiKeysDatabaseId`), through
 * Cloudflare's D1 HTTP route, as `tenantry operators --remote` reaches the allowlist (cli/d1-target.ts).
 * Both send the same statements (workers/lib/api-key-store-sql.ts). mint writes the key, and only
 * the key, to stdout: `tenantry keys mint org-acme slot > file`.
 */

export interface KeysOptions {
  /** Production: the org's key store through Cloudflare's D1 HTTP route. */
  readonly remote?: boolean;
  /** With --remote: the store's D1 id (`pulumi stack output apiKeysDatabaseId` of the org's stack). */
  readonly databaseId?: string;
}

function specOf(stackOrPath: string, projectDir: string): OrgSpec {
  return tenantStackOrPlacement({ ...readStackFile(resolveStackFile(stackOrPath, projectDir)), now: new Date() }).spec;
}


/** How the remote route's refusals name its input: the account is the stack's, never an option. */
const KEY_STORE_ROUTE_LABELS: D1RouteLabels = {
  account: "the org's edge.accountId",
  database: "the key store's D1 id (a UUID: pulumi stack output apiKeysDatabaseId, in the org's stack)",
  tokenScope: "the org's Cloudflare account (edge.accountId)",
};

/** The org's key store: its local D1, or production's in the account its stack names (edge.accountId). */
function keyStore(projectDir: string, spec: OrgSpec): D1Target {
  return {
    what: "key store",
    accountId: spec.edge?.accountId,
    labels: KEY_STORE_ROUTE_LABELS,
    openLocal: () => openLocalKeyStore(localKeysDir(projectDir, spec.slug)),
    // Every onboarding makes a new, empty store: its table is made on first use, not by hand.
    remoteSetup: [apiKeysMigrationStatement()],
  };
}

const isSlotRefusal = (error: Error) => error instanceof KeySlotError;

/** Runs `use` on the org's key store; a wrong target, an undeclared slot or a refusal by Cloudflare exits 2. */
function onKeyStore(stackOrPath: string, options: KeysOptions, projectDir: string, endpoint: RemoteEndpoint, use: (spec: OrgSpec, store: KeyStore) => Promise<void>): Promise<number> {
  return exitCodeOf(async () => {
    const spec = specOf(stackOrPath, projectDir);
    if (options.remote === true && planApiKeyStore(spec) === undefined) {
      // No request: the stack declares no store, so whatever --database-id names is not this org's.
      throw new TargetError(`org ${spec.slug} declares ${spec.edge === undefined ? "no edge" : "no API key slots"}, so its stack has no key store in production (no apiKeysDatabaseId output)`);
    }
    await withD1Store(options, endpoint, keyStore(projectDir, spec), (store) => use(spec, store));
  }, isSlotRefusal);
}

export async function mint(stackOrPath: string, slot: string, options: KeysOptions, projectDir: string, endpoint: RemoteEndpoint = {}): Promise<number> {
  let minted: { key: string; id: string } | undefined;
  const code = await onKeyStore(stackOrPath, options, projectDir, endpoint, async (spec, store) => {
    minted = await mintKey(store, spec, slot);
  });
  if (code !== EXIT_OK || minted === undefined) return code;
  process.stdout.write(`${minted.key}\n`);
  process.stderr.write(`minted ${minted.id} for slot ${slot}${productionSuffix(options)}: shown once, only its SHA-256 is stored\n`);
  return EXIT_OK;
}

export async function list(stackOrPath: string, options: KeysOptions & { json?: boolean }, projectDir: string, endpoint: RemoteEndpoint = {}): Promise<number> {
  let org = "";
  let keys: ListedKey[] = [];
  const code = await onKeyStore(stackOrPath, options, projectDir, endpoint, async (spec, store) => {
    org = spec.slug;
    keys = await listKeys(store);
  });
  if (code !== EXIT_OK) return code;
  const rows = keys.map((k) => ({
    id: k.id, slot: k.slot, app: k.app, environment: k.environment, kind: k.kind,
    createdAt: new Date(Number(k.createdAt)).toISOString(),
    revokedAt: k.revokedAt === null ? null : new Date(Number(k.revokedAt)).toISOString(),
  }));
  if (options.json === true) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (rows.length === 0) process.stdout.write(`no API keys for org ${org}${productionSuffix(options)}\n`);
  else for (const r of rows) process.stdout.write(`${r.id}\t${r.slot}\t${r.app}/${r.environment}\t${r.kind}\tcreated ${r.createdAt}\t${r.revokedAt === null ? "live" : `revoked ${r.revokedAt}`}\n`);
  return EXIT_OK;
}

export async function revoke(stackOrPath: string, slotOrId: string, options: KeysOptions, projectDir: string, endpoint: RemoteEndpoint = {}): Promise<number> {
  let org = "";
  let ids: string[] = [];
  const code = await onKeyStore(stackOrPath, options, projectDir, endpoint, async (spec, store) => {
    org = spec.slug;
    ids = await revokeKeys(store, slotOrId);
  });
  if (code !== EXIT_OK) return code;
  if (ids.length === 0) {
    // A typo must not read as a revocation: the key it was meant for still works.
    const remote = options.remote === true;
    process.stderr.write(`error: no live key of org ${org} has id or slot ${JSON.stringify(slotOrId)}${remote ? " in production" : ""} (see tenantry keys list org-${org}${remote ? " --remote" : ""})\n`);
    return EXIT_INVALID;
  }
  process.stdout.write(`revoked ${ids.join(", ")}${productionSuffix(options)}: the router refuses ${ids.length === 1 ? "it" : "them"} from the next request\n`);
  return EXIT_OK;
}
