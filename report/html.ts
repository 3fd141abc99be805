/*
 * The trust page's only way to make HTML. A tenant chooses app names, workspace slugs, secret
 * names, and through them much of the text a security reviewer's browser shows; that text must
 * never become markup. So markup is a type of its own (`Html`) that only the `html` tag below can
 * make, from this codebase's template literals. Every interpolated string is escaped on its way
 * in, whatever its origin. There is no "raw" escape hatch for a string: a function that wants to
 * emit markup has to build it with `html` too.
 *
 * The escape covers text and double-quoted attribute values, the only two places the page's
 * templates interpolate into. Nothing is interpolated into a tag name, an attribute name, an
 * unquoted attribute, a URL, or the `<style>` block.
 */

const MARKUP = Symbol("markup written by the page itself");

/** Markup the page wrote. Not constructible outside this module except through `html`. */
export interface Html {
  readonly [MARKUP]: string;
}

/** What a template may interpolate: markup (kept), text or numbers (escaped), or lists of markup. */
export type Interpolation = Html | string | number | readonly Html[];

const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text as it must appear inside an element or a double-quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function isHtml(value: unknown): value is Html {
  return typeof value === "object" && value !== null && MARKUP in value;
}

function piece(value: Interpolation): string {
  if (isHtml(value)) return value[MARKUP];
  if (Array.isArray(value)) return value.map((v: Html) => piece(v)).join("");
  return escapeHtml(String(value));
}

/** The tag for every piece of the page's markup: `html\`<td title="${reason}">${text}</td>\``. */
export function html(strings: TemplateStringsArray, ...values: readonly Interpolation[]): Html {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += piece(value) + (strings[i + 1] ?? "");
  });
  return { [MARKUP]: out };
}

/** Nothing: for a piece that is absent. */
export const EMPTY: Html = html``;

/** The finished markup, for writing the page out. */
export function markupOf(fragment: Html): string {
  return fragment[MARKUP];
}
