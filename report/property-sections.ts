/*
 * The posture on the page: a summary table of the 20 properties, then one block per property
 * with its claims (what was attempted, as whom, what came back, when), the rules that guard it
 * and its note. Badges come from `shownVerdict`, which never shows more than the claims support.
 */
import { EMPTY, html, type Html } from "./html";
import type { EvidenceSource } from "./property-verdict";
import type { ReportClaim, ReportProperty } from "./report-model";
import { CLAIM_LABELS, shownVerdict, VERDICT_LABELS, type Label } from "./verdict";

/** An icon (hidden from screen readers: the word says it) and a word. */
export function badge(label: Label): Html {
  return html`<span class="badge ${label.tone}"><span aria-hidden="true">${label.icon}</span> ${label.text}</span>`;
}

const anchor = (p: ReportProperty) => `property-${p.number}`;

export function renderPostureSummary(properties: readonly ReportProperty[], source: EvidenceSource): Html {
  const rows = properties.map((p) => {
    const { verdict } = shownVerdict(p, source);
    return html`<tr><td>${p.number}</td><td><a href="#${anchor(p)}">${p.title}</a></td><td>${badge(VERDICT_LABELS[verdict])}</td><td>${p.claims.length}</td></tr>`;
  });
  return html`<table class="posture"><caption>Each property of the posture and how this page shows it</caption><thead><tr><th scope="col">#</th><th scope="col">property</th><th scope="col">verdict</th><th scope="col">claims</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function renderClaims(claims: readonly ReportClaim[]): Html {
  if (claims.length === 0) return html`<p class="muted">No proof claim attempts this property here.</p>`;
  const rows = claims.map(
    (c) => html`<tr class="claim"><td>${c.claim}</td><td><code>${c.attempt}</code></td><td><code>${c.result}</code></td><td>${badge(CLAIM_LABELS[c.status])}</td><td class="when">${c.at ?? "not recorded"}</td></tr>`,
  );
  return html`<table class="claims"><thead><tr><th scope="col">claim</th><th scope="col">attempt</th><th scope="col">result</th><th scope="col">status</th><th scope="col">when</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function renderRules(rules: readonly string[]): Html {
  if (rules.length === 0) return html`<p class="muted">No rule of the policy pack guards it.</p>`;
  return html`<p>Guarded by the policy pack's rules: ${rules.map((r, i) => html`${i > 0 ? ", " : ""}<code>${r}</code>`)}</p>`;
}

export function renderProperty(p: ReportProperty, source: EvidenceSource): Html {
  const shown = shownVerdict(p, source);
  const downgraded = shown.downgraded === undefined ? EMPTY : html`<p class="downgraded"><strong>Shown as ${VERDICT_LABELS[shown.verdict].text}:</strong> ${shown.downgraded}.</p>`;
  const note = p.note === undefined ? EMPTY : html`<p class="note"><strong>Note:</strong> ${p.note}</p>`;
  return html`<section class="property" id="${anchor(p)}" aria-labelledby="${anchor(p)}-title"><h3 id="${anchor(p)}-title">${p.number}. ${p.title} ${badge(VERDICT_LABELS[shown.verdict])}</h3><p>${p.enforcedBy}</p>${downgraded}${renderClaims(p.claims)}${renderRules(p.policies)}${note}</section>`;
}
