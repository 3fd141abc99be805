import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isClaimedAddress, saysSso, ssoAdmits, type SsoPolicy } from "../../workers/lib/sso";

/*
 * Property 17 as the internet client would attack it: a token for a claimed-domain address that
 * did not come through SSO (a password login at the same IdP) must not pass; anything it tries
 * with the address's case, a look-alike domain or the claim's shape must not help.
 */

const ENFORCED: SsoPolicy = { enforce: true, claimedDomains: ["acme.com"], claim: "amr", values: ["sso"] };

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/);
const localPart = fc.stringMatching(/^[a-z0-9._%+-]{1,20}$/);
/** The same text with each letter's case chosen at random. */
const anyCase = (text: string) =>
  fc.array(fc.boolean(), { minLength: text.length, maxLength: text.length }).map((upper) => [...text].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(""));

/** Domains that look like acme.com but are not it or under it: a suffix after it, letters glued before it, a near spelling. */
const lookAlike = fc.oneof(
  label.map((l) => `acme.com.${l}`),
  label.map((l) => `${l}acme.com`),
  label.map((l) => `${l}-acme.com`),
  fc.constantFrom("acme.co", "acme.comm", "acme.org", "acme-com", "acmecom", "acme.com-evil.io", "xn--acme.com", "acme.co.m"),
);

/** Every claim shape that does not name an accepted value: absent, other strings, arrays without it, other types. */
const notSso = fc.oneof(
  fc.constant(undefined),
  fc.string().filter((s) => s !== "sso"),
  fc.array(fc.string().filter((s) => s !== "sso"), { maxLength: 5 }),
  fc.constantFrom("SSO", " sso", "sso ", ["SSO"], ["pwd"], ["pwd", "mfa"], "pwd sso", [["sso"]], { sso: true }, ["sso"].join(",") + ",", null, true, 1),
  fc.object(),
);

const withClaim = (value: unknown): Record<string, unknown> => (value === undefined ? {} : { amr: value });

describe("SSO for claimed domains: the router's decision", () => {
  it("refuses every claimed-domain address, whatever its case, unless its amr names sso", () => {
    fc.assert(fc.property(localPart, anyCase("acme.com"), notSso, (local, domain, amr) => {
      expect(ssoAdmits(ENFORCED, `${local}@${domain}`, withClaim(amr))).toBe(false);
    }));
  });

  it("admits a claimed-domain address whose amr names sso, as a string or among other methods", () => {
    fc.assert(fc.property(localPart, anyCase("acme.com"), fc.array(fc.string(), { maxLength: 4 }), fc.nat(4), fc.boolean(), (local, domain, others, at, asString) => {
      const amr = asString ? "sso" : [...others.slice(0, at), "sso", ...others.slice(at)];
      expect(ssoAdmits(ENFORCED, `${local}@${domain}`, { amr })).toBe(true);
    }));
  });

  it("holds subdomains of a claimed domain to SSO as well, compared label by label", () => {
    fc.assert(fc.property(localPart, fc.array(label, { minLength: 1, maxLength: 3 }), notSso, (local, labels, amr) => {
      const address = `${local}@${labels.join(".")}.acme.com`;
      expect(isClaimedAddress(address, ["acme.com"])).toBe(true);
      expect(ssoAdmits(ENFORCED, address, withClaim(amr))).toBe(false);
    }));
  });

  it("leaves look-alike domains (acme.com.evil, evilacme.com, acme.co) unaffected", () => {
    fc.assert(fc.property(localPart, lookAlike, notSso, (local, domain, amr) => {
      expect(isClaimedAddress(`${local}@${domain}`, ["acme.com"])).toBe(false);
      expect(ssoAdmits(ENFORCED, `${local}@${domain}`, withClaim(amr))).toBe(true);
    }));
  });

  it("leaves every token as it was while SSO is not enforced", () => {
    fc.assert(fc.property(localPart, anyCase("acme.com"), notSso, (local, domain, amr) => {
      expect(ssoAdmits({ enforce: false }, `${local}@${domain}`, withClaim(amr))).toBe(true);
    }));
  });

  it("reads the claim the org names, and only that claim", () => {
    const acr: SsoPolicy = { enforce: true, claimedDomains: ["acme.com"], claim: "acr", values: ["urn:acme:sso", "phr"] };
    expect(ssoAdmits(acr, "a@acme.com", { acr: "urn:acme:sso" })).toBe(true);
    expect(ssoAdmits(acr, "a@acme.com", { acr: ["phr"] })).toBe(true);
    // The default claim's right value does not stand in for the named claim.
    expect(ssoAdmits(acr, "a@acme.com", { amr: ["sso"], acr: "pwd" })).toBe(false);
    expect(ssoAdmits(acr, "a@acme.com", { amr: ["sso"] })).toBe(false);
  });

  it("does not take an inherited property for the claim", () => {
    const claims = Object.create({ amr: ["sso"] }) as Record<string, unknown>;
    expect(ssoAdmits(ENFORCED, "a@acme.com", claims)).toBe(false);
  });

  it("accepts a claim value only by exact match, as a string or an array of strings", () => {
    expect(saysSso("sso", ["sso"])).toBe(true);
    expect(saysSso(["pwd", "sso"], ["sso"])).toBe(true);
    for (const shape of [undefined, null, 1, true, {}, { 0: "sso" }, [["sso"]], "SSO", "sso,pwd", ["Sso"]]) expect(saysSso(shape, ["sso"])).toBe(false);
  });
});
