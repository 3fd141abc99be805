/*
 * How the org's connection quota is shared. The database's CONNECTION LIMIT is the whole quota,
 * and Postgres counts against it every connection of a role that is not a superuser: the
 * provider login's too (on RDS nobody deploying is a superuser). So the deploy's own connections
 * are reserved first, then each environment gets an equal share of the rest, so dev can never
 * starve prod, and the apps holding every connection their roles may open cannot stop a deploy
 * or an operator from connecting during an incident (issue 14, finding 7).
 */

/**
 * The Postgres provider's pool per database, which a stack must set as `postgresql:maxConnections`
 * (spec/provider-settings.ts). The provider opens one `database/sql` pool per connection string,
 * so one per database, capped by `SetMaxOpenConns(max_connections)` and keeping no idle
 * connection (cyrilgdn/terraform-provider-postgresql postgresql/config.go, Client.Connect); its
 * default is 20 (postgresql/provider.go, defaultProviderMaxOpenConnections). 2 is the least that
 * cannot deadlock: creating a database holds a transaction (the advisory lock on the login) while
 * it grants the owner role on a second connection of the same pool
 * (postgresql/resource_postgresql_database.go, createDatabase); no resource tenantry declares
 * holds more than two at once.
 */
export const PROVIDER_POOL_CONNECTIONS = 2;

/**
 * The SqlMigrations that run in the org database (`<org>-large-objects`, `<org>-audit-ledger`:
 * components/migration-plan.ts), each holding one connection at a time (components/sql-migration.ts
 * withClient: its diff's drift read, its SQL, then its drift read again, one after the other). The
 * engine may run them, and their diffs, beside each other and the provider. A test ties this to
 * planMigrations (test/unit/connection-budget.test.ts): spec/ cannot import the planner, which
 * imports this budget.
 */
export const ORG_DATABASE_MIGRATIONS = 2;

/**
 * One session for whoever is on call: `psql`, or `tenantry prove --server-url`, which holds one.
 * While break-glass is on, its login (connection limit 1, docs/break-glass.md) is that person's
 * session and takes this seat; a seat of its own would move every environment's limits, or move
 * them when break-glass is turned on in an incident. A proof run beside it may then be refused.
 */
export const OPERATOR_CONNECTIONS = 1;

/** Connections no tenant role can take: everything a deploy may hold at once in the org database, and an operator's. */
export const RESERVED_CONNECTIONS = PROVIDER_POOL_CONNECTIONS + ORG_DATABASE_MIGRATIONS + OPERATOR_CONNECTIONS;

export interface ConnectionBudget {
  /** Per environment. */
  readonly runtime: number;
  /** Per environment: migrations need few connections, never the app's pool. */
  readonly ddl: number;
}

/** The smallest quota that leaves every environment one runtime and one DDL connection beside the reserve. */
export function minimumConnections(environments: number): number {
  return RESERVED_CONNECTIONS + 2 * environments;
}

export function connectionBudget(maxConnections: number, environments: number): ConnectionBudget {
  const share = Math.floor((maxConnections - RESERVED_CONNECTIONS) / environments);
  const ddl = Math.max(1, Math.min(3, Math.floor(share / 4)));
  return { runtime: share - ddl, ddl };
}
