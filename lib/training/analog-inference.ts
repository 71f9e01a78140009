/**
 * A trained sigmoid MLP (lib/training/mlp layout) as an analog network of tiles, with the periphery
 * and over time: calibrate each layer's ADC on the activations that reach it, program every device
 * once, and read the network at times after programming, with or without drift compensation
 * (tile/time.ts). Classification uses circuit-aware.ts's pass, so the same layers can be judged on
 * ideal or wired arrays.
 */
import type { DeviceTimeModel } from "../devices/time";
import type { Rng } from "../runtime/random";
import { CrossbarDenseLayer } from "../tile/layer";
import {
  CompensationReference,
  DriftCompensation,
  ProgrammedLayer,
  compensationGains,
  compensationReadout,
  programLayer,
} from "../tile/time";
import { withBiasRow } from "../tile/network";
import {
  LabelledData,
  LayerConfigs,
  circuitForward,
  classifyWithLayers,
  layerConfigAt,
  pointCount,
  pointsOf,
} from "./circuit-aware";
import type { Mlp } from "./mlp";
import { MemristiveMlp, asMlp } from "./memristive-mlp";

/**
 * A trained sigmoid network in the tile's layout: per layer [in + 1][out] weights for differential
 * pairs, or [in + 1][2·out] double weights (`double`), the bias in the last row.
 */
export interface TileNetwork {
  readonly sizes: readonly number[];
  readonly double: boolean;
  readonly weights: readonly Float64Array[];
}

/** A network of lib/training/mlp (W [out][in]) or a Joksas network (standard or double weights) as tile weights. */
export function tileNetwork(net: Mlp | MemristiveMlp): TileNetwork {
  if ("params" in net) {
    const weights = net.sizes
      .slice(1)
      .map((nOut, l) => withBiasRow(net.params[2 * l], net.params[2 * l + 1], nOut, net.sizes[l]));
    return { sizes: net.sizes, double: false, weights };
  }
  if (net.spec.weights.kind === "standard") return tileNetwork(asMlp(net));
  const v = net.snapshot(),
    sizes = net.spec.sizes;
  const weights = sizes.slice(1).map((nOut, l) => {
    const nIn = sizes[l],
      [wP, wM, bP, bM] = v.slice(4 * l, 4 * l + 4),
      w = new Float64Array((nIn + 1) * 2 * nOut);
    for (let i = 0; i <= nIn; i++)
      for (let j = 0; j < nOut; j++) {
        w[(i * nOut + j) * 2] = i < nIn ? wP[i * nOut + j] : bP[j];
        w[(i * nOut + j) * 2 + 1] = i < nIn ? wM[i * nOut + j] : bM[j];
      }
    return w;
  });
  return { sizes, double: true, weights };
}

/** The network's layers on tiles (a double-weights network maps by the "double" rule; a pair network by its config's pair rule). */
export function tileLayers(n: TileNetwork, configs: LayerConfigs): CrossbarDenseLayer[] {
  const count = n.sizes.length - 1;
  return n.weights.map((w, l) => {
    const c = layerConfigAt(configs, l, count);
    if (c.disturbance)
      throw new RangeError(
        "tile layers: a disturbance draws devices per realisation; use circuitLayers with a generator",
      );
    if (n.double && c.rule !== undefined && c.rule !== "double")
      throw new RangeError(`tile layers: a double-weights network cannot map by the pair rule "${c.rule}"`);
    if (!n.double && c.rule === "double")
      throw new RangeError(
        "tile layers: the config asks for double weights, but the network has one weight per connection",
      );
    return new CrossbarDenseLayer(w, n.sizes[l], n.sizes[l + 1], n.double ? { ...c, rule: "double" } : c);
  });
}

/**
 * Calibrate every layer whose ADC range is "calibrated", first layer first, on the first `points` of
 * `data`: layer l is calibrated on what layer l − 1 (already calibrated) passes on. Returns the layers.
 */
export function calibrateLayers(
  layers: readonly CrossbarDenseLayer[],
  data: LabelledData,
  points: number,
  rng?: Rng,
): readonly CrossbarDenseLayer[] {
  if (!Number.isInteger(points) || points < 1 || points > pointCount(data))
    throw new RangeError(`calibration points must be a whole number from 1 to ${pointCount(data)}, got ${points}`);
  const idx = Array.from({ length: points }, (_, i) => i);
  let x = pointsOf(data, idx, layers[0].inDim).x;
  layers.forEach((layer, l) => {
    if (layer.config.periphery?.adc?.range.kind === "calibrated") layer.calibrate(x, points, rng);
    if (l < layers.length - 1)
      x = circuitForward([layer], x, points, { rng }).passes[0].f.y.map((z) => 1 / (1 + Math.exp(-z)));
  });
  return layers;
}

/** Share of points classified wrongly, and what the periphery clipped (mean share over layers and chunks). */
export interface AnalogEvaluation {
  readonly error: number;
  readonly clippedOutputs: number;
  readonly clippedInputs: number;
}

/** Classify `data` on given layers (periphery noise from `rng`), with optional per-layer gains. */
export function evaluateLayers(
  layers: readonly CrossbarDenseLayer[],
  data: LabelledData,
  opts: { rng?: Rng; gains?: readonly (Float64Array | null)[] } = {},
): AnalogEvaluation {
  const { correct } = classifyWithLayers(layers, data, opts);
  const clipped = clippedShares(layers, data, opts.rng);
  return { error: 1 - correct.reduce((a, b) => a + b, 0) / correct.length, ...clipped };
}

/** What the converters clip on a sample of the data (the first 64 points), averaged over layers. */
function clippedShares(
  layers: readonly CrossbarDenseLayer[],
  data: LabelledData,
  rng?: Rng,
): { clippedOutputs: number; clippedInputs: number } {
  if (!layers.some((l) => l.config.periphery?.adc || l.config.periphery?.dac))
    return { clippedOutputs: 0, clippedInputs: 0 };
  const n = Math.min(64, pointCount(data));
  const { x } = pointsOf(
    data,
    Array.from({ length: n }, (_, i) => i),
    layers[0].inDim,
  );
  const { passes } = circuitForward(layers, x, n, { rng });
  const mean = (f: (c: { inputs: number; outputs: number }) => number) =>
    passes.reduce((s, p) => s + f(p.f.clipped), 0) / passes.length;
  return { clippedOutputs: mean((c) => c.outputs), clippedInputs: mean((c) => c.inputs) };
}

/** A network of programmed layers, with each layer's compensation reference read at t₀. */
export interface ProgrammedNetwork {
  readonly layers: readonly ProgrammedLayer[];
  readonly references: readonly CompensationReference[];
}

/** Program every layer of `net` once (devices drawn from `rng`), and read each one's compensation reference at t₀. */
export function programNetwork(
  net: TileNetwork,
  configs: LayerConfigs,
  model: DeviceTimeModel,
  rng: Rng,
): ProgrammedNetwork {
  const layers = tileLayers(net, configs).map((l) => programLayer(l, model, rng));
  const references = layers.map((p) => compensationReadout(p.readAt(model.t0Second, rng), rng));
  return { layers, references };
}

/**
 * The network read t seconds after programming (one read, its noise from `rng`), and per
 * compensation asked for, each layer's gains (null: none) from that same read.
 */
export function readNetworkAt(
  p: ProgrammedNetwork,
  tSecond: number,
  compensations: readonly DriftCompensation[],
  rng: Rng,
): { layers: CrossbarDenseLayer[]; gains: Map<DriftCompensation, (Float64Array | null)[]> } {
  const layers = p.layers.map((l) => l.readAt(tSecond, rng));
  const now = compensations.some((c) => c !== "none") ? layers.map((l) => compensationReadout(l, rng)) : [];
  const gains = new Map(
    compensations.map(
      (c) => [c, layers.map((_, i) => (c === "none" ? null : compensationGains(c, p.references[i], now[i])))] as const,
    ),
  );
  return { layers, gains };
}
