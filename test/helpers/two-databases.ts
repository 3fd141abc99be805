import { Client } from "pg";
import type { Connection } from "../../local/sql-runner";
import { adminClient, type ServerInfo } from "../../local/server";
import { quoteIdent } from "../../spec/naming";

/*
 * Two databases of the one embedded test server standing in for a move's source and target
 * clusters (until the two-server local setup lands), each made fresh with the same shape. They
 * are reached as the embedded superuser, or, given a login, owned by it and reached as it (the
 * provider login: no superuser, as on RDS).
 */
export class TwoDatabases {
  source!: Client;
  target!: Client;
  private admin?: Client;

  constructor(
    private readonly server: ServerInfo,
    private readonly names: { readonly source: string; readonly target: string },
    private readonly shape: string,
    private readonly login?: Connection,
  ) {}

  /** Drops and creates both databases, runs the shape in each, and connects to them. */
  async reset(): Promise<void> {
    await this.endClients();
    if (this.admin === undefined) {
      this.admin = adminClient(this.server);
      await this.admin.connect();
    }
    for (const db of [this.names.source, this.names.target]) {
      await this.admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(db)} WITH (FORCE)`);
      await this.admin.query(`CREATE DATABASE ${quoteIdent(db)}`);
      if (this.login !== undefined) await this.admin.query(`ALTER DATABASE ${quoteIdent(db)} OWNER TO ${quoteIdent(this.login.user)}`);
    }
    const connect = (database: string) => (this.login === undefined ? adminClient(this.server, database) : new Client({ ...this.login, database }));
    this.source = connect(this.names.source);
    this.target = connect(this.names.target);
    await Promise.all([this.source.connect(), this.target.connect()]);
    await this.source.query(this.shape);
    await this.target.query(this.shape);
  }

  /** Drops both databases and closes every connection. */
  async drop(): Promise<void> {
    await this.endClients();
    for (const db of [this.names.source, this.names.target]) await this.admin?.query(`DROP DATABASE IF EXISTS ${quoteIdent(db)} WITH (FORCE)`);
    await this.admin?.end();
    this.admin = undefined;
  }

  private async endClients(): Promise<void> {
    await Promise.all([this.source?.end(), this.target?.end()]);
  }
}
