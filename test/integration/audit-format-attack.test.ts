import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codeOf, ledgerAttack } from "../helpers/ledger-attack";

/*
 * An attacker's pass over the ledger's format 2 (issue 19; docs/audit-ledger.md, "What an attacker's
 * pass over format 2 found"), as the adversaries of DESIGN.md that hold database logins: tenant app
 * code (the runtime login of one environment) and tenant migrations (its DDL login). Their goal:
 * a change the ledger does not record or records wrongly. Each claim here failed before its fix;
 * the attempts that held are claims in audit-format-held.test.ts.
 */

const attack = ledgerAttack("fmtattack");
const { withTable, replayed } = attack;

describe("breaks found and fixed", () => {
  it("refuses table inheritance in a workspace schema: a parent's statement trigger would record its children's rows as its own, paired with its own", async () => {
    await attack.ddl().query("CREATE TABLE web_dev.attack_parent (id int PRIMARY KEY, note text)");
    await attack.ddl().query("CREATE TABLE web_dev.attack_loner (id int PRIMARY KEY, note text)");
    try {
      const refusals = [];
      for (const statement of ["CREATE TABLE web_dev.attack_child () INHERITS (web_dev.attack_parent)",
        "CREATE TABLE web_dev.attack_child (extra int) INHERITS (web_dev.attack_parent)",
        "ALTER TABLE web_dev.attack_loner INHERIT web_dev.attack_parent"]) {
        refusals.push(await codeOf(attack.ddl().query(statement)));
      }
      expect(refusals).toEqual(["42501", "42501", "42501"]);
      const children = await attack.ddl().query("SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'web_dev.attack_parent'::regclass");
      expect(children.rows[0].n).toBe(0);
    } finally {
      await attack.ddl().query("DROP TABLE IF EXISTS web_dev.attack_child, web_dev.attack_loner, web_dev.attack_parent");
    }
  });

  it("records every row of a table whose primary key is deferrable, whose keys may repeat until commit", async () => {
    // The attack.runtime() role moves rows onto each other's keys (the deferred key allows it until
    // commit) and changes rows by key; the ledger must still say what the table holds.
    const step = fc.oneof(
      fc.record({ rid: fc.integer({ min: 1, max: 4 }), id: fc.integer({ min: 1, max: 4 }) }).map(({ rid, id }) => `UPDATE {t} SET id = ${id} WHERE rid = ${rid}`),
      fc.record({ id: fc.integer({ min: 1, max: 4 }), note: fc.constantFrom("x", "y", "secret") }).map(({ id, note }) => `UPDATE {t} SET note = '${note}' WHERE id = ${id}`),
      fc.record({ rid: fc.integer({ min: 1, max: 4 }), note: fc.constantFrom("x", "y") }).map(({ rid, note }) => `UPDATE {t} SET id = 1, note = '${note}' WHERE rid <= ${rid}`),
    );
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
      await withTable("id int, rid int NOT NULL, note text, CONSTRAINT deferred_key PRIMARY KEY (id) DEFERRABLE INITIALLY DEFERRED", async (table) => {
        const run = await replayed(attack.runtime(), table, [`INSERT INTO ${table} VALUES (1, 1, 'x'), (2, 2, 'x'), (3, 3, 'y'), (4, 4, 'y')`, ...steps.map((s) => s.replace("{t}", table))]);
        expect(run.replayed).toEqual(run.table);
      });
    }), { numRuns: 25 });
  });

  it("the first case found: two rows moved onto one deferred key, one of them never in the ledger", async () => {
    await withTable("id int, note text, CONSTRAINT deferred_key PRIMARY KEY (id) DEFERRABLE INITIALLY DEFERRED", async (table) => {
      const run = await replayed(attack.runtime(), table, [
        `INSERT INTO ${table} VALUES (1, 'x'), (2, 'secret')`,
        `UPDATE ${table} SET id = 1, note = 'x' WHERE id IN (1, 2)`,
        `UPDATE ${table} SET id = 3 WHERE ctid = (SELECT max(ctid) FROM ${table})`,
      ]);
      expect(run.table).toEqual(['{"id":1,"note":"x"}', '{"id":3,"note":"x"}']);
      expect(run.replayed).toEqual(run.table);
    });
  });

  it("records a change that leaves a column's text form alone: an overload swapped into a regproc or regoper column", async () => {
    const overloads = (await attack.runtime().query(`
      SELECT array_agg(oid::regprocedure::oid::text ORDER BY oid) AS procs FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace AND prokind = 'f'
      GROUP BY proname HAVING count(*) > 1 ORDER BY proname LIMIT 300`)).rows.map((r) => r.procs as string[]);
    const operators = (await attack.runtime().query(`
      SELECT array_agg(oid::text ORDER BY oid) AS opers FROM pg_operator WHERE oprnamespace = 'pg_catalog'::regnamespace
      GROUP BY oprname HAVING count(*) > 1 ORDER BY oprname`)).rows.map((r) => r.opers as string[]);
    const pair = (groups: string[][]) => fc.constantFrom(...groups).chain((group) =>
      fc.tuple(fc.constantFrom(...group), fc.constantFrom(...group)).filter(([x, y]) => x !== y));
    await fc.assert(fc.asyncProperty(pair(overloads), pair(operators), fc.constantFrom("id int PRIMARY KEY", "id int"), async ([p1, p2], [o1, o2], key) => {
      await withTable(`${key}, p regproc, o regoper`, async (table) => {
        const run = await replayed(attack.runtime(), table, [
          `INSERT INTO ${table} VALUES (1, ${p1}::oid::regproc, ${o1}::oid::regoper)`,
          `UPDATE ${table} SET p = ${p2}::oid::regproc, o = ${o2}::oid::regoper`,
        ]);
        const update = run.events.find((e) => e.operation === "UPDATE");
        expect(Object.keys(update?.diff ?? {}).sort()).toEqual(["o", "p"]);
      });
    }), { numRuns: 30 });
  });

  it("tells the join's missing side from a composite key whose fields are all null: no event for an unchanged row, a diff for a changed one", async () => {
    await attack.ddl().query("CREATE TYPE web_dev.attack_pair AS (a int, b int)");
    try {
      await withTable("k web_dev.attack_pair PRIMARY KEY, note text", async (table) => {
        const run = await replayed(attack.runtime(), table, [
          `INSERT INTO ${table} VALUES (ROW(NULL, NULL), 'a'), (ROW(1, NULL), 'b')`,
          `UPDATE ${table} SET note = note`,
          `UPDATE ${table} SET note = 'c'`,
        ]);
        const updates = run.events.filter((e) => e.operation === "UPDATE");
        expect(updates).toHaveLength(2);
        expect(updates).toEqual(expect.arrayContaining([
          { operation: "UPDATE", primary_key: { k: { a: null, b: null } }, before: null, after: null, diff: { note: { before: "a", after: "c" } } },
          { operation: "UPDATE", primary_key: { k: { a: 1, b: null } }, before: null, after: null, diff: { note: { before: "b", after: "c" } } },
        ]));
      });
    } finally {
      await attack.ddl().query("DROP TYPE web_dev.attack_pair");
    }
  });
});
