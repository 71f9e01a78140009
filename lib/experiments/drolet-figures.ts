/** Figure specs for the Drolet et al. 2023 notebook. Each returns a FigureSpec; nothing is drawn here. */
import type { Provenance } from "../runtime/provenance";
import type { Rng } from "../runtime/random";
import { figure, FigureSpec, Trace } from "../plot/spec";
import type { Splits } from "../data/moons";
import type { TiO2DeviceConfig } from "../devices/tio2";
import { driftTableOf, tuningRelStdPercent, withoutSources } from "../devices/tio2";
import { perturbConductance } from "../devices/tio2-transfer";
import type { CurvePoint } from "../training/hardware-aware";
import { accuracyCdf, DROLET_PAPER_SHARE, UncertaintyMap } from "./drolet";

const US = 1e6;

/** Tuning σ_rel(G) over the window, with simulated relative errors at a few target conductances. */
export function tuningFigure(device: TiO2DeviceConfig, rng: Rng, prov: Provenance | null, samples = 4000): FigureSpec {
  const gs = Array.from(
    { length: 41 },
    (_, i) => device.gOffSiemens + ((device.gOnSiemens - device.gOffSiemens) * i) / 40,
  );
  const only = withoutSources(device, "drift", "failures");
  const traces: Trace[] = [
    {
      type: "scatter",
      mode: "lines",
      name: "σ_rel(G) law",
      x: gs.map((g) => g * US),
      y: gs.map((g) => tuningRelStdPercent(device, g)),
      xaxis: "x",
      yaxis: "y",
    },
  ];
  for (const g of [100e-6, 300e-6, 500e-6]) {
    const errs = Array.from({ length: samples }, () => (100 * (perturbConductance(g, only, 1, 0, rng).g - g)) / g);
    traces.push({
      type: "histogram",
      name: `G = ${g * US} µS`,
      x: errs,
      opacity: 0.6,
      nbinsx: 60,
      histnorm: "probability density",
      xaxis: "x2",
      yaxis: "y2",
    });
  }
  return figure(
    traces,
    {
      title: { text: "Conductance-tuning imprecision (paper Fig. 2 law, simulated programming errors)" },
      grid: { rows: 1, columns: 2, pattern: "independent" },
      xaxis: { title: { text: "target G (µS)" } },
      yaxis: { title: { text: "σ_rel (%)" } },
      xaxis2: { title: { text: "programming error (% of G), offset + noise" } },
      yaxis2: { title: { text: "density" } },
      barmode: "overlay",
      width: 980,
      height: 420,
    },
    { provenance: prov },
  );
}

/** Measured drift statistics vs programming key (mean, quartiles, 5–95 %), with counts. */
export function driftFigure(device: TiO2DeviceConfig, prov: Provenance | null): FigureSpec {
  const t = driftTableOf(device);
  const keys = [...t.byKey.keys()].sort((a, b) => a - b);
  const q = (k: number, i: number) => t.byKey.get(k)!.quantilesSiemens[i] * US;
  const band = (lo: number, hi: number, name: string, color: string): Trace[] => [
    {
      type: "scatter",
      mode: "lines",
      x: keys,
      y: keys.map((k) => q(k, hi)),
      line: { width: 0 },
      showlegend: false,
      hoverinfo: "skip",
    },
    {
      type: "scatter",
      mode: "lines",
      x: keys,
      y: keys.map((k) => q(k, lo)),
      fill: "tonexty",
      fillcolor: color,
      line: { width: 0 },
      name,
    },
  ];
  return figure(
    [
      ...band(5, 95, "5–95 %", "rgba(31,119,180,0.15)"),
      ...band(25, 75, "25–75 %", "rgba(31,119,180,0.35)"),
      {
        type: "scatter",
        mode: "lines+markers",
        name: "mean",
        x: keys,
        y: keys.map((k) => t.byKey.get(k)!.meanSiemens * US),
        line: { color: "#d62728" },
      },
      {
        type: "scatter",
        mode: "lines",
        name: "median",
        x: keys,
        y: keys.map((k) => q(k, 50)),
        line: { color: "#1f77b4", dash: "dot" },
      },
      {
        type: "bar",
        name: "samples per key",
        x: keys,
        y: keys.map((k) => t.byKey.get(k)!.n),
        yaxis: "y2",
        opacity: 0.25,
        marker: { color: "#7f7f7f" },
      },
    ],
    {
      title: { text: "Biasing-scheme drift of a programmed device vs devices programmed after it (measured)" },
      xaxis: { title: { text: "key k = devices programmed after it (+1)" } },
      yaxis: { title: { text: "conductance drift (µS)" } },
      yaxis2: { title: { text: "samples" }, overlaying: "y", side: "right", type: "log", showgrid: false },
      legend: { orientation: "h", y: -0.2 },
      width: 900,
      height: 460,
    },
    { provenance: prov },
  );
}

/** Stuck-device laws: simulated LRS-stuck and HRS-stuck conductances. */
export function failureFigure(
  device: TiO2DeviceConfig,
  rng: Rng,
  prov: Provenance | null,
  samples = 20000,
): FigureSpec {
  const f = device.failures;
  const lrs = Array.from({ length: samples }, () => rng.normal(f.lrsMeanSiemens, f.lrsStdSiemens) * US);
  const hrs = Array.from({ length: samples }, () => rng.uniform(f.hrsMinSiemens, f.hrsMaxSiemens) * US);
  return figure(
    [
      {
        type: "histogram",
        name: `stuck at HRS: U(${f.hrsMinSiemens * US}, ${f.hrsMaxSiemens * US}) µS, p = ${f.pStuckHrs}`,
        x: hrs,
        nbinsx: 40,
        histnorm: "probability density",
        opacity: 0.7,
      },
      {
        type: "histogram",
        name: `stuck at LRS: N(${f.lrsMeanSiemens * US}, ${f.lrsStdSiemens * US}) µS, p = ${f.pStuckLrs}`,
        x: lrs,
        nbinsx: 80,
        histnorm: "probability density",
        opacity: 0.7,
      },
    ],
    {
      title: { text: "Stuck-device conductances" },
      barmode: "overlay",
      xaxis: { title: { text: "G (µS)" } },
      yaxis: { title: { text: "density" } },
      shapes: [device.gOffSiemens, device.gOnSiemens].map((g) => ({
        type: "line",
        x0: g * US,
        x1: g * US,
        yref: "paper",
        y0: 0,
        y1: 1,
        line: { dash: "dash", color: "#555" },
      })),
      annotations: [
        {
          x: ((device.gOffSiemens + device.gOnSiemens) / 2) * US,
          yref: "paper",
          y: 1.02,
          text: "programmable window",
          showarrow: false,
        },
      ],
      legend: { orientation: "h", y: -0.2 },
      width: 900,
      height: 420,
    },
    { provenance: prov },
  );
}

/** Training curves: loss and clean test accuracy vs epoch for several runs. */
export function trainingCurvesFigure(
  runs: ReadonlyArray<{ name: string; curve: readonly CurvePoint[] }>,
  prov: Provenance | null,
): FigureSpec {
  const traces: Trace[] = [];
  for (const r of runs) {
    traces.push({
      type: "scatter",
      mode: "lines",
      name: `${r.name}: loss`,
      x: r.curve.map((p) => p.epoch),
      y: r.curve.map((p) => p.loss),
      xaxis: "x",
      yaxis: "y",
    });
    traces.push({
      type: "scatter",
      mode: "lines",
      name: `${r.name}: clean test accuracy`,
      x: r.curve.map((p) => p.epoch),
      y: r.curve.map((p) => p.testAccuracy ?? null),
      xaxis: "x2",
      yaxis: "y2",
    });
  }
  return figure(
    traces,
    {
      title: { text: "Training curves (noise-free accuracy; the aware loss includes injected device noise)" },
      grid: { rows: 1, columns: 2, pattern: "independent" },
      xaxis: { title: { text: "epoch" } },
      yaxis: { title: { text: "training loss" }, type: "log" },
      xaxis2: { title: { text: "epoch" } },
      yaxis2: { title: { text: "clean test accuracy" } },
      legend: { orientation: "h", y: -0.25 },
      width: 1000,
      height: 440,
    },
    { provenance: prov },
  );
}

/** Output-uncertainty maps side by side with the test points overlaid. */
export function uncertaintyFigure(
  maps: ReadonlyArray<{ name: string; map: UncertaintyMap }>,
  test: Splits["test"],
  prov: Provenance | null,
  zmax = 0.4,
): FigureSpec {
  const traces: Trace[] = [];
  maps.forEach((m, i) => {
    const ax = i === 0 ? "" : String(i + 1);
    traces.push({
      type: "heatmap",
      x: m.map.axis,
      y: m.map.axis,
      z: m.map.std,
      zmin: 0,
      zmax,
      colorscale: "Viridis",
      reversescale: true,
      showscale: i === maps.length - 1,
      colorbar: { title: { text: "std over transfers" } },
      xaxis: `x${ax}`,
      yaxis: `y${ax}`,
      name: m.name,
    });
    for (const cls of [0, 1]) {
      const pts = test.x.filter((_, j) => test.y[j] === cls);
      traces.push({
        type: "scatter",
        mode: "markers",
        name: `test class ${cls}`,
        showlegend: i === 0,
        x: pts.map((p) => p[0]),
        y: pts.map((p) => p[1]),
        marker: { size: 6, color: cls === 1 ? "green" : "cornflowerblue", line: { color: "black", width: 1 } },
        xaxis: `x${ax}`,
        yaxis: `y${ax}`,
      });
    }
  });
  const layout: Record<string, unknown> = {
    title: { text: "Standard deviation of the network output over simulated transfers" },
    grid: { rows: 1, columns: maps.length, pattern: "independent" },
    annotations: maps.map((m, i) => ({
      text: m.name,
      xref: `x${i === 0 ? "" : i + 1} domain`,
      yref: `y${i === 0 ? "" : i + 1} domain`,
      x: 0.5,
      y: 1.08,
      showarrow: false,
      font: { size: 14 },
    })),
    legend: { orientation: "h", y: -0.15 },
    width: 1000,
    height: 520,
  };
  maps.forEach((_, i) => {
    layout[`xaxis${i === 0 ? "" : i + 1}`] = { range: [0, 1], title: { text: "x₁" } };
    layout[`yaxis${i === 0 ? "" : i + 1}`] = {
      range: [0, 1],
      title: { text: "x₂" },
      scaleanchor: `x${i === 0 ? "" : i + 1}`,
    };
  });
  return figure(traces, layout, { provenance: prov });
}

const COLORS = { regular: "#1f77b4", aware: "#ff7f0e" } as const;

/** Share of points ≥ 95 % per seed for both networks, with the seed mean and the paper's values. */
export function headlineFigure(
  shares: { regular: readonly number[]; aware: readonly number[]; seeds: readonly number[] },
  prov: Provenance | null,
): FigureSpec {
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const traces: Trace[] = (["regular", "aware"] as const).map((k) => ({
    type: "scatter",
    mode: "markers",
    name: `${k} (seeds)`,
    x: shares[k].map(() => (k === "regular" ? "regular training" : "hardware-aware training")),
    y: shares[k].map((s) => 100 * s),
    text: shares.seeds.map((s) => `seed ${s}`),
    marker: { size: 10, opacity: 0.7, color: COLORS[k] },
  }));
  (["regular", "aware"] as const).forEach((k) =>
    traces.push({
      type: "scatter",
      mode: "markers",
      name: `${k}: seed mean`,
      x: [k === "regular" ? "regular training" : "hardware-aware training"],
      y: [100 * mean(shares[k])],
      marker: { symbol: "line-ew-open", size: 40, color: COLORS[k], line: { width: 3, color: COLORS[k] } },
    }),
  );
  return figure(
    traces,
    {
      title: { text: "Test points classified correctly in ≥ 95 % of transfers" },
      yaxis: { title: { text: "share of the 200 test points (%)" }, range: [0, 100] },
      shapes: [
        {
          type: "line",
          xref: "paper",
          x0: 0,
          x1: 1,
          y0: 100 * DROLET_PAPER_SHARE.aware,
          y1: 100 * DROLET_PAPER_SHARE.aware,
          line: { dash: "dash", color: COLORS.aware },
        },
        {
          type: "line",
          xref: "paper",
          x0: 0,
          x1: 1,
          y0: 100 * DROLET_PAPER_SHARE.regular,
          y1: 100 * DROLET_PAPER_SHARE.regular,
          line: { dash: "dash", color: COLORS.regular },
        },
      ],
      annotations: [
        {
          xref: "paper",
          x: 1,
          y: 100 * DROLET_PAPER_SHARE.aware,
          text: "paper: 79.5 % (aware)",
          showarrow: false,
          xanchor: "right",
          yanchor: "bottom",
        },
        {
          xref: "paper",
          x: 1,
          y: 100 * DROLET_PAPER_SHARE.regular,
          text: "paper: 18.5 % (regular)",
          showarrow: false,
          xanchor: "right",
          yanchor: "bottom",
        },
      ],
      width: 700,
      height: 480,
    },
    { provenance: prov },
  );
}

/** Empirical CDF of per-point accuracy for several networks. */
export function cdfFigure(
  sets: ReadonlyArray<{ name: string; perPoint: ArrayLike<number> }>,
  prov: Provenance | null,
): FigureSpec {
  return figure(
    sets.map((s) => {
      const c = accuracyCdf(s.perPoint);
      return {
        type: "scatter",
        mode: "lines",
        line: { shape: "hv" },
        name: s.name,
        x: c.x.map((v) => 100 * v),
        y: c.y.map((v) => 100 * v),
      };
    }),
    {
      title: { text: "Per-point accuracy over transfers: cumulative distribution" },
      xaxis: { title: { text: "per-point accuracy over transfers (%)" }, range: [40, 100.5] },
      yaxis: { title: { text: "share of test points at or below (%)" } },
      shapes: [{ type: "line", x0: 95, x1: 95, yref: "paper", y0: 0, y1: 1, line: { dash: "dot" } }],
      width: 760,
      height: 440,
    },
    { provenance: prov },
  );
}
