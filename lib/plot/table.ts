/** Tables in notebooks: an HTML table (with a plain-text fallback) displayed inline. */
import { escapeHtml } from "./html";
export type Cell = string | number | null;

export interface TableSpec {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
  readonly caption?: string;
}

function fmt(v: Cell): string {
  if (v === null) return "–";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  return v;
}

export function tableHtml(t: TableSpec): string {
  t.rows.forEach((r, i) => {
    if (r.length !== t.columns.length)
      throw new RangeError(`table row ${i} has ${r.length} cells for ${t.columns.length} columns`);
  });
  const head = t.columns.map((c) => `<th style="text-align:right;padding:2px 8px">${escapeHtml(c)}</th>`).join("");
  const body = t.rows
    .map(
      (r) =>
        `<tr>${r.map((c) => `<td style="text-align:right;padding:2px 8px">${escapeHtml(fmt(c))}</td>`).join("")}</tr>`,
    )
    .join("\n");
  return `<table style="border-collapse:collapse;font-size:13px">${t.caption ? `<caption style="text-align:left;font-weight:bold">${escapeHtml(t.caption)}</caption>` : ""}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export function tableText(t: TableSpec): string {
  const cells = [t.columns.map(String), ...t.rows.map((r) => r.map(fmt))];
  const w = t.columns.map((_, j) => Math.max(...cells.map((r) => r[j].length)));
  const line = (r: string[]) => r.map((c, j) => c.padStart(w[j])).join("  ");
  return [t.caption ?? "", line(cells[0]), w.map((n) => "-".repeat(n)).join("  "), ...cells.slice(1).map(line)]
    .filter((s) => s !== "")
    .join("\n");
}

/** Display a table in the notebook (HTML + text); outside a notebook, print the text form. */
export function showTable(t: TableSpec): void {
  let write: ((d: unknown, u: boolean) => void) | null;
  try {
    write =
      (require("tslab/dist/jupyter") as { lastWriteDisplayData?: ((d: unknown, u: boolean) => void) | null })
        .lastWriteDisplayData ?? null;
  } catch {
    write = null;
  }
  if (write)
    write({ data: { "text/html": tableHtml(t), "text/plain": tableText(t) }, metadata: {}, transient: {} }, false);
  else console.log(tableText(t));
}
