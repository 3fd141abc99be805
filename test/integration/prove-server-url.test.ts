import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_OK, EXIT_VIOLATIONS } from "../../cli/exit-codes";
import { loadLocalStack, upLocal } from "../../local/up";
import { CLI_TEST_TIMEOUT_MS, CliProject, runTenantry, type Finished } from "../helpers/cli-project";
import { catalogSnapshot } from "../helpers/catalog-snapshot";

/*
 * `tenantry prove <stack> --server-url ...`: the after-deploy check, run as the stack's provider
 * login against a server given by its URL, read-only. Here the server is an embedded Postgres of
 * the test's own (its catalogs are compared whole, and its shared databases are opened on
 * purpose), with an org applied by `up --local`. Each kind of check is shown to fail when what it
 * checks is broken on the server, and to hold again once it is repaired. What the option refuses
 * is in prove-server-url-refusals.test.ts.
 */

const ORG = {
  slug: "proveco", tier: "sandbox", environments: ["dev", "prod"], workspaces: [{ slug: "web" }], claimedDomains: ["proveco.example"],
  quotas: { statementTimeoutMs: 2000, lockTimeoutMs: 1000, idleInTransactionTimeoutMs: 1000 },
};
const STACK = "org-proveco";
const DATABASE = "tn_proveco";
const LOGIN = "tenantry";

interface ProofRow { claim: string; attempt: string; result: string; status: "pass" | "fail" | "skip" }
interface ProofJson { stacks: { stack: string; target: string; claims: ProofRow[]; summary: { hold: number; broken: number; skipped: number } }[] }

const cli = new CliProject([ORG]);
let port: number;
let loginPassword: string;

beforeAll(async () => {
  await upLocal(loadLocalStack(cli.dir, STACK));
  const server = cli.server();
  port = server.port;
  loginPassword = (JSON.parse(readFileSync(cli.paths.providerAdminsFile, "utf8")) as Record<string, string>)[LOGIN] ?? "";
}, CLI_TEST_TIMEOUT_MS);
afterAll(() => cli.remove());

const serverUrl = () => `postgres://${LOGIN}@127.0.0.1:${port}/postgres`;

/** `tenantry prove <stack> --server-url <url> [--json]`, the password in PGPASSWORD as a deploy job would set it. */
function proveServer(args: { url?: string; password?: string; stack?: string; json?: boolean; verbose?: boolean } = {}): Finished {
  const env = { ...process.env, PGPASSWORD: args.password ?? loginPassword };
  const flags = [...(args.json === false ? [] : ["--json"]), ...(args.verbose === true ? ["--verbose"] : [])];
  return runTenantry(cli.dir, ["prove", args.stack ?? STACK, "--server-url", args.url ?? serverUrl(), ...flags], env);
}

function rowsOf(finished: Finished): ProofRow[] {
  const parsed = JSON.parse(finished.stdout) as ProofJson;
  expect(parsed.stacks.map((s) => s.stack)).toEqual([STACK]);
  return parsed.stacks[0]?.claims ?? [];
}

const failing = (rows: readonly ProofRow[]) => rows.filter((r) => r.status === "fail");

async function asSuperuser(database: string, ...statements: string[]): Promise<void> {
  const outcome = await cli.asSuperuser(database, statements);
  if (outcome.code !== undefined) throw new Error(`${statements.join("; ")}: ${outcome.code} ${outcome.message ?? ""}`);
}

/** What `tenantry up --local` applies before it proves: the repair a control relies on, when `up` makes one. */
async function upAgain(): Promise<void> {
  await upLocal(loadLocalStack(cli.dir, STACK));
}

describe("tenantry prove --server-url on a freshly applied org", { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it("holds every claim it can read, exits 0, and every row says it was read from the catalog as the provider login", () => {
    const finished = proveServer();
    expect([finished.code, finished.stderr]).toEqual([EXIT_OK, ""]);
    const rows = rowsOf(finished);
    expect(failing(rows)).toEqual([]);
    for (const row of rows.filter((r) => r.status === "pass")) expect(row.attempt).toMatch(new RegExp(`^catalog, as ${LOGIN}: `));
    const claims = rows.filter((r) => r.status === "pass").map((r) => r.claim);
    expect(claims).toEqual(expect.arrayContaining([
      "the org database exists, owned by the org's owner role, with the org's connection limit",
      "PUBLIC holds no privilege on the org database",
      "besides its owner, only the org's login roles hold a privilege on the org database, and only CONNECT",
      "PUBLIC holds no privilege on the server's shared databases (postgres, template1)",
      "the provider login is an inheriting member of the org's owner role",
      "the lock-timeouts migration's drift query lists nothing",
      "the large-objects migration's drift query lists nothing",
      "PUBLIC holds no privilege on the org database's schemas or on the ledger's table",
    ]));
    // The owner, the audit owner, and a runtime and a DDL role per environment.
    expect(rows.filter((r) => r.claim === "the role has exactly its declared attributes" && r.status === "pass")).toHaveLength(6);
    expect(rows.filter((r) => r.claim.startsWith("the ledger's event trigger is in place") && r.status === "pass")).toHaveLength(4);
    expect(rows.filter((r) => r.claim.startsWith("the workspace schema is owned by its environment's DDL role") && r.status === "pass")).toHaveLength(2);
  });

  it("runs every migration's drift query as the login, and skips, saying why, every claim that needs a tenant login or would write", () => {
    const rows = rowsOf(proveServer());
    // On a managed server (and the local engine imitates one) the login installed the guard and
    // the enforcer and inherits their owner: every drift query is read, none skipped.
    const drift = rows.filter((r) => r.claim.endsWith("drift query lists nothing"));
    expect(drift.map((r) => [r.claim, r.status])).toEqual([
      ["the lock-timeouts migration's drift query lists nothing", "pass"],
      ["the guardrails migration's drift query lists nothing", "pass"],
      ["the large-objects migration's drift query lists nothing", "pass"],
      ["the audit-ledger migration's drift query lists nothing", "pass"],
    ]);
    const skipped = rows.filter((r) => r.status === "skip");
    expect(skipped.length).toBeGreaterThan(0);
    for (const row of skipped) expect(row.result).toMatch(/^skipped: /);
    expect(skipped.map((r) => r.result).join("\n")).toMatch(/password/);
  });

  it("prints a summary headed by what it read and as whom, and the whole table with --verbose", () => {
    const finished = proveServer({ json: false });
    expect(finished.code).toBe(EXIT_OK);
    expect(finished.stdout).toContain(`proof for ${STACK} on ${serverUrl()}: read-only, as ${LOGIN}, from the catalog`);
    expect(finished.stdout).not.toMatch(/^claim +\| attempt +\| result$/m);
    expect(finished.stdout).toMatch(new RegExp(`\nclaims: \\d+ hold, 0 broken, \\d+ skipped\nevery claim with its attempt: npx tenantry prove ${STACK} --server-url <url> --verbose\n$`));
    const verbose = proveServer({ json: false, verbose: true });
    expect(verbose.code).toBe(EXIT_OK);
    expect(verbose.stdout).toMatch(/^claim +\| attempt +\| result$/m);
    expect(verbose.stdout).toMatch(/\nclaims: \d+ hold, 0 broken, \d+ skipped\n$/);
  });

  it("leaves nothing behind: every catalog it could touch, and the ledger, are the same before and after", async () => {
    const before = await catalogSnapshot(cli.server(), ["postgres", DATABASE]);
    expect(before[`${DATABASE}.audit.events`]).toEqual([{ events: expect.any(Number) }]);
    expect(proveServer().code).toBe(EXIT_OK);
    expect(proveServer({ json: false }).code).toBe(EXIT_OK);
    expect(await catalogSnapshot(cli.server(), ["postgres", DATABASE])).toEqual(before);
  });

  it("(control) the snapshot tells a change apart: a role made and dropped between two snapshots", async () => {
    const before = await catalogSnapshot(cli.server(), ["postgres", DATABASE]);
    await asSuperuser("postgres", "CREATE ROLE tenantry__snapshot_control");
    try {
      expect(await catalogSnapshot(cli.server(), ["postgres", DATABASE])).not.toEqual(before);
    } finally {
      await asSuperuser("postgres", "DROP ROLE tenantry__snapshot_control");
    }
    expect(await catalogSnapshot(cli.server(), ["postgres", DATABASE])).toEqual(before);
  });
});

describe("each kind of check fails when what it checks is broken on the server", { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it("PUBLIC given CONNECT on the org database: exit 1, that claim broken; holds again once revoked (no up re-reads grants)", async () => {
    await asSuperuser("postgres", `GRANT CONNECT ON DATABASE ${DATABASE} TO PUBLIC`);
    try {
      const broken = proveServer();
      expect(broken.code).toBe(EXIT_VIOLATIONS);
      expect(failing(rowsOf(broken)).map((r) => [r.claim, r.result])).toEqual([["PUBLIC holds no privilege on the org database", "PUBLIC holds CONNECT"]]);
    } finally {
      await asSuperuser("postgres", `REVOKE CONNECT ON DATABASE ${DATABASE} FROM PUBLIC`);
    }
    expect(proveServer().code).toBe(EXIT_OK);
  });

  it("PUBLIC given TEMPORARY on template1: that claim broken; up --local closes the shared databases again", async () => {
    await asSuperuser("postgres", "GRANT TEMPORARY ON DATABASE template1 TO PUBLIC");
    const broken = proveServer();
    expect(broken.code).toBe(EXIT_VIOLATIONS);
    expect(failing(rowsOf(broken)).map((r) => [r.claim, r.result])).toEqual([
      ["PUBLIC holds no privilege on the server's shared databases (postgres, template1)", "PUBLIC holds TEMPORARY on template1"],
    ]);
    await upAgain();
    expect(proveServer().code).toBe(EXIT_OK);
  });

  it("an event trigger of the ledger disabled: that trigger's claim broken; up --local re-enables it through the ledger's drift check", async () => {
    await asSuperuser(DATABASE, "ALTER EVENT TRIGGER tenantry__audit_cover DISABLE");
    const broken = proveServer();
    expect(broken.code).toBe(EXIT_VIOLATIONS);
    expect(failing(rowsOf(broken)).map((r) => [r.claim, r.attempt, r.result])).toEqual([
      ["the audit-ledger migration's drift query lists nothing", expect.any(String), "lists: event trigger tenantry__audit_cover is disabled"],
      [expect.stringMatching(/^the ledger's event trigger is in place/), expect.stringContaining("tenantry__audit_cover"), expect.stringContaining("disabled")],
    ]);
    await upAgain();
    expect(proveServer().code).toBe(EXIT_OK);
  });

  it("a login role's statement_timeout lifted: the lock-timeouts drift query names it; up --local restores the setting", async () => {
    await asSuperuser("postgres", "ALTER ROLE tn_proveco_dev_runtime SET statement_timeout = 0");
    const broken = proveServer();
    expect(broken.code).toBe(EXIT_VIOLATIONS);
    expect(failing(rowsOf(broken)).map((r) => [r.claim, r.result])).toEqual([["the lock-timeouts migration's drift query lists nothing", "lists: tn_proveco_dev_runtime"]]);
    await upAgain();
    expect(proveServer().code).toBe(EXIT_OK);
  });

  it("a login role's connection limit lifted: that role's claim broken; up --local declares the limit again", async () => {
    await asSuperuser("postgres", "ALTER ROLE tn_proveco_prod_runtime CONNECTION LIMIT -1");
    const broken = proveServer();
    expect(failing(rowsOf(broken)).map((r) => [r.claim, r.attempt, r.result])).toEqual([[
      "the role has exactly its declared attributes", expect.stringContaining("tn_proveco_prod_runtime"), expect.stringContaining("connection limit -1"),
    ]]);
    await upAgain();
    expect(proveServer().code).toBe(EXIT_OK);
  });

  it("a DDL role made CREATEROLE: that role's claim broken; holds again once taken back (up --local does not re-read attributes)", async () => {
    await asSuperuser("postgres", "ALTER ROLE tn_proveco_dev_ddl CREATEROLE");
    try {
      expect(failing(rowsOf(proveServer())).map((r) => [r.claim, r.attempt, r.result])).toEqual([[
        "the role has exactly its declared attributes", expect.stringContaining("tn_proveco_dev_ddl"), expect.stringContaining("CREATEROLE"),
      ]]);
    } finally {
      await asSuperuser("postgres", "ALTER ROLE tn_proveco_dev_ddl NOCREATEROLE");
    }
    expect(proveServer().code).toBe(EXIT_OK);
  });

  it("a large object owned by a tenant role: the large-objects drift query names it; holds again once it is removed", async () => {
    const made = await cli.asSuperuser(DATABASE, ["SELECT lo_create(0) AS oid"]);
    const oid = String(made.rows[0]?.["oid"]);
    await asSuperuser(DATABASE, `ALTER LARGE OBJECT ${oid} OWNER TO tn_proveco_dev_runtime`);
    try {
      expect(failing(rowsOf(proveServer())).map((r) => [r.claim, r.result])).toEqual([
        ["the large-objects migration's drift query lists nothing", expect.stringContaining(`large object ${oid} is owned by tn_proveco_dev_runtime`)],
      ]);
    } finally {
      await asSuperuser(DATABASE, `SELECT lo_unlink(${oid})`);
    }
    expect(proveServer().code).toBe(EXIT_OK);
  });

  it("the provider login no longer inheriting the owner (issue 14, finding 2): its claim broken, and what it reads in the org database cannot be read", async () => {
    await asSuperuser("postgres", `GRANT tn_proveco_owner TO ${LOGIN} WITH INHERIT FALSE GRANTED BY ${LOGIN}`);
    try {
      const rows = failing(rowsOf(proveServer()));
      expect(rows.find((r) => r.claim === "the provider login is an inheriting member of the org's owner role")?.result).toMatch(/not inheriting/);
      // The lock-timeouts migration's drift query (in the provider's database) says so too: every apply checks it.
      expect(rows.find((r) => r.claim === "the lock-timeouts migration's drift query lists nothing")?.result).toBe(`lists: the provider login ${LOGIN} does not inherit tn_proveco_owner`);
      // Every row read inside the org database now fails: CONNECT there is the owner's, reached only by inheriting it.
      const inDatabase = rows.filter((r) => r.claim !== "the provider login is an inheriting member of the org's owner role" && r.claim !== "the lock-timeouts migration's drift query lists nothing");
      expect(inDatabase.length).toBeGreaterThan(0);
      for (const row of inDatabase) expect(row.result).toMatch(new RegExp(`^could not connect to ${DATABASE} as ${LOGIN}: 42501`));
    } finally {
      await asSuperuser("postgres", `GRANT tn_proveco_owner TO ${LOGIN} WITH INHERIT TRUE GRANTED BY ${LOGIN}`);
    }
    expect(proveServer().code).toBe(EXIT_OK);
  });

  it("the ledger's drift query, run as the login, lists a guard function made executable by a tenant role; up --local takes it back", async () => {
    const claim = "the audit-ledger migration's drift query lists nothing";
    await asSuperuser(DATABASE, "GRANT EXECUTE ON FUNCTION audit__guard.drift() TO tn_proveco_dev_runtime");
    expect(failing(rowsOf(proveServer())).map((r) => [r.claim, r.result])).toEqual([[claim, "lists: audit__guard.drift() is executable by tn_proveco_dev_runtime"]]);
    await upAgain();
    expect(proveServer().code).toBe(EXIT_OK);
  });
});

describe("the --json shape, local and remote alike", { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  // Last: the local proof writes to the ledger and repairs roles, which the snapshot above must not see.
  // The local proof adds, for the trust page (docs/trust-report.md), when and by which tenantry it
  // proved, and each row's properties and time; the shape the two share is unchanged.
  it("prove --local --json prints the shape of --server-url, plus when and by which tenantry it proved and each row's properties and time; target embedded, its summary counting its rows", () => {
    const local = cli.run("prove", "--local", STACK, "--json");
    expect(local.code).toBe(EXIT_OK);
    const remote = JSON.parse(proveServer().stdout) as ProofJson;
    for (const [parsed, added, rowAdded] of [[JSON.parse(local.stdout) as ProofJson, ["provedAt", "tenantry"], ["properties", "at"]], [remote, [], []]] as const) {
      const [proof] = parsed.stacks;
      expect(Object.keys(parsed)).toEqual([...added, "stacks"]);
      expect(Object.keys(proof ?? {})).toEqual(["stack", "target", "claims", "summary"]);
      for (const row of proof?.claims ?? []) expect(Object.keys(row)).toEqual(["claim", "attempt", "result", "status", ...rowAdded]);
      const count = (status: ProofRow["status"]) => proof?.claims.filter((r) => r.status === status).length;
      expect(proof?.summary).toEqual({ hold: count("pass"), broken: count("fail"), skipped: count("skip") });
    }
    expect((JSON.parse(local.stdout) as ProofJson).stacks[0]?.target).toBe("embedded");
    expect(remote.stacks[0]?.target).toBe(serverUrl());
  });
});
