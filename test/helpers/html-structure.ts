/*
 * Reads an HTML page the way a browser's parser does (parse5, the WHATWG algorithm), for tests
 * that must judge the page's structure rather than its string: which elements and attributes it
 * has, and the text its cells show.
 */
import { parse } from "parse5";

export interface ParsedElement {
  readonly tag: string;
  readonly attrs: readonly { readonly name: string; readonly value: string }[];
  readonly depth: number;
}

interface Node {
  readonly nodeName: string;
  readonly tagName?: string;
  readonly value?: string;
  readonly attrs?: readonly { readonly name: string; readonly value: string }[];
  readonly childNodes?: readonly Node[];
  readonly content?: Node;
}

function walk(node: Node, depth: number, visit: (node: Node, depth: number) => void): void {
  visit(node, depth);
  for (const child of node.childNodes ?? []) walk(child, depth + 1, visit);
  if (node.content !== undefined) walk(node.content, depth + 1, visit);
}

/** Every element in document order, with its attributes and depth. */
export function elementsOf(page: string): ParsedElement[] {
  const out: ParsedElement[] = [];
  walk(parse(page) as unknown as Node, 0, (node, depth) => {
    if (node.tagName !== undefined) out.push({ tag: node.tagName, attrs: node.attrs ?? [], depth });
  });
  return out;
}

/** The page's shape: element names, attribute names and nesting, in order; no text, no values. */
export function shapeOf(page: string): string[] {
  return elementsOf(page).map((e) => `${e.depth}:${e.tag}[${e.attrs.map((a) => a.name).join(",")}]`);
}

/** The text of every element matching `tag` with a class containing `className`, in order. */
export function textsOf(page: string, tag: string, className?: string): string[] {
  const texts: string[] = [];
  const textOf = (node: Node): string => (node.nodeName === "#text" ? (node.value ?? "") : (node.childNodes ?? []).map(textOf).join(""));
  walk(parse(page) as unknown as Node, 0, (node) => {
    if (node.tagName !== tag) return;
    if (className !== undefined && !(node.attrs ?? []).some((a) => a.name === "class" && a.value.split(" ").includes(className))) return;
    texts.push(textOf(node));
  });
  return texts;
}
