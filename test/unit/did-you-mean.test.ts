import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { distance } from "fastest-levenshtein";
import { afterAll, describe, expect, it } from "vitest";
import { resolveStackFile } from "../../harness/stack-file";
import { closeEnough, closestName } from "../../spec/closest-name";
import { orgSpecSchema, parseOrgSpec, quotasSchema } from "../../spec/spec";
import { SpecError } from "../../spec/spec-errors";
import { NOW, validOrgInput } from "../helpers/spec-builder";

/*
 * "Did you mean": a slip in a field name or a stack name is answered with the name meant, read
 * from the schema (or stacks/) at that place; a name far from every known one gets no guess.
 */

const TOP_LEVEL = Object.keys(orgSpecSchema(NOW).shape);
const QUOTAS = Object.keys(quotasSchema.shape);
const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** `key` with one insertion, deletion or substitution of a letter: one edit away. */
function oneEditFrom(keys: readonly string[]): fc.Arbitrary<{ key: string; typo: string }> {
  return fc.tuple(fc.constantFrom(...keys), fc.constantFrom("insert", "delete", "substitute"), fc.nat(), fc.constantFrom(...LETTERS))
    .map(([key, edit, at, letter]) => {
      const i = at % (key.length + (edit === "insert" ? 1 : 0));
      const typo = edit === "insert" ? key.slice(0, i) + letter + key.slice(i)
        : edit === "delete" ? key.slice(0, i) + key.slice(i + 1)
          : key.slice(0, i) + letter + key.slice(i + 1);
      return { key, typo };
    })
    .filter(({ typo }) => typo.length > 0 && !keys.includes(typo));
}

function problemsOf(org: Record<string, unknown>): string[] {
  try {
    parseOrgSpec(org, { now: NOW });
    return [];
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    return error.problems.map((p) => p.message);
  }
}

describe("the closest name", () => {
  it("is suggested for any name one edit away from a known one: that name, unless another is as close", () => {
    fc.assert(fc.property(oneEditFrom(TOP_LEVEL), ({ key, typo }) => {
      const suggested = closestName(typo, TOP_LEVEL);
      expect(suggested).toBeDefined();
      const nearest = Math.min(...TOP_LEVEL.map((k) => distance(typo.toLowerCase(), k.toLowerCase())));
      expect(distance(typo.toLowerCase(), String(suggested).toLowerCase())).toBe(nearest);
      if (TOP_LEVEL.filter((k) => distance(typo.toLowerCase(), k.toLowerCase()) === nearest).length === 1) expect(suggested).toBe(key);
    }), { numRuns: 500 });
  });

  it("is never guessed for a name far from every known one", () => {
    const far = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz_"), minLength: 1, maxLength: 20 })
      .filter((word) => TOP_LEVEL.every((k) => distance(word, k.toLowerCase()) > closeEnough(k)));
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
    fc.assert(fc.property(oneEditFrom(TOP_LEVEL), fc.boolean(), ({ typo }, inQuotas) => {
      const org = validOrgInput();
      const field = inQuotas ? `tenantry:org.quotas.${typo}` : `tenantry:org.${typo}`;
      if (inQuotas) (org["quotas"] as Record<string, unknown>)[typo] = 1;
      else org[typo] = 1;
      const [message] = problemsOf(org).filter((m) => m.startsWith(`${field} is not a known field`));
      const meant = closestName(typo, inQuotas ? QUOTAS : TOP_LEVEL);
      // Each place's own keys only: a top-level slip is never answered with a quota's name.
      expect(message).toBe(`${field} is not a known field (unknown keys are refused so a typo never falls back to a default)${meant === undefined ? "" : `; did you mean ${meant}?`}`);
    }), { numRuns: 200 });
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
