import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { parseStackFile, readStackFile, resolveStackFile } from "../../harness/stack-file";
import { closeEnough, closestName, editDistance } from "../../spec/closest-name";
import { orgSpecSchema, quotasSchema } from "../../spec/spec";
import { POSTGRES_KEYS_READ } from "../../spec/provider-settings";
import { ORG_CONFIG_KEY, SpecError } from "../../spec/spec-errors";
import { tenantStackFromConfig } from "../../spec/stack-config";
import { NOW, specProblems, validOrgInput } from "../helpers/spec-builder";

/*
 * "Did you mean": a slip in a field name or a stack name is answered with the name meant, read
 * from the schema (or stacks/) at that place; a name far from every known one gets no guess.
 */

const TOP_LEVEL = Object.keys(orgSpecSchema(NOW).shape);
const QUOTAS = Object.keys(quotasSchema.shape);
const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

type Edit = "insert" | "delete" | "substitute" | "swap";

/** `key` with one insertion, deletion or substitution of a letter, or two adjacent letters swapped: one slip away. */
function oneEditFrom(keys: readonly string[], edits: readonly Edit[] = ["insert", "delete", "substitute", "swap"]): fc.Arbitrary<{ key: string; typo: string }> {
  return fc.tuple(fc.constantFrom(...keys), fc.constantFrom(...edits), fc.nat(), fc.constantFrom(...LETTERS))
    .map(([key, edit, at, letter]) => {
      const i = at % (key.length + (edit === "insert" ? 1 : 0));
      const typo = edit === "insert" ? key.slice(0, i) + letter + key.slice(i)
        : edit === "delete" ? key.slice(0, i) + key.slice(i + 1)
          : edit === "swap" ? (i + 1 < key.length ? key.slice(0, i) + key.charAt(i + 1) + key.charAt(i) + key.slice(i + 2) : key)
            : key.slice(0, i) + letter + key.slice(i + 1);
      return { key, typo };
    })
    .filter(({ typo }) => typo.length > 0 && !keys.some((k) => k.toLowerCase() === typo.toLowerCase()));
}

/**
 * The test's own optimal-string-alignment distance, written from its definition (the dynamic
 * programme with the adjacent-swap step), so the expectations below do not come from the code
 * under test. `swaps: false` is plain Levenshtein, the control.
 */
function referenceDistance(a: string, b: string, swaps = true): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  const d = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (swaps && i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(x.length, y.length);
}

/** What a typo should be answered with, from the reference distance: the one nearest name, or any of several as near; none when all are far. */
function expectedAnswer(typo: string, known: readonly string[]): { exactly?: string; oneOf: string[] } {
  const close = known.filter((k) => referenceDistance(typo, k) <= closeEnough(k));
  const nearest = Math.min(...close.map((k) => referenceDistance(typo, k)));
  const oneOf = close.filter((k) => referenceDistance(typo, k) === nearest);
  return oneOf.length === 1 ? { exactly: oneOf[0], oneOf } : { oneOf };
}

const problemsOf = specProblems;

describe("the closest name", () => {
  it("is suggested for any name one slip away from a known one, a swap of two letters included: that name, unless another is as close", () => {
    fc.assert(fc.property(oneEditFrom(TOP_LEVEL), ({ key, typo }) => {
      const suggested = closestName(typo, TOP_LEVEL);
      const expected = expectedAnswer(typo, TOP_LEVEL);
      expect(expected.oneOf).toContain(key);
      if (expected.exactly !== undefined) expect(suggested).toBe(expected.exactly);
      else expect(expected.oneOf).toContain(suggested);
    }), { numRuns: 500 });
  });

  it("answers the commonest slips, two letters swapped, with the name meant", () => {
    const slips: [string, string, readonly string[]][] = [
      ["teir", "tier", TOP_LEVEL], ["sulg", "slug", TOP_LEVEL], ["naem", "name", ["name", "app", "environment"]],
      ["scpoe", "scope", ["name", "scope", "ref"]], ["uesrs", "users", ["minRole", "users", "workspaceMembers", "editorsOnly"]],
    ];
    for (const [typo, meant, known] of slips) expect(closestName(typo, known), typo).toBe(meant);
    // Control: counted as plain Levenshtein does (a swap is two edits), none of them is close enough to suggest.
    for (const [typo, meant] of slips) expect(referenceDistance(typo, meant, false), typo).toBeGreaterThan(closeEnough(meant));
  });

  it("counts edits as the optimal string alignment distance does, on generated pairs of names", () => {
    const name = fc.string({ unit: fc.constantFrom(..."abcsSlug-"), maxLength: 9 });
    fc.assert(fc.property(name, name, (a, b) => {
      expect(editDistance(a, b), `${a} ${b}`).toBe(referenceDistance(a, b));
    }), { numRuns: 2000 });
    // The restricted form: "ca" to "abc" is 3 (no edit of a swapped pair), where unrestricted Damerau-Levenshtein says 2.
    expect(editDistance("ca", "abc")).toBe(3);
  });

  it("is never guessed for a name far from every known one", () => {
    const far = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz_"), minLength: 1, maxLength: 20 })
      .filter((word) => TOP_LEVEL.every((k) => referenceDistance(word, k) > closeEnough(k)));
    fc.assert(fc.property(far, (word) => {
      expect(closestName(word, TOP_LEVEL)).toBeUndefined();
    }), { numRuns: 500 });
  });

  it("(control) a short unrelated word is far: tier is not suggested for tenantBypass, nor slug for sla", () => {
    expect(closestName("tenantBypass", TOP_LEVEL)).toBeUndefined();
    expect(closestName("sla", ["slug"])).toBeUndefined();
    expect(closestName("slg", ["slug"])).toBe("slug");
  });
});

describe("an unknown spec field", () => {
  it("names the known field at its own place that it most likely meant, at the top level and inside quotas", () => {
    const slip = fc.boolean().chain((inQuotas) => oneEditFrom(inQuotas ? QUOTAS : TOP_LEVEL).map((slip) => ({ ...slip, inQuotas })));
    fc.assert(fc.property(slip, ({ key, typo, inQuotas }) => {
      fc.pre(!(inQuotas ? QUOTAS : TOP_LEVEL).includes(typo));
      const org = validOrgInput();
      const field = inQuotas ? `tenantry:org.quotas.${typo}` : `tenantry:org.${typo}`;
      if (inQuotas) (org["quotas"] as Record<string, unknown>)[typo] = 1;
      else org[typo] = 1;
      const [message] = problemsOf(org).filter((m) => m.startsWith(`${field} is not a known field`));
      // Each place's own keys only: a top-level slip is never answered with a quota's name, nor a quota's with a top-level one.
      const expected = expectedAnswer(typo, inQuotas ? QUOTAS : TOP_LEVEL);
      expect(expected.oneOf).toContain(key);
      const prefix = `${field} is not a known field (unknown keys are refused so a typo never falls back to a default); did you mean `;
      if (expected.exactly !== undefined) expect(message).toBe(`${prefix}${expected.exactly}?`);
      else expect(expected.oneOf.map((k) => `${prefix}${k}?`)).toContain(message);
    }), { numRuns: 300 });
  });

  it("is answered inside lists and nested objects too: an app's access, the edge's identity", () => {
    const org = validOrgInput();
    (org["apps"] as Record<string, unknown>[])[1] = { slug: "finance-console", workspace: "billing", access: { user: ["cfo@acme.com"] } };
    ((org["edge"] as Record<string, unknown>)["identity"] as Record<string, unknown>)["jwksURL"] = "https://id.acme-saas.example/jwks";
    const messages = problemsOf(org);
    expect(messages).toContain("tenantry:org.apps[1].access.user is not a known field (unknown keys are refused so a typo never falls back to a default); did you mean users?");
    expect(messages).toContain("tenantry:org.edge.identity.jwksURL is not a known field (unknown keys are refused so a typo never falls back to a default); did you mean jwksUrl?");
  });

  it("gets no guess when it is far from every field (a bypass switch is not a typo)", () => {
    const org = validOrgInput();
    org["tenantBypass"] = true;
    expect(problemsOf(org)).toEqual(["tenantry:org.tenantBypass is not a known field (unknown keys are refused so a typo never falls back to a default)"]);
  });
});

describe("a misspelt stack setting", () => {
  const acme = readStackFile(join(__dirname, "..", "..", "stacks", "Pulumi.org-acme.yaml"));
  /** The message the program gives for `key` added to acme's config, if it refuses that key. */
  const messageFor = (key: string): string | undefined => {
    try {
      tenantStackFromConfig({ ...acme, values: { ...acme.values, [key]: "x" }, now: NOW });
    } catch (error) {
      if (!(error instanceof SpecError)) throw error;
      return error.problems.find((p) => p.field === key)?.message;
    }
    return undefined;
  };
  const ORG_NAME = ORG_CONFIG_KEY.replace(/^tenantry:/, "");

  it("answers tenantry:orgg and postgresql:sslmod with the key meant", () => {
    expect(messageFor("tenantry:orgg")).toBe("tenantry:orgg is not a tenantry setting: tenantry reads only tenantry:org, and has no dev-mode or bypass switch; did you mean tenantry:org?");
    expect(messageFor("postgresql:sslmod")).toBe("postgresql:sslmod is not read: the org's Postgres provider takes only postgresql:host, port, username, database, sslmode, sslrootcert, clientcert, superuser, maxConnections, password; remove it from the stack file; did you mean postgresql:sslmode?");
  });

  it("answers any one-slip typo of tenantry:org, namespaced or not, with tenantry:org", () => {
    fc.assert(fc.property(oneEditFrom([ORG_NAME]), ({ typo }) => {
      expect(messageFor(`tenantry:${typo}`)).toMatch(/; did you mean tenantry:org\?$/);
    }), { numRuns: 100 });
    // Pulumi puts a key without a namespace into the project's: orgg in the file is tenantry:orgg.
    const text = readFileSync(acme.path, "utf8").replace(/^config:\n/m, "config:\n  orgg: x\n");
    const bare = parseStackFile(text, acme.path);
    expect(bare.values["tenantry:orgg"]).toBe("x");
    expect(() => tenantStackFromConfig({ ...bare, now: NOW })).toThrow(/tenantry:orgg is not a tenantry setting: .*; did you mean tenantry:org\?$/m);
  });

  it("answers any one-slip typo of a postgresql setting the provider reads with that setting, unless another is as close", () => {
    fc.assert(fc.property(oneEditFrom(POSTGRES_KEYS_READ), ({ key, typo }) => {
      const message = messageFor(`postgresql:${typo}`) ?? "";
      const expected = expectedAnswer(typo, POSTGRES_KEYS_READ);
      expect(expected.oneOf).toContain(key);
      const suggested = /; did you mean postgresql:([A-Za-z]+)\?$/.exec(message)?.[1];
      if (expected.exactly !== undefined) expect(suggested, message).toBe(expected.exactly);
      else expect(expected.oneOf, message).toContain(suggested);
    }), { numRuns: 300 });
  });

  it("is never answered from another namespace, nor for a setting far from every known one", () => {
    expect(messageFor("cloudflare:sslmode")).not.toMatch(/did you mean/);
    expect(messageFor("tenantry:devMode")).not.toMatch(/did you mean/);
    expect(messageFor("postgresql:scheme")).not.toMatch(/did you mean/);
    // Control: the same slip, in the namespace that has the key, is answered.
    expect(messageFor("postgresql:sslmod")).toMatch(/did you mean postgresql:sslmode\?$/);
  });
});

describe("an unknown stack name", () => {
  const project = mkdtempSync(join(tmpdir(), "tenantry-stacks-"));
  afterAll(() => rmSync(project, { recursive: true, force: true }));
  mkdirSync(join(project, "stacks"));
  for (const stack of ["org-acme", "org-globex", "platform"]) writeFileSync(join(project, "stacks", `Pulumi.${stack}.yaml`), "config: {}\n");
  const refusal = (name: string) => {
    try {
      resolveStackFile(name, project);
    } catch (error) {
      if (error instanceof SpecError) return error.message;
    }
    throw new Error(`${name} was found`);
  };

  it("names the stack in stacks/ it most likely meant", () => {
    expect(refusal("org-acm")).toBe("stack org-acm not found (looked for stacks/Pulumi.org-acm.yaml); did you mean org-acme?");
    fc.assert(fc.property(oneEditFrom(["org-acme", "org-globex"]), ({ key, typo }) => {
      fc.pre(!typo.includes("/") && !/\.ya?ml$/.test(typo));
      expect(refusal(typo)).toMatch(new RegExp(`; did you mean ${key}\\?$`));
    }), { numRuns: 100 });
  });

  it("gets no guess when it is far from every stack", () => {
    expect(refusal("org-initech")).toBe("stack org-initech not found (looked for stacks/Pulumi.org-initech.yaml)");
  });
});

describe("an unknown command or option", () => {
  const CLI = join(__dirname, "..", "..", "dist", "cli", "main.js");
  it("gets commander's own suggestion, and exit 2", () => {
    const command = spawnSync(process.execPath, [CLI, "chek", "org-acme"], { encoding: "utf8" });
    expect([command.status, command.stderr]).toEqual([2, expect.stringMatching(/^error: unknown command 'chek'\n\(Did you mean check\?\)\n/)]);
    const option = spawnSync(process.execPath, [CLI, "up", "--locl", "org-acme"], { encoding: "utf8" });
    expect([option.status, option.stderr]).toEqual([2, expect.stringMatching(/^error: unknown option '--locl'\n\(Did you mean --local\?\)\n/)]);
  });
});
