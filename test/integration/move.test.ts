import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { move } from "../../cli/commands/move";
import { EXIT_INVALID, EXIT_OK, EXIT_VIOLATIONS } from "../../cli/exit-codes";
import { grantSetRoleSql } from "../../fleet/move-owners";
import { moveFilePath, readMoveFile, writeMoveFile } from "../../fleet/move-record";
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
 * `tenantry move` end to end on the example platform's two clusters, one embedded server each
 * (issue 18 item 5, docs/move.md): placed orgs applied by `up`, their tables made by a migration
 * run as the DDL role, rows written as the runtime role with an actor (so the ledger holds
 * INSERT, UPDATE and DELETE events), then moved. Every claim is checked here independently of
 * the move's own verification: counts and checksums computed by this file, the ledger compared
 * row by row as JSON, logins attempted on both servers. Interruptions go through the command's
 * test hook (an action failing after its work, as a crash there would).
 */

const FROM = "pg-eu-1";
const TO = "pg-us-1";
const ORGS = ["mvship", "mvresume", "mvroll"] as const;
const ENVIRONMENTS = ["dev", "prod"] as const;
const TEST_TIMEOUT_MS = 240_000;

const placedText = (slug: string) => placedStackText(slug, FROM, ENVIRONMENTS, `${slug}: a placed org the move test moves (this comment must survive the switch)`);

/** The org's migrations: what a tenant's migration tool would run, as the DDL role, from libpq's variables. */
const MIGRATION = `
const { Client } = require(${JSON.stringify(join(REPO_DIR, "node_modules", "pg"))});
const schema = "main_" + process.env.TENANTRY_ENVIRONMENT;
(async () => {
  const c = new Client();
  await c.connect();
  await c.query(\`CREATE TABLE \${schema}.customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL \${process.env.MIGRATION_VARIANT === "loose" ? "" : "CHECK (length(name) < 200)"}, tags text[], joined date)\`);
  await c.query(\`CREATE TABLE \${schema}.orders (id serial PRIMARY KEY, customer bigint NOT NULL REFERENCES \${schema}.customers, amount numeric(12,2), placed timestamptz DEFAULT now())\`);
  await c.query(\`CREATE INDEX ON \${schema}.orders (customer, placed)\`);
  await c.end();
})().catch((error) => { console.error(error.message); process.exit(1); });
`;

const cli = new CliProject([]);
const migrationScript = join(cli.dir, "migrate.js");
const MIGRATE = `node ${migrationScript}`;

const serverOf = (cluster: string): ServerInfo => JSON.parse(readFileSync(clusterPaths(cli.dir, cluster).serverFile, "utf8")) as ServerInfo;
const stateOf = (cluster: string): LocalState => JSON.parse(readFileSync(clusterPaths(cli.dir, cluster).stateFile, "utf8")) as LocalState;
const superuser = (cluster: string): Credentials => ({ user: serverOf(cluster).user, password: serverOf(cluster).password });
const asSuperuser = (cluster: string, database: string, statements: readonly string[]) => attempt(serverOf(cluster), superuser(cluster), database, statements);

function login(slug: string, env: string, kind: "runtime" | "ddl", cluster: string): Credentials {
  const user = `tn_${slug}_${env}_${kind}`;
  const resource = stateOf(cluster).stacks[`org-${slug}`]?.resources.find((r) => r.type === TYPE.role && r.inputs["name"] === user);
  if (resource === undefined) throw new Error(`no ${user} in ${cluster}'s state`);
  return { user, password: String(resource.inputs["password"]) };
}

/** The org's life on the source: tables by its migration as each DDL role, then rows written, changed and deleted as the runtime role. */
async function live(slug: string, customers: number): Promise<void> {
  const server = serverOf(FROM);
  for (const env of ENVIRONMENTS) {
    const ddl = login(slug, env, "ddl", FROM);
    execFileSync("node", [migrationScript], {
      env: { ...process.env, PGHOST: server.host, PGPORT: String(server.port), PGDATABASE: databaseName(slug), PGUSER: ddl.user, PGPASSWORD: ddl.password, TENANTRY_ENVIRONMENT: env },
    });
    const schema = `main_${env}`;
    const wrote = await attempt(server, login(slug, env, "runtime", FROM), databaseName(slug), [
      "BEGIN", "SET LOCAL tenantry.actor = 'alice@example.com'",
      `INSERT INTO ${schema}.customers (name, tags, joined) SELECT 'customer ' || g, ARRAY['t' || g % 3, 'é"\\,'], date '2024-01-01' + g FROM generate_series(1, ${customers}) AS g`,
      `INSERT INTO ${schema}.orders (customer, amount) SELECT c.id, (c.id * 1.25) % 1000 FROM ${schema}.customers AS c, generate_series(1, 3)`,
      `UPDATE ${schema}.customers SET name = name || ' (vip)' WHERE id % 5 = 0`,
      `DELETE FROM ${schema}.orders WHERE id % 7 = 0`,
      "COMMIT",
    ]);
    expect(wrote.code, wrote.message).toBeUndefined();
  }
}

/** Each table of the org's schemas and the ledger: rows and an md5 of the sorted rows, computed here, not by the move. */
async function fingerprint(cluster: string, slug: string): Promise<Record<string, string>> {
  const tables = ENVIRONMENTS.flatMap((env) => [`main_${env}.customers`, `main_${env}.orders`]).concat(["audit.events", "audit.break_glass_grants"]);
  const out: Record<string, string> = {};
  for (const table of tables) {
    const { rows, code, message } = await asSuperuser(cluster, databaseName(slug), [
      "SET DateStyle = 'ISO, YMD'", "SET TimeZone = 'UTC'", "SET extra_float_digits = 1",
      `SELECT count(*)::text || ' rows, ' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text COLLATE "C")), 'empty') AS f FROM ${table} AS t`,
    ]);
    if (code !== undefined) throw new Error(`${cluster} ${table}: ${message}`);
    out[table] = String(rows[0]?.["f"]);
  }
  return out;
}

/** The ledger, event by event, as JSON in id order (whatever columns it has). */
async function ledger(cluster: string, slug: string): Promise<unknown[]> {
  const { rows, code, message } = await asSuperuser(cluster, databaseName(slug), ["SET TimeZone = 'UTC'", "SELECT to_jsonb(e) AS event FROM audit.events AS e ORDER BY id"]);
  if (code !== undefined) throw new Error(message);
  return rows.map((r) => r["event"]);
}

/** As the cluster's provider login (no superuser), in the org's database. */
function asProvider(cluster: string, statements: readonly string[]) {
  const passwords = JSON.parse(readFileSync(clusterPaths(cli.dir, cluster).providerAdminsFile, "utf8")) as Record<string, string>;
  return attempt(serverOf(cluster), { user: "tenantry", password: passwords["tenantry"] ?? "" }, "postgres", statements);
}

const databaseOn = async (cluster: string, slug: string) =>
  Number((await asSuperuser(cluster, "postgres", [`SELECT count(*)::int AS n FROM pg_database WHERE datname = '${databaseName(slug)}'`])).rows[0]?.["n"]);
const rolesOn = async (cluster: string, slug: string) =>
  Number((await asSuperuser(cluster, "postgres", [`SELECT count(*)::int AS n FROM pg_roles WHERE rolname LIKE 'tn\\_${slug}\\_%'`])).rows[0]?.["n"]);
const stackText = (slug: string) => readFileSync(join(cli.dir, "stacks", `Pulumi.org-${slug}.yaml`), "utf8");

/** An action of the move fails right after its work, as a crash there would. */
class InjectedFailure extends Error {}
const failAfter = (action: string) => ({ afterAction: (done: string) => { if (done === action) throw new InjectedFailure(`injected after ${action}`); } });

const timings: string[] = [];
let up: ReturnType<CliProject["run"]>;

beforeAll(async () => {
  for (const folder of ["platform", "stacks"]) mkdirSync(join(cli.dir, folder), { recursive: true });
  copyFileSync(join(REPO_DIR, "platform", "Pulumi.platform.yaml"), join(cli.dir, "platform", "Pulumi.platform.yaml"));
  writeFileSync(migrationScript, MIGRATION);
  for (const slug of ORGS) writeFileSync(join(cli.dir, "stacks", `Pulumi.org-${slug}.yaml`), placedText(slug));
  up = cli.run("up", "--local", "--no-prove", ...ORGS.map((slug) => `org-${slug}`));
  if (up.code !== EXIT_OK) return;
  for (const slug of ORGS) await live(slug, slug === "mvship" ? 200 : 40);
}, TEST_TIMEOUT_MS);
afterAll(() => {
  if (timings.length > 0) console.log(`move timings:\n${timings.join("\n")}`);
  cli.remove();
}, TEST_TIMEOUT_MS);

describe("tenantry move between the two local cluster servers", { timeout: TEST_TIMEOUT_MS }, () => {
  it("moves an org with its data and audit history: zero rows lost, the ledger identical and append-only, logins on the target only, proof intact; the old copy kept until --finish", async () => {
    expect(up.code, up.out).toBe(EXIT_OK);
    const slug = "mvship";
    const before = await fingerprint(FROM, slug);
    const events = await ledger(FROM, slug);
    // History of every kind (read generically: the ledger's columns are the ledger's own).
    for (const operation of ["INSERT", "UPDATE", "DELETE"]) expect(JSON.stringify(events)).toContain(`"${operation}"`);

    const refused = cli.run("move", `org-${slug}`, "--to", TO);
    expect(refused.code, refused.out).toBe(EXIT_INVALID);
    expect(refused.stderr).toMatch(/holds tables \(.*"main_dev"\."customers".*\): .*--migrate <command>/);
    expect(readMoveFile(cli.dir, slug)).toBeUndefined();

    const started = Date.now();
    const moved = cli.run("move", `org-${slug}`, "--to", TO, "--migrate", MIGRATE);
    timings.push(`${slug} (${before["main_dev.customers"]} + ${before["main_prod.customers"]} customers, ${before["audit.events"]} events): ${((Date.now() - started) / 1000).toFixed(1)} s in all`, moved.stdout);
    expect(moved.code, moved.out).toBe(EXIT_OK);
    expect(moved.stdout).toMatch(/verify: \d+ tables, \d+ rows, counts and checksums equal; the ledger identical and append-only on pg-us-1/);

    // The stack file names the target, its comment kept; the source keeps the old copy.
    expect(stackText(slug)).toContain(`placement:\n      cluster: ${TO}`);
    expect(stackText(slug)).toContain("this comment must survive the switch");
    expect(await fingerprint(TO, slug)).toEqual(before);
    expect(await fingerprint(FROM, slug)).toEqual(before);
    expect(await ledger(TO, slug)).toEqual(events);

    for (const env of ENVIRONMENTS) {
      const runtime = login(slug, env, "runtime", TO);
      // The same passwords as on the source: one stack, one random_password result.
      expect(runtime.password).toBe(login(slug, env, "runtime", FROM).password);
      const write = await attempt(serverOf(TO), runtime, databaseName(slug), ["BEGIN", "SET LOCAL tenantry.actor = 'bob@example.com'", `INSERT INTO main_${env}.customers (name) VALUES ('after the move')`, "COMMIT"]);
      expect(write.code, write.message).toBeUndefined();
      for (const statement of ["UPDATE audit.events SET actor = 'mallory' WHERE true", "DELETE FROM audit.events WHERE true"]) {
        expect((await attempt(serverOf(TO), runtime, databaseName(slug), [statement])).code, statement).toBe("42501");
      }
      for (const who of [runtime, login(slug, env, "ddl", TO)]) expect((await attempt(serverOf(FROM), who, databaseName(slug), ["SELECT 1"])).code).toBe("28000");
    }
    // The ledger was copied as its NOLOGIN owner, through a membership granted for the copy and revoked after, on both sides.
    for (const cluster of [FROM, TO]) {
      const set = await asProvider(cluster, [`SELECT pg_has_role(session_user, 'tn_${slug}_audit', 'SET') AS may`]);
      expect(set.rows[0]?.["may"], cluster).toBe(false);
    }
    // The new events follow the copied history.
    const after = await ledger(TO, slug);
    expect(after.slice(0, events.length)).toEqual(events);
    expect(after.length).toBe(events.length + ENVIRONMENTS.length);

    const proof = cli.run("prove", "--local", `org-${slug}`, "--verbose");
    expect(proof.code, proof.out).toBe(EXIT_OK);
    expect(proof.stdout).toContain(`retained (1 row): the old copy of the move recorded in .tenantry/moves/${slug}.json`);

    const finish = cli.run("move", `org-${slug}`, "--finish");
    expect(finish.code, finish.out).toBe(EXIT_OK);
    expect(await databaseOn(FROM, slug)).toBe(0);
    expect(await rolesOn(FROM, slug)).toBe(0);
    expect(await databaseOn(TO, slug)).toBe(1);
    // The other orgs on the source are untouched by the drop.
    for (const other of ORGS.filter((o) => o !== slug)) expect(await databaseOn(FROM, other)).toBe(1);
  });

  it("a move stopped after its copy leaves the org intact on the source and locked out of up; a rerun revokes a membership a crash left and resumes it to a completed move", async () => {
    expect(up.code, up.out).toBe(EXIT_OK);
    const slug = "mvresume";
    const before = await fingerprint(FROM, slug);
    await expect(move(`org-${slug}`, { to: TO, migrate: MIGRATE, hooks: failAfter("copy") }, cli.dir)).rejects.toThrow(InjectedFailure);
    expect(readMoveFile(cli.dir, slug)?.record).toMatchObject({ completed: 3, inFlight: "copy" });
    expect(readMoveFile(cli.dir, slug)?.memberships).toEqual([]);
    expect(await fingerprint(FROM, slug)).toEqual(before);
    expect(stackText(slug)).toContain(`cluster: ${FROM}`);
    // Readable on the source (its data is there, as its owner reads it), and no login gets its frozen logins back.
    expect((await attempt(serverOf(FROM), login(slug, "dev", "runtime", FROM), databaseName(slug), ["SELECT 1"])).code).toBe("28000");
    const upNow = cli.run("up", "--local", "--no-prove", `org-${slug}`);
    expect(upNow.code, upNow.out).toBe(EXIT_INVALID);
    expect(upNow.stderr).toContain(`up --local refused: org-${slug} is being moved from ${FROM} to ${TO} (record .tenantry/moves/${slug}.json)`);
    const elsewhere = cli.run("move", `org-${slug}`, "--to", FROM);
    expect(elsewhere.code).toBe(EXIT_INVALID);

    // A crash between the copy's grant of a temporary membership and its revoke: journaled, then made.
    const owner = `tn_${slug}_dev_ddl`;
    // The login's own grants in that role (it reaches the DDL roles through the org's owner without one).
    const selfGranted = async () => (await asProvider(FROM, [
      `SELECT count(*)::int AS n FROM pg_auth_members AS m WHERE m.roleid = '${owner}'::regrole AND m.member = session_user::regrole AND m.grantor = m.member`,
    ])).rows[0]?.["n"];
    expect(await selfGranted()).toBe(0);
    const file = readMoveFile(cli.dir, slug);
    if (file === undefined) throw new Error("no record");
    writeMoveFile(cli.dir, { ...file, memberships: [{ cluster: FROM, role: owner }] });
    expect((await asProvider(FROM, [grantSetRoleSql(owner)])).code).toBeUndefined();
    expect(await selfGranted()).toBe(1);

    expect(await move(`org-${slug}`, {}, cli.dir)).toBe(EXIT_OK);
    expect(readMoveFile(cli.dir, slug)?.record).toMatchObject({ completed: 6, finished: false });
    expect(await selfGranted()).toBe(0);
    expect(readMoveFile(cli.dir, slug)?.memberships).toEqual([]);
    expect(stackText(slug)).toContain(`cluster: ${TO}`);
    expect(await fingerprint(TO, slug)).toEqual(before);
    expect((await attempt(serverOf(TO), login(slug, "dev", "runtime", TO), databaseName(slug), ["SELECT count(*) FROM main_dev.orders"])).code).toBeUndefined();
  });

  it("migrations that make other tables are refused naming the table; --rollback gives the source its logins back and drops the target's copy; a verification that fails rolls back by itself and names the difference", async () => {
    expect(up.code, up.out).toBe(EXIT_OK);
    const slug = "mvroll";
    const before = await fingerprint(FROM, slug);
    const write = (cluster: string) => attempt(serverOf(cluster), login(slug, "dev", "runtime", FROM), databaseName(slug), ["BEGIN", "SET LOCAL tenantry.actor = 'carol@example.com'", "INSERT INTO main_dev.customers (name) VALUES ('written again')", "COMMIT"]);

    // Migrations that make other tables on the target: refused before any row is copied, naming the table.
    const loose = cli.run("move", `org-${slug}`, "--to", TO, "--migrate", `MIGRATION_VARIANT=loose ${MIGRATE}`);
    expect(loose.code, loose.out).toBe(EXIT_INVALID);
    expect(loose.stderr).toContain('"main_dev"."customers": its constraints differ between the source and the target');
    expect(readMoveFile(cli.dir, slug)?.record).toMatchObject({ completed: 2, inFlight: "create-tables" });
    const undo = cli.run("move", `org-${slug}`, "--rollback");
    expect(undo.code, undo.out).toBe(EXIT_OK);
    expect((await write(FROM)).code).toBeUndefined();
    const written = await fingerprint(FROM, slug);
    expect(written).not.toEqual(before);

    await expect(move(`org-${slug}`, { to: TO, migrate: MIGRATE, hooks: failAfter("copy") }, cli.dir)).rejects.toThrow(InjectedFailure);
    expect((await write(FROM)).code).toBe("28000");
    expect(await move(`org-${slug}`, { rollback: true }, cli.dir)).toBe(EXIT_OK);
    expect(readMoveFile(cli.dir, slug)?.record).toMatchObject({ rolledBack: true });
    expect(await databaseOn(TO, slug)).toBe(0);
    expect(await rolesOn(TO, slug)).toBe(0);
    expect(stateOf(TO).stacks[`org-${slug}`]).toBeUndefined();
    expect(await fingerprint(FROM, slug)).toEqual(written);
    expect((await write(FROM)).code).toBeUndefined();
    const upAgain = cli.run("up", "--local", "--no-prove", `org-${slug}`);
    expect(upAgain.code, upAgain.out).toBe(EXIT_OK);

    // A row changed on the target between the copy and the verification.
    const tamper = { beforeVerify: async () => {
      const changed = await asSuperuser(TO, databaseName(slug), ["SET session_replication_role = replica", "UPDATE main_dev.customers SET name = 'tampered' WHERE id = 1"]);
      expect(changed.code, changed.message).toBeUndefined();
    } };
    const errors = vi.spyOn(console, "error");
    let failed: number;
    let printed = "";
    try {
      failed = await move(`org-${slug}`, { to: TO, migrate: MIGRATE, hooks: tamper }, cli.dir);
    } finally {
      printed = errors.mock.calls.flat().join("\n");
      errors.mockRestore();
    }
    expect(failed).toBe(EXIT_VIOLATIONS);
    expect(printed).toMatch(/"main_dev"\."customers": \d+ rows on both sides but their contents differ/);
    expect(printed).toContain(`the move was rolled back: org-${slug} is writable on ${FROM} again`);
    expect(readMoveFile(cli.dir, slug)?.record).toMatchObject({ rolledBack: true, completed: 4 });
    expect(await databaseOn(TO, slug)).toBe(0);
    expect(stackText(slug)).toContain(`cluster: ${FROM}`);
    expect((await write(FROM)).code).toBeUndefined();
    expect(existsSync(moveFilePath(cli.dir, slug))).toBe(true);
  });

  it("a table whose copy would run the tenant's own function is refused before anything is frozen, naming the table and the function", async () => {
    expect(up.code, up.out).toBe(EXIT_OK);
    const slug = "mvroll";
    // As the tenant's migrations (the DDL login of one environment): a CHECK calling a function it wrote.
    const planted = await attempt(serverOf(FROM), login(slug, "dev", "ddl", FROM), databaseName(slug), [
      "CREATE FUNCTION main_dev.plausible(text) RETURNS boolean LANGUAGE sql AS 'SELECT true'",
      "ALTER TABLE main_dev.customers ADD CONSTRAINT plausible_name CHECK (main_dev.plausible(name))",
    ]);
    expect(planted.code, planted.message).toBeUndefined();
    const before = readMoveFile(cli.dir, slug);
    const refused = cli.run("move", `org-${slug}`, "--to", TO, "--migrate", MIGRATE);
    expect(refused.code, refused.out).toBe(EXIT_INVALID);
    expect(refused.stderr).toContain("nothing was frozen");
    expect(refused.stderr).toMatch(/"main_dev"\."customers": .*plausible_name.* depends on function main_dev\.plausible\(text\), which is not built into Postgres/);
    expect(readMoveFile(cli.dir, slug)).toEqual(before);
    const write = await attempt(serverOf(FROM), login(slug, "dev", "runtime", FROM), databaseName(slug), ["BEGIN", "SET LOCAL tenantry.actor = 'carol@example.com'", "INSERT INTO main_dev.customers (name) VALUES ('still writable')", "COMMIT"]);
    expect(write.code, write.message).toBeUndefined();
    expect(await databaseOn(TO, slug)).toBe(0);

    // The check that holds runs after the freeze: a CHECK planted once the early check passed
    // (here, right after prepare-target, while the DDL login may still connect) is refused there.
    const dropped = await attempt(serverOf(FROM), login(slug, "dev", "ddl", FROM), databaseName(slug), ["ALTER TABLE main_dev.customers DROP CONSTRAINT plausible_name"]);
    expect(dropped.code, dropped.message).toBeUndefined();
    const plantLate = { afterAction: async (done: string) => {
      if (done !== "prepare-target") return;
      const late = await attempt(serverOf(FROM), login(slug, "dev", "ddl", FROM), databaseName(slug), ["ALTER TABLE main_dev.customers ADD CONSTRAINT plausible_name CHECK (main_dev.plausible(name))"]);
      expect(late.code, late.message).toBeUndefined();
    } };
    await expect(move(`org-${slug}`, { to: TO, migrate: MIGRATE, hooks: plantLate }, cli.dir)).rejects.toThrow(/the copy would run the tenant's own code for these tables \(on the source\)[^]*plausible_name/);
    expect(readMoveFile(cli.dir, slug)?.record).toMatchObject({ completed: 2, inFlight: "create-tables" });
    expect(await move(`org-${slug}`, { rollback: true }, cli.dir)).toBe(EXIT_OK);
    const writable = await attempt(serverOf(FROM), login(slug, "dev", "runtime", FROM), databaseName(slug), ["BEGIN", "SET LOCAL tenantry.actor = 'carol@example.com'", "INSERT INTO main_dev.customers (name) VALUES ('after the rollback')", "COMMIT"]);
    expect(writable.code, writable.message).toBeUndefined();
  });

  it("a resumed move whose record claims a copy and a verification that never ran is verified again before its switch, and rolls back", async () => {
    expect(up.code, up.out).toBe(EXIT_OK);
    const slug = "mvroll";
    const cleared = await attempt(serverOf(FROM), login(slug, "dev", "ddl", FROM), databaseName(slug), ["ALTER TABLE main_dev.customers DROP CONSTRAINT IF EXISTS plausible_name"]);
    expect(cleared.code, cleared.message).toBeUndefined();
    await expect(move(`org-${slug}`, { to: TO, migrate: MIGRATE, hooks: failAfter("create-tables") }, cli.dir)).rejects.toThrow(InjectedFailure);
    // As whoever can edit the project's files: the record now says copy and verify completed.
    const file = readMoveFile(cli.dir, slug);
    if (file === undefined) throw new Error("no record");
    const { inFlight: _dropped, ...record } = file.record;
    writeMoveFile(cli.dir, { ...file, record: { ...record, completed: 5 } });
    const errors = vi.spyOn(console, "error");
    let code: number;
    let printed = "";
    try {
      code = await move(`org-${slug}`, {}, cli.dir);
    } finally {
      printed = errors.mock.calls.flat().join("\n");
      errors.mockRestore();
    }
    expect(code).toBe(EXIT_VIOLATIONS);
    expect(printed).toMatch(/"main_dev"\."customers": .*differ|rows on the source/);
    expect(readMoveFile(cli.dir, slug)?.record).toMatchObject({ rolledBack: true });
    expect(stackText(slug)).toContain(`cluster: ${FROM}`);
    expect(await databaseOn(TO, slug)).toBe(0);
    const writable = await attempt(serverOf(FROM), login(slug, "dev", "runtime", FROM), databaseName(slug), ["BEGIN", "SET LOCAL tenantry.actor = 'carol@example.com'", "INSERT INTO main_dev.customers (name) VALUES ('never switched')", "COMMIT"]);
    expect(writable.code, writable.message).toBeUndefined();
  });
});
