import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { auditGuardSql } from "../../components/audit-guard-sql";
import { ENFORCER_DATABASE } from "../../components/enforcer-sql";
import { attempt } from "../../local/attempt";
import { OPERATOR_SECTION, type ClaimResult } from "../../local/proof/claim";
import { proveLocal } from "../../local/prove-local";
import type { ServerInfo } from "../../local/server";
import { upLocal } from "../../local/up";
import { localStack } from "../helpers/local";

/*
 * The posture, proven on a real Postgres: org-acme and org-globex applied by the provider's SQL
 * as a non-superuser login, then every claim attempted as the role it is about.
 */

const acme = localStack("org-acme", "prove");
const globex = localStack("org-globex", "prove");
let results: ClaimResult[];

beforeAll(async () => {
  await upLocal(acme);
  await upLocal(globex);
  results = await proveLocal(acme);
});

function rows(claim: RegExp): ClaimResult[] {
  const matching = results.filter((r) => claim.test(r.claim));
  expect(matching.length).toBeGreaterThan(0);
  return matching;
}

function expectAllHold(claim: RegExp, count?: number) {
  const matching = rows(claim);
  if (count !== undefined) expect(matching).toHaveLength(count);
  for (const row of matching) expect([row.attempt, row.status]).toEqual([row.attempt, "pass"]);
}

describe("on the embedded Postgres, for org-acme", () => {
  it("runtime roles cannot CREATE in any of their schemas (42501)", () => expectAllHold(/^runtime role cannot CREATE in its own schema$/, 6));
  it("runtime roles cannot create schemas or temporary tables (42501)", () => expectAllHold(/^runtime role cannot CREATE schemas/, 2));
  it("DDL roles can create tables that runtime roles can then use (default privileges work)", () => {
    expectAllHold(/^DDL role can create tables/, 3);
    expectAllHold(/^runtime role can use the DDL role's new table/, 3);
  });
  it("runtime roles cannot TRUNCATE, ALTER or DROP those tables (42501)", () => expectAllHold(/^runtime role cannot TRUNCATE/, 9));
  it("no role of one environment can read, write or create in another's schemas (42501)", () => expectAllHold(/^a (dev|test|prod) (DDL )?role cannot/, 18));
  it("PUBLIC cannot connect to the org database (42501)", () => expectAllHold(/^PUBLIC cannot connect/, 1));
  it("after this apply, the provider login still inherits the owner role and PUBLIC holds nothing on the database (issue 14, finding 2)", () => {
    expectAllHold(/^the provider login is still an inheriting member of the org's owner role after this apply$/, 1);
    expectAllHold(/^PUBLIC still holds no privilege on the org database after this apply$/, 1);
  });
  it("another org's runtime roles cannot connect to it, nor its own to the other org's database (42501)", () => expectAllHold(/^one org's roles cannot connect/, 5));
  it("no tenant role holds SUPERUSER, CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS", () => expectAllHold(/^no tenant role holds/, 1));
  it("with break-glass off (the example's default) there is no break-glass login and no live grant in the ledger", () =>
    expectAllHold(/^with break-glass off there is no break-glass login and no live grant in the ledger$/, 1));
  it("every login role logs in with its statement, lock and idle-in-transaction timeouts, temp file limit and connection limit", () =>
    expectAllHold(/^login role logs in with its statement, lock and idle-in-transaction timeouts, its temp file limit and connection limit$/, 6));
  it("statement_timeout cancels a long query (57014)", () => expectAllHold(/^statement_timeout .* cancels/, 1));
  it("connection limits refuse one connection more (53300)", () => expectAllHold(/^connection limit \d+ refuses/, 2));
  it("a runaway query, a query that catches its cancellation, an idle transaction and a lock wait are each ended by the enforcer (57P01) within limit + grace + period, whatever the role and session SET", () => {
    expectAllHold(/^a query is ended within its statement limit plus the enforcer's grace and period, even after the role and the session set statement_timeout = 0$/, 1);
    expectAllHold(/^a query that catches its own cancellation is ended within its statement limit plus the enforcer's grace and period$/, 1);
    expectAllHold(/^a transaction left idle is ended within its idle-in-transaction limit plus the enforcer's grace and period/, 1);
    expectAllHold(/^a lock wait is ended within its lock limit plus the enforcer's grace and period/, 1);
  });
  it("a role that changes its own settings and password gets the declared ones back from the repair up runs", () =>
    expectAllHold(/^a role that changes its own settings and password gets the declared ones back from the next up$/, 6));
  it("a sort past temp_file_limit is refused (53400), and no role can lift the limit (42501)", () => {
    expectAllHold(/^a sort that spills past temp_file_limit \(64 MB\) is refused$/, 1);
    expectAllHold(/^no tenant role can lift its temp_file_limit$/, 6);
  });
  it("a table the DDL role creates after the apply is audited with no further step", () => expectAllHold(/^a table the DDL role creates after the apply is audited/, 1));
  it("INSERT, UPDATE and DELETE by a runtime role each leave one event with actor, correlation id, and the new row, the changed columns only or the old row", () =>
    expectAllHold(/^INSERT, UPDATE and DELETE by a runtime role/, 1));
  it("a bulk update of 10,000 rows is recorded row by row", () => expectAllHold(/^a bulk UPDATE of 10000 rows/, 1));
  it("no tenant role can write an event's actor, and an application event is in its writer's name", () => {
    expectAllHold(/^no tenant role can write an event's actor/, 1);
    expectAllHold(/^an application event a tenant role inserts is recorded in that role's name/, 1);
  });
  it("no runtime or DDL role sees another environment's events, in the ledger or in its statistics; each sees its own", () => {
    expectAllHold(/^a role of one environment sees no other environment's events in the ledger$/, 6);
    expectAllHold(/^a role sees its own environment's events in the ledger$/, 6);
    expectAllHold(/^no tenant role reads the ledger's values through the planner's statistics/, 6);
  });
  it("the audit owner and the platform (the superuser) see every environment's events", () =>
    expectAllHold(/^the audit owner and the platform see every environment's events$/, 2));
  it("no runtime or DDL role can insert an application event naming a table outside its environment; each can for its own (42501)", () => {
    expectAllHold(/^a role cannot insert an application event naming a table outside its environment$/, 6);
    expectAllHold(/^a role can insert an application event naming its own environment's tables$/, 6);
  });
  it("no runtime or DDL role can switch the ledger's row-level security off or change its policies (42501)", () =>
    expectAllHold(/^no tenant role can switch the ledger's row-level security off/, 6));
  it("runtime and DDL roles get 42501 on UPDATE, DELETE and TRUNCATE of the ledger", () => expectAllHold(/^no tenant role can UPDATE, DELETE or TRUNCATE the ledger$/, 6));
  it("no tenant role can drop or alter the ledger's schema, table or function (42501)", () => expectAllHold(/^no tenant role can drop or alter the ledger$/, 4));
  it("the DDL role cannot switch auditing off on the table it owns: disable, drop, rename, replace, cast or truncate (42501)", () =>
    expectAllHold(/^the DDL role cannot switch auditing off on its own table/, 8));
  it("the DDL role cannot silence the ledger with the issue's attack: each row trigger replaced by a TRUNCATE trigger (42501)", () =>
    expectAllHold(/^the DDL role cannot silence the ledger by renaming a TRUNCATE trigger/, 1));
  it("the DDL role cannot give any of the four audit triggers another timing, event, level, function, arguments, transition table or WHEN clause (42501)", () =>
    expectAllHold(/^the DDL role cannot replace an audit trigger with another timing/, 4));
  it("after those attempts, the table's changes are still recorded and TRUNCATE still refused", () =>
    expectAllHold(/^after every attempt, INSERT, UPDATE and DELETE on that table are still recorded/, 1));
  it("no runtime or DDL role of any environment can call or attach a function of the ledger or its guard (42501)", () =>
    expectAllHold(/^no tenant role can call a function of the ledger or its guard/, 6));
  it("a session that lowers extra_float_digits cannot blur an update into no event", () => expectAllHold(/^a session that lowers extra_float_digits/, 1));
  it("an UPDATE that changes a primary key leaves its old and new row on record", () => expectAllHold(/^an UPDATE that changes a primary key/, 1));

  it("no runtime or DDL role of any environment can drop, rename, alter or create in the audit guard (42501)", () =>
    expectAllHold(/^no tenant role can drop, rename or alter the audit guard/, 6));

  it("PUBLIC holds nothing on the ledger", () => expectAllHold(/^PUBLIC holds no privilege on the audit schema/, 1));

  it("no runtime or DDL role of any environment can connect to postgres or template1 (42501)", () =>
    expectAllHold(/^no tenant role can connect to the server's shared databases \(postgres, template1\)$/, 12));
  it("a large object any runtime or DDL role makes is listed by the check every apply runs (a managed server keeps the functions open)", () =>
    expectAllHold(/^a large object a tenant role makes is listed by the check every apply runs/, 6));

  it("the edge: unknown app 404; missing, forged, expired and operator tokens 401; policy 200/403; only allowlisted headers; verifiable identity; 503 without detail", () => {
    expectAllHold(/^an unknown app is not found$/, 1);
    expectAllHold(/^(a request without a token|a token signed by another key|an expired token) is refused$/, 3);
    expectAllHold(/^a token of the operator domain never admits into an app$/, 1);
    expectAllHold(/^storefront (admits|refuses) whom its policy/, 2);
    expectAllHold(/^only allowlisted headers reach the app$/, 1);
    expectAllHold(/^the app gets an identity only the router can sign$/, 1);
    expectAllHold(/^a failing app answers 503 with no detail$/, 1);
  });

  it("the edge: a secret reaches only its environment's apps and its allowlisted hosts, every use audited without the value", () => {
    expectAllHold(/^STRIPE_API_KEY (reaches api\.stripe\.com for prod apps|is refused to dev apps|is refused to hosts off its allowlist)$/, 3);
    expectAllHold(/^every use of STRIPE_API_KEY is audited, never its value$/, 1);
  });

  it("the edge: the example's key slots, webhook and integration, each attempted and holding (properties 18 and 19)", () => {
    expectAllHold(/^(an API key admits only to its own app and environment|a secret key is refused from a browser|a revoked API key is refused on the next request|a publishable key admits only from the app's origins)$/, 4);
    expectAllHold(/^an app's order\.created event reaches orders's URL signed with the prod secret$/, 1);
    expectAllHold(/^(an app cannot send an event to a URL it names|a dev app's event never reaches a prod endpoint|the app never receives the webhook signing secret)$/, 3);
    expectAllHold(/^a request stripe signed reaches invoices as from the integration, with no user$/, 1);
    expectAllHold(/^an integration request (signed with another secret|outside the timestamp tolerance) is refused with 401 before the app$|^a tampered integration request is refused with 401 before the app$/, 3);
  });

  it("property 9 in its own section, last: the gateway's claims through workerd, then the router's refusal of operator tokens, listed once", () => {
    const section = results.filter((r) => r.section === OPERATOR_SECTION);
    expect(section.map((r) => [r.claim, r.status])).toEqual([
      ["a product-domain token is refused by the gateway", "pass"],
      ["an operator not on the allowlist gets 403", "pass"],
      ["after a grant, the operator's next request passes", "pass"],
      ["the console receives the gateway's signed identity, never the token", "pass"],
      ["a path naming another host (//host) is refused and never reaches another origin", "pass"],
      ["after a revocation, the very next request is refused", "pass"],
      ["an expired allowlist entry is refused", "pass"],
      ["every decision reaches the audit sink, never a token", "pass"],
      ["a token of the operator domain never admits into an app", "pass"],
      ["a token that also names the operator audience never admits into an app", "pass"],
    ]);
    expect(results.slice(-section.length)).toEqual(section);
  });

  it("skips no claim when a second org is applied", () => {
    expect(results.filter((r) => r.status !== "pass")).toEqual([]);
  });
});

describe("the proof itself", () => {
  it("fails a claim when the server allows what the posture forbids", async () => {
    const server = JSON.parse(readFileSync(acme.paths.serverFile, "utf8")) as ServerInfo;
    const superuser = { user: server.user, password: server.password };
    await attempt(server, superuser, "tn_acme", ["GRANT CREATE ON SCHEMA web_dev TO tn_acme_dev_runtime"]);
    try {
      const broken = (await proveLocal(acme)).filter((r) => r.status === "fail");
      expect(broken.map((r) => [r.claim, r.result])).toEqual([
        ["runtime role cannot CREATE in its own schema", "ALLOWED, expected refused 42501"],
      ]);
    } finally {
      await attempt(server, superuser, "tn_acme", ["REVOKE CREATE ON SCHEMA web_dev FROM tn_acme_dev_runtime"]);
    }
  });

  it("fails the ledger's segregation claims, and only those, for every role, when row-level security is off on audit.events", async () => {
    const server = JSON.parse(readFileSync(acme.paths.serverFile, "utf8")) as ServerInfo;
    const superuser = { user: server.user, password: server.password };
    await attempt(server, superuser, "tn_acme", ["ALTER TABLE audit.events DISABLE ROW LEVEL SECURITY"]);
    try {
      const broken = (await proveLocal(acme)).filter((r) => r.status === "fail");
      const roles = ["dev", "test", "prod"].flatMap((env) => [`tn_acme_${env}_runtime`, `tn_acme_${env}_ddl`]);
      const brokenFor = (claim: string) => broken.filter((r) => r.claim === claim).map((r) => r.attempt.split(":")[0]);
      expect(brokenFor("a role of one environment sees no other environment's events in the ledger")).toEqual(roles);
      expect(brokenFor("no tenant role reads the ledger's values through the planner's statistics (pg_stats)")).toEqual(roles);
      expect(brokenFor("a role cannot insert an application event naming a table outside its environment")).toEqual(roles);
      expect(brokenFor("no tenant role can switch the ledger's row-level security off or change its policies")).toEqual(roles);
      expect(broken).toHaveLength(4 * roles.length);
    } finally {
      await attempt(server, superuser, "tn_acme", ["ALTER TABLE audit.events ENABLE ROW LEVEL SECURITY"]);
    }
  });

  it("fails the guard claim for exactly the role that owns the guard schema, as the audit_guard workspace once made it", async () => {
    const server = JSON.parse(readFileSync(acme.paths.serverFile, "utf8")) as ServerInfo;
    const superuser = { user: server.user, password: server.password };
    await attempt(server, superuser, "tn_acme", ["ALTER SCHEMA audit__guard OWNER TO tn_acme_test_ddl"]);
    try {
      const broken = (await proveLocal(acme)).filter((r) => r.status === "fail");
      expect(broken.map((r) => r.attempt.split(":")[0])).toEqual(["tn_acme_test_ddl"]);
      // The attack the issue found: as the schema's owner, CASCADE takes the event triggers with it.
      expect(broken[0]?.result).toMatch(/^not refused: DROP SCHEMA audit__guard CASCADE -> ALLOWED;/);
    } finally {
      await attempt(server, superuser, "tn_acme", ["ALTER SCHEMA audit__guard OWNER TO tn_acme_owner"]);
    }
  });

  it("fails the shared-database claim for exactly the role a grant reopens it to", async () => {
    const server = JSON.parse(readFileSync(acme.paths.serverFile, "utf8")) as ServerInfo;
    const superuser = { user: server.user, password: server.password };
    // Granted to one role, never to PUBLIC: other test files share this server.
    await attempt(server, superuser, "postgres", ["GRANT CONNECT ON DATABASE template1 TO tn_acme_dev_runtime"]);
    try {
      const broken = (await proveLocal(acme)).filter((r) => r.status === "fail");
      expect(broken.map((r) => [r.attempt, r.result])).toEqual([
        ["tn_acme_dev_runtime: connect to template1", "ALLOWED, expected refused 42501"],
      ]);
    } finally {
      await attempt(server, superuser, "postgres", ["REVOKE CONNECT ON DATABASE template1 FROM tn_acme_dev_runtime"]);
    }
  });

  it("control: with the org's limits gone from the enforcer's table, every runaway runs past its bound and its claim fails", async () => {
    const server = JSON.parse(readFileSync(acme.paths.serverFile, "utf8")) as ServerInfo;
    const superuser = { user: server.user, password: server.password };
    await attempt(server, superuser, ENFORCER_DATABASE, ["DELETE FROM guardrails.limits WHERE org = 'acme'"]);
    try {
      const broken = (await proveLocal(acme)).filter((r) => r.status === "fail");
      expect(broken.map((r) => r.claim)).toEqual([
        "a query is ended within its statement limit plus the enforcer's grace and period, even after the role and the session set statement_timeout = 0",
        "a query that catches its own cancellation is ended within its statement limit plus the enforcer's grace and period",
        "a transaction left idle is ended within its idle-in-transaction limit plus the enforcer's grace and period, even after the role and the session set it to 0",
        "a lock wait is ended within its lock limit plus the enforcer's grace and period, even after the role resets lock_timeout and the session sets it to 0",
      ]);
      for (const row of broken) expect(row.result).toMatch(/^(ran to its end|was still open) after \d+ ms/);
    } finally {
      // The next up puts the org's limits back, as it puts back every role setting.
      await upLocal(acme);
    }
    const { rows } = await attempt(server, superuser, ENFORCER_DATABASE, ["SELECT count(*)::int AS n FROM guardrails.limits WHERE org = 'acme'"]);
    expect(rows[0]?.["n"]).toBe(6);
  });
});

describe("the audit guard's migration", () => {
  it("refuses to adopt a guard schema owned by anyone but the role running it", async () => {
    const server = JSON.parse(readFileSync(acme.paths.serverFile, "utf8")) as ServerInfo;
    const superuser = { user: server.user, password: server.password };
    const database = `tenantry__guard_adoption_${process.pid}`;
    await attempt(server, superuser, "postgres", [`CREATE DATABASE ${database}`]);
    try {
      const planted = await attempt(server, superuser, database, [
        "CREATE ROLE tenantry__planter NOLOGIN", "CREATE SCHEMA audit__guard AUTHORIZATION tenantry__planter",
        auditGuardSql(["web_dev"], "tn_acme_owner"),
      ]);
      expect([planted.code, planted.message]).toEqual([
        "42501", `schema audit__guard exists and is owned by tenantry__planter, not by ${server.user}: the audit guard will not adopt it`,
      ]);
    } finally {
      await attempt(server, superuser, "postgres", [`DROP DATABASE ${database}`, "DROP ROLE IF EXISTS tenantry__planter"]);
    }
  });
});
