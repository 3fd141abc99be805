import fc from "fast-check";

/*
 * Spellings of an address a password-login user of acme.com might choose so that the router reads
 * it as outside acme.com while an app reads it as inside, and the readings an app might make.
 * Shared by the SSO rule's unit test and its attack through the real router in workerd.
 */

export const isUnderAcme = (domain: string) => domain === "acme.com" || domain.endsWith(".acme.com");

/**
 * The ways an app (or a mail system) might read the domain of the address it is handed: after
 * the first or the last `@`, case-folded, percent-decoded, without a root dot, a port, brackets
 * or quotes. If any of them lands in acme.com, the router must have held the token to SSO.
 */
export function appReadings(address: string): string[] {
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

export const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
export const localPart = fc.stringMatching(/^[a-zA-Z0-9._%+-]{1,12}$/);

/** Pieces an attacker glues into an address: the claimed domain in disguises, separators, encodings. */
export const fragment = fc.oneof(
  fc.constantFrom("acme.com", "ACME.COM", "Acme.Com", "eu.acme.com", "acme.com.", "acme.com..", "acme%2ecom", "acme%2Ecom", "%61cme.com", "[acme.com]", "\"acme.com\"", "acme.com:25", "<acme.com>"),
  fc.constantFrom("@", ".", "%40", "%2e", "\"", "(", ")", ",", ";", ":", "\\", "!", "[", "]", "-", "+"),
  fc.constantFrom("outside.io", "evil.example", "outside-acme.com", "acme.com.evil"),
  label,
);

/** Any printable-ASCII address with at least one `@` built from those pieces. */
export const gluedAddress = fc
  .tuple(localPart, fc.array(fragment, { minLength: 1, maxLength: 6 }))
  .map(([local, parts]) => `${local}@${parts.join("")}`)
  .filter((address) => /^[\x21-\x7e]+@[\x21-\x7e]+$/.test(address));

