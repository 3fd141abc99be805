import { Client } from "pg";
import { TYPE } from "../../local/provider-sql";
import type { ServerInfo } from "../../local/server";
import { readState } from "../../local/state";
import type { LocalStack } from "../../local/up";

/** A client (not yet connected) for one of a locally applied org's login roles, with the password its state holds. */
export function orgLogin(stack: LocalStack, server: ServerInfo, database: string, role: string): Client {
  const password = readState(stack.paths).stacks[`org-${stack.tenant.spec.slug}`]?.resources
    .find((r) => r.type === TYPE.role && r.inputs["name"] === role)?.inputs["password"];
  if (typeof password !== "string") throw new Error(`no stored password for ${role}`);
  return superuserClient(server, database, { user: role, password });
}

/** A client (not yet connected) for the server's superuser, or the given login, whose connection errors do not crash the run. */
export function superuserClient(server: ServerInfo, database: string, login = { user: server.user, password: server.password }): Client {
  const client = new Client({ host: server.host, port: server.port, ...login, database });
  client.on("error", () => undefined);
  return client;
}
