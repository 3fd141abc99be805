import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { proofJson } from "../../cli/render-proof";
import { tagged } from "../../local/proof/claim";
import { savedProofOf } from "../../report/saved-proof";
import { SpecError } from "../../spec/spec-errors";

const provenance = { provedAt: "2026-11-27T10:00:01.000Z", tenantry: { version: "0.1.0", commit: "abc" } };
const saved = (stack = "org-acme") => JSON.stringify(proofJson([{
  stack, target: "embedded",
  results: tagged([5], [{ claim: "no tenant role can UPDATE the ledger", attempt: "tn_acme_dev_runtime: UPDATE audit.events", result: "refused 42501", status: "pass" }], "2026-11-27T10:00:00.000Z"),
}], provenance));

const messagesOf = (text: string, stack = "org-acme"): string[] => {
  try {
    savedProofOf(text, "saved.json", stack);
    return [];
  } catch (error) {
    if (error instanceof SpecError) return error.problems.map((p) => p.message);
    throw error;
  }
};

describe("a saved proof read back by tenantry report --proof", () => {
  it("reads what prove --local --json wrote, for its own stack", () => {
    const { proof, stack } = savedProofOf(saved(), "saved.json", "org-acme");
    expect(proof.provedAt).toBe("2026-11-27T10:00:01.000Z");
    expect(stack.claims).toEqual([{ claim: "no tenant role can UPDATE the ledger", attempt: "tn_acme_dev_runtime: UPDATE audit.events", result: "refused 42501", status: "pass", properties: [5], at: "2026-11-27T10:00:00.000Z" }]);
  });

  it("refuses a proof of another stack, naming both", () => {
    expect(messagesOf(saved("org-globex"))).toEqual([
      "--proof saved.json is a proof of org-globex, not of org-acme: prove this stack (tenantry prove --local org-acme --json) or name the stack it is for",
    ]);
  });

  it("names the field that is wrong, and never echoes the file's strings", () => {
    const json = JSON.parse(saved()) as { stacks: { claims: Record<string, unknown>[] }[] };
    const claim = json.stacks[0]?.claims[0];
    if (claim === undefined) throw new Error("no claim");
    claim["status"] = "passed-sk_live_canary";
    claim["properties"] = [21];
    expect(messagesOf(JSON.stringify(json))).toEqual([
      "--proof.stacks[0].claims[0].status must be one of pass, fail, skip (in saved.json, which must be the output of tenantry prove --local --json)",
      "--proof.stacks[0].claims[0].properties[0] must be at most 20 (in saved.json, which must be the output of tenantry prove --local --json)",
    ]);
  });

  it("refuses a proof without its time (saved before proofs carried one) and unknown keys", () => {
    const { provedAt: _, ...rest } = JSON.parse(saved()) as Record<string, unknown>;
    expect(messagesOf(JSON.stringify({ ...rest, extra: 1 }))).toEqual([
      "--proof.provedAt must be a string (missing) (in saved.json, which must be the output of tenantry prove --local --json)",
      "--proof has unknown key(s) extra (in saved.json, which must be the output of tenantry prove --local --json)",
    ]);
  });

  it("refuses what is not JSON", () => {
    expect(messagesOf("{ not json")).toEqual(["--proof saved.json is not JSON: save it with tenantry prove --local org-acme --json > saved.json"]);
  });

  it("never lets a string of the file into an error message (generated values planted in every string field)", () => {
    fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9_]{12,24}$/), fc.constantFrom("status", "at", "claim"), (canary, field) => {
      const json = JSON.parse(saved()) as { stacks: { claims: Record<string, unknown>[] }[] };
      const claim = json.stacks[0]?.claims[0];
      if (claim === undefined) throw new Error("no claim");
      claim[field] = field === "claim" ? 7 : `x${canary}`;
      const messages = messagesOf(JSON.stringify({ ...json, [`k${canary}`]: 1 }));
      expect(messages.length).toBeGreaterThan(0);
      // The unknown key's name is shown (a key, not a value); no value is.
      expect(messages.filter((m) => !m.includes("unknown key")).join("\n")).not.toContain(canary);
    }));
  });
});

describe("a saved proof's times, as a hand-editor might set them", () => {
  const now = new Date("2026-11-27T12:00:00.000Z");
  const at = (ms: number) => new Date(ms).toISOString();
  const withTimes = (provedAt: string, claimAt: string) => {
    const json = JSON.parse(saved()) as { provedAt: string; stacks: { claims: { at?: string }[] }[] };
    const claim = json.stacks[0]?.claims[0];
    if (claim === undefined) throw new Error("no claim");
    claim.at = claimAt;
    return JSON.stringify({ ...json, provedAt });
  };
  const refusals = (text: string) => {
    try {
      savedProofOf(text, "saved.json", "org-acme", now);
      return [];
    } catch (error) {
      if (error instanceof SpecError) return error.problems.map((p) => p.message);
      throw error;
    }
  };

  it("accepts claims run before the proof was written, and a proof written before now (within five minutes of clock skew)", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 ** 9 }), fc.integer({ min: -5 * 60_000, max: 10 ** 9 }), (beforeProof, beforeNow) => {
      const provedAt = now.getTime() - beforeNow;
      expect(refusals(withTimes(at(provedAt), at(provedAt - beforeProof)))).toEqual([]);
    }));
  });

  it("refuses a proof dated in the future and a claim run after the proof was written, naming the field", () => {
    fc.assert(fc.property(fc.integer({ min: 5 * 60_000 + 1, max: 10 ** 10 }), fc.integer({ min: 1, max: 10 ** 9 }), (ahead, after) => {
      expect(refusals(withTimes(at(now.getTime() + ahead), at(now.getTime() - 1)))).toEqual(["--proof.provedAt is later than now (in saved.json): a proof cannot have run in the future"]);
      expect(refusals(withTimes(at(now.getTime() - after - 1), at(now.getTime() - 1)))).toEqual([
        "--proof.stacks[0].claims[0].at is later than the proof's provedAt (in saved.json): prove writes provedAt after every claim has run",
      ]);
    }));
  });

  it("shows an unknown key's control characters as escapes, so a key cannot drive the terminal", () => {
    const json = JSON.parse(saved()) as Record<string, unknown>;
    const messages = refusals(JSON.stringify({ ...json, "\u001b]0;owned\u0007\u001b[2J": 1 }));
    expect(messages).toEqual(["--proof has unknown key(s) \\u001b]0;owned\\u0007\\u001b[2J (in saved.json, which must be the output of tenantry prove --local --json)"]);
    expect(messages.join("").split("").some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
  });
});

describe("a saved proof's target", () => {
  it("is refused unless it is what prove --local writes, so no sentence of the file's reaches the provenance line", () => {
    fc.assert(fc.property(fc.string().filter((t) => t !== "embedded"), (target) => {
      const json = JSON.parse(saved()) as { stacks: { target: string }[] };
      const [stack] = json.stacks;
      if (stack === undefined) throw new Error("no stack");
      stack.target = target;
      expect(messagesOf(JSON.stringify(json))).toEqual(["--proof.stacks[0].target must be one of embedded (in saved.json, which must be the output of tenantry prove --local --json)"]);
    }));
    expect(messagesOf(saved())).toEqual([]); // control: prove's own target is read
  });
});
