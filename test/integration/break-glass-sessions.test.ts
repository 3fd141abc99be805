import { readFileSync } from "node:fs";
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENFORCER_COMMAND, ENFORCER_DATABASE } from "../../components/enforcer-sql";
import { attempt, connectAs, type Credentials } from "../../local/attempt";
import type { ServerInfo } from "../../local/server";
import { SQLSTATE } from "../../local/sqlstate";
import { readState } from "../../local/state";
import { upLocal, type LocalStack } from "../../local/up";
import { localStack, writeStackFile } from "../helpers/local";

/*
 * Break-glass sessions end with their grant (review findings 1 and 2), on the embedded server.
 * Postgres checks a password and VALID UNTIL only at login; the adversary is the previous
 * grantee who logged in before the grant changed or was switched off and keeps the session open.
 * Each apply gives the grant a new password, and the enforcer ends every session opened before
 * the grant now in force.
 */

const ORG = "bgsess";
const DATABASE = `tn_${ORG}`;
const ROLE = `tn_${ORG}_breakglass`;
const expiresAt = new Date(Date.now() + 3 * 3_600_000).toISOString();

function stackWith(breakGlass: Record<string, unknown>): LocalStack {
  return localStack(writeStackFile({
    slug: ORG, tier: "production", environments: ["dev", "prod"], workspaces: [{ slug: "web" }], claimedDomains: [`${ORG}.example`], breakGlass,
  }), ORG);
}
const grantTo = (grantee: string) => stackWith({ enabled: true, grantee, reason: "restore billing after incident 42", expiresAt, environment: "prod", access: "read" });

let server: ServerInfo;
const superuser = () => ({ user: server.user, password: server.password });
const runEnforcer = () => attempt(server, superuser(), ENFORCER_DATABASE, [ENFORCER_COMMAND]);
const open: Client[] = [];

function credentialsOf(stack: LocalStack): Credentials {
  const resource = readState(stack.paths).stacks[`org-${ORG}`]?.resources.find((r) => r.inputs["name"] === ROLE && typeof r.inputs["password"] === "string");
  if (resource === undefined) throw new Error(`no stored password for ${ROLE}`);
  return { user: ROLE, password: resource.inputs["password"] as string };
}

/** A session of the login, open until the test ends it or the server does; retried while the one connection slot frees. */
async function openSession(who: Credentials): Promise<Client> {
  for (let tries = 0; ; tries += 1) {
    const client = connectAs(server, who, DATABASE);
    client.on("error", () => undefined);
    try {
      await client.connect();
      open.push(client);
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      if ((error as { code?: string }).code !== SQLSTATE.tooManyConnections || tries > 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** What the session's next statement gets: undefined if it ran, else its SQLSTATE (or that the connection ended). */
async function nextStatement(session: Client): Promise<string | undefined> {
  try {
    await session.query("SELECT 1");
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code ?? "connection-ended";
  }
}
const ENDED = [SQLSTATE.adminShutdown, "connection-ended"];

beforeAll(async () => {
  const first = grantTo(`oncall@${ORG}.example`);
  await upLocal(first);
  server = JSON.parse(readFileSync(first.paths.serverFile, "utf8")) as ServerInfo;
}, 300_000);
afterAll(async () => {
  await Promise.all(open.map((client) => client.end().catch(() => undefined)));
});

describe("a break-glass session open when VALID UNTIL passes", () => {
  const expireAndEnforce = (extra: readonly string[] = []) => attempt(server, superuser(), ENFORCER_DATABASE,
    [...extra, `ALTER ROLE ${ROLE} VALID UNTIL '${new Date(Date.now() - 60_000).toISOString()}'`, ENFORCER_COMMAND]);
  const restore = () => attempt(server, superuser(), ENFORCER_DATABASE, [`ALTER ROLE ${ROLE} VALID UNTIL '${expiresAt}'`]);

  it("is ended by the enforcer's next run", async () => {
    const session = await openSession(credentialsOf(grantTo(`oncall@${ORG}.example`)));
    expect(await nextStatement(session)).toBeUndefined();
    try {
      expect((await expireAndEnforce()).code).toBeUndefined();
      expect(ENDED).toContain(await nextStatement(session));
    } finally {
      await restore();
    }
  });

  it("runs on past it without the enforcer's record of the org's grant (control: the row the rule judges by, deleted)", async () => {
    const session = await openSession(credentialsOf(grantTo(`oncall@${ORG}.example`)));
    try {
      const outcome = await expireAndEnforce([`DELETE FROM guardrails.break__glass WHERE org = '${ORG}'`]);
      expect(outcome.code, outcome.message).toBeUndefined();
      expect(await nextStatement(session)).toBeUndefined();
    } finally {
      await session.end();
      await restore();
      // The next apply writes the row again (the guardrails migration's drift query finds it missing).
      await upLocal(grantTo(`oncall@${ORG}.example`));
    }
    expect((await attempt(server, superuser(), ENFORCER_DATABASE, [`SELECT count(*)::int AS n FROM guardrails.break__glass WHERE org = '${ORG}'`])).rows).toEqual([{ n: 1 }]);
  }, 300_000);
});

describe("a break-glass grant handed to someone else", () => {
  let before: Credentials;
  let after: Credentials;
  let previousSession: Client;
  beforeAll(async () => {
    before = credentialsOf(grantTo(`oncall@${ORG}.example`));
    previousSession = await openSession(before);
    expect(await nextStatement(previousSession)).toBeUndefined();
    const next = grantTo(`sre@${ORG}.example`);
    await upLocal(next);
    after = credentialsOf(next);
  }, 300_000);

  it("has a new password: the previous grantee's is refused (28P01)", async () => {
    expect(after.password).not.toBe(before.password);
    expect((await attempt(server, before, DATABASE, ["SELECT 1"])).code).toBe(SQLSTATE.invalidPassword);
  });

  it("ends the session the previous grantee opened before the change, once the enforcer runs", async () => {
    expect((await runEnforcer()).code).toBeUndefined();
    expect(ENDED).toContain(await nextStatement(previousSession));
  });

  it("leaves a session of the new grant running through the enforcer, and ends it once the recorded grant is newer than the session (control: the rule is the comparison)", async () => {
    const current = await openSession(after);
    expect((await runEnforcer()).code).toBeUndefined();
    expect(await nextStatement(current)).toBeUndefined();
    const moved = await attempt(server, superuser(), ENFORCER_DATABASE, [`UPDATE guardrails.break__glass SET granted_at = clock_timestamp() WHERE role = '${ROLE}'`, ENFORCER_COMMAND]);
    expect(moved.code, moved.message).toBeUndefined();
    expect(ENDED).toContain(await nextStatement(current));
  });
});

describe("a break-glass grant switched off", () => {
  it("ends a session opened while it was on, once the enforcer runs", async () => {
    const stack = grantTo(`sre@${ORG}.example`);
    await upLocal(stack);
    const session = await openSession(credentialsOf(stack));
    expect(await nextStatement(session)).toBeUndefined();
    await upLocal(stackWith({ enabled: false }));
    expect((await runEnforcer()).code).toBeUndefined();
    expect(ENDED).toContain(await nextStatement(session));
  }, 300_000);
});
