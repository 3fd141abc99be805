/*
 * How the org's connection quota is shared. The database's CONNECTION LIMIT is the whole quota;
 * each environment gets an equal share of it, minus headroom, so dev can never starve prod, and
 * a deploy or an operator can still connect during an incident.
 */

/** Connections no tenant role can take: the provider's session and one for an operator. */
export const RESERVED_CONNECTIONS = 2;

export interface ConnectionBudget {
  /** Per environment. */
  readonly runtime: number;
  /** Per environment: migrations need few connections, never the app's pool. */
  readonly ddl: number;
}

/** The smallest quota that leaves every environment one runtime and one DDL connection. */
export function minimumConnections(environments: number): number {
  return RESERVED_CONNECTIONS + 2 * environments;
}

export function connectionBudget(maxConnections: number, environments: number): ConnectionBudget {
  const share = Math.floor((maxConnections - RESERVED_CONNECTIONS) / environments);
  const ddl = Math.max(1, Math.min(3, Math.floor(share / 4)));
  return { runtime: share - ddl, ddl };
}
