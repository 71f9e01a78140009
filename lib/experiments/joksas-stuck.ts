/**
 * Joksas et al. 2022 stuck-device and high-variability experiments (spec §3.5–§3.7, §7.1 T5–T8,
 * supporting figures "…-training"): which setup each study pairs with which aware training, and the
 * Ta/HfO2 stuck-value density of setup D8 (whose kernel centres are a documented synthetic assumption).
 */
import type { Provenance } from "../runtime/provenance";
import type { Rng } from "../runtime/random";
import { figure, FigureSpec, Trace } from "../plot/spec";
import type { DeviceSetup } from "../devices/joksas";
import { sampleKde } from "../devices/draws";
import type { SetupId } from "./joksas";

export interface StuckStudy {
  readonly setup: SetupId;
  readonly label: string;
  /** The network trained aware of the setup; the standard one is always T0. */
  readonly aware: string;
}

/** The four studies, in the order of the paper's supporting figures. */
export const STUCK_STUDIES: readonly StuckStudy[] = Object.freeze([
  { setup: "D3", label: "stuck at G_off (5 %)", aware: "T6" },
  { setup: "D4", label: "high I–V nonlinearity + stuck at G_on (5 %)", aware: "T5" },
  { setup: "D8", label: "stuck, Ta/HfO2 distribution (10.1 %)", aware: "T7" },
  { setup: "D7", label: "high D2D variability", aware: "T8" },
]);

/**
 * Probability density (per mS) of the conductances a stuck device of `setup` takes, estimated from
 * `samples` draws of its kernel density, with the kernel centres as ticks and the window as lines.
 */
export function stuckDensityFigure(setup: DeviceSetup, samples: number, rng: Rng, prov: Provenance | null): FigureSpec {
  const d = setup.disturbance;
  if (!d || d.kind !== "stuck-distribution")
    throw new Error(`setup ${setup.id} (${setup.name}) has no stuck distribution: use D8`);
  if (!(Number.isInteger(samples) && samples >= 100))
    throw new RangeError(`samples must be an integer >= 100, got ${samples}`);
  const mS = 1e3;
  const hist = densityHistogram(
    Array.from(sampleKde(d.centresSiemens, d.bandwidthSiemens, samples, rng), (g) => g * mS),
    0.02,
  );
  const gOff = setup.gOffSiemens! * mS,
    gOn = setup.gOnSiemens! * mS;
  const traces: Trace[] = [
    {
      type: "bar",
      name: `density of ${samples} KDE samples`,
      x: hist.centres,
      y: hist.density,
      width: hist.width,
      marker: { color: "#009E73" },
      opacity: 0.75,
    },
    {
      type: "scatter",
      mode: "markers",
      name: "kernel centres (synthetic)",
      x: d.centresSiemens.map((c) => c * mS),
      y: d.centresSiemens.map(() => 0),
      marker: { symbol: "line-ns-open", size: 10, color: "#555" },
    },
  ];
  return figure(
    traces,
    {
      title: {
        text: `Stuck-value density of ${setup.id} (${setup.name}): p = ${(100 * d.probability).toFixed(1)} %, bandwidth ${(d.bandwidthSiemens * 1e6).toFixed(1)} µS`,
      },
      xaxis: { title: { text: "conductance (mS)" }, range: [0, 1.5] },
      yaxis: { title: { text: "probability density (mS⁻¹)" } },
      shapes: [gOff, gOn].map((x) => ({
        type: "line",
        x0: x,
        x1: x,
        yref: "paper",
        y0: 0,
        y1: 1,
        line: { dash: "dash", color: "#D55E00" },
      })),
      annotations: [
        { x: gOff, yref: "paper", y: 1.02, text: "G_off", showarrow: false },
        { x: gOn, yref: "paper", y: 1.02, text: "G_on", showarrow: false },
      ],
      width: 820,
      height: 420,
    },
    { provenance: prov },
  );
}

/** Probability density of non-negative `values` in bins of `width` from 0 (bin centres; density in 1/unit of the values), Σ density·width = 1. */
export function densityHistogram(
  values: readonly number[],
  width: number,
): { centres: number[]; density: number[]; width: number } {
  if (!(width > 0)) throw new RangeError(`bin width must be > 0, got ${width}`);
  if (values.some((v) => !(v >= 0))) throw new RangeError("densityHistogram: values must be >= 0");
  const nBins = Math.max(1, Math.floor(Math.max(...values) / width) + 1);
  const counts = new Array<number>(nBins).fill(0);
  for (const v of values) counts[Math.floor(v / width)]++;
  return {
    centres: counts.map((_, i) => (i + 0.5) * width),
    density: counts.map((c) => c / (values.length * width)),
    width: width,
  };
}
