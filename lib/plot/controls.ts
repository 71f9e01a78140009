/**
 * Figures a reader can explore: precomputed frames switched by a Plotly slider or dropdown.
 * Every frame's traces are in the figure (only the active frame's visible), so the control works
 * in any page that has plotly.js — a notebook, an exported notebook, a standalone HTML file —
 * with no kernel and no network.
 */
import { figure, FigureSpec, Layout, Trace } from "./spec";
import type { Provenance } from "../runtime/provenance";

export interface Frame {
  /** Shown on the control. */
  readonly label: string;
  readonly traces: readonly Trace[];
  /** Optional title while this frame is shown. */
  readonly title?: string;
}

export interface ControlOptions {
  /** Text before the current value ("segment resistance: "). */
  readonly prefix: string;
  /** Index of the frame shown first (default 0). */
  readonly active?: number;
  readonly provenance?: Provenance | null;
}

function checkFrames(frames: readonly Frame[], active: number): void {
  if (frames.length < 2) throw new Error(`a control needs at least 2 frames, got ${frames.length}`);
  if (!(Number.isInteger(active) && active >= 0 && active < frames.length))
    throw new RangeError(`active frame ${active} is not one of 0…${frames.length - 1}`);
  const labels = new Set(frames.map((f) => f.label));
  if (labels.size !== frames.length) throw new Error("frame labels must differ");
  frames.forEach((f, k) => {
    if (f.traces.length === 0) throw new Error(`frame ${k} ("${f.label}") has no traces`);
  });
}

/** All frames' traces, each visible only in its frame, and one `update` step per frame. */
function framed(
  frames: readonly Frame[],
  active: number,
  labelPrefix = "",
): { data: Trace[]; steps: Record<string, unknown>[] } {
  const owner = frames.flatMap((f, k) => f.traces.map(() => k));
  const data = frames.flatMap((f, k) => f.traces.map((t) => ({ ...t, visible: k === active })));
  const steps = frames.map((f, k) => {
    const layoutChange = f.title !== undefined ? { "title.text": f.title } : {};
    return {
      label: `${labelPrefix}${f.label}`,
      method: "update",
      args: [{ visible: owner.map((o) => o === k) }, layoutChange],
    };
  });
  return { data, steps };
}

/** The frames' figure with one control: `control` gives the layout entry, `side` the margin it needs room in. */
function controlled(
  frames: readonly Frame[],
  layout: Layout,
  opts: ControlOptions,
  labelPrefix: string,
  side: "t" | "b",
  control: (active: number, steps: Record<string, unknown>[]) => Record<string, unknown>,
): FigureSpec {
  const active = opts.active ?? 0;
  checkFrames(frames, active);
  const { data, steps } = framed(frames, active, labelPrefix);
  const margin = (layout["margin"] as Record<string, number> | undefined) ?? {};
  const title =
    frames[active].title !== undefined
      ? { ...(layout["title"] as object | undefined), text: frames[active].title }
      : layout["title"];
  return figure(
    data,
    {
      ...layout,
      ...(title !== undefined ? { title } : {}),
      margin: { ...margin, [side]: Math.max(margin[side] ?? 0, side === "b" ? 110 : 100) },
      ...control(active, steps),
    },
    { provenance: opts.provenance ?? null },
  );
}

/** A figure whose frames are chosen with a slider under the plot. */
export function sliderFigure(frames: readonly Frame[], layout: Layout, opts: ControlOptions): FigureSpec {
  return controlled(frames, layout, opts, "", "b", (active, steps) => ({
    sliders: [{ active, steps, currentvalue: { prefix: opts.prefix }, pad: { t: 50 } }],
  }));
}

/** A figure whose frames are chosen from a dropdown above the plot (each entry labelled prefix + frame label). */
export function dropdownFigure(frames: readonly Frame[], layout: Layout, opts: ControlOptions): FigureSpec {
  return controlled(frames, layout, opts, opts.prefix, "t", (active, steps) => ({
    updatemenus: [
      { type: "dropdown", active, buttons: steps, x: 0, xanchor: "left", y: 1.12, yanchor: "bottom", showactive: true },
    ],
  }));
}
