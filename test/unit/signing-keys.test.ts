import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allSigningKeyBindings, pickSigningKeys, signingKeyBindings } from "../../workers/outbound/signing-keys";
import { webhookEnvironments } from "../../components/webhook-key-plan";

/* Which secret signs a delivery: its own environment's, picked by the dispatch param, never another's. */

const environment = fc.stringMatching(/^[a-z][a-z0-9]{1,15}$/);
type Secret = { readonly of: string };
const isSecret = (value: unknown): value is Secret => typeof value === "object" && value !== null && "of" in value;

describe("the signing-key pick", () => {
  it("names each environment's current and previous bindings, and no two environments share a name", () => {
    expect(signingKeyBindings("prod")).toEqual({ current: "WEBHOOK_SIGNING_KEY_PROD", previous: "WEBHOOK_SIGNING_KEY_PROD_PREVIOUS" });
    fc.assert(fc.property(environment, environment, (a, b) => {
      fc.pre(a !== b);
      const names = allSigningKeyBindings([a, b]);
      expect(new Set(names).size).toBe(4);
    }));
  });

  it("picks the environment's own secrets from a Worker that binds every environment's, and never another's", () => {
    fc.assert(fc.property(fc.uniqueArray(environment, { minLength: 1, maxLength: 5 }), fc.nat(), fc.boolean(), (environments, index, withPrevious) => {
      const env: Record<string, unknown> = { environment: "ignored", SECRETS_CONFIG: {} };
      for (const e of environments) {
        env[signingKeyBindings(e).current] = { of: `${e}:current` };
        if (withPrevious) env[signingKeyBindings(e).previous] = { of: `${e}:previous` };
      }
      const own = environments[index % environments.length] ?? "";
      const picked = pickSigningKeys(env, own, isSecret);
      expect(picked).toEqual({ current: { of: `${own}:current` }, ...(withPrevious ? { previous: { of: `${own}:previous` } } : {}) });
    }));
  });

  it("picks nothing for an environment without its own binding, though others are bound", () => {
    expect(pickSigningKeys({ WEBHOOK_SIGNING_KEY_PROD: { of: "prod" }, WEBHOOK_SIGNING_KEY: { of: "org" } }, "dev", isSecret)).toEqual({});
  });

  it("refuses a param that is not an environment name, rather than compose a binding name from it", () => {
    for (const bad of ["", "PROD", "prod_previous", "x", "prod-1"]) expect(() => signingKeyBindings(bad)).toThrow(/not an environment name/);
  });

  it("gives a secret to exactly the environments with webhook endpoints, in the org's order", () => {
    const webhooks = [{ environment: "prod" }, { environment: "dev" }, { environment: "prod" }];
    expect(webhookEnvironments({ environments: ["dev", "test", "prod"], webhooks })).toEqual(["dev", "prod"]);
    expect(webhookEnvironments({ environments: ["dev", "test", "prod"], webhooks: [] })).toEqual([]);
  });
});
