import * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import tenantry from "../../index";
import { checksumOf } from "../../components/sql-migration";
import type { RegisteredResource } from "../../harness/recording-monitor";
import { runPolicies } from "../../harness/run-policies";
import { runProgram, type ProgramRun } from "../../harness/run-program";
import { TENANTRY_POLICIES } from "../../policies/all";
import { runOrg } from "../helpers/program";
import { stackConfigFor, validOrgInput } from "../helpers/spec-builder";
import { rulesRefusing, urnsRefusedBy, withInputs } from "../helpers/verdicts";

/*
 * An attacker's pass on the grant allowlist (issue 12, item 6) added a SqlMigration running
 * `GRANT CREATE ON SCHEMA web_prod TO PUBLIC` to org acme's program: no rule read its SQL. The
 * pack now renders the org's migrations from the org's facts, as the program does, and refuses
 * every dynamic resource that is not exactly one of them.
 */

const RULE = "postgres-migrations-match-platform-sql";

let acme: ProgramRun;
beforeAll(async () => {
  acme = await runOrg(validOrgInput());
});

const programMigrations = () => acme.resources.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource");
const lockTimeouts = () => programMigrations().find((r) => r.inputs["migration"] === "acme-lock-timeouts")!;

/** A migration as the program registers one (the lock-timeouts migration's inputs, provider code included), renamed and changed. */
function migration(name: string, patch: Record<string, unknown>): RegisteredResource {
  const base = lockTimeouts();
  const sql = String(patch["sql"] ?? base.inputs["sql"]);
  return { ...base, urn: base.urn.replace(base.name, name), name, inputs: { ...base.inputs, checksum: checksumOf(sql), ...patch } };
}

const grantToPublic = () => migration("org-acme-db-public-create", { migration: "acme-public-create", database: "tn_acme", sql: "GRANT CREATE ON SCHEMA web_prod TO PUBLIC;" });

describe("the SqlMigration finding of the attacker's pass", () => {
  it("refuses a migration granting CREATE on web_prod to PUBLIC, by one rule, naming the migrations the platform declares", async () => {
    expect(await rulesRefusing(acme.resources, grantToPublic())).toEqual([RULE]);
    expect((await runPolicies([...acme.resources, grantToPublic()], TENANTRY_POLICIES.filter((p) => p.name === RULE))).map((v) => v.message)).toEqual([
      "org-acme-db-public-create is migration acme-public-create, which the platform does not declare for org acme (acme-lock-timeouts, acme-guardrails, acme-large-objects, acme-audit-ledger).",
    ]);
  });

  it("refuses the same SQL smuggled into the platform's own migration, naming it by checksum only", async () => {
    const smuggled = `${String(lockTimeouts().inputs["sql"])}\nGRANT CREATE ON SCHEMA web_prod TO PUBLIC;`;
    const changed = withInputs(lockTimeouts(), { sql: smuggled, checksum: checksumOf(smuggled) });
    const messages = (await runPolicies([...acme.resources.filter((r) => r.urn !== changed.urn), changed], TENANTRY_POLICIES.filter((p) => p.name === RULE))).map((v) => v.message);
    expect(messages).toEqual([
      `org-acme-db-lock-timeouts runs SQL (sha256 ${checksumOf(smuggled).slice(0, 12)}) that is not the SQL the platform renders for acme-lock-timeouts from the org's facts (sha256 ${checksumOf(String(lockTimeouts().inputs["sql"])).slice(0, 12)}).`,
    ]);
  });

  it("control: without the rule the rest of the pack accepts it, as the pass found", async () => {
    expect(await rulesRefusing(acme.resources, grantToPublic(), TENANTRY_POLICIES.filter((policy) => policy.name !== RULE))).toEqual([]);
  });
});

describe("the org's migrations", () => {
  it("pass the rule as the program declares them, for any valid org", async () => {
    expect(await urnsRefusedBy(RULE, acme.resources)).toEqual([]);
    const org = fc.record({
      slug: fc.stringMatching(/^[a-z][a-z0-9]{1,10}$/),
      environments: fc.uniqueArray(fc.constantFrom("dev", "test", "stage", "prod"), { minLength: 1, maxLength: 4 }),
      workspaces: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{1,8}$/), { minLength: 1, maxLength: 3 }),
      lockTimeoutMs: fc.integer({ min: 100, max: 4000 }),
    });
    await fc.assert(fc.asyncProperty(org, async ({ slug, environments, workspaces, lockTimeoutMs }) => {
      const input = { ...validOrgInput(), slug, environments, workspaces: workspaces.map((w) => ({ slug: w })), apps: [], secrets: [], claimedDomains: [],
        quotas: { ...(validOrgInput()["quotas"] as object), lockTimeoutMs } };
      const run = await runOrg(input, `org-${slug}`);
      expect(await urnsRefusedBy(RULE, run.resources)).toEqual([]);
    }), { numRuns: 8 });
  });

  it("are refused with any other SQL: a statement added anywhere, a character dropped, a value changed", async () => {
    const statement = fc.constantFrom("GRANT CREATE ON SCHEMA web_prod TO PUBLIC;", "ALTER ROLE tn_acme_prod_runtime SET statement_timeout TO 0;",
      "DROP EVENT TRIGGER IF EXISTS x;", "ALTER TABLE audit.events OWNER TO tn_acme_prod_ddl;", "SELECT 1;", " ", "\n");
    const edit = fc.oneof(
      fc.tuple(statement, fc.double({ min: 0, max: 1, noNaN: true })).map(([s, at]) => (sql: string) => { const i = Math.floor(at * sql.length); return sql.slice(0, i) + s + sql.slice(i); }),
      fc.double({ min: 0, max: 0.999, noNaN: true }).map((at) => (sql: string) => { const i = Math.floor(at * sql.length); return sql.slice(0, i) + sql.slice(i + 1); }),
      fc.constant((sql: string) => sql.replace(/TO \d+;/, "TO 0;")),
    );
    await fc.assert(fc.asyncProperty(fc.nat({ max: programMigrations().length - 1 }), edit, async (i, change) => {
      const original = programMigrations()[i]!;
      const sql = change(String(original.inputs["sql"]));
      fc.pre(sql !== original.inputs["sql"]);
      const changed = withInputs(original, { sql, checksum: checksumOf(sql) });
      expect(await urnsRefusedBy(RULE, acme.resources, changed)).toEqual([changed.urn]);
    }), { numRuns: 150 });
  });

  it("are refused under another name, in another database, elevated otherwise, connecting elsewhere or as another login, or with another input", async () => {
    const changes = fc.oneof(
      fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/).filter((m) => !["acme-lock-timeouts", "acme-guardrails", "acme-large-objects", "acme-audit-ledger"].includes(m)).map((name) => ({ migration: name })),
      fc.constantFrom("tn_acme", "tn_globex", "template1").map((database) => ({ database })),
      fc.constantFrom({ host: "evil.example" }, { user: "postgres" }, { port: 6432 }, { sslmode: "disable" }, { sslmode: "verify-full" }, { options: "-c role=postgres" })
        .map((patch) => ({ connection: { ...(lockTimeouts().inputs["connection"] as object), ...patch } })),
      fc.constantFrom({ elevated: true }, { checksum: "0".repeat(64) }, { kind: "tenantry:Other" }, { kind: undefined }, { note: "an input no SqlMigration has" }),
    );
    await fc.assert(fc.asyncProperty(changes, async (patch) => {
      const changed = withInputs(lockTimeouts(), patch);
      // Renamed, or no longer a SqlMigration: acme-lock-timeouts is then also missing from the stack.
      const leavesItMissing = "migration" in patch || "kind" in patch;
      expect(await urnsRefusedBy(RULE, acme.resources, changed)).toEqual(leavesItMissing ? ["the stack", changed.urn] : [changed.urn]);
    }), { numRuns: 150 });
  });

  it("are refused with a drift query other than the platform's, or none where it reads one: the query runs as the migration's login on every preview", async () => {
    const ledger = programMigrations().find((r) => r.inputs["migration"] === "acme-audit-ledger")!;
    const query = fc.constantFrom("SELECT 1 WHERE false", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity", `${String(ledger.inputs["drift"])} LIMIT 0`);
    await fc.assert(fc.asyncProperty(query, fc.boolean(), async (drift, onLedger) => {
      const changed = onLedger ? withInputs(ledger, { drift }) : withInputs(lockTimeouts(), { drift });
      expect(await urnsRefusedBy(RULE, acme.resources, changed)).toEqual([changed.urn]);
    }), { numRuns: 12 });
    const dropped = withInputs(ledger, { drift: undefined });
    expect(await urnsRefusedBy(RULE, acme.resources, dropped)).toEqual([dropped.urn]);
  });
});

class Twin extends pulumi.dynamic.Resource {}

describe("a migration's provider code", () => {
  it("is refused when a dynamic resource carries a SqlMigration's exact inputs but a provider of its own", async () => {
    const run = await runProgram(stackConfigFor(validOrgInput()), {
      program: async () => {
        const outputs = await tenantry();
        const { __provider: _code, ...inputs } = lockTimeouts().inputs;
        const anything: pulumi.dynamic.ResourceProvider = { create: async () => ({ id: "done" }) };
        new Twin(anything, "org-acme-db-lock-timeouts-twin", inputs);
        return outputs;
      },
    });
    const twin = run.resources.find((r) => r.name === "org-acme-db-lock-timeouts-twin")!;
    expect((await runPolicies(run.resources, TENANTRY_POLICIES.filter((p) => p.name === RULE))).map((v) => [v.urn, v.message])).toEqual([
      [undefined, "The stack declares migration acme-lock-timeouts 2 times (org-acme-db-lock-timeouts, org-acme-db-lock-timeouts-twin): each of the org's migrations runs once, from one resource."],
      [twin.urn, "org-acme-db-lock-timeouts-twin runs provider code that is not SqlMigration's (components/sql-migration.ts): a dynamic resource does whatever its provider does."],
    ]);
  });

  it("is refused when any character of SqlMigration's serialized provider is changed", async () => {
    const code = String(lockTimeouts().inputs["__provider"]);
    await fc.assert(fc.asyncProperty(fc.nat({ max: code.length - 1 }), fc.constantFrom("", " ", ";", "x"), async (at, insert) => {
      const changedCode = code.slice(0, at) + insert + code.slice(at + 1);
      fc.pre(changedCode !== code);
      const changed = withInputs(lockTimeouts(), { __provider: changedCode });
      expect(await urnsRefusedBy(RULE, acme.resources, changed)).toEqual([changed.urn]);
    }), { numRuns: 100 });
  });
});

describe("the org's planned migrations, each present once (review item 8)", () => {
  const planned = ["acme-lock-timeouts", "acme-guardrails", "acme-large-objects", "acme-audit-ledger"];
  const without = (name: string) => acme.resources.filter((r) => r.inputs["migration"] !== name);
  const messages = async (resources: readonly RegisteredResource[]) =>
    (await runPolicies(resources, TENANTRY_POLICIES.filter((p) => p.name === RULE))).map((v) => v.message);

  it("the example org declares each of them exactly once", () => {
    expect(programMigrations().map((r) => r.inputs["migration"]).sort()).toEqual([...planned].sort());
  });

  it.each(planned)("refuses the example org's stack without %s, naming it", async (name) => {
    expect(await messages(without(name))).toEqual([
      `The stack does not declare migration ${name}, which the platform renders for org acme: every one of the org's migrations must be in its stack (${planned.join(", ")}).`,
    ]);
  });

  it("refuses a stack without any migration, naming each", async () => {
    expect(await messages(acme.resources.filter((r) => r.type !== "pulumi-nodejs:dynamic:Resource"))).toHaveLength(planned.length);
  });

  it("refuses a migration declared twice, under another resource name, naming both resources", async () => {
    const base = lockTimeouts();
    const twice = { ...base, urn: base.urn.replace(base.name, `${base.name}-again`), name: `${base.name}-again` };
    expect(await messages([...acme.resources, twice])).toEqual([
      `The stack declares migration acme-lock-timeouts 2 times (${base.name}, ${twice.name}): each of the org's migrations runs once, from one resource.`,
    ]);
  });
});
