import { describe, expect, it } from "vitest";
import { startEdge } from "../../local/edge";
import { outsideDomainOf, proveEdge, ssoClaims } from "../../local/proof/edge-claims";
import type { ClaimResult } from "../../local/proof/claim";
import type { OrgSpec } from "../../spec/spec";
import { acmeSpec } from "../helpers/acme-edge";

/*
 * Property 17 through the real router in workerd, as `tenantry prove --local` states it, with a
 * control for each claim: the same claims asked of a router bound with the guard taken away fail.
 */

const SSO_CLAIMS = ["an SSO token for a claimed-domain address passes", "a password-login token for the same address gets 401", "an outside-domain user is unaffected"];
const rowsOf = (rows: readonly ClaimResult[]) => rows.filter((r) => SSO_CLAIMS.includes(r.claim)).map((r) => [r.claim, r.status, r.result]);

/** The claims about `spec`, asked of a router configured from `bound`. */
async function claimsAgainst(spec: OrgSpec, bound: OrgSpec) {
  const edge = await startEdge(bound, { secretValues: {} });
  try {
    return rowsOf(await ssoClaims(edge, spec, "prod"));
  } finally {
    await edge.dispose();
  }
}

describe("tenantry prove --local at the edge, for acme, which enforces SSO for acme.com", () => {
  it("states the three SSO claims, and all hold", async () => {
    const spec = acmeSpec();
    expect(spec.sso).toEqual({ enforce: true, claim: "amr", values: ["sso"] });
    expect(rowsOf(await proveEdge(spec))).toEqual([
      [SSO_CLAIMS[0], "pass", "200"],
      [SSO_CLAIMS[1], "pass", "401"],
      [SSO_CLAIMS[2], "pass", "200"],
    ]);
  }, 60_000);

  it("control: with the router bound without enforcement, the password login passes and that claim fails", async () => {
    const spec = acmeSpec();
    expect(await claimsAgainst(spec, { ...spec, sso: { ...spec.sso, enforce: false } })).toEqual([
      [SSO_CLAIMS[0], "pass", "200"],
      [SSO_CLAIMS[1], "fail", "200, expected 401"],
      [SSO_CLAIMS[2], "pass", "200"],
    ]);
  }, 60_000);

  it("control: with enforcement reaching past the claimed domains, the outside user is refused and that claim fails", async () => {
    const spec = acmeSpec();
    expect(await claimsAgainst(spec, { ...spec, claimedDomains: [...spec.claimedDomains, outsideDomainOf(spec)] })).toEqual([
      [SSO_CLAIMS[0], "pass", "200"],
      [SSO_CLAIMS[1], "pass", "401"],
      [SSO_CLAIMS[2], "fail", "401, expected 200"],
    ]);
  }, 60_000);

  it("control: with the router accepting only another value (pwd), the SSO token is refused and that claim fails", async () => {
    const spec = acmeSpec();
    expect((await claimsAgainst(spec, { ...spec, sso: { ...spec.sso, values: ["pwd"] } }))[0]).toEqual([SSO_CLAIMS[0], "fail", "401, expected 200"]);
  }, 60_000);
});
