/**
 * A network as a chain of operations: the form every imported model (tfjs LayersModel, ONNX) takes
 * before it runs digitally or moves onto tiles. Images are NHWC inside the chain; `input.layout`
 * says how the caller's flat inputs are laid out (ONNX models take NCHW, tfjs models NHWC), and a
 * flatten records which order its source flattened in, so a PyTorch network's features keep
 * PyTorch's order.
 *
 * Weights are float32, laid out as tfjs keeps them: a dense kernel [in][out], a convolution kernel
 * [k_h][k_w][c_in][c_out].
 */

export type ActivationFn = "relu" | "sigmoid" | "tanh" | "softmax" | "linear";
export const ACTIVATIONS: readonly ActivationFn[] = Object.freeze(["relu", "sigmoid", "tanh", "softmax", "linear"]);

export interface DenseOp {
  readonly kind: "dense";
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Kernel [in][out]. */
  readonly weight: Float32Array;
  readonly bias: Float32Array | null;
}

export interface Conv2dOp {
  readonly kind: "conv2d";
  readonly name: string;
  readonly kernel: readonly [number, number];
  readonly inChannels: number;
  readonly outChannels: number;
  /** Kernel [k_h][k_w][c_in][c_out]. */
  readonly weight: Float32Array;
  readonly bias: Float32Array | null;
  readonly strides: readonly [number, number];
  /** Zero padding [top, left, bottom, right]. */
  readonly pads: readonly [number, number, number, number];
}

export interface BatchNormOp {
  readonly kind: "batchnorm";
  readonly name: string;
  readonly channels: number;
  readonly gamma: Float32Array;
  readonly beta: Float32Array;
  readonly mean: Float32Array;
  readonly variance: Float32Array;
  readonly epsilon: number;
}

export interface ActivationOp {
  readonly kind: "activation";
  readonly name: string;
  readonly fn: ActivationFn;
}

export interface PoolOp {
  readonly kind: "pool";
  readonly name: string;
  readonly mode: "max" | "avg";
  readonly size: readonly [number, number];
  readonly strides: readonly [number, number];
}

export interface GlobalAvgPoolOp {
  readonly kind: "global-avg-pool";
  readonly name: string;
}

export interface FlattenOp {
  readonly kind: "flatten";
  readonly name: string;
  /** The order the source flattens an image in: "nhwc" (tfjs, Keras) or "nchw" (PyTorch, ONNX). */
  readonly order: "nhwc" | "nchw";
}

export type Op = DenseOp | Conv2dOp | BatchNormOp | ActivationOp | PoolOp | GlobalAvgPoolOp | FlattenOp;

export interface NetworkInput {
  /** Per example, without the batch: [features] or, for images, [h, w, c]. */
  readonly shape: readonly number[];
  /** How a caller's flat inputs are laid out: "nchw" for ONNX images, "nhwc" otherwise. */
  readonly layout: "nhwc" | "nchw";
}

export interface NetworkGraph {
  /** Where the network came from (a file, a model's name). */
  readonly source: string;
  readonly input: NetworkInput;
  readonly ops: readonly Op[];
}

/** The per-example shape after each op ([features] or [h, w, c]); errors name the op that cannot take its input. */
export function shapes(g: NetworkGraph): number[][] {
  let s = [...g.input.shape];
  if (!(s.length === 1 || s.length === 3) || !s.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new RangeError(
      `${g.source}: input shape [${s.join(", ")}] must be [features] or [h, w, c] of positive integers`,
    );
  }
  return g.ops.map((op) => (s = shapeAfter(op, s, g.source)));
}

function shapeAfter(op: Op, s: number[], source: string): number[] {
  const where = `${source}: ${op.kind} "${op.name}"`;
  const image = (): [number, number, number] => {
    if (s.length !== 3) throw new RangeError(`${where} needs an image [h, w, c]; its input is [${s.join(", ")}]`);
    return s as [number, number, number];
  };
  switch (op.kind) {
    case "dense": {
      if (s.length !== 1 || s[0] !== op.inFeatures) {
        throw new RangeError(`${where} takes ${op.inFeatures} features; its input is [${s.join(", ")}]`);
      }
      return [op.outFeatures];
    }
    case "conv2d": {
      const [h, w, c] = image();
      if (c !== op.inChannels) throw new RangeError(`${where} takes ${op.inChannels} channels; its input has ${c}`);
      const ho = Math.floor((h + op.pads[0] + op.pads[2] - op.kernel[0]) / op.strides[0]) + 1;
      const wo = Math.floor((w + op.pads[1] + op.pads[3] - op.kernel[1]) / op.strides[1]) + 1;
      if (!(ho >= 1 && wo >= 1))
        throw new RangeError(`${where}: a ${op.kernel.join("×")} kernel does not fit a ${h}×${w} input`);
      return [ho, wo, op.outChannels];
    }
    case "batchnorm": {
      const c = s[s.length - 1];
      if (c !== op.channels) throw new RangeError(`${where} normalises ${op.channels} channels; its input has ${c}`);
      return s;
    }
    case "pool": {
      const [h, w, c] = image();
      const ho = Math.floor((h - op.size[0]) / op.strides[0]) + 1,
        wo = Math.floor((w - op.size[1]) / op.strides[1]) + 1;
      if (!(ho >= 1 && wo >= 1))
        throw new RangeError(`${where}: a ${op.size.join("×")} window does not fit a ${h}×${w} input`);
      return [ho, wo, c];
    }
    case "global-avg-pool":
      return [image()[2]];
    case "flatten":
      return [s.reduce((a, b) => a * b, 1)];
    case "activation":
      return s;
  }
}

/** The graph with every batch norm that follows a dense or convolution layer folded into it (the analog form). */
export function foldBatchNorms(g: NetworkGraph): NetworkGraph {
  const ops: Op[] = [];
  for (const op of g.ops) {
    const prev = ops[ops.length - 1];
    if (op.kind === "batchnorm" && prev && (prev.kind === "dense" || prev.kind === "conv2d")) {
      ops[ops.length - 1] = foldInto(prev, op);
    } else ops.push(op);
  }
  return { ...g, ops };
}

function foldInto<T extends DenseOp | Conv2dOp>(layer: T, bn: BatchNormOp): T {
  const out = layer.kind === "dense" ? layer.outFeatures : layer.outChannels;
  if (out !== bn.channels)
    throw new RangeError(`batch norm "${bn.name}" has ${bn.channels} channels; "${layer.name}" gives ${out}`);
  const scale = Float32Array.from(bn.gamma, (gm, c) => gm / Math.sqrt(bn.variance[c] + bn.epsilon));
  const weight = Float32Array.from(layer.weight, (w, k) => w * scale[k % out]);
  const bias = Float32Array.from(scale, (s, c) => ((layer.bias ? layer.bias[c] : 0) - bn.mean[c]) * s + bn.beta[c]);
  return { ...layer, name: `${layer.name}+${bn.name}`, weight, bias };
}

/** The layers that can move onto tiles: dense and convolution layers, by name. */
export function linearOps(g: NetworkGraph): (DenseOp | Conv2dOp)[] {
  return g.ops.filter((op): op is DenseOp | Conv2dOp => op.kind === "dense" || op.kind === "conv2d");
}

/** Rows of a layer's matrix on tiles (k_h·k_w·c_in, or in) and its outputs. */
export function matrixShape(op: DenseOp | Conv2dOp): { rows: number; cols: number } {
  return op.kind === "dense"
    ? { rows: op.inFeatures, cols: op.outFeatures }
    : { rows: op.kernel[0] * op.kernel[1] * op.inChannels, cols: op.outChannels };
}

/** A copy of a graph with new weights for its dense and convolution layers, by name (kernel and bias). */
export function withWeights(
  g: NetworkGraph,
  weights: ReadonlyMap<string, { weight: Float32Array; bias: Float32Array | null }>,
): NetworkGraph {
  const ops = g.ops.map((op) => {
    if (op.kind !== "dense" && op.kind !== "conv2d") return op;
    const w = weights.get(op.name);
    if (!w) return op;
    if (w.weight.length !== op.weight.length)
      throw new RangeError(`withWeights: "${op.name}" has ${op.weight.length} weights, got ${w.weight.length}`);
    const nb = op.kind === "dense" ? op.outFeatures : op.outChannels;
    if (w.bias && w.bias.length !== nb)
      throw new RangeError(`withWeights: "${op.name}" has ${nb} biases, got ${w.bias.length}`);
    return { ...op, weight: w.weight, bias: w.bias };
  });
  return { ...g, ops };
}

/** Names must be unique: they are how a per-layer hook and a report address layers. */
export function checkGraph(g: NetworkGraph): void {
  const seen = new Set<string>();
  for (const op of g.ops) {
    if (seen.has(op.name)) throw new RangeError(`${g.source}: two operations are named "${op.name}"`);
    seen.add(op.name);
  }
  shapes(g);
}
