import fc from "fast-check";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { list, mint, revoke } from "../../cli/commands/keys";
import { mintKey } from "../../local/api-key-store";
import { startEdge, type LocalEdge } from "../../local/edge";
import type { AllowlistStore } from "../../local/operator-allowlist";
import { d1HttpStore } from "../../remote/d1-http";
import { parseOrgSpec, type OrgSpec } from "../../spec/spec";
import { parseApiKey } from "../../workers/lib/api-key-format";
import { apiKeysMigrationStatement, insertKeyStatement, keyHashOf, listKeysStatement, REVOKE_SQL, revokeKeyStatement } from "../../workers/lib/api-key-store-sql";
import { CliProject } from "../helpers/cli-project";
import { commandOutput, startD1StandIn, type D1StandIn } from "../helpers/d1-stand-in";
import { keyedOrgInput } from "../helpers/keyed-org";

/*
 * `tenantry keys mint|list|revoke --remote`, against a local stand-in for Cloudflare's D1 query
 * route (test/helpers/d1-stand-in.ts) that runs each statement on the D1 a local edge's router
 * reads in workerd. Cloudflare's real API is not reached here; what is proven is that the route
 * gets the store's migration and then exactly the statements the local path sends, with the key
 * only as its hash, and that a router reading what they wrote obeys them on its next request.
 */

const ACCOUNT = "0123456789abcdef0123456789abcdef"; // the keyed org's edge.accountId (test/helpers/spec-builder.ts)
const DATABASE = "4b0d7e2c-1a3f-4c5d-9e6f-7a8b9c0d1e2f";
const TOKEN = "cf-test-token-Kx4vN8pQ2wR6tY1zB5mL9";
const DEPLOYED = ["storefront", "finance-console"].flatMap((app) => ["dev", "test", "prod"].map((environment) => ({ app, environment })));

let spec: OrgSpec;
let edge: LocalEdge;
/** One binding proxy for the file, shared by the stand-in and the assertions. */
let store: AllowlistStore;
let standIn: D1StandIn;
let endpoint: { apiBase: string };
/** A scratch project whose stacks/ holds the keyed org: the commands read its edge.accountId there. */
const project = new CliProject([keyedOrgInput()]);

beforeAll(async () => {
  spec = parseOrgSpec(keyedOrgInput(), { now: new Date() });
  edge = await startEdge(spec, { secretValues: {}, deployed: DEPLOYED });
  store = await edge.apiKeys();
  standIn = await startD1StandIn({ account: ACCOUNT, database: DATABASE, token: TOKEN }, (statement) => store.run(statement));
  endpoint = { apiBase: standIn.apiBase };
}, 60_000);

afterAll(async () => {
  await standIn?.close();
  await edge?.dispose();
  rmSync(project.dir, { recursive: true, force: true });
});

const { capture, out, err } = commandOutput();

const remote = { remote: true, databaseId: DATABASE };
const sent = () => standIn.received.map((r) => r.body);
const statusWith = async (key: string) => (await edge.viaRouter("/prod/finance-console/whoami", { headers: { authorization: `Bearer ${key}` } })).status;

/** Mints remotely, as `tenantry keys mint org-acme <slot> --remote --database-id ...`; answers the key printed on stdout. */
async function mintRemotely(slot: string): Promise<string> {
  capture();
  expect(await mint("org-acme", slot, remote, project.dir, endpoint)).toBe(0);
  return out().trim();
}

describe("tenantry keys --remote, through a stand-in for Cloudflare's D1 query route", () => {
  it("makes the store's table on a database that has none, so a new org's store needs no hand-run migration", async () => {
    process.env["CLOUDFLARE_API_TOKEN"] = TOKEN;
    await store.run({ sql: "DROP TABLE api_keys", params: [] });
    // The control: the statement alone, without the migration before it, fails on such a database.
    await expect(mintKey(d1HttpStore({ accountId: ACCOUNT, databaseId: DATABASE, token: TOKEN, ...endpoint }), spec, "finance-sync")).rejects.toThrow(/no such table: api_keys/);
    const key = await mintRemotely("finance-sync");
    expect(await statusWith(key)).toBe(200);
    // Run again on the table it made: idempotent.
    await mintRemotely("finance-sync");
  });

  it("mint, list and revoke POST the migration, then the local path's own statement, to /accounts/<edge.accountId>/d1/database/<id>/query with the bearer token", async () => {
    process.env["CLOUDFLARE_API_TOKEN"] = TOKEN;
    standIn.received.length = 0;
    const before = Date.now();
    const key = await mintRemotely("finance-sync");
    expect(err()).toMatch(/^minted key_[0-9a-f]{16} for slot finance-sync \(production, through Cloudflare's D1 API\): shown once, only its SHA-256 is stored\n$/);
    capture();
    expect(await list("org-acme", { ...remote, json: true }, project.dir, endpoint)).toBe(0);
    expect(await revoke("org-acme", "finance-sync", remote, project.dir, endpoint)).toBe(0);
    const after = Date.now();
    expect(out()).toMatch(/revoked (key_[0-9a-f]{16}, ){2}key_[0-9a-f]{16} \(production, through Cloudflare's D1 API\): the router refuses them from the next request\n$/);

    expect(standIn.received.map((r) => [r.method, r.path, r.authorization, r.contentType])).toEqual(Array(6).fill(["POST", standIn.queryPath, `Bearer ${TOKEN}`, "application/json"]));
    const [, insert, , , , revokeSent] = sent();
    const [id, , , , , , createdAt] = insert?.params ?? [];
    // What the local path (mintKey, listKeys, revokeKeys over the local D1) sends, with this run's id and times.
    expect(sent()).toEqual([
      apiKeysMigrationStatement(),
      insertKeyStatement({ id: String(id), keyHash: await keyHashOf(key), slot: "finance-sync", app: "finance-console", environment: "prod", kind: "secret", createdAt: Number(createdAt) }),
      apiKeysMigrationStatement(), listKeysStatement(),
      apiKeysMigrationStatement(), revokeKeyStatement("finance-sync", Number(revokeSent?.params[1])),
    ]);
    expect(Number(createdAt)).toBeGreaterThanOrEqual(before);
    expect(Number(revokeSent?.params[1])).toBeLessThanOrEqual(after);
  });

  it("prints a key minted remotely once, on stdout alone, and sends only its SHA-256: the key is in no request", async () => {
    process.env["CLOUDFLARE_API_TOKEN"] = TOKEN;
    standIn.received.length = 0;
    const key = await mintRemotely("storefront-browser");
    expect(out()).toBe(`${key}\n`);
    expect(parseApiKey(key)).toEqual({ kind: "publishable", org: "acme" });
    expect(err()).not.toContain(key);
    const wire = JSON.stringify(standIn.received);
    expect(wire).not.toContain(key);
    // The control: what was sent is the key's hash, so leaving the key out is not an accident of encoding.
    expect(wire).toContain(await keyHashOf(key));
  });

  it("changes the store a router reads: a key minted remotely is admitted on its next request, and refused on the very next after a remote revoke", async () => {
    process.env["CLOUDFLARE_API_TOKEN"] = TOKEN;
    const key = await mintRemotely("finance-sync");
    expect(await statusWith(key)).toBe(200);
    capture();
    expect(await revoke("org-acme", "finance-sync", remote, project.dir, endpoint)).toBe(0);
    expect(await statusWith(key)).toBe(401);
  });

  it("exits 2 for a slot or id with no live key, whatever it says, sending it only as a parameter and revoking nothing", async () => {
    process.env["CLOUDFLARE_API_TOKEN"] = TOKEN;
    const live = await mintRemotely("finance-sync");
    const hostile = fc.string({ unit: fc.constantFrom(..."'\";-()*/=x1 ORDROPTABLEkey_%"), minLength: 1, maxLength: 24 });
    await fc.assert(fc.asyncProperty(hostile, async (slotOrId) => {
      fc.pre(slotOrId !== "finance-sync" && slotOrId !== "storefront-browser");
      standIn.received.length = 0;
      capture();
      expect(await revoke("org-acme", slotOrId, remote, project.dir, endpoint)).toBe(2);
      expect(err()).toBe(`error: no live key of org acme has id or slot ${JSON.stringify(slotOrId)} in production (see tenantry keys list org-acme --remote)\n`);
      expect(out()).toBe("");
      expect(sent().map((s) => s.sql)).toEqual([apiKeysMigrationStatement().sql, REVOKE_SQL]);
    }), { numRuns: 20 });
    expect(await statusWith(live)).toBe(200);
  }, 60_000);

  it("refuses before any request without a token, with a malformed database id, with --database-id but no --remote, or for an org without a key store", async () => {
    standIn.received.length = 0;
    capture();
    expect(await list("org-acme", remote, project.dir, endpoint)).toBe(2);
    expect(err()).toBe("error: CLOUDFLARE_API_TOKEN must hold a Cloudflare API token with D1 edit on the org's Cloudflare account (edge.accountId)\n");
    process.env["CLOUDFLARE_API_TOKEN"] = TOKEN;
    capture();
    expect(await mint("org-acme", "finance-sync", { remote: true, databaseId: "../../../accounts/other" }, project.dir, endpoint)).toBe(2);
    expect(err()).toBe("error: --database-id must be the key store's D1 id (a UUID: pulumi stack output apiKeysDatabaseId, in the org's stack)\n");
    expect(out()).toBe("");
    capture();
    expect(await revoke("org-acme", "finance-sync", { databaseId: DATABASE }, project.dir, endpoint)).toBe(2);
    expect(err()).toBe("error: --database-id names the production key store: add --remote\n");
    // An org whose stack declares no key store: whatever database the id names is not its own.
    const { apiKeys: _slots, ...withoutSlots } = keyedOrgInput();
    const other = new CliProject([{ ...withoutSlots, slug: "acme" }]);
    try {
      capture();
      expect(await list("org-acme", remote, other.dir, endpoint)).toBe(2);
      expect(err()).toBe("error: org acme declares no API key slots, so its stack has no key store in production (no apiKeysDatabaseId output)\n");
    } finally {
      rmSync(other.dir, { recursive: true, force: true });
    }
    expect(standIn.received).toEqual([]);
  });

  it("reports Cloudflare's refusal with its own error and exit 2, prints no key, and never the token", async () => {
    process.env["CLOUDFLARE_API_TOKEN"] = "a-revoked-token";
    capture();
    expect(await mint("org-acme", "finance-sync", remote, project.dir, endpoint)).toBe(2);
    expect(err()).toBe("error: Cloudflare's D1 API refused the statement: HTTP 403: 10000 Authentication error\n");
    expect(out()).toBe("");
    expect(out() + err()).not.toContain("a-revoked-token");
    // The control: the right token passes the same stand-in.
    process.env["CLOUDFLARE_API_TOKEN"] = TOKEN;
    capture();
    expect(await list("org-acme", remote, project.dir, endpoint)).toBe(0);
  });
});
