/** Figure specs for the Joksas et al. 2022 notebooks (02–04). Each returns a FigureSpec; nothing is drawn here. */
import type { Provenance } from "../runtime/provenance";
import { figure, FigureSpec, Trace } from "../plot/spec";
import type { MemristiveTrainResult } from "../training/memristive-mlp";
import { median } from "../training/memristive-mlp";
import type { InferenceSummary } from "./joksas";
import type { DevicePowerMap, PowerBreakdown } from "./joksas-energy";

const pct = (x: number) => 100 * x;
const minOf = (xs: readonly number[]) => Math.min(...xs);
const maxOf = (xs: readonly number[]) => Math.max(...xs);

export interface CurvePanel {
  readonly title: string;
  readonly result: MemristiveTrainResult;
  /** Setup whose monitored test errors are drawn (the nonideal inference setup). */
  readonly testSetup: string;
}

/** Training curves as in the paper's I–V figure: training error, validation (median + min–max band), test under the nonideal setup. */
export function trainingCurvesFigure(
  panels: readonly CurvePanel[],
  columns: number,
  prov: Provenance | null,
  title: string,
): FigureSpec {
  const rows = Math.ceil(panels.length / columns);
  const traces: Trace[] = [];
  const layout: Record<string, unknown> = {
    title: { text: title },
    grid: { rows, columns, pattern: "independent" },
    width: 360 * columns + 80,
    height: 320 * rows + 90,
    annotations: [] as unknown[],
    legend: { orientation: "h", y: -0.12 },
  };
  panels.forEach((p, i) => {
    const ax = i === 0 ? "" : String(i + 1);
    const xa = `x${ax}`,
      ya = `y${ax}`;
    const first = i === 0;
    traces.push({
      type: "scatter",
      mode: "lines",
      name: "training",
      legendgroup: "train",
      showlegend: first,
      line: { color: "#E69F00" },
      x: p.result.curve.map((c) => c.epoch),
      y: p.result.curve.map((c) => pct(c.trainError)),
      xaxis: xa,
      yaxis: ya,
    });
    const cps = p.result.checkpoints;
    const band = (pts: { epoch: number; errs: readonly number[] }[], color: string, name: string, group: string) => {
      traces.push({
        type: "scatter",
        mode: "lines",
        line: { width: 0 },
        showlegend: false,
        legendgroup: group,
        hoverinfo: "skip",
        x: pts.map((c) => c.epoch),
        y: pts.map((c) => pct(maxOf(c.errs))),
        xaxis: xa,
        yaxis: ya,
      });
      traces.push({
        type: "scatter",
        mode: "lines",
        line: { width: 0 },
        fill: "tonexty",
        fillcolor: color.replace("rgb", "rgba").replace(")", ",0.25)"),
        showlegend: false,
        legendgroup: group,
        hoverinfo: "skip",
        x: pts.map((c) => c.epoch),
        y: pts.map((c) => pct(minOf(c.errs))),
        xaxis: xa,
        yaxis: ya,
      });
      traces.push({
        type: "scatter",
        mode: "lines+markers",
        name,
        legendgroup: group,
        showlegend: first,
        line: { color },
        x: pts.map((c) => c.epoch),
        y: pts.map((c) => pct(median(c.errs))),
        xaxis: xa,
        yaxis: ya,
      });
    };
    band(
      cps.map((c) => ({ epoch: c.epoch, errs: c.validationErrors })),
      "rgb(86,180,233)",
      "validation (median, min–max)",
      "val",
    );
    const mon = p.result.monitor.filter((m) => m.setupId === p.testSetup);
    if (mon.length)
      band(
        mon.map((m) => ({ epoch: m.epoch, errs: m.errors })),
        "rgb(204,121,167)",
        "test, nonideal (median, min–max)",
        "test",
      );
    layout[`xaxis${ax}`] = { title: { text: "epoch" } };
    layout[`yaxis${ax}`] = { title: { text: "error (%)" }, type: "log" };
    (layout.annotations as unknown[]).push({
      text: `<b>${p.title}</b>`,
      xref: `${xa} domain`,
      yref: `${ya} domain`,
      x: 0.5,
      y: 1.12,
      showarrow: false,
    });
  });
  return figure(traces, layout, { provenance: prov });
}

export interface BoxGroup {
  readonly name: string;
  readonly colour: string;
  readonly summaries: readonly (InferenceSummary & { label: string })[];
}

/** Test error vs power on log axes: one box per configuration at its mean power (paper Fig. 5 layout). */
export function errorVsPowerFigure(
  groups: readonly BoxGroup[],
  prov: Provenance | null,
  title: string,
  opts: { logPower?: boolean; references?: readonly { label: string; powerWatt: number; errorPercent: number }[] } = {},
): FigureSpec {
  const logPower = opts.logPower ?? true;
  const traces: Trace[] = [];
  for (const g of groups) {
    g.summaries.forEach((s, k) => {
      if (s.meanPowerWatt === null) return;
      traces.push({
        type: "box",
        name: g.name,
        legendgroup: g.name,
        showlegend: k === 0,
        marker: { color: g.colour, symbol: "x" },
        boxpoints: "outliers",
        x: s.errors.map(() => s.meanPowerWatt),
        y: s.errors.map(pct),
        width: logPower ? undefined : undefined,
        hovertext: s.label,
        text: s.errors.map(
          () =>
            `${s.label}: median ${s.medianErrorPercent.toFixed(1)} %, ${(s.meanPowerWatt! * 1e3).toPrecision(3)} mW, η ${s.efficiencyTopsPerWatt!.toPrecision(3)} TOPS/W`,
        ),
      });
    });
  }
  for (const r of opts.references ?? []) {
    traces.push({
      type: "scatter",
      mode: "markers+text",
      name: "paper (median)",
      legendgroup: "paper",
      showlegend: r === opts.references![0],
      marker: { symbol: "star-open", size: 12, color: "#555" },
      x: [r.powerWatt],
      y: [r.errorPercent],
      text: [r.label],
      textposition: "top center",
    });
  }
  return figure(
    traces,
    {
      title: { text: title },
      xaxis: { title: { text: "mean power per example (W)" }, type: logPower ? "log" : "linear" },
      yaxis: { title: { text: "test error (%)" }, type: "log" },
      boxmode: "group",
      width: 900,
      height: 520,
    },
    { provenance: prov },
  );
}

/** Per-layer power bars and per-example power vs mean squared input. */
export function powerBreakdownFigure(
  items: readonly { label: string; b: PowerBreakdown }[],
  prov: Provenance | null,
): FigureSpec {
  const traces: Trace[] = [];
  const nLayers = items[0]?.b.layerWatts.length ?? 0;
  for (let l = 0; l < nLayers; l++) {
    traces.push({
      type: "bar",
      name: `layer ${l + 1}`,
      x: items.map((i) => i.label),
      y: items.map((i) => i.b.layerWatts[l] * 1e3),
      xaxis: "x",
      yaxis: "y",
    });
  }
  items.forEach((i) => {
    traces.push({
      type: "scattergl",
      mode: "markers",
      name: `${i.label}: per example`,
      marker: { size: 3, opacity: 0.5 },
      x: Array.from(i.b.exampleMeanSquareInput),
      y: Array.from(i.b.exampleWatts, (w) => w * 1e3),
      xaxis: "x2",
      yaxis: "y2",
    });
  });
  return figure(
    traces,
    {
      title: { text: "Where the power goes: per layer (left), per example against its input statistics (right)" },
      grid: { rows: 1, columns: 2, pattern: "independent" },
      barmode: "stack",
      xaxis: { title: { text: "network on its setup" } },
      yaxis: { title: { text: "mean power per example (mW)" } },
      xaxis2: { title: { text: "mean squared pixel intensity of the example" } },
      yaxis2: { title: { text: "power of the example (mW)" } },
      width: 1100,
      height: 460,
    },
    { provenance: prov },
  );
}

/** Heatmap of per-device power (µW) of one layer, blocked columns [G₊ | G₋]. */
export function devicePowerHeatmap(
  maps: readonly { label: string; m: DevicePowerMap }[],
  prov: Provenance | null,
  title: string,
): FigureSpec {
  const traces: Trace[] = maps.map(({ label, m }, k) => {
    const z: number[][] = [];
    for (let i = 0; i < m.rows; i++) z.push(Array.from(m.watts.subarray(i * m.cols, (i + 1) * m.cols), (w) => w * 1e6));
    const ax = k === 0 ? "" : String(k + 1);
    return {
      type: "heatmap",
      name: label,
      z,
      colorscale: "Cividis",
      colorbar: { title: { text: "µW" }, x: (k + 1) / maps.length - 0.02, len: 0.9 },
      xaxis: `x${ax}`,
      yaxis: `y${ax}`,
      hovertemplate: "row %{y}, column %{x}: %{z:.3g} µW<extra></extra>",
    };
  });
  const layout: Record<string, unknown> = {
    title: { text: title },
    grid: { rows: 1, columns: maps.length, pattern: "independent" },
    width: 420 * maps.length + 60,
    height: 560,
    annotations: maps.map(({ label }, k) => ({
      text: `<b>${label}</b>`,
      xref: `x${k === 0 ? "" : k + 1} domain`,
      yref: `y${k === 0 ? "" : k + 1} domain`,
      x: 0.5,
      y: 1.06,
      showarrow: false,
    })),
  };
  maps.forEach(({ m }, k) => {
    const ax = k === 0 ? "" : String(k + 1);
    layout[`xaxis${ax}`] = { title: { text: `bit line (0–${m.cols / 2 - 1}: G₊, ${m.cols / 2}–${m.cols - 1}: G₋)` } };
    layout[`yaxis${ax}`] = { title: { text: "word line (pixel; last = bias)" }, autorange: "reversed" };
  });
  return figure(traces, layout, { provenance: prov });
}

/** Error–power plane of a sweep with its Pareto front. */
export function paretoFigure(
  points: readonly { label: string; powerWatt: number; errorPercent: number; errors: readonly number[] }[],
  prov: Provenance | null,
  title: string,
): FigureSpec {
  const front = paretoFront(points.map((p) => ({ x: p.powerWatt, y: p.errorPercent })));
  const sorted = front.map((i) => points[i]).sort((a, b) => a.powerWatt - b.powerWatt);
  return figure(
    [
      ...points.map((p) => ({
        type: "box",
        name: p.label,
        x: p.errors.map(() => p.powerWatt * 1e3),
        y: p.errors.map(pct),
        boxpoints: "all",
        jitter: 0,
        pointpos: 0,
        marker: { size: 4 },
        width: undefined,
      })),
      {
        type: "scatter",
        mode: "lines",
        name: "Pareto front (medians)",
        line: { dash: "dash", color: "#333" },
        x: sorted.map((p) => p.powerWatt * 1e3),
        y: sorted.map((p) => p.errorPercent),
      },
    ],
    {
      title: { text: title },
      xaxis: { title: { text: "mean power per example (mW)" }, type: "log" },
      yaxis: { title: { text: "test error (%)" } },
      width: 900,
      height: 500,
    },
    { provenance: prov },
  );
}

/** Indices of the points not dominated in (x, y), both minimised. */
export function paretoFront(points: readonly { x: number; y: number }[]): number[] {
  return points
    .map((p, i) => ({ p, i }))
    .filter(({ p, i }) => !points.some((q, j) => j !== i && q.x <= p.x && q.y <= p.y && (q.x < p.x || q.y < p.y)))
    .map(({ i }) => i);
}
