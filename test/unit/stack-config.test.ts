import { describe, expect, it } from "vitest";
import { SpecError } from "../../components/spec-errors";
import { orgSpecFromStackConfig } from "../../components/stack-config";
import { stackConfigFor, validOrgInput } from "../helpers/spec-builder";

function messagesOf(config: Parameters<typeof orgSpecFromStackConfig>[0]): string[] {
  try {
    orgSpecFromStackConfig(config);
    return [];
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    return error.problems.map((p) => p.message);
  }
}

describe("the stack configuration", () => {
  it("accepts the org spec with provider settings and a secret password", () => {
    const config = stackConfigFor(validOrgInput(), { "postgresql:host": "pg.internal", "postgresql:password": "[secret]" }, ["postgresql:password"]);
    expect(orgSpecFromStackConfig(config).slug).toBe("acme");
  });

  it("refuses any other tenantry setting: there is no dev-mode or bypass switch", () => {
    expect(messagesOf(stackConfigFor(validOrgInput(), { "tenantry:devMode": "true" }))).toEqual([
      "tenantry:devMode is not a tenantry setting: tenantry reads only tenantry:org, and has no dev-mode or bypass switch",
    ]);
  });

  it("refuses a provider credential kept in plain text", () => {
    expect(messagesOf(stackConfigFor(validOrgInput(), { "postgresql:password": "hunter2", "cloudflare:apiToken": "t" }))).toEqual([
      "postgresql:password must be a secret: set it with `pulumi config set --secret postgresql:password`, never in plain text",
      "cloudflare:apiToken must be a secret: set it with `pulumi config set --secret cloudflare:apiToken`, never in plain text",
    ]);
  });

  it("refuses a stack without an org", () => {
    const config = { ...stackConfigFor({}), values: { "postgresql:host": "pg.internal" } };
    expect(messagesOf(config)).toEqual(["tenantry:org is required: the stack file must declare the org"]);
  });

  it("refuses an org spec copied into another org's stack", () => {
    const config = { ...stackConfigFor(validOrgInput()), stack: "org-globex" };
    expect(messagesOf(config)).toEqual(["tenantry:org.slug must match the stack name org-globex (expected globex)"]);
  });

  it("reports stack-level and spec-level problems together", () => {
    const org = { ...validOrgInput(), tier: "gold" };
    expect(messagesOf(stackConfigFor(org, { "tenantry:bypass": "1" }))).toHaveLength(2);
  });
});
