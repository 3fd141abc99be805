import { environmentRoleName, orgRoleName, quoteIdent, quoteLiteral } from "../spec/naming";

/*
 * What an org's login roles carry in pg_db_role_setting, and the SQL that finds and undoes
 * anything else. A role can ALTER ROLE itself (SET, RESET, IN DATABASE ... SET) and the change
 * lasts (issue 13, finding 4); nothing in a migration's inputs changes, so only a drift query
 * that reads the catalog lets a real `pulumi up` see it. Two migrations share the work, by who may
 * set what: `lock-timeouts` (the provider login) owns every user-settable setting of the roles,
 * `guardrails` (elevated) owns temp_file_limit, which only a superuser can set or reset.
 * Pure: no Pulumi import.
 */

/** The one setting only the elevated guardrails migration declares and repairs. */
export const SUPERUSER_SETTING = "temp_file_limit";

/** Every login role of the org, runtime then DDL, per environment, then the break-glass login while it is on. */
export function loginRoleNames(org: { readonly slug: string; readonly environments: readonly string[]; readonly breakGlass?: unknown }): string[] {
  const environmentLogins = org.environments.flatMap((env) => (["runtime", "ddl"] as const).map((kind) => environmentRoleName(org.slug, env, kind)));
  // The break-glass login carries the same timeouts and enforcer limits while it exists.
  return org.breakGlass === undefined ? environmentLogins : [...environmentLogins, orgRoleName(org.slug, "breakglass")];
}

/** A setting as pg_db_role_setting stores it: `name=value`. */
export interface DeclaredSetting {
  readonly name: string;
  /** As written after `SET name TO`, and as stored: an integer, or a quoted text such as `'64MB'`. */
  readonly value: string;
}

const stored = (setting: DeclaredSetting) => `${setting.name}=${setting.value.replace(/^'(.*)'$/, "$1")}`;
const rolesArray = (roles: readonly string[]) => `ARRAY[${roles.map(quoteLiteral).join(", ")}]::name[]`;
// Code-point order, as JavaScript sorts ASCII: the catalog's array is sorted the same way.
const sortedArray = (items: readonly string[]) => `ARRAY[${[...items].sort().map(quoteLiteral).join(", ")}]::text[]`;

/**
 * The roles whose user-settable settings differ from `declared`: any setting role-wide other than
 * those (temp_file_limit aside), a declared one lifted or changed, or any `IN DATABASE` row.
 */
export function userSettingsDriftSql(roles: readonly string[], declared: readonly DeclaredSetting[]): string {
  const superuser = quoteLiteral(SUPERUSER_SETTING);
  return `SELECT r.rolname::text AS role FROM pg_roles r
WHERE r.rolname = ANY (${rolesArray(roles)}) AND (
  EXISTS (SELECT 1 FROM pg_db_role_setting s, unnest(s.setconfig) c WHERE s.setrole = r.oid AND s.setdatabase <> 0 AND split_part(c, '=', 1) <> ${superuser})
  OR ARRAY(SELECT c FROM pg_db_role_setting s, unnest(s.setconfig) c WHERE s.setrole = r.oid AND s.setdatabase = 0 AND split_part(c, '=', 1) <> ${superuser} ORDER BY c COLLATE "C")
    IS DISTINCT FROM ${sortedArray(declared.map(stored))}
)
ORDER BY 1`;
}

/**
 * Resets every `IN DATABASE` row of the roles and every role-wide setting not declared (as the
 * provider login: what a tenant could set, it can reset), then declares `declared`; all in the
 * migration's one transaction, so no session ever connects between the reset and the declaration.
 */
export function userSettingsSql(roles: readonly string[], declared: readonly DeclaredSetting[]): string {
  const kept = [...declared.map((s) => s.name), SUPERUSER_SETTING].map(quoteLiteral).join(", ");
  return [
    `DO $settings$
DECLARE
  stray record;
BEGIN
  FOR stray IN SELECT r.rolname, d.datname FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole JOIN pg_database d ON d.oid = s.setdatabase
    WHERE r.rolname = ANY (${rolesArray(roles)})
  LOOP
    EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET ALL', stray.rolname, stray.datname);
  END LOOP;
  FOR stray IN SELECT DISTINCT r.rolname, split_part(c, '=', 1) AS setting FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole, unnest(s.setconfig) c
    WHERE s.setdatabase = 0 AND r.rolname = ANY (${rolesArray(roles)}) AND split_part(c, '=', 1) NOT IN (${kept})
  LOOP
    EXECUTE format('ALTER ROLE %I RESET %I', stray.rolname, stray.setting);
  END LOOP;
END
$settings$;`,
    ...roles.flatMap((role) => declared.map((s) => `ALTER ROLE ${quoteIdent(role)} SET ${s.name} TO ${s.value};`)),
  ].join("\n");
}

/** The roles whose temp_file_limit is not `value` role-wide, or that carry one `IN DATABASE`. */
export function superuserSettingDriftSql(roles: readonly string[], value: string): string {
  const name = quoteLiteral(SUPERUSER_SETTING);
  return `SELECT r.rolname::text AS role FROM pg_roles r
WHERE r.rolname = ANY (${rolesArray(roles)}) AND (
  EXISTS (SELECT 1 FROM pg_db_role_setting s, unnest(s.setconfig) c WHERE s.setrole = r.oid AND s.setdatabase <> 0 AND split_part(c, '=', 1) = ${name})
  OR (SELECT c FROM pg_db_role_setting s, unnest(s.setconfig) c WHERE s.setrole = r.oid AND s.setdatabase = 0 AND split_part(c, '=', 1) = ${name})
    IS DISTINCT FROM ${quoteLiteral(stored({ name: SUPERUSER_SETTING, value }))}
)`;
}

/** Resets temp_file_limit in every `IN DATABASE` row of the roles (superuser-only), then declares it role-wide. */
export function superuserSettingSql(roles: readonly string[], value: string): string {
  return [
    `DO $settings$
DECLARE
  stray record;
BEGIN
  FOR stray IN SELECT r.rolname, d.datname FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) c
    WHERE r.rolname = ANY (${rolesArray(roles)}) AND split_part(c, '=', 1) = ${quoteLiteral(SUPERUSER_SETTING)}
  LOOP
    EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET ${SUPERUSER_SETTING}', stray.rolname, stray.datname);
  END LOOP;
END
$settings$;`,
    ...roles.map((role) => `ALTER ROLE ${quoteIdent(role)} SET ${SUPERUSER_SETTING} TO ${value};`),
  ].join("\n");
}
