import { coveredSchemas } from "../../components/audit-plan";
import { planAllLoginRoles } from "../../components/database-plan";
import { databaseName } from "../../spec/naming";
import { attempt } from "../attempt";
import { credentialsOf, expectRefused, SQLSTATE, type ClaimResult, type ProofContext } from "./claim";

/*
 * The proof for an org marked for offboarding (DESIGN property 15): every login of the org is
 * refused with its own stored password, and what held the org's data is still on the server.
 * The other claims need those logins, and the edge is no longer declared, so they do not apply.
 * It creates nothing on the server, so it needs no per-run nonce.
 */

type OffboardingContext = Omit<ProofContext, "nonce" | "willCreate" | "repairRoles" | "providerLogin">;

async function loginsAreRefused(ctx: OffboardingContext): Promise<ClaimResult[]> {
  const database = databaseName(ctx.spec.slug);
  const results: ClaimResult[] = [];
  for (const role of planAllLoginRoles(ctx.spec)) {
    results.push(expectRefused("an offboarding org's roles cannot log in, even with their own password", `${role.name}: connect to ${database}`,
      await attempt(ctx.server, credentialsOf(ctx, role.name), database, ["SELECT 1"]), SQLSTATE.cannotLogIn));
  }
  return results;
}

async function dataIsKept(ctx: OffboardingContext): Promise<ClaimResult> {
  const database = databaseName(ctx.spec.slug);
  const expected = coveredSchemas({ environments: ctx.spec.environments, workspaces: ctx.spec.workspaces.map((w) => w.slug) });
  const outcome = await attempt(ctx.server, { user: ctx.server.user, password: ctx.server.password }, database, [
    `SELECT nspname FROM pg_namespace WHERE nspname = ANY(ARRAY[${expected.map((s) => `'${s}'`).join(", ")}]::name[]) ORDER BY nspname`,
  ]);
  const found = outcome.rows.map((row) => String(row["nspname"]));
  const missing = expected.filter((schema) => !found.includes(schema));
  return {
    claim: "an offboarding org's database and schemas are still on the server",
    attempt: `superuser: connect to ${database}, find its ${expected.length} workspace schemas`,
    result: outcome.code !== undefined ? `refused ${outcome.code}` : missing.length === 0 ? `all ${expected.length} there` : `missing ${missing.join(", ")}`,
    status: outcome.code === undefined && missing.length === 0 ? "pass" : "fail",
  };
}

export async function proveOffboarding(ctx: OffboardingContext): Promise<ClaimResult[]> {
  return [
    ...(await loginsAreRefused(ctx)),
    await dataIsKept(ctx),
    { claim: "the other claims (privileges, ledger, guardrails, edge)", attempt: "-", result: "skipped: the org is marked for offboarding, so nothing logs in and no edge is declared", status: "skip" },
  ];
}
