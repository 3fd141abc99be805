import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lockTimeoutDriftSql, lockTimeoutSql } from "../../components/database-plan";
import { guardrailsSql } from "../../components/enforcer-sql";
import { loginRoleNames } from "../../components/role-settings-sql";
import { guardrailFacts } from "../helpers/guardrail-facts";

/*
 * Issue 13 review item 4: which migration declares (and so repairs) which role setting. The
 * provider login's `lock-timeouts` may set only what a tenant could set too; temp_file_limit,
 * superuser-only, is the elevated `guardrails` migration's alone. The behaviour on a real server
 * is test/integration/guardrails-migrations.test.ts.
 */

const org = guardrailFacts;

const declarations = (sql: string) => [...sql.matchAll(/^ALTER ROLE "([^"]+)" SET (\w+) TO ([^;]+);$/gm)].map((m) => [m[1], m[2], m[3]]);

describe("the role-setting migrations", () => {
  it("lock-timeouts declares the three timeouts of every login role, after its reset, and never temp_file_limit", () => {
    fc.assert(fc.property(org, (o) => {
      const sql = lockTimeoutSql(o);
      const expected = loginRoleNames(o).flatMap((role) => [
        [role, "statement_timeout", String(o.statementTimeoutMs)],
        [role, "idle_in_transaction_session_timeout", String(o.idleInTransactionTimeoutMs)],
        [role, "lock_timeout", String(o.lockTimeoutMs)],
      ]);
      expect(declarations(sql)).toEqual(expected);
      expect(sql.indexOf("RESET ALL")).toBeLessThan(sql.indexOf("ALTER ROLE \""));
      expect(sql).toContain("NOT IN ('statement_timeout', 'idle_in_transaction_session_timeout', 'lock_timeout', 'temp_file_limit')");
    }));
  });

  it("guardrails declares temp_file_limit of every login role, and no other setting", () => {
    fc.assert(fc.property(org, (o) => {
      expect(declarations(guardrailsSql(o))).toEqual(loginRoleNames(o).map((role) => [role, "temp_file_limit", `'${o.tempFileLimitMb}MB'`]));
    }));
  });

  it("lock-timeouts' drift query expects exactly the values its SQL declares, sorted as the catalog sorts them", () => {
    fc.assert(fc.property(org, (o) => {
      const expected = [`idle_in_transaction_session_timeout=${o.idleInTransactionTimeoutMs}`, `lock_timeout=${o.lockTimeoutMs}`, `statement_timeout=${o.statementTimeoutMs}`];
      expect(lockTimeoutDriftSql(o)).toContain(`IS DISTINCT FROM ARRAY[${expected.map((e) => `'${e}'`).join(", ")}]::text[]`);
    }));
  });
});
