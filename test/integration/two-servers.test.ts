import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { EXIT_OK } from "../../cli/exit-codes";
import { readFleet } from "../../cli/fleet-placement";
import { attempt, type Credentials } from "../../local/attempt";
import { clusterPaths } from "../../local/cluster-servers";
import { capacityRefusesAThirdOrg, databaseOnlyOnItsCluster, rolesCannotLogInElsewhere, type ClusterProofContext } from "../../local/proof/cluster-claims";
import { TYPE } from "../../local/provider-sql";
import type { ServerInfo } from "../../local/server";
import type { LocalState } from "../../local/state";
import { databaseName } from "../../spec/naming";
import { CLI_TEST_TIMEOUT_MS, CliProject } from "../helpers/cli-project";
import { REPO_DIR } from "../helpers/local";
import { PROVIDER_CONFIG } from "../helpers/spec-builder";

/*
 * The local proof with two servers (issue 18, DESIGN property 20): the example platform config's
 * two clusters, pg-eu-1 and pg-us-1, each an embedded Postgres of its own, and one placed org on
 * each, through the CLI. Each claim of local/proof/cluster-claims.ts is then run again with its
 * guard removed (the database or the role made on the other server too, the capacity check
 * switched off), and must fail. The servers are this project's own; `down --local` stops both.
 */

const ORGS = [
  { slug: "euco", cluster: "pg-eu-1" },
  { slug: "usco", cluster: "pg-us-1" },
] as const;

/** A placed org's stack file: the login settings only (no host, port or password), and placement. */
function placedStackText(slug: string, cluster: string): string {
  const { "postgresql:host": _host, ...login } = PROVIDER_CONFIG;
  const org = {
    slug, tier: "sandbox", environments: ["dev", "prod"], workspaces: [{ slug: "main" }], claimedDomains: [`${slug}.example`],
    quotas: { maxConnections: 11, statementTimeoutMs: 2000, lockTimeoutMs: 1000, idleInTransactionTimeoutMs: 1000 },
    placement: { cluster },
  };
  return stringify({ config: { ...login, "postgresql:database": "postgres", "tenantry:org": org } });
}

const cli = new CliProject([]);
let up: ReturnType<CliProject["run"]>;

beforeAll(() => {
  for (const folder of ["platform", "stacks"]) mkdirSync(join(cli.dir, folder), { recursive: true });
  copyFileSync(join(REPO_DIR, "platform", "Pulumi.platform.yaml"), join(cli.dir, "platform", "Pulumi.platform.yaml"));
  for (const { slug, cluster } of ORGS) writeFileSync(join(cli.dir, "stacks", `Pulumi.org-${slug}.yaml`), placedStackText(slug, cluster));
  up = cli.run("up", "--local", ...ORGS.map((o) => `org-${o.slug}`));
}, CLI_TEST_TIMEOUT_MS);
afterAll(() => cli.remove(), CLI_TEST_TIMEOUT_MS);

const serverOf = (cluster: string): ServerInfo => JSON.parse(readFileSync(clusterPaths(cli.dir, cluster).serverFile, "utf8")) as ServerInfo;
const stateOf = (cluster: string): LocalState => JSON.parse(readFileSync(clusterPaths(cli.dir, cluster).stateFile, "utf8")) as LocalState;
const postmasterPid = (cluster: string): number => Number.parseInt(readFileSync(join(clusterPaths(cli.dir, cluster).dataDir, "postmaster.pid"), "utf8").split("\n")[0] ?? "", 10);
const asSuperuser = (cluster: string, statements: readonly string[]) => {
  const server = serverOf(cluster);
  return attempt(server, { user: server.user, password: server.password }, "postgres", statements);
};
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function loginsOf(slug: string, cluster: string): Credentials[] {
  const resources = stateOf(cluster).stacks[`org-${slug}`]?.resources ?? [];
  return resources
    .filter((r) => r.type === TYPE.role && r.inputs["login"] === true)
    .map((r) => ({ user: String(r.inputs["name"]), password: String(r.inputs["password"]) }));
}

/** The claims' context for one placed org, from the servers and states the CLI left. */
function contextFor(slug: string, cluster: string): ClusterProofContext {
  const { clusters, orgs } = readFleet(cli.dir);
  return {
    stack: `org-${slug}`, database: databaseName(slug),
    own: { cluster, server: serverOf(cluster) },
    others: ORGS.filter((o) => o.cluster !== cluster).map((o) => ({ cluster: o.cluster, server: serverOf(o.cluster) })),
    logins: loginsOf(slug, cluster), clusters, orgs,
  };
}

describe("two placed orgs on the example platform's two clusters, one embedded server each", { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it("up --local runs one server per declared cluster, applies each org to its own, and its proof holds", () => {
    expect(up.code, up.out).toBe(EXIT_OK);
    const ports = ORGS.map((o) => serverOf(o.cluster).port);
    expect(new Set(ports).size).toBe(2);
    for (const { cluster } of ORGS) {
      expect(up.stdout).toContain(`cluster ${cluster}: embedded Postgres 127.0.0.1:${serverOf(cluster).port} (started), data in .tenantry/clusters/${cluster}/pg`);
    }
    // The project's default server is for orgs without placement: none here, so none was started.
    expect(cli.exists(".tenantry/pg")).toBe(false);
    expect(up.stdout).toMatch(/placement \(property 20\)/);
    expect(up.stdout).not.toMatch(/[1-9]\d* broken/);
    for (const { slug, cluster } of ORGS) expect(Object.keys(stateOf(cluster).stacks)).toEqual([`org-${slug}`]);
  });

  it("an org's database exists only on its own cluster; a control with it made on the other server fails", async () => {
    for (const { slug, cluster } of ORGS) {
      const rows = await databaseOnlyOnItsCluster(contextFor(slug, cluster));
      expect(rows.map((r) => r.status)).toEqual(["pass", "pass"]);
    }
    const [eu, us] = ORGS;
    // Control: the org database on the wrong cluster too, as an apply to the wrong server would leave it.
    expect((await asSuperuser(us.cluster, [`CREATE DATABASE ${databaseName(eu.slug)}`])).code).toBeUndefined();
    try {
      const rows = await databaseOnlyOnItsCluster(contextFor(eu.slug, eu.cluster));
      expect(rows.map((r) => r.status)).toEqual(["pass", "fail"]);
      expect(rows[1]?.result).toBe("FOUND (1 row), expected absent");
    } finally {
      await asSuperuser(us.cluster, [`DROP DATABASE ${databaseName(eu.slug)}`]);
    }
  });

  it("every login role of an org on cluster A is refused by cluster B with its real password (28P01); a control with the role made on B fails", async () => {
    for (const { slug, cluster } of ORGS) {
      const ctx = contextFor(slug, cluster);
      // Runtime and DDL logins of two environments.
      expect(ctx.logins.length).toBe(4);
      // Control of the attempt itself: the same credentials log in on their own cluster.
      for (const who of ctx.logins) expect((await attempt(ctx.own.server, who, ctx.database, ["SELECT 1"])).code).toBeUndefined();
      const rows = await rolesCannotLogInElsewhere(ctx);
      expect(rows).toHaveLength(ctx.logins.length * 2);
      expect(rows.every((r) => r.status === "pass" && r.result === "refused 28P01"), JSON.stringify(rows, null, 2)).toBe(true);
    }
    const [eu, us] = ORGS;
    const ctx = contextFor(eu.slug, eu.cluster);
    const who = ctx.logins[0];
    if (who === undefined) throw new Error("no login");
    // Control: the role, with the same password, on the other cluster: the claim must now fail for it.
    const escaped = who.password.replaceAll("'", "''");
    expect((await asSuperuser(us.cluster, [`CREATE ROLE ${who.user} LOGIN PASSWORD '${escaped}'`, `GRANT CONNECT ON DATABASE postgres TO ${who.user}`])).code).toBeUndefined();
    try {
      const rows = await rolesCannotLogInElsewhere(ctx);
      const broken = rows.filter((r) => r.status === "fail");
      const at = `${us.cluster} (127.0.0.1:${serverOf(us.cluster).port})`;
      // Authenticated both times: to its own database's name it is past the login and only finds no such database.
      expect(broken.map((r) => [r.attempt, r.result])).toEqual([
        [`${who.user} with its password: connect to ${at} database ${ctx.database}`, "refused 3D000, expected refused 28P01 or 28000"],
        [`${who.user} with its password: connect to ${at} database postgres`, "LOGGED IN, expected refused 28P01 or 28000"],
      ]);
    } finally {
      await asSuperuser(us.cluster, [`REVOKE CONNECT ON DATABASE postgres FROM ${who.user}`, `DROP ROLE ${who.user}`]);
    }
  });

  it("the capacity check refuses a generated third org that would over-commit the cluster, with the numbers; with the check removed the claim fails", async () => {
    for (const { slug, cluster } of ORGS) {
      const rows = await capacityRefusesAThirdOrg(contextFor(slug, cluster));
      expect(rows.map((r) => r.status), JSON.stringify(rows, null, 2)).toEqual(["pass", "pass", "pass"]);
      const max = cluster === "pg-eu-1" ? "1,000" : "2,000";
      expect(rows[0]?.result).toMatch(new RegExp(`^refused: cluster ${cluster}: [\\d,]+ of ${max} connections \\(quotas [\\d,]+ \\+ reserve \\d+\\)$`));
      expect(rows[1]?.result).toMatch(new RegExp(`^no cluster proposed: no cluster in .* has room for`));
      expect(rows[2]?.result).toBe(`accepted: ${max} of ${max} connections`);
    }
    const [eu] = ORGS;
    const rows = await capacityRefusesAThirdOrg(contextFor(eu.slug, eu.cluster), () => []);
    expect(rows[0]).toMatchObject({ status: "fail", result: "ACCEPTED, expected refused" });
  });

  it("down --local stops both servers and leaves no process; --reset deletes each one's state", () => {
    const pids = ORGS.map((o) => postmasterPid(o.cluster));
    expect(pids.every(alive)).toBe(true);
    const down = cli.run("down", "--local");
    expect(down.code, down.out).toBe(EXIT_OK);
    expect(down.stdout).toContain("stopped the embedded Postgres of clusters pg-eu-1, pg-us-1; data kept");
    expect(pids.filter(alive)).toEqual([]);
    for (const { cluster } of ORGS) expect(existsSync(clusterPaths(cli.dir, cluster).dataDir)).toBe(true);
    const reset = cli.run("down", "--local", "--reset");
    expect(reset.code, reset.out).toBe(EXIT_OK);
    expect(reset.stdout).toContain("and the embedded Postgres of clusters pg-eu-1, pg-us-1: stopped if running, data deleted");
    expect(cli.exists(".tenantry")).toBe(false);
  });
});
