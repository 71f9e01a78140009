/**
 * The reviewers' report: from executed notebooks and the figures folder, write
 * - `<figures>/claims.json`: every notebook's claims (paper value, measured, n, verdict, mode,
 *   seeds, commit, backend, time), as recorded by `reportClaims` during the run;
 * - `<figures>/notebooks/<name>.html`: each executed notebook as one offline HTML file (outputs and
 *   interactive figures), rendered by html-export.ts; every page shares `<figures>/plotly.min.js`;
 * - `<figures>/index.html`: per notebook its question, claims table, figure thumbnails linking to
 *   the interactive figures, and provenance.
 */
import * as fs from "fs";
import * as path from "path";
import { CLAIMS_FILE, ClaimsRecord, readClaims } from "../experiments/claims";
import { escapeHtml, SHARED_PLOTLY_FILE, writeSharedPlotly } from "../plot/html";
import { gitCommit } from "../runtime/provenance";
import { notebookHtml } from "./html-export";
import { readNotebook, sourceText } from "./nbformat";

export interface FigureLink {
  readonly name: string;
  /** Paths relative to the figures folder. */
  readonly html: string;
  readonly png: string | null;
}

export interface NotebookEntry {
  readonly name: string;
  readonly title: string;
  readonly question: string;
  /** The notebook reports claims (calls `reportClaims`). */
  readonly declaresClaims: boolean;
  readonly claims: ClaimsRecord | null;
  readonly figures: readonly FigureLink[];
  /** Relative to the figures folder; null when not exported. */
  readonly htmlExport: string | null;
  readonly executed: boolean;
}

export interface Report {
  readonly generated: string;
  readonly gitCommit: string;
  readonly notebooks: readonly NotebookEntry[];
  /** What missing optional tools cost this run, one line each. */
  readonly notes?: readonly string[];
}

const stripMarkdown = (s: string) =>
  s
    .replace(/\*\*|__|`/g, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .trim();

/** Title (first heading) and question ("**Question.** …" paragraph) of a notebook's first markdown cell. */
export function notebookIntro(file: string): { title: string; question: string; declaresClaims: boolean } {
  const nb = readNotebook(file);
  const md = nb.cells.filter((c) => c.cell_type === "markdown").map((c) => sourceText(c.source));
  const first = md[0] ?? "";
  const title = (first.match(/^#\s+(.+)$/m)?.[1] ?? path.basename(file, ".ipynb")).trim();
  const q = first.split(/\n\s*\n/).find((p) => /^\*\*Question\.\*\*/.test(p.trim()));
  const code = nb.cells
    .filter((c) => c.cell_type === "code")
    .map((c) => sourceText(c.source))
    .join("\n");
  return {
    title: stripMarkdown(title),
    question: q ? stripMarkdown(q.replace(/^\s*\*\*Question\.\*\*/, "")) : "",
    declaresClaims: /\breportClaims\(/.test(code),
  };
}

function figureLinks(figuresDir: string, name: string): FigureLink[] {
  const dir = path.join(figuresDir, name);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".html"))
    .sort()
    .map((f) => {
      const base = f.replace(/\.html$/, "");
      const png = fs.existsSync(path.join(dir, `${base}.png`)) ? `${name}/${base}.png` : null;
      return { name: base, html: `${name}/${f}`, png };
    });
}

/** Collect what the run left: notebooks in `notebooksDir`, executed copies in `executedDir`, figures and claims in `figuresDir`. */
export function collectReport(opts: {
  notebooksDir: string;
  executedDir: string;
  figuresDir: string;
  only?: readonly string[];
}): Report {
  const files = fs
    .readdirSync(opts.notebooksDir)
    .filter((f) => f.endsWith(".ipynb"))
    .sort();
  const names = files.map((f) => f.replace(/\.ipynb$/, "")).filter((n) => !opts.only || opts.only.includes(n));
  const notebooks = names.map((name): NotebookEntry => {
    const intro = notebookIntro(path.join(opts.notebooksDir, `${name}.ipynb`));
    const claimsFile = path.join(opts.figuresDir, name, CLAIMS_FILE);
    const exported = path.join(opts.figuresDir, "notebooks", `${name}.html`);
    return {
      name,
      ...intro,
      claims: fs.existsSync(claimsFile) ? readClaims(claimsFile) : null,
      figures: figureLinks(opts.figuresDir, name),
      htmlExport: fs.existsSync(exported) ? `notebooks/${name}.html` : null,
      executed: fs.existsSync(path.join(opts.executedDir, `${name}.ipynb`)),
    };
  });
  return { generated: new Date().toISOString(), gitCommit: gitCommit(), notebooks };
}

const esc = escapeHtml;

const PAGE_CSS = `body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1180px;padding:0 20px 40px;color:#222}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}.reproduced{color:#05703a;font-weight:600}.not-reproduced{color:#a40000;font-weight:600}.not-tested{color:#777;font-weight:600}
.thumbs{display:flex;flex-wrap:wrap;gap:10px}.thumbs a{display:block;width:220px;font-size:12px;color:#333;text-decoration:none}
.thumbs img{width:220px;border:1px solid #ddd}.prov{color:#666;font-size:12px}h2{border-top:1px solid #ddd;padding-top:16px;margin-top:28px}
.note{background:#fff8e1;border-left:3px solid #e0a800;padding:6px 10px}`;

function verdictClass(v: string): string {
  return v.replace(/ /g, "-");
}

function claimsHtml(rec: ClaimsRecord): string {
  const rows = rec.claims
    .map(
      (c) =>
        `<tr><td>${esc(c.id)}</td><td>${esc(c.statement)}</td><td>${esc(c.paperValue)}<br><span class="prov">${esc(c.source)}</span></td><td>${esc(c.measured)}${c.note ? `<br><span class="prov">${esc(c.note)}</span>` : ""}</td><td>${c.n}</td><td>${esc(c.rule)}</td><td class="${verdictClass(c.verdict)}">${esc(c.verdict)}</td></tr>`,
    )
    .join("\n");
  return `<table><thead><tr><th>claim</th><th>statement</th><th>paper</th><th>measured</th><th>n</th><th>rule</th><th>verdict</th></tr></thead><tbody>\n${rows}\n</tbody></table>
<p class="prov">mode ${esc(rec.mode)} · seeds ${esc(rec.seeds.join(", ") || "—")} · backend ${esc(rec.backend)} · commit ${esc(rec.gitCommit)} · ${esc(rec.date)}</p>`;
}

/** The report page. */
export function indexHtml(report: Report): string {
  const all = report.notebooks.flatMap((n) => n.claims?.claims ?? []);
  const count = (v: string) => all.filter((c) => c.verdict === v).length;
  const sections = report.notebooks
    .map((n) => {
      const links = [
        n.htmlExport ? `<a href="${esc(n.htmlExport)}">the executed notebook</a>` : "executed notebook not exported",
      ].join(" · ");
      const claims = n.claims
        ? claimsHtml(n.claims)
        : n.declaresClaims
          ? `<p class="not-tested">This notebook reports claims, but none were recorded: it did not run to its claims cell.</p>`
          : `<p class="prov">No paper claim is tested here: this notebook ${n.name.startsWith("00") ? "checks the tool chain" : "is a method or extension study"}; read its figures and text.</p>`;
      const thumbs = n.figures.length
        ? `<div class="thumbs">${n.figures.map((f) => `<a href="${esc(f.html)}">${f.png ? `<img src="${esc(f.png)}" alt="${esc(f.name)}" loading="lazy">` : ""}${esc(f.name)}</a>`).join("\n")}</div>`
        : `<p class="prov">No figure files.</p>`;
      return `<h2 id="${esc(n.name)}">${esc(n.title)}</h2>
<p><strong>Question.</strong> ${esc(n.question || "—")}</p>
<p>${links}${n.executed ? "" : " · <strong>not executed in this run</strong>"}</p>
${claims}
${thumbs}`;
    })
    .join("\n");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>crossbar-lab: what was reproduced</title><style>${PAGE_CSS}</style></head>
<body>
<h1>crossbar-lab: what was reproduced</h1>
<p>${all.length} claims: <span class="reproduced">${count("reproduced")} reproduced</span>, <span class="not-reproduced">${count("not reproduced")} not reproduced</span>, <span class="not-tested">${count("not tested")} not tested</span>. Every number below was measured by the run named under each table; the rules were fixed in <code>lib/experiments/*-claims.ts</code> before the run. Machine-readable: <a href="claims.json">claims.json</a>.</p>
${(report.notes ?? []).map((n) => `<p class="note">${esc(n)}</p>`).join("\n")}
<p class="prov">report written ${esc(report.generated)} from commit ${esc(report.gitCommit)}</p>
<ul>${report.notebooks.map((n) => `<li><a href="#${esc(n.name)}">${esc(n.title)}</a></li>`).join("")}</ul>
${sections}
</body></html>
`;
}

/** claims.json: every recorded claim with its notebook's run context. */
export function claimsJson(report: Report): unknown {
  return {
    generated: report.generated,
    gitCommit: report.gitCommit,
    notes: report.notes ?? [],
    notebooks: report.notebooks.map((n) => ({
      notebook: n.name,
      title: n.title,
      question: n.question,
      executed: n.executed,
      claims: (n.claims?.claims ?? []).map((c) => ({
        ...c,
        mode: n.claims!.mode,
        seeds: c.seeds.length ? c.seeds : n.claims!.seeds,
        gitCommit: n.claims!.gitCommit,
        backend: n.claims!.backend,
        date: n.claims!.date,
      })),
    })),
  };
}

/**
 * Export an executed notebook to one offline HTML page, rendered by crossbar-lab itself
 * (html-export.ts); the page loads the figures folder's shared plotly.js.
 */
export function exportNotebookHtml(executedFile: string, outFile: string, plotlySrc: string): void {
  const name = path.basename(executedFile, ".ipynb");
  const title = notebookIntro(executedFile).title;
  const header = `<p class="prov"><a href="../index.html">← report</a> · executed notebook ${esc(name)}</p>`;
  const page = notebookHtml(readNotebook(executedFile), { title, plotlySrc, header, css: PAGE_CSS });
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, page);
}

export interface ReportOptions {
  readonly notebooksDir: string;
  readonly executedDir: string;
  readonly figuresDir: string;
  readonly only?: readonly string[];
  /** One line each: what a missing optional tool cost this run (shown at the top of the report). */
  readonly notes?: readonly string[];
}

/** Export every executed notebook, then write claims.json and index.html. */
export function writeReport(opts: ReportOptions): {
  report: Report;
  claimsFile: string;
  indexFile: string;
  exportErrors: string[];
} {
  const exportErrors: string[] = [];
  const executed = fs.existsSync(opts.executedDir)
    ? fs
        .readdirSync(opts.executedDir)
        .filter((f) => f.endsWith(".ipynb"))
        .sort()
    : [];
  if (executed.length) writeSharedPlotly(opts.figuresDir);
  for (const f of executed) {
    const name = f.replace(/\.ipynb$/, "");
    if (opts.only && !opts.only.includes(name)) continue;
    try {
      exportNotebookHtml(
        path.join(opts.executedDir, f),
        path.join(opts.figuresDir, "notebooks", `${name}.html`),
        `../${SHARED_PLOTLY_FILE}`,
      );
    } catch (e) {
      exportErrors.push(`exporting ${f}: ${(e as Error).message}`);
    }
  }
  const report = { ...collectReport(opts), notes: opts.notes ?? [] };
  const claimsFile = path.join(opts.figuresDir, "claims.json");
  const indexFile = path.join(opts.figuresDir, "index.html");
  fs.writeFileSync(claimsFile, JSON.stringify(claimsJson(report), null, 2) + "\n");
  fs.writeFileSync(indexFile, indexHtml(report));
  return { report, claimsFile, indexFile, exportErrors };
}

/** The claims as plain text, one line each (printed at the end of `npm run reproduce`). */
export function claimsText(report: Report): string {
  const lines: string[] = [];
  for (const n of report.notebooks) {
    if (!n.claims) continue;
    for (const c of n.claims.claims)
      lines.push(
        `${n.name.slice(0, 2)} ${c.id.padEnd(3)} ${c.verdict.padEnd(15)} paper ${c.paperValue} | measured ${c.measured} (n = ${c.n}, ${n.claims.mode})`,
      );
  }
  return lines.length ? lines.join("\n") : "no claims were recorded";
}
