import { quoteLiteral } from "../spec/naming";
import { qualified } from "./move-verify";

/*
 * The shape check of a move's create-tables step (docs/move.md): the tenant's tables on the
 * target are made by the tenant's own migrations, not reconstructed by the move, so before any
 * row is copied each table's shape is read from the catalog on both sides and must be the same.
 * Triggers are part of the shape: a target table the audit guard did not cover would take
 * writes after the switch that no event records.
 */

export const SHAPE_PARTS = ["columns", "constraints", "indexes", "triggers"] as const;
export type ShapePart = (typeof SHAPE_PARTS)[number];

/**
 * One row per table of these schemas: schema, table, and each part as sorted text. Columns are
 * in their order (COPY and `t::text` depend on it); the rest sorted in "C".
 */
export function tableShapesSql(schemas: readonly string[]): string {
  return `SELECT n.nspname AS schema, c.relname AS table,
  (SELECT string_agg(format('%I %s%s%s%s%s', a.attname, format_type(a.atttypid, a.atttypmod),
      CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
      CASE WHEN a.attidentity <> '' THEN ' IDENTITY ' || a.attidentity::text ELSE '' END,
      CASE WHEN a.attgenerated <> '' THEN ' GENERATED ' || a.attgenerated::text ELSE '' END,
      coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')), E'\\n' ORDER BY a.attnum)
    FROM pg_attribute AS a LEFT JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
  (SELECT coalesce(string_agg(format('%I %s', k.conname, pg_get_constraintdef(k.oid)), E'\\n' ORDER BY k.conname COLLATE "C"), '')
    FROM pg_constraint AS k WHERE k.conrelid = c.oid) AS constraints,
  (SELECT coalesce(string_agg(pg_get_indexdef(i.indexrelid), E'\\n' ORDER BY pg_get_indexdef(i.indexrelid) COLLATE "C"), '')
    FROM pg_index AS i WHERE i.indrelid = c.oid) AS indexes,
  (SELECT coalesce(string_agg(format('%s %s', pg_get_triggerdef(t.oid), t.tgenabled), E'\\n' ORDER BY t.tgname COLLATE "C"), '')
    FROM pg_trigger AS t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal) AS triggers
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = ANY (ARRAY[${schemas.map(quoteLiteral).join(", ")}]::text[]) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"`;
}

export type TableShape = { readonly schema: string; readonly table: string } & Readonly<Record<ShapePart, string>>;

/** Every table whose shape differs, naming the parts that do; [] means the copy may start. */
export function compareShapes(source: readonly TableShape[], target: readonly TableShape[]): string[] {
  const found: string[] = [];
  const targetByName = new Map(target.map((t) => [qualified(t), t]));
  for (const s of source) {
    const t = targetByName.get(qualified(s));
    if (t === undefined) {
      found.push(`${qualified(s)}: not created on the target (run the tenant's migrations there as the DDL role)`);
      continue;
    }
    const differing = SHAPE_PARTS.filter((part) => s[part] !== t[part]);
    if (differing.length > 0) found.push(`${qualified(s)}: its ${differing.join(", ")} differ between the source and the target`);
  }
  const sourceNames = new Set(source.map(qualified));
  for (const t of target) if (!sourceNames.has(qualified(t))) found.push(`${qualified(t)}: on the target only`);
  return found;
}

export { QUERY_RUNNING_BUILTINS, refusedShapes, shapeRefusalsSql, type ShapeRefusalRow } from "./move-shape-refusals";
