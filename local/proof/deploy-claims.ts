import { inheritsRoleSql, planDatabase } from "../../components/database-plan";
import { quoteLiteral } from "../../spec/naming";
import { attempt } from "../attempt";
import type { Claim } from "./claim";

/*
 * What every later deploy relies on, re-read after each apply (issue 14, finding 2): a second
 * `pulumi up` once replaced the provider login's membership in the org's owner role and so
 * revoked it, after which every database-level REVOKE ... FROM PUBLIC is a silent no-op. Read
 * from the catalog, as the superuser: the claims are about the login and PUBLIC, not about
 * what the reader may do.
 */

export const deployKeepsItsFooting: Claim = async (ctx) => {
  const { name: database, owner } = planDatabase(ctx.spec);
  const admin = { user: ctx.server.user, password: ctx.server.password };
  const read = await attempt(ctx.server, admin, "postgres", [
    `SELECT ${inheritsRoleSql(quoteLiteral(ctx.providerLogin), quoteLiteral(owner))} AS inherits,
       ARRAY(SELECT p FROM unnest(ARRAY['CONNECT', 'TEMPORARY', 'CREATE']) AS p WHERE pg_catalog.has_database_privilege('public', ${quoteLiteral(database)}, p)) AS public_holds`,
  ]);
  const row = read.rows[0];
  const inherits = row?.["inherits"] === true;
  const publicHolds = Array.isArray(row?.["public_holds"]) ? (row["public_holds"] as string[]) : undefined;
  return [
    {
      claim: "the provider login is still an inheriting member of the org's owner role after this apply",
      attempt: `pg_has_role(${ctx.providerLogin}, ${owner}, USAGE)`,
      result: read.code !== undefined ? `query failed ${read.code}` : inherits ? "inherits" : "does not inherit",
      status: inherits ? "pass" : "fail",
    },
    {
      claim: "PUBLIC still holds no privilege on the org database after this apply",
      attempt: `has_database_privilege(public, ${database}, CONNECT/TEMPORARY/CREATE)`,
      result: publicHolds === undefined ? `query failed ${read.code ?? ""}` : publicHolds.length === 0 ? "none" : `holds ${publicHolds.join(", ")}`,
      status: publicHolds !== undefined && publicHolds.length === 0 ? "pass" : "fail",
    },
  ];
};
