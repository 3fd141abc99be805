import { describe, expect, it } from "vitest";
import { parseOrgSpec } from "../../spec/spec";
import { NOW, problemsAfter, validOrgInput } from "../helpers/spec-builder";

/* `placement` in the org spec, as the stack-file author would write it. */

describe("the org spec's placement", () => {
  it("is absent by default: the small-team path, where the stack names its own server", () => {
    expect(parseOrgSpec(validOrgInput(), { now: NOW }).placement).toBeUndefined();
  });

  it("names a cluster, and nothing else: the platform stack it is read from is not the stack file's to choose", () => {
    expect(parseOrgSpec({ ...validOrgInput(), placement: { cluster: "pg-eu-1" } }, { now: NOW }).placement).toEqual({ cluster: "pg-eu-1" });
    // A stack the author controls would point the provider, and the deploy job's IAM token, at a host of theirs.
    for (const platformStack of ["example/tenantry-platform/platform", "attacker-org/tenantry-platform/platform", "tenantry-platform/staging"]) {
      expect(problemsAfter((o) => { o["placement"] = { cluster: "pg-eu-1", platformStack }; }).join("\n")).toMatch(/^tenantry:org\.placement[^\n]*platformStack/);
    }
  });

  it("refuses a cluster name outside the platform's name form, naming the field", () => {
    expect(problemsAfter((o) => { o["placement"] = { cluster: "PG_EU_1" }; }))
      .toEqual(["tenantry:org.placement.cluster must be a cluster name: lower-case letters and digits in words joined by single hyphens, starting with a letter (pg-eu-1)"]);
  });

  it("refuses an unknown key beside the cluster", () => {
    expect(problemsAfter((o) => { o["placement"] = { cluster: "pg-eu-1", host: "pg.example" }; }).join("\n")).toMatch(/^tenantry:org\.placement/);
  });
});
