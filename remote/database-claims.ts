import { inheritsRoleSql, planAllLoginRoles, planDatabase, planDatabaseAcl } from "../components/database-plan";
import { SHARED_DATABASES } from "../components/shared-databases-sql";
import { orgRoleName } from "../spec/naming";
import type { OrgSpec } from "../spec/spec";
import type { ClaimResult } from "../local/proof/claim";
import { readAndJudge, type CatalogClaim } from "./catalog-claim";
import { aclVerdict, PRIVILEGED_ATTRIBUTES, PUBLIC_GRANTEE, publicVerdict, roleVerdict, type AclEntry, type DeclaredRole } from "./verdicts";

/*
 * What the catalog shows of the org's database and roles, cluster-wide, read in the provider's
 * own database (pg_database, pg_roles and pg_auth_members are shared by every database of a
 * server): the database and its ACL, the shared databases' ACL, each role's attributes, and the
 * provider login's membership in the owner (issue 14, finding 2).
 */

/** Every privilege a database's owner holds unless it revoked its own (acldefault('d', owner)). */
const OWNER_DATABASE_PRIVILEGES = ["CONNECT", "CREATE", "TEMPORARY"];

/** The org database's ACL as declared: the owner's own privileges, and each Grant on the database but PUBLIC's revocation. */
export function declaredDatabaseAcl(spec: OrgSpec): Map<string, readonly string[]> {
  const declared = new Map<string, readonly string[]>([[planDatabase(spec).owner, OWNER_DATABASE_PRIVILEGES]]);
  for (const grant of planDatabaseAcl(spec)) {
    if (grant.kind === "grant" && grant.objectType === "database" && grant.role !== "public") declared.set(grant.role, grant.privileges);
  }
  return declared;
}

/** Every role the org declares: its owner, its audit owner (both NOLOGIN), and its login roles. */
export function declaredRoles(spec: OrgSpec): DeclaredRole[] {
  return [
    { name: orgRoleName(spec.slug, "owner"), login: false },
    { name: orgRoleName(spec.slug, "audit"), login: false },
    ...planAllLoginRoles(spec).map((role) => ({ name: role.name, login: role.login, connectionLimit: role.connectionLimit })),
  ];
}

const ACL_OF_DATABASE = `SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee) END AS grantee, a.privilege_type AS privilege
FROM pg_catalog.pg_database d CROSS JOIN LATERAL pg_catalog.aclexplode(COALESCE(d.datacl, pg_catalog.acldefault('d', d.datdba))) AS a
WHERE d.datname = $1 ORDER BY 1, 2`;

const aclEntries = (rows: readonly Record<string, unknown>[]): AclEntry[] => rows.map((r) => ({ grantee: String(r["grantee"]), privilege: String(r["privilege"]) }));

export const databaseIsDeclared: CatalogClaim = async (ctx) => {
  const plan = planDatabase(ctx.spec);
  return [await readAndJudge(ctx, "the org database exists, owned by the org's owner role, with the org's connection limit",
    `pg_database ${plan.name}: owner, connection limit`, ctx.providerDatabase,
    "SELECT pg_catalog.pg_get_userbyid(datdba) AS owner, datconnlimit AS connections FROM pg_catalog.pg_database WHERE datname = $1", [plan.name],
    ([row]) => {
      if (row === undefined) return { result: "missing", holds: false };
      const found = `owner ${String(row["owner"])}, connection limit ${String(row["connections"])}`;
      return { result: found, holds: found === `owner ${plan.owner}, connection limit ${plan.connectionLimit}` };
    })];
};

/** PUBLIC, then everyone else, from one read of the database's ACL. */
export const databasePrivilegesAreDeclared: CatalogClaim = async (ctx) => {
  const { name } = planDatabase(ctx.spec);
  const what = `pg_database ${name}: every entry of its ACL`;
  const read = (claim: string, judge: (entries: AclEntry[]) => ReturnType<typeof publicVerdict>) =>
    readAndJudge(ctx, claim, what, ctx.providerDatabase, ACL_OF_DATABASE, [name], (rows) => judge(aclEntries(rows)));
  return [
    await read("PUBLIC holds no privilege on the org database", publicVerdict),
    await read("besides its owner, only the org's login roles hold a privilege on the org database, and only CONNECT",
      // PUBLIC's entries are the claim above's: a grant to PUBLIC fails that one, not both.
      (entries) => aclVerdict(declaredDatabaseAcl(ctx.spec), entries.filter((e) => e.grantee !== PUBLIC_GRANTEE))),
  ];
};

/** The server's own databases: closing them is the platform's server setup (docs/shared-databases.md). */
export const sharedDatabasesAreClosed: CatalogClaim = async (ctx) => [await readAndJudge(ctx,
  `PUBLIC holds no privilege on the server's shared databases (${SHARED_DATABASES.join(", ")})`,
  `PUBLIC's privileges on ${SHARED_DATABASES.join(", ")}`, ctx.providerDatabase,
  `SELECT d.datname AS database, pg_catalog.string_agg(p.privilege, ', ' ORDER BY p.privilege) AS privileges
   FROM pg_catalog.pg_database d CROSS JOIN unnest(ARRAY['CONNECT', 'CREATE', 'TEMPORARY']) AS p (privilege)
   WHERE d.datname = ANY ($1) AND pg_catalog.has_database_privilege('public', d.oid, p.privilege) GROUP BY d.datname ORDER BY d.datname`,
  [SHARED_DATABASES],
  (rows) => rows.length === 0
    ? { result: "PUBLIC holds nothing", holds: true }
    : { result: rows.map((r) => `PUBLIC holds ${String(r["privileges"])} on ${String(r["database"])}`).join("; "), holds: false })];

/** Where pg_roles keeps each privileged attribute. */
const ATTRIBUTE_COLUMNS = {
  SUPERUSER: "rolsuper", CREATEDB: "rolcreatedb", CREATEROLE: "rolcreaterole", REPLICATION: "rolreplication", BYPASSRLS: "rolbypassrls",
} as const satisfies Record<(typeof PRIVILEGED_ATTRIBUTES)[number], string>;

/** The privileged attributes a role holds, as a text array. */
const PRIVILEGED_HELD = `array_remove(ARRAY[${PRIVILEGED_ATTRIBUTES.map((a) => `CASE WHEN ${ATTRIBUTE_COLUMNS[a]} THEN '${a}' END`).join(", ")}], NULL)`;

export const rolesAreDeclared: CatalogClaim = async (ctx) => {
  const results: ClaimResult[] = [];
  for (const role of declaredRoles(ctx.spec)) {
    results.push(await readAndJudge(ctx, "the role has exactly its declared attributes",
      `pg_roles ${role.name}: login, connection limit, privileged attributes`, ctx.providerDatabase,
      `SELECT rolcanlogin AS login, rolconnlimit AS connections, ${PRIVILEGED_HELD} AS privileged
       FROM pg_catalog.pg_roles WHERE rolname = $1`, [role.name],
      ([row]) => roleVerdict(role, row === undefined ? undefined : {
        login: row["login"] === true, connectionLimit: Number(row["connections"]), privileged: (row["privileged"] as string[] | null) ?? [],
      })));
  }
  return results;
};

/**
 * The provider login reaches the org database through the owner role, and revokes PUBLIC's
 * privileges as its member: without inheriting it, it can do neither (issue 14, finding 2).
 */
export const providerLoginInheritsOwner: CatalogClaim = async (ctx) => {
  const owner = planDatabase(ctx.spec).owner;
  return [await readAndJudge(ctx, "the provider login is an inheriting member of the org's owner role",
    `pg_has_role(${ctx.login}, ${owner}, MEMBER and USAGE)`, ctx.providerDatabase,
    `SELECT pg_catalog.pg_has_role($1, $2, 'MEMBER') AS member, ${inheritsRoleSql("$1", "$2")} AS inherits`, [ctx.login, owner],
    ([row]) => {
      if (row?.["inherits"] === true) return { result: `${ctx.login} inherits ${owner}`, holds: true };
      return { result: row?.["member"] === true ? `${ctx.login} is a member of ${owner}, not inheriting it` : `${ctx.login} is not a member of ${owner}`, holds: false };
    })];
};
