/**
 * Showing and saving figures.
 * - `show(fig, { name })` displays the figure inline in a tslab notebook (Plotly JSON for VS Code
 *   and JupyterLab's Plotly renderer, interactive HTML for classic Notebook/JupyterLab, a static PNG
 *   inside that HTML for GitHub/nbviewer when static rendering is on) and, when `name` is given,
 *   writes figures/<experiment>/<name>.{html,png,svg}.
 * - `saveFigure` writes the files only (scripts, tests).
 * Environment: CROSSBAR_LAB_FIGURES_DIR (output folder), CROSSBAR_LAB_STATIC=1 (static PNG inside
 * inline output and required PNG/SVG files: set by `npm run reproduce`).
 */
import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "../runtime/provenance";
import { inlineHtml, SHARED_PLOTLY_FILE, standaloneHtml, writeSharedPlotly } from "./html";
import { pngWithText, provenanceEntries, svgWithMetadata } from "./metadata";
import { ChromiumNotFoundError, StaticRenderer } from "./render";
import { FigureSpec, plotlyJson } from "./spec";

export type FigureFormat = "html" | "png" | "svg";

export interface SavedFigure {
  readonly html?: string;
  readonly png?: string;
  readonly svg?: string;
}

type WriteDisplayData = (
  data: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: Record<string, unknown> },
  update: boolean,
) => void;

/** The tslab display hook while a notebook cell executes, else null. */
function kernelDisplay(): WriteDisplayData | null {
  try {
    const j = require("tslab/dist/jupyter") as { lastWriteDisplayData?: WriteDisplayData | null };
    return j.lastWriteDisplayData ?? null;
  } catch {
    return null;
  }
}

/** True inside a tslab kernel (a notebook). */
export function inNotebook(): boolean {
  return kernelDisplay() !== null;
}

/** Per-process figure state: whether plotly.js was already sent to the page, the Chromium renderer. */
class FigureSession {
  plotlyEmbedded = false;
  counter = 0;
  private renderer: StaticRenderer | null = null;
  staticRenderer(): StaticRenderer {
    if (!this.renderer) this.renderer = new StaticRenderer();
    return this.renderer;
  }
  async close(): Promise<void> {
    const r = this.renderer;
    this.renderer = null;
    if (r) await r.close();
  }
}

const session = new FigureSession();

/** Close the headless browser used for static rendering (lets a script exit promptly). */
export async function closeFigures(): Promise<void> {
  await session.close();
}

/** CROSSBAR_LAB_STATIC: "1" PNG/SVG required, "0" HTML files only, unset PNG/SVG when a Chromium is found. */
function staticMode(env: NodeJS.ProcessEnv = process.env): "required" | "off" | "when-available" {
  const v = env.CROSSBAR_LAB_STATIC;
  if (v === undefined || v === "") return "when-available";
  if (v === "1") return "required";
  if (v === "0") return "off";
  throw new Error(`CROSSBAR_LAB_STATIC must be 1 (PNG/SVG required), 0 (HTML only) or unset; got "${v}"`);
}

/** Folder for figure files: CROSSBAR_LAB_FIGURES_DIR, else <repo>/figures. */
export function figuresDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CROSSBAR_LAB_FIGURES_DIR ? path.resolve(env.CROSSBAR_LAB_FIGURES_DIR) : path.join(repoRoot(), "figures");
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new Error(`figure name "${name}" must be letters, digits, '.', '_' or '-' (it becomes a file name)`);
  }
}

/** Write a file whole or not at all: a temporary file in the same folder, then a rename. */
export function writeAtomic(file: string, data: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/**
 * Write a figure as files: `<dir>/<experiment>/<name>.html|png|svg` (experiment from provenance,
 * else "misc"). PNG and SVG need Chromium (ChromiumNotFoundError otherwise).
 */
export async function saveFigure(
  fig: FigureSpec,
  name: string,
  opts: { dir?: string; formats?: readonly FigureFormat[]; scale?: number } = {},
): Promise<SavedFigure> {
  checkName(name);
  const formats = opts.formats ?? ["html", "png", "svg"];
  for (const f of formats)
    if (f !== "html" && f !== "png" && f !== "svg")
      throw new Error(`unknown figure format "${f}": use html, png or svg`);
  const root = opts.dir ?? figuresDir();
  const folder = path.join(root, fig.provenance?.experiment ?? "misc");
  const base = path.join(folder, name);
  const entries = fig.provenance ? provenanceEntries(fig.provenance) : [];
  const out: { html?: string; png?: string; svg?: string } = {};
  if (formats.includes("html")) {
    out.html = `${base}.html`;
    // one plotly.js per figures folder, shared by every figure in it (a page loads ../plotly.min.js)
    writeSharedPlotly(root);
    writeAtomic(out.html, standaloneHtml(fig, { plotlySrc: `../${SHARED_PLOTLY_FILE}` }));
  }
  if (formats.includes("png")) {
    const png = await session.staticRenderer().render(fig, "png", { scale: opts.scale ?? 2 });
    out.png = `${base}.png`;
    writeAtomic(out.png, entries.length ? pngWithText(png, entries) : png);
  }
  if (formats.includes("svg")) {
    const svg = await session.staticRenderer().render(fig, "svg");
    out.svg = `${base}.svg`;
    writeAtomic(out.svg, entries.length ? svgWithMetadata(svg, entries) : svg);
  }
  return out;
}

export interface ShowOptions {
  /** File name (no extension): also save the figure under figures/. */
  readonly name?: string;
  /** Formats to save when `name` is given (default html, png, svg). */
  readonly formats?: readonly FigureFormat[];
  readonly dir?: string;
}

let warnedNoChromium = false;

/**
 * Display a figure inline (in a notebook) and save it when named (the saved files are printed).
 * Without Chromium, PNG/SVG are skipped with one clear message, unless CROSSBAR_LAB_STATIC=1
 * (headless reproduction with PNG/SVG), where that is an error; CROSSBAR_LAB_STATIC=0 writes HTML only.
 */
export async function show(fig: FigureSpec, opts: ShowOptions = {}): Promise<void> {
  const mode = staticMode();
  const strict = mode === "required";
  let saved: SavedFigure = {};
  let pngBase64: string | undefined;
  if (opts.name !== undefined) {
    const formats = mode === "off" ? (opts.formats ?? ["html"]).filter((f) => f === "html") : opts.formats;
    try {
      saved = await saveFigure(fig, opts.name, { dir: opts.dir, formats });
    } catch (e) {
      if (!(e instanceof ChromiumNotFoundError) || strict) throw e;
      if (!warnedNoChromium) {
        console.log(`note: ${e.message}`);
        warnedNoChromium = true;
      }
      saved = await saveFigure(fig, opts.name, {
        dir: opts.dir,
        formats: (opts.formats ?? ["html"]).filter((f) => f === "html"),
      });
    }
    if (saved.png && strict) pngBase64 = fs.readFileSync(saved.png).toString("base64");
  } else if (strict) {
    pngBase64 = (await session.staticRenderer().render(fig, "png", { scale: 1 })).toString("base64");
  }
  const write = kernelDisplay();
  if (write) {
    const id = `crossbar-lab-fig-${process.pid}-${++session.counter}`;
    const html = inlineHtml(fig, id, { embedPlotly: !session.plotlyEmbedded, staticPngBase64: pngBase64 });
    session.plotlyEmbedded = true;
    write(
      {
        data: {
          "application/vnd.plotly.v1+json": plotlyJson(fig),
          "text/html": html,
          "text/plain": `<Figure: ${fig.provenance?.experiment ?? ""} ${opts.name ?? ""}>`.replace(/\s+>/, ">"),
        },
        metadata: fig.provenance ? { "crossbar-lab": fig.provenance } : {},
        transient: {},
      },
      false,
    );
  }
  const files = [saved.html, saved.png, saved.svg].filter((f): f is string => !!f);
  if (files.length) {
    const base = path.relative(process.cwd(), files[0]).replace(/\.html$|\.png$|\.svg$/, "");
    console.log(`figure saved: ${base}.{${files.map((f) => path.extname(f).slice(1)).join(",")}}`);
  }
}
