import type { Client } from "pg";
import type { Membership, RoleSource } from "./provider-sql/sql";
import { ident } from "./provider-sql/sql";

/*
 * The provider's temporary role memberships, run on the step's own connection (helpers.go
 * withRolesGranted, grantRoleMembership, revokeRoleMembership, isMemberOfRole; grant.go
 * getRolesToGrant). With a superuser admin they do nothing; with the non-superuser admin of a
 * managed database they are what makes schema creation and grants possible at all.
 */

async function one<T>(client: Client, sql: string, params: unknown[] = []): Promise<T | undefined> {
  return (await client.query(sql, params)).rows[0] as T | undefined;
}

async function isSuperuser(client: Client, role: string): Promise<boolean> {
  return (await one<{ rolsuper: boolean }>(client, "SELECT rolsuper FROM pg_roles WHERE rolname = $1", [role]))?.rolsuper === true;
}

/**
 * What never changes for a connection: who it is, whether that is a superuser, and whether the
 * server has PG 16's `set_option`. The provider asks each time; asking once per connection
 * gives the same answers without an information_schema query per membership check.
 */
interface Session {
  readonly current: string;
  readonly superuser: boolean;
  readonly hasSetOption: boolean;
  /** Roles known not to be superusers: tenantry never creates one, so the answer cannot change mid-apply. */
  readonly ordinary: Set<string>;
}
const sessions = new WeakMap<Client, Session>();

export async function session(client: Client): Promise<Session> {
  const known = sessions.get(client);
  if (known !== undefined) return known;
  const current = (await one<{ current_user: string }>(client, "SELECT CURRENT_USER"))?.current_user ?? "";
  const hasSetOption = (await one(client, "SELECT 1 FROM information_schema.columns WHERE table_name='pg_auth_members' AND column_name = 'set_option'")) !== undefined;
  const created = { current, superuser: await isSuperuser(client, current), hasSetOption, ordinary: new Set<string>() };
  sessions.set(client, created);
  return created;
}

/** isMemberOfRole: on PG 16+ only a membership with SET counts. */
async function isMember(client: Client, role: string, member: string): Promise<boolean> {
  const { hasSetOption } = await session(client);
  const sql = `SELECT 1 FROM pg_auth_members WHERE pg_get_userbyid(roleid) = $1 AND pg_get_userbyid(member) = $2${hasSetOption ? " AND set_option" : ""}`;
  return (await one(client, sql, [role, member])) !== undefined;
}

async function grantMembership(client: Client, role: string, member: string): Promise<boolean> {
  if (role === member || (await isMember(client, role, member))) return false;
  await client.query(`GRANT ${ident(role)} TO ${ident(member)}`);
  return true;
}

async function revokeMembership(client: Client, role: string, member: string): Promise<boolean> {
  if (role === member || !(await isMember(client, role, member))) return false;
  await client.query(`REVOKE ${ident(role)} FROM ${ident(member)}`);
  return true;
}

async function databaseOwner(client: Client): Promise<string | undefined> {
  return (await one<{ rolname: string }>(client, "SELECT rolname FROM pg_database JOIN pg_roles ON datdba = pg_roles.oid WHERE datname = current_database()"))?.rolname;
}

/** getRolesToGrant's lookups; `pg_database_owner` stands for the current database's owner. */
async function resolve(client: Client, source: RoleSource): Promise<string[]> {
  let roles: string[];
  if ("role" in source) roles = [source.role];
  else if ("ownerOfCurrentDatabase" in source) roles = [(await databaseOwner(client)) ?? ""];
  else if ("ownerOfSchema" in source) {
    roles = [(await one<{ rolname: string }>(client, "SELECT rolname FROM pg_namespace JOIN pg_roles ON nspowner = pg_roles.oid WHERE nspname = $1", [source.ownerOfSchema]))?.rolname ?? ""];
  } else {
    roles = (await client.query("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = $1", [source.ownersOfTablesIn])).rows.map((r) => String(r["tableowner"]));
  }
  const owner = roles.includes("pg_database_owner") ? await databaseOwner(client) : undefined;
  return roles.map((r) => (r === "pg_database_owner" ? owner ?? r : r)).filter((r) => r !== "");
}

export async function withMembership<T>(client: Client, membership: Membership | undefined, run: () => Promise<T>): Promise<T> {
  if (membership === undefined || membership.roles.length === 0) return run();
  const { current, superuser } = await session(client);
  const guarded = membership.style === "withRolesGranted";
  if (guarded && superuser) return run();
  const roles = [...new Set((await Promise.all(membership.roles.map((s) => resolve(client, s)))).flat())];
  const granted: string[] = [];
  const revoked: string[] = [];
  const { ordinary } = await session(client);
  for (const role of roles) {
    if (guarded && !ordinary.has(role)) {
      if (await isSuperuser(client, role)) continue;
      ordinary.add(role);
    }
    if (guarded && (await revokeMembership(client, current, role))) revoked.push(role);
    if (await grantMembership(client, role, current)) granted.push(role);
  }
  const restore = async () => {
    for (const role of granted) await revokeMembership(client, role, current);
    for (const role of revoked) {
      if ((await one(client, "SELECT 1 FROM pg_roles WHERE rolname = $1", [role])) !== undefined) await grantMembership(client, current, role);
    }
  };
  if (guarded) {
    // Inside a transaction: on failure the rollback undoes the grants (and the aborted
    // transaction would refuse the revokes anyway).
    const result = await run();
    await restore();
    return result;
  }
  // Autocommitted (the database resource): the provider defers the revoke, so it runs even on failure.
  try {
    return await run();
  } finally {
    await restore();
  }
}
