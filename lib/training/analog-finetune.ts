/**
 * Hardware-aware fine-tuning of a converted network: every analog layer's forward pass runs on its
 * tile, re-realised from the current weights for each batch (fresh devices from the config's
 * disturbance: stuck devices, variability, a TiO₂ transfer, or programming and a read at a
 * log-uniform time), with the periphery in the loop (DAC, noise, ADC) — and digital gradients: the
 * tile's own backward (the identity through converters inside their range, zero where clipped,
 * the circuit's adjoint with line resistance). The digital ops' gradients come from tfjs, which
 * sees each analog layer as one custom op. Adam updates the weights; the result is the network
 * converted again with them (new devices from `rng`).
 */
import * as tf from "@tensorflow/tfjs";
import { Conv2dOp, DenseOp, NetworkGraph, matrixShape, shapes, withWeights } from "../models/graph";
import { inputTensor, runOp } from "../models/digital";
import type { Rng } from "../runtime/random";
import { CrossbarDenseLayer } from "../tile/layer";
import { AnalogNetwork, AnalogStage, im2col, layerMatrix, walkPatches, makeStage, stageWeights } from "./analog-model";

export interface FineTuneConfig {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
}

export interface LabelledImages {
  /** Inputs [n][features] in the network's input layout. */
  readonly x: Float32Array;
  readonly labels: ArrayLike<number>;
  readonly n: number;
}

export interface FineTuneResult {
  /** The network converted again with the fine-tuned weights (new devices). */
  readonly net: AnalogNetwork;
  /** The fine-tuned weights as a digital graph. */
  readonly graph: NetworkGraph;
  /** Mean training loss per epoch (softmax cross-entropy on the logits). */
  readonly losses: number[];
}

function checkConfig(c: FineTuneConfig): void {
  if (!Number.isInteger(c.epochs) || c.epochs < 1)
    throw new RangeError(`fine-tune: epochs must be a positive integer, got ${c.epochs}`);
  if (!Number.isInteger(c.batchSize) || c.batchSize < 1)
    throw new RangeError(`fine-tune: batchSize must be a positive integer, got ${c.batchSize}`);
  if (!(c.learningRate > 0 && Number.isFinite(c.learningRate)))
    throw new RangeError(`fine-tune: learningRate must be finite and > 0, got ${c.learningRate}`);
}

/** The layer a batch runs on: the stage's config realised from weights w (and a row bias b), calibrated ranges carried over. */
function realise(
  s: AnalogStage,
  op: DenseOp | Conv2dOp,
  w: Float32Array,
  b: Float32Array | null,
  bias: "digital" | "row",
  rng: Rng,
): CrossbarDenseLayer {
  const cfg = s.layer.config,
    { rows, cols } = matrixShape(op);
  const layer = new CrossbarDenseLayer(
    layerMatrix({ ...op, weight: w, bias: b }, bias, cfg.rule),
    rows,
    cols,
    cfg,
    cfg.disturbance ? { rng } : undefined,
  );
  if (cfg.periphery?.adc?.range.kind === "calibrated") {
    const r = s.layer.adcRangesAmpere;
    if (r.some(Number.isNaN))
      throw new RangeError(
        `fine-tune: layer "${op.name}" has a calibrated ADC range but was not calibrated; run calibrateAnalog first`,
      );
    layer.useAdcRanges(r);
  }
  return layer;
}

/** ∂L/∂(signed weights) from the layer's ∂L/∂W: the pair layout, or double weights' w⁺, w⁻ columns (mean slope at 0). */
function weightGradient(
  dW: Float64Array,
  w: ArrayLike<number>,
  rows: number,
  cols: number,
  double: boolean,
): { dw: Float32Array; dbRow: Float32Array } {
  const n = double ? 2 * cols : cols,
    at = (r: number, o: number): number => {
      if (!double) return dW[r * n + o];
      const v = r < rows ? w[r * cols + o] : 0,
        dp = dW[r * n + 2 * o],
        dm = dW[r * n + 2 * o + 1];
      return v > 0 ? dp : v < 0 ? -dm : (dp - dm) / 2;
    };
  const dw = Float32Array.from({ length: rows * cols }, (_, q) => at(Math.floor(q / cols), q % cols));
  return { dw, dbRow: Float32Array.from({ length: cols }, (_, o) => at(rows, o)) };
}

/** col2im: patch gradients [n·h_o·w_o][k_h·k_w·c] summed back onto the NHWC input (the adjoint of im2col). */
function col2im(dp: Float64Array, n: number, shape: readonly number[], op: Conv2dOp): Float32Array {
  const [h, w, c] = shape,
    dx = new Float32Array(n * h * w * c);
  walkPatches(n, shape, op, (q, base) => {
    for (let ch = 0; ch < c; ch++) dx[base + ch] += dp[q + ch];
  });
  return dx;
}

/** One analog layer as a tfjs op of (input, kernel, row bias) whose forward and backward are the tile's. */
function tileOp(s: AnalogStage, op: DenseOp | Conv2dOp, shape: readonly number[], bias: "digital" | "row", rng: Rng) {
  const { rows, cols } = matrixShape(op),
    double = s.layer.config.rule === "double";
  return tf.customGrad(((x: tf.Tensor, kernel: tf.Tensor, rowBias: tf.Tensor) => {
    const batch = x.shape[0],
      data = x.dataSync() as Float32Array,
      w = kernel.dataSync() as Float32Array;
    const layer = realise(s, op, w, bias === "row" ? (rowBias.dataSync() as Float32Array) : null, bias, rng);
    const p =
      op.kind === "conv2d" ? im2col(data, batch, shape, op) : { patches: Float64Array.from(data), ho: 1, wo: 1 };
    const f = layer.forward(p.patches, batch * p.ho * p.wo, rng);
    const outShape = op.kind === "conv2d" ? [batch, p.ho, p.wo, cols] : [batch, cols];
    const gradFunc = (dy: tf.Tensor) => {
      const b = layer.backward(f, dy.dataSync());
      const g = weightGradient(b.dWeights, w, rows, cols, double);
      const dx = op.kind === "conv2d" ? col2im(b.dInputs, batch, shape, op) : Float32Array.from(b.dInputs);
      return [tf.tensor(dx, x.shape), tf.tensor(g.dw, kernel.shape), tf.tensor(g.dbRow, rowBias.shape)];
    };
    return { value: tf.tensor(Float32Array.from(f.y), outShape), gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => tf.Tensor;
}

type Vars = Map<string, { kernel: tf.Variable; bias: tf.Variable | null; none: tf.Tensor }>;

/** A variable per kernel and per bias the network has (a layer without a bias keeps none). */
function variablesOf(g: NetworkGraph): Vars {
  const vars: Vars = new Map();
  g.ops.forEach((op) => {
    if (op.kind !== "dense" && op.kind !== "conv2d") return;
    const none = tf.zeros([matrixShape(op).cols]);
    vars.set(op.name, {
      kernel: tf.variable(tf.tensor(op.weight)),
      bias: op.bias ? tf.variable(tf.tensor1d(op.bias)) : null,
      none,
    });
  });
  return vars;
}

function disposeVars(vars: Vars): void {
  vars.forEach((v) => tf.dispose([v.kernel, v.none, ...(v.bias ? [v.bias] : [])]));
}

/** Class count, and labels checked to be class indices. */
function checkData(g: NetworkGraph, data: LabelledImages): number {
  const per = g.input.shape.reduce((a, b) => a * b, 1),
    sh = shapes(g),
    classes = sh[sh.length - 1][0];
  if (!(data.n >= 1) || data.x.length !== data.n * per || data.labels.length !== data.n) {
    throw new RangeError(
      `fine-tune: ${data.x.length} inputs and ${data.labels.length} labels for n = ${data.n} examples of ${per}`,
    );
  }
  for (let i = 0; i < data.n; i++) {
    const y = data.labels[i];
    if (!(Number.isInteger(y) && y >= 0 && y < classes))
      throw new RangeError(`fine-tune: label ${i} is ${y}; labels are class indices 0…${classes - 1}`);
  }
  return classes;
}

/** Softmax cross-entropy of a batch through the network (tiles for analog layers), on the variables; a final softmax is the loss's own. */
function batchLoss(
  net: AnalogNetwork,
  vars: Vars,
  xb: Float32Array,
  b: number,
  labels: tf.Tensor,
  rng: Rng,
): tf.Scalar {
  const g = net.graph,
    sh = shapes(g),
    last = g.ops.length - 1;
  const end = g.ops[last].kind === "activation" && (g.ops[last] as { fn: string }).fn === "softmax" ? last : last + 1;
  let t = inputTensor(g.input, xb, b);
  let shape: readonly number[] = g.input.shape;
  for (let k = 0; k < end; k++) {
    const op = g.ops[k],
      s = net.stages[k];
    if (op.kind === "dense" || op.kind === "conv2d") {
      const v = vars.get(op.name)!;
      if (s && s.effective) {
        t = linearTileOp(s, op, v.kernel, v.bias, net.bias, rng)(t);
      } else if (s) {
        const onRow = net.bias === "row" && v.bias !== null;
        t = tileOp(s, op, shape, onRow ? "row" : "digital", rng)(t, v.kernel, onRow ? v.bias! : v.none);
        if (net.bias === "digital" && v.bias) t = t.add(v.bias);
      } else t = digitalLinear(op, t, v.kernel, v.bias);
    } else t = runOp(op, t);
    shape = sh[k];
  }
  return tf.losses.softmaxCrossEntropy(labels, t) as tf.Scalar;
}

/** ∂L/∂(weights) of the mean softmax cross-entropy over a batch, through the tiles, by layer name; and the loss. */
export function analogGradients(
  net: AnalogNetwork,
  data: LabelledImages,
  rng: Rng,
): { loss: number; grads: Map<string, { weight: Float32Array; bias: Float32Array | null }> } {
  const classes = checkData(net.graph, data),
    vars = variablesOf(net.graph);
  const labels = tf.oneHot(tf.tensor1d(Array.from(data.labels), "int32"), classes);
  const list = [...vars.values()].flatMap((v) => (v.bias ? [v.kernel, v.bias] : [v.kernel]));
  const { value, grads } = tf.variableGrads(() => batchLoss(net, vars, data.x, data.n, labels, rng), list);
  const read = (v: tf.Variable) => Float32Array.from(grads[v.name].dataSync() as Float32Array);
  const out = new Map([...vars].map(([n, v]) => [n, { weight: read(v.kernel), bias: v.bias ? read(v.bias) : null }]));
  const loss = value.dataSync()[0];
  tf.dispose([value, labels, ...Object.values(grads)]);
  disposeVars(vars);
  return { loss, grads: out };
}

/**
 * A linear layer (ohmic devices, ideal wires, no converters) re-realised from the current weights:
 * its forward pass is one product with the weights its new devices hold, and its gradient is the
 * straight-through one (∂L/∂W = ∂L/∂W_devices), as aihwkit's hardware-aware training takes it.
 */
function linearTileOp(
  s: AnalogStage,
  op: DenseOp | Conv2dOp,
  kernel: tf.Variable,
  bias: tf.Variable | null,
  placement: "digital" | "row",
  rng: Rng,
) {
  const w = kernel.dataSync() as Float32Array,
    onRow = placement === "row" && bias !== null;
  const layer = realise(s, op, w, onRow ? (bias!.dataSync() as Float32Array) : null, onRow ? "row" : "digital", rng);
  const eff = stageWeights({ layer, gains: null, digitalBias: null }, onRow ? "row" : "digital");
  const through = (v: tf.Tensor, value: Float32Array) =>
    tf.customGrad(((x: tf.Tensor) => ({
      value: tf.tensor(value, x.shape),
      gradFunc: (dy: tf.Tensor) => dy,
    })) as unknown as Parameters<typeof tf.customGrad>[0])(v) as tf.Tensor;
  const k = through(kernel, eff.weight),
    b = bias ? (onRow ? through(bias, eff.bias!) : bias) : null;
  return (x: tf.Tensor) => digitalLinear(op, x, k as tf.Variable, b as tf.Variable | null);
}

/** Fine-tune a converted network on labelled data through its tiles; `rng` shuffles, draws devices and periphery noise. */
export function fineTuneAnalog(
  net: AnalogNetwork,
  data: LabelledImages,
  cfg: FineTuneConfig,
  rng: Rng,
  opts: { onEpoch?: (epoch: number, loss: number) => void } = {},
): FineTuneResult {
  checkConfig(cfg);
  const g = net.graph,
    per = g.input.shape.reduce((a, b) => a * b, 1),
    classes = checkData(g, data);
  const vars = variablesOf(g),
    varList = [...vars.values()].flatMap((v) => (v.bias ? [v.kernel, v.bias] : [v.kernel]));
  const optimizer = tf.train.adam(cfg.learningRate);
  const losses: number[] = [];
  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    const order = rng.shuffle(Array.from({ length: data.n }, (_, i) => i));
    let sum = 0,
      batches = 0;
    for (let s0 = 0; s0 < data.n; s0 += cfg.batchSize) {
      const idx = order.slice(s0, s0 + cfg.batchSize),
        b = idx.length,
        xb = new Float32Array(b * per);
      idx.forEach((i, k) => xb.set(data.x.subarray(i * per, (i + 1) * per), k * per));
      const labels = tf.oneHot(
        tf.tensor1d(
          idx.map((i) => data.labels[i]),
          "int32",
        ),
        classes,
      );
      const loss = optimizer.minimize(() => batchLoss(net, vars, xb, b, labels, rng), true, varList) as tf.Scalar;
      sum += loss.dataSync()[0];
      batches++;
      tf.dispose([loss, labels]);
    }
    losses.push(sum / batches);
    opts.onEpoch?.(epoch, sum / batches);
  }
  const read = (t: tf.Tensor) => Float32Array.from(t.dataSync() as Float32Array);
  const tuned = withWeights(
    g,
    new Map([...vars].map(([n, v]) => [n, { weight: read(v.kernel), bias: v.bias ? read(v.bias) : null }])),
  );
  disposeVars(vars);
  optimizer.dispose();
  return { net: reconvert(net, tuned, rng), graph: tuned, losses };
}

/** A layer the hook kept digital, on the variables (tf.conv2d's filter gradient on wasm: runtime/wasm-conv-filter). */
function digitalLinear(op: DenseOp | Conv2dOp, x: tf.Tensor, kernel: tf.Variable, bias: tf.Variable | null): tf.Tensor {
  let y: tf.Tensor;
  if (op.kind === "dense")
    y = tf.matMul(x as tf.Tensor2D, kernel.reshape([op.inFeatures, op.outFeatures]) as tf.Tensor2D);
  else {
    const [t, l, b, r] = op.pads,
      k = kernel.reshape([op.kernel[0], op.kernel[1], op.inChannels, op.outChannels]) as tf.Tensor4D;
    y = tf.conv2d(x as tf.Tensor4D, k, op.strides as [number, number], [
      [0, 0],
      [t, b],
      [l, r],
      [0, 0],
    ]);
  }
  return bias ? y.add(bias) : y;
}

/** The same conversion (each analog layer's config and bias placement) of a graph with new weights; devices drawn from `rng`. */
export function reconvert(net: AnalogNetwork, graph: NetworkGraph, rng: Rng): AnalogNetwork {
  const stages = graph.ops.map((op, k) => {
    const s = net.stages[k];
    if (!s || (op.kind !== "dense" && op.kind !== "conv2d")) return null;
    if (op.name !== s.op.name)
      throw new RangeError(`reconvert: op ${k} is "${op.name}", the network's is "${s.op.name}"`);
    const cfg = s.layer.config,
      { rows, cols } = matrixShape(op);
    const layer = new CrossbarDenseLayer(
      layerMatrix(op, net.bias, cfg.rule),
      rows,
      cols,
      cfg,
      cfg.disturbance ? { rng } : undefined,
    );
    return makeStage(op, layer, net.bias, null, net.exact);
  });
  return { graph, stages, bias: net.bias, exact: net.exact };
}
