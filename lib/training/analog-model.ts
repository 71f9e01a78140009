/**
 * Any imported network on crossbar tiles (aihwkit's `convert_to_analog`, CrossSim's `from_torch`):
 * `toAnalog(graph, config)` puts every dense layer, and every convolution by im2col (a
 * (k_h·k_w·c_in) × c_out matrix), on a `CrossbarDenseLayer` of the tile; batch norms are folded into
 * the layer before them; activations, pooling and softmax stay digital. Biases are digital (aihwkit's
 * default) or on a bias row. Large layers split into tiles of the config's size (aihwkit's 512 × 512
 * by default) with partial outputs summed digitally after each tile's periphery. Everything the tile
 * offers applies: pair rules and double weights, disturbances, device laws, line resistance, the
 * periphery, and time (`programAnalog` / `readAt`). `analogWeights` reads the weights back from the
 * devices; `toDigital` (models/tfjs-format) turns them into a tfjs model.
 */
import * as tf from "@tensorflow/tfjs";
import {
  Conv2dOp,
  DenseOp,
  NetworkGraph,
  checkGraph,
  foldBatchNorms,
  matrixShape,
  shapes,
  withWeights,
} from "../models/graph";
import { inputTensor, runOp } from "../models/digital";
import { layersModelFromGraph } from "../models/tfjs-format";
import type { DeviceTimeModel } from "../devices/time";
import type { Rng } from "../runtime/random";
import { CrossbarDenseLayer, CrossbarLayerConfig, LayerForward } from "../tile/layer";
import { pairWeights, weightColumns } from "../tile/mapping";
import {
  CompensationReference,
  DriftCompensation,
  ProgrammedLayer,
  applyGains,
  compensationGains,
  compensationReadout,
  programLayer,
} from "../tile/time";

/** aihwkit's largest analog tile (src/aihwkit/simulator/parameters/mapping.py: max_input_size = max_output_size = 512). */
export const AIHWKIT_TILE_SIZE = 512;

export type BiasPlacement = "digital" | "row";

export interface ToAnalogOptions {
  /** Per dense or convolution layer (after batch-norm folding): its own config, "digital" to keep it off tiles, or undefined for the default. */
  readonly layer?: (op: DenseOp | Conv2dOp, index: number) => CrossbarLayerConfig | "digital" | undefined;
  /** Biases added digitally after the ADC (default, as aihwkit) or on a bias row held at k_V. */
  readonly bias?: BiasPlacement;
  /** Draws each layer's disturbance (one realisation per layer), when a config names one. */
  readonly devices?: Rng;
  /**
   * Run every layer on its tiles, float64 tile by tile, even where the layer is linear (by default
   * a linear layer is one matrix product with the weights its devices hold: the same outputs).
   */
  readonly exact?: boolean;
}

export interface AnalogStage {
  readonly op: DenseOp | Conv2dOp;
  readonly layer: CrossbarDenseLayer;
  /** The digital bias added after the tiles (null: on the bias row, or none). */
  readonly digitalBias: Float32Array | null;
  /** Per-column digital gains after the tiles (drift compensation; null: none). */
  readonly gains: Float64Array | null;
  /**
   * For a linear layer (`CrossbarDenseLayer.linear`): the weights its devices hold, gains and bias
   * included, with which one matrix product gives the tiles' closed-form outputs (null: run on the tiles).
   */
  readonly effective: { readonly weight: Float32Array; readonly bias: Float32Array | null } | null;
}

/** A stage of a layer on tiles; `exact` keeps even a linear layer on its tiles (float64, per tile). */
export function makeStage(
  op: DenseOp | Conv2dOp,
  layer: CrossbarDenseLayer,
  bias: BiasPlacement,
  gains: Float64Array | null,
  exact = false,
): AnalogStage {
  const s = { op, layer, digitalBias: bias === "digital" ? op.bias : null, gains, effective: null };
  return { ...s, effective: layer.linear && !exact ? stageWeights(s, bias) : null };
}

export interface AnalogNetwork {
  /** The graph as run (batch norms folded). */
  readonly graph: NetworkGraph;
  /** Per op of the graph: its analog stage, or null where it runs digitally. */
  readonly stages: readonly (AnalogStage | null)[];
  readonly bias: BiasPlacement;
  /** Every layer on its tiles (see ToAnalogOptions.exact). */
  readonly exact: boolean;
}

/** One row of a converted network's mapping report. */
export interface MappingRow {
  readonly layer: string;
  readonly kind: "dense" | "conv2d";
  /** "analog", or "digital" where the hook kept it off tiles. */
  readonly placement: "analog" | "digital";
  /** The matrix on tiles: word lines (inputs, plus a bias row) × outputs. */
  readonly rows: number;
  readonly outputs: number;
  readonly tiles: number;
  readonly devices: number;
  readonly gOffSiemens: number | null;
  readonly gOnSiemens: number | null;
  /** k_G (S per weight unit). */
  readonly kGSiemens: number | null;
}

/** The matrix a layer puts on tiles: [rows + 1][cols] with the bias row (zeros for a digital bias); double weights split w into w⁺, w⁻. */
export function layerMatrix(
  op: DenseOp | Conv2dOp,
  bias: BiasPlacement,
  rule: CrossbarLayerConfig["rule"],
): Float64Array {
  const { rows, cols } = matrixShape(op),
    n = weightColumns(rule ?? "min-G", cols),
    w = new Float64Array((rows + 1) * n);
  const put = (r: number, o: number, v: number) => {
    if (rule === "double") {
      w[r * n + 2 * o] = Math.max(v, 0);
      w[r * n + 2 * o + 1] = Math.max(-v, 0);
    } else w[r * n + o] = v;
  };
  for (let r = 0; r < rows; r++) for (let o = 0; o < cols; o++) put(r, o, op.weight[r * cols + o]);
  if (bias === "row" && op.bias) for (let o = 0; o < cols; o++) put(rows, o, op.bias[o]);
  return w;
}

/** Convert a network: every dense and convolution layer onto tiles, unless the hook keeps it digital. */
export function toAnalog(graph: NetworkGraph, config: CrossbarLayerConfig, opts: ToAnalogOptions = {}): AnalogNetwork {
  const bias = opts.bias ?? "digital";
  if (bias !== "digital" && bias !== "row")
    throw new RangeError(`toAnalog: bias must be "digital" or "row", got "${String(bias)}"`);
  const g = foldBatchNorms(graph);
  checkGraph(g);
  let linear = 0;
  const stages = g.ops.map((op) => {
    if (op.kind !== "dense" && op.kind !== "conv2d") return null;
    const choice = opts.layer ? opts.layer(op, linear) : undefined;
    linear++;
    if (choice === "digital") return null;
    const cfg = choice ?? config;
    const { rows, cols } = matrixShape(op);
    const devices = cfg.disturbance ? { rng: requireRng(opts.devices, op.name, cfg) } : undefined;
    let layer: CrossbarDenseLayer;
    try {
      layer = new CrossbarDenseLayer(layerMatrix(op, bias, cfg.rule), rows, cols, cfg, devices);
    } catch (e) {
      throw new RangeError(`toAnalog: layer "${op.name}" (${op.kind}): ${(e as Error).message}`, { cause: e });
    }
    return makeStage(op, layer, bias, null, opts.exact);
  });
  return { graph: g, stages, bias, exact: !!opts.exact };
}

function requireRng(rng: Rng | undefined, name: string, cfg: CrossbarLayerConfig): Rng {
  if (!rng)
    throw new RangeError(
      `toAnalog: layer "${name}" has a ${cfg.disturbance!.kind} disturbance; pass opts.devices (a generator) to draw its devices`,
    );
  return rng;
}

/** Layers, tiles, devices and the conductance window of a converted network. */
export function mappingReport(net: AnalogNetwork): MappingRow[] {
  const rows: MappingRow[] = [];
  net.graph.ops.forEach((op, k) => {
    if (op.kind !== "dense" && op.kind !== "conv2d") return;
    const s = net.stages[k],
      m = matrixShape(op);
    if (!s) {
      rows.push({
        layer: op.name,
        kind: op.kind,
        placement: "digital",
        rows: m.rows,
        outputs: m.cols,
        tiles: 0,
        devices: 0,
        gOffSiemens: null,
        gOnSiemens: null,
        kGSiemens: null,
      });
      return;
    }
    const l = s.layer;
    rows.push({
      layer: op.name,
      kind: op.kind,
      placement: "analog",
      rows: l.inDim + 1,
      outputs: l.outDim,
      tiles: l.tileCount,
      devices: l.deviceConductancesSiemens.length,
      gOffSiemens: l.config.gOffSiemens,
      gOnSiemens: l.config.gOnSiemens,
      kGSiemens: l.kG,
    });
  });
  return rows;
}

/** Output height and width of a convolution over images of `shape` [h, w, c]. */
export function convOutputSize(shape: readonly number[], op: Conv2dOp): { ho: number; wo: number } {
  const [h, w] = shape,
    [kh, kw] = op.kernel,
    [sh, sw] = op.strides,
    [pt, pl, pb, pr] = op.pads;
  return { ho: Math.floor((h + pt + pb - kh) / sh) + 1, wo: Math.floor((w + pl + pr - kw) / sw) + 1 };
}

/**
 * Walk the patches of a convolution over a batch of NHWC images: for every kernel tap that falls inside
 * the image, `visit(q, base)` with q the tap's first entry in the patch matrix [n·h_o·w_o][k_h·k_w·c]
 * and base the pixel's first channel in the input (taps in the zero padding are skipped).
 */
export function walkPatches(
  n: number,
  shape: readonly number[],
  op: Conv2dOp,
  visit: (q: number, base: number) => void,
): { ho: number; wo: number } {
  const [h, w, c] = shape,
    [kh, kw] = op.kernel,
    [sh, sw] = op.strides,
    [pt, pl] = op.pads;
  const { ho, wo } = convOutputSize(shape, op);
  let q = 0;
  for (let b = 0; b < n; b++)
    for (let yo = 0; yo < ho; yo++)
      for (let xo = 0; xo < wo; xo++)
        for (let dy = 0; dy < kh; dy++) {
          const y = yo * sh + dy - pt;
          for (let dx = 0; dx < kw; dx++, q += c) {
            const xi = xo * sw + dx - pl;
            if (y >= 0 && y < h && xi >= 0 && xi < w) visit(q, ((b * h + y) * w + xi) * c);
          }
        }
  return { ho, wo };
}

/** Patches [n·h_o·w_o][k_h·k_w·c] of a batch of NHWC images for a convolution (zero padding). */
export function im2col(
  x: Float32Array,
  n: number,
  shape: readonly number[],
  op: Conv2dOp,
): { patches: Float64Array; ho: number; wo: number } {
  const c = shape[2],
    [kh, kw] = op.kernel;
  const { ho, wo } = convOutputSize(shape, op);
  const patches = new Float64Array(n * ho * wo * kh * kw * c);
  walkPatches(n, shape, op, (q, base) => {
    for (let ch = 0; ch < c; ch++) patches[q + ch] = x[base + ch];
  });
  return { patches, ho, wo };
}

/** What an analog pass clipped, averaged over its analog layers (shares of DAC inputs and ADC conversions). */
export interface AnalogClipped {
  readonly inputs: number;
  readonly outputs: number;
}

/** Outputs [batch][out] of the converted network for flat inputs in the graph's layout; `rng` draws the periphery's noise. */
export function analogForward(
  net: AnalogNetwork,
  x: ArrayLike<number>,
  batch: number,
  rng?: Rng,
): { y: Float32Array; clipped: AnalogClipped } {
  const sh = shapes(net.graph);
  let t = inputTensor(net.graph.input, x, batch),
    shape: readonly number[] = net.graph.input.shape;
  const passes: LayerForward[] = [];
  net.graph.ops.forEach((op, k) => {
    const s = net.stages[k];
    const next = s ? stageForward(s, t, batch, shape, rng, passes) : runOp(op, t);
    t.dispose();
    t = next;
    shape = sh[k];
  });
  const y = t.dataSync() as Float32Array;
  t.dispose();
  const mean = (f: (p: LayerForward) => number) =>
    passes.length ? passes.reduce((a, p) => a + f(p), 0) / passes.length : 0;
  return { y, clipped: { inputs: mean((p) => p.clipped.inputs), outputs: mean((p) => p.clipped.outputs) } };
}

function stageForward(
  s: AnalogStage,
  t: tf.Tensor,
  batch: number,
  shape: readonly number[],
  rng: Rng | undefined,
  passes: LayerForward[],
): tf.Tensor {
  if (s.effective) return runOp({ ...s.op, weight: s.effective.weight, bias: s.effective.bias }, t);
  const data = t.dataSync() as Float32Array,
    out = s.layer.outDim;
  let rows = batch,
    outShape: number[],
    inputs: Float64Array;
  if (s.op.kind === "conv2d") {
    const p = im2col(data, batch, shape, s.op);
    inputs = p.patches;
    rows = batch * p.ho * p.wo;
    outShape = [batch, p.ho, p.wo, out];
  } else {
    inputs = Float64Array.from(data);
    outShape = [batch, out];
  }
  const f = s.layer.forward(inputs, rows, rng);
  passes.push(f);
  const y = s.gains ? applyGains(Float64Array.from(f.y), s.gains) : f.y;
  const y32 = Float32Array.from(y);
  if (s.digitalBias) for (let q = 0; q < y32.length; q++) y32[q] += s.digitalBias[q % out];
  return tf.tensor(y32, outShape);
}

/** Outputs for n examples in chunks (bounded memory); the clipped shares averaged over chunks. */
export function analogPredict(
  net: AnalogNetwork,
  x: ArrayLike<number>,
  n: number,
  opts: { rng?: Rng; chunk?: number } = {},
): { y: Float32Array; clipped: AnalogClipped } {
  const per = net.graph.input.shape.reduce((a, b) => a * b, 1),
    chunk = opts.chunk ?? 100;
  if (x.length !== n * per) throw new RangeError(`analogPredict: ${x.length} values for ${n} examples of ${per}`);
  const xs = x instanceof Float32Array ? x : Float32Array.from(x),
    parts: Float32Array[] = [];
  let ci = 0,
    co = 0,
    chunks = 0;
  for (let s = 0; s < n; s += chunk) {
    const b = Math.min(chunk, n - s),
      r = analogForward(net, xs.subarray(s * per, (s + b) * per), b, opts.rng);
    parts.push(r.y);
    ci += r.clipped.inputs;
    co += r.clipped.outputs;
    chunks++;
  }
  const y = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    y.set(p, o);
    o += p.length;
  }
  return { y, clipped: { inputs: ci / chunks, outputs: co / chunks } };
}

/** The inputs each analog layer sees for a batch (for calibration), computed through the analog network itself. */
export function calibrateAnalog(net: AnalogNetwork, x: ArrayLike<number>, batch: number, rng?: Rng): AnalogNetwork {
  const sh = shapes(net.graph);
  let t = inputTensor(net.graph.input, x, batch),
    shape: readonly number[] = net.graph.input.shape;
  net.graph.ops.forEach((op, k) => {
    const s = net.stages[k];
    if (s && s.layer.config.periphery?.adc?.range.kind === "calibrated") {
      const data = t.dataSync() as Float32Array;
      const p =
        s.op.kind === "conv2d" ? im2col(data, batch, shape, s.op) : { patches: Float64Array.from(data), ho: 1, wo: 1 };
      s.layer.calibrate(p.patches, batch * p.ho * p.wo, rng);
    }
    const next = s ? stageForward(s, t, batch, shape, rng, []) : runOp(op, t);
    t.dispose();
    t = next;
    shape = sh[k];
  });
  t.dispose();
  return net;
}

/** One stage's weights as its devices hold them: (G⁺ − G⁻)/k_G by weight row, with its drift gains; the bias from its row, or the digital one. */
export function stageWeights(
  s: Pick<AnalogStage, "layer" | "gains" | "digitalBias">,
  bias: BiasPlacement,
): { weight: Float32Array; bias: Float32Array | null } {
  const l = s.layer,
    rows = l.inDim + 1,
    cols = l.outDim;
  const phys = pairWeights(l.deviceConductancesSiemens, rows, cols, l.kG);
  const byRow = new Float64Array(phys.length);
  l.order.forEach((row, k) => byRow.set(phys.subarray(k * cols, (k + 1) * cols), row * cols));
  const gain = (o: number) => (s.gains ? s.gains[o] : 1);
  const weight = Float32Array.from({ length: l.inDim * cols }, (_, q) => byRow[q] * gain(q % cols));
  const b =
    bias === "row" ? Float32Array.from({ length: cols }, (_, o) => byRow[l.inDim * cols + o] * gain(o)) : s.digitalBias;
  return { weight, bias: b };
}

/** The network's weights as its devices hold them, by layer name. */
export function analogWeights(net: AnalogNetwork): Map<string, { weight: Float32Array; bias: Float32Array | null }> {
  const out = new Map<string, { weight: Float32Array; bias: Float32Array | null }>();
  net.stages.forEach((s) => s && out.set(s.op.name, stageWeights(s, net.bias)));
  return out;
}

/** A tfjs model holding the weights read from the devices (programmed, drifted or disturbed), the rest of the network unchanged. */
export function toDigital(net: AnalogNetwork, name?: string): tf.Sequential {
  return layersModelFromGraph(withWeights(net.graph, analogWeights(net)), name);
}

/** A converted network whose devices were programmed once; `readAt` gives it t seconds later. */
export interface ProgrammedAnalog {
  readonly net: AnalogNetwork;
  readonly layers: readonly (ProgrammedLayer | null)[];
  readonly references: readonly (CompensationReference | null)[];
}

/** Program every analog layer once with a device-time model, and read each one's compensation reference at t₀. */
export function programAnalog(net: AnalogNetwork, model: DeviceTimeModel, rng: Rng): ProgrammedAnalog {
  const layers = net.stages.map((s) => (s ? programLayer(s.layer, model, rng) : null));
  const references = layers.map((p) => (p ? compensationReadout(p.readAt(model.t0Second, rng), rng) : null));
  return { net, layers, references };
}

/** The network as read t seconds after programming, with drift compensation's digital gains. */
export function readAnalogAt(
  p: ProgrammedAnalog,
  tSecond: number,
  compensation: DriftCompensation,
  rng: Rng,
): AnalogNetwork {
  const stages = p.net.stages.map((s, k) => {
    const pl = p.layers[k];
    if (!s || !pl) return s;
    const layer = pl.readAt(tSecond, rng);
    const gains =
      compensation === "none"
        ? null
        : compensationGains(compensation, p.references[k]!, compensationReadout(layer, rng));
    return makeStage(s.op, layer, p.net.bias, gains, p.net.exact);
  });
  return { ...p.net, stages };
}

/** The ops of a network that run on tiles, by name. */
export function analogLayerNames(net: AnalogNetwork): string[] {
  return net.stages.filter((s): s is AnalogStage => s !== null).map((s) => s.op.name);
}
