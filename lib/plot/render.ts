/**
 * Static rendering (PNG, SVG) of figure specs in headless Chromium, driven by playwright-core.
 * Uses the system Chromium (no browser download): CROSSBAR_LAB_CHROMIUM, else the usual paths.
 */
import * as fs from "fs";
import type { Browser, Page } from "playwright-core";
import { FigureSpec, figureSize, plotlyJson } from "./spec";

export type StaticFormat = "png" | "svg";

const CANDIDATES = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/snap/bin/chromium",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
];

export class ChromiumNotFoundError extends Error {
  constructor(tried: string[]) {
    super(
      "No Chromium found for static figure rendering (PNG/SVG). Tried: " +
        tried.join(", ") +
        ". Install it (Debian/Ubuntu: sudo apt-get install chromium; macOS: brew install --cask chromium) " +
        "or point CROSSBAR_LAB_CHROMIUM at a Chromium/Chrome executable. Interactive HTML figures need no browser.",
    );
    this.name = "ChromiumNotFoundError";
  }
}

/** Path of the Chromium executable to use; throws ChromiumNotFoundError when there is none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.CROSSBAR_LAB_CHROMIUM;
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) throw new ChromiumNotFoundError([`CROSSBAR_LAB_CHROMIUM=${fromEnv} (does not exist)`]);
    return fromEnv;
  }
  for (const c of CANDIDATES) if (fs.existsSync(c)) return c;
  throw new ChromiumNotFoundError(CANDIDATES);
}

/** Flags for a quiet headless Chromium on a machine without network. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export class StaticRenderer {
  private browser: Browser | null = null;
  private page: Page | null = null;

  constructor(private readonly executablePath: string = findChromium()) {}

  private async ready(): Promise<Page> {
    if (this.page) return this.page;
    const { chromium } = await import("playwright-core");
    this.browser = await chromium.launch({ executablePath: this.executablePath, headless: true, args: CHROMIUM_ARGS });
    const page = await this.browser.newPage();
    await page.setContent("<!DOCTYPE html><html><body></body></html>");
    await page.addScriptTag({ path: require.resolve("plotly.js-dist-min/plotly.min.js") });
    this.page = page;
    return page;
  }

  /** Render to PNG (Buffer) or SVG (string) at the figure's size times `scale`. */
  async render(fig: FigureSpec, format: "png", opts?: { scale?: number }): Promise<Buffer>;
  async render(fig: FigureSpec, format: "svg", opts?: { scale?: number }): Promise<string>;
  async render(fig: FigureSpec, format: StaticFormat, opts: { scale?: number } = {}): Promise<Buffer | string> {
    if (format !== "png" && format !== "svg") throw new Error(`unknown static format "${format}": use png or svg`);
    const scale = opts.scale ?? 1;
    if (!(scale > 0)) throw new RangeError(`scale must be > 0, got ${scale}`);
    const page = await this.ready();
    const { width, height } = figureSize(fig);
    const url: string = await page.evaluate(
      async ({ fig, format, width, height, scale }) => {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- plotly.js in the page, untyped
        const P = (window as unknown as { Plotly: any }).Plotly;
        const div = document.createElement("div");
        document.body.appendChild(div);
        try {
          await P.newPlot(div, fig.data, { ...fig.layout, width, height }, { staticPlot: true });
          return await P.toImage(div, { format, width, height, scale });
        } finally {
          P.purge(div);
          div.remove();
        }
      },
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- serialised into the page as JSON
      { fig: plotlyJson(fig) as any, format, width, height, scale },
    );
    if (format === "png") {
      const b64 = url.slice(url.indexOf(",") + 1);
      return Buffer.from(b64, "base64");
    }
    const comma = url.indexOf(",");
    const head = url.slice(0, comma);
    const body = url.slice(comma + 1);
    return head.includes(";base64") ? Buffer.from(body, "base64").toString("utf8") : decodeURIComponent(body);
  }

  async close(): Promise<void> {
    const b = this.browser;
    this.browser = null;
    this.page = null;
    if (b) await b.close();
  }
}
