import { describe, expect, it } from "vitest";
import { renderPlanTree, renderValue, shortType, summarizeTypes } from "../../cli/render-plan";
import { SECRET_SIGNATURE, SECRET_SIGNATURE_KEY, type RegisteredResource } from "../../harness/recording-monitor";

const secret = (value: string) => ({ [SECRET_SIGNATURE_KEY]: SECRET_SIGNATURE, value });

function resource(name: string, parent: string | undefined, inputs: Record<string, unknown> = {}, type = "postgresql:index/role:Role"): RegisteredResource {
  return { urn: `urn:${name}`, type, name, custom: true, parent: parent && `urn:${parent}`, inputs, protect: false, retainOnDelete: false, dependsOn: [] };
}

describe("the plan rendering", () => {
  it("shows a secret only as [secret], wherever it sits", () => {
    expect(renderValue(secret("hunter2"))).toBe("[secret]");
    expect(renderValue({ nested: [secret("hunter2")] })).toBe("{nested=[[secret]]}");
  });

  it("draws children under their parent in registration order", () => {
    const tree = renderPlanTree([
      resource("org", undefined, {}, "tenantry:index:OrgTenant"),
      resource("a", "org", { name: "tn_a" }),
      resource("b", "org", { password: secret("hunter2") }),
    ]);
    expect(tree).toBe([
      "tenantry:index:OrgTenant org",
      "├─ postgresql:Role a  name=tn_a",
      "└─ postgresql:Role b  password=[secret]",
    ].join("\n"));
  });

  it("summarises a migration's SQL and serialized provider instead of printing them", () => {
    const tree = renderPlanTree([resource("m", undefined, { __provider: "exports.handler = ...", sql: "SELECT 1;\nSELECT 2;" }, "pulumi-nodejs:dynamic:Resource")]);
    expect(tree).toBe("pulumi-nodejs:dynamic:Resource m  __provider=[serialized provider]  sql=[2 lines of SQL]");
  });

  it("shortens provider type tokens and counts them", () => {
    expect(shortType("postgresql:index/grant:Grant")).toBe("postgresql:Grant");
    expect(shortType("tenantry:index:OrgTenant")).toBe("tenantry:index:OrgTenant");
    expect(summarizeTypes([resource("a", undefined), resource("b", undefined)])).toBe("2 postgresql:Role");
  });
});
