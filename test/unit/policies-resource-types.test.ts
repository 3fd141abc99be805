import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as postgresql from "@pulumi/postgresql";
import * as random from "@pulumi/random";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { isProviderType } from "../../components/provider-plan";
import { COMPONENT_TYPES } from "../../components/type-tokens";
import { runPolicies } from "../../harness/run-policies";
import type { ProgramRun } from "../../harness/run-program";
import { TENANTRY_POLICIES } from "../../policies/all";
import { DECLARED_RESOURCE_TYPES } from "../../policies/resource-types";
import { declared } from "../helpers/declared";
import { keyedOrgInput } from "../helpers/keyed-org";
import { runOrg } from "../helpers/program";
import { validOrgInput } from "../helpers/spec-builder";
import { rulesRefusing } from "../helpers/verdicts";

/*
 * An attacker's pass on the grant allowlist (issue 12, item 6) added Postgres resources of types
 * the allowlist never looked at to org acme's program, on the org's own provider; each passed the
 * whole pack. An org stack now holds only the resource types the program declares.
 */

const RULE = "stack-resource-types-allowed";

let acme: ProgramRun;
/** The same org with API key slots: only then is the key store (a D1 database) declared. */
let keyed: ProgramRun;
beforeAll(async () => {
  acme = await runOrg(validOrgInput());
  keyed = await runOrg(keyedOrgInput());
});

const FINDINGS: [string, () => ReturnType<typeof declared>][] = [
  ["a DefaultPrivileg (the deprecated alias of DefaultPrivileges) giving ALL on web_prod's tables to PUBLIC", () => declared(postgresql.DefaultPrivileg, "org-acme-alias-public", {
    role: "public", owner: "tn_acme_prod_ddl", database: "tn_acme", schema: "web_prod", objectType: "table", privileges: ["ALL"],
  })],
  ["a DefaultPrivileg giving prod's tables to the dev runtime role", () => declared(postgresql.DefaultPrivileg, "org-acme-alias-dev", {
    role: "tn_acme_dev_runtime", owner: "tn_acme_prod_ddl", database: "tn_acme", schema: "web_prod", objectType: "table", privileges: ["SELECT", "INSERT", "UPDATE", "DELETE"],
  })],
  ["a foreign server pointing at org globex's database", () => declared(postgresql.Server, "org-acme-fdw", {
    serverName: "globex", fdwName: "postgres_fdw", options: { host: "pg.tenants.internal", dbname: "tn_globex" },
  })],
  ["a user mapping onto org globex's runtime role", () => declared(postgresql.UserMapping, "org-acme-fdw-login", {
    serverName: "globex", userName: "tn_acme_prod_runtime", options: { user: "tn_globex_prod_runtime" },
  })],
  ["a SECURITY DEFINER function", () => declared(postgresql.Function, "org-acme-definer", {
    name: "escalate", database: "tn_acme", schema: "web_prod", language: "sql", returns: "void", body: "SELECT 1", securityDefiner: true,
  })],
];

describe("the Postgres findings of the attacker's pass", () => {
  it.each(FINDINGS)("refuses %s, by the type allowlist alone", async (_finding, resource) => {
    expect(await rulesRefusing(acme.resources, resource())).toEqual([RULE]);
  });

  it("names the type it refuses and where the allowed ones are listed", async () => {
    const alias = FINDINGS[0]![1]();
    expect((await runPolicies([...acme.resources, alias], TENANTRY_POLICIES.filter((p) => p.name === RULE))).map((v) => v.message)).toEqual([
      "org-acme-alias-public is a postgresql:index/defaultPrivileg:DefaultPrivileg, which no org declares: an org stack holds only the resource types the program declares (docs/policy-pack.md#resource-types).",
    ]);
  });

  it("control: without the type allowlist the rest of the pack accepts every one of them, as the pass found", async () => {
    const others = TENANTRY_POLICIES.filter((policy) => policy.name !== RULE);
    for (const [, resource] of FINDINGS) expect(await rulesRefusing(acme.resources, resource(), others)).toEqual([]);
  });
});

/** Every resource class a package's SDK exports, by name and type token. */
const classesOf = (sdk: object, pkg: string) => Object.entries(sdk)
  .map(([name, value]) => [name, (value as { __pulumiType?: unknown }).__pulumiType] as const)
  .filter((entry): entry is readonly [string, string] => typeof entry[1] === "string" && entry[1].startsWith(`${pkg}:`));
const POSTGRES_CLASSES = classesOf(postgresql, "postgresql");
const DECLARED_POSTGRES = ["Role", "Database", "Schema", "Grant", "DefaultPrivileges", "GrantRole"];

describe("the type allowlist", () => {
  it("is exactly the custom resource types the example org registers, with and without API key slots, each an SDK class's type token", () => {
    const registered = new Set([...acme.resources, ...keyed.resources].map((r) => r.type).filter((type) => !isProviderType(type) && !type.startsWith("tenantry:") && type !== "pulumi:pulumi:Stack"));
    expect(new Set(DECLARED_RESOURCE_TYPES)).toEqual(registered);
    const sdkTokens = new Set([...classesOf(postgresql, "postgresql"), ...classesOf(aws.kms, "aws"), ...classesOf(aws.secretsmanager, "aws"), ...classesOf(aws.iam, "aws"),
      ...classesOf(cloudflare, "cloudflare"), ...classesOf(random, "random")].map(([, type]) => type));
    expect(DECLARED_RESOURCE_TYPES.filter((type) => !sdkTokens.has(type))).toEqual(["pulumi-nodejs:dynamic:Resource"]);
  });

  it("refuses every Postgres class of the SDK but the six the program declares, whatever its inputs", async () => {
    expect(POSTGRES_CLASSES.length).toBeGreaterThan(DECLARED_POSTGRES.length + 5);
    for (const [name, type] of POSTGRES_CLASSES) {
      const resource = { ...declared(postgresql.Role, `org-acme-any-${name}`, {}), type, inputs: {} };
      const refusedByTypes = (await rulesRefusing(acme.resources, resource)).includes(RULE);
      expect([name, refusedByTypes]).toEqual([name, !DECLARED_POSTGRES.includes(name)]);
    }
  });

  it("refuses any type token the program does not declare, a near miss of a declared one included", async () => {
    const nearMiss = fc.constantFrom(...DECLARED_RESOURCE_TYPES).chain((type) => fc.constantFrom(
      type.toUpperCase(), type.replace(/:(\w+)$/, ":$1s"), `${type} `, type.replace("index/", ""), type.replace(/^(\w+)/, "$1x"),
    ));
    const anyToken = fc.tuple(fc.constantFrom("postgresql", "aws", "cloudflare", "random", "pulumi-nodejs", "gcp"), fc.stringMatching(/^[a-z][a-zA-Z]{0,12}$/), fc.stringMatching(/^[A-Z][a-zA-Z]{0,12}$/))
      .map(([pkg, module, cls]) => `${pkg}:index/${module}:${cls}`);
    const typesRule = TENANTRY_POLICIES.filter((p) => p.name === RULE);
    await fc.assert(fc.asyncProperty(fc.oneof(nearMiss, anyToken).filter((type) => !DECLARED_RESOURCE_TYPES.includes(type)), async (type) => {
      const resource = { ...declared(postgresql.Role, "org-acme-generated", {}), type, inputs: {} };
      expect(await rulesRefusing(acme.resources, resource, typesRule)).toEqual([RULE]);
    }), { numRuns: 300 });
  });

  it("judges only org stacks: the platform stack, which declares no org, is not its concern", async () => {
    const withoutOrg = acme.resources.filter((r) => r.type !== COMPONENT_TYPES.orgTenant);
    const server = declared(postgresql.Server, "org-acme-fdw", { serverName: "x", fdwName: "postgres_fdw" });
    expect(await runPolicies([...withoutOrg, server], TENANTRY_POLICIES.filter((p) => p.name === RULE))).toEqual([]);
  });
});
