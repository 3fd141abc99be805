import { GUARD_EVENT_TRIGGERS } from "../components/audit-guard-sql";
import { planEnvironmentSchemas, planSchemaAcl } from "../components/database-plan";
import type { ClaimResult } from "../local/proof/claim";
import { databaseName } from "../spec/naming";
import { PLATFORM_SCHEMAS } from "../spec/platform-names";
import type { OrgSpec } from "../spec/spec";
import { readAndJudge, type CatalogClaim } from "./catalog-claim";
import { aclVerdict, eventTriggerVerdict, type AclEntry } from "./verdicts";

/*
 * What the catalog shows inside the org database, read there as the provider login (which
 * connects through its inherited owner role): the ledger's event triggers, each workspace
 * schema's owner and ACL, and that PUBLIC holds nothing on any schema of the org or on the
 * ledger's table. pg_event_trigger, pg_namespace, pg_class and pg_proc are readable by every
 * role, so none of this needs a privilege on the schemas themselves.
 */

const GUARD = PLATFORM_SCHEMAS.guard;

/**
 * The ledger's event triggers, one row each. Read here, not only through the ledger's drift
 * query (audit__guard.drift() reports them too): the drift query runs only where the login may
 * execute the guard's functions, while pg_event_trigger is readable by every role.
 */
export const eventTriggersAreInPlace: CatalogClaim = async (ctx) => {
  const database = databaseName(ctx.spec.slug);
  const results: ClaimResult[] = [];
  for (const declared of GUARD_EVENT_TRIGGERS) {
    results.push(await readAndJudge(ctx, "the ledger's event trigger is in place: enabled, on its event and tags, calling the guard's handler",
      `pg_event_trigger ${declared.name} in ${database}`, database,
      // The handler by name from pg_proc: regprocedure's text would depend on the session's search_path.
      `SELECT t.evtenabled AS enabled, t.evtevent AS event, coalesce(t.evttags, '{}') AS tags,
              format('%s.%s(%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)) AS handler
       FROM pg_catalog.pg_event_trigger t JOIN pg_catalog.pg_proc p ON p.oid = t.evtfoid JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
       WHERE t.evtname = $1`, [declared.name],
      ([row]) => eventTriggerVerdict(
        { event: declared.event, handler: `${GUARD}.${declared.handler}()`, tags: declared.tags ?? [] },
        row === undefined ? undefined : { enabled: String(row["enabled"]), event: String(row["event"]), handler: String(row["handler"]), tags: row["tags"] as string[] },
      )));
  }
  return results;
};

/** A workspace schema's ACL as declared: its owner (the environment's DDL role) all, then each Grant on it. */
export function declaredSchemaAcl(spec: OrgSpec, env: string, schema: string, owner: string): Map<string, readonly string[]> {
  const declared = new Map<string, readonly string[]>([[owner, ["CREATE", "USAGE"]]]);
  for (const grant of planSchemaAcl(spec, env)) {
    if (grant.kind === "grant" && grant.objectType === "schema" && grant.schema === schema) declared.set(grant.role, grant.privileges);
  }
  return declared;
}

export const schemasAreDeclared: CatalogClaim = async (ctx) => {
  const database = databaseName(ctx.spec.slug);
  const results: ClaimResult[] = [];
  for (const env of ctx.spec.environments) {
    for (const schema of planEnvironmentSchemas(ctx.spec, env)) {
      results.push(await readAndJudge(ctx, "the workspace schema is owned by its environment's DDL role, and only its runtime role holds a privilege on it besides",
        `pg_namespace ${schema.name} in ${database}: owner and every entry of its ACL`, database,
        `SELECT pg_catalog.pg_get_userbyid(n.nspowner) AS owner, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee) END AS grantee,
                a.privilege_type AS privilege
         FROM pg_catalog.pg_namespace n CROSS JOIN LATERAL pg_catalog.aclexplode(COALESCE(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) AS a
         WHERE n.nspname = $1 ORDER BY 2, 3`, [schema.name],
        (rows) => {
          const owner = rows[0]?.["owner"];
          if (owner === undefined) return { result: "missing", holds: false };
          if (owner !== schema.owner) return { result: `owned by ${String(owner)} (declared ${schema.owner})`, holds: false };
          const entries: AclEntry[] = rows.map((r) => ({ grantee: String(r["grantee"]), privilege: String(r["privilege"]) }));
          return aclVerdict(declaredSchemaAcl(ctx.spec, env, schema.name, schema.owner), entries);
        }));
    }
  }
  return results;
};

/**
 * Postgres gives PUBLIC USAGE on its own catalog schemas, and CREATE on `public` before PG 15;
 * of the org's, nothing: the `public` schema's is revoked (planDatabaseAcl), and no other schema,
 * the ledger's and the guard's included, grants PUBLIC anything.
 */
export const publicHoldsNothingInTheDatabase: CatalogClaim = async (ctx) => {
  const database = databaseName(ctx.spec.slug);
  return [await readAndJudge(ctx, "PUBLIC holds no privilege on the org database's schemas or on the ledger's table",
    `PUBLIC's privileges on every schema of ${database} but Postgres' own, and on ${PLATFORM_SCHEMAS.ledger}.events`, database,
    `SELECT format('%s on schema %s', p.privilege, n.nspname) AS held
     FROM pg_catalog.pg_namespace n CROSS JOIN unnest(ARRAY['CREATE', 'USAGE']) AS p (privilege)
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
       AND pg_catalog.has_schema_privilege('public', n.oid, p.privilege)
     UNION ALL
     SELECT format('%s on %s.%s', p.privilege, n.nspname, c.relname)
     FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) AS p (privilege)
     WHERE n.nspname = $1 AND c.relname = 'events' AND pg_catalog.has_table_privilege('public', c.oid, p.privilege)
     ORDER BY 1`, [PLATFORM_SCHEMAS.ledger],
    (rows) => rows.length === 0
      ? { result: "PUBLIC holds nothing", holds: true }
      : { result: `PUBLIC holds ${rows.map((r) => String(r["held"])).join("; ")}`, holds: false })];
};
