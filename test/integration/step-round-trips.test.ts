import { readFileSync } from "node:fs";
import fc from "fast-check";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { withMembership } from "../../local/membership";
import { localPaths } from "../../local/paths";
import type { RoleSource, SqlStep } from "../../local/provider-sql/sql";
import type { ServerInfo } from "../../local/server";
import { runInFewRoundTrips } from "../../local/step-round-trips";

/*
 * The batched runner (local/step-round-trips.ts) against the provider's one-question-at-a-time
 * protocol (local/membership.ts), on the test run's real server, from generated starting points:
 * which memberships the login and the roles hold each way, which role is a superuser, which
 * sources the step names (repeats included), and the membership style. Both must see the same
 * memberships while the step's statements run, and leave the same ones behind.
 */

const server = JSON.parse(readFileSync(localPaths(inject("localDir")).serverFile, "utf8")) as ServerInfo;
const LOGIN = "tn_rtrip_login";
const ROLES = ["tn_rtrip_a", "tn_rtrip_b", "tn_rtrip_c"] as const;
const SUPER = "tn_rtrip_super";
/** Not created by the login (no ADMIN on it), so it can be a member of the login without a cycle. */
const OTHER = "tn_rtrip_other";
const SCHEMA = "tn_rtrip_schema";
const connection = { host: server.host, port: server.port, database: "postgres" };

let superuser: Client;
let login: Client;

const dropAll = `DO $drop$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${LOGIN}') THEN REVOKE ALL ON DATABASE postgres FROM ${LOGIN}; END IF;
END $drop$; DROP SCHEMA IF EXISTS ${SCHEMA}; DROP ROLE IF EXISTS ${[...ROLES, SUPER, OTHER, LOGIN].join(", ")}`;

beforeAll(async () => {
  superuser = new Client({ ...connection, user: server.user, password: server.password });
  await superuser.connect();
  await superuser.query(dropAll);
  await superuser.query(`CREATE ROLE ${LOGIN} LOGIN CREATEROLE PASSWORD 'rtrip'; CREATE ROLE ${SUPER} SUPERUSER NOLOGIN; CREATE ROLE ${OTHER} NOLOGIN; GRANT CONNECT, TEMPORARY ON DATABASE postgres TO ${LOGIN}`);
  login = new Client({ ...connection, user: LOGIN, password: "rtrip" });
  await login.connect();
  // Created by the login, as the provider's login creates the org's roles: it holds ADMIN on them.
  await login.query(ROLES.map((r) => `CREATE ROLE ${r} NOLOGIN`).join("; "));
  await superuser.query(`CREATE SCHEMA ${SCHEMA} AUTHORIZATION ${ROLES[1]}`);
  await login.query("CREATE TEMP TABLE seen (snapshot text)");
});

afterAll(async () => {
  await login?.end();
  await superuser?.query(dropAll);
  await superuser?.end();
});

const NAMES = `ARRAY[${[LOGIN, ...ROLES, SUPER, OTHER].map((n) => `'${n}'`).join(", ")}]`;
/** Every membership between the login and the test's roles, each way, with its SET option. */
// Sorted by the membership's text ("ORDER BY 1" in an aggregate orders by the constant 1, which
// left the catalog's physical order in the string: two runs that made the same memberships in
// another order compared unequal, as a CI run found).
const MEMBERSHIPS = `SELECT coalesce(string_agg(m, ' ' ORDER BY m COLLATE "C"), '') AS memberships
FROM (SELECT pg_get_userbyid(roleid) || '>' || pg_get_userbyid(member) || ':' || set_option AS m
  FROM pg_auth_members WHERE pg_get_userbyid(roleid) = ANY (${NAMES}) AND pg_get_userbyid(member) = ANY (${NAMES})) AS listed`;
const RECORD = `INSERT INTO seen ${MEMBERSHIPS}`;
const memberships = async () => String((await superuser.query(MEMBERSHIPS)).rows[0]?.["memberships"]);

interface Start {
  /** Role -> login memberships (the login borrows these). */
  readonly loginIn: readonly string[];
  /** Login -> role memberships (the reverse the provider revokes first); only roles the login did not create, or it would be a cycle. */
  readonly inLogin: readonly string[];
}

/**
 * Puts the memberships at `start`. The login's own grants are made and revoked by the login, so
 * the ADMIN row Postgres gave it when it created the roles (granted by the bootstrap superuser)
 * stays, as it stays for the provider's login; the rest by the superuser.
 */
async function reset(start: Start): Promise<void> {
  for (const role of ROLES) await login.query(`REVOKE ${role} FROM ${LOGIN}`);
  await superuser.query(`REVOKE ${SUPER}, ${OTHER} FROM ${LOGIN}`);
  for (const role of [SUPER, OTHER]) await superuser.query(`REVOKE ${LOGIN} FROM ${role}`);
  for (const role of start.loginIn) await ((ROLES as readonly string[]).includes(role) ? login : superuser).query(`GRANT ${role} TO ${LOGIN}`);
  // Postgres refuses a cycle: a role the login is in cannot also be in the login.
  for (const role of start.inLogin.filter((r) => !start.loginIn.includes(r))) await superuser.query(`GRANT ${LOGIN} TO ${role}`);
  await login.query("TRUNCATE seen");
}

async function outcome(run: () => Promise<void>): Promise<{ failed: boolean; during: string[]; after: string }> {
  let failed = false;
  try {
    await run();
  } catch {
    failed = true;
    await login.query("ROLLBACK").catch(() => undefined);
  }
  const during = (await login.query("SELECT snapshot FROM seen")).rows.map((r) => String(r["snapshot"]));
  return { failed, during, after: await memberships() };
}

const source: fc.Arbitrary<RoleSource> = fc.oneof(
  fc.constantFrom(...ROLES, SUPER, OTHER, LOGIN).map((role) => ({ role })),
  fc.constant({ ownerOfSchema: SCHEMA }),
  fc.constant({ ownerOfCurrentDatabase: true as const }),
  fc.constant({ ownersOfTablesIn: SCHEMA }),
);

describe("a step run in few round trips", () => {
  it("borrows and gives back the same memberships as the provider's one-question-at-a-time protocol, from any starting point", async () => {
    await fc.assert(fc.asyncProperty(
      fc.subarray([...ROLES, SUPER, OTHER]), fc.subarray([SUPER, OTHER]), fc.array(source, { minLength: 1, maxLength: 4 }), fc.constantFrom("withRolesGranted", "grantRoleMembership" as const),
      async (loginIn, inLogin, roles, style) => {
        const step: SqlStep = { database: undefined, transaction: true, statements: [RECORD], membership: { roles, style: style as "withRolesGranted" | "grantRoleMembership" } };
        await reset({ loginIn, inLogin });
        const provider = await outcome(async () => {
          await login.query("BEGIN");
          await withMembership(login, step.membership, async () => {
            await login.query(RECORD);
          });
          await login.query("COMMIT");
        });
        await reset({ loginIn, inLogin });
        const batched = await outcome(() => runInFewRoundTrips(login, step));
        expect(batched).toEqual(provider);
      },
    ), { numRuns: 40 });
  });

  it("takes the branch the server's answer picks, after the memberships it borrows", async () => {
    await reset({ loginIn: [], inLogin: [] });
    const step = (schema: string): SqlStep => ({
      database: undefined, transaction: true, statements: [],
      branch: { exists: "SELECT 1 FROM pg_namespace WHERE nspname = $1", params: [schema], whenPresent: ["INSERT INTO seen VALUES ('present')"], whenAbsent: ["INSERT INTO seen VALUES ('absent')"] },
    });
    await runInFewRoundTrips(login, step(SCHEMA));
    await runInFewRoundTrips(login, step("tn_rtrip_no_such_schema"));
    expect((await login.query("SELECT snapshot FROM seen")).rows.map((r) => r["snapshot"])).toEqual(["present", "absent"]);
  });

  it("leaves nothing of a step whose statement fails: the COMMIT behind it never runs", async () => {
    await reset({ loginIn: [], inLogin: [] });
    const before = await memberships();
    const step: SqlStep = { database: undefined, transaction: true, statements: ["INSERT INTO seen VALUES ('before')", "SELECT * FROM tn_rtrip_no_such_table", "INSERT INTO seen VALUES ('after')"], membership: { roles: [{ role: ROLES[0] }], style: "withRolesGranted" } };
    await expect(runInFewRoundTrips(login, step)).rejects.toThrow(/tn_rtrip_no_such_table/);
    await login.query("ROLLBACK");
    expect((await login.query("SELECT snapshot FROM seen")).rows).toEqual([]);
    // The membership it borrowed went with the rollback.
    expect(await memberships()).toBe(before);
  });
});
