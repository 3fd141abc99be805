import { join } from "node:path";
import * as cloudflare from "@pulumi/cloudflare";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { readStackFile } from "../../harness/stack-file";
import type { RegisteredResource } from "../../harness/recording-monitor";
import { runPolicies } from "../../harness/run-policies";
import { runProgram, type ProgramRun } from "../../harness/run-program";
import platform from "../../platform/program";
import { TENANTRY_POLICIES } from "../../policies/all";
import { SpecError } from "../../spec/spec-errors";
import { orgSpecFromStackConfig } from "../../spec/stack-config";
import { declared } from "../helpers/declared";
import { runOrg } from "../helpers/program";
import { stackConfigFor, validOrgInput } from "../helpers/spec-builder";
import { rulesRefusing } from "../helpers/verdicts";
import { withPlatformConfig } from "../helpers/platform-config";

/*
 * Cloudflare allows one Secrets Store per account (developers.cloudflare.com/secrets-store,
 * "Manage account secrets": "there can only be one store per account"; the provider's own
 * acceptance tests skip creating one when the account has a store). Several orgs share an
 * account, so the store is the platform stack's, created once per account, and an org stack
 * only names it (edge.secretsStoreId).
 */

const STORE = "cloudflare:index/secretsStore:SecretsStore";
const PLATFORM_STACK_FILE = join(__dirname, "..", "..", "platform", "Pulumi.platform.yaml");

/** Store ids as a deployed platform stack would report them: one per account. */
const storeIdOf = (account: string) => account.split("").reverse().join("");

function orgOn(slug: string, account: string, namesStore: boolean): Record<string, unknown> {
  const org = validOrgInput();
  const edge: Record<string, unknown> = { ...(org["edge"] as Record<string, unknown>), accountId: account };
  delete edge["secretsStoreId"];
  return {
    ...org,
    slug,
    apps: [],
    secrets: [{ name: "DATABASE_URL", scope: "prod", ref: `aws-secretsmanager:${slug}/prod/db#url` }],
    claimedDomains: [`${slug}.com`],
    edge: namesStore ? { ...edge, secretsStoreId: storeIdOf(account) } : edge,
  };
}

async function runPlatform(accounts: readonly string[]): Promise<ProgramRun> {
  const file = readStackFile(PLATFORM_STACK_FILE);
  // The operator gateway's account must be one of cloudflareAccounts: it moves with them.
  return runProgram(withPlatformConfig(file, (p) => ({ ...p, cloudflareAccounts: accounts, ...(p["operators"] === undefined ? {} : { operators: { ...(p["operators"] as object), accountId: accounts[0] } }) })), { program: platform });
}

/** What a stack registers, or nothing when its configuration is refused before any resource. */
async function registered(run: () => Promise<ProgramRun>): Promise<readonly RegisteredResource[]> {
  try {
    return (await run()).resources;
  } catch (error) {
    if (error instanceof SpecError) return [];
    throw error;
  }
}

describe("the Secrets Store of a Cloudflare account", () => {
  it("is declared exactly once per account across the platform stack and every org stack on it, however orgs spread over accounts", async () => {
    const account = fc.stringMatching(/^[0-9a-f]{32}$/);
    const orgs = fc.uniqueArray(fc.record({ slug: fc.constantFrom("acme", "globex", "initech", "hooli"), onSecond: fc.boolean(), namesStore: fc.boolean() }), { minLength: 1, maxLength: 3, selector: (o) => o.slug });
    await fc.assert(fc.asyncProperty(fc.uniqueArray(account, { minLength: 2, maxLength: 2 }), orgs, async ([first, second], spread) => {
      const accountOf = (o: { onSecond: boolean }) => (o.onSecond ? second! : first!);
      const used = [...new Set(spread.map(accountOf))];
      const stacks = [await registered(() => runPlatform(used))];
      for (const o of spread) stacks.push(await registered(() => runOrg(orgOn(o.slug, accountOf(o), o.namesStore), `org-${o.slug}`)));
      const stores = stacks.flat().filter((r) => r.type === STORE).map((r) => r.inputs["accountId"]);
      expect(used.map((a) => stores.filter((s) => s === a).length)).toEqual(used.map(() => 1));
    }), { numRuns: 6 });
  }, 120_000);

  it("is never declared by an org stack, which puts its secrets in the store its spec names", async () => {
    const run = await runOrg(orgOn("acme", "0123456789abcdef0123456789abcdef", true));
    expect(run.resources.filter((r) => r.type === STORE)).toEqual([]);
    expect(new Set(run.resources.filter((r) => r.type === "cloudflare:index/secretsStoreSecret:SecretsStoreSecret").map((r) => r.inputs["storeId"]))).toEqual(new Set([storeIdOf("0123456789abcdef0123456789abcdef")]));
  });

  const refusalOf = (org: Record<string, unknown>): string[] => {
    try {
      orgSpecFromStackConfig(stackConfigFor(org));
    } catch (error) {
      if (error instanceof SpecError) return error.problems.map((p) => p.message);
      throw error;
    }
    return [];
  };

  it("must be named by an org with an edge, and the refusal says where its id comes from", () => {
    expect(refusalOf(orgOn("acme", "0123456789abcdef0123456789abcdef", false))).toEqual([
      "tenantry:org.edge.secretsStoreId is required: the id of the Cloudflare account's one Secrets Store, which the platform stack creates (pulumi stack output secretsStoreIds, in platform/) or, for an account that already has one, its id (wrangler secrets-store store list --remote)",
    ]);
  });

  it("is named by its id alone: 32 hex digits", () => {
    const org = orgOn("acme", "0123456789abcdef0123456789abcdef", true);
    for (const secretsStoreId of ["tenantry", "FEDCBA9876543210FEDCBA9876543210", "fedcba9876543210fedcba987654321", 42]) {
      expect(refusalOf({ ...org, edge: { ...(org["edge"] as object), secretsStoreId } })).toEqual([
        `tenantry:org.edge.secretsStoreId must be a Secrets Store id (32 hex digits)${typeof secretsStoreId === "number" ? " (got 42)" : ""}`,
      ]);
    }
  });
});

describe("the pack, given an org stack that declares a Secrets Store of its own", () => {
  let acme: ProgramRun;
  beforeAll(async () => {
    acme = await runOrg(orgOn("acme", "0123456789abcdef0123456789abcdef", true));
  });

  it("refuses it under any name, in the org's own account and on its own provider, by the type allowlist alone", async () => {
    const name = fc.oneof(fc.constantFrom("tn-acme-secrets", "tenantry", "tn-acme"), fc.stringMatching(/^[a-z0-9_-]{1,30}$/));
    await fc.assert(fc.asyncProperty(name, async (storeName) => {
      const store = declared(cloudflare.SecretsStore, "org-acme-edge-secrets", { accountId: "0123456789abcdef0123456789abcdef", name: storeName });
      expect(await rulesRefusing(acme.resources, store)).toEqual(["stack-resource-types-allowed"]);
    }), { numRuns: 30 });
  });

  it("says why: the store is the platform stack's, and the org names it", async () => {
    const store = declared(cloudflare.SecretsStore, "org-acme-edge-secrets", { accountId: "0123456789abcdef0123456789abcdef", name: "tn-acme-secrets" });
    const violations = await runPolicies([...acme.resources, store], TENANTRY_POLICIES.filter((p) => p.name === "stack-resource-types-allowed"));
    expect(violations.map((v) => v.message)).toEqual([
      "org-acme-edge-secrets is a cloudflare:index/secretsStore:SecretsStore, which no org declares: Cloudflare allows one Secrets Store per account, so the platform stack creates it and an org names it in edge.secretsStoreId (docs/policy-pack.md#resource-types).",
    ]);
  });
});
