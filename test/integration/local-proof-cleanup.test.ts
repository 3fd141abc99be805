import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_OK } from "../../cli/exit-codes";
import { recordProofObject } from "../../local/proof-objects";
import { CLI_TEST_TIMEOUT_MS, CliProject } from "../helpers/cli-project";

/*
 * The proof's clean-up against tenant migrations, through the CLI: the DDL login grants on its
 * own table to every proof role the moment one appears. The proof must still end cleanly, and
 * whatever a clean-up cannot drop is one warning line, never a failed run.
 */

const ORG = { slug: "cleanco", tier: "sandbox", environments: ["dev"], workspaces: [{ slug: "web" }], claimedDomains: ["cleanco.example"], quotas: { statementTimeoutMs: 2000, lockTimeoutMs: 1000, idleInTransactionTimeoutMs: 1000 } };
const DATABASE = "tn_cleanco";
const cli = new CliProject([ORG]);
beforeAll(() => expect(cli.run("up", "--local", "org-cleanco").code).toBe(EXIT_OK));
afterAll(() => cli.remove());

const PROOF_ROLES = "SELECT count(*)::int AS n FROM pg_roles WHERE starts_with(rolname, 'tenantry__proof_')";
const proofRoles = async () => (await cli.asSuperuser("postgres", [PROOF_ROLES])).rows[0]?.["n"];

/**
 * A session with the DDL login's privileges. It connects as the superuser and sets the role, so it
 * takes none of the DDL login's own connection slots, which the proof's connection-limit claim counts.
 */
async function ddlSession(): Promise<Client> {
  const server = cli.server();
  const client = new Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: DATABASE });
  await client.connect();
  await client.query("SET ROLE tn_cleanco_dev_ddl");
  return client;
}

describe("a DDL login that grants to every proof role as soon as it appears", { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it("cannot keep a proof role alive: the proof ends cleanly, and so does every later run", async () => {
    const ddl = await ddlSession();
    await ddl.query("CREATE TABLE web_dev.mine (id int)");
    let granting = true;
    let grants = 0;
    const loop = (async () => {
      while (granting) {
        const { rows } = await ddl.query("SELECT rolname FROM pg_roles WHERE starts_with(rolname, 'tenantry__proof_')");
        for (const { rolname } of rows as { rolname: string }[]) {
          await ddl.query(`GRANT SELECT ON web_dev.mine TO "${rolname}"`).then(() => (grants += 1), () => undefined);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    try {
      // Started, not run: the loop must keep granting while the proof runs.
      const proof = await cli.start("prove", "--local", "org-cleanco").finished;
      expect(proof.stderr).toBe("");
      expect(proof.code).toBe(EXIT_OK);
    } finally {
      granting = false;
      await loop;
      await ddl.end();
    }
    // The loop did get its grant in, on the role that stands for PUBLIC.
    expect(grants).toBeGreaterThan(0);
    expect(await proofRoles()).toBe(0);
    expect(cli.exists(".tenantry/proof-objects.json")).toBe(false);
    const again = cli.run("up", "--local", "org-cleanco");
    expect(again.code).toBe(EXIT_OK);
    expect(again.stderr).toBe("");
  });
});

describe("a proof object the clean-up cannot drop", { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it("is one warning line on every run until it can be dropped; up and prove still pass", async () => {
    // A table a killed proof left, and a tenant's view on it: DROP TABLE without CASCADE is refused.
    const table = "tenantry__proof_left";
    await cli.asSuperuser(DATABASE, ["SET ROLE tn_cleanco_dev_ddl", `CREATE TABLE web_dev.${table} (id int)`, `CREATE VIEW web_dev.theirs AS SELECT * FROM web_dev.${table}`]);
    recordProofObject(cli.paths.proofFile, { kind: "table", database: DATABASE, schema: "web_dev", table });
    const warning = new RegExp(`^warning: could not drop 1 object\\(s\\) a proof created: table web_dev\\.${table} in ${DATABASE} \\(cannot drop table web_dev\\.${table} because other objects depend on it\\); it stays listed and the next prove or up tries again\\n$`);
    const up = cli.run("up", "--local", "org-cleanco");
    expect(up.code).toBe(EXIT_OK);
    expect(up.stderr).toMatch(warning);
    const proof = cli.run("prove", "--local", "org-cleanco");
    expect(proof.code).toBe(EXIT_OK);
    expect(proof.stderr).toMatch(warning);
    // The tenant drops its view: the next run drops the table, and says nothing.
    await cli.asSuperuser(DATABASE, ["DROP VIEW web_dev.theirs"]);
    const clean = cli.run("prove", "--local", "org-cleanco");
    expect([clean.code, clean.stderr]).toEqual([EXIT_OK, ""]);
    expect(cli.exists(".tenantry/proof-objects.json")).toBe(false);
    expect((await cli.asSuperuser(DATABASE, [`SELECT to_regclass('web_dev.${table}') IS NULL AS gone`])).rows[0]?.["gone"]).toBe(true);
  });
});
