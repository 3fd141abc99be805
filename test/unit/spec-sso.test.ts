import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseOrgSpec } from "../../spec/spec";
import { SpecError } from "../../spec/spec-errors";
import { PUBLIC_MAIL_DOMAINS } from "../../spec/spec-rules";
import { IDENTITY_CLAIMS } from "../../spec/sso-spec";
import { NOW, validOrgInput } from "../helpers/spec-builder";

/* `sso` in the org spec, as the stack-file author who would switch the guard off would write it. */

type Org = Record<string, unknown>;

function problemsOf(mutate: (org: Org) => void): string[] {
  const org = validOrgInput();
  mutate(org);
  try {
    parseOrgSpec(org, { now: NOW });
    return [];
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    return error.problems.map((p) => p.message);
  }
}

describe("the org spec's sso", () => {
  it("is off by default, with the amr claim and the sso value ready", () => {
    expect(parseOrgSpec(validOrgInput(), { now: NOW }).sso).toEqual({ enforce: false, claim: "amr", values: ["sso"] });
  });

  it("accepts enforcement over the org's claimed domains", () => {
    const org = { ...validOrgInput(), sso: { enforce: true } };
    expect(parseOrgSpec(org, { now: NOW }).sso).toEqual({ enforce: true, claim: "amr", values: ["sso"] });
  });

  it("refuses enforcement without claimed domains, naming the field", () => {
    // The happy-path spec names a user at acme.com, which needs the domain claimed: make that app's policy role-based.
    expect(problemsOf((o) => { o["apps"] = []; o["claimedDomains"] = []; o["sso"] = { enforce: true }; }))
      .toEqual(["tenantry:org.sso.enforce requires claimedDomains: list the org's own e-mail domains whose users must sign in through SSO"]);
  });

  it("refuses every public mail domain as a claimed domain, from the one list", () => {
    for (const domain of PUBLIC_MAIL_DOMAINS) {
      const problems = problemsOf((o) => { o["apps"] = []; o["claimedDomains"] = [domain]; o["sso"] = { enforce: true }; });
      expect(problems).toContain(`tenantry:org.claimedDomains[0] must not be a public mail provider (${domain}): anyone can get an address there`);
    }
  });

  it("refuses a claim every token carries, since naming it would admit everyone", () => {
    for (const claim of IDENTITY_CLAIMS) {
      expect(problemsOf((o) => { o["sso"] = { enforce: true, claim }; }))
        .toEqual([`tenantry:org.sso.claim must be a claim that says how the user signed in (such as amr or acr), not one every token carries (${IDENTITY_CLAIMS.join(", ")})`]);
    }
  });

  it("refuses claim names that are not short identifiers", () => {
    fc.assert(fc.property(fc.oneof(fc.string().filter((s) => !/^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/.test(s)), fc.constant("a".repeat(65))), (claim) => {
      expect(problemsOf((o) => { o["sso"] = { enforce: true, claim }; })).toEqual([
        "tenantry:org.sso.claim must be a token claim name: 1..64 characters of letters, digits, _ . : -, starting with a letter",
      ]);
    }));
  });

  it("bounds values both ways, in count and in length", () => {
    expect(problemsOf((o) => { o["sso"] = { enforce: true, values: [] }; })).toEqual(["tenantry:org.sso.values must list 1..10 values"]);
    expect(problemsOf((o) => { o["sso"] = { enforce: true, values: Array.from({ length: 11 }, (_, i) => `v${i}`) }; })).toEqual(["tenantry:org.sso.values must list 1..10 values"]);
    expect(problemsOf((o) => { o["sso"] = { enforce: true, values: ["x".repeat(65)] }; })).toEqual(["tenantry:org.sso.values[0] must be 1..64 printable characters, no spaces"]);
    expect(problemsOf((o) => { o["sso"] = { enforce: true, values: [""] }; })).toEqual(["tenantry:org.sso.values[0] must be 1..64 printable characters, no spaces"]);
  });

  it("refuses unknown keys and a non-boolean enforce", () => {
    expect(problemsOf((o) => { o["sso"] = { enforce: true, bypass: true }; })).toHaveLength(1);
    expect(problemsOf((o) => { o["sso"] = { enforce: "yes" }; })).toEqual(["tenantry:org.sso.enforce must be true or false"]);
  });
});
