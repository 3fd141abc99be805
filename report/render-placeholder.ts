import type { ReportModel } from "./report-model";

/*
 * A stand-in for report/render-html.ts (the trust page's renderer, written beside this command):
 * the whole model as plain, escaped HTML, so `tenantry report` can be run and tested end to end
 * now. It is replaced by renderReportHtml from render-html.ts when that lands; it has the same
 * signature. Self-contained: no external asset, and a CSP that allows none.
 */

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const list = (items: readonly string[]) => `<ul>${items.map((i) => `<li>${escape(i)}</li>`).join("")}</ul>`;

export function renderReportHtml(model: ReportModel): string {
  const source = model.proof.source.kind === "fresh" ? "fresh" : `saved, from ${model.proof.source.file}, proved at ${model.proof.provedAt}`;
  const properties = model.properties.map((p) => `<section><h3>${p.number}. ${escape(p.title)}: ${p.verdict}</h3><p>${escape(p.enforcedBy)}</p>${p.note === undefined ? "" : `<p>${escape(p.note)}</p>`}${
    list(p.claims.map((c) => `${c.status}: ${c.claim} | ${c.attempt} | ${c.result}${c.at === undefined ? "" : ` | ${c.at}`}`))}${list(p.policies)}</section>`).join("");
  const matrix = `<table><tr><th></th>${model.access.columns.map((c) => `<th>${escape(`${c.app} ${c.environment}`)}</th>`).join("")}</tr>${model.access.principals.map((p) =>
    `<tr><th>${escape(`${p.kind}: ${p.name}`)}</th>${model.access.columns.map((col) => {
      const cell = model.access.cells.find((c) => c.principal.kind === p.kind && c.principal.name === p.name && c.app === col.app && c.environment === col.environment);
      return cell === undefined ? "<td></td>" : `<td title="${escape(cell.reason)}">${cell.decision}</td>`;
    }).join("")}</tr>`).join("")}</table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'">
<title>${escape(`${model.org.slug}: security and trust`)}</title></head><body>
<h1>${escape(model.org.slug)}: security and trust</h1>
<p>${escape(`${model.org.tier}; environments ${model.org.environments.join(", ")}; workspaces ${model.org.workspaces.join(", ")}${model.org.placement === undefined ? "" : `; cluster ${model.org.placement}`}`)}</p>
${list(model.org.apps.map((a) => `${a.name} (${a.workspace}): ${a.access}`))}
<p>${escape(`proof: ${source}; on ${model.proof.target} at ${model.proof.provedAt}; ${model.proof.counts.hold} hold, ${model.proof.counts.broken} broken, ${model.proof.counts.skipped} skipped`)}</p>
<h2>Properties</h2>${properties}
<h2>Access</h2>${matrix}
<h2>Policies</h2>${list(model.policies.map((p) => `${p.rule} (${p.enforcement}): ${p.outcome}${p.message === undefined ? "" : `: ${p.message}`}`))}
<h2>Secrets, by reference</h2>${list(model.secrets.map((s) => `${s.name} (${s.scope}): ${s.reference}; hosts ${s.allowedHosts.join(", ") || "none"}`))}
<h2>Not proven here</h2>${list(model.notProvenHere)}
<p>${escape(`tenantry ${model.tenantry.version}, commit ${model.tenantry.commit}; generated ${model.generatedAt}`)}</p>
</body></html>
`;
}
