import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { apiKeysDatabaseName, planApiKeyStore } from "../../components/edge-plan";
import { readOrgFacts } from "../../components/org-facts";
import { COMPONENT_TYPES } from "../../components/type-tokens";
import { offlineOnlyChecks } from "../../harness/offline-checks";
import type { RegisteredResource } from "../../harness/recording-monitor";
import type { ProgramRun } from "../../harness/run-program";
import { runPolicies } from "../../harness/run-policies";
import { parseOrgSpec } from "../../spec/spec";
import { keyedOrgInput } from "../helpers/keyed-org";
import { runOrg } from "../helpers/program";
import { NOW, validOrgInput } from "../helpers/spec-builder";
import { scriptNamed } from "../helpers/webhook-org";

/*
 * The API key store as the program declares it (property 18): an org that declares key slots gets
 * one D1 database, strongly consistent, protected and retained, bound to its router as API_KEYS
 * (the binding the router reads); an org without slots gets neither, so nothing binds a store
 * that holds no slot's keys.
 */

const D1 = "cloudflare:index/d1Database:D1Database";
type Binding = { name: string; type: string; id?: unknown };

let keyed: ProgramRun;
let plain: ProgramRun;
beforeAll(async () => {
  // One at a time: a program run holds the process's Pulumi runtime.
  keyed = await runOrg(keyedOrgInput());
  plain = await runOrg(validOrgInput());
});

const routerBindings = (run: ProgramRun) => scriptNamed(run.resources, "tn-acme-router").inputs["bindings"] as Binding[];
const parentOf = (run: ProgramRun, r: RegisteredResource) => run.resources.find((p) => p.urn === r.parent);

describe("the API key store in the program", () => {
  it("is one D1 database named tn-<org>-api-keys in the org's account, without read replicas, protected and retained on delete", () => {
    const stores = keyed.resources.filter((r) => r.type === D1);
    expect(stores.map((r) => [r.inputs["name"], r.inputs["accountId"], r.inputs["readReplication"], r.protect, r.retainOnDelete]))
      .toEqual([["tn-acme-api-keys", "0123456789abcdef0123456789abcdef", { mode: "disabled" }, true, true]]);
    expect(parentOf(keyed, stores[0]!)?.type).toBe(COMPONENT_TYPES.apiKeyStore);
  });

  it("is bound to the router as API_KEYS, by the id of that database, and to no other Worker", () => {
    const store = keyed.resources.find((r) => r.type === D1)!;
    const d1 = routerBindings(keyed).filter((b) => b.type === "d1");
    // The mock monitor gives each resource the id `<logical name>-id`.
    expect(d1).toEqual([{ name: "API_KEYS", type: "d1", id: `${store.name}-id` }]);
    expect(scriptNamed(keyed.resources, "tn-acme-router").dependsOn).toContain(store.urn);
    const others = keyed.resources.filter((r) => r.type === "cloudflare:index/workersScript:WorkersScript" && r.inputs["scriptName"] !== "tn-acme-router");
    expect(others.flatMap((r) => (r.inputs["bindings"] as Binding[]).filter((b) => b.type === "d1"))).toEqual([]);
  });

  it("exports the database id as the stack output apiKeysDatabaseId, which tenantry keys --remote takes", () => {
    expect(keyed.outputs["apiKeysDatabaseId"]).toBe("org-acme-api-keys-database-id");
  });

  it("is declared for no org without API key slots: no D1 database, no API_KEYS binding, no output", () => {
    expect(plain.resources.filter((r) => r.type === D1 || r.type === COMPONENT_TYPES.apiKeyStore)).toEqual([]);
    expect(routerBindings(plain).map((b) => b.name)).not.toContain("API_KEYS");
    expect(plain.outputs).not.toHaveProperty("apiKeysDatabaseId");
    // The control: the same org with slots has all three.
    expect(routerBindings(keyed).map((b) => b.name)).toContain("API_KEYS");
  });

  it("stays declared while the org offboards, unprotected so a destroy can finish, and still retained so it never deletes the hashes", async () => {
    const marked = await runOrg({ ...keyedOrgInput(), offboarding: { requestedBy: "ops@tenantry.example", reason: "contract ended on 2026-05-31" } });
    expect(marked.resources.filter((r) => r.type === D1).map((r) => [r.inputs["name"], r.protect, r.retainOnDelete])).toEqual([["tn-acme-api-keys", false, true]]);
    // The router that read it is gone with the rest of the edge.
    expect(marked.resources.filter((r) => r.type === "cloudflare:index/workersScript:WorkersScript")).toEqual([]);
  });

  it("passes the policy pack as declared", async () => {
    expect((await runPolicies(keyed.resources)).map((v) => `${v.policy}: ${v.message}`)).toEqual([]);
  });

  it("is refused by tenantry check's offline check when not retained on delete (the pack cannot see retainOnDelete), offboarding or not", async () => {
    const unretained = (run: ProgramRun) => run.resources.map((r) => (r.type === D1 ? { ...r, retainOnDelete: false } : r));
    const message = "data-retained-on-delete (offline only): org-acme-api-keys-database must be retainOnDelete: deleting the API key store deletes every key's hash.";
    expect(offlineOnlyChecks(keyed.resources)).toEqual([]);
    expect(offlineOnlyChecks(unretained(keyed)).map((v) => `${v.policy}: ${v.message}`)).toEqual([message]);
    const marked = await runOrg({ ...keyedOrgInput(), offboarding: { requestedBy: "ops@tenantry.example", reason: "contract ended on 2026-05-31" } });
    expect(offlineOnlyChecks(marked.resources)).toEqual([]);
    expect(offlineOnlyChecks(unretained(marked)).map((v) => v.message)).toEqual([message.replace(/^[^:]+: /, "")]);
  });
});

describe("the org's facts about its key store, which the pack judges by", () => {
  it("say apiKeyStore: true for an org with slots, and are refused (no org to judge against) when malformed or claimed without an edge", () => {
    const org = keyed.resources.find((r) => r.type === COMPONENT_TYPES.orgTenant)!;
    const facts = readOrgFacts(org.inputs);
    expect(facts?.apiKeyStore).toBe(true);
    expect(readOrgFacts({ ...org.inputs, apiKeyStore: "true" })).toBeUndefined();
    const { awsRegion: _r, edgeAccountId: _a, awsSecretNames: _n, ...withoutEdge } = org.inputs;
    expect(readOrgFacts(withoutEdge)).toBeUndefined();
    // The control: the same facts without the claim are an org's facts.
    const { apiKeyStore: _claim, ...unclaimed } = withoutEdge;
    expect(readOrgFacts(unclaimed)?.slug).toBe("acme");
    expect(readOrgFacts(plain.resources.find((r) => r.type === COMPONENT_TYPES.orgTenant)!.inputs)).not.toHaveProperty("apiKeyStore");
  });
});

describe("planApiKeyStore", () => {
  it("plans a store exactly for an org with an edge and at least one slot, under that org's name alone", () => {
    const slug = fc.stringMatching(/^[a-z][a-z0-9]{1,12}$/);
    fc.assert(fc.property(slug, slug, fc.boolean(), (a, b, slots) => {
      const input = keyedOrgInput();
      const spec = parseOrgSpec({ ...input, slug: a, secrets: [], ...(slots ? {} : { apiKeys: [] }) }, { now: NOW });
      const plan = planApiKeyStore(spec);
      expect(plan).toEqual(slots ? { name: `tn-${a}-api-keys`, protect: true } : undefined);
      // Injective: another org's store never has this org's name.
      if (a !== b) expect(apiKeysDatabaseName(b)).not.toBe(apiKeysDatabaseName(a));
    }), { numRuns: 50 });
  });
});
