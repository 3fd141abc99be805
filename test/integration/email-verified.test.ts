import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEdge, type LocalEdge } from "../../local/edge";
import { admittedAndRefused, type Subject } from "../../local/edge-subjects";
import { grantOperator } from "../../local/operator-allowlist";
import { startOperatorGateway, type LocalGateway } from "../../local/operator-gateway";
import { acmeSpec } from "../helpers/acme-edge";

/*
 * `email_verified` as the adversary sends it, through the real router and the real gateway in
 * workerd: an identity provider that marks an address unverified in any shape but the boolean
 * `false` (a string, a number, null, an object) must not get that address trusted. Only an
 * absent claim, `true` or the string `"true"` counts as verified; the control is the same token
 * with one of those, which passes.
 */

/** Every JSON value that is not one of the three verified forms. */
const unverified = fc.jsonValue().filter((value) => value !== true && value !== "true");
const VERIFIED: readonly unknown[] = [undefined, true, "true"];

const withVerified = (claims: Record<string, unknown>, value: unknown): Record<string, unknown> => {
  const { email_verified: _dropped, ...rest } = claims;
  return value === undefined ? rest : { ...rest, email_verified: value };
};

let edge: LocalEdge;
let gateway: LocalGateway;
let base: string;
let person: Subject;

beforeAll(async () => {
  const spec = acmeSpec();
  const app = spec.apps.find((a) => "minRole" in a.access);
  if (app === undefined) throw new Error("acme must have an app open by role");
  [person] = admittedAndRefused(spec, app);
  base = `/${spec.environments.at(-1) ?? ""}/${app.slug}/`;
  edge = await startEdge(spec, { secretValues: {} });
  gateway = await startOperatorGateway();
  await grantOperator(await gateway.allowlist(), { email: "verified@ops.example", role: "admin", grantedBy: "lead@ops.example" });
}, 120_000);

afterAll(async () => {
  await edge?.dispose();
  await gateway?.dispose();
});

async function routerStatus(claims: Record<string, unknown>): Promise<number> {
  const token = await edge.token(claims as never);
  const response = await edge.viaRouter(base, { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

async function gatewayStatus(claims: Record<string, unknown>): Promise<number> {
  const token = await gateway.token(claims as never);
  const response = await gateway.viaGateway("/orgs/acme", { headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

describe("email_verified is an allowlist: absent, true or \"true\", and nothing else", () => {
  it("the router answers 401 to any other value of email_verified, and admits the same person with a verified form", async () => {
    await fc.assert(
      fc.asyncProperty(unverified, async (value) => {
        expect(await routerStatus(withVerified(person, value))).toBe(401);
      }),
      { numRuns: 40 },
    );
    for (const value of ["false", 0, null, {}, [], "", "TRUE", 1]) expect(await routerStatus(withVerified(person, value))).toBe(401);
    for (const value of VERIFIED) expect(await routerStatus(withVerified(person, value))).toBe(200);
  }, 120_000);

  it("the operator gateway answers 401 to any other value of email_verified, even for an admin on the list, and admits a verified form", async () => {
    const operator = { sub: "op-verified", email: "verified@ops.example" };
    await fc.assert(
      fc.asyncProperty(unverified, async (value) => {
        expect(await gatewayStatus(withVerified(operator, value))).toBe(401);
      }),
      { numRuns: 40 },
    );
    for (const value of ["false", 0, null, {}, [], "", "TRUE", 1]) expect(await gatewayStatus(withVerified(operator, value))).toBe(401);
    for (const value of VERIFIED) expect(await gatewayStatus(withVerified(operator, value))).toBe(200);
  }, 120_000);
});
