/**
 * An executed notebook as one offline HTML page, rendered here (no Python, no nbconvert):
 * markdown cells through markdown-it (math through KaTeX, as MathML), code cells with their source and
 * outputs (streams, HTML, PNG/JPEG/SVG images, plain text, errors). The plotly.js bundle that the
 * first figure of a kernel session carries inline is replaced by one shared file, `plotlySrc`.
 */
import katex from "katex";
import MarkdownIt from "markdown-it";
import { escapeHtml as esc } from "../plot/html";
import { Notebook, Output, sourceText } from "./nbformat";

const md = new MarkdownIt({ html: true, linkify: false, typographer: false });

/** ANSI colour codes (tracebacks) removed. */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
}

/** TeX as MathML (KaTeX), which browsers draw with no script, stylesheet or font; bad TeX is shown as typed. */
export function mathHtml(tex: string, display: boolean): string {
  return katex.renderToString(tex, { displayMode: display, output: "mathml", throwOnError: false, strict: "ignore" });
}

/**
 * Markdown to HTML with `$…$` and `$$…$$` as math (markdown-it would read `_` and `*` in TeX as
 * emphasis): each math span is set aside behind a private-use placeholder, the rest rendered,
 * then each span put back as MathML.
 */
export function markdownHtml(text: string): string {
  const spans: Array<{ tex: string; display: boolean }> = [];
  const hold = (m: string) => {
    const display = m.startsWith("$$");
    spans.push({ tex: display ? m.slice(2, -2) : m.slice(1, -1), display });
    return `\uE000${spans.length - 1}\uE001`;
  };
  const held = text.replace(/\$\$[\s\S]+?\$\$|\$(?!\s)[^$\n]+?(?<!\s)\$/g, hold);
  return md.render(held).replace(/\uE000(\d+)\uE001/g, (_m, i: string) => {
    const s = spans[Number(i)];
    return mathHtml(s.tex, s.display);
  });
}

const IMAGE_TYPES = ["image/png", "image/jpeg"] as const;

/**
 * The inline plotly.js a figure output may carry, removed (the page loads the shared file instead):
 * any inline script that opens with plotly.js's licence header, whatever its version.
 */
export function withoutEmbeddedPlotly(html: string): string {
  return html.replace(/<script>\s*\/\*\*\s*\* plotly\.js v[\s\S]*?<\/script>\n?/g, "");
}

/** One output in its richest form a static page can show. */
export function outputHtml(o: Output): string {
  switch (o.output_type) {
    case "stream":
      return `<pre class="output ${o.name === "stderr" ? "stderr" : "stdout"}">${esc(stripAnsi(sourceText(o.text)))}</pre>`;
    case "error": {
      const tb = o.traceback.length ? o.traceback.map(stripAnsi).join("\n") : `${o.ename}: ${o.evalue}`;
      return `<pre class="output error">${esc(tb)}</pre>`;
    }
    case "display_data":
    case "execute_result": {
      const d = o.data;
      if (typeof d["text/html"] === "string" || Array.isArray(d["text/html"])) {
        return `<div class="output html">${withoutEmbeddedPlotly(sourceText(d["text/html"] as string | string[]))}</div>`;
      }
      for (const t of IMAGE_TYPES) {
        const v = d[t];
        if (v !== undefined)
          return `<div class="output"><img src="data:${t};base64,${sourceText(v as string).trim()}" alt=""></div>`;
      }
      if (d["image/svg+xml"] !== undefined)
        return `<div class="output">${sourceText(d["image/svg+xml"] as string)}</div>`;
      if (d["text/markdown"] !== undefined)
        return `<div class="output">${markdownHtml(sourceText(d["text/markdown"] as string))}</div>`;
      if (d["text/plain"] !== undefined)
        return `<pre class="output">${esc(sourceText(d["text/plain"] as string))}</pre>`;
      return "";
    }
  }
}

export const NOTEBOOK_CSS = `.cell{margin:10px 0}.source{background:#f6f8fa;border-left:3px solid #8cb4e0;padding:8px 10px;overflow-x:auto;
font:12.5px/1.4 ui-monospace,Menlo,Consolas,monospace;white-space:pre}.output{margin:6px 0 6px 13px}
pre.output{font:12.5px/1.4 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;margin:6px 0 6px 13px}
pre.stderr,pre.error{background:#fff0f0}.output img{max-width:100%}.math{font-family:Georgia,serif}
.markdown table{border-collapse:collapse}.markdown td,.markdown th{border:1px solid #ccc;padding:3px 7px}`;

export interface NotebookPageOptions {
  readonly title: string;
  /** URL of the shared plotly.js, relative to the page. */
  readonly plotlySrc: string;
  /** HTML placed above the first cell (a back link, provenance). */
  readonly header?: string;
  /** Extra CSS for the page. */
  readonly css?: string;
}

/** The whole page: every cell in order, outputs as they were recorded. */
export function notebookHtml(nb: Notebook, opts: NotebookPageOptions): string {
  const cells = nb.cells.map((c) => {
    if (c.cell_type === "markdown") return `<div class="cell markdown">${markdownHtml(sourceText(c.source))}</div>`;
    if (c.cell_type !== "code") return `<pre class="cell raw">${esc(sourceText(c.source))}</pre>`;
    const outputs = c.outputs.map(outputHtml).join("\n");
    return `<div class="cell code"><pre class="source">${esc(sourceText(c.source))}</pre>\n${outputs}</div>`;
  });
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(opts.title)}</title>
<style>${opts.css ?? ""}${NOTEBOOK_CSS}</style>
<script src="${esc(opts.plotlySrc)}"></script></head>
<body>${opts.header ?? ""}
${cells.join("\n")}
</body></html>
`;
}
