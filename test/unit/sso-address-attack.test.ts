import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isClaimedAddress, ssoAdmits, type SsoPolicy } from "../../workers/lib/sso";

/*
 * Property 17 as a person of acme.com who only has a password login would attack it: they cannot
 * forge a token, but they can choose (or get their IdP profile set to) an odd form of their
 * address, hoping the router reads it as outside acme.com while an app reads it as inside. Every
 * address here passes the router's ASCII check (`^[\x21-\x7e]+@[\x21-\x7e]+$`), so it reaches
 * the SSO rule.
 */

const ENFORCED: SsoPolicy = { enforce: true, claimedDomains: ["acme.com"], claim: "amr", values: ["sso"] };
const PASSWORD = { amr: ["pwd"] };

const isUnderAcme = (domain: string) => domain === "acme.com" || domain.endsWith(".acme.com");

/**
 * The ways an app (or a mail system) might read the domain of the address it is handed: after
 * the first or the last `@`, case-folded, percent-decoded, without a root dot, a port, brackets
 * or quotes. If any of them lands in acme.com, the router must have held the token to SSO.
 */
function appReadings(address: string): string[] {
  const afterFirst = address.slice(address.indexOf("@") + 1);
  const afterLast = address.slice(address.lastIndexOf("@") + 1);
  return [afterFirst, afterLast].flatMap((raw) => {
    const decoded = (() => {
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    })();
    return [raw, decoded].map((d) =>
      d.toLowerCase()
        .replace(/^[["(<]+|[\]")>]+$/g, "")
        .replace(/:\d*$/, "")
        .replace(/\.+$/, ""),
    );
  });
}

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
const localPart = fc.stringMatching(/^[a-zA-Z0-9._%+-]{1,12}$/);

/** Pieces an attacker glues into an address: the claimed domain in disguises, separators, encodings. */
const fragment = fc.oneof(
  fc.constantFrom("acme.com", "ACME.COM", "Acme.Com", "eu.acme.com", "acme.com.", "acme.com..", "acme%2ecom", "acme%2Ecom", "%61cme.com", "[acme.com]", "\"acme.com\"", "acme.com:25", "<acme.com>"),
  fc.constantFrom("@", ".", "%40", "%2e", "\"", "(", ")", ",", ";", ":", "\\", "!", "[", "]", "-", "+"),
  fc.constantFrom("outside.io", "evil.example", "outside-acme.com", "acme.com.evil"),
  label,
);

/** Any printable-ASCII address with at least one `@` built from those pieces. */
const gluedAddress = fc
  .tuple(localPart, fc.array(fragment, { minLength: 1, maxLength: 6 }))
  .map(([local, parts]) => `${local}@${parts.join("")}`)
  .filter((address) => /^[\x21-\x7e]+@[\x21-\x7e]+$/.test(address));

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
