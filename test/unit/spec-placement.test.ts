import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseOrgSpec } from "../../spec/spec";
import { DEFAULT_PLATFORM_STACK } from "../../spec/placement-spec";
import { NOW, problemsAfter, validOrgInput } from "../helpers/spec-builder";

/* `placement` in the org spec, as the stack-file author would write it. */

describe("the org spec's placement", () => {
  it("is absent by default: the small-team path, where the stack names its own server", () => {
    expect(parseOrgSpec(validOrgInput(), { now: NOW }).placement).toBeUndefined();
  });

  it("names a cluster, and reads it from the default platform stack unless told otherwise", () => {
    expect(parseOrgSpec({ ...validOrgInput(), placement: { cluster: "pg-eu-1" } }, { now: NOW }).placement).toEqual({ cluster: "pg-eu-1", platformStack: DEFAULT_PLATFORM_STACK });
    expect(parseOrgSpec({ ...validOrgInput(), placement: { cluster: "pg-eu-1", platformStack: "example/tenantry-platform/platform" } }, { now: NOW }).placement)
      .toEqual({ cluster: "pg-eu-1", platformStack: "example/tenantry-platform/platform" });
  });

  it("refuses a cluster name outside the platform's name form, naming the field", () => {
    expect(problemsAfter((o) => { o["placement"] = { cluster: "PG_EU_1" }; }))
      .toEqual(["tenantry:org.placement.cluster must be a cluster name: lower-case letters and digits in words joined by single hyphens, starting with a letter (pg-eu-1)"]);
  });

  it("refuses an unknown key beside the cluster", () => {
    expect(problemsAfter((o) => { o["placement"] = { cluster: "pg-eu-1", host: "pg.example" }; }).join("\n")).toMatch(/^tenantry:org\.placement/);
  });

  it("refuses every platform stack that is not <project>/<stack> or <organization>/<project>/<stack> of Pulumi names", () => {
    const malformed = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/), // one part: no project
      fc.constant("a/b/c/d"), fc.constant("/project/stack"), fc.constant("org//stack"),
      fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.constantFrom(" ", "\n", "$", "?", ":", "@", "#")).map(([s, bad]) => `tenantry-platform/${s}${bad}`),
    );
    fc.assert(fc.property(malformed, (platformStack) => {
      expect(problemsAfter((o) => { o["placement"] = { cluster: "pg-eu-1", platformStack }; }))
        .toEqual(["tenantry:org.placement.platformStack must be a Pulumi stack reference: <project>/<stack> or <organization>/<project>/<stack> (tenantry-platform/platform)"]);
    }));
  });
});
