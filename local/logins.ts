import { attempt } from "./attempt";
import { restoreRoleSettings } from "./role-settings";
import { TYPE, translationFor, type ProviderContext } from "./provider-sql";
import type { ServerInfo } from "./server";
import { Connections, type Connection, runSteps } from "./sql-runner";
import type { AppliedResource } from "./state";
import { SQLSTATE } from "./sqlstate";

/*
 * A login role's stored password can fall out of step with the server without any input
 * changing: someone ran ALTER ROLE ... PASSWORD, or (before the lock) two applies raced. The
 * change plan cannot see that, so after every apply each login role is made to log in with the
 * password the state holds. One that is refused (28P01) is repaired by the provider's own Role
 * update, with the password as the changed input, and then made to log in again. The same
 * pass then puts back every login role's settings (role-settings.ts), which a role can also
 * change on itself.
 */

export interface StoredLogin {
  readonly role: string;
  readonly password: string;
  readonly resource: AppliedResource;
}

/**
 * The login roles whose stored password must authenticate now: LOGIN, a non-empty password, and
 * no VALID UNTIL in the past (an expired break-glass login is meant to be refused).
 */
export function loginsToCheck(resources: readonly AppliedResource[], now: Date): StoredLogin[] {
  return resources.flatMap((resource) => {
    const { name, password, login, validUntil } = resource.inputs;
    if (resource.type !== TYPE.role || login !== true || typeof name !== "string" || typeof password !== "string" || password === "") return [];
    if (typeof validUntil === "string" && validUntil !== "" && validUntil.toLowerCase() !== "infinity" && !(Date.parse(validUntil) > now.getTime())) return [];
    return [{ role: name, password, resource }];
  });
}

/**
 * SQLSTATEs the server sends only after the password was accepted: the role then lacks CONNECT on
 * the database, has reached its connection limit, or the database is gone. An allowlist: any
 * other refusal is not taken as proof of authentication.
 */
const AFTER_AUTHENTICATION: ReadonlySet<string> = new Set([SQLSTATE.insufficientPrivilege, SQLSTATE.tooManyConnections, SQLSTATE.noSuchDatabase]);
const PASSWORD_REJECTED = SQLSTATE.invalidPassword;

export type LoginVerdict = "authenticates" | "password rejected" | "unknown";

/** What a connection attempt's outcome (undefined: it succeeded) says about the password. */
export function judgeLogin(code: string | undefined): LoginVerdict {
  if (code === undefined || AFTER_AUTHENTICATION.has(code)) return "authenticates";
  return code === PASSWORD_REJECTED ? "password rejected" : "unknown";
}

/** A login that could be neither shown to authenticate nor repaired. */
export class LoginCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LoginCheckError";
  }
}

async function tryLogin(server: ServerInfo, login: StoredLogin, database: string): Promise<{ code: string | undefined; message: string }> {
  const { code, message } = await attempt(server, { user: login.role, password: login.password }, database, []);
  return { code, message: message ?? "" };
}

async function verdictOf(server: ServerInfo, login: StoredLogin, database: string): Promise<LoginVerdict> {
  const { code, message } = await tryLogin(server, login, database);
  const verdict = judgeLogin(code);
  if (verdict === "unknown") throw new LoginCheckError(`cannot show that ${login.role} logs in with its stored password: ${code ?? ""} ${message}`);
  return verdict;
}

export interface RepairRequest {
  readonly server: ServerInfo;
  /** The provider's login, which carries out the repair as it would carry out any Role update. */
  readonly admin: Connection;
  readonly superuser: Connection;
  readonly resources: readonly AppliedResource[];
  readonly now?: Date;
}

export interface LoginRepair {
  /** Login roles whose stored password the server refused, and that log in with it again. */
  readonly passwords: readonly string[];
  /** Login roles whose settings or connection limit were not the declared ones, and are again. */
  readonly settings: readonly string[];
}

/** Makes each stored login log in, repairing those refused, then restores every login role's settings. */
export async function repairLogins(request: RepairRequest): Promise<LoginRepair> {
  const passwords = await repairPasswords(request);
  const settings = await restoreRoleSettings(request.admin, request.superuser, request.resources);
  return { passwords, settings };
}

async function repairPasswords(request: RepairRequest): Promise<string[]> {
  const { server, admin } = request;
  // Side by side: each is its own connection and SCRAM exchange, and no verdict depends on another's.
  const logins = loginsToCheck(request.resources, request.now ?? new Date());
  const verdicts = await Promise.all(logins.map((login) => verdictOf(server, login, admin.database)));
  const refused = logins.filter((_, at) => verdicts[at] === "password rejected");
  if (refused.length === 0) return [];
  const connections = new Connections(admin, request.superuser);
  const provider: ProviderContext = { adminUser: admin.user };
  try {
    for (const login of refused) {
      const { inputs } = login.resource;
      // What the provider runs when Pulumi finds the password changed: an update from an unknown one.
      const steps = translationFor(TYPE.role).update({ ...inputs, password: null }, inputs, provider);
      await runSteps(steps, connections, `repair ${login.resource.name}`);
      if ((await verdictOf(server, login, admin.database)) !== "authenticates") {
        throw new LoginCheckError(`${login.role} still refuses its stored password after the repair`);
      }
    }
  } finally {
    await connections.end();
  }
  return refused.map((login) => login.role);
}
