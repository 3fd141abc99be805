import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_TOKEN_TTL_SECONDS, TOKEN_TTL_BOUNDS, tokenTtlFromText } from "../../local/dev-defaults";
import { parseTokenRequest, tokenRoles } from "../../local/dev-token";
import { MAX_TOKEN_AGE } from "../../workers/lib/token-age";
import { SpecError } from "../../spec/spec-errors";
import { parseOrgSpec } from "../../spec/spec";
import { NOW, validOrgInput } from "../helpers/spec-builder";

/*
 * `tenantry token`'s options, as a user who mistypes them or tries to mint a token for a role or
 * workspace the org does not have: only what the spec declares is signed, and every refusal
 * names the option.
 */

const spec = parseOrgSpec({ ...validOrgInput(), roles: [{ name: "billing-clerk", base: "viewer", permissions: ["app.read"] }] }, { now: NOW });
const declaredWorkspaces = spec.workspaces.map((w) => w.slug);

function problems(request: Parameters<typeof parseTokenRequest>[1]): string[] {
  try {
    parseTokenRequest(spec, request);
  } catch (error) {
    if (error instanceof SpecError) return error.problems.map((p) => p.message);
    throw error;
  }
  return [];
}

describe("tenantry token's options", () => {
  it("signs for every base and custom role and any set of declared workspaces, in the org of the stack", () => {
    fc.assert(fc.property(fc.constantFrom(...tokenRoles(spec)), fc.subarray(declaredWorkspaces), (role, workspaces) => {
      const grant = parseTokenRequest(spec, { email: "someone@acme.com", role, workspaces: workspaces.join(",") });
      expect(grant.subject).toEqual({ sub: "someone@acme.com", email: "someone@acme.com", org: "acme", role, workspaces });
      expect(grant.ttlSeconds).toBe(DEFAULT_TOKEN_TTL_SECONDS);
    }));
  });

  it("lists the base roles, then the org's custom roles", () => {
    expect(tokenRoles(spec)).toEqual(["owner", "admin", "developer", "viewer", "billing-clerk"]);
  });

  it("refuses any role the spec does not declare, whatever its spelling, naming --role and not echoing it", () => {
    const roles = tokenRoles(spec);
    const near = fc.constantFrom(...roles).chain((r) => fc.constantFrom(r.toUpperCase(), ` ${r}`, `${r} `, `${r}s`, r.replace("-", "_")));
    fc.assert(fc.property(fc.oneof(fc.string(), near).filter((r) => !roles.includes(r)), (role) => {
      expect(problems({ email: "someone@acme.com", role })).toEqual(["--role must be one of owner, admin, developer, viewer, billing-clerk (the base roles and tenantry:org.roles)"]);
    }));
  });

  it("refuses any workspace the spec does not declare, naming its position", () => {
    const slug = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/).filter((w) => !declaredWorkspaces.includes(w));
    fc.assert(fc.property(fc.subarray(declaredWorkspaces), slug, fc.nat(), (declared, undeclared, at) => {
      const list = [...declared];
      const index = at % (list.length + 1);
      list.splice(index, 0, undeclared);
      expect(problems({ email: "someone@acme.com", role: "viewer", workspaces: list.join(",") }))
        .toEqual([`--workspaces[${index}] must be a workspace of tenantry:org.workspaces (web, billing)`]);
    }));
  });

  it("refuses a workspace named twice", () => {
    expect(problems({ email: "someone@acme.com", role: "viewer", workspaces: "web,billing,web" })).toEqual(["--workspaces[2] repeats --workspaces[0]"]);
  });

  it("refuses an e-mail address the spec's own rule refuses (upper case, no domain)", () => {
    for (const email of ["CFO@acme.com", "cfo", "cfo@acme", ""]) {
      expect(problems({ email, role: "viewer" })).toEqual(["--email must be a lower-case e-mail address"]);
    }
  });

  it("takes a lifetime of 60..43200 whole seconds, the router's maximum token age", () => {
    expect(parseTokenRequest(spec, { email: "a@acme.com", role: "viewer", ttlSeconds: 60 }).ttlSeconds).toBe(60);
    expect(parseTokenRequest(spec, { email: "a@acme.com", role: "viewer", ttlSeconds: 43_200 }).ttlSeconds).toBe(43_200);
    for (const ttlSeconds of [59, 43_201, 60.5, -60]) {
      expect(problems({ email: "a@acme.com", role: "viewer", ttlSeconds })).toEqual([`--ttl must be whole seconds 60..43200 (got ${ttlSeconds})`]);
    }
  });

  it("reads --ttl as whole seconds within the bounds, and nothing else", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 * MAX_TOKEN_AGE }), (seconds) => {
      const inBounds = seconds >= TOKEN_TTL_BOUNDS.min && seconds <= TOKEN_TTL_BOUNDS.max;
      expect(tokenTtlFromText(String(seconds))).toBe(inBounds ? seconds : undefined);
    }));
    for (const text of ["1h", "-60", "60.5", "", "1e3", " 600", "0x100", "600s"]) expect(tokenTtlFromText(text)).toBeUndefined();
  });

  it("reports every bad option at once", () => {
    expect(problems({ email: "X", role: "root", workspaces: "ops", ttlSeconds: 0 })).toHaveLength(4);
  });
});

describe("tenantry token's sign-in method (--amr)", () => {
  const enforcing = { ...spec, sso: { enforce: true, claim: "amr", values: ["sso"] } };
  const grant = (request: Partial<Parameters<typeof parseTokenRequest>[1]>, org: Parameters<typeof parseTokenRequest>[0] = enforcing) =>
    parseTokenRequest(org, { email: "dev@acme.com", role: "developer", ...request }).subject;

  it("defaults to an SSO login for an address the org holds to SSO, and to no claim elsewhere", () => {
    expect(grant({})["amr"]).toEqual(["sso"]);
    expect(grant({ email: "dev@eu.acme.com" })["amr"]).toEqual(["sso"]);
    expect(grant({ email: "dev@partner.example" })).not.toHaveProperty("amr");
    expect(grant({}, spec)).not.toHaveProperty("amr");
  });

  it("uses the org's own claim and first value for the default", () => {
    expect(grant({}, { ...spec, sso: { enforce: true, claim: "acr", values: ["urn:acme:sso", "phr"] } })).toMatchObject({ acr: ["urn:acme:sso"] });
  });

  it("mints exactly the methods asked for, or none for an empty list", () => {
    expect(grant({ amr: "pwd" })["amr"]).toEqual(["pwd"]);
    expect(grant({ amr: "pwd, mfa" })["amr"]).toEqual(["pwd", "mfa"]);
    expect(grant({ amr: "" })).not.toHaveProperty("amr");
  });

  it("refuses methods with spaces, control characters or too many characters, and repeats, naming the option", () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 80 }).filter((m) => m.trim() !== "" && !m.includes(",") && !/^[\x21-\x7e]{1,64}$/.test(m.trim())), (method) => {
      expect(problems({ email: "dev@acme.com", role: "developer", amr: method })).toEqual(["--amr[0] must be 1..64 printable characters, no spaces or commas"]);
    }));
    expect(problems({ email: "dev@acme.com", role: "developer", amr: "pwd,pwd" })).toEqual(["--amr[1] repeats --amr[0]"]);
  });
});
