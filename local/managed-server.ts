import type { Node } from "@pgsql/types";
import { loadModule, parseSync } from "libpg-query";
import type { Client } from "pg";
import { ident } from "./provider-sql/sql";
import { quoteLiteral } from "../spec/naming";

/*
 * The embedded server made to behave like a managed one (RDS, Aurora, Cloud SQL), where nobody
 * deploying is a superuser. The deploy's login is the master user: CREATEDB, CREATEROLE, and a
 * member of `rds_superuser`, a role that is no superuser but holds a short list of extra rights.
 * A step the program marks `elevated` runs as that login, exactly as on RDS: it owns what it
 * creates and is refused what the login may not do. Only the statements RDS lets
 * `rds_superuser` run although Postgres reserves them to superusers (event triggers) run as the
 * embedded superuser here, since stock Postgres has no such role. Everything else the issue
 * found (guard functions owned by the login, the login not in the DDL roles) therefore shows
 * up locally as it would on the first real deploy.
 */

/** The stand-in for RDS's `rds_superuser`: the provider login is an inheriting member. */
export const MANAGED_SUPERUSER_ROLE = "rds_superuser";

/**
 * What RDS grants `rds_superuser` that a CREATEROLE login has not (AWS, "Understanding
 * PostgreSQL roles and permissions": pg_signal_backend, pg_monitor and its parts, pg_checkpoint,
 * pg_use_reserved_connections). Roles this server lacks (older versions) are skipped.
 */
const MANAGED_SUPERUSER_MEMBERSHIPS = ["pg_signal_backend", "pg_monitor", "pg_checkpoint", "pg_use_reserved_connections"] as const;

/**
 * Superuser-only settings RDS lets `rds_superuser` set. temp_file_limit is modelled so, which is
 * what the guardrails migration needs; that RDS allows it is not proven here
 * (docs/running-for-real.md lists it). session_replication_role is what a move's copy sets so
 * restored rows fire no audit trigger (docs/move.md); RDS users report that a member of
 * rds_superuser may set it where a plain login may not, which is modelled, not proven.
 */
const MANAGED_SUPERUSER_PARAMETERS = ["temp_file_limit", "session_replication_role"] as const;

/** Makes the `rds_superuser` stand-in (idempotent) and makes `login` a member, as RDS makes its master user. Run as the superuser. */
export function managedSuperuserSql(login: string): string {
  const role = ident(MANAGED_SUPERUSER_ROLE);
  return `DO $managed$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${quoteLiteral(MANAGED_SUPERUSER_ROLE)}) THEN
    CREATE ROLE ${role} NOLOGIN;
  END IF;
END
$managed$;
${MANAGED_SUPERUSER_MEMBERSHIPS.map((granted) => `DO $grant$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${quoteLiteral(granted)}) THEN GRANT ${ident(granted)} TO ${role}; END IF; END $grant$;`).join("\n")}
${MANAGED_SUPERUSER_PARAMETERS.map((parameter) => `GRANT SET ON PARAMETER ${parameter} TO ${role};`).join("\n")}
GRANT ${role} TO ${ident(login)};`;
}

/** Statements Postgres reserves to superusers that RDS lets `rds_superuser` run: event triggers. */
export function isManagedSuperuserStatement(statement: Node | undefined): boolean {
  if (statement === undefined) return false;
  if ("CreateEventTrigStmt" in statement || "AlterEventTrigStmt" in statement) return true;
  if ("DropStmt" in statement) return statement.DropStmt.removeType === "OBJECT_EVENT_TRIGGER";
  if ("AlterOwnerStmt" in statement) return statement.AlterOwnerStmt.objectType === "OBJECT_EVENT_TRIGGER";
  if ("RenameStmt" in statement) return statement.RenameStmt.renameType === "OBJECT_EVENT_TRIGGER";
  return false;
}

export interface StatementRun {
  /** Consecutive statements, verbatim. */
  readonly sql: string;
  /** Whether they run as the superuser (event triggers) rather than as the login. */
  readonly superuser: boolean;
}

/**
 * Splits SQL into runs of consecutive statements by who runs them, with Postgres's own parser
 * (libpg-query), so dollar-quoted bodies and comments are never cut.
 */
export async function splitBySuperuser(sql: string): Promise<StatementRun[]> {
  // The parser is WebAssembly, instantiated once per process.
  await loadModule();
  const bytes = Buffer.from(sql, "utf8");
  const runs: { superuser: boolean; texts: string[] }[] = [];
  for (const { stmt, stmt_location: location = 0, stmt_len: length } of parseSync(sql).stmts ?? []) {
    // Offsets are in bytes; a zero or missing length means "to the end".
    const text = bytes.subarray(location, length === undefined || length === 0 ? undefined : location + length).toString("utf8").trim();
    const superuser = isManagedSuperuserStatement(stmt);
    const last = runs[runs.length - 1];
    if (last !== undefined && last.superuser === superuser) last.texts.push(text);
    else runs.push({ superuser, texts: [text] });
  }
  return runs.map(({ superuser, texts }) => ({ superuser, sql: texts.join(";\n") }));
}

/**
 * Runs an elevated step's SQL, inside the caller's transaction on a superuser session, as a
 * managed server would: as `login`, but for the statements RDS lets `rds_superuser` run.
 */
export async function runAsManagedLogin(client: Client, login: string, sql: string): Promise<void> {
  const asLogin = `SET LOCAL ROLE ${ident(login)}`;
  for (const run of await splitBySuperuser(sql)) {
    await client.query(run.superuser ? "SET LOCAL ROLE NONE" : asLogin);
    await client.query(run.sql);
  }
  await client.query("SET LOCAL ROLE NONE");
}

/**
 * Hands what the superuser owns in this database to `login`: a server the local engine set up
 * before it imitated a managed server has the elevated steps' objects owned by the superuser, where
 * RDS would have them owned by the login that ran those steps. System objects (below the first
 * normal OID), extension members (owned by the bootstrap superuser on RDS too) and event
 * triggers (which must stay a superuser's here) keep their owner. Idempotent.
 */
export function adoptSuperuserObjectsSql(superuser: string, login: string): string {
  const to = ident(login);
  return `DO $adopt$
DECLARE
  statement text;
BEGIN
  FOR statement IN
    SELECT pg_catalog.format('ALTER SCHEMA %I OWNER TO ${to.replace(/%/g, "%%")}', n.nspname) FROM pg_catalog.pg_namespace n
    WHERE n.nspowner = ${quoteLiteral(superuser)}::regrole AND n.oid >= 16384
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
    UNION ALL
    SELECT pg_catalog.format('ALTER ROUTINE %s OWNER TO ${to.replace(/%/g, "%%")}', p.oid::regprocedure) FROM pg_catalog.pg_proc p
    WHERE p.proowner = ${quoteLiteral(superuser)}::regrole AND p.oid >= 16384
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
    UNION ALL
    SELECT pg_catalog.format('ALTER TABLE %s OWNER TO ${to.replace(/%/g, "%%")}', c.oid::regclass) FROM pg_catalog.pg_class c
    WHERE c.relowner = ${quoteLiteral(superuser)}::regrole AND c.oid >= 16384 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
  LOOP
    EXECUTE statement;
  END LOOP;
END
$adopt$;`;
}
