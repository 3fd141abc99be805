import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderReportHtml } from "../../report/render-html";
import { chromiumArgs, findChromium, missingChromium } from "../helpers/chromium";
import { acmeReportModel, BROKEN_CLAIM, SECRET_CANARY } from "../fixtures/report-model";
import { mapModelText } from "../fixtures/report-model-text";

/*
 * The trust page in a real browser: what Chromium renders and exposes, not the HTML string.
 * The page is acme's fixture model rendered to a file and opened from a file:// URL, with every
 * request the page might make recorded and aborted.
 */

const CHROMIUM = findChromium();
if (CHROMIUM === undefined) {
  console.warn(`report-browser.test.ts: SKIPPED, the trust page is not tested in a browser: ${missingChromium()}`);
}

/** Where the screenshots go: the docs' copies only when asked, so CI never rewrites a tracked file. */
const SCREENSHOTS = process.env.TENANTRY_UPDATE_SCREENSHOT === "1" ? join(__dirname, "..", "..", "docs", "images") : undefined;

/** How the first badge is laid out: inline-block only when the page's stylesheet was applied. */
const BADGE_DISPLAY = `getComputedStyle(document.querySelector(".badge")).display`;

describe.skipIf(CHROMIUM === undefined)("the trust page in Chromium", () => {
  let dir: string;
  let file: string;
  let url: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const consoleMessages: string[] = [];

  /** A fresh page whose every request is recorded, and aborted unless it is the page's own load. */
  async function open(target: string, record: string[], dialogs: string[] = []): Promise<Page> {
    const p = await context.newPage();
    p.on("request", (r) => record.push(r.url()));
    p.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    p.on("console", (m) => consoleMessages.push(m.text()));
    await p.route("**/*", (route) => (route.request().url() === target ? route.continue() : route.abort()));
    await p.goto(target, { waitUntil: "load" });
    return p;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tenantry-report-"));
    file = join(dir, "report.html");
    writeFileSync(file, renderReportHtml(acmeReportModel()));
    url = pathToFileURL(file).href;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs() });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await open(url, requests);
  });

  afterAll(async () => {
    await browser?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** The matrix cell at a principal's row (its header text) and an app's column in an environment. */
  async function cell(principal: string, app: string, environment: string) {
    const columns = await page.locator("table.matrix thead th").allInnerTexts();
    const column = columns.indexOf(`${app} · ${environment}`);
    expect(column, `column ${app} · ${environment}`).toBeGreaterThan(0);
    const row = page.locator("table.matrix tbody tr").filter({ has: page.locator("th", { hasText: principal }) });
    await expect(row.count()).resolves.toBe(1);
    return row.locator("td").nth(column - 1);
  }

  it.each([
    ["developer (role)", "storefront", "prod", "allow", "role developer meets storefront's minimum developer"],
    ["viewer (role)", "storefront", "prod", "deny", "storefront needs role developer or above"],
    ["cfo@acme.com (named user)", "finance-console", "test", "allow", "cfo@acme.com is named by finance-console"],
    ["admin (role)", "finance-console", "prod", "deny", "finance-console admits only its named users"],
    ["billing members (workspace members)", "invoices", "dev", "allow", "member of workspace billing"],
    ["web members (workspace members)", "invoices", "prod", "deny", "invoices admits only members of workspace billing"],
    ["storefront-browser (publishable key) (API key slot)", "storefront", "prod", "allow", "key slot for storefront in prod"],
    ["storefront-browser (publishable key) (API key slot)", "storefront", "dev", "deny", "key slot is for storefront in prod only"],
    ["stripe (integration)", "invoices", "prod", "allow", "signature verified (scheme stripe) on /prod/invoices/stripe"],
  ])("shows %s reaching %s in %s as %s, with the evaluator's reason as its name and hover", async (principal, app, environment, decision, reason) => {
    const target = await cell(principal, app, environment);
    await expect(target.ariaSnapshot()).resolves.toBe(`- cell "${decision} (${reason})"`);
    await expect(target.getAttribute("title")).resolves.toBe(reason);
    const icon = decision === "allow" ? "✓" : "✗";
    await expect(target.innerText()).resolves.toMatch(new RegExp(`^${icon} ${decision}`));
  });

  it("hides a cell's reason on screen (it is the hover) and prints it under the decision", async () => {
    const reason = (await cell("viewer (role)", "storefront", "prod")).locator(".reason");
    const width = () => reason.evaluate((e) => e.getBoundingClientRect().width);
    expect(await width()).toBeLessThanOrEqual(1);
    await page.emulateMedia({ media: "print" });
    try {
      expect(await width()).toBeGreaterThan(50);
      await expect(reason.isVisible()).resolves.toBe(true);
    } finally {
      await page.emulateMedia({ media: "screen" });
    }
  });

  it("fits acme's printed matrix across an A4 landscape page (273 mm between 12 mm margins, 1032 px)", async () => {
    await page.setViewportSize({ width: 1032, height: 900 });
    await page.emulateMedia({ media: "print" });
    try {
      const box = await page.locator("table.matrix").boundingBox();
      expect(box?.width).toBeGreaterThan(500);
      expect((box?.x ?? 0) + (box?.width ?? Infinity)).toBeLessThanOrEqual(1032);
    } finally {
      await page.emulateMedia({ media: "screen" });
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it("shows the broken claim as broken, and its property's badge as broken", async () => {
    const row = page.locator("tr.claim").filter({ hasText: BROKEN_CLAIM.claim });
    await expect(row.locator(".badge").innerText()).resolves.toBe("✗ broken");
    await expect(page.locator("#property-4-title .badge").innerText()).resolves.toBe("✗ broken");
    await expect(page.locator("#property-4-title").ariaSnapshot()).resolves.toContain("4. fail-closed guardrails in the database broken");
  });

  it("shows each verdict with its icon and word", async () => {
    const badges = await page.locator("table.posture .badge").allInnerTexts();
    expect(new Set(badges)).toEqual(new Set(["✓ proven", "✗ broken", "◐ policy only", "– not proven offline"]));
  });

  it("never shows the secret canary, in the DOM or in the file", async () => {
    expect(JSON.stringify(acmeReportModel())).toContain(SECRET_CANARY); // control: the model holds it
    await expect(page.locator("html").evaluate((e) => e.outerHTML)).resolves.not.toContain(SECRET_CANARY);
    await expect(page.locator("body").innerText()).resolves.not.toContain(SECRET_CANARY);
    expect(readFileSync(file, "utf8")).not.toContain(SECRET_CANARY);
  });

  it("applies its stylesheet under its own CSP and makes no request but its own load", async () => {
    await expect(page.evaluate(BADGE_DISPLAY)).resolves.toBe("inline-block");
    expect(consoleMessages.filter((m) => /Content Security Policy/i.test(m))).toEqual([]);
    expect(requests).toEqual([url]);
  });

  it("control: a stylesheet one byte off its hash is refused, and a page that fetches is caught", async () => {
    const tampered = join(dir, "tampered.html");
    const html = readFileSync(file, "utf8").replace("<style>", "<style> ").replace("<body>", '<body><img src="http://127.0.0.1:9/pixel.png" alt="">');
    writeFileSync(tampered, html);
    const seen: string[] = [];
    const other = await open(pathToFileURL(tampered).href, seen);
    try {
      await expect(other.evaluate(BADGE_DISPLAY)).resolves.toBe("inline");
      expect(seen).toContain("http://127.0.0.1:9/pixel.png");
    } finally {
      await other.close();
    }
  });

  it("opens a page whose every string is an attacker's (a hand-edited saved proof's included): no request, no dialog, no new element, its stylesheet still applied, nothing shown as proven", async () => {
    const payloads = [
      '<img src="http://127.0.0.1:9/img">', "<script>alert(1)</script>", '"><svg onload=alert(1)>', "' onmouseover='alert(1)",
      '<meta http-equiv="refresh" content="0;url=http://127.0.0.1:9/meta">', '<link rel="stylesheet" href="http://127.0.0.1:9/css">',
      '</style><style>body{background:url(http://127.0.0.1:9/bg)}</style>', '<svg><image href="http://127.0.0.1:9/svg"/></svg>',
      '<iframe src="http://127.0.0.1:9/frame"></iframe>', '<base href="http://127.0.0.1:9/">', '<a href="javascript:alert(1)">x</a>',
    ];
    let i = 0;
    const saved = { ...acmeReportModel(), proof: { ...acmeReportModel().proof, source: { kind: "saved" as const, file: payloads[0] ?? "" } } };
    const hostile = join(dir, "hostile.html");
    writeFileSync(hostile, renderReportHtml(mapModelText(saved, () => payloads[i++ % payloads.length] ?? "")));
    const seen: string[] = [];
    const dialogs: string[] = [];
    const other = await open(pathToFileURL(hostile).href, seen, dialogs);
    try {
      await other.waitForTimeout(300); // a meta refresh or an onload would have fired by now
      expect(seen).toEqual([pathToFileURL(hostile).href]);
      expect(dialogs).toEqual([]);
      expect(other.url()).toBe(pathToFileURL(hostile).href);
      await expect(other.evaluate(BADGE_DISPLAY)).resolves.toBe("inline-block");
      const selectors = ["script", "img", "iframe", "link", "base", "image", "meta[http-equiv=refresh]", "[onload]", "[onmouseover]", "a[href^=javascript]"];
      const counts = await other.evaluate<number[]>(`${JSON.stringify(selectors)}.map((q) => document.querySelectorAll(q).length)`);
      expect(counts).toHaveLength(selectors.length);
      expect(counts.every((n) => n === 0)).toBe(true);
      await expect(other.locator("body").innerText()).resolves.toContain(payloads[1]);
      const badges = await other.locator("table.posture .badge").allInnerTexts();
      expect(badges).not.toContain("✓ proven");
      expect(badges).toContain("? unverified (saved proof)");
    } finally {
      await other.close();
    }
  });

  it("takes screenshots: the top of the page, and the access matrix", async () => {
    const into = SCREENSHOTS ?? dir;
    mkdirSync(into, { recursive: true });
    const top = await page.screenshot({ path: join(into, "trust-report.png"), clip: { x: 0, y: 0, width: 1280, height: 1400 }, fullPage: true });
    const matrix = await page.locator("#access").screenshot({ path: join(into, "trust-report-matrix.png") });
    for (const png of [top, matrix]) {
      expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
      expect(png.length).toBeGreaterThan(10_000);
    }
  });
});
