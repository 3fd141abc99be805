import type { ConnectionOptions } from "node:tls";
import { Client } from "pg";
import type { Outcome } from "../local/attempt";

/*
 * The after-deploy proof's only way to the server: one connection per database, as the provider
 * login, each query in a transaction the server itself holds READ ONLY and that is always rolled
 * back. So whatever a query is, it can write nothing (Postgres refuses every INSERT, UPDATE,
 * DELETE, CREATE, ALTER, DROP, GRANT and nextval() in a read-only transaction), and a query the
 * server cancels or a client that dies leaves nothing either. Short timeouts keep it from ever
 * queueing behind, or in front of, a deploy's locks.
 */

export interface CatalogTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly ssl: false | ConnectionOptions;
}

/** What the server sees the proof's sessions as, in pg_stat_activity. */
export const PROOF_APPLICATION_NAME = "tenantry prove (read-only)";

/** Catalog reads take milliseconds; a lock wait means a deploy holds the catalog, and the proof yields. */
const TIMEOUTS = { statement_timeout: 30_000, lock_timeout: 2_000, idle_in_transaction_session_timeout: 60_000, connectionTimeoutMillis: 15_000 } as const;

export class CatalogSession {
  private readonly clients = new Map<string, Promise<Client | Outcome>>();

  constructor(private readonly target: CatalogTarget) {}

  /** Connects to `database` once; a refusal is remembered, so every read there reports it without retrying. */
  private client(database: string): Promise<Client | Outcome> {
    let found = this.clients.get(database);
    if (found === undefined) {
      found = this.connect(database);
      this.clients.set(database, found);
    }
    return found;
  }

  private async connect(database: string): Promise<Client | Outcome> {
    const { host, port, user, password, ssl } = this.target;
    const client = new Client({ host, port, user, password, database, ssl, application_name: PROOF_APPLICATION_NAME, ...TIMEOUTS });
    client.on("error", () => undefined);
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      return outcomeOf(error);
    }
  }

  /** Runs one query in `database`, read-only and rolled back; the outcome carries the SQLSTATE of a refusal. */
  async read(database: string, sql: string, params: readonly unknown[] = []): Promise<Outcome> {
    const client = await this.client(database);
    if (!(client instanceof Client)) return client;
    try {
      await client.query("BEGIN TRANSACTION READ ONLY");
      const { rows } = await client.query(sql, [...params]);
      return { code: undefined, message: undefined, rows: rows as Record<string, unknown>[] };
    } catch (error) {
      return outcomeOf(error);
    } finally {
      await client.query("ROLLBACK").catch(() => undefined);
    }
  }

  /** Whether connecting to `database` failed, and how: undefined once connected. */
  async refusal(database: string): Promise<Outcome | undefined> {
    const client = await this.client(database);
    return client instanceof Client ? undefined : client;
  }

  async end(): Promise<void> {
    const clients = await Promise.all(this.clients.values());
    await Promise.all(clients.map((c) => (c instanceof Client ? c.end().catch(() => undefined) : undefined)));
    this.clients.clear();
  }
}

function outcomeOf(error: unknown): Outcome {
  const { code, message } = error as { code?: string; message?: string };
  return { code: code ?? "connection-error", message, rows: [] };
}
