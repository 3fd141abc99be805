/*
 * The page's lists: the policy pack's results, the secrets by reference, and what this page
 * cannot show. Each renders only the fields it names, so a value that reached the model by
 * mistake (a secret's value, say) is never printed: the page is an allowlist of fields.
 */
import { html, type Html } from "./html";
import { badge } from "./property-sections";
import type { PolicyOutcome, SecretReference } from "./report-model";
import { OUTCOME_LABELS } from "./verdict";

export function renderPolicies(policies: readonly PolicyOutcome[]): Html {
  if (policies.length === 0) return html`<p class="muted">No policy result was recorded for this page.</p>`;
  const failed = policies.filter((p) => p.outcome === "fail").length;
  const rows = policies.map(
    (p) => html`<tr><td><code>${p.rule}</code></td><td>${p.enforcement}</td><td>${badge(OUTCOME_LABELS[p.outcome])}</td><td>${p.message ?? ""}</td></tr>`,
  );
  return html`<p>${policies.length} rules, ${failed} failed.</p><table class="policies"><thead><tr><th scope="col">rule</th><th scope="col">enforcement</th><th scope="col">outcome</th><th scope="col">message</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function renderSecrets(secrets: readonly SecretReference[]): Html {
  if (secrets.length === 0) return html`<p class="muted">The org declares no secret.</p>`;
  const hosts = (s: SecretReference) => (s.allowedHosts.length === 0 ? html`<span class="muted">none declared</span>` : s.allowedHosts.map((h, i) => html`${i > 0 ? ", " : ""}<code>${h}</code>`));
  const rows = secrets.map((s) => html`<tr><td><code>${s.name}</code></td><td>${s.scope}</td><td><code>${s.reference}</code></td><td>${hosts(s)}</td></tr>`);
  return html`<p>Each reference names where the value is kept; this page lists references only, never a value.</p><table class="secrets"><thead><tr><th scope="col">name</th><th scope="col">scope</th><th scope="col">reference</th><th scope="col">allowed hosts</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function renderNotProvenHere(items: readonly string[]): Html {
  if (items.length === 0) return html`<p class="muted">The report lists nothing it could not show here.</p>`;
  return html`<ul class="not-proven">${items.map((item) => html`<li>${item}</li>`)}</ul>`;
}

/** A list as words: `dev → test → prod`, or a plain dash when empty. */
export function listOrDash(items: readonly string[], separator: string): Html {
  return items.length === 0 ? html`–` : html`${items.join(separator)}`;
}
