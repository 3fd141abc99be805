import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_INVALID, EXIT_OK } from "../../cli/exit-codes";
import { readMoveFile, writeMoveFile } from "../../fleet/move-record";
import { attempt, type Credentials } from "../../local/attempt";
import { clusterPaths } from "../../local/cluster-servers";
import { TYPE } from "../../local/provider-sql";
import type { ServerInfo } from "../../local/server";
import type { LocalState } from "../../local/state";
import { databaseName } from "../../spec/naming";
import { CliProject } from "../helpers/cli-project";
import { REPO_DIR } from "../helpers/local";
import { placedStackText } from "../helpers/placed-stack";

/*
 * An attacker's pass over `tenantry move` (docs/move.md, "Attacks tried"), end to end on the two
 * local cluster servers. Two orgs whose slugs prefix each other (`mvatk` and `mvatk-b`: every
 * name of the second begins with the first's `tn_mvatk_`), placed on the same cluster. The
 * adversaries: the tenant's migration command (tenant code the move runs), a hand-edited record
 * file, and a catalog whose table owner is not the org's.
 */

const FROM = "pg-eu-1";
const TO = "pg-us-1";
const ORG = "mvatk";
const NEIGHBOUR = "mvatk-b";
const ENVIRONMENTS = ["dev", "prod"] as const;
const TEST_TIMEOUT_MS = 240_000;
/** What an operator's shell holds when it deploys: none of it may reach the tenant's migration command. */
const CALLER_SECRETS = { AWS_SECRET_ACCESS_KEY: "attack-aws-secret", PULUMI_CONFIG_PASSPHRASE: "attack-passphrase", CLOUDFLARE_API_TOKEN: "attack-token", TENANTRY_PROVIDER_PASSWORD: "attack-provider" };

const placedText = (slug: string) => placedStackText(slug, FROM, ENVIRONMENTS, `${slug}: a placed org the attack test moves`);

/**
 * The tenant's migration, with its attempts: it writes what it found to $ATTACK_OUT (its
 * environment, and each attempt's outcome), then makes the table the move needs.
 */
const MIGRATION = `
const pgPath = ${JSON.stringify(join(REPO_DIR, "node_modules", "pg"))};
const { Client } = require(pgPath);
const { appendFileSync } = require("node:fs");
const env = process.env.TENANTRY_ENVIRONMENT;
const schema = "main_" + env;
const out = (record) => { if (process.env.ATTACK_OUT_DIR) appendFileSync(require("node:path").join(process.env.ATTACK_OUT_DIR, "attack-" + env + ".jsonl"), JSON.stringify(record) + "\\n"); };
(async () => {
  out({ env: process.env });
  const c = new Client();
  await c.connect();
  const tryIt = async (name, statements) => {
    try { for (const s of statements) await c.query(s); out({ attempt: name, outcome: "allowed" }); }
    catch (error) { out({ attempt: name, outcome: error.code || error.message }); }
    await c.query("ROLLBACK").catch(() => undefined);
  };
  await c.query(\`CREATE TABLE \${schema}.notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL, score double precision)\`);
  await tryIt("prepare-transaction", ["BEGIN", \`INSERT INTO \${schema}.notes (body) VALUES ('prepared')\`, "PREPARE TRANSACTION 'mvatk_escape'"]);
  for (const owner of ["tn_mvatk_" + env + "_runtime", "tn_mvatk_audit", "tn_mvatk_owner", "tn_mvatk_b_" + env + "_ddl", "tenantry"]) {
    await tryIt("owner-to " + owner, ["BEGIN", \`ALTER TABLE \${schema}.notes OWNER TO \${owner}\`]);
  }
  await tryIt("create-schema", ["BEGIN", "CREATE SCHEMA tn_mvatk_" + env + "_ddl"]);
  await tryIt("create-in-public", ["BEGIN", "CREATE FUNCTION public.md5(text) RETURNS text LANGUAGE sql AS 'SELECT 1::text'"]);
  await tryIt("write-ledger", ["BEGIN", "DELETE FROM audit.events WHERE true"]);
  await c.end();
  // A session that outlives the migration: a detached process keeps writing, and reconnects when cut.
  const lingerer = \`
    const { Client } = require(\${JSON.stringify(pgPath)});
    const { appendFileSync } = require("node:fs");
    const out = (r) => appendFileSync(\${JSON.stringify(require("node:path").join(process.env.ATTACK_OUT_DIR || "/nonexistent", "attack-" + env + ".jsonl"))}, JSON.stringify(r) + "\\\\n");
    (async () => {
      let c; let ended;
      for (let i = 0; ; i++) {
        c = new Client(); c.on("error", (error) => { ended = error.code || error.message; });
        try { await c.connect(); out({ attempt: "linger-connect", outcome: "allowed" }); break; }
        catch (error) { if (i >= 20) { out({ attempt: "linger-connect", outcome: error.code || error.message }); return; } await new Promise((r) => setTimeout(r, 100)); }
      }
      try { for (;;) { await c.query("INSERT INTO \${schema}.notes (body) VALUES ('lingering')"); await new Promise((r) => setTimeout(r, 100)); } }
      catch (error) { out({ attempt: "linger", outcome: ended || error.code || error.message }); }
      try { const again = new Client(); await again.connect(); out({ attempt: "reconnect", outcome: "allowed" }); await again.end(); }
      catch (error) { out({ attempt: "reconnect", outcome: error.code || error.message }); }
    })();
  \`;
  require("node:child_process").spawn(process.execPath, ["-e", lingerer], { detached: true, stdio: "ignore", env: process.env }).unref();
  await new Promise((r) => setTimeout(r, 500));
})().catch((error) => { console.error(error.message); process.exit(1); });
`;

const cli = new CliProject([], { env: CALLER_SECRETS });
const migrationScript = join(cli.dir, "migrate.js");
const MIGRATE = `ATTACK_OUT_DIR=${cli.dir} node ${migrationScript}`;

const serverOf = (cluster: string): ServerInfo => JSON.parse(readFileSync(clusterPaths(cli.dir, cluster).serverFile, "utf8")) as ServerInfo;
const stateOf = (cluster: string): LocalState => JSON.parse(readFileSync(clusterPaths(cli.dir, cluster).stateFile, "utf8")) as LocalState;
const asSuperuser = (cluster: string, database: string, statements: readonly string[]) =>
  attempt(serverOf(cluster), { user: serverOf(cluster).user, password: serverOf(cluster).password }, database, statements);
const roleName = (slug: string, env: string, kind: "runtime" | "ddl") => `tn_${slug.replace(/-/g, "_")}_${env}_${kind}`;

function login(slug: string, env: string, kind: "runtime" | "ddl", cluster: string): Credentials {
  const user = roleName(slug, env, kind);
  const resource = stateOf(cluster).stacks[`org-${slug}`]?.resources.find((r) => r.type === TYPE.role && r.inputs["name"] === user);
  if (resource === undefined) throw new Error(`no ${user} in ${cluster}'s state`);
  return { user, password: String(resource.inputs["password"]) };
}

/** Whether the role logs in on the cluster: undefined when it does, else the SQLSTATE (28000: refused). */
const logsIn = async (slug: string, env: string, kind: "runtime" | "ddl", cluster: string) =>
  (await attempt(serverOf(cluster), login(slug, env, kind, cluster), databaseName(slug), ["SELECT 1"])).code;

/** Tables made on the source by the benign half of the migration, then rows written as the runtime role. */
async function live(slug: string): Promise<void> {
  const server = serverOf(FROM);
  for (const env of ENVIRONMENTS) {
    const ddl = login(slug, env, "ddl", FROM);
    const schema = `main_${env}`;
    execFileSync("node", ["-e", `
      const { Client } = require(${JSON.stringify(join(REPO_DIR, "node_modules", "pg"))});
      (async () => { const c = new Client(); await c.connect(); await c.query("CREATE TABLE ${schema}.notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, body text NOT NULL, score double precision)"); await c.end(); })();
    `], { env: { ...process.env, PGHOST: server.host, PGPORT: String(server.port), PGDATABASE: databaseName(slug), PGUSER: ddl.user, PGPASSWORD: ddl.password } });
    const wrote = await attempt(server, login(slug, env, "runtime", FROM), databaseName(slug), [
      "BEGIN", "SET LOCAL tenantry.actor = 'alice@example.com'",
      `INSERT INTO ${schema}.notes (body, score) SELECT 'note ' || g, g / 7.0 FROM generate_series(1, 50) AS g`,
      `INSERT INTO ${schema}.notes (body, score) VALUES ('dup', 0.1), ('dup', 0.1), ('nan', 'NaN'), ('neg zero', '-0')`,
      "COMMIT",
    ]);
    expect(wrote.code, wrote.message).toBeUndefined();
  }
}

function attackLog(env: string): Record<string, unknown>[] {
  return readFileSync(join(cli.dir, `attack-${env}.jsonl`), "utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
}

let up: ReturnType<CliProject["run"]>;

beforeAll(async () => {
  for (const folder of ["platform", "stacks"]) mkdirSync(join(cli.dir, folder), { recursive: true });
  copyFileSync(join(REPO_DIR, "platform", "Pulumi.platform.yaml"), join(cli.dir, "platform", "Pulumi.platform.yaml"));
  writeFileSync(migrationScript, MIGRATION);
  for (const slug of [ORG, NEIGHBOUR]) writeFileSync(join(cli.dir, "stacks", `Pulumi.org-${slug}.yaml`), placedText(slug));
  up = cli.run("up", "--local", "--no-prove", `org-${ORG}`, `org-${NEIGHBOUR}`);
  if (up.code !== EXIT_OK) return;
  for (const slug of [ORG, NEIGHBOUR]) await live(slug);
}, TEST_TIMEOUT_MS);
afterAll(() => cli.remove(), TEST_TIMEOUT_MS);

describe("attacks on tenantry move", { timeout: TEST_TIMEOUT_MS }, () => {
  it("a hand-edited record naming a neighbour's login (whose name begins with this org's prefix) is refused, and never gives that frozen login back", async () => {
    expect(up.code, up.out).toBe(EXIT_OK);
    // The neighbour mid-move: frozen on the source, its migration failing at create-tables.
    const neighbour = cli.run("move", `org-${NEIGHBOUR}`, "--to", TO, "--migrate", "false");
    expect(neighbour.code, neighbour.out).toBe(EXIT_INVALID);
    expect(await logsIn(NEIGHBOUR, "dev", "runtime", FROM)).toBe("28000");
    // This org mid-move the same way.
    const stopped = cli.run("move", `org-${ORG}`, "--to", TO, "--migrate", "false");
    expect(stopped.code, stopped.out).toBe(EXIT_INVALID);
    const file = readMoveFile(cli.dir, ORG);
    if (file?.sourceLogins === undefined) throw new Error("no source logins recorded");
    const hostile = { role: roleName(NEIGHBOUR, "dev", "runtime"), canLogin: true, connectionLimit: -1 };
    writeMoveFile(cli.dir, { ...file, sourceLogins: [...file.sourceLogins, hostile] });

    const rollback = cli.run("move", `org-${ORG}`, "--rollback");
    expect(await logsIn(NEIGHBOUR, "dev", "runtime", FROM)).toBe("28000");
    expect(rollback.code, rollback.out).toBe(EXIT_INVALID);
    expect(rollback.stderr).toContain(`sourceLogins: "${hostile.role}" is not a login role of this org on that cluster`);
    expect(await logsIn(ORG, "dev", "runtime", FROM)).toBe("28000");

    // The record put back: the rollback gives this org's logins back, and only them.
    writeMoveFile(cli.dir, file);
    const restored = cli.run("move", `org-${ORG}`, "--rollback");
    expect(restored.code, restored.out).toBe(EXIT_OK);
    expect(await logsIn(ORG, "dev", "runtime", FROM)).toBeUndefined();
    expect(await logsIn(NEIGHBOUR, "dev", "runtime", FROM)).toBe("28000");
    const neighbourBack = cli.run("move", `org-${NEIGHBOUR}`, "--rollback");
    expect(neighbourBack.code, neighbourBack.out).toBe(EXIT_OK);
    expect(await logsIn(NEIGHBOUR, "dev", "runtime", FROM)).toBeUndefined();
  });

  it("a table owned by a role not the org's (here the neighbour's DDL role) is refused before a row is copied, and nothing is copied as that role", async () => {
    expect(up.code, up.out).toBe(EXIT_OK);
    const stranger = roleName(NEIGHBOUR, "dev", "ddl");
    const moved = await asSuperuser(FROM, databaseName(ORG), [`GRANT USAGE, CREATE ON SCHEMA main_dev TO ${stranger}`, `ALTER TABLE main_dev.notes OWNER TO ${stranger}`]);
    expect(moved.code, moved.message).toBeUndefined();
    try {
      const refused = cli.run("move", `org-${ORG}`, "--to", TO, "--migrate", MIGRATE);
      expect(refused.code, refused.out).toBe(EXIT_INVALID);
      expect(refused.stderr).toContain(`main_dev.notes on the source ${FROM} is owned by ${stranger}, not by ${roleName(ORG, "dev", "ddl")}`);
      expect(readMoveFile(cli.dir, ORG)?.record).toMatchObject({ inFlight: "copy" });
      // (The migration's lingering process wrote rows there before the freeze ended it: none of the source's.)
      const copied = await asSuperuser(TO, databaseName(ORG), ["SELECT count(*)::int AS n FROM main_dev.notes WHERE body <> 'lingering'"]);
      expect(copied.rows[0]?.["n"], copied.message).toBe(0);
      const rollback = cli.run("move", `org-${ORG}`, "--rollback");
      expect(rollback.code, rollback.out).toBe(EXIT_OK);
    } finally {
      await asSuperuser(FROM, databaseName(ORG), [`ALTER TABLE main_dev.notes OWNER TO ${roleName(ORG, "dev", "ddl")}`, `REVOKE USAGE, CREATE ON SCHEMA main_dev FROM ${stranger}`]);
    }
  });

  it("the migration command gets none of the caller's credentials, cannot escape the freeze with a prepared transaction, give its table to a stronger role or shadow a built-in; the move then verifies", async () => {
    expect(up.code, up.out).toBe(EXIT_OK);
    const moved = cli.run("move", `org-${ORG}`, "--to", TO, "--migrate", MIGRATE);
    expect(moved.code, moved.out).toBe(EXIT_OK);
    expect(moved.stdout).toMatch(/counts and checksums equal; the ledger identical and append-only on pg-us-1/);
    for (const env of ENVIRONMENTS) {
      const log = attackLog(env);
      const seen = (log.find((r) => r["env"] !== undefined)?.["env"] ?? {}) as Record<string, string>;
      for (const [name, value] of Object.entries(CALLER_SECRETS)) {
        expect(seen[name], name).toBeUndefined();
        expect(Object.values(seen), name).not.toContain(value);
      }
      expect(seen).toMatchObject({ PGUSER: roleName(ORG, env, "ddl"), PGDATABASE: databaseName(ORG), TENANTRY_ENVIRONMENT: env });
      const outcomes = Object.fromEntries(log.filter((r) => r["attempt"] !== undefined).map((r) => [String(r["attempt"]), r["outcome"]]));
      console.log(`migration attempts (${env}): ${JSON.stringify(outcomes)}`);
      // max_prepared_transactions is 0: no transaction outlives its session (pg_terminate_backend).
      expect(outcomes["prepare-transaction"]).toBe("55000");
      // The lingering session was ended by the freeze after the migration, and could not come back.
      expect(outcomes["linger-connect"]).toBe("allowed");
      expect(["57P01", "Connection terminated unexpectedly"]).toContain(outcomes["linger"]);
      expect(outcomes["reconnect"]).toBe("28000");
      for (const [name, outcome] of Object.entries(outcomes).filter(([name]) => name.startsWith("owner-to") || name.startsWith("create-") || name === "write-ledger")) {
        expect(outcome, name).not.toBe("allowed");
      }
    }
    // The neighbour was never touched: its logins work on the source, its database is where it was.
    expect(await logsIn(NEIGHBOUR, "prod", "runtime", FROM)).toBeUndefined();
    expect(await logsIn(ORG, "dev", "runtime", TO)).toBeUndefined();
    expect(await logsIn(ORG, "dev", "runtime", FROM)).toBe("28000");
    const finish = cli.run("move", `org-${ORG}`, "--finish");
    expect(finish.code, finish.out).toBe(EXIT_OK);
    const neighbourRoles = await asSuperuser(FROM, "postgres", [`SELECT count(*)::int AS n FROM pg_roles WHERE rolname LIKE 'tn\\_mvatk\\_b\\_%'`]);
    expect(neighbourRoles.rows[0]?.["n"]).toBeGreaterThanOrEqual(5);
    expect(await logsIn(NEIGHBOUR, "dev", "ddl", FROM)).toBeUndefined();
    const neighbourDb = await asSuperuser(FROM, "postgres", [`SELECT count(*)::int AS n FROM pg_database WHERE datname = '${databaseName(NEIGHBOUR)}'`]);
    expect(neighbourDb.rows[0]?.["n"]).toBe(1);
  });

  it("a hand-edited record whose move goes from the org's cluster to the same cluster is refused: its rollback would drop the only copy", async () => {
    expect(up.code, up.out).toBe(EXIT_OK);
    const existing = readMoveFile(cli.dir, NEIGHBOUR);
    expect(existing?.record.rolledBack).toBe(true);
    writeMoveFile(cli.dir, { org: NEIGHBOUR, memberships: [], record: { stack: `org-${NEIGHBOUR}`, from: FROM, to: FROM, completed: 2, rollingBack: false, rolledBack: false, finished: false } });
    const rollback = cli.run("move", `org-${NEIGHBOUR}`, "--rollback");
    const database = await asSuperuser(FROM, "postgres", [`SELECT count(*)::int AS n FROM pg_database WHERE datname = '${databaseName(NEIGHBOUR)}'`]);
    expect(database.rows[0]?.["n"]).toBe(1);
    expect(rollback.code, rollback.out).toBe(EXIT_INVALID);
    expect(rollback.stderr).toContain(`record: the move goes from ${FROM} to ${FROM}`);
    expect(await logsIn(NEIGHBOUR, "dev", "runtime", FROM)).toBeUndefined();
  });
});
