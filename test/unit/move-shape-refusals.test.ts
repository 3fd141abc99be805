import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { triggerShapesSql } from "../../components/audit-trigger-shapes-sql";
import { ALLOWED_PLATFORM_TRIGGERS, refusedShapes, shapeRefusalsSql } from "../../fleet/move-shape-refusals";
import { AUDIT_TRIGGER } from "../../spec/platform-names";

/*
 * The pure side of the move's refusals (the SQL's behaviour is proven on the embedded server in
 * test/integration/move-shape-refusals.test.ts): the one exception stays the guard's own
 * triggers, and a schema name cannot leave its literal.
 */

describe("the shape check's refusals", () => {
  it("excepts exactly the triggers and functions the audit guard attaches, so a new guard function is refused until it is named here", () => {
    const attached = [...triggerShapesSql().matchAll(/EXECUTE FUNCTION %I\.(\w+)\(/g)].map((m) => `audit.${m[1]}()`);
    expect(new Set(attached)).toEqual(new Set(ALLOWED_PLATFORM_TRIGGERS.functions));
    expect(new Set(ALLOWED_PLATFORM_TRIGGERS.names)).toEqual(new Set(Object.values(AUDIT_TRIGGER)));
    expect(ALLOWED_PLATFORM_TRIGGERS.enabled).toBe("O");
  });

  it("keeps any schema name inside one string literal, whatever quotes it holds", () => {
    fc.assert(fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 4 }), (schemas) => {
      const sql = shapeRefusalsSql(schemas);
      const literal = `ARRAY[${schemas.map((s) => `'${s.replace(/'/g, "''")}'`).join(", ")}]::text[]`;
      expect(sql).toContain(`n.nspname = ANY (${literal})`);
    }));
  });

  it("names the table, quoted, before each refusal", () => {
    expect(refusedShapes([{ schema: "web_dev", table: 'we"ird', refusal: "trigger t on web_dev.x is enabled ALWAYS" }]))
      .toEqual(['"web_dev"."we""ird": trigger t on web_dev.x is enabled ALWAYS']);
  });
});
