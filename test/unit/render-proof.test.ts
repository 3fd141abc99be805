import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fitColumns, renderProofSummary, renderProofTable } from "../../cli/render-proof";
import { cellWidth, MIN_WIDTH, outputWidth } from "../../cli/terminal";
import type { ClaimResult } from "../../local/proof/claim";

/*
 * The proof as a terminal shows it: a summary that never cuts a broken claim short, and a full
 * table whose lines never pass the terminal's width, whatever the claims say.
 */

// Words of every kind a claim carries: SQL, role names, SQLSTATEs, a wide character, and one long unbroken token.
const word = fc.oneof(
  fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz_0123456789(),.;:'=*"), minLength: 1, maxLength: 12 }),
  fc.constantFrom("CREATE", "TABLE", "42501", "tn_acme_prod_runtime", "→", "漢字", "✓", "pg_catalog.pg_roles.rolvaliduntil_and_more_of_it"),
  fc.string({ unit: fc.constantFrom(..."abcdef0123456789"), minLength: 30, maxLength: 120 }),
);
const text = fc.array(word, { minLength: 1, maxLength: 40 }).map((words) => words.join(" "));
// Sections as the proof names them (tagged «s», which no generated word holds), one long enough to wrap.
const section = fc.constantFrom("«s1» operators (property 9): the gateway in workerd, and this org's router", `«s2» ${"x".repeat(300)}`);
const claimResult: fc.Arbitrary<ClaimResult> = fc.record({
  claim: text, attempt: text, result: text, status: fc.constantFrom("pass", "fail", "skip"), section,
}, { requiredKeys: ["claim", "attempt", "result", "status"] });
const results = fc.array(claimResult, { minLength: 1, maxLength: 12 });
const width = fc.integer({ min: MIN_WIDTH, max: 240 });

const squeeze = (s: string) => s.replace(/\s+/g, "");
const widest = (output: string) => Math.max(...output.split("\n").map(cellWidth));

const broken: ClaimResult = {
  claim: "the runtime role cannot create tables in its environment's schemas",
  attempt: "as tn_acme_prod_runtime: CREATE TABLE web_prod.tenantry_proof_1a2b3c4d (id int); and again in billing_prod, main_prod and every other schema of the environment, each in its own transaction",
  result: "ALLOWED, expected refused 42501",
  status: "fail",
};
const holds: ClaimResult = { claim: "the ledger is append-only", attempt: "as tn_acme_prod_ddl: UPDATE audit.events SET actor = 'x'", result: "refused 42501", status: "pass" };

describe("the fitted proof table (--verbose)", () => {
  it("never prints a line wider than the width it is given, whatever the claims say", () => {
    fc.assert(fc.property(results, width, (rows, columns) => {
      expect(widest(renderProofTable(rows, columns))).toBeLessThanOrEqual(columns);
    }));
  });

  it("keeps every cell whole: read back column by column, each row's cells are all there, in order", () => {
    // ASCII only, so a column can be cut out of a line by character offsets.
    const ascii = fc.array(fc.string({ unit: fc.constantFrom(..."abcdefghij_.;() 0123456789"), minLength: 1, maxLength: 150 }), { minLength: 3, maxLength: 3 })
      .map(([claim = "", attempt = "", result = ""]) => ({ claim, attempt, result, status: "pass" as const }));
    fc.assert(fc.property(fc.array(ascii, { minLength: 1, maxLength: 6 }), width, (rows, columns) => {
      const lines = renderProofTable(rows, columns).split("\n");
      const widths = (lines[1] ?? "").split("-|-").map((dashes) => dashes.length);
      const [w0 = 0, w1 = 0] = widths;
      const body = lines.slice(2, lines.lastIndexOf(""));
      const cut = (line: string) => [line.slice(0, w0), line.slice(w0 + 3, w0 + 3 + w1), line.slice(w0 + 3 + w1 + 3)];
      const columnsRead = [0, 1, 2].map((i) => squeeze(body.map((line) => cut(line)[i] ?? "").join("")));
      expect(columnsRead).toEqual([
        squeeze(rows.map((r) => r.claim).join("")),
        squeeze(rows.map((r) => r.attempt).join("")),
        squeeze(rows.map((r) => `${r.result}✓`).join("")),
      ]);
    }));
  });

  it("(control) the same rows unfitted do pass the width: the property above is not vacuous", () => {
    expect(widest(renderProofTable([broken, holds], undefined))).toBeGreaterThan(100);
    expect(widest(renderProofTable([broken, holds], 100))).toBeLessThanOrEqual(100);
  });

  it("heads each named section once, above its first row, and leaves rows without one unheaded", () => {
    const operators = "operators (property 9)";
    const inSection = (row: ClaimResult): ClaimResult => ({ ...row, section: operators });
    const table = renderProofTable([holds, broken, inSection(holds), inSection(broken)], undefined).split("\n").map((line) => line.replace(/ +\| /g, " | "));
    expect(table.slice(2)).toEqual([
      `${holds.claim} | ${holds.attempt} | ${holds.result}  ✓`,
      `${broken.claim} | ${broken.attempt} | ${broken.result}  ✗ FAIL`,
      "",
      `== ${operators}`,
      `${holds.claim} | ${holds.attempt} | ${holds.result}  ✓`,
      `${broken.claim} | ${broken.attempt} | ${broken.result}  ✗ FAIL`,
      "",
      "claims: 2 hold, 2 broken, 0 skipped",
    ]);
    // Control: without sections, no heading.
    expect(renderProofTable([holds, broken, holds, broken], undefined)).not.toContain("==");
  });

  it("keeps one row a line when unbounded (a pipe), with the counts last", () => {
    const table = renderProofTable([broken, holds], undefined).split("\n");
    expect(table[0]).toMatch(/^claim +\| attempt +\| result$/);
    expect(table[2]).toBe(`${broken.claim} | ${broken.attempt} | ${broken.result}  ✗ FAIL`);
    expect(table.slice(-2)).toEqual(["", "claims: 1 hold, 1 broken, 0 skipped"]);
  });

  it("splits the width so narrow columns keep their natural width and the rest share what is left", () => {
    expect(fitColumns([5, 10, 20], 100)).toEqual([5, 10, 20]);
    expect(fitColumns([20, 200, 300], 94)).toEqual([20, 37, 37]);
    // Results are short but for one long reason: the attempts get the room, not that one cell.
    expect(fitColumns([120, 300, 250], 194, [80, 150, 20])).toEqual([80, 94, 20]);
    const column = fc.integer({ min: 1, max: 500 });
    fc.assert(fc.property(fc.array(fc.tuple(column, column), { minLength: 3, maxLength: 3 }), fc.integer({ min: 3, max: 400 }), (columns, available) => {
      const naturals = columns.map(([a, b]) => Math.max(a, b));
      const widths = fitColumns(naturals, available, columns.map(([a, b]) => Math.min(a, b)));
      expect(widths.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(available);
      widths.forEach((w, i) => expect(w).toBeLessThanOrEqual(naturals[i] ?? 0));
      // No room is left unused while a column still wraps.
      if (widths.some((w, i) => w < (naturals[i] ?? 0))) expect(available - widths.reduce((a, b) => a + b, 0)).toBeLessThan(3);
    }));
  });
});

describe("the proof summary (the default)", () => {
  const seeAll = "every claim with its attempt: npx tenantry prove --local org-acme --verbose";

  /**
   * Claims whose every text is unique: each carries a tag no generated word contains (« and »
   * are not in `word`), so a text found in the output was printed for that claim and no other.
   */
  const tagged = results.map((rows) => rows.map((row, i): ClaimResult => ({
    ...row, claim: `«c${i}» ${row.claim}`, attempt: `«a${i}» ${row.attempt}`, result: `«r${i}» ${row.result}`,
  })));
  const textsOf = (row: ClaimResult) => [row.claim, row.attempt, row.result];
  /** The texts of a claim that holds or was skipped found in `output`, and the texts of a broken claim missing from it. */
  function misprinted(rows: readonly ClaimResult[], output: string): { leaked: string[]; lost: string[] } {
    const printed = squeeze(output);
    return {
      leaked: rows.filter((r) => r.status !== "fail").flatMap(textsOf).filter((text) => printed.includes(squeeze(text))),
      lost: rows.filter((r) => r.status === "fail").flatMap(textsOf).filter((text) => !printed.includes(squeeze(text))),
    };
  }

  it("prints every broken claim's claim, attempt and result, and no text of a claim that holds or was skipped", () => {
    fc.assert(fc.property(tagged, fc.option(width, { nil: undefined }), (rows, columns) => {
      const summary = renderProofSummary(rows, seeAll, columns);
      expect(misprinted(rows, summary)).toEqual({ leaked: [], lost: [] });
      for (const row of rows.filter((r) => r.status === "fail")) {
        expect(squeeze(summary)).toContain(squeeze(`${row.claim}attempt:${row.attempt}result:${row.result}`));
      }
    }));
  });

  it("(control) the check above catches output that prints every claim, or drops a broken one", () => {
    fc.assert(fc.property(tagged, fc.option(width, { nil: undefined }), (rows, columns) => {
      const quiet = rows.filter((r) => r.status !== "fail");
      const failing = rows.filter((r) => r.status === "fail");
      // The full table prints the claims that hold and the skipped ones too (unbounded, so a wrapped cell is not interleaved with its neighbours).
      expect(misprinted(rows, renderProofTable(rows, undefined)).leaked).toEqual(quiet.flatMap(textsOf));
      // A summary that lost its first broken claim.
      const [first, ...others] = failing;
      if (first !== undefined) expect(misprinted(rows, renderProofSummary([...quiet, ...others], seeAll, columns)).lost).toEqual(textsOf(first));
    }));
  });

  it("never prints a line wider than the width it is given", () => {
    fc.assert(fc.property(results, width, (rows, columns) => {
      expect(widest(renderProofSummary(rows, seeAll, columns))).toBeLessThanOrEqual(columns);
    }));
  });

  it("ends with the counts and the line that says how to see every claim", () => {
    expect(renderProofSummary([holds, broken], seeAll, undefined)).toBe([
      `✗ FAIL  ${broken.claim}`,
      `    attempt: ${broken.attempt}`,
      `    result:  ${broken.result}`,
      "",
      "claims: 1 hold, 1 broken, 0 skipped",
      seeAll,
    ].join("\n"));
    expect(renderProofSummary([holds], seeAll, 100)).toBe(["claims: 1 hold, 0 broken, 0 skipped", seeAll].join("\n"));
  });

  it("gives each named section its own counts above the total, so the summary shows that part was proven", () => {
    const operators = "operators (property 9)";
    expect(renderProofSummary([holds, { ...holds, section: operators }, { ...broken, section: operators }], seeAll, undefined).split("\n").slice(-4)).toEqual([
      operators,
      "  claims: 1 hold, 1 broken, 0 skipped",
      "claims: 2 hold, 1 broken, 0 skipped",
      seeAll,
    ]);
  });

  it("wraps a long attempt under its label, so it reads as one field", () => {
    const lines = renderProofSummary([broken], seeAll, 60).split("\n");
    const attempt = lines.findIndex((l) => l.startsWith("    attempt: "));
    expect(lines[attempt + 1]).toMatch(/^ {13}\S/);
  });
});

describe("the output width", () => {
  it("is the terminal's width on a terminal, COLUMNS elsewhere if set, and unbounded otherwise", () => {
    expect(outputWidth({ isTTY: true, columns: 132 }, {})).toBe(132);
    expect(outputWidth({ isTTY: true, columns: 132 }, { COLUMNS: "80" })).toBe(132);
    expect(outputWidth({ isTTY: false }, { COLUMNS: "80" })).toBe(80);
    expect(outputWidth({ isTTY: false }, {})).toBeUndefined();
    expect(outputWidth({ isTTY: false }, { COLUMNS: "wide" })).toBeUndefined();
  });

  it(`is never below ${MIN_WIDTH}: a narrower terminal gets a table at that width`, () => {
    expect(outputWidth({ isTTY: true, columns: 12 }, {})).toBe(MIN_WIDTH);
  });
});
