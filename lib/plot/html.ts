/** HTML for figures: a standalone offline file, and the inline fragment used in notebooks. */
import * as fs from "fs";
import * as path from "path";
import { FigureSpec, figureSize, plotlyJson, scriptSafeJson } from "./spec";

let plotlySource: string | null = null;

/** The plotly.js bundle (minified, from the npm package plotly.js-dist-min), read once. */
export function plotlyJs(): string {
  if (plotlySource === null) {
    const file = require.resolve("plotly.js-dist-min/plotly.min.js");
    plotlySource = fs.readFileSync(file, "utf8");
  }
  return plotlySource;
}

export function plotlyVersion(): string {
  return (require("plotly.js-dist-min/package.json") as { version: string }).version;
}

/** Text for HTML content or a quoted attribute: & < > " escaped. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function titleOf(fig: FigureSpec): string {
  const t = fig.layout["title"];
  if (typeof t === "string") return t;
  if (t && typeof t === "object" && typeof (t as { text?: unknown }).text === "string")
    return (t as { text: string }).text;
  return fig.provenance?.experiment ?? "crossbar-lab figure";
}

/** File name of the one plotly.js a figures folder shares (`writeSharedPlotly`). */
export const SHARED_PLOTLY_FILE = "plotly.min.js";

/**
 * Write plotly.js once into `dir` (a figures folder), unless the same bundle is there already.
 * Returns the file's path.
 */
export function writeSharedPlotly(dir: string): string {
  const file = path.join(dir, SHARED_PLOTLY_FILE);
  const src = plotlyJs();
  if (fs.existsSync(file) && fs.statSync(file).size === Buffer.byteLength(src)) return file;
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, src);
  fs.renameSync(tmp, file);
  return file;
}

/**
 * A complete HTML document: interactive, provenance in <meta>, opens offline. plotly.js is
 * embedded (about 4.7 MB) unless `plotlySrc` names a shared copy to load, relative to the page.
 */
export function standaloneHtml(fig: FigureSpec, opts: { plotlySrc?: string } = {}): string {
  const { height } = figureSize(fig);
  const p = fig.provenance;
  const metas = p
    ? [
        ["crossbar-lab:experiment", p.experiment],
        ["crossbar-lab:seed", String(p.seed)],
        ["crossbar-lab:git-commit", p.gitCommit],
        ["crossbar-lab:date", p.date],
        ["crossbar-lab:parameters", JSON.stringify(p.parameters)],
      ]
        .map(([k, v]) => `<meta name="${k}" content="${escapeHtml(v)}">`)
        .join("\n")
    : "";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(titleOf(fig))}</title>
${metas}
<script type="application/json" id="crossbar-lab-provenance">${scriptSafeJson(p)}</script>
${opts.plotlySrc === undefined ? `<script>${plotlyJs()}</script>` : `<script src="${escapeHtml(opts.plotlySrc)}"></script>`}
</head>
<body style="margin:0">
<div id="figure" style="width:100%;height:${height}px"></div>
<script>
(function () {
  var fig = ${scriptSafeJson(plotlyJson(fig))};
  window.Plotly.newPlot("figure", fig.data, fig.layout, fig.config);
})();
</script>
</body>
</html>
`;
}

/** Where `npm run kernel:install` puts plotly.js under the Jupyter data folder (served as {base}/nbextensions/…). */
export const PLOTLY_NBEXTENSION_PATH = "nbextensions/crossbar-lab/plotly.min.js";

/**
 * The inline HTML fragment for a notebook output. `embedPlotly` includes plotly.js (the first
 * figure of a kernel session); later figures wait for it. `staticPng` (base64) is shown where
 * scripts do not run (GitHub, nbviewer) and replaced by the interactive plot where they do.
 */
export function inlineHtml(
  fig: FigureSpec,
  id: string,
  opts: { embedPlotly: boolean; staticPngBase64?: string },
): string {
  const { height } = figureSize(fig);
  const img = opts.staticPngBase64
    ? `<img alt="${escapeHtml(titleOf(fig))}" src="data:image/png;base64,${opts.staticPngBase64}" style="max-width:100%">`
    : `<div style="font:12px sans-serif;color:#888">${escapeHtml(titleOf(fig))} (interactive figure: needs JavaScript)</div>`;
  const embed = opts.embedPlotly ? `<script>${plotlyJs()}</script>\n` : "";
  return `${embed}<div id="${id}" class="crossbar-lab-figure" style="width:100%;min-height:${height}px">${img}</div>
<script>
(function () {
  var fig = ${scriptSafeJson(plotlyJson(fig))};
  var tries = 0;
  // after a page reload the session's first figure (which carried plotly.js) may be gone: fetch it
  // once from the Jupyter server (classic Notebook: {base}/nbextensions/…), hiding require.js's
  // define so that the bundle sets window.Plotly
  function load() {
    if (window.__crossbarLabPlotlyLoading) return;
    window.__crossbarLabPlotlyLoading = true;
    var base = (document.body && document.body.getAttribute("data-base-url")) || "/";
    try { var cfg = document.getElementById("jupyter-config-data"); if (cfg) base = JSON.parse(cfg.textContent).baseUrl || base; } catch (e) {}
    var s = document.createElement("script");
    var savedDefine = window.define;
    window.define = undefined;
    s.onload = s.onerror = function () { window.define = savedDefine; };
    s.src = (base.charAt(base.length - 1) === "/" ? base : base + "/") + "${PLOTLY_NBEXTENSION_PATH}";
    document.head.appendChild(s);
  }
  function draw() {
    var el = document.getElementById("${id}");
    if (!el) return;
    if (!window.Plotly) {
      if (tries === 5) load();
      if (++tries < 150) { setTimeout(draw, 100); return; }
      el.insertAdjacentHTML("beforeend", "<div style='font:12px sans-serif;color:#a00'>plotly.js could not be loaded on this page (it is sent with a session's first figure, and served by Jupyter after npm run kernel:install): restart the kernel and run the notebook again.</div>");
      return;
    }
    el.innerHTML = "";
    el.style.height = "${height}px";
    window.Plotly.newPlot(el, fig.data, fig.layout, fig.config);
  }
  draw();
})();
</script>`;
}
