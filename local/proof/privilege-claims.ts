import { planEnvironmentSchemas, planLoginRoles } from "../../components/database-plan";
import { databaseName, quoteIdent } from "../../spec/naming";
import { attempt } from "../attempt";
import { PROOF_OBJECT_PREFIX } from "../../spec/platform-names";
import { credentialsOf, expectAllowed, expectRefused, SQLSTATE, type Claim, type ClaimResult, type ProofContext } from "./claim";

/*
 * Least privilege (DESIGN property 3), proven by trying: the runtime role can use what the DDL
 * role creates and nothing more; no role reaches into another environment's schemas.
 */

const INSUFFICIENT_PRIVILEGE = SQLSTATE.insufficientPrivilege;

function rolesOf(ctx: ProofContext, env: string) {
  const [runtime, ddl] = planLoginRoles(ctx.spec, env);
  if (runtime === undefined || ddl === undefined) throw new Error("internal: two login roles per environment");
  return { runtime: credentialsOf(ctx, runtime.name), ddl: credentialsOf(ctx, ddl.name) };
}

/** The first workspace schema of an environment: where the proof's table for it lives. */
export function firstSchema(ctx: ProofContext, env: string): string {
  const schema = planEnvironmentSchemas(ctx.spec, env)[0];
  if (schema === undefined) throw new Error("internal: every org has a workspace");
  return schema.name;
}

export const proofTableName = (ctx: ProofContext) => `${PROOF_OBJECT_PREFIX}${ctx.nonce}`;

/** The table the proof's DDL role creates in each environment's first schema (dropped at the end). */
export function proofTable(ctx: ProofContext, env: string): string {
  return `${quoteIdent(firstSchema(ctx, env))}.${quoteIdent(proofTableName(ctx))}`;
}

export const runtimeCannotCreate: Claim = async (ctx) => {
  const database = databaseName(ctx.spec.slug);
  const results: ClaimResult[] = [];
  for (const env of ctx.spec.environments) {
    const { runtime } = rolesOf(ctx, env);
    for (const schema of planEnvironmentSchemas(ctx.spec, env)) {
      // A view, not a table: a table the runtime role made would also be refused by the audit
      // guard (it cannot cover a table the DDL role does not own), which would hide a CREATE
      // privilege wrongly granted.
      const sql = `CREATE VIEW ${quoteIdent(schema.name)}.${quoteIdent(`x_${ctx.nonce}`)} AS SELECT 1 AS id`;
      results.push(expectRefused("runtime role cannot CREATE in its own schema", `${runtime.user}: ${sql}`,
        await attempt(ctx.server, runtime, database, [sql], { rollback: true }), INSUFFICIENT_PRIVILEGE));
    }
  }
  const { runtime } = rolesOf(ctx, ctx.spec.environments[0] ?? "");
  for (const sql of [`CREATE SCHEMA ${quoteIdent(`x_${ctx.nonce}`)}`, `CREATE TEMPORARY TABLE ${quoteIdent(`x_${ctx.nonce}`)} (id int)`]) {
    results.push(expectRefused("runtime role cannot CREATE schemas or TEMPORARY tables", `${runtime.user}: ${sql}`,
      await attempt(ctx.server, runtime, database, [sql], { rollback: true }), INSUFFICIENT_PRIVILEGE));
  }
  return results;
};

/** Creates the proof tables as each DDL role, then shows the runtime role gets DML and only DML. */
export const defaultPrivilegesWork: Claim = async (ctx) => {
  const database = databaseName(ctx.spec.slug);
  const results: ClaimResult[] = [];
  for (const env of ctx.spec.environments) {
    const { runtime, ddl } = rolesOf(ctx, env);
    const table = proofTable(ctx, env);
    const create = `CREATE TABLE ${table} (id serial PRIMARY KEY, note text, amount double precision)`;
    // Committed, as the runtime role must see it from its own session: so listed before it exists.
    ctx.willCreate({ kind: "table", database, schema: firstSchema(ctx, env), table: proofTableName(ctx) });
    results.push(expectAllowed("DDL role can create tables in its schemas", `${ddl.user}: ${create}`,
      await attempt(ctx.server, ddl, database, [create])));
    const dml = [`INSERT INTO ${table} (note) VALUES ('a')`, `UPDATE ${table} SET note = 'b'`, `SELECT * FROM ${table}`, `DELETE FROM ${table}`];
    results.push(expectAllowed("runtime role can use the DDL role's new table (default privileges)",
      `${runtime.user}: INSERT, UPDATE, SELECT, DELETE on ${table}`, await attempt(ctx.server, runtime, database, dml, { rollback: true })));
    for (const sql of [`TRUNCATE ${table}`, `ALTER TABLE ${table} ADD COLUMN y int`, `DROP TABLE ${table}`]) {
      results.push(expectRefused("runtime role cannot TRUNCATE, ALTER or DROP it", `${runtime.user}: ${sql}`,
        await attempt(ctx.server, runtime, database, [sql], { rollback: true }), INSUFFICIENT_PRIVILEGE));
    }
  }
  return results;
};

/** Every ordered pair of environments: no role of one reaches into the other's schemas. */
export const environmentsAreSeparate: Claim = async (ctx) => {
  const envs = ctx.spec.environments;
  if (envs.length < 2) {
    return [{ claim: "a role of one environment cannot read or write another's schema", attempt: "-", result: "skipped: the org has one environment", status: "skip" }];
  }
  const database = databaseName(ctx.spec.slug);
  const results: ClaimResult[] = [];
  for (const from of envs) {
    for (const to of envs.filter((env) => env !== from)) {
      const { runtime, ddl } = rolesOf(ctx, from);
      const target = proofTable(ctx, to);
      for (const sql of [`SELECT * FROM ${target}`, `INSERT INTO ${target} (note) VALUES ('x')`]) {
        results.push(expectRefused(`a ${from} role cannot read or write a ${to} schema`, `${runtime.user}: ${sql}`,
          await attempt(ctx.server, runtime, database, [sql], { rollback: true }), INSUFFICIENT_PRIVILEGE));
      }
      const create = `CREATE TABLE ${quoteIdent(firstSchema(ctx, to))}.${quoteIdent(`x_${ctx.nonce}`)} (id int)`;
      results.push(expectRefused(`a ${from} DDL role cannot create in a ${to} schema`, `${ddl.user}: ${create}`,
        await attempt(ctx.server, ddl, database, [create], { rollback: true }), INSUFFICIENT_PRIVILEGE));
    }
  }
  return results;
};
