import * as postgresql from "@pulumi/postgresql";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { RegisteredResource } from "../../harness/recording-monitor";
import { runPolicies } from "../../harness/run-policies";
import { declared } from "../helpers/declared";
import { runOrg } from "../helpers/program";
import { validOrgInput } from "../helpers/spec-builder";

/*
 * postgres-no-platform-names, tried as the stack-file author who declares a schema, role or
 * database by hand: the example org passes, and a generated name passes exactly when it has the
 * tenant's shape.
 */

let program: readonly RegisteredResource[];

beforeAll(async () => {
  program = (await runOrg(validOrgInput())).resources;
});

const RULE = "postgres-no-platform-names";

async function verdicts(extra: RegisteredResource): Promise<string[]> {
  return (await runPolicies([...program, extra])).filter((v) => v.policy === RULE).map((v) => v.message);
}

const schema = (name: string) => declared(postgresql.Schema, "org-acme-extra-schema", { name, database: "tn_acme", owner: "tn_acme_dev_ddl" });
const role = (name: string) => declared(postgresql.Role, "org-acme-extra-role", { name, login: false });
const database = (name: string) => declared(postgresql.Database, "org-acme-extra-db", { name, owner: "tn_acme_owner" });

/**
 * The oracle, written from the rule's description rather than its code: a tenant name joins
 * words of a-z0-9 (the first starting with a letter) with single underscores; schemas also stay
 * out of Postgres' names and tenantry's tn_ role namespace; cluster-wide names start tn_.
 */
function tenantShaped(name: string): boolean {
  const words = name.split("_");
  return words.length >= 2 && words.every((w) => w !== "" && [...w].every((c) => (c >= "a" && c <= "z") || (c >= "0" && c <= "9")))
    && name[0] !== undefined && name[0] >= "a" && name[0] <= "z";
}
const schemaAllowed = (name: string) => name === "audit" || (tenantShaped(name) && !name.startsWith("pg_") && name !== "information_schema" && !name.startsWith("tn_"));
const clusterNameAllowed = (name: string) => tenantShaped(name) && name.startsWith("tn_");

describe(RULE, () => {
  it("passes every schema, role and database of the example org", async () => {
    expect((await runPolicies(program)).filter((v) => v.policy === RULE)).toEqual([]);
  });

  it("refuses a schema on the audit guard's name, Postgres' names, or a role's name", async () => {
    expect(await verdicts(schema("audit__guard"))).toEqual([
      "Schema org-acme-extra-schema takes the name audit__guard, which is not a tenant name (words joined by single underscores): the platform's own names are one word or joined by __.",
    ]);
    expect(await verdicts(schema("information_schema"))).toEqual(["Schema org-acme-extra-schema takes the name information_schema, which is a schema Postgres owns."]);
    expect(await verdicts(schema("public"))).toHaveLength(1);
    expect(await verdicts(schema("tn_acme_dev_runtime"))).toEqual([
      "Schema org-acme-extra-schema takes the name tn_acme_dev_runtime, which is named like a tenantry role (tn_), so it would sit on that role's search_path.",
    ]);
  });

  it("refuses a role or database named like the provider login or Postgres' own", async () => {
    expect(await verdicts(role("tenantry"))).toHaveLength(1);
    expect(await verdicts(role("pg_monitor"))).toEqual(["Role org-acme-extra-role takes the name pg_monitor, which does not start tn_, as every cluster-wide name tenantry gives an org does."]);
    expect(await verdicts(database("postgres"))).toHaveLength(1);
  });

  it("allows a generated schema, role or database name exactly when it has the tenant's shape", async () => {
    const name = fc.oneof(
      fc.stringMatching(/^[a-z0-9_]{1,24}$/),
      fc.array(fc.constantFrom("tn", "pg", "audit", "guard", "acme", "dev", "information", "schema", "1x", ""), { minLength: 1, maxLength: 4 })
        .chain((words) => fc.constantFrom("_", "__").map((sep) => words.join(sep))),
    );
    await fc.assert(fc.asyncProperty(name, fc.constantFrom("schema", "role", "database"), async (n, kind) => {
      const resource = kind === "schema" ? schema(n) : kind === "role" ? role(n) : database(n);
      const allowed = kind === "schema" ? schemaAllowed(n) : clusterNameAllowed(n);
      expect(await verdicts(resource), `${kind} ${n}`).toHaveLength(allowed ? 0 : 1);
    }), { numRuns: 300 });
  });
});
