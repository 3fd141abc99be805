import { beforeAll, describe, expect, it } from "vitest";
import { lockTimeoutDriftSql, lockTimeoutSql } from "../../components/database-plan";
import { planMigrations } from "../../components/migration-plan";
import { readOrgFacts } from "../../components/org-facts";
import { checksumOf, SQL_MIGRATION_KIND } from "../../components/sql-migration";
import { COMPONENT_TYPES } from "../../components/type-tokens";
import type { RegisteredResource } from "../../harness/recording-monitor";
import type { ProgramRun } from "../../harness/run-program";
import { loadMigrationProvider as loadProvider } from "../helpers/migration-provider";
import { runOrg } from "../helpers/program";
import { NOW, validOrgInput } from "../helpers/spec-builder";
import { parseOrgSpec } from "../../spec/spec";

/*
 * The SqlMigration resource as the program registers it, and its provider as Pulumi will run it:
 * loaded from the serialized code in `__provider`, the way Pulumi's dynamic provider host does.
 */

let run: ProgramRun;
let migration: RegisteredResource;

beforeAll(async () => {
  run = await runOrg(validOrgInput());
  migration = run.resources.find((r) => r.inputs["kind"] === SQL_MIGRATION_KIND && r.inputs["migration"] === "acme-lock-timeouts")!;
});

describe("the lock_timeout migration", () => {
  it("sets the timeouts of every login role of the org, in the provider's database, and reads their drift there", () => {
    const { quotas } = parseOrgSpec(validOrgInput(), { now: NOW });
    const org = { slug: "acme", environments: ["dev", "test", "prod"], ...quotas };
    expect(migration.inputs).toMatchObject({
      migration: "acme-lock-timeouts",
      database: "postgres",
      elevated: false,
      sql: lockTimeoutSql(org),
      drift: lockTimeoutDriftSql(org),
    });
    const declarations = String(migration.inputs["sql"]).split("\n").filter((line) => line.startsWith("ALTER ROLE"));
    expect(declarations).toHaveLength(6 * 3);
    expect(declarations).toContain('ALTER ROLE "tn_acme_prod_runtime" SET lock_timeout TO 2000;');
  });

  it("is versioned by the checksum of its SQL", () => {
    expect(migration.inputs["checksum"]).toBe(checksumOf(String(migration.inputs["sql"])));
  });

  it("waits for every role it alters", () => {
    const roles = run.resources.filter((r) => r.type === "postgresql:index/role:Role" && r.inputs["login"] === true).map((r) => r.urn);
    expect(roles).toHaveLength(6);
    expect(migration.dependsOn).toEqual(expect.arrayContaining(roles));
  });

  it("ships a provider that loads from its serialized code and diffs by checksum and database", async () => {
    const provider = loadProvider(String(migration.inputs["__provider"]));
    const olds = { database: "postgres", checksum: "a" };
    expect(await provider.diff("id", olds, { database: "postgres", checksum: "a" })).toEqual({ changes: false, replaces: [] });
    expect(await provider.diff("id", olds, { database: "postgres", checksum: "b" })).toEqual({ changes: true, replaces: [] });
    expect(await provider.diff("id", olds, { database: "other", checksum: "a" })).toEqual({ changes: true, replaces: ["database"] });
  });

  it("with a drift query and unchanged SQL, reports an update when it cannot read the database, and nothing while an input is still unknown", async () => {
    const provider = loadProvider(String(migration.inputs["__provider"]));
    const unreachable = { host: "127.0.0.1", port: 1, user: "nobody", sslmode: "require" };
    const news = { migration: "m", database: "postgres", checksum: "a", drift: "SELECT 1", connection: unreachable };
    // Coverage that cannot be read is not vouched for: the update re-applies (and fails there if still unreachable).
    expect(await provider.diff("id", { ...news }, news)).toEqual({ changes: true, replaces: [] });
    const previewing = { ...news, connection: { ...unreachable, host: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" } };
    expect(await provider.diff("id", { ...news }, previewing)).toEqual({ changes: false, replaces: [] });
  });
});

describe("the org's migrations", () => {
  it("are exactly what planMigrations renders from the facts the OrgTenant registers, which is what the pack reads", () => {
    const facts = readOrgFacts(run.resources.find((r) => r.type === COMPONENT_TYPES.orgTenant)!.inputs)!;
    const declared = run.resources.filter((r) => r.inputs["kind"] === SQL_MIGRATION_KIND)
      .map(({ inputs: { migration: name, database, sql, elevated, drift } }) => ({ migration: name, database, sql, elevated, ...(drift === undefined ? {} : { drift }) }));
    // Registration order follows dependency resolution, not the plan's order: compared by name.
    const byName = (a: { migration: unknown }, b: { migration: unknown }) => String(a.migration).localeCompare(String(b.migration));
    expect([...declared].sort(byName)).toEqual([...Object.values(planMigrations(facts))].sort(byName));
    expect(declared.map((m) => m.migration).sort()).toEqual(["acme-audit-ledger", "acme-guardrails", "acme-large-objects", "acme-lock-timeouts"]);
  });
});
