import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseOrgSpec } from "../../spec/spec";
import { PUBLIC_MAIL_DOMAINS } from "../../spec/spec-rules";
import { IDENTITY_CLAIMS, NOT_SIGN_IN_CLAIMS } from "../../spec/sso-spec";
import { NOW, problemsAfter, validOrgInput } from "../helpers/spec-builder";

/* `sso` in the org spec, as the stack-file author who would switch the guard off would write it. */

type Org = Record<string, unknown>;

const problemsOf = (mutate: (org: Org) => void) => problemsAfter(mutate);

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

  /** The stack-file author's disguises of a public mail domain: case, the root dot, spaces, full-width letters, a subdomain (the provider's alone to hand out). */
  const disguisedPublicMail = fc.tuple(fc.constantFrom(...PUBLIC_MAIL_DOMAINS), fc.array(fc.boolean(), { maxLength: 20 }), fc.constantFrom("case", "dot", "space", "fullwidth", "subdomain"), fc.stringMatching(/^[a-z0-9]{1,10}$/))
    .map(([domain, flips, how, label]) => {
      switch (how) {
        case "case": return [...domain].map((c, i) => (flips[i] ? c.toUpperCase() : c)).join("").replace(/^[a-z]/, (c) => c.toUpperCase());
        case "dot": return `${domain}.`;
        case "space": return ` ${domain} `;
        case "fullwidth": return domain.replace(/[a-z]/, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
        default: return `${label}.${domain}`;
      }
    });

  it("refuses a public mail domain in every disguise as a claimed domain", () => {
    fc.assert(fc.property(disguisedPublicMail, (domain) => {
      const problems = problemsOf((o) => { o["apps"] = []; o["claimedDomains"] = [domain]; o["sso"] = { enforce: true }; });
      expect(problems.filter((p) => p.startsWith("tenantry:org.claimedDomains[0] "))).toHaveLength(1);
    }), { numRuns: 300 });
  });

  it("refuses a claim every token carries, since naming it would admit everyone, and names the claim and the list", () => {
    for (const claim of IDENTITY_CLAIMS) {
      expect(problemsOf((o) => { o["sso"] = { enforce: true, claim }; }))
        .toEqual([`tenantry:org.sso.claim must be a claim that says how the user signed in (amr, acr, or a claim of the IdP's own), not ${claim}: a registered claim about who the user is or what the token is for (${NOT_SIGN_IN_CLAIMS.join(", ")})`]);
    }
  });

  /**
   * OpenID Connect's standard claims and the other registered ones that say who the user is or
   * what the token is for. Several are the user's to set in their own profile at many IdPs
   * (nickname, preferred_username, name, website, locale): with `claim: nickname, values: [sso]`
   * a password-login user who names themself "sso" would pass.
   */
  const NOT_HOW_SIGNED_IN = [
    "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username", "profile", "picture", "website",
    "gender", "birthdate", "zoneinfo", "locale", "phone_number", "phone_number_verified", "address", "updated_at",
    "auth_time", "nonce", "azp", "at_hash", "c_hash", "sid", "scope", "client_id", "act", "may_act", "cnf", "roles", "groups", "entitlements",
  ];

  it("refuses every registered claim that says who the user is or what the token is for, some of which users set themselves", () => {
    for (const claim of [...IDENTITY_CLAIMS, ...NOT_HOW_SIGNED_IN]) {
      const problems = problemsOf((o) => { o["sso"] = { enforce: true, claim }; });
      expect(problems, claim).toHaveLength(1);
      expect(problems[0], claim).toMatch(/^tenantry:org\.sso\.claim must be a claim that says how the user signed in/);
    }
  });

  it("accepts amr, acr and any claim name of the IdP's own", () => {
    const registered = new Set<string>([...IDENTITY_CLAIMS, ...NOT_HOW_SIGNED_IN]);
    fc.assert(fc.property(fc.oneof(fc.constantFrom("amr", "acr", "idp", "https:acme.com:login"), fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/)), (claim) => {
      fc.pre(!registered.has(claim));
      expect(problemsOf((o) => { o["sso"] = { enforce: true, claim }; })).toEqual([]);
    }));
  });

  it("refuses claim names that are not short identifiers", () => {
    fc.assert(fc.property(fc.oneof(fc.string().filter((s) => !/^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/.test(s)), fc.constant("a".repeat(65))), (claim) => {
      expect(problemsOf((o) => { o["sso"] = { enforce: true, claim }; })).toEqual([
        "tenantry:org.sso.claim must be a token claim name: 1..64 characters of letters, digits, _ . : -, starting with a letter",
      ]);
    }));
  });

  /** IANA's Authentication Method Reference Values (RFC 8176 and later): how a user proved who they are. */
  const RFC8176_METHODS = ["face", "fpt", "geo", "hwk", "iris", "kba", "mca", "mfa", "otp", "pin", "pop", "pwd", "rba", "retina", "sc", "sms", "swk", "tel", "user", "vbm", "wia"];

  it("refuses, with claim amr, any value that is a registered method, since a password login can carry it (pwd, mfa, otp ...)", () => {
    fc.assert(fc.property(fc.constantFrom(...RFC8176_METHODS), fc.array(fc.constantFrom("sso", "fed", "urn:acme:sso"), { maxLength: 2 }), fc.nat(2), (method, others, at) => {
      const values = [...new Set([...others.slice(0, at), method, ...others.slice(at)])];
      const i = values.indexOf(method);
      expect(problemsOf((o) => { o["sso"] = { enforce: true, claim: "amr", values }; }))
        .toEqual([`tenantry:org.sso.values[${i}] must not be ${method}, a method RFC 8176 registers for amr: it says how a user proved who they are, which a password login can say too, not that they came through the org's SSO`]);
    }));
  });

  it("accepts a value of the IdP's own with amr, and any value with another claim", () => {
    fc.assert(fc.property(fc.stringMatching(/^[\x21-\x7e]{1,64}$/), fc.constantFrom("amr", "acr", "idp"), (value, claim) => {
      fc.pre(claim !== "amr" || !RFC8176_METHODS.includes(value));
      expect(problemsOf((o) => { o["sso"] = { enforce: true, claim, values: [value] }; })).toEqual([]);
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
