import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isClaimedAddress, ssoAdmits, type SsoPolicy } from "../../workers/lib/sso";
import { appReadings, gluedAddress, isUnderAcme, label, localPart } from "../helpers/address-disguises";

/*
 * Property 17 as a person of acme.com who only has a password login would attack it: they cannot
 * forge a token, but they can choose (or get their IdP profile set to) an odd form of their
 * address, hoping the router reads it as outside acme.com while an app reads it as inside. Every
 * address here passes the router's ASCII check (`^[\x21-\x7e]+@[\x21-\x7e]+$`), so it reaches
 * the SSO rule.
 */

const ENFORCED: SsoPolicy = { enforce: true, claimedDomains: ["acme.com"], claim: "amr", values: ["sso"] };
const PASSWORD = { amr: ["pwd"] };

describe("SSO for claimed domains: the address forms a password-login user of acme.com might try", () => {
  it("holds to SSO every address that any reading an app might make puts in acme.com", () => {
    fc.assert(
      fc.property(gluedAddress, (address) => {
        fc.pre(appReadings(address).some(isUnderAcme));
        expect(ssoAdmits(ENFORCED, address, PASSWORD)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it("treats the root-dot form (acme.com.) as the domain itself, in any case", () => {
    fc.assert(fc.property(localPart, fc.constantFrom("acme.com.", "ACME.com.", "eu.acme.com.", "Eu.Acme.Com."), (local, domain) => {
      expect(isClaimedAddress(`${local}@${domain}`, ["acme.com"])).toBe(true);
      expect(ssoAdmits(ENFORCED, `${local}@${domain}`, PASSWORD)).toBe(false);
    }));
  });

  it("holds an address with several @ to SSO, wherever acme.com sits in it", () => {
    fc.assert(fc.property(localPart, fc.array(label, { minLength: 1, maxLength: 2 }), fc.boolean(), (local, labels, acmeFirst) => {
      const other = `${labels.join(".")}.example`;
      const address = acmeFirst ? `${local}@acme.com@${other}` : `${local}@${other}@acme.com`;
      expect(ssoAdmits(ENFORCED, address, PASSWORD)).toBe(false);
    }));
  });

  it("holds any address with a character outside ASCII to SSO by itself, without the router's ASCII check in front", () => {
    // Look-alikes and case-folding traps: Cyrillic a, full-width @ and letters, the one-dot leader, a zero-width space, the Kelvin sign (lower-cases to k).
    const trap = fc.constantFrom("\u0430", "\uff20", "\uff41", "\u2024", "\u200b", "\u212a", "\u0131", "\u00e9", "\u{1d41a}");
    fc.assert(fc.property(localPart, fc.constantFrom("acme.com", "outside.io", "eu.acme.com"), trap, fc.nat(30), (local, domain, char, at) => {
      const address = `${local}@${domain}`;
      const i = at % (address.length + 1);
      const spelled = address.slice(0, i) + char + address.slice(i);
      expect(isClaimedAddress(spelled, ["acme.com"])).toBe(true);
      expect(ssoAdmits(ENFORCED, spelled, PASSWORD)).toBe(false);
    }));
  });

  it("still admits an SSO token for any of those forms (the rule refuses only what lacks SSO)", () => {
    fc.assert(fc.property(gluedAddress, (address) => {
      expect(ssoAdmits(ENFORCED, address, { amr: ["sso"] })).toBe(true);
    }));
  });

  it("leaves every plain outside address unaffected: one @, letters-digits-hyphens labels, any case, with or without the root dot", () => {
    fc.assert(fc.property(localPart, fc.array(label, { minLength: 1, maxLength: 3 }), fc.boolean(), fc.boolean(), (local, labels, upper, rootDot) => {
      const domain = `${labels.join(".")}.example`;
      fc.pre(!isUnderAcme(domain));
      const written = `${upper ? domain.toUpperCase() : domain}${rootDot ? "." : ""}`;
      expect(isClaimedAddress(`${local}@${written}`, ["acme.com"])).toBe(false);
      expect(ssoAdmits(ENFORCED, `${local}@${written}`, PASSWORD)).toBe(true);
    }));
  });
});
