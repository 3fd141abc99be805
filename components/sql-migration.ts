import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { ProviderTls } from "../spec/provider-settings";
import { keyFileProblem, pgSslOptions, planTls, type TlsFile } from "./migration-tls";

/*
 * A small, general SQL migration resource: @pulumi/postgresql has no resource for event
 * triggers, role settings such as lock_timeout, or arbitrary SQL. The SQL must be idempotent;
 * it is applied in one transaction, and its checksum is its version: changing the SQL changes
 * the checksum, which `pulumi preview` shows as a diff and `pulumi up` applies by running the
 * new SQL. Deleting the resource runs nothing: a migration is never undone implicitly.
 *
 * The provider code below is serialized by Pulumi into the state and runs in Pulumi's dynamic
 * provider host, so it imports what it needs inside its functions.
 */

/**
 * How the dynamic provider reaches Postgres: the stack's `postgresql:*` settings, TLS included
 * (sslmode, sslrootcert, clientcert), which it honours exactly as the Postgres provider does.
 */
export interface MigrationConnection extends ProviderTls {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** A Pulumi secret; when absent the provider host's PGPASSWORD is used, as the Postgres provider does. */
  readonly password?: pulumi.Input<string>;
}

export interface SqlMigrationArgs {
  /** A name unique within the stack, e.g. `acme-lock-timeouts`. */
  readonly migration: string;
  /** The database the SQL runs in. */
  readonly database: pulumi.Input<string>;
  /** Idempotent SQL (CREATE ... IF NOT EXISTS, CREATE OR REPLACE, ALTER ROLE ... SET). */
  readonly sql: string;
  readonly connection: MigrationConnection;
  /**
   * The SQL needs rights only a superuser has (event triggers): on RDS the provider login must
   * hold `rds_superuser`. The local apply runs such migrations as the embedded superuser.
   */
  readonly elevated?: boolean;
  /**
   * A query listing, one row each, what differs in the database from what `sql` installs (the
   * audit ledger's coverage: components/audit-drift-sql.ts). When set, every diff runs it, so a
   * `pulumi preview` shows an update and a `pulumi up` re-applies the SQL whenever it lists
   * anything, even with the SQL unchanged; after applying, it must list nothing or the apply
   * fails. Without it the SQL runs only when it changes.
   */
  readonly drift?: string;
}

/** The version of a migration: the SHA-256 of its SQL text. */
export function checksumOf(sql: string): string {
  return createHash("sha256").update(sql).digest("hex");
}

/** Marks the dynamic resources the local apply translates (other dynamic resources have no SQL). */
export const SQL_MIGRATION_KIND = "tenantry:SqlMigration";

interface MigrationInputs {
  readonly migration: string;
  readonly database: string;
  readonly sql: string;
  readonly drift?: string;
  readonly connection: Omit<MigrationConnection, "password"> & { readonly password?: string };
}

/**
 * The `ssl` options of the migration's connection: the files lib/pq would use on this machine
 * (migration-tls.ts decides which, and what is verified), read here. `tenantry prove
 * --server-url` connects with the same options (remote/tls.ts).
 */
export function sslOptionsOf(connection: ProviderTls): Record<string, unknown> {
  // Required here, not at the top: this function is serialized and runs in the provider host.
  const fs = require("fs") as typeof import("fs");
  const os = require("os") as typeof import("os");
  // lib/pq's pqutil.Home(true): %APPDATA%/postgresql on Windows, ~/.postgresql elsewhere.
  const windows = process.platform === "win32";
  const home = windows ? process.env["APPDATA"] ?? "" : os.homedir();
  const pgHome = home === "" ? undefined : `${home}/${windows ? "postgresql" : ".postgresql"}`;
  const plan = planTls(connection, { env: process.env, pgHome, exists: (path) => fs.existsSync(path) });
  const onThisMachine = <T>(file: TlsFile, use: (path: string) => T): T => {
    try {
      return use(file.path);
    } catch (error) {
      throw new Error(`${file.from} ${file.path} cannot be read on this machine (${(error as NodeJS.ErrnoException).code ?? String(error)}): the provider's driver needs it there too`);
    }
  };
  const read = (file: TlsFile) => onThisMachine(file, (path) => fs.readFileSync(path, "utf8"));
  const { clientcert } = plan;
  // lib/pq checks the key's permissions except on Windows (internal/pqutil/perm_unsupported.go).
  if (clientcert !== undefined && !windows) {
    const stat = onThisMachine(clientcert.key, (path) => fs.statSync(path));
    const problem = keyFileProblem(clientcert.key, stat.mode, stat.uid);
    if (problem !== undefined) throw new Error(problem);
  }
  return pgSslOptions(plan, {
    ...(plan.roots === "default roots" ? {} : { ca: read(plan.roots) }),
    ...(clientcert === undefined ? {} : { cert: read(clientcert.cert), key: read(clientcert.key) }),
  });
}

/** Connects as the migration does, runs `use`, and disconnects. */
async function withClient<T>(inputs: MigrationInputs, use: (client: import("pg").Client) => Promise<T>): Promise<T> {
  // Required here, not at the top: this function is serialized and runs in the provider host.
  const { Client } = require("pg") as typeof import("pg");
  const { host, port, user, password } = inputs.connection;
  const client = new Client({
    host, port, user, database: inputs.database,
    ...(password === undefined ? {} : { password }),
    ssl: sslOptionsOf(inputs.connection),
  });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** What the migration's drift query lists now: empty when it has none. */
async function driftOf(inputs: MigrationInputs): Promise<string[]> {
  const query = inputs.drift;
  if (query === undefined) return [];
  return withClient(inputs, async (client) => (await client.query(query)).rows.map((row: Record<string, unknown>) => String(Object.values(row)[0])));
}

/** Runs the SQL in one transaction, then requires the drift query to list nothing: an apply that did not restore coverage fails. */
async function applyMigration(inputs: MigrationInputs): Promise<void> {
  await withClient(inputs, async (client) => {
    try {
      await client.query("BEGIN");
      await client.query(inputs.sql);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  });
  const left = await driftOf(inputs);
  if (left.length > 0) throw new Error(`${inputs.migration} applied, yet its drift query still lists: ${left.join("; ")}`);
}

const sqlMigrationProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id, olds, news) {
    const replaces = olds["database"] === news["database"] ? [] : ["database"];
    if (olds["checksum"] !== news["checksum"] || replaces.length > 0) return { changes: true, replaces };
    // Unchanged SQL: an update only when the database drifted from it. In a preview an input
    // may still be unknown, which the engine sends as this marker (@pulumi/pulumi runtime/rpc
    // unknownValue; the provider host cannot require that module): nothing to read yet.
    const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    if (typeof news["drift"] !== "string" || JSON.stringify(news).includes(unknownValue)) return { changes: false, replaces };
    try {
      return { changes: (await driftOf(news as MigrationInputs)).length > 0, replaces };
    } catch {
      // Coverage that cannot be read cannot be vouched for: the update re-applies the SQL, and
      // fails there, with the server's own error, if the database is still out of reach.
      return { changes: true, replaces };
    }
  },
  async create(inputs) {
    await applyMigration(inputs as MigrationInputs);
    return { id: `${String(inputs["database"])}/${String(inputs["migration"])}`, outs: inputs };
  },
  async update(_id, _olds, news) {
    await applyMigration(news as MigrationInputs);
    return { outs: news };
  },
  async delete() {
    // Never undone implicitly: the audit ledger and role settings outlive the resource.
  },
};

/**
 * The text Pulumi stores as every SqlMigration's `__provider`: the SDK serializes `() => provider`
 * for the provider object a dynamic resource is given (@pulumi/pulumi dynamic/index.js). The pack
 * compares a dynamic resource's provider code against it, so a migration runs this code only.
 */
export function sqlMigrationProviderCode(): Promise<string> {
  const provider = sqlMigrationProvider;
  return pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true }).then((serialized) => serialized.text);
}

export class SqlMigration extends pulumi.dynamic.Resource {
  /** The SHA-256 of the SQL last applied. */
  public readonly checksum!: pulumi.Output<string>;

  constructor(name: string, args: SqlMigrationArgs, opts?: pulumi.CustomResourceOptions) {
    const { connection, ...rest } = args;
    super(sqlMigrationProvider, name, {
      kind: SQL_MIGRATION_KIND,
      ...rest,
      elevated: args.elevated ?? false,
      checksum: checksumOf(args.sql),
      connection: { ...connection, ...(connection.password === undefined ? {} : { password: pulumi.secret(connection.password) }) },
    }, opts);
  }
}
