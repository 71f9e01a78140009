/**
 * Opens the reviewers' report in headless Chromium, offline, and lists what is wrong: console
 * errors, links or images that do not resolve, figures that did not render. Used by the tests.
 */
import * as fs from "fs";
import * as path from "path";
import { pathToFileURL } from "url";
import type { Page } from "playwright-core";
import { CHROMIUM_ARGS, findChromium } from "../plot/render";

export interface ReportCheck {
  /** Pages opened: the index, every exported notebook and every figure file it links. */
  readonly pages: number;
  /** Plotly figures that rendered (an SVG inside `.js-plotly-plot`). */
  readonly figures: number;
  /** Figures in exported notebooks with a slider or dropdown. */
  readonly controls: number;
  readonly problems: readonly string[];
}

async function open(page: Page, file: string, problems: string[]): Promise<void> {
  const label = path.basename(path.dirname(file)) + "/" + path.basename(file);
  page.removeAllListeners("console");
  page.removeAllListeners("pageerror");
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`${label}: console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`${label}: page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`${label}: request failed: ${r.url()}`));
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
}

/** Relative links and images of the open page that point at missing files or anchors. */
async function brokenLinks(page: Page, file: string): Promise<string[]> {
  const refs = await page.$$eval("a[href], img[src]", (els) =>
    els.map((e) => e.getAttribute("href") ?? e.getAttribute("src") ?? ""),
  );
  const ids = new Set(await page.$$eval("[id]", (els) => els.map((e) => e.id)));
  const out: string[] = [];
  for (const r of refs) {
    if (/^[a-z]+:/i.test(r)) {
      out.push(`${path.basename(file)}: external link ${r} (the report must work offline)`);
      continue;
    }
    if (r.startsWith("#")) {
      if (!ids.has(r.slice(1)) && !ids.has(decodeURIComponent(r.slice(1))))
        out.push(`${path.basename(file)}: anchor ${r} not found`);
      continue;
    }
    const target = path.resolve(path.dirname(file), decodeURIComponent(r.split("#")[0]));
    if (!fs.existsSync(target)) out.push(`${path.basename(file)}: ${r} does not exist`);
  }
  return out;
}

/** Wait until every figure container holds a rendered Plotly SVG; returns [rendered, expected, with controls]. */
async function renderedFigures(page: Page, selector: string, timeoutMs: number): Promise<[number, number, number]> {
  const expected = await page.$$eval(selector, (els) => els.length);
  const count = () =>
    page.$$eval(".js-plotly-plot", (els) => els.filter((e) => e.querySelector("svg.main-svg")).length);
  const t0 = Date.now();
  let n = await count();
  while (n < expected && Date.now() - t0 < timeoutMs) {
    await page.waitForTimeout(200);
    n = await count();
  }
  const controls = await page.$$eval(
    ".js-plotly-plot",
    (els) => els.filter((e) => e.querySelector(".slider-container, .updatemenu-container")).length,
  );
  return [n, expected, controls];
}

/** Check `<figuresDir>/index.html` and every page it links, offline. */
export async function checkReport(figuresDir: string, opts: { timeoutMs?: number } = {}): Promise<ReportCheck> {
  const index = path.join(figuresDir, "index.html");
  if (!fs.existsSync(index)) throw new Error(`no report at ${index}: run npm run reproduce first`);
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: findChromium(),
    headless: true,
    args: [...CHROMIUM_ARGS, "--allow-file-access-from-files"],
  });
  const problems: string[] = [];
  let pages = 0,
    figures = 0,
    controls = 0;
  try {
    const page = await browser.newPage();
    await open(page, index, problems);
    pages++;
    problems.push(...(await brokenLinks(page, index)));
    const links = (await page.$$eval("a[href]", (els) => els.map((e) => e.getAttribute("href") ?? ""))).filter((h) =>
      h.endsWith(".html"),
    );
    for (const link of [...new Set(links)]) {
      const file = path.resolve(figuresDir, decodeURIComponent(link));
      if (!fs.existsSync(file)) continue; // reported by brokenLinks
      await open(page, file, problems);
      pages++;
      problems.push(...(await brokenLinks(page, file)));
      const notebook = link.startsWith("notebooks/");
      const [n, expected, c] = await renderedFigures(
        page,
        notebook ? ".crossbar-lab-figure" : "#figure",
        opts.timeoutMs ?? 30000,
      );
      if (n < expected) problems.push(`${link}: ${n} of ${expected} figures rendered`);
      figures += n;
      if (notebook) controls += c;
    }
  } finally {
    await browser.close();
  }
  return { pages, figures, controls, problems };
}
