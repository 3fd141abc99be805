import { ROLE_SETTING_MIGRATION_SUFFIXES } from "../components/migration-plan";
import { SQL_MIGRATION_KIND } from "../components/sql-migration";
import { TYPE, translationFor, type ProviderContext } from "./provider-sql";
import { Connections, runSteps, type Connection } from "./sql-runner";
import type { AppliedResource } from "./state";

/*
 * A login role can change its own settings (ALTER ROLE itself SET statement_timeout = 0, RESET
 * lock_timeout, IN DATABASE ... SET ...) and the change lasts: nothing in any input changes, so no
 * change plan sees it (issue 13, finding 4). So after every apply each login role's settings are
 * declared again, by the same SQL that declared them: the provider's Role update for what the Role
 * manages (connection limit, statement and idle-in-transaction timeouts), and the SqlMigrations
 * that set the rest, which first reset whatever the role set beyond what is declared (role-wide
 * or IN DATABASE: components/role-settings-sql.ts). Nothing is reset that is then declared again,
 * so no session ever connects between a reset and its declaration without a declared setting
 * (temp_file_limit above all). Role defaults are only a convenience: the enforcer is the limit.
 */

/** The login roles of the state with their Role resource: those carrying a declared statement timeout. */
function settingRoles(resources: readonly AppliedResource[]): AppliedResource[] {
  return resources.filter((r) => r.type === TYPE.role && typeof r.inputs["name"] === "string" && typeof r.inputs["statementTimeout"] === "number");
}

/** The migrations that declare role settings, as recorded. */
export function roleSettingMigrations(resources: readonly AppliedResource[]): AppliedResource[] {
  return resources.filter((r) => r.type === TYPE.dynamic && r.inputs["kind"] === SQL_MIGRATION_KIND
    && typeof r.inputs["migration"] === "string" && ROLE_SETTING_MIGRATION_SUFFIXES.some((suffix) => (r.inputs["migration"] as string).endsWith(`-${suffix}`)));
}

/** Each role's connection limit and every setting it carries, in any database, as one comparable line (order aside). */
async function snapshot(connections: Connections, roles: readonly string[]): Promise<Map<string, string>> {
  const { rows } = await (await connections.to(undefined, true)).query<{ rolname: string; line: string }>(
    `SELECT r.rolname, r.rolconnlimit || ' ' || coalesce(string_agg(coalesce(d.datname, '*') || ':' || c, ' ' ORDER BY coalesce(d.datname, '*') COLLATE "C", c COLLATE "C"), '') AS line
     FROM pg_roles r LEFT JOIN pg_db_role_setting s ON s.setrole = r.oid LEFT JOIN pg_database d ON d.oid = s.setdatabase LEFT JOIN LATERAL unnest(s.setconfig) c ON true
     WHERE r.rolname = ANY ($1) GROUP BY r.rolname, r.rolconnlimit`, [roles]);
  return new Map(rows.map((row) => [row.rolname, row.line]));
}

/**
 * Declares each login role's settings again, the migrations resetting what is not declared;
 * returns the roles whose settings (or connection limit) were not what is declared.
 */
export async function restoreRoleSettings(admin: Connection, superuser: Connection, resources: readonly AppliedResource[]): Promise<string[]> {
  const roles = settingRoles(resources);
  if (roles.length === 0) return [];
  const names = roles.map((r) => r.inputs["name"] as string);
  const connections = new Connections(admin, superuser);
  const provider: ProviderContext = { adminUser: admin.user };
  try {
    const before = await snapshot(connections, names);
    for (const role of roles) {
      const { inputs } = role;
      // What the provider runs when Pulumi finds these fields drifted: an update from unknown values.
      const steps = translationFor(TYPE.role).update({ ...inputs, connectionLimit: null, statementTimeout: null, idleInTransactionSessionTimeout: null }, inputs, provider);
      await runSteps(steps, connections, `restore settings of ${role.name}`);
    }
    for (const migration of roleSettingMigrations(resources)) {
      await runSteps(translationFor(TYPE.dynamic).create(migration.inputs, provider), connections, `run ${migration.name} again`);
    }
    const after = await snapshot(connections, names);
    return names.filter((name) => before.get(name) !== after.get(name));
  } finally {
    await connections.end();
  }
}
