/**
 * Joksas et al. 2022 weight-implementation study (spec §4.2, §7.1 T9–T16, §7.2 figure 7): standard
 * weights mapped by the avg. or min-G rule against double weights (one trainable conductance per
 * device), with and without L1, on the two device-to-device variability setups D5 and D6. Here: the
 * plan, the device pairs (G₊, G₋) a network programs into a layer, and the scatter figure.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../runtime/random";
import type { Provenance } from "../runtime/provenance";
import { figure, FigureSpec, Trace } from "../plot/spec";
import type { DeviceSetup } from "../devices/joksas";
import type { MemristiveMlp } from "../training/memristive-mlp";
import type { SetupId } from "./joksas";

export interface WeightImplementationGroup {
  readonly setup: SetupId;
  readonly label: string;
  /** Standard avg., standard min-G, double, double + L1 (the paper's panel order). */
  readonly trainings: readonly string[];
}

/** The two rows of the paper's figure: more uniform D2D (D5) and less uniform D2D (D6). */
export const WEIGHT_IMPLEMENTATION_GROUPS: readonly WeightImplementationGroup[] = Object.freeze([
  { setup: "D5", label: "more uniform D2D", trainings: ["T9", "T10", "T13", "T14"] },
  { setup: "D6", label: "less uniform D2D", trainings: ["T11", "T12", "T15", "T16"] },
]);

export interface DevicePairs {
  /** Conductance of the positive device of each weight, bias row included, row-major [rows, out] (S). */
  readonly gPlusSiemens: Float64Array;
  /** Conductance of the negative device of the same weight (S). */
  readonly gMinusSiemens: Float64Array;
  readonly rows: number;
  readonly outputs: number;
}

/**
 * The devices one realisation of `stage` programs into layer `layer` (0 = first): G₊ and G₋ of every
 * weight after the setup's disturbances (D2D variability, stuck devices), as the crossbar holds them.
 */
export function devicePairs(model: MemristiveMlp, layer: number, stage: DeviceSetup, rng: Rng): DevicePairs {
  if (!Number.isInteger(layer) || layer < 0 || layer >= model.layers.length)
    throw new RangeError(`layer must be 0…${model.layers.length - 1}, got ${layer}`);
  if (stage.gOffSiemens === null)
    throw new Error(`setup ${stage.id} (${stage.name}) has no devices: choose a setup with a conductance window`);
  let out: DevicePairs | null = null;
  tf.tidy(() => {
    const x = tf.zeros([1, model.spec.sizes[0]]) as tf.Tensor2D;
    model.forward(x, stage, rng, {
      power: false,
      trace: (l, t) => {
        if (l !== layer) return;
        const [rows, cols] = t.g.shape;
        const g = t.g.dataSync(),
          n = cols / 2;
        const gPlus = new Float64Array(rows * n),
          gMinus = new Float64Array(rows * n);
        // the trace holds the blocked layout [G₊ | G₋]
        for (let i = 0; i < rows; i++)
          for (let j = 0; j < n; j++) {
            gPlus[i * n + j] = g[i * cols + j];
            gMinus[i * n + j] = g[i * cols + n + j];
          }
        out = { gPlusSiemens: gPlus, gMinusSiemens: gMinus, rows, outputs: n };
      },
    });
  });
  if (!out) throw new Error(`layer ${layer} did not run on a crossbar under ${stage.id}`);
  return out;
}

/** A random `fraction` of the indices 0…n−1 (the paper plots 10 % of the first-layer devices, seed 0). */
export function sampleIndices(n: number, fraction: number, rng: Rng): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`fraction must be in (0, 1], got ${fraction}`);
  const all = Array.from({ length: n }, (_, i) => i);
  return rng
    .shuffle(all)
    .slice(0, Math.round(fraction * n))
    .sort((a, b) => a - b);
}

export interface PairPanel {
  readonly title: string;
  readonly pairs: DevicePairs;
  readonly indices: readonly number[];
  readonly setup: DeviceSetup;
}

/** G₋ against G₊ (µS) for each panel, with the setup's conductance window drawn as a square. */
export function pairScatterFigure(
  panels: readonly PairPanel[],
  columns: number,
  prov: Provenance | null,
  title: string,
): FigureSpec {
  if (!(Number.isInteger(columns) && columns >= 1))
    throw new RangeError(`columns must be a positive integer, got ${columns}`);
  const rows = Math.ceil(panels.length / columns);
  const traces: Trace[] = [];
  const shapes: unknown[] = [];
  const annotations: unknown[] = [];
  const layout: Record<string, unknown> = {
    title: { text: title },
    grid: { rows, columns, pattern: "independent" },
    width: 280 * columns + 80,
    height: 280 * rows + 100,
    showlegend: false,
  };
  const uS = 1e6;
  panels.forEach((p, k) => {
    const ax = k === 0 ? "" : String(k + 1);
    const xa = `x${ax}`,
      ya = `y${ax}`;
    const gOff = p.setup.gOffSiemens! * uS,
      gOn = p.setup.gOnSiemens! * uS;
    traces.push({
      type: "scattergl",
      mode: "markers",
      name: p.title,
      xaxis: xa,
      yaxis: ya,
      marker: { size: 3, opacity: 0.5, color: "#0072B2" },
      x: p.indices.map((i) => p.pairs.gPlusSiemens[i] * uS),
      y: p.indices.map((i) => p.pairs.gMinusSiemens[i] * uS),
    });
    shapes.push({
      type: "rect",
      xref: xa,
      yref: ya,
      x0: gOff,
      x1: gOn,
      y0: gOff,
      y1: gOn,
      line: { color: "#999", dash: "dot", width: 1 },
    });
    layout[`xaxis${ax}`] = { title: { text: "G₊ (µS)" } };
    layout[`yaxis${ax}`] = { title: { text: "G₋ (µS)" }, scaleanchor: xa };
    annotations.push({
      text: `<b>${p.title}</b>`,
      xref: `${xa} domain`,
      yref: `${ya} domain`,
      x: 0.5,
      y: 1.14,
      showarrow: false,
    });
  });
  return figure(traces, { ...layout, shapes, annotations }, { provenance: prov });
}
