import { describe, expect, it } from "vitest";
import { ssoClaims } from "../../local/proof/edge-claims";
import type { LocalEdge } from "../../local/edge";
import { parseOrgSpec } from "../../spec/spec";
import { NOW, validOrgInput } from "../helpers/spec-builder";

/* Property 17 in the proof: enforced SSO is either shown or said to be unshown, never silent. */

/** An edge that fails the test if touched: the skip must be decided from the spec alone. */
const untouchable = new Proxy({}, { get: () => { throw new Error("the edge was used"); } }) as LocalEdge;

describe("the proof's SSO section", () => {
  it("says it is skipped, and why, when SSO is enforced but every app's policy names users", async () => {
    const input = validOrgInput();
    const apps = (input["apps"] as Record<string, unknown>[]).map((app) => ({ ...app, access: { users: ["cfo@acme.com"] } }));
    const spec = parseOrgSpec({ ...input, apps, sso: { enforce: true } }, { now: NOW });
    const rows = await ssoClaims(untouchable, spec, "prod");
    expect(rows).toEqual([expect.objectContaining({ status: "skip", result: expect.stringMatching(/^skipped: every app's policy names users/) })]);
  });

  it("adds no row when SSO is not enforced", async () => {
    expect(await ssoClaims(untouchable, parseOrgSpec(validOrgInput(), { now: NOW }), "prod")).toEqual([]);
  });
});
