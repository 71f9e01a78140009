/**
 * A figure spec: Plotly data and layout plus provenance. Pure data, JSON-serialisable,
 * independent of where it is shown (notebook, HTML file, PNG/SVG).
 */
import type { Provenance } from "../runtime/provenance";

/** One Plotly trace (see https://plotly.com/javascript/reference/). */
export type Trace = Readonly<Record<string, unknown>>;
export type Layout = Readonly<Record<string, unknown>>;
export type PlotConfig = Readonly<Record<string, unknown>>;

export interface FigureSpec {
  readonly data: readonly Trace[];
  readonly layout: Layout;
  readonly config: PlotConfig;
  readonly provenance: Provenance | null;
}

/** Default static size in CSS pixels. */
export const DEFAULT_WIDTH_PX = 760;
export const DEFAULT_HEIGHT_PX = 480;

/** Build a figure spec; checks that data is an array of trace objects. */
export function figure(
  data: readonly Trace[],
  layout: Layout = {},
  opts: { provenance?: Provenance | null; config?: PlotConfig } = {},
): FigureSpec {
  if (!Array.isArray(data)) throw new TypeError("figure: data must be an array of Plotly traces");
  data.forEach((t, i) => {
    if (t === null || typeof t !== "object" || Array.isArray(t)) {
      throw new TypeError(`figure: trace ${i} is not an object`);
    }
  });
  if (layout === null || typeof layout !== "object" || Array.isArray(layout)) {
    throw new TypeError("figure: layout must be an object");
  }
  return Object.freeze({
    data,
    layout: withAxisDefaults(layout),
    config: { responsive: true, displaylogo: false, ...(opts.config ?? {}) },
    provenance: opts.provenance ?? null,
  });
}

/**
 * Layout rules for figures with a second y-axis drawn over the first (`overlaying`): its ticks are
 * its own round values (Plotly would otherwise sync them to the first axis's grid, giving values
 * like 171.5), it draws no second grid, titles get room (`automargin`), and unless the caller placed
 * the legend, the legend goes in a row above the plot, where it cannot cover either axis.
 */
export function withAxisDefaults(layout: Layout): Layout {
  const overlaid = Object.keys(layout).filter(
    (k) => /^yaxis\d+$/.test(k) && (layout[k] as { overlaying?: unknown } | undefined)?.overlaying,
  );
  if (overlaid.length === 0) return layout;
  const out: Record<string, unknown> = { ...layout };
  for (const k of overlaid) out[k] = { tickmode: "auto", showgrid: false, automargin: true, ...(layout[k] as object) };
  if (layout["yaxis"] && typeof layout["yaxis"] === "object")
    out["yaxis"] = { automargin: true, ...(layout["yaxis"] as object) };
  else out["yaxis"] = { automargin: true };
  if (layout["legend"] === undefined) {
    out["legend"] = { orientation: "h", x: 0, xanchor: "left", y: 1.02, yanchor: "bottom" };
    const m = (layout["margin"] as { t?: number } | undefined) ?? {};
    out["margin"] = { ...m, t: Math.max(m.t ?? 0, 110) };
  }
  return out;
}

/** Width and height of a figure in pixels (from its layout, else the defaults). */
export function figureSize(fig: FigureSpec): { width: number; height: number } {
  const w = fig.layout["width"];
  const h = fig.layout["height"];
  return {
    width: typeof w === "number" && w > 0 ? w : DEFAULT_WIDTH_PX,
    height: typeof h === "number" && h > 0 ? h : DEFAULT_HEIGHT_PX,
  };
}

/** JSON for embedding inside an HTML <script>: "</" is escaped so it cannot close the tag. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/<\//g, "<\\/")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** Plotly-JSON (application/vnd.plotly.v1+json) payload. */
export function plotlyJson(fig: FigureSpec): { data: readonly Trace[]; layout: Layout; config: PlotConfig } {
  return { data: fig.data, layout: fig.layout, config: fig.config };
}
