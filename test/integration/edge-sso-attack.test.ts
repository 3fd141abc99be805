import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEdge, type LocalEdge } from "../../local/edge";
import { admittedAndRefused } from "../../local/edge-subjects";
import type { OrgSpec } from "../../spec/spec";
import { acmeSpec } from "../helpers/acme-edge";
import { appReadings, gluedAddress, isUnderAcme, localPart } from "../helpers/address-disguises";

/*
 * Property 17 attacked through the real router in workerd, with generated input: a person of
 * acme.com (which enforces SSO) holding only password-login tokens, which the IdP signs with
 * whatever address and claims their profile carries. Each refusal is checked against its
 * control: the same token with the SSO claim passes, so the 401 is the SSO rule's, not the
 * token check's or the app policy's.
 */

let edge: LocalEdge;
let spec: OrgSpec;
let base: string;
let person: Record<string, unknown>;

beforeAll(async () => {
  spec = acmeSpec();
  const app = spec.apps.find((a) => "minRole" in a.access);
  if (app === undefined || !spec.sso.enforce) throw new Error("acme must enforce SSO and have an app open by role");
  edge = await startEdge(spec, { secretValues: {} });
  base = `/${spec.environments.at(-1) ?? ""}/${app.slug}/`;
  const [admitted] = admittedAndRefused(spec, app);
  person = Object.fromEntries(Object.entries(admitted).filter(([name]) => name !== "amr"));
}, 60_000);

afterAll(async () => {
  await edge.dispose();
});

async function statusFor(claims: Record<string, unknown>): Promise<number> {
  const token = await edge.token(claims as never, { viaSso: false });
  const response = await edge.viaRouter(base, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

describe("SSO for claimed domains through the router, as a password-login user of acme.com", () => {
  it("gets 401 for every spelling of an address that an app could read as acme.com, and 200 with SSO", async () => {
    await fc.assert(
      fc.asyncProperty(gluedAddress, async (email) => {
        fc.pre(appReadings(email).some(isUnderAcme));
        expect(await statusFor({ ...person, sub: email, email, amr: ["pwd"] })).toBe(401);
        expect(await statusFor({ ...person, sub: email, email, amr: ["sso"] })).toBe(200);
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it("gets 401 when the email claim is not one string, whatever other claim carries the address", async () => {
    const address = fc.tuple(localPart, fc.constantFrom("acme.com", "eu.acme.com", "ACME.com")).map(([local, domain]) => `${local}@${domain}`);
    const notAString = (email: string) => fc.constantFrom<unknown>(undefined, null, 1, true, [email], [email, "x@outside.io"], { address: email }, "");
    const addressAndShape = address.chain((email) => fc.tuple(fc.constant(email), notAString(email)));
    await fc.assert(
      fc.asyncProperty(addressAndShape, fc.constantFrom("upn", "preferred_username", "mail", "emails", "unique_name"), fc.boolean(), async ([email, shape], otherClaim, sso) => {
        const claims: Record<string, unknown> = { ...person, sub: email, [otherClaim]: email, amr: [sso ? "sso" : "pwd"] };
        if (shape === undefined) delete claims["email"];
        else claims["email"] = shape;
        expect(await statusFor(claims)).toBe(401);
      }),
      { numRuns: 40 },
    );
    // Control: the same person with the address as one string and the SSO claim passes.
    expect(await statusFor({ ...person, amr: ["sso"] })).toBe(200);
  }, 120_000);

  it("gets 401 for every sso-like amr that is not exactly the accepted value, and 200 for the value as a string or among others", async () => {
    const nearMiss = fc.constantFrom<unknown>("SSO", " sso", "sso ", "Sso", ["SSO"], [" sso"], [["sso"]], { 0: "sso" }, "sso,pwd", "pwd sso", ["pwd"], [], null, 1);
    await fc.assert(
      fc.asyncProperty(nearMiss, async (amr) => {
        expect(await statusFor({ ...person, amr })).toBe(401);
      }),
      { numRuns: 20 },
    );
    expect(await statusFor({ ...person, amr: "sso" })).toBe(200);
    expect(await statusFor({ ...person, amr: ["pwd", "mfa", "sso"] })).toBe(200);
  }, 120_000);
});
