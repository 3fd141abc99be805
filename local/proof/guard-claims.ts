import { planLoginRoles } from "../../components/database-plan";
import { databaseName } from "../../spec/naming";
import { EVENT_TRIGGERS, PLATFORM_SCHEMAS } from "../../spec/platform-names";
import { attemptEach } from "../attempt";
import { credentialsOf, SQLSTATE, type Claim, type ClaimResult, type ProofContext } from "./claim";

/*
 * The audit guard out of every tenant role's reach (DESIGN property 16): the schema whose event
 * triggers keep the ledger's coverage, its functions, and the event triggers themselves. Tried
 * as each environment's runtime and DDL login, each attempt rolled back.
 */

const G = PLATFORM_SCHEMAS.guard;

function attacks(ctx: ProofContext, self: string): string[] {
  const n = ctx.nonce;
  return [
    `DROP SCHEMA ${G} CASCADE`,
    `ALTER SCHEMA ${G} RENAME TO moved_${n}`,
    `ALTER SCHEMA ${G} OWNER TO ${self}`,
    `CREATE TABLE ${G}.planted_${n} (id int)`,
    `CREATE FUNCTION ${G}.planted_${n}() RETURNS int LANGUAGE sql AS 'SELECT 1'`,
    `CREATE OR REPLACE FUNCTION ${G}.verify(target oid) RETURNS void LANGUAGE sql AS ''`,
    `DROP FUNCTION ${G}.cover(oid)`,
    `ALTER FUNCTION ${G}.cover(oid) RENAME TO moved_${n}`,
    `ALTER FUNCTION ${G}.cover(oid) OWNER TO ${self}`,
    `ALTER EVENT TRIGGER ${EVENT_TRIGGERS.cover} DISABLE`,
    `DROP EVENT TRIGGER ${EVENT_TRIGGERS.drops}`,
  ];
}

export const guardOutOfTenantReach: Claim = async (ctx) => {
  const database = databaseName(ctx.spec.slug);
  const results: ClaimResult[] = [];
  for (const env of ctx.spec.environments) {
    for (const role of planLoginRoles(ctx.spec, env)) {
      const who = credentialsOf(ctx, role.name);
      const tried = attacks(ctx, role.name);
      const outcomes = await attemptEach(ctx.server, who, database, tried);
      const allowed = tried.flatMap((sql, i) => {
        const code = outcomes[i]?.code;
        return code === SQLSTATE.insufficientPrivilege ? [] : [`${sql} -> ${code ?? "ALLOWED"}`];
      });
      results.push({
        claim: `no tenant role can drop, rename or alter the audit guard (${G}), its functions or event triggers, or create in it`,
        attempt: `${who.user}: ${tried.length} statements (DROP/ALTER SCHEMA, CREATE in it, DROP/ALTER/REPLACE FUNCTION, ALTER/DROP EVENT TRIGGER)`,
        result: allowed.length === 0 ? `${tried.length}/${tried.length} refused ${SQLSTATE.insufficientPrivilege}` : `not refused: ${allowed.join("; ")}`,
        status: allowed.length === 0 ? "pass" : "fail",
      });
    }
  }
  return results;
};
