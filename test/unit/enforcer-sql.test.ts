import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { checksumOf } from "../../components/sql-migration";
import { ENFORCER_CLUSTER_PARAMETERS, ENFORCER_DATABASE, ENFORCER_GRACE_MS, ENFORCER_PERIOD_MS, enforcerClusterSql, enforcerScheduleSql, guardrailsDriftSql, guardrailsSql, type GuardrailFacts } from "../../components/enforcer-sql";
import { planMigrations } from "../../components/migration-plan";
import { readOrgFacts, orgFactsOf } from "../../components/org-facts";
import { runPolicies } from "../../harness/run-policies";
import type { ProgramRun } from "../../harness/run-program";
import { TENANTRY_POLICIES } from "../../policies/all";
import { QUOTA_BOUNDS } from "../../spec/quota-bounds";
import { environmentRoleName, orgRoleName, quoteIdent } from "../../spec/naming";
import { parseOrgSpec } from "../../spec/spec";
import { runOrg } from "../helpers/program";
import { NOW, PROVIDER_CONFIG, validOrgInput } from "../helpers/spec-builder";
import { withInputs } from "../helpers/verdicts";
import { guardrailFacts, shortName } from "../helpers/guardrail-facts";

/*
 * Issue 13, finding 4 and the temp files of finding 5: a tenant removed its own timeouts and
 * sorted 1.3 GB into temp files. The org's guardrails migration registers every login role's
 * limits with the enforcer and sets its temp_file_limit; the pack accepts no other version of it.
 */

const name = shortName;
const facts = guardrailFacts;

const loginRoles = (org: GuardrailFacts) => org.environments.flatMap((env) => [environmentRoleName(org.slug, env, "runtime"), environmentRoleName(org.slug, env, "ddl")]);

describe("the guardrails migration of an org", () => {
  it("gives every login role, and no other, its temp_file_limit and one row of its declared limits", () => {
    fc.assert(fc.property(facts, (org) => {
      const sql = guardrailsSql(org);
      const roles = loginRoles(org);
      const limits = [...sql.matchAll(/^ALTER ROLE "([^"]+)" SET temp_file_limit TO '(\d+)MB';$/gm)];
      expect(limits.map((m) => m[1])).toEqual(roles);
      expect(new Set(limits.map((m) => Number(m[2])))).toEqual(new Set([org.tempFileLimitMb]));
      const rows = [...sql.matchAll(/^ {2}\('([^']+)', '([^']+)', (\d+), (\d+), (\d+)\)/gm)];
      expect(rows.map((m) => m[1])).toEqual(roles);
      for (const row of rows) {
        expect(row.slice(2).map(String)).toEqual([org.slug, org.statementTimeoutMs, org.idleInTransactionTimeoutMs, org.lockTimeoutMs].map(String));
      }
    }));
  });

  it("replaces only its own org's rows in the enforcer's table", () => {
    fc.assert(fc.property(facts, (org) => {
      const deletes = guardrailsSql(org).split("\n").filter((line) => line.startsWith("DELETE"));
      // The limits, and (break-glass-sessions-sql.ts) a break-glass row of the org under another role name.
      expect(deletes).toEqual([
        `DELETE FROM "guardrails"."limits" WHERE org = '${org.slug}';`,
        `DELETE FROM "guardrails"."break__glass" WHERE org = '${org.slug}' AND role <> '${orgRoleName(org.slug, "breakglass")}';`,
      ]);
    }));
  });

  it("is elevated and runs in the enforcer's database, whatever database the org's provider connects to", () => {
    fc.assert(fc.property(facts, name, (org, providerDatabase) => {
      const plan = planMigrations({ ...org, workspaces: ["web"], providerDatabase }).guardrails;
      expect(plan).toEqual({ migration: `${org.slug}-guardrails`, database: ENFORCER_DATABASE, sql: guardrailsSql(org), elevated: true, drift: guardrailsDriftSql(org) });
    }));
  });
});

describe("the enforcer a cluster installs", () => {
  const sql = enforcerClusterSql();

  it("ends sessions with its caller's rights only: no SECURITY DEFINER, and PUBLIC may use neither its schema, its table nor its function", () => {
    expect(sql).not.toMatch(/SECURITY DEFINER/i);
    for (const object of ['SCHEMA "guardrails"', 'TABLE "guardrails"."limits"', 'FUNCTION "guardrails"."enforce"()']) {
      expect(sql).toContain(`REVOKE ALL ON ${object} FROM PUBLIC;`);
    }
  });

  it("terminates rather than cancels, since PL/pgSQL can catch a cancel", () => {
    expect(sql).toContain("pg_terminate_backend(");
    expect(sql).not.toContain("pg_cancel_backend(");
  });

  it("judges with the grace the proof's bound counts, and is scheduled at the period it counts", () => {
    // The proof judges a runaway by enforcedBoundMs: were the function's grace or the job's
    // interval changed alone, the proof would judge by a bound the server does not keep.
    expect([...sql.matchAll(/elapsed_ms > b\.limit_ms \+ (\d+)/g)].map((m) => Number(m[1]))).toEqual([ENFORCER_GRACE_MS]);
    expect(enforcerScheduleSql()).toContain(`'${ENFORCER_PERIOD_MS / 1000} seconds'`);
  });

  it("copies the server's lock table only for the sessions that wait on a lock", () => {
    const locks = sql.split("\n").filter((line) => /\bpg_locks\b/.test(line) && !line.trimStart().startsWith("--"));
    expect(locks).toHaveLength(1);
    expect(sql).toContain("WHERE cardinality(lock_waiters) > 0 AND k.pid = ANY (lock_waiters)");
    expect(sql).toMatch(/lock_waiters integer\[\] := ARRAY\(SELECT a\.pid FROM pg_stat_activity a JOIN .* WHERE a\.wait_event_type = 'Lock'\)/);
  });
});

describe("what a cluster declares for the enforcer", () => {
  it("keeps pg_cron from logging every run of a job that runs every second", () => {
    expect(ENFORCER_CLUSTER_PARAMETERS).toMatchObject({ shared_preload_libraries: "pg_cron", "cron.database_name": ENFORCER_DATABASE, "cron.log_run": "off" });
  });
});

describe("the guardrails migration, on a server nobody bootstrapped", () => {
  it("installs the enforcer itself and schedules it only where the pg_cron extension is installed", () => {
    fc.assert(fc.property(facts, (org) => {
      const sql = guardrailsSql(org);
      expect(sql.startsWith(enforcerClusterSql())).toBe(true);
      const schedule = enforcerScheduleSql();
      expect(sql).toContain(schedule);
      // The only call into pg_cron's schema is behind the check that the extension is there.
      expect([...sql.matchAll(/\bcron\./g)]).toHaveLength(1);
      expect(schedule).toMatch(/IF EXISTS \(SELECT 1 FROM pg_extension WHERE extname = 'pg_cron'\) THEN\n\s+PERFORM cron\.schedule\('tenantry__guardrails', /);
    }));
  });
});

describe("the facts the pack renders the guardrails from", () => {
  const spec = parseOrgSpec(validOrgInput(), { now: NOW });
  const provider = { adminRole: PROVIDER_CONFIG["postgresql:username"], host: "pg.example", port: 5432, database: "postgres", sslmode: "require" as const };

  it("carry the statement, idle-in-transaction and temp file quotas, and are refused without any of them or outside its bounds", () => {
    const registered = orgFactsOf(spec, provider);
    expect(readOrgFacts({ ...registered })).toEqual(registered);
    for (const key of ["statementTimeoutMs", "idleInTransactionTimeoutMs", "tempFileLimitMb"] as const) {
      expect(registered[key]).toBe(spec.quotas[key]);
      const { [key]: _dropped, ...without } = registered;
      expect(readOrgFacts(without)).toBeUndefined();
      expect(readOrgFacts({ ...registered, [key]: -1 })).toBeUndefined();
      expect(readOrgFacts({ ...registered, [key]: QUOTA_BOUNDS[key].max + 1 })).toBeUndefined();
      expect(readOrgFacts({ ...registered, [key]: QUOTA_BOUNDS[key].min - 1 })).toBeUndefined();
    }
  });
});

describe("the pack, on the guardrails migration", () => {
  let acme: ProgramRun;
  beforeAll(async () => {
    acme = await runOrg(validOrgInput());
  });
  const RULE = "postgres-migrations-match-platform-sql";

  it("refuses a guardrails migration that lifts a role's temp_file_limit or drops its limits, naming it by checksum", async () => {
    const declared = acme.resources.find((r) => r.inputs["migration"] === "acme-guardrails")!;
    const role = quoteIdent(environmentRoleName("acme", "prod", "runtime"));
    const lifted = String(declared.inputs["sql"]).replace(new RegExp(`ALTER ROLE ${role} SET temp_file_limit TO '\\d+MB'`), `ALTER ROLE ${role} SET temp_file_limit TO -1`);
    const emptied = String(declared.inputs["sql"]).split("\n").filter((line) => !line.startsWith("  (")).join("\n");
    for (const sql of [lifted, emptied]) {
      expect(sql).not.toBe(declared.inputs["sql"]);
      const changed = withInputs(declared, { sql, checksum: checksumOf(sql) });
      const messages = (await runPolicies([...acme.resources.filter((r) => r.urn !== changed.urn), changed], TENANTRY_POLICIES.filter((p) => p.name === RULE))).map((v) => v.message);
      expect(messages).toEqual([expect.stringMatching(/^org-acme-db-guardrails runs SQL \(sha256 [0-9a-f]{12}\) that is not the SQL the platform renders for acme-guardrails/)]);
    }
  });
});
