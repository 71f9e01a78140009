/**
 * Networks on crossbar tiles: a sigmoid MLP of lib/training/mlp (parameters [W1, b1, W2, b2, …],
 * W: [out][in]) evaluated with every layer on exactly solved, tiled arrays (layer.ts).
 */
import { CrossbarDenseLayer, CrossbarLayerConfig } from "./layer";
import { fromOutIn } from "./mapping";

export type { CrossbarLayerConfig } from "./layer";

export interface CrossbarLayerResult {
  /** Outputs [inputs][out], in weight units (what W·x + b would give). */
  readonly outputs: number[][];
  /** Power delivered by the sources per input (W), all tiles. */
  readonly powerWatt: number[];
  readonly tiles: number;
  readonly maxKclResidualRelative: number;
}

/** Weights [out][in] and bias [out] → the tile layout [in + 1][out] (bias as the last word line). */
export function withBiasRow(
  weights: ArrayLike<number>,
  bias: ArrayLike<number>,
  outDim: number,
  inDim: number,
): Float64Array {
  if (bias.length !== outDim) throw new RangeError(`bias has ${bias.length} entries for ${outDim} outputs`);
  const w = new Float64Array((inDim + 1) * outDim);
  w.set(fromOutIn(weights, outDim, inDim));
  for (let o = 0; o < outDim; o++) w[inDim * outDim + o] = bias[o];
  return w;
}

/** Evaluate y = W·x + b (W: [out][in]) for every input on tiled crossbars. */
export function denseOnCrossbar(
  weights: ArrayLike<number>,
  bias: ArrayLike<number>,
  outDim: number,
  inDim: number,
  x: readonly (readonly number[])[],
  cfg: CrossbarLayerConfig,
): CrossbarLayerResult {
  const layer = new CrossbarDenseLayer(withBiasRow(weights, bias, outDim, inDim), inDim, outDim, {
    engine: "gauss-seidel",
    ...cfg,
  });
  x.forEach((v, k) => {
    if (v.length !== inDim) throw new RangeError(`input ${k} has ${v.length} features, the layer expects ${inDim}`);
  });
  const f = layer.forward(Float64Array.from(x.flat()), x.length);
  const power = layer.power(f);
  return {
    outputs: x.map((_, k) => Array.from(f.y.subarray(k * outDim, (k + 1) * outDim))),
    powerWatt: Array.from(power.sourcesWatt),
    tiles: layer.tileCount,
    maxKclResidualRelative: Math.max(...f.tiles.map((t) => t.solution.kclResidualRelative)),
  };
}

/** A sigmoid MLP with every layer on crossbars. Returns logits (first output) and power per input. */
export function mlpOnCrossbar(
  sizes: readonly number[],
  params: readonly ArrayLike<number>[],
  x: readonly (readonly number[])[],
  cfg: CrossbarLayerConfig,
): { logits: number[]; powerWatt: number[] } {
  let a: number[][] = x.map((v) => [...v]);
  const power = new Array(x.length).fill(0);
  for (let l = 0; l < sizes.length - 1; l++) {
    const r = denseOnCrossbar(params[2 * l], params[2 * l + 1], sizes[l + 1], sizes[l], a, cfg);
    r.powerWatt.forEach((w, k) => (power[k] += w));
    a = l < sizes.length - 2 ? r.outputs.map((row) => row.map((z) => 1 / (1 + Math.exp(-z)))) : r.outputs;
  }
  return { logits: a.map((row) => row[0]), powerWatt: power };
}
