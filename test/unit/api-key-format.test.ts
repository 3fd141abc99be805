import * as cloudflare from "@pulumi/cloudflare";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runPolicies } from "../../harness/run-policies";
import { credentialShapeOf, TENANTRY_API_KEY } from "../../policies/credential-patterns";
import { workersNoCredentialInPlainBinding } from "../../policies/workers";
import { SpecError } from "../../spec/spec-errors";
import { orgSpecFromStackConfig } from "../../spec/stack-config";
import { API_KEY_PREFIXES, CHECKSUM_LENGTH, findApiKeys, mintApiKey, parseApiKey, RANDOM_LENGTH } from "../../workers/lib/api-key-format";
import { declared } from "../helpers/declared";
import { stackConfigFor, validOrgInput } from "../helpers/spec-builder";

/* The API key format, as the one who leaked a key (and secret scanning after them) and the machine client who forges one would meet it. */

const orgSlug = fc.stringMatching(/^[a-z][a-z0-9]{0,8}(?:-[a-z0-9]{1,6}){0,2}$/).filter((s) => s.length >= 2 && s.length <= 31);
const kind = fc.constantFrom("publishable" as const, "secret" as const);
const key = fc.tuple(kind, orgSlug).map(([k, org]) => ({ kind: k, org, key: mintApiKey(k, org) }));
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** The key with one base62 character of its random part or checksum changed: a typo, a truncation repaired by hand, a forgery. */
const nearMiss = fc.tuple(key, fc.nat(), fc.constantFrom(...BASE62)).map(([k, at, c]) => {
  const tail = RANDOM_LENGTH + CHECKSUM_LENGTH;
  const i = k.key.length - tail + (at % tail);
  const replacement = k.key[i] === c ? BASE62[(BASE62.indexOf(c) + 1) % 62] : c;
  return { ...k, nearMiss: k.key.slice(0, i) + replacement + k.key.slice(i + 1) };
});

describe("an API key", () => {
  it("carries its kind's prefix and its org, and parses back to both", () => {
    fc.assert(fc.property(key, ({ kind: k, org, key: minted }) => {
      expect(minted.startsWith(`${API_KEY_PREFIXES[k]}_${org}_`)).toBe(true);
      expect(minted).toHaveLength(`${API_KEY_PREFIXES[k]}_${org}_`.length + RANDOM_LENGTH + CHECKSUM_LENGTH);
      expect(parseApiKey(minted)).toEqual({ kind: k, org });
    }));
  });

  it("holds at least 160 bits of random material, drawn afresh each time", () => {
    expect(RANDOM_LENGTH * Math.log2(62)).toBeGreaterThanOrEqual(160);
    const keys = new Set(Array.from({ length: 2_000 }, () => mintApiKey("secret", "acme")));
    expect(keys.size).toBe(2_000);
    // Every base62 character turns up in the random parts: the draw is not from a smaller alphabet.
    const seen = new Set([...keys].flatMap((k) => [...k.slice("tnsk_acme_".length, "tnsk_acme_".length + RANDOM_LENGTH)]));
    expect(seen.size).toBe(62);
  });

  it("is refused by parse when any one character of its random part or checksum changes (checked before any lookup)", () => {
    fc.assert(fc.property(nearMiss, ({ nearMiss: changed }) => {
      expect(parseApiKey(changed)).toBeUndefined();
    }), { numRuns: 2_000 });
  });

  it("is refused by parse when its org or kind is rewritten (the checksum covers them)", () => {
    fc.assert(fc.property(key, orgSlug, ({ org, key: minted }, other) => {
      fc.pre(other !== org);
      expect(parseApiKey(minted.replace(`_${org}_`, `_${other}_`))).toBeUndefined();
      const flipped = minted.startsWith("tnsk_") ? `tnpk_${minted.slice(5)}` : `tnsk_${minted.slice(5)}`;
      expect(parseApiKey(flipped)).toBeUndefined();
    }));
  });

  it("is refused by parse with anything around it (whitespace, quotes, a second key)", () => {
    fc.assert(fc.property(key, fc.constantFrom(" ", "\n", "\"", "x", "_"), ({ key: minted }, c) => {
      expect(parseApiKey(`${c}${minted}`)).toBeUndefined();
      expect(parseApiKey(`${minted}${c}`)).toBeUndefined();
    }));
  });
});

describe("secret scanning of API keys", () => {
  /** Text around a key as logs, configs and pastes hold it: anything, then a separator that is not part of a key. */
  const around = fc.tuple(fc.string({ maxLength: 40 }), fc.constantFrom(" ", "\n", "\"", "'", "=", ":", ",", "/", "\t"), fc.string({ maxLength: 40 }));

  it("finds a generated key anywhere in a text, and the pack calls it a tenantry API key", () => {
    fc.assert(fc.property(key, around, ({ key: minted }, [before, sep, after]) => {
      const text = `${before}${sep}${minted}${sep}${after}`;
      expect(findApiKeys(text)).toContain(minted);
      expect(credentialShapeOf(text)).toBe(TENANTRY_API_KEY);
    }));
  });

  it("does not report a near miss as a tenantry key (the control: the checksum, not the prefix, decides)", () => {
    fc.assert(fc.property(nearMiss, ({ nearMiss: changed }) => {
      expect(findApiKeys(changed)).toEqual([]);
      expect(credentialShapeOf(changed)).not.toBe(TENANTRY_API_KEY);
    }), { numRuns: 500 });
  });

  it("refuses a publishable key too, although the pack lets Stripe's publishable keys pass", () => {
    const publishable = mintApiKey("publishable", "acme");
    expect(credentialShapeOf(publishable)).toBe(TENANTRY_API_KEY);
    expect(credentialShapeOf("pk_live_0123456789abcdefghijABCDEFGHIJ")).toBeUndefined();
  });
});

describe("an API key in a stack", () => {
  /** Config keys a stack author might put a key under: innocent names, so only the value can give it away. */
  const configKey = fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,15}:[a-z][a-zA-Z0-9]{0,15}$/).filter((k) => !k.startsWith("tenantry:") && !k.startsWith("postgresql:"));

  function problemsFor(values: Record<string, string>): string[] {
    const base = stackConfigFor(validOrgInput());
    try {
      orgSpecFromStackConfig({ ...base, values: { ...base.values, ...values } });
      return [];
    } catch (error) {
      if (!(error instanceof SpecError)) throw error;
      return error.problems.map((p) => p.message);
    }
  }

  it("is refused in any config value, plain or secret, naming the key and never the value", () => {
    fc.assert(fc.property(key, configKey, fc.string({ maxLength: 20 }), ({ key: minted }, name, prefix) => {
      const problems = problemsFor({ [name]: `${prefix} ${minted}` });
      expect(problems).toContain(`${name} holds a tenantry API key: keys are never kept in a stack (declare a slot in apiKeys and mint with tenantry keys mint); revoke this one, it has been shared`);
      expect(problems.join("\n")).not.toContain(minted);
    }));
  });

  it("is refused inside the org spec itself", () => {
    const org = { ...validOrgInput(), offboarding: { requestedBy: "ops@acme.com", reason: `key ${mintApiKey("secret", "acme")} leaked here` } };
    const problems = problemsFor({ "tenantry:org": JSON.stringify(org) });
    expect(problems[0]).toMatch(/^tenantry:org holds a tenantry API key/);
  });

  it("lets a near miss through (the control: the same value with a wrong checksum is not a key)", () => {
    fc.assert(fc.property(nearMiss, configKey, ({ nearMiss: changed }, name) => {
      expect(problemsFor({ [name]: changed }).filter((m) => m.includes("tenantry API key"))).toEqual([]);
    }), { numRuns: 100 });
  });

  it("is refused by the pack in a Worker's plain_text binding, whatever the binding is called", async () => {
    const minted = mintApiKey("publishable", "acme");
    const router = (text: string) => declared(cloudflare.WorkersScript, "org-acme-edge-router", {
      accountId: "0123456789abcdef0123456789abcdef", scriptName: "tn-acme-router", content: "export default {}", mainModule: "router.js",
      bindings: [{ name: "SHOP_CONFIG", type: "plain_text", text }],
    });
    const found = await runPolicies([router(`k=${minted}`)], [workersNoCredentialInPlainBinding]);
    expect(found.map((v) => v.message)).toEqual(["org-acme-edge-router: binding SHOP_CONFIG holds a tenantry API key: bind credentials as secrets_store_secret on the router or outbound Worker, never as plain_text/json."]);
    expect(await runPolicies([router("k=storefront")], [workersNoCredentialInPlainBinding])).toEqual([]);
  });
});
