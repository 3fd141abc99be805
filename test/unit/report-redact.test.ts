import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { buildReport, savedProof } from "../../cli/commands/report";
import { proofJson } from "../../cli/render-proof";
import { knownSecretValues } from "../../cli/report-secrets";
import { loadLocalStack } from "../../local/up";
import { localPaths } from "../../local/paths";
import { REDACTED, redactStrings, redactText } from "../../report/redact";
import { acmeReportModel } from "../fixtures/report-model";

/*
 * The adversary: a saved proof's author (or a proof whose text echoed a credential), wanting a
 * secret on a page that is mailed to reviewers. Every string of the model is free to carry one, so
 * the guard is on every string: each secret the command could know is replaced before rendering.
 */

const secret = fc.stringMatching(/^[A-Za-z0-9_-]{8,40}$/);

/** Every string of a plain-data value, keys included, with a setter for each, so one can be made to hold a secret. */
function stringSlots(value: unknown): ((v: unknown, s: string) => unknown)[] {
  if (typeof value === "string") return [(_, s) => s];
  if (Array.isArray(value)) return value.flatMap((item, i) => stringSlots(item).map((set) => (v: unknown, s: string) => (v as unknown[]).map((x, j) => (j === i ? set(x, s) : x))));
  if (typeof value === "object" && value !== null) {
    return Object.keys(value).flatMap((key) => stringSlots((value as Record<string, unknown>)[key]).map((set) => (v: unknown, s: string) => ({ ...(v as object), [key]: set((v as Record<string, unknown>)[key], s) })));
  }
  return [];
}

describe("redactStrings: no known secret survives in any string of the model", () => {
  const model = acmeReportModel();
  const slots = stringSlots(model);

  it("replaces a secret put into any string of the model, wrapped in any text", () => {
    expect(slots.length).toBeGreaterThan(500);
    fc.assert(
      fc.property(secret, fc.nat(slots.length - 1), fc.string(), fc.string(), (value, slot, before, after) => {
        const planted = slots[slot]?.(model, `${before}${value}${after}`);
        expect(JSON.stringify(planted)).toContain(value); // control: it is there before the guard
        expect(JSON.stringify(redactStrings(planted, [value]))).not.toContain(value);
      }),
    );
  });

  it("changes nothing where no secret occurs", () => {
    fc.assert(fc.property(fc.array(secret.map((s) => `never-${s}`), { maxLength: 4 }), (secrets) => {
      expect(redactStrings(model, secrets)).toEqual(model);
    }));
  });

  it("replaces a secret that holds another whole, and leaves values too short to be generated alone", () => {
    expect(redactText("pw=abcdefgh12345678 short=abc", ["abcdefgh", "abcdefgh12345678", "abc"])).toBe(`pw=${REDACTED} short=abc`);
  });
});

describe("the secrets tenantry report knows of", () => {
  const dir = mkdtempSync(join(tmpdir(), "report-secrets-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const paths = localPaths(dir);
  mkdirSync(join(dir, ".tenantry"));
  writeFileSync(paths.serverFile, JSON.stringify({ host: "127.0.0.1", port: 5432, user: "postgres", password: "superuser-pw-3c9d1e" }));
  writeFileSync(paths.providerAdminsFile, JSON.stringify({ tenantry: "provider-pw-8a2f4b" }));
  writeFileSync(paths.stateFile, JSON.stringify({ stacks: { "org-acme": { resources: [
    { name: "acme-dev-runtime-password", type: "random:index/randomPassword:RandomPassword", inputs: { length: 32 }, outputs: { result: "generated-pw-5e7a0d" } },
    { name: "acme-dev-runtime", type: "postgresql:index/role:Role", inputs: { name: "tn_acme_dev_runtime", password: "role-pw-1b6c9f" } },
  ] } } }));
  const env = { PGPASSWORD: "canary-pg-7f3a9c", STRIPE_API_KEY: "sk_live_canary_9b1e", AWS_SECRET_ACCESS_KEY: "canary-aws-4d8e2a", PATH: "/usr/bin:/bin", TOKEN_AUDIENCE: "https://api.acme.example" };

  it("are the state's passwords, the superuser's, the provider logins' and the environment's credentials, and nothing else", () => {
    expect(new Set(knownSecretValues(paths, env))).toEqual(new Set([
      "generated-pw-5e7a0d", "role-pw-1b6c9f", "superuser-pw-3c9d1e", "provider-pw-8a2f4b", "canary-pg-7f3a9c", "sk_live_canary_9b1e", "canary-aws-4d8e2a",
    ]));
  });

  it("never reach the page from a hand-edited saved proof that carries them in a claim", async () => {
    mkdirSync(join(dir, "stacks"));
    cpSync(join(__dirname, "../../stacks/Pulumi.org-acme.yaml"), join(dir, "stacks/Pulumi.org-acme.yaml"));
    const planted = ["superuser-pw-3c9d1e", "generated-pw-5e7a0d", "provider-pw-8a2f4b", "sk_live_canary_9b1e"];
    writeFileSync(join(dir, "saved.json"), JSON.stringify(proofJson(
      [{ stack: "org-acme", target: "embedded", results: [
        { claim: `login with ${planted[1] ?? ""}`, attempt: `PGPASSWORD=${planted[2] ?? ""}`, result: `key ${planted[3] ?? ""} via postgres://postgres:${planted[0] ?? ""}@db.example`, status: "pass", properties: [3] },
      ] }],
      { provedAt: "2026-11-27T10:00:00.000Z", tenantry: { version: "0.1.0", commit: "unknown" } },
    )));
    const before = process.env["STRIPE_API_KEY"];
    process.env["STRIPE_API_KEY"] = "sk_live_canary_9b1e";
    try {
      const loaded = loadLocalStack(dir, "org-acme");
      const proof = await savedProof(loaded, join(dir, "saved.json"));
      expect(planted.every((p) => JSON.stringify(proof).includes(p))).toBe(true); // control: the evidence carries each
      const { model, html } = await buildReport(loaded, proof);
      for (const text of [JSON.stringify(model), html]) expect(planted.filter((p) => text.includes(p))).toEqual([]);
      expect(model.properties.find((p) => p.number === 3)?.claims[0]?.claim).toBe(`login with ${REDACTED}`);
    } finally {
      if (before === undefined) delete process.env["STRIPE_API_KEY"];
      else process.env["STRIPE_API_KEY"] = before;
    }
  }, 30_000);
});
