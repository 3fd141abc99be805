import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

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

/** How the dynamic provider reaches Postgres: the stack's `postgresql:*` settings. */
export interface MigrationConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly sslmode: "require" | "verify-ca" | "verify-full";
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
}

/** The version of a migration: the SHA-256 of its SQL text. */
export function checksumOf(sql: string): string {
  return createHash("sha256").update(sql).digest("hex");
}

/** Marks the dynamic resources the local apply translates (other dynamic resources have no SQL). */
export const SQL_MIGRATION_KIND = "tenantry:SqlMigration";

interface MigrationInputs {
  readonly database: string;
  readonly sql: string;
  readonly connection: Omit<MigrationConnection, "password"> & { readonly password?: string };
}

async function applyMigration(inputs: MigrationInputs): Promise<void> {
  // Required here, not at the top: this function is serialized and runs in the provider host.
  const { Client } = require("pg") as typeof import("pg");
  const { host, port, user, password, sslmode } = inputs.connection;
  const client = new Client({
    host, port, user, database: inputs.database,
    ...(password === undefined ? {} : { password }),
    // `require` encrypts without verifying, as libpq does; the verify modes check the certificate.
    ssl: sslmode === "require" ? { rejectUnauthorized: false } : true,
  });
  await client.connect();
  try {
    await client.query("BEGIN");
    await client.query(inputs.sql);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

const sqlMigrationProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id, olds, news) {
    const replaces = olds["database"] === news["database"] ? [] : ["database"];
    return { changes: olds["checksum"] !== news["checksum"] || replaces.length > 0, replaces };
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
