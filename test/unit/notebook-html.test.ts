// The built-in notebook page (no nbconvert): markdown and math, every output type, escaping, and the
// embedded plotly.js replaced by the figures folder's one shared copy.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  markdownHtml,
  notebookHtml,
  outputHtml,
  stripAnsi,
  withoutEmbeddedPlotly,
} from "../../lib/notebook/html-export";
import type { Notebook } from "../../lib/notebook/nbformat";
import { inlineHtml, plotlyJs, SHARED_PLOTLY_FILE, standaloneHtml } from "../../lib/plot/html";
import { saveFigure } from "../../lib/plot/show";
import { figure } from "../../lib/plot/spec";
import { writeReport } from "../../lib/notebook/report";

const fig = figure([{ type: "scatter", x: [1, 2], y: [3, 4] }], { title: { text: "a figure" } });

test("markdown renders headings, emphasis, tables and links; TeX with _ and * stays math", () => {
  const html = markdownHtml(
    "# Title\n\nSome **bold** and `code`, $G_{ij} = a*b_k$ inline.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
  );
  assert.match(html, /<h1>Title<\/h1>/);
  assert.match(html, /<strong>bold<\/strong>/);
  assert.match(html, /<code>code<\/code>/);
  assert.match(html, /<table>[\s\S]*<td>1<\/td>/);
  assert.match(html, /<math[\s\S]*<msub>/, "inline math becomes MathML");
  assert.ok(!/<em>/.test(html), "underscores and stars inside TeX are not emphasis");
  const display = markdownHtml("$$I_j = \\sum_i V_i G_{ij}$$");
  assert.match(display, /display="block"/);
  assert.equal(markdownHtml("costs $5 and $6"), "<p>costs $5 and $6</p>\n", "a dollar amount is not math");
});

test("every output type has a form on the page, and text is escaped", () => {
  assert.equal(
    outputHtml({ output_type: "stream", name: "stdout", text: ["a < b\n"] }),
    '<pre class="output stdout">a &lt; b\n</pre>',
  );
  assert.match(outputHtml({ output_type: "stream", name: "stderr", text: "warn" }), /class="output stderr"/);
  const err = outputHtml({
    output_type: "error",
    ename: "Error",
    evalue: "boom",
    traceback: ["\x1b[31mError: boom\x1b[0m"],
  });
  assert.equal(err, '<pre class="output error">Error: boom</pre>');
  assert.equal(stripAnsi("\x1b[1;32mok\x1b[0m"), "ok");
  const png = outputHtml({
    output_type: "display_data",
    data: { "image/png": "AAAA\n", "text/plain": "x" },
    metadata: {},
  });
  assert.match(png, /<img src="data:image\/png;base64,AAAA"/);
  const plain = outputHtml({
    output_type: "execute_result",
    execution_count: 1,
    data: { "text/plain": "<3" },
    metadata: {},
  });
  assert.equal(plain, '<pre class="output">&lt;3</pre>');
  const html = outputHtml({ output_type: "display_data", data: { "text/html": ["<b>", "x</b>"] }, metadata: {} });
  assert.equal(html, '<div class="output html"><b>x</b></div>');
  assert.equal(outputHtml({ output_type: "display_data", data: {}, metadata: {} }), "");
});

test("a figure output's inline plotly.js is removed; the figure itself stays", () => {
  const first = inlineHtml(fig, "f1", { embedPlotly: true });
  assert.ok(first.length > 1e6, "the first figure of a session carries plotly.js");
  const lean = withoutEmbeddedPlotly(first);
  assert.ok(lean.length < 10_000, `${lean.length} characters left`);
  assert.match(lean, /<div id="f1"/);
  assert.match(lean, /Plotly\.newPlot/);
  assert.equal(
    withoutEmbeddedPlotly(inlineHtml(fig, "f2", { embedPlotly: false })),
    inlineHtml(fig, "f2", { embedPlotly: false }),
  );
});

test("a notebook page: cells in order, source escaped, one script tag for the shared plotly.js", () => {
  const nb: Notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { cell_type: "markdown", source: "# Nb\n\ntext", metadata: {} },
      {
        cell_type: "code",
        source: "if (a < b) show(fig)",
        metadata: {},
        execution_count: 1,
        outputs: [
          {
            output_type: "display_data",
            data: { "text/html": inlineHtml(fig, "g1", { embedPlotly: true }) },
            metadata: {},
          },
        ],
      },
      { cell_type: "raw", source: "<raw>", metadata: {} },
    ],
  };
  const page = notebookHtml(nb, { title: "T & U", plotlySrc: "../plotly.min.js" });
  assert.match(page, /<title>T &amp; U<\/title>/);
  assert.match(page, /<script src="..\/plotly.min.js"><\/script>/);
  assert.ok(!page.includes(plotlyJs().slice(0, 2000)), "no copy of plotly.js inside the page");
  assert.ok(page.indexOf("<h1>Nb</h1>") < page.indexOf("if (a &lt; b) show(fig)"));
  assert.ok(page.indexOf("if (a &lt; b)") < page.indexOf("&lt;raw&gt;"));
});

test("figure files and report pages in one folder share one plotly.js", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shared-plotly-"));
  const f = figure(
    [{ type: "bar", x: [1], y: [2] }],
    {},
    { provenance: { experiment: "exp", parameters: {}, seed: 0, gitCommit: "x", date: "d" } },
  );
  await saveFigure(f, "one", { dir, formats: ["html"] });
  await saveFigure(f, "two", { dir, formats: ["html"] });
  const shared = path.join(dir, SHARED_PLOTLY_FILE);
  assert.equal(fs.readFileSync(shared, "utf8"), plotlyJs());
  for (const n of ["one", "two"]) {
    const html = fs.readFileSync(path.join(dir, "exp", `${n}.html`), "utf8");
    assert.match(html, new RegExp(`<script src="../${SHARED_PLOTLY_FILE}"></script>`));
    assert.ok(html.length < 20_000, `${n}.html is ${html.length} bytes`);
  }
  assert.match(standaloneHtml(f), /plotly\.js v\d/, "without a shared copy the page embeds plotly.js");
  // the report pages of executed notebooks use the same copy
  const nbDir = fs.mkdtempSync(path.join(os.tmpdir(), "nbs-"));
  const exec = fs.mkdtempSync(path.join(os.tmpdir(), "exec-"));
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      {
        cell_type: "markdown",
        source: "# 99 · T\n\n**Question.** Is it there, and does it open offline?",
        metadata: {},
      },
    ],
  };
  fs.writeFileSync(path.join(nbDir, "99-t.ipynb"), JSON.stringify(nb));
  fs.writeFileSync(path.join(exec, "99-t.ipynb"), JSON.stringify(nb));
  const { report, exportErrors } = writeReport({
    notebooksDir: nbDir,
    executedDir: exec,
    figuresDir: dir,
    notes: ["no Chromium, so no PNG"],
  });
  assert.deepEqual(exportErrors, []);
  assert.equal(report.notebooks[0].htmlExport, "notebooks/99-t.html");
  assert.match(fs.readFileSync(path.join(dir, "notebooks", "99-t.html"), "utf8"), /<script src="..\/plotly.min.js">/);
  assert.match(fs.readFileSync(path.join(dir, "index.html"), "utf8"), /<p class="note">no Chromium, so no PNG<\/p>/);
  assert.deepEqual((JSON.parse(fs.readFileSync(path.join(dir, "claims.json"), "utf8")) as { notes: string[] }).notes, [
    "no Chromium, so no PNG",
  ]);
});
