import { randomBytes } from "node:crypto";
import type { Connection } from "./sql-runner";
import type { LocalPaths } from "./paths";
import { readJsonIfExists, writePrivateJson } from "./private-file";
import { ident, literal } from "./provider-sql/sql";
import { adminClient, BOOTSTRAP_SUPERUSER, type ServerInfo } from "./server";
import type { SpecProblem } from "../spec/spec-errors";
import { closeSharedDatabasesSql } from "../components/shared-databases-sql";
import { managedSuperuserSql } from "./managed-server";

/*
 * The provider's login on the embedded server, made like a managed database's master user:
 * LOGIN, CREATEDB, CREATEROLE, not a superuser, and a member of the rds_superuser stand-in
 * (local/managed-server.ts). Applying as this role (not as the embedded
 * superuser) is what lets the local apply show the real deploy path works, membership dance
 * included. Its password lives in the private provider-admins file.
 *
 * With it comes the rest of the platform's setup of the server: the shared databases
 * (postgres, template1) closed to PUBLIC, the login keeping CONNECT on its configured database by name
 * (components/shared-databases-sql.ts). Run on every apply, so a server made by an earlier
 * tenantry, or opened again by hand, is closed before anything is applied to it.
 */

type AdminPasswords = Record<string, string>;

/**
 * What the local engine cannot do with a stack's provider login, though the spec allows it: be
 * the embedded server's bootstrap superuser. `postgres` is a legitimate master user on RDS, but
 * here it would mean demoting the server's own superuser into the provider's login, which
 * Postgres refuses (and the refused statement would carry the generated password).
 */
export function localLoginProblems(login: string): SpecProblem[] {
  if (login !== BOOTSTRAP_SUPERUSER) return [];
  return [{
    field: "postgresql:username",
    message: `postgresql:username must not be ${BOOTSTRAP_SUPERUSER} with --local: the embedded server's own superuser has that name; use another login name (e.g. tenantry) for the local engine`,
  }];
}

export async function ensureProviderAdmin(paths: LocalPaths, server: ServerInfo, role: string, database = "postgres"): Promise<Connection> {
  const file = paths.providerAdminsFile;
  const passwords = readJsonIfExists<AdminPasswords>(file) ?? {};
  const client = adminClient(server);
  await client.connect();
  try {
    const exists = (await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role])).rowCount !== 0;
    const password = exists && passwords[role] !== undefined ? passwords[role] : randomBytes(24).toString("base64url");
    if (!exists) {
      await client.query(`CREATE ROLE ${ident(role)} WITH LOGIN CREATEDB CREATEROLE NOSUPERUSER PASSWORD ${literal(password)}`);
    } else if (passwords[role] === undefined) {
      await client.query(`ALTER ROLE ${ident(role)} WITH LOGIN CREATEDB CREATEROLE NOSUPERUSER PASSWORD ${literal(password)}`);
    }
    writePrivateJson(file, { ...passwords, [role]: password });
    await client.query(managedSuperuserSql(role));
    await client.query(closeSharedDatabasesSql([{ login: role, database }]));
    return { host: server.host, port: server.port, user: role, password, database };
  } finally {
    await client.end();
  }
}
