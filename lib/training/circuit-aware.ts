/**
 * Circuit-aware training: a sigmoid MLP (lib/training/mlp: parameters [W1, b1, …], W [out][in], one
 * logit output, binary cross-entropy) whose every layer runs on crossbar tiles solved exactly
 * (lib/tile: line resistance, driver and sensing resistance), with gradients from each tile's adjoint
 * solve. The conductance scale k_G follows max|W| at every step and is held fixed within a step.
 */
import type { Rng } from "../runtime/random";
import type { Dataset } from "../data/moons";
import { CrossbarDenseLayer, CrossbarLayerConfig, LayerForward } from "../tile/layer";
import { withBiasRow } from "../tile/network";
import { Adam, Mlp, accuracy, bceWithLogit, cloneMlp, sigmoid } from "./mlp";

export interface CircuitTrainingConfig {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** The crossbar every layer runs on. */
  readonly layer: CrossbarLayerConfig;
}

export interface CircuitTrainingResult {
  readonly net: Mlp;
  /** Mean training loss per epoch (on the circuit). */
  readonly lossCurve: number[];
}

function checkConfig(c: CircuitTrainingConfig): void {
  if (!Number.isInteger(c.epochs) || c.epochs < 0) throw new RangeError(`epochs must be an integer >= 0, got ${c.epochs}`);
  if (!Number.isInteger(c.batchSize) || c.batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${c.batchSize}`);
  if (!(c.learningRate > 0 && Number.isFinite(c.learningRate))) throw new RangeError(`learningRate must be a finite number > 0, got ${c.learningRate}`);
}

/** Logits of the network on the circuit for points x [n][features], and the layers' forward passes. */
export function circuitForward(net: Mlp, x: readonly (readonly number[])[], layer: CrossbarLayerConfig): { logits: Float64Array; layers: Array<{ layer: CrossbarDenseLayer; f: LayerForward; out: Float64Array }> } {
  const L = net.sizes.length - 1, B = x.length;
  let a = Float64Array.from(x.flat());
  const layers = [];
  for (let l = 0; l < L; l++) {
    const nIn = net.sizes[l], nOut = net.sizes[l + 1];
    const cl = new CrossbarDenseLayer(withBiasRow(net.params[2 * l], net.params[2 * l + 1], nOut, nIn), nIn, nOut, layer);
    const f = cl.forward(a, B);
    const out = l < L - 1 ? Float64Array.from(f.y, sigmoid) : f.y;
    layers.push({ layer: cl, f, out });
    a = out;
  }
  return { logits: a, layers };
}

/** Mean binary cross-entropy on the circuit over the points `idx`, and its gradients per parameter (mlp layout). */
export function circuitLossAndGrads(net: Mlp, data: Dataset, idx: ArrayLike<number>, layer: CrossbarLayerConfig): { loss: number; grads: Float64Array[] } {
  const B = idx.length;
  const x = Array.from(idx, (j) => data.x[j]), t = Array.from(idx, (j) => data.y[j]);
  const { logits, layers } = circuitForward(net, x, layer);
  let loss = 0;
  let d = new Float64Array(B);
  for (let k = 0; k < B; k++) {
    const z = logits[k];
    loss += bceWithLogit(z, t[k]);
    d[k] = (sigmoid(z) - t[k]) / B;
  }
  const grads = net.params.map((p) => new Float64Array(p.length));
  for (let l = layers.length - 1; l >= 0; l--) {
    const nIn = net.sizes[l], nOut = net.sizes[l + 1];
    const { layer: cl, f } = layers[l];
    const b = cl.backward(f, d);
    const gW = grads[2 * l], gb = grads[2 * l + 1];
    for (let o = 0; o < nOut; o++) {
      gb[o] = b.dWeights[nIn * nOut + o];
      for (let i = 0; i < nIn; i++) gW[o * nIn + i] = b.dWeights[i * nOut + o];
    }
    if (l > 0) {
      const prev = layers[l - 1].out;
      d = Float64Array.from(b.dInputs, (g, q) => g * prev[q] * (1 - prev[q]));
    }
  }
  return { loss: loss / B, grads };
}

/** Train (or fine-tune, starting from `net`) through the circuit with Adam; returns a new network. */
export function trainOnCircuit(net: Mlp, data: Dataset, cfg: CircuitTrainingConfig, rng: Rng, opts: { onEpoch?: (epoch: number, loss: number) => void } = {}): CircuitTrainingResult {
  checkConfig(cfg);
  const out = cloneMlp(net);
  const adam = new Adam(out.params, cfg.learningRate);
  const n = data.y.length, all = Array.from({ length: n }, (_, i) => i);
  const lossCurve: number[] = [];
  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    const order = rng.shuffle(all);
    let sum = 0, batches = 0;
    for (let s = 0; s < n; s += cfg.batchSize) {
      const { loss, grads } = circuitLossAndGrads(out, data, order.slice(s, s + cfg.batchSize), cfg.layer);
      adam.step(out.params, grads);
      sum += loss;
      batches++;
    }
    lossCurve.push(sum / batches);
    opts.onEpoch?.(epoch, sum / batches);
  }
  return { net: out, lossCurve };
}

/** Share of points classified correctly on the circuit, and the mean power per inference (W, all layers) with its parts. */
export function evaluateOnCircuit(net: Mlp, data: Dataset, layer: CrossbarLayerConfig): { accuracy: number; sourcesWatt: number; devicesWatt: number; wiresWatt: number; sourceResistorsWatt: number } {
  const { logits, layers } = circuitForward(net, data.x, layer);
  const power = { sourcesWatt: 0, devicesWatt: 0, wiresWatt: 0, sourceResistorsWatt: 0 };
  for (const { layer: cl, f } of layers) {
    const p = cl.power(f);
    for (const k of Object.keys(power) as (keyof typeof power)[]) power[k] += p[k].reduce((a, b) => a + b, 0) / f.batch;
  }
  return { accuracy: accuracy(logits, data.y), ...power };
}
