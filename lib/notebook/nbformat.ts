/** Minimal nbformat v4 types and helpers (read, validate, write notebooks). */
import * as fs from "fs";
import * as path from "path";

export type MultilineString = string | string[];

export interface StreamOutput {
  output_type: "stream";
  name: "stdout" | "stderr";
  text: MultilineString;
}
export interface DisplayDataOutput {
  output_type: "display_data";
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}
export interface ExecuteResultOutput {
  output_type: "execute_result";
  execution_count: number | null;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}
export interface ErrorOutput {
  output_type: "error";
  ename: string;
  evalue: string;
  traceback: string[];
}
export type Output = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

export interface CodeCell {
  cell_type: "code";
  id?: string;
  source: MultilineString;
  metadata: Record<string, unknown>;
  execution_count: number | null;
  outputs: Output[];
}
export interface TextCell {
  cell_type: "markdown" | "raw";
  id?: string;
  source: MultilineString;
  metadata: Record<string, unknown>;
}
export type Cell = CodeCell | TextCell;

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: Cell[];
}

/** The kernel notebooks use, as registered by `npm run kernel:install` (scripts/jupyter-env.ts). */
export const KERNEL_NAME = "tslab";
export const KERNEL_DISPLAY_NAME = "TypeScript (crossbar-lab)";
export const KERNELSPEC = Object.freeze({
  name: KERNEL_NAME,
  display_name: KERNEL_DISPLAY_NAME,
  language: "typescript",
});
/** What tslab reports as `language_info` when a front end connects (Jupyter stores it in the notebook). */
export const LANGUAGE_INFO = Object.freeze({
  name: "typescript",
  version: "3.7.2",
  mimetype: "text/typescript",
  file_extension: ".ts",
  codemirror_mode: Object.freeze({ mode: "typescript", name: "javascript", typescript: true }),
});

export function sourceText(s: MultilineString): string {
  return Array.isArray(s) ? s.join("") : s;
}

/** Read and check a notebook file; errors name the file and the problem. */
export function readNotebook(file: string): Notebook {
  if (!fs.existsSync(file)) throw new Error(`notebook not found: ${file}`);
  let nb: Notebook;
  try {
    nb = JSON.parse(fs.readFileSync(file, "utf8")) as Notebook;
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (nb.nbformat !== 4 || !Array.isArray(nb.cells)) throw new Error(`${file} is not an nbformat 4 notebook`);
  return nb;
}

export function writeNotebook(file: string, nb: Notebook): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(nb, null, 1) + "\n");
  fs.renameSync(tmp, file);
}

/**
 * A copy of `nb` whose `import … from "<rel>/dist"` lines point at `distDir` from `notebookDir`, so
 * an executed copy written elsewhere (notebooks/executed/) still runs where it lies.
 */
export function retargetDistImport(nb: Notebook, notebookDir: string, distDir: string): Notebook {
  let rel = path.relative(notebookDir, distDir).split(path.sep).join("/");
  if (!rel.startsWith(".")) rel = `./${rel}`;
  const fix = (src: string) =>
    src.replace(
      /(from\s+|require\()(["'])(\.{1,2}\/)+(\.\.\/)*dist\2/g,
      (_m, kw: string, q: string) => `${kw}${q}${rel}${q}`,
    );
  return {
    ...nb,
    cells: nb.cells.map((c) =>
      c.cell_type === "code" ? { ...c, source: Array.isArray(c.source) ? c.source.map(fix) : fix(c.source) } : c,
    ),
  };
}

/** Errors recorded in a notebook's outputs: error outputs and stderr streams. */
export function notebookErrors(nb: Notebook): Array<{ cell: number; text: string }> {
  const out: Array<{ cell: number; text: string }> = [];
  nb.cells.forEach((c, i) => {
    if (c.cell_type !== "code") return;
    for (const o of c.outputs) {
      if (o.output_type === "error") out.push({ cell: i, text: `${o.ename}: ${o.evalue}` });
      if (o.output_type === "stream" && o.name === "stderr") out.push({ cell: i, text: sourceText(o.text) });
    }
  });
  return out;
}
