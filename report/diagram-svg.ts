/*
 * The org at a glance, drawn: environments as columns (each headed by its runtime and DDL
 * role), workspaces as rows, a schema where they cross, and each app joined to its workspace.
 * Inline SVG made from the model, so the page needs no library and fetches nothing.
 *
 * Every shape has a text label and a <title>, so the drawing reads without colour and to a
 * screen reader. It stays bounded: past a few rows, columns or apps the rest is summarised in
 * one box ("… 188 more workspaces, 564 schemas"), so an org of 200 workspaces draws as many
 * shapes as one of 12.
 */
import { EMPTY, html, type Html } from "./html";
import type { ReportModel } from "./report-model";

export const DIAGRAM_LIMITS = { workspaces: 12, environments: 6, apps: 16, labelChars: 40 } as const;

const CHAR_PX = 7;
const PAD = 16;
const ROW_H = 40;
const APP_H = 40;
const HEAD_H = 64;
const GAP = 48;

type Org = ReportModel["org"];

/** Up to `limit` items; when there are more, the first `limit - 1` and how many are left out. */
export function bounded<T>(items: readonly T[], limit: number): { readonly shown: readonly T[]; readonly hidden: number } {
  if (items.length <= limit) return { shown: items, hidden: 0 };
  return { shown: items.slice(0, limit - 1), hidden: items.length - (limit - 1) };
}

/** A label cut to fit its box; the full text stays in the shape's <title>. */
export function fitLabel(text: string, chars: number = DIAGRAM_LIMITS.labelChars): string {
  const glyphs = Array.from(text);
  return glyphs.length <= chars ? text : `${glyphs.slice(0, chars - 1).join("")}…`;
}

function roleNames(org: Org, environment: string): { readonly runtime: string; readonly ddl: string } {
  const declared = org.roles?.find((r) => r.environment === environment);
  return declared ?? { runtime: "runtime role", ddl: "DDL role" };
}

function schemaLabel(org: Org, workspace: string, environment: string): string {
  return org.schemas?.find((s) => s.workspace === workspace && s.environment === environment)?.name ?? `${workspace} × ${environment}`;
}

const widthFor = (labels: readonly string[], min: number) =>
  Math.max(min, ...labels.map((l) => Array.from(fitLabel(l)).length * CHAR_PX + 2 * PAD));

function box(x: number, y: number, w: number, h: number, cls: string, title: string, lines: readonly string[]): Html {
  const texts = lines.map((line, i) => html`<text x="${x + 8}" y="${y + 16 + i * 15}"${i === 0 ? html` class="heading"` : EMPTY}>${fitLabel(line)}</text>`);
  return html`<g><title>${title}</title><rect class="${cls}" x="${x}" y="${y}" width="${w}" height="${h}" rx="4"></rect>${texts}</g>`;
}

/** The diagram for an org: an <svg> element with its own title and description. */
export function renderDiagramSvg(org: Org): Html {
  const apps = bounded(org.apps, DIAGRAM_LIMITS.apps);
  const workspaces = bounded(org.workspaces, DIAGRAM_LIMITS.workspaces);
  const environments = bounded(org.environments, DIAGRAM_LIMITS.environments);

  const appW = widthFor(apps.shown.flatMap((a) => [a.name, a.access]), 160);
  const wsW = widthFor(workspaces.shown, 120);
  const colLabels = environments.shown.flatMap((e) => {
    const roles = roleNames(org, e);
    return [`runtime ${roles.runtime}`, `DDL ${roles.ddl}`, ...workspaces.shown.map((w) => schemaLabel(org, w, e))];
  });
  const colW = widthFor(colLabels, 150);

  const appX = PAD;
  const wsX = appX + appW + GAP;
  const gridX = wsX + wsW + PAD;
  const gridY = PAD + HEAD_H + PAD;
  const rowY = (i: number) => gridY + i * (ROW_H + 8);
  const colX = (j: number) => gridX + j * (colW + PAD);
  const rows = workspaces.shown.length + (workspaces.hidden > 0 ? 1 : 0);
  const cols = environments.shown.length + (environments.hidden > 0 ? 1 : 0);
  const appCount = apps.shown.length + (apps.hidden > 0 ? 1 : 0);

  const shapes: Html[] = [];
  environments.shown.forEach((env, j) => {
    const roles = roleNames(org, env);
    const title = `environment ${env}: runtime role ${roles.runtime} may read and write its schemas (DML only); DDL role ${roles.ddl} owns them`;
    shapes.push(box(colX(j), PAD, colW, HEAD_H, "box", title, [env, `runtime ${roles.runtime}`, `DDL ${roles.ddl}`]));
    workspaces.shown.forEach((ws, i) => {
      const schema = schemaLabel(org, ws, env);
      shapes.push(box(colX(j), rowY(i), colW, ROW_H, "schema", `schema ${schema}: workspace ${ws} in ${env}`, [schema]));
    });
  });
  if (environments.hidden > 0) {
    const text = `… ${environments.hidden} more environments`;
    shapes.push(box(colX(environments.shown.length), PAD, colW, HEAD_H, "box", text, [text]));
  }
  workspaces.shown.forEach((ws, i) => shapes.push(box(wsX, rowY(i), wsW, ROW_H, "box", `workspace ${ws}`, ["workspace", ws])));
  if (workspaces.hidden > 0) {
    const text = `… ${workspaces.hidden} more workspaces, ${workspaces.hidden * org.environments.length} schemas`;
    const y = rowY(workspaces.shown.length);
    shapes.push(box(wsX, y, wsW + PAD + cols * (colW + PAD) - PAD, ROW_H, "box", text, [text]));
  }

  const edges: Html[] = [];
  apps.shown.forEach((app, k) => {
    const y = PAD + HEAD_H + PAD + k * (APP_H + 8);
    shapes.push(box(appX, y, appW, APP_H, "box", `app ${app.name} in workspace ${app.workspace}, reachable by: ${app.access}`, [app.name, app.access]));
    const row = workspaces.shown.indexOf(app.workspace);
    const target = row >= 0 ? row : workspaces.hidden > 0 ? workspaces.shown.length : -1;
    if (target >= 0) {
      edges.push(html`<path class="edge" d="M ${appX + appW} ${y + APP_H / 2} L ${wsX} ${rowY(target) + ROW_H / 2}"></path>`);
    }
  });
  if (apps.hidden > 0) {
    const text = `… ${apps.hidden} more apps`;
    shapes.push(box(appX, PAD + HEAD_H + PAD + apps.shown.length * (APP_H + 8), appW, APP_H, "box", text, [text]));
  }

  const width = gridX + cols * (colW + PAD);
  const height = Math.max(rowY(rows), PAD + HEAD_H + PAD + appCount * (APP_H + 8)) + PAD;
  const summary = `${org.apps.length} apps, ${org.workspaces.length} workspaces, ${org.environments.length} environments, ${org.workspaces.length * org.environments.length} schemas`;
  return html`<svg class="diagram" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="diagram-title diagram-desc"><title id="diagram-title">${org.slug}: roles, schemas and apps</title><desc id="diagram-desc">${summary}. Each environment's runtime role reads and writes its schemas (DML only) and its DDL role owns them; each app is joined to its workspace.</desc><text x="${appX}" y="${PAD + 12}" class="heading">apps (who may reach them)</text><text x="${wsX}" y="${PAD + 12}" class="heading">workspaces</text>${edges}${shapes}</svg>`;
}
