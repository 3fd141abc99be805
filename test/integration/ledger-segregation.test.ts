import { readFileSync } from "node:fs";
import fc from "fast-check";
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attempt, connectAs, type Credentials } from "../../local/attempt";
import { TYPE } from "../../local/provider-sql";
import type { ServerInfo } from "../../local/server";
import { readState } from "../../local/state";
import { upLocal } from "../../local/up";
import { recased } from "../helpers/client-headers";
import { localStack, writeStackFile } from "../helpers/local";

/*
 * The ledger segregated by environment, attacked with generated schema names: whatever a role
 * of one environment writes into an application event's schema_name, and whatever schema names
 * the ledger holds, each role writes and reads exactly its own environment's schemas, compared
 * as exact text (case, spaces, quotes, unicode and LIKE wildcards included).
 */

const ENVIRONMENTS = ["dev", "test", "prod"] as const;
const WORKSPACES = ["web", "billing"] as const;
const ORG = {
  slug: "segco", tier: "sandbox", environments: [...ENVIRONMENTS], workspaces: WORKSPACES.map((slug) => ({ slug })), claimedDomains: ["segco.example"],
};
const DATABASE = "tn_segco";
const schemasOf = (env: string) => WORKSPACES.map((workspace) => `${workspace}_${env}`);
const ALL_SCHEMAS = ENVIRONMENTS.flatMap(schemasOf);
const ROLES = ENVIRONMENTS.flatMap((env) => (["runtime", "ddl"] as const).map((kind) => ({ env, name: `tn_segco_${env}_${kind}` })));

/** Schema names an adversary would try: the org's own, near misses of them, the platform's, and anything at all. */
const schemaNames: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...ALL_SCHEMAS),
  recased(fc.constantFrom(...ALL_SCHEMAS)),
  fc.tuple(fc.constantFrom(...ALL_SCHEMAS), fc.constantFrom(" ", "\t", "%", "_", "'", "\"", "\\", "é", "\u200b", "_dev", "_prod", "."), fc.boolean())
    .map(([schema, extra, before]) => (before ? extra + schema : schema + extra)),
  fc.constantFrom("audit", "audit__guard", "public", "pg_catalog", "information_schema", "", "%", "web_%", "%_prod"),
  fc.string({ unit: "grapheme", maxLength: 20 }),
).filter((name) => !name.includes("\u0000"));

let server: ServerInfo;
const logins = new Map<string, Client>();
let platform: Client;

beforeAll(async () => {
  const stack = localStack(writeStackFile(ORG), "segco");
  await upLocal(stack);
  server = JSON.parse(readFileSync(stack.paths.serverFile, "utf8")) as ServerInfo;
  const resources = readState(stack.paths).stacks["org-segco"]?.resources ?? [];
  for (const role of ROLES) {
    const password = resources.find((r) => r.type === TYPE.role && r.inputs["name"] === role.name)?.inputs["password"];
    if (typeof password !== "string") throw new Error(`no stored password for ${role.name}`);
    const client = connectAs(server, { user: role.name, password } satisfies Credentials, DATABASE);
    await client.connect();
    logins.set(role.name, client);
  }
  platform = connectAs(server, { user: server.user, password: server.password }, DATABASE);
  await platform.connect();
});

afterAll(async () => {
  await Promise.all([...logins.values(), platform].map((client) => client.end().catch(() => undefined)));
});

/** Runs `body` in a transaction that is always rolled back: the ledger keeps nothing of the test. */
async function rolledBack<T>(client: Client, body: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    return await body();
  } finally {
    await client.query("ROLLBACK");
  }
}

describe("the ledger, segregated by environment, against generated schema names", () => {
  it("takes an application event from a role only when it names exactly one of its own environment's schemas", async () => {
    const outcomes = { allowed: 0, refused: 0 };
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ROLES), schemaNames, async (role, schema) => {
      const client = logins.get(role.name)!;
      const code = await rolledBack(client, () => client.query(
        "INSERT INTO audit.events (correlation_id, schema_name, table_name) VALUES ('generated', $1, 'cards')", [schema],
      ).then(() => undefined, (error: { code?: string }) => error.code ?? "no code"));
      const own = schemasOf(role.env).includes(schema);
      outcomes[code === undefined ? "allowed" : "refused"] += 1;
      expect([role.name, schema, code]).toEqual([role.name, schema, own ? undefined : "42501"]);
    }), { numRuns: 300 });
    // The property says nothing if the generator never reaches one side.
    expect(outcomes.allowed).toBeGreaterThan(10);
    expect(outcomes.refused).toBeGreaterThan(10);
  });

  it("shows each role exactly the events of its own environment's schemas, whatever schema names the ledger holds", async () => {
    await fc.assert(fc.asyncProperty(fc.array(schemaNames, { minLength: 1, maxLength: 12 }), async (written) => {
      await rolledBack(platform, async () => {
        // The platform writes as the trigger functions do, as the ledger's owner would: no policy applies.
        await platform.query("INSERT INTO audit.events (correlation_id, schema_name, table_name) SELECT 'generated', s, 'cards' FROM unnest($1::text[]) AS s", [written]);
        for (const role of ROLES) {
          await platform.query(`SET ROLE ${role.name}`);
          const seen = (await platform.query("SELECT schema_name FROM audit.events WHERE correlation_id = 'generated' ORDER BY id")).rows.map((r: { schema_name: string }) => r.schema_name);
          await platform.query("RESET ROLE");
          expect([role.name, seen]).toEqual([role.name, written.filter((schema) => schemasOf(role.env).includes(schema))]);
        }
        const all = (await platform.query("SELECT count(*)::int AS n FROM audit.events WHERE correlation_id = 'generated'")).rows[0] as { n: number };
        expect(all.n).toBe(written.length);
      });
    }), { numRuns: 60 });
  });
});

describe("the ledger's policies, applied again", () => {
  it("follow a workspace added and removed, leave no stale policy, and keep the guard refusing drops in the ledger's schema", async () => {
    const org = { ...ORG, slug: "segtwo", claimedDomains: ["segtwo.example"] };
    const server2 = async (sql: string) => {
      const info = JSON.parse(readFileSync(localStack(writeStackFile(org), "segtwo").paths.serverFile, "utf8")) as ServerInfo;
      return attempt(info, { user: info.user, password: info.password }, "tn_segtwo", [sql]);
    };
    const devPolicy = async () => (await server2("SELECT pg_get_expr(polqual, polrelid) AS qual FROM pg_policy WHERE polname = 'environment__dev__select'")).rows[0]?.["qual"];
    await upLocal(localStack(writeStackFile(org), "segtwo"));
    expect(await devPolicy()).not.toContain("api_dev");
    // A policy the design does not render, planted by the superuser: the next apply removes it.
    await server2("CREATE POLICY planted ON audit.events FOR SELECT TO PUBLIC USING (true)");
    await upLocal(localStack(writeStackFile({ ...org, workspaces: [...org.workspaces, { slug: "api" }] }), "segtwo"));
    expect(await devPolicy()).toContain("api_dev");
    await upLocal(localStack(writeStackFile(org), "segtwo"));
    expect(await devPolicy()).not.toContain("api_dev");
    const policies = (await server2("SELECT polname FROM pg_policy WHERE polrelid = 'audit.events'::regclass ORDER BY polname")).rows.map((r) => r["polname"]);
    expect(policies).toEqual(["environment__dev__insert", "environment__dev__select", "environment__prod__insert", "environment__prod__select", "environment__test__insert", "environment__test__select"]);
    // The apply switched the guard's sql_drop trigger off only inside its own transaction.
    expect((await server2("SELECT evtenabled FROM pg_event_trigger WHERE evtname = 'tenantry__audit_drops'")).rows).toEqual([{ evtenabled: "O" }]);
    expect(await server2("DROP POLICY environment__dev__select ON audit.events")).toMatchObject({ code: "42501" });
  });
});
