/**
 * The robustness ("nonideality agnosticism") study of Joksas et al. 2022 (spec §7.1/§7.2 Fig. 8):
 * each of 13 trained networks (T0–T8, T13–T16) inferred on all 9 device setups D0–D8. This module
 * holds the bookkeeping (which network meets which setup, in the paper's row/column order) and the
 * heatmap; the runs themselves are the grid experiment "joksas-robustness" (lib/grid).
 */
import type { Provenance } from "../runtime/provenance";
import { figure, FigureSpec } from "../plot/spec";
import { JOKSAS_SETUPS } from "../devices/joksas";
import { JOKSAS_TRAININGS, SetupId, runJoksasCell } from "./joksas";
import { GridExperiment, registerExperiment } from "../grid/registry";

/** Columns of the heatmap (training), in the paper's order. */
export const ROBUSTNESS_TRAININGS = Object.freeze([
  "T0",
  "T1",
  "T2",
  "T3",
  "T4",
  "T6",
  "T7",
  "T13",
  "T14",
  "T15",
  "T16",
  "T5",
  "T8",
]);
/** Rows of the heatmap (inference), in the paper's order. */
export const ROBUSTNESS_SETUPS: readonly SetupId[] = Object.freeze([
  "D0",
  "D1",
  "D2",
  "D3",
  "D8",
  "D5",
  "D6",
  "D4",
  "D7",
] as SetupId[]);

export interface RobustnessCell {
  readonly training: string;
  readonly setup: SetupId;
  readonly medianErrorPercent: number;
}

/** Every (training, setup) pair of the study: 13 × 9 = 117. */
export function robustnessPlan(): Array<{ training: string; setup: SetupId }> {
  return ROBUSTNESS_TRAININGS.flatMap((training) => ROBUSTNESS_SETUPS.map((setup) => ({ training, setup })));
}

/** Arrange measured cells into the paper's matrix [row = setup][column = training]; every pair must be present exactly once. */
export function robustnessMatrix(cells: readonly RobustnessCell[]): number[][] {
  const seen = new Map<string, number>();
  for (const c of cells) {
    const k = `${c.training}/${c.setup}`;
    if (!ROBUSTNESS_TRAININGS.includes(c.training))
      throw new Error(`training ${c.training} is not part of the robustness study`);
    if (!ROBUSTNESS_SETUPS.includes(c.setup)) throw new Error(`setup ${c.setup} is not part of the robustness study`);
    if (seen.has(k)) throw new Error(`robustness cell ${k} appears twice`);
    seen.set(k, c.medianErrorPercent);
  }
  const missing = robustnessPlan().filter((p) => !seen.has(`${p.training}/${p.setup}`));
  if (missing.length)
    throw new Error(
      `robustness study incomplete: ${missing.length} cells missing (first: ${missing[0].training} on ${missing[0].setup})`,
    );
  return ROBUSTNESS_SETUPS.map((s) => ROBUSTNESS_TRAININGS.map((t) => seen.get(`${t}/${s}`)!));
}

/** Per-row normalisation of log error to [0, 1] (the paper's colour scale is log, normalised per row). */
export function rowNormalisedLog(m: readonly (readonly number[])[]): number[][] {
  return m.map((row) => {
    const l = row.map((e) => Math.log10(Math.max(e, 1e-3)));
    const lo = Math.min(...l),
      hi = Math.max(...l);
    return l.map((x) => (hi > lo ? (x - lo) / (hi - lo) : 0.5));
  });
}

/** The annotated heatmap: colour = log error normalised per row (cividis), text = median error (%). */
export function robustnessHeatmap(
  m: readonly (readonly number[])[],
  prov: Provenance | null,
  title: string,
): FigureSpec {
  const x = ROBUSTNESS_TRAININGS.map((t) => `${t}: ${JOKSAS_TRAININGS[t].label.replace(/, aware/, "")}`);
  const y = ROBUSTNESS_SETUPS.map((s) => `${s}: ${JOKSAS_SETUPS[s].name}`);
  const z = rowNormalisedLog(m);
  return figure(
    [
      {
        type: "heatmap",
        x,
        y,
        z,
        text: m.map((r) => r.map((e) => e.toFixed(1))),
        texttemplate: "%{text}",
        customdata: m,
        colorscale: "Cividis",
        showscale: false,
        hovertemplate: "trained: %{x}<br>inferred: %{y}<br>median test error %{customdata:.2f} %<extra></extra>",
      },
    ],
    {
      title: { text: title },
      xaxis: { title: { text: "training setup" }, tickangle: -35 },
      yaxis: { title: { text: "inference setup" }, autorange: "reversed" },
      width: 1150,
      height: 640,
      margin: { l: 260, b: 200 },
    },
    { provenance: prov },
  );
}

/** The grid experiment "joksas-robustness", registered when this module loads. */
export const joksasRobustnessGrid: GridExperiment = registerExperiment({
  module: __filename,
  name: "joksas-robustness",
  version: "4",
  description:
    "Joksas et al. 2022 robustness heatmap: each of the 13 trainings T0–T8, T13–T16 inferred on all 9 setups D0–D8 (median test error per cell).",
  parameters: {
    training: "configuration key (ROBUSTNESS_TRAININGS)",
    dataset: "optional: mnist (default) or fashion-mnist",
  },
  defaultGrid: (mode) => ({
    experiment: "joksas-robustness",
    mode,
    axes: { training: [...ROBUSTNESS_TRAININGS] },
    seeds: mode === "quick" ? [0] : [0, 1, 2, 3, 4],
  }),
  run: (cell, ctx) => runJoksasCell(cell, ctx, () => ROBUSTNESS_SETUPS),
});
