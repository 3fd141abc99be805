import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_INTERRUPTED, EXIT_OK } from "../../cli/exit-codes";
import { attempt } from "../../local/attempt";
import { CLI_TEST_TIMEOUT_MS, CliProject, waitFor } from "../helpers/cli-project";

/*
 * What `up` says about the state it leaves must be true. "The next run resumes from here" only
 * when the state marks a change pending; "every login role authenticates" only when each has logged in
 * with its stored password. To interrupt an apply mid-change, the test holds the advisory locks
 * the provider's Role update takes (pgLockRole), so the update waits until the test lets it go.
 */

const ROLES = ["tn_resco_dev_runtime", "tn_resco_dev_ddl"];
const org = (statementTimeoutMs: number) => ({
  slug: "resco", tier: "sandbox", environments: ["dev"], workspaces: [{ slug: "web" }],
  claimedDomains: ["resco.example"], quotas: { statementTimeoutMs, lockTimeoutMs: 1000, idleInTransactionTimeoutMs: 1000 },
});

const cli = new CliProject([org(2000)]);
beforeAll(() => expect(cli.run("up", "--local", "org-resco").code).toBe(EXIT_OK));
afterAll(() => cli.remove());

const pending = () => Object.values(cli.state().stacks).flatMap((s) => s.pending ?? []);

/** Holds the advisory locks of both login roles in a session of the test's own, until `release`. */
async function holdRoleLocks(): Promise<{ release: () => Promise<void> }> {
  const server = cli.server();
  const client = new Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: "postgres" });
  await client.connect();
  await client.query("SELECT pg_advisory_lock(oid::bigint) FROM pg_roles WHERE rolname = ANY ($1)", [ROLES]);
  return { release: () => client.end() };
}

/** Starts an `up` that changes both login roles and waits until the first is in flight, held by the test. */
async function upStuckInARoleUpdate(statementTimeoutMs: number) {
  const locks = await holdRoleLocks();
  cli.writeStack(org(statementTimeoutMs));
  const running = cli.start("up", "--local", "org-resco");
  await waitFor("a role update in flight", () => pending().some((p) => p.urn.includes("postgresql:index/role:Role")));
  return { running, locks };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("an interrupted up", { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it("on SIGINT finishes the change in flight, stops before the next, and does not claim a resume", async () => {
    const { running, locks } = await upStuckInARoleUpdate(2500);
    running.child.kill("SIGINT");
    await settle(300); // the signal is handled while the update waits
    await locks.release();
    const { code, stderr } = await running.finished;
    expect(code).toBe(EXIT_INTERRUPTED);
    expect(stderr).toBe("interrupted by SIGINT, stopped at a safe point; no change is half-applied; lock released\n");
    expect(pending()).toEqual([]);
    // The other role's update was never started: the next run applies it, and the lock-timeouts
    // and guardrails migrations (the role's timeouts and the enforcer's limits, which follow the
    // statement timeout) after it.
    const next = cli.run("up", "--local", "org-resco");
    expect(next.out).toMatch(/org-resco: 3 updated as tenantry/);
    expect(cli.run("up", "--local", "org-resco").out).toMatch(/org-resco: nothing to apply against the recorded local state/);
  });

  it("on a second SIGINT stops at once, leaves the change in flight pending, says the next run resumes, and it does", async () => {
    const { running, locks } = await upStuckInARoleUpdate(3000);
    running.child.kill("SIGINT");
    await settle(100);
    running.child.kill("SIGINT");
    const { code, stderr } = await running.finished;
    await locks.release();
    expect(code).toBe(EXIT_INTERRUPTED);
    expect(stderr).toBe("interrupted by SIGINT, stopped at once; the state marks a change pending: the next run resumes from here; lock released\n");
    expect(pending()).toHaveLength(1);
    const next = cli.run("up", "--local", "org-resco");
    expect(next.code, next.out).toBe(EXIT_OK);
    // The pending role, the other, and the lock-timeouts and guardrails migrations.
    expect(next.out).toMatch(/org-resco: 4 updated as tenantry/);
    expect(pending()).toEqual([]);
    expect(cli.run("up", "--local", "org-resco").out).toMatch(/org-resco: nothing to apply against the recorded local state/);
  });
});

describe("a login whose password was changed behind the engine's back", { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it("is repaired by the next up, which names it and does not say every login authenticates", async () => {
    const role = "tn_resco_dev_runtime";
    const stored = cli.state().stacks["org-resco"]?.resources.find((r) => r.inputs["name"] === role)?.inputs["password"];
    expect(typeof stored).toBe("string");
    const login = () => attempt(cli.server(), { user: role, password: String(stored) }, "tn_resco", ["SELECT 1"]);
    await cli.asSuperuser("postgres", [`ALTER ROLE ${role} PASSWORD 'changed-behind-its-back'`]);
    expect((await login()).code).toBe("28P01");
    const repaired = cli.run("up", "--local", "org-resco");
    expect(repaired.code).toBe(EXIT_OK);
    expect(repaired.stdout).toMatch(/^org-resco: nothing to apply against the recorded local state; audit coverage as declared; repaired 1 login role\(s\) whose stored password the server refused \(28P01\): tn_resco_dev_runtime \(/m);
    expect(repaired.stdout).not.toContain("every login role authenticates");
    expect(repaired.stdout).toMatch(/claims: \d+ hold, 0 broken/);
    expect((await login()).code).toBeUndefined();
    expect(cli.run("up", "--local", "org-resco").stdout).toMatch(/org-resco: nothing to apply against the recorded local state; audit coverage as declared; every login role authenticates with its stored password/);
  });
});
