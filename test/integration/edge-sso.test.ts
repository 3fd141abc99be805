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

const SSO_CLAIMS = [
  "an SSO token for a claimed-domain address passes",
  "a password-login token for the same address gets 401",
  "a password-login token for another spelling of the same address gets 401",
  "an outside-domain user is unaffected",
];
/** The person the claims use (developer@acme.com) under the two other spellings the proof tries. */
const DISGUISES = ["developer@ACME.COM.", "developer@acme.com@outside-acme.com"];
const DISGUISES_REFUSED = `${DISGUISES[0]} 401, ${DISGUISES[1]} 401`;
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
  it("states the four SSO claims, and all hold", async () => {
    const spec = acmeSpec();
    expect(spec.sso).toEqual({ enforce: true, claim: "amr", values: ["sso"] });
    expect(rowsOf(await proveEdge(spec))).toEqual([
      [SSO_CLAIMS[0], "pass", "200"],
      [SSO_CLAIMS[1], "pass", "401"],
      [SSO_CLAIMS[2], "pass", DISGUISES_REFUSED],
      [SSO_CLAIMS[3], "pass", "200"],
    ]);
  }, 60_000);

  it("control: with the router bound without enforcement, the password login passes and that claim fails", async () => {
    const spec = acmeSpec();
    expect(await claimsAgainst(spec, { ...spec, sso: { ...spec.sso, enforce: false } })).toEqual([
      [SSO_CLAIMS[0], "pass", "200"],
      [SSO_CLAIMS[1], "fail", "200, expected 401"],
      [SSO_CLAIMS[2], "fail", `${DISGUISES[0]} 200, ${DISGUISES[1]} 200, expected 401 each`],
      [SSO_CLAIMS[3], "pass", "200"],
    ]);
  }, 60_000);

  it("control: with enforcement reaching past the claimed domains, the outside user is refused and that claim fails", async () => {
    const spec = acmeSpec();
    expect(await claimsAgainst(spec, { ...spec, claimedDomains: [...spec.claimedDomains, outsideDomainOf(spec)] })).toEqual([
      [SSO_CLAIMS[0], "pass", "200"],
      [SSO_CLAIMS[1], "pass", "401"],
      [SSO_CLAIMS[2], "pass", DISGUISES_REFUSED],
      [SSO_CLAIMS[3], "fail", "401, expected 200"],
    ]);
  }, 60_000);

  it("control: with the router accepting only another value (pwd), the SSO token is refused and that claim fails", async () => {
    const spec = acmeSpec();
    expect((await claimsAgainst(spec, { ...spec, sso: { ...spec.sso, values: ["pwd"] } }))[0]).toEqual([SSO_CLAIMS[0], "fail", "401, expected 200"]);
  }, 60_000);
});
