/*
 * The trust page's one stylesheet and the Content-Security-Policy that admits exactly it.
 * The page must work offline and as an e-mail attachment, so it loads nothing: `default-src
 * 'none'` refuses every fetch, and the inline `<style>` is allowed by its SHA-256 alone (no
 * 'unsafe-inline'), so a style or script that somehow reached the markup would not run.
 * The diagram is inline SVG, which is not fetched, so no img-src is needed.
 */
import { createHash } from "node:crypto";
import { html, markupOf, type Html } from "./html";

/**
 * Colour is never the only signal: every badge and cell carries an icon and a word. Written with
 * the `html` tag (no interpolation) so it is page markup, embedded as it is, byte for byte what
 * the CSP hash covers.
 */
export const PAGE_STYLE: Html = html`
:root { color-scheme: light; --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --ok: #1a7f37; --bad: #b42318; --warn: #7a5b00; --none: #57606a; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0 auto; max-width: 72rem; padding: 1.5rem; }
h1 { font-size: 1.7rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; margin-top: 2.5rem; }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .25rem; }
.provenance { border: 1px solid var(--line); border-left: 4px solid var(--ink); padding: .5rem .75rem; margin: .75rem 0; }
.muted, .when { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #f6f8fa; }
caption { text-align: left; color: var(--muted); padding-bottom: .25rem; }
code { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; overflow-wrap: break-word; }
td.when { white-space: nowrap; }
dl.glance { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.glance dt { font-weight: 600; }
dl.glance dd { margin: 0; }
.badge { display: inline-block; border: 1px solid currentColor; border-radius: .25rem; padding: 0 .4rem; font-weight: 600; white-space: nowrap; }
.v-proven, .s-pass, .d-allow, .o-pass { color: var(--ok); }
.v-broken, .s-fail, .d-deny, .o-fail { color: var(--bad); }
.v-policy-only, .v-unverified { color: var(--warn); }
.v-not-proven-offline, .s-skip, .d-none { color: var(--none); }
td.d-allow { background: #eef8f0; }
td.d-deny { background: #fdf0ef; }
.reason { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.matrix-wrap { overflow-x: auto; }
.matrix td { white-space: nowrap; }
svg.diagram { max-width: 100%; height: auto; border: 1px solid var(--line); }
svg.diagram text { font: 12px system-ui, sans-serif; fill: var(--ink); }
svg.diagram .box { fill: #fff; stroke: var(--ink); }
svg.diagram .schema { fill: #f6f8fa; stroke: var(--muted); }
svg.diagram .edge { stroke: var(--muted); fill: none; }
svg.diagram .heading { font-weight: 700; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; color: #000; }
  section { break-before: page; }
  section.first, section.property { break-before: auto; }
  .property, tr { break-inside: avoid; }
  .badge, .v-proven, .v-broken, .v-unverified, .v-policy-only, .v-not-proven-offline, .s-pass, .s-fail, .s-skip, .d-allow, .d-deny, .d-none, .o-pass, .o-fail { color: #000; }
  td.d-allow, td.d-deny, thead th { background: none; }
  td.d-deny { font-weight: 700; }
  .matrix { font-size: 8pt; table-layout: fixed; }
  .matrix td { white-space: normal; }
  .matrix td, .matrix th { overflow-wrap: anywhere; }
  .reason { position: static; width: auto; height: auto; overflow: visible; clip-path: none; white-space: normal; display: block; font-size: 8pt; font-weight: 400; }
  .matrix-wrap { overflow: visible; }
}
`;

/** The CSP source that allows this exact stylesheet: `'sha256-<base64 of its UTF-8 bytes>'`. */
export function styleHashSource(style: Html): string {
  return `'sha256-${createHash("sha256").update(markupOf(style), "utf8").digest("base64")}'`;
}

/**
 * The page's policy. `base-uri` and `form-action` are not covered by `default-src`, so they are
 * closed explicitly; `frame-ancestors` cannot be set from a `<meta>` and is left out.
 */
export function contentSecurityPolicy(style: Html): string {
  return [`default-src 'none'`, `style-src ${styleHashSource(style)}`, `base-uri 'none'`, `form-action 'none'`].join("; ");
}
