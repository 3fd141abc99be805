import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { STACK_SCHEMA_PATH } from "../../reference/stack-schema";
import { SpecError } from "../../spec/spec-errors";
import { tenantStackFromConfig, tenantStackOrPlacement } from "../../spec/stack-config";
import { NOW, PROVIDER_CONFIG, validOrgInput } from "../helpers/spec-builder";

/*
 * A placed org's stack file, as the editor's schema and the program's config check both judge
 * it: no host, port or password beside a placement; a host on every org that is not placed.
 */

const ajv = new Ajv({ allErrors: true, allowMatchingProperties: true });
const validate = ajv.compile(JSON.parse(readFileSync(join(__dirname, "..", "..", STACK_SCHEMA_PATH), "utf8")) as Record<string, unknown>) as ValidateFunction;

const { "postgresql:host": _host, ...LOGIN } = PROVIDER_CONFIG;
const placedOrg = () => ({ ...validOrgInput(), placement: { cluster: "pg-eu-1" } });
const configOf = (values: Record<string, unknown>) => ({ config: values });

function programAccepts(values: Record<string, string>): boolean {
  try {
    tenantStackOrPlacement({ stack: "org-acme", values, secretKeys: new Set(["postgresql:password"]), now: NOW });
    return true;
  } catch (error) {
    if (error instanceof SpecError) return false;
    throw error;
  }
}

describe("a placed org's stack file", () => {
  it("is accepted without a host by the schema and the program alike", () => {
    expect(validate(configOf({ ...LOGIN, "tenantry:org": placedOrg() })), JSON.stringify(validate.errors)).toBe(true);
    expect(programAccepts({ ...LOGIN, "tenantry:org": JSON.stringify(placedOrg()) })).toBe(true);
  });

  it("is refused by both whenever it also names a host, a port or a password", () => {
    const keys = fc.subarray(["postgresql:host", "postgresql:port", "postgresql:password"], { minLength: 1 });
    fc.assert(fc.property(keys, (set) => {
      const extra = Object.fromEntries(set.map((key) => [key, key === "postgresql:port" ? "5432" : key === "postgresql:password" ? { secure: "AAAA" } : "pg.example"]));
      expect(validate(configOf({ ...LOGIN, ...extra, "tenantry:org": placedOrg() }))).toBe(false);
      const values = Object.fromEntries(set.map((key) => [key, key === "postgresql:port" ? "5432" : "pg.example"]));
      expect(programAccepts({ ...LOGIN, ...values, "tenantry:org": JSON.stringify(placedOrg()) })).toBe(false);
    }));
  });

  it("needs a host when the org is not placed (the small-team path), in the schema and the program", () => {
    expect(validate(configOf({ ...LOGIN, "tenantry:org": validOrgInput() }))).toBe(false);
    expect(programAccepts({ ...LOGIN, "tenantry:org": JSON.stringify(validOrgInput()) })).toBe(false);
    expect(validate(configOf({ ...PROVIDER_CONFIG, "tenantry:org": validOrgInput() }))).toBe(true);
  });

  it("is refused by the commands that run an org on the server its stack names (prove --server-url, offboard); the local engine runs it on its cluster's server", () => {
    expect(() => tenantStackFromConfig({ stack: "org-acme", values: { ...LOGIN, "tenantry:org": JSON.stringify(placedOrg()) }, secretKeys: new Set(), now: NOW }))
      .toThrowError("tenantry:org.placement: this command runs an org on the server its stack names (postgresql:host); a placed org's server is its platform cluster, which only the local engine imitates (tenantry up --local runs one embedded server per cluster)");
  });
});
