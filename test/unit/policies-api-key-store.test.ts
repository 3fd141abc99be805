import * as cloudflare from "@pulumi/cloudflare";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { RegisteredResource } from "../../harness/recording-monitor";
import { runPolicies } from "../../harness/run-policies";
import type { ProgramRun } from "../../harness/run-program";
import { TENANTRY_POLICIES } from "../../policies/all";
import { declared } from "../helpers/declared";
import { keyedOrgInput } from "../helpers/keyed-org";
import { runOrg } from "../helpers/program";
import { validOrgInput } from "../helpers/spec-builder";
import { stackWith, withInputs } from "../helpers/verdicts";
import { scriptNamed } from "../helpers/webhook-org";

/*
 * cloudflare-api-key-store-bound and cloudflare-api-key-store-consistent, as the stack-file
 * author (or a careless edit of the program) would break them: one change to the keyed org's
 * program at a time. Each change is also shown to pass the pack without the two rules: they are
 * what bites (before them, the operator allowlist's rule refused every D1 database in an org stack,
 * the key store included).
 */

const BOUND = "cloudflare-api-key-store-bound";
const CONSISTENT = "cloudflare-api-key-store-consistent";
const D1 = "cloudflare:index/d1Database:D1Database";
const ACCOUNT = "0123456789abcdef0123456789abcdef";
type Binding = Record<string, unknown>;

let keyed: ProgramRun;
let plain: ProgramRun;
beforeAll(async () => {
  keyed = await runOrg(keyedOrgInput());
  plain = await runOrg(validOrgInput());
});

const store = (run: ProgramRun) => run.resources.find((r) => r.type === D1)!;
const router = (run: ProgramRun) => scriptNamed(run.resources, "tn-acme-router");
const bindingsOf = (r: RegisteredResource) => r.inputs["bindings"] as Binding[];
const withBindings = (r: RegisteredResource, change: (bindings: Binding[]) => Binding[]) => withInputs(r, { bindings: change(bindingsOf(r)) });

/** `policy: message` of every mandatory violation of the stack, by the whole pack or without the two rules. */
async function verdicts(resources: readonly RegisteredResource[], withoutTheRules = false): Promise<string[]> {
  const policies = withoutTheRules ? TENANTRY_POLICIES.filter((p) => p.name !== BOUND && p.name !== CONSISTENT) : TENANTRY_POLICIES;
  return (await runPolicies(resources, policies)).filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policy}: ${v.message}`);
}

/** The rules refusing a stack, and a control: the rest of the pack accepts it. */
async function refusedOnlyBy(resources: readonly RegisteredResource[]): Promise<string[]> {
  expect(await verdicts(resources, true)).toEqual([]);
  return [...new Set((await verdicts(resources)).map((v) => v.slice(0, v.indexOf(":"))))];
}

describe("cloudflare-api-key-store-bound", () => {
  it("passes an org's router bound to its key store, and an org without slots whose router binds none", async () => {
    expect(await verdicts(keyed.resources)).toEqual([]);
    expect(await verdicts(plain.resources)).toEqual([]);
  });

  it("refuses the router of an org with slots that does not bind its store as API_KEYS, whatever else it binds it as", async () => {
    expect(await verdicts(stackWith(keyed.resources, withBindings(router(keyed), (b) => b.filter((x) => x["type"] !== "d1"))))).toEqual([
      `${BOUND}: org-acme-edge-router must bind org acme's key store as exactly one d1 binding named API_KEYS (it has none): the router reads keys from env.API_KEYS.`,
    ]);
    await fc.assert(fc.asyncProperty(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,15}$/), async (name) => {
      fc.pre(name !== "API_KEYS");
      const renamed = withBindings(router(keyed), (b) => b.map((x) => (x["type"] === "d1" ? { ...x, name } : x)));
      expect(await refusedOnlyBy(stackWith(keyed.resources, renamed))).toEqual([BOUND]);
    }), { numRuns: 10 });
  });

  it("refuses a router bound to a D1 database other than its org's key store, such as another org's", async () => {
    const other = { ...withInputs(store(keyed), { name: "tn-globex-api-keys" }), urn: store(keyed).urn.replace(/::[^:]+$/, "::org-acme-elsewhere"), name: "org-acme-elsewhere" };
    const rebound = { ...withBindings(router(keyed), (b) => b.map((x) => (x["type"] === "d1" ? { ...x, id: "org-acme-elsewhere-id" } : x))), dependsOn: [...router(keyed).dependsOn.filter((u) => u !== store(keyed).urn), other.urn] };
    const messages = await verdicts(stackWith(keyed.resources, other, rebound));
    expect(messages).toContain(`${BOUND}: org-acme-edge-router must bind API_KEYS to the id of org acme's key store (tn-acme-api-keys, declared by its ApiKeyStore), and to no other D1 database.`);
  });

  it("refuses any other Worker of the org that binds a D1 database, whatever the binding's name", async () => {
    const outbound = scriptNamed(keyed.resources, "tn-acme-outbound");
    await fc.assert(fc.asyncProperty(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,15}$/), async (name) => {
      const bound = withBindings(outbound, (b) => [...b, { name, type: "d1", id: `${store(keyed).name}-id` }]);
      expect(await refusedOnlyBy(stackWith(keyed.resources, bound))).toEqual([BOUND]);
    }), { numRuns: 10 });
  });

  it("judges a first preview, where the store's id is not known yet, by the binding's name and the router's dependency: passed as declared, refused without the binding", async () => {
    // The value Pulumi's wire format uses for "unknown during preview".
    const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const preview = withBindings(router(keyed), (b) => b.map((x) => (x["type"] === "d1" ? { ...x, id: UNKNOWN } : x)));
    expect((await runPolicies(stackWith(keyed.resources, preview))).map((v) => `${v.enforcementLevel} ${v.policy}`)).toEqual([]);
    const unbound = withBindings(preview, (b) => b.filter((x) => x["type"] !== "d1"));
    expect(await refusedOnlyBy(stackWith(keyed.resources, unbound))).toEqual([BOUND]);
  });

  it("refuses a router that binds a D1 database for an org that declares no API key slots", async () => {
    const bound = withBindings(router(plain), (b) => [...b, { name: "API_KEYS", type: "d1", id: "some-database-id" }]);
    expect(await refusedOnlyBy(stackWith(plain.resources, bound))).toEqual([BOUND]);
  });
});

describe("cloudflare-api-key-store-consistent", () => {
  it("refuses the key store with read replicas, in any mode but disabled, or none set", async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom<unknown>({ mode: "auto" }, { mode: "Disabled" }, {}, undefined), async (readReplication) => {
      const replicated = withInputs(store(keyed), { readReplication });
      expect(await refusedOnlyBy(stackWith(keyed.resources, replicated))).toEqual([CONSISTENT]);
    }), { numRuns: 4 });
  });

  it("refuses an unprotected key store, unless the org is offboarding (then a destroy must be able to finish)", async () => {
    expect(await verdicts(stackWith(keyed.resources, { ...store(keyed), protect: false }))).toEqual([
      `${CONSISTENT}: org-acme-api-keys-database must be protected (protect: true): it holds the hashes of every key of org acme.`,
    ]);
    const marked = await runOrg({ ...keyedOrgInput(), offboarding: { requestedBy: "ops@tenantry.example", reason: "contract ended on 2026-05-31" } });
    expect(store(marked).protect).toBe(false);
    expect(await verdicts(marked.resources)).toEqual([]);
  });

  it("refuses a key store in an org without API key slots, and a second D1 database of any name", async () => {
    // The keyed org's ApiKeyStore and its database, put into the same org without slots.
    const parent = keyed.resources.find((r) => r.urn === store(keyed).parent)!;
    expect(await verdicts([...plain.resources, parent, store(keyed)])).toContain(`${CONSISTENT}: org-acme-api-keys-database is a key store, but org acme declares no API key slots (apiKeys is empty).`);
    await fc.assert(fc.asyncProperty(fc.stringMatching(/^[a-z][a-z0-9-]{1,20}$/), async (name) => {
      const second = { ...declared(cloudflare.D1Database, `org-acme-${name}`, { accountId: ACCOUNT, name, readReplication: { mode: "disabled" } }), protect: true };
      expect(await verdicts(stackWith(keyed.resources, second))).toContain(`${CONSISTENT}: org-acme-${name} is a D1 database other than org acme's API key store (tn-acme-api-keys, declared by its ApiKeyStore component): an org stack declares no other.`);
    }), { numRuns: 10 });
    // A second database under the store's own name and component: one store per org, never two to choose from.
    const twin = { ...store(keyed), urn: `${store(keyed).urn}-twin`, name: "org-acme-api-keys-twin" };
    expect(await verdicts(stackWith(keyed.resources, twin))).toContain(`${CONSISTENT}: org-acme-api-keys-twin is a second key store of org acme: an org has one.`);
  });
});
