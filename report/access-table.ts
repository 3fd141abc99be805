/*
 * The access matrix as a real table: a row per principal (role, named user, workspace's members,
 * API key slot, integration), a column per app in each environment. Each cell says allow or deny
 * in words with an icon, carries the evaluator's reason in its `title` for hover, and in a span
 * that screen readers read and print shows, so no reason lives only on hover.
 */
import { html, type Html } from "./html";
import type { AccessCell, AccessMatrix, AccessPrincipal } from "./report-model";
import { DECISION_LABELS } from "./verdict";

const PRINCIPAL_KINDS: Readonly<Record<AccessPrincipal["kind"], string>> = {
  role: "role",
  user: "named user",
  workspace: "workspace members",
  "api-key": "API key slot",
  integration: "integration",
};

const cellKey = (principal: AccessPrincipal, app: string, environment: string) => JSON.stringify([principal.kind, principal.name, app, environment]);

/** The cells by principal and column; when a cell is given twice the first one stands, as in a lookup. */
export function indexCells(cells: readonly AccessCell[]): ReadonlyMap<string, AccessCell> {
  const index = new Map<string, AccessCell>();
  for (const cell of cells) {
    const key = cellKey(cell.principal, cell.app, cell.environment);
    if (!index.has(key)) index.set(key, cell);
  }
  return index;
}

function renderCell(cell: AccessCell | undefined): Html {
  if (cell === undefined) {
    const label = DECISION_LABELS.none;
    return html`<td class="${label.tone}"><span aria-hidden="true">${label.icon}</span> ${label.text}</td>`;
  }
  const label = DECISION_LABELS[cell.decision];
  return html`<td class="${label.tone}" title="${cell.reason}"><span aria-hidden="true">${label.icon}</span> ${label.text} <span class="reason">(${cell.reason})</span></td>`;
}

export function renderAccessTable(matrix: AccessMatrix): Html {
  if (matrix.principals.length === 0 || matrix.columns.length === 0) return html`<p class="muted">The matrix is empty: no principal or no app to reach.</p>`;
  const cells = indexCells(matrix.cells);
  const head = matrix.columns.map((c) => html`<th scope="col">${c.app} · ${c.environment}</th>`);
  const rows = matrix.principals.map((p) => {
    const row = matrix.columns.map((c) => renderCell(cells.get(cellKey(p, c.app, c.environment))));
    return html`<tr><th scope="row">${p.name} <span class="muted">(${PRINCIPAL_KINDS[p.kind]})</span></th>${row}</tr>`;
  });
  return html`<div class="matrix-wrap"><table class="matrix"><caption>Who may reach each app in each environment, as the router's evaluator decides; hover a cell for its reason (printed below each decision)</caption><thead><tr><th scope="col">principal</th>${head}</tr></thead><tbody>${rows}</tbody></table></div>`;
}
