import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escapeHtml, html, markupOf } from "../../report/html";
import { renderReportHtml } from "../../report/render-html";
import { acmeReportModel } from "../fixtures/report-model";
import { mapModelText } from "../fixtures/report-model-text";
import { elementsOf, shapeOf, textsOf } from "../helpers/html-structure";

/*
 * The adversary: a tenant who chooses app, workspace, environment and secret names in the stack
 * file (or a proof whose output echoes them) and wants script, markup or a new attribute in a
 * security reviewer's browser. Whatever strings the model holds, the parsed page must have
 * exactly the elements and attributes it has for plain words, and show the strings as text.
 */

const PAYLOADS = [
  "<img src=x onerror=alert(1)>",
  "</style><script>alert(1)</script>",
  "</title><script>alert(1)</script>",
  '"><svg onload=alert(1)>',
  "' onmouseover='alert(1)",
  "<!--",
  "]]><script>alert(1)</script>",
  "&lt;script&gt;",
  "</textarea></svg></table><iframe src=//x>",
  "<meta http-equiv=refresh content=0;url=//x>",
  "`${x}`",
];

const adversarialText = fc.oneof(
  fc.constantFrom(...PAYLOADS),
  fc.string({ unit: "binary", maxLength: 24 }),
  fc.tuple(fc.string({ maxLength: 6 }), fc.constantFrom(...PAYLOADS), fc.string({ maxLength: 6 })).map((parts) => parts.join("")),
);

/** Each distinct string a distinct plain word, "" kept empty: lookups and emptiness behave alike. */
function plainWords(): (text: string) => string {
  const words = new Map<string, string>();
  return (text) => {
    if (text === "") return "";
    if (!words.has(text)) words.set(text, `word${words.size}`);
    return words.get(text) ?? "";
  };
}

/** Hands the generated strings out in turn, reusing them when the model has more fields. */
function dealer(strings: readonly string[]): (text: string) => string {
  let i = 0;
  return () => strings[i++ % strings.length] ?? "";
}

/** What the HTML parser does to text before anyone sees it: newlines normalised, NUL dropped in body text. */
const asParsed = (text: string) => text.replace(/\r\n?/g, "\n").replace(/\0/g, "");

describe("the page escapes every model string by construction", () => {
  it("makes the same elements and attributes whatever strings the model holds, and shows them as text", () => {
    fc.assert(
      fc.property(fc.array(adversarialText, { minLength: 1, maxLength: 40 }), fc.boolean(), (strings, saved) => {
        // A saved proof's file name is on the page too (the --proof argument, as the user typed it).
        const base = saved ? { ...acmeReportModel(), proof: { ...acmeReportModel().proof, source: { kind: "saved" as const, file: "proof-acme.json" } } } : acmeReportModel();
        const hostile = mapModelText(base, dealer(strings));
        const plain = mapModelText(hostile, plainWords());
        const page = renderReportHtml(hostile);
        expect(shapeOf(page)).toEqual(shapeOf(renderReportHtml(plain)));
        expect(elementsOf(page).filter((e) => e.tag === "script")).toEqual([]);
        // The glance table's first column is the apps' names, as the tenant wrote them.
        const shown = textsOf(page, "td").slice(0, hostile.org.apps.length * 3).filter((_, i) => i % 3 === 0);
        expect(shown).toEqual(hostile.org.apps.map((a) => asParsed(a.name)));
      }),
      { numRuns: 60 },
    );
  });

  it("control: the shape comparison catches a model string let through unescaped", () => {
    const hostile = mapModelText(acmeReportModel(), (text) => (text === "storefront" ? PAYLOADS[0] ?? "" : text));
    const page = renderReportHtml(hostile);
    const unescapedOnce = page.replace(escapeHtml(PAYLOADS[0] ?? ""), PAYLOADS[0] ?? "");
    expect(unescapedOnce).not.toEqual(page);
    expect(shapeOf(unescapedOnce)).not.toEqual(shapeOf(renderReportHtml(mapModelText(hostile, plainWords()))));
    expect(elementsOf(unescapedOnce).some((e) => e.attrs.some((a) => a.name === "onerror"))).toBe(true);
  });

  it("escapes a string in text and in a double-quoted attribute, and keeps the page's own markup", () => {
    const evil = `"><script>alert('x')</script>&`;
    const fragment = markupOf(html`<td title="${evil}">${evil}${html`<b>kept</b>`}</td>`);
    expect(fragment).toBe(`<td title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;<b>kept</b></td>`);
  });

  it("takes no plain string as markup, neither at compile time nor at run time", () => {
    // @ts-expect-error a string is not Html: only the html tag makes markup
    const forged: Parameters<typeof markupOf>[0] = "<b>raw</b>";
    expect(markupOf(forged)).toBeUndefined();
  });
});
