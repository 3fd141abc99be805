import { GUARDED_TRIGGER_FUNCTIONS } from "../components/audit-guard-sql";
import { textArraySql } from "../components/audit-trigger-shapes-sql";
import { quoteIdent, quoteLiteral } from "../spec/naming";
import { AUDIT_TRIGGERS } from "../spec/platform-names";

/*
 * What a move refuses to copy because the copy itself would run tenant code (docs/move.md, "What
 * the shape check refuses"). The copy runs `COPY ... TO STDOUT` on the source and `COPY ... FROM
 * STDIN` on the target with session_replication_role = replica, and Postgres still evaluates,
 * during those: triggers enabled ALWAYS or REPLICA, CHECK constraints, the constraints of
 * domains in a column's type, stored generated columns, index expressions and partial-index
 * predicates, exclusion constraints' operators, and row-level security policies. Whatever
 * function any of them calls would run inside the move.
 *
 * So the check is an allowlist, read from pg_depend rather than by parsing expressions: every
 * function, operator (and anything else that is code: operator classes, access methods, text
 * search objects, extensions' members) that a table's columns, constraints, defaults, indexes,
 * policies, triggers and rules depend on, through the types of its columns (domains over
 * domains, arrays, composite and row types), must have been shipped with Postgres (an object id
 * below FirstNormalObjectId), or hold no code at all (DATA_CATALOGS). One named exception, and
 * nothing else: the audit guard's triggers, by name, calling the ledger's trigger functions,
 * enabled ORIGIN (they do not fire under replica: move-shape-refusals.test.ts and
 * move-shape-real-guard.test.ts show it). The check is for the workspace schemas the tenant's
 * migrations make; the ledger's tables are the platform's, and the proof checks them.
 * Built-ins that run SQL given as text or read tables by name are no boundary at all (a CHECK
 * calling query_to_xml('SELECT web_dev.evil()', ...) depends only on a built-in), so they are
 * taken out of the allowlist: QUERY_RUNNING_BUILTINS.
 */

/** Object ids below this were created by initdb: Postgres' own catalog (access/transam.h). */
export const FIRST_NORMAL_OBJECT_ID = 16384;

/**
 * Built-in functions that execute SQL given as text (or read a table, schema, database or cursor
 * named by a value), evaluate another index's expressions, or change the copying session's
 * settings: with one of these a "built-in only" expression reaches any function. Found by
 * reading PostgreSQL's function reference (XML mapping of tables and queries, text search
 * statistics and rewriting, index maintenance, configuration settings); that it is complete is
 * not proven (docs/move.md).
 */
export const QUERY_RUNNING_BUILTINS = [
  "query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema",
  "cursor_to_xml", "cursor_to_xmlschema",
  "table_to_xml", "table_to_xmlschema", "table_to_xml_and_xmlschema",
  "schema_to_xml", "schema_to_xmlschema", "schema_to_xml_and_xmlschema",
  "database_to_xml", "database_to_xmlschema", "database_to_xml_and_xmlschema",
  "ts_stat", "ts_rewrite",
  "brin_summarize_new_values", "brin_summarize_range", "brin_desummarize_range", "gin_clean_pending_list",
  "set_config",
] as const;

/**
 * The audit guard's row and truncate triggers (platform-names.ts), each calling one of the
 * ledger's trigger functions (audit-guard-sql.ts): the only non-built-in code a moved table may
 * reach, and only from a trigger of exactly this name, enabled ORIGIN.
 */
export const ALLOWED_PLATFORM_TRIGGERS = { names: AUDIT_TRIGGERS, functions: GUARDED_TRIGGER_FUNCTIONS, enabled: "O" } as const;

/**
 * Non-built-in objects a table may depend on because they hold no code: relations (other
 * tables, sequences, its own indexes), schemas, collations, and a partition's clones of its
 * parent's constraints and triggers. Types are not here: the walk goes through them.
 */
const DATA_CATALOGS = ["pg_class", "pg_namespace", "pg_collation", "pg_constraint", "pg_trigger"] as const;

/** How a reached object is named in a refusal: a domain's constraint names its domain (pg_describe_object does not). */
function describe(alias: string): string {
  return `coalesce((SELECT format('constraint %I of domain %s', k.conname, k.contypid::regtype) FROM pg_constraint AS k
    WHERE ${alias}.classid = 'pg_constraint'::regclass AND k.oid = ${alias}.objid AND k.contypid <> 0), pg_describe_object(${alias}.classid, ${alias}.objid, 0))`;
}

function regclassList(catalogs: readonly string[]): string {
  return catalogs.map((c) => `${quoteLiteral(c)}::regclass`).join(", ");
}

/**
 * One row per refusal (schema, table, refusal) for the tables of these schemas: run on the
 * source before the freeze and on the target after the tenant's migrations. No row: the copy
 * runs no tenant code for these tables.
 */
export function shapeRefusalsSql(schemas: readonly string[]): string {
  const first = FIRST_NORMAL_OBJECT_ID;
  const allowedTriggers = ALLOWED_PLATFORM_TRIGGERS;
  return `WITH RECURSIVE moved AS (
  SELECT c.oid AS relid, n.nspname AS schema, c.relname AS table, c.relkind
  FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
  WHERE n.nspname = ANY (${textArraySql(schemas)}) AND c.relkind IN ('r', 'p', 'f') AND NOT c.relispartition
), members AS (
  -- A partitioned table is copied through its parent: its partitions' constraints, indexes and
  -- triggers run too.
  SELECT m.relid, t.relid AS member FROM moved AS m CROSS JOIN LATERAL pg_partition_tree(m.relid) AS t
  UNION SELECT m.relid, m.relid FROM moved AS m
), roots AS (
  SELECT relid, 'pg_class'::regclass AS classid, member AS objid FROM members
  UNION ALL SELECT m.relid, 'pg_constraint'::regclass, k.oid FROM members AS m JOIN pg_constraint AS k ON k.conrelid = m.member
  UNION ALL SELECT m.relid, 'pg_attrdef'::regclass, d.oid FROM members AS m JOIN pg_attrdef AS d ON d.adrelid = m.member
  UNION ALL SELECT m.relid, 'pg_class'::regclass, i.indexrelid FROM members AS m JOIN pg_index AS i ON i.indrelid = m.member
  UNION ALL SELECT m.relid, 'pg_policy'::regclass, p.oid FROM members AS m JOIN pg_policy AS p ON p.polrelid = m.member
  UNION ALL SELECT m.relid, 'pg_trigger'::regclass, t.oid FROM members AS m JOIN pg_trigger AS t ON t.tgrelid = m.member
  UNION ALL SELECT m.relid, 'pg_rewrite'::regclass, r.oid FROM members AS m JOIN pg_rewrite AS r ON r.ev_class = m.member
), edges AS (
  -- What the walk follows, gathered once (a lookup per reached object would scan pg_constraint
  -- for every one: contypid has no index): into each tenant type an object depends on; from a
  -- type into a domain's constraints and a composite or row type's columns (the relation behind
  -- it); into a view an object reads, and from a view into the rules that hold its query.
  SELECT d.classid::oid AS classid, d.objid, d.refclassid::oid AS next_classid, d.refobjid AS next_objid
  FROM pg_depend AS d WHERE d.refobjid >= ${first} AND d.refclassid = 'pg_type'::regclass
  UNION ALL
  SELECT 'pg_type'::regclass::oid, t.oid, 'pg_class'::regclass::oid, t.typrelid FROM pg_type AS t WHERE t.oid >= ${first} AND t.typrelid <> 0
  UNION ALL
  SELECT 'pg_type'::regclass::oid, k.contypid, 'pg_constraint'::regclass::oid, k.oid FROM pg_constraint AS k WHERE k.contypid <> 0
  UNION ALL
  SELECT d.classid::oid, d.objid, d.refclassid::oid, d.refobjid FROM pg_depend AS d JOIN pg_class AS v ON v.oid = d.refobjid
  WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid >= ${first} AND v.relkind IN ('v', 'm')
  UNION ALL
  SELECT 'pg_class'::regclass::oid, w.ev_class, 'pg_rewrite'::regclass::oid, w.oid FROM pg_rewrite AS w JOIN pg_class AS v ON v.oid = w.ev_class
  WHERE w.ev_class >= ${first} AND v.relkind IN ('v', 'm')
), reached AS (
  -- Each root, then along the edges. UNION, so an object reached twice (a domain and its
  -- constraint depend on each other) ends the walk.
  SELECT relid, classid::oid AS classid, objid, pg_describe_object(classid, objid, 0) AS via FROM roots
  UNION
  SELECT r.relid, e.next_classid, e.next_objid, r.via
  FROM reached AS r JOIN edges AS e ON e.classid = r.classid AND e.objid = r.objid
), expressions AS (
  -- The stored expression trees of what was reached: pg_depend records no dependency on a
  -- built-in (pinned) function, so a call to one is found in the tree by its id.
  SELECT r.relid, r.via, r.classid, r.objid, x.tree
  FROM reached AS r CROSS JOIN LATERAL (
    SELECT k.conbin::text AS tree FROM pg_constraint AS k WHERE r.classid = 'pg_constraint'::regclass AND k.oid = r.objid
    UNION ALL SELECT d.adbin::text FROM pg_attrdef AS d WHERE r.classid = 'pg_attrdef'::regclass AND d.oid = r.objid
    UNION ALL SELECT concat(i.indexprs::text, i.indpred::text) FROM pg_index AS i WHERE r.classid = 'pg_class'::regclass AND i.indexrelid = r.objid
    UNION ALL SELECT concat(p.polqual::text, p.polwithcheck::text) FROM pg_policy AS p WHERE r.classid = 'pg_policy'::regclass AND p.oid = r.objid
    UNION ALL SELECT t.tgqual::text FROM pg_trigger AS t WHERE r.classid = 'pg_trigger'::regclass AND t.oid = r.objid
    UNION ALL SELECT concat(w.ev_qual::text, w.ev_action::text) FROM pg_rewrite AS w WHERE r.classid = 'pg_rewrite'::regclass AND w.oid = r.objid
    UNION ALL SELECT t.typdefaultbin::text FROM pg_type AS t WHERE r.classid = 'pg_type'::regclass AND t.oid = r.objid
  ) AS x
  WHERE x.tree IS NOT NULL
), query_running AS (
  -- One pattern for all of them, so each tree is scanned once.
  SELECT array_agg(oid) AS oids, ':funcid (' || string_agg(oid::text, '|') || ')\\M' AS pattern
  FROM pg_proc WHERE oid < ${first} AND proname = ANY (${textArraySql(QUERY_RUNNING_BUILTINS)})
), refusals AS (
  SELECT r.relid, format('%s%s depends on %s, which is not built into Postgres', r.via,
      CASE WHEN ${describe("r")} = r.via THEN '' ELSE ' (through ' || ${describe("r")} || ')' END,
      pg_describe_object(d.refclassid, d.refobjid, 0)) AS refusal
  FROM reached AS r JOIN pg_depend AS d ON d.classid = r.classid AND d.objid = r.objid
  WHERE d.refobjid >= ${first} AND d.refclassid NOT IN ('pg_type'::regclass, ${regclassList(DATA_CATALOGS)})
    AND NOT (d.classid = 'pg_trigger'::regclass AND d.refclassid = 'pg_proc'::regclass
      AND d.refobjid IN (${allowedTriggers.functions.map((f) => `to_regprocedure(${quoteLiteral(f)})::oid`).join(", ")})
      AND EXISTS (SELECT 1 FROM pg_trigger AS t WHERE t.oid = d.objid
        AND t.tgname = ANY (${textArraySql(allowedTriggers.names)}) AND t.tgenabled = ${quoteLiteral(allowedTriggers.enabled)}))
  UNION ALL
  SELECT e.relid, format('%s%s calls %s, which runs SQL given as text or changes the copying session', e.via,
      CASE WHEN ${describe("e")} = e.via THEN '' ELSE ' (through ' || ${describe("e")} || ')' END, p.oid::regprocedure)
  FROM (SELECT * FROM expressions WHERE tree ~ (SELECT pattern FROM query_running)) AS e
  JOIN query_running AS q ON true JOIN pg_proc AS p ON p.oid = ANY (q.oids) AND e.tree ~ (':funcid ' || p.oid::text || '\\M')
  UNION ALL
  SELECT m.relid, format('trigger %I on %s is enabled %s, so it fires while the copy restores rows (only ORIGIN triggers stay quiet under session_replication_role = replica)',
      t.tgname, t.tgrelid::regclass, CASE t.tgenabled WHEN 'A' THEN 'ALWAYS' ELSE 'REPLICA' END)
  FROM members AS m JOIN pg_trigger AS t ON t.tgrelid = m.member WHERE t.tgenabled IN ('A', 'R')
  UNION ALL
  SELECT m.relid, format('table %s forces row-level security on its owner: the copy could read fewer rows than it holds, and the verification, reading the same way, would not see the loss', c.oid::regclass)
  FROM members AS m JOIN pg_class AS c ON c.oid = m.member WHERE c.relforcerowsecurity
  UNION ALL
  SELECT m.relid, format('%s is a foreign table: its rows are not in this database, and the move does not copy them', c.oid::regclass)
  FROM members AS m JOIN pg_class AS c ON c.oid = m.member WHERE c.relkind = 'f'
  UNION ALL
  -- Reading a parent also reads its inheritance children: their rows would be copied twice.
  SELECT m.relid, format('%s inherits from or is inherited by %s (table inheritance, not partitioning): the copy would read the child''s rows twice', c.oid::regclass, i.other::regclass)
  FROM members AS m JOIN pg_class AS c ON c.oid = m.member
  JOIN (SELECT inhrelid AS rel, inhparent AS other FROM pg_inherits UNION ALL SELECT inhparent, inhrelid FROM pg_inherits) AS i ON i.rel = m.member
  WHERE NOT c.relispartition AND c.relkind <> 'p'
)
SELECT * FROM (SELECT DISTINCT n.nspname AS schema, c.relname AS table, f.refusal
  FROM refusals AS f JOIN pg_class AS c ON c.oid = f.relid JOIN pg_namespace AS n ON n.oid = c.relnamespace) AS found
ORDER BY found.schema COLLATE "C", found.table COLLATE "C", found.refusal COLLATE "C"`;
}

export interface ShapeRefusalRow {
  readonly schema: string;
  readonly table: string;
  readonly refusal: string;
}

/** Each refusal as one line naming the table, the object and why; [] means the copy runs no tenant code. */
export function refusedShapes(rows: readonly ShapeRefusalRow[]): string[] {
  return rows.map((r) => `${quoteIdent(r.schema)}.${quoteIdent(r.table)}: ${r.refusal}`);
}
