/**
 * Circuit-aware training: a sigmoid MLP (lib/training/mlp layout: parameters [W1, b1, …], W [out][in])
 * whose every layer runs on crossbar tiles solved exactly (lib/tile: line resistance, driver and
 * sensing resistance), with gradients from each tile's adjoint solve. One output unit is a binary
 * logit (binary cross-entropy, labels 0/1); several are class logits (softmax cross-entropy, labels
 * 0…classes−1). The conductance scale k_G follows max|W| at every step and is held fixed within a step.
 * When the layer config names a conductance disturbance, every call draws a fresh realisation of the
 * devices from the generator it is given (training: a new one per batch, as nonideality-aware training
 * does in Joksas et al. 2022), and gradients pass through it. A `device-time` disturbance with a
 * log-uniform read time makes this drift-aware training (a new read time per batch); a periphery
 * (DAC, ADC, noise) in the config trains with the converters in the loop (straight-through
 * gradients), and `learnPeriphery` also learns each layer's ADC range and input scale k_V through
 * the circuit's adjoint. The config is one for every layer, or one per layer.
 */
import type { Rng } from "../runtime/random";
import { CrossbarDenseLayer, CrossbarLayerConfig, LayerForward } from "../tile/layer";
import { withBiasRow } from "../tile/network";
import { applyGains } from "../tile/time";
import { Adam, Mlp, bceWithLogit, cloneMlp, sigmoid } from "./mlp";

/** Labelled points: rows [n][features] (the two-moons `Dataset`) or a flat row-major image set (`ImageSet`). */
export type LabelledData =
  | { readonly x: readonly (readonly number[])[]; readonly y: readonly number[] }
  | {
      readonly x: ArrayLike<number>;
      readonly labels: ArrayLike<number>;
      readonly n: number;
      readonly features: number;
    };

/** The crossbar of every layer: one config for all, or one per layer (first layer first). */
export type LayerConfigs = CrossbarLayerConfig | readonly CrossbarLayerConfig[];

export interface CircuitTrainingConfig {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** The crossbar every layer runs on. */
  readonly layer: LayerConfigs;
  /**
   * Learn the periphery too (Adam on the logarithm, so each stays > 0): every layer's fixed ADC
   * range (needs `adc.range.kind: "fixed"`) and/or its input scale k_V (without noise management).
   */
  readonly learnPeriphery?: {
    readonly adcRange?: boolean;
    readonly inputScale?: boolean;
    readonly learningRate?: number;
  };
}

export interface CircuitTrainingResult {
  readonly net: Mlp;
  /** Mean training loss per epoch (on the circuit). */
  readonly lossCurve: number[];
  /** Each layer's config as trained (with learned ADC ranges and input scales, if any). */
  readonly layers: readonly CrossbarLayerConfig[];
}

/** Layer l's config of `layers` configs for a network of `count` layers. */
export function layerConfigAt(c: LayerConfigs, l: number, count: number): CrossbarLayerConfig {
  if (!Array.isArray(c)) return c as CrossbarLayerConfig;
  if (c.length !== count) throw new RangeError(`${c.length} layer configs for a network of ${count} layers`);
  return c[l];
}

function checkConfig(c: CircuitTrainingConfig): void {
  if (!Number.isInteger(c.epochs) || c.epochs < 0)
    throw new RangeError(`epochs must be an integer >= 0, got ${c.epochs}`);
  if (!Number.isInteger(c.batchSize) || c.batchSize < 1)
    throw new RangeError(`batchSize must be a positive integer, got ${c.batchSize}`);
  if (!(c.learningRate > 0 && Number.isFinite(c.learningRate)))
    throw new RangeError(`learningRate must be a finite number > 0, got ${c.learningRate}`);
}

/** Number of points of a data set. */
export function pointCount(data: LabelledData): number {
  return "labels" in data ? data.n : data.y.length;
}

/** The points `idx` of a data set: inputs [B][features] (row-major) and labels. */
export function pointsOf(
  data: LabelledData,
  idx: ArrayLike<number>,
  features: number,
  classes?: number,
): { x: Float64Array; labels: Int32Array } {
  const B = idx.length,
    x = new Float64Array(B * features),
    labels = new Int32Array(B);
  if ("labels" in data && data.features !== features)
    throw new RangeError(`the data have ${data.features} features, the network expects ${features}`);
  for (let k = 0; k < B; k++) {
    const j = idx[k];
    if ("labels" in data) {
      for (let i = 0; i < features; i++) x[k * features + i] = data.x[j * features + i];
      labels[k] = checkedLabel(data.labels[j], j, classes);
    } else {
      const row = data.x[j];
      if (row.length !== features)
        throw new RangeError(`point ${j} has ${row.length} features, the network expects ${features}`);
      for (let i = 0; i < features; i++) x[k * features + i] = row[i];
      labels[k] = checkedLabel(data.y[j], j, classes);
    }
  }
  return { x, labels };
}

/** A label as stored: a whole class number (0/1 for one output), never coerced from 0.5 or NaN. */
function checkedLabel(t: number, point: number, classes?: number): number {
  const limit = classes === undefined ? Infinity : Math.max(classes, 2);
  if (!(Number.isInteger(t) && t >= 0 && t < limit))
    throw new RangeError(
      `label ${t} of point ${point} is not a class` +
        (classes === undefined
          ? " (a whole number >= 0)"
          : ` of a network with ${classes} output${classes === 1 ? " (labels 0/1)" : "s"}`),
    );
  return t;
}

/**
 * The network's layers on tiles (k_G of each from its current max|W|). A config with a disturbance
 * needs `devices`, the generator each layer's realisation is drawn from, first layer first.
 */
export function circuitLayers(net: Mlp, layers: LayerConfigs, devices?: Rng): CrossbarDenseLayer[] {
  const count = net.sizes.length - 1;
  return Array.from({ length: count }, (_, l) => {
    const nIn = net.sizes[l],
      nOut = net.sizes[l + 1],
      layer = layerConfigAt(layers, l, count);
    if (layer.disturbance && !devices)
      throw new RangeError(`circuit layers: a ${layer.disturbance.kind} disturbance needs a generator for the devices`);
    return new CrossbarDenseLayer(
      withBiasRow(net.params[2 * l], net.params[2 * l + 1], nOut, nIn),
      nIn,
      nOut,
      layer,
      layer.disturbance ? { rng: devices! } : undefined,
    );
  });
}

/** Options of a pass through a network's layers: the periphery's generator, and digital output gains per layer (drift compensation). */
export interface PassOptions {
  readonly rng?: Rng;
  readonly gains?: readonly (Float64Array | null)[];
}

/** Logits [B][outputs] on the circuit for inputs x [B][features], and each layer's forward pass and output. */
export function circuitForward(
  layers: readonly CrossbarDenseLayer[],
  x: Float64Array,
  B: number,
  opts: PassOptions = {},
): { logits: Float64Array; passes: Array<{ f: LayerForward; out: Float64Array }> } {
  let a = x;
  const passes = layers.map((cl, l) => {
    const f = cl.forward(a, B, opts.rng);
    const gain = opts.gains?.[l];
    if (gain) applyGains(f.y, gain);
    const out = l < layers.length - 1 ? Float64Array.from(f.y, sigmoid) : f.y;
    a = out;
    return { f, out };
  });
  return { logits: a, passes };
}

/** Loss of logits z [B][K] against labels, mean over the batch, and ∂loss/∂z: BCE for K = 1, softmax cross-entropy for K > 1. */
export function logitLoss(z: Float64Array, labels: Int32Array, K: number): { loss: number; dz: Float64Array } {
  const B = labels.length,
    dz = new Float64Array(B * K);
  let loss = 0;
  for (let k = 0; k < B; k++) {
    const t = labels[k];
    if (!(Number.isInteger(t) && t >= 0 && t < Math.max(K, 2)))
      throw new RangeError(
        `label ${t} of point ${k} is not a class of a network with ${K} output${K === 1 ? " (labels 0/1)" : "s"}`,
      );
    if (K === 1) {
      loss += bceWithLogit(z[k], t);
      dz[k] = (sigmoid(z[k]) - t) / B;
      continue;
    }
    let max = -Infinity,
      sum = 0;
    for (let c = 0; c < K; c++) max = Math.max(max, z[k * K + c]);
    for (let c = 0; c < K; c++) sum += Math.exp(z[k * K + c] - max);
    loss += max + Math.log(sum) - z[k * K + t];
    for (let c = 0; c < K; c++) dz[k * K + c] = (Math.exp(z[k * K + c] - max) / sum - (c === t ? 1 : 0)) / B;
  }
  return { loss: loss / B, dz };
}

/**
 * Mean loss on the circuit over the points `idx`, and its gradients per parameter (mlp layout);
 * `devices` as in `circuitLayers`, and it also draws the periphery's noise. Per layer: ∂L/∂R of its
 * ADC range (A⁻¹·loss; 0 unless fixed) and ∂L/∂k_V of its input scale.
 */
export function circuitLossAndGrads(
  net: Mlp,
  data: LabelledData,
  idx: ArrayLike<number>,
  layer: LayerConfigs,
  devices?: Rng,
): { loss: number; grads: Float64Array[]; dAdcRangeAmpere: Float64Array; dReadVoltageVolt: Float64Array } {
  const B = idx.length,
    K = net.sizes[net.sizes.length - 1];
  const { x, labels } = pointsOf(data, idx, net.sizes[0], K);
  const layers = circuitLayers(net, layer, devices);
  const { logits, passes } = circuitForward(layers, x, B, { rng: devices });
  const { loss, dz } = logitLoss(logits, labels, K);
  let d = dz;
  const grads = net.params.map((p) => new Float64Array(p.length));
  const dRange = new Float64Array(layers.length),
    dkV = new Float64Array(layers.length);
  for (let l = layers.length - 1; l >= 0; l--) {
    const nIn = net.sizes[l],
      nOut = net.sizes[l + 1];
    const b = layers[l].backward(passes[l].f, d);
    dRange[l] = b.dAdcRangeAmpere;
    dkV[l] = b.dReadVoltageVolt;
    const gW = grads[2 * l],
      gb = grads[2 * l + 1];
    for (let o = 0; o < nOut; o++) {
      gb[o] = b.dWeights[nIn * nOut + o];
      for (let i = 0; i < nIn; i++) gW[o * nIn + i] = b.dWeights[i * nOut + o];
    }
    if (l > 0) {
      const prev = passes[l - 1].out;
      d = Float64Array.from(b.dInputs, (g, q) => g * prev[q] * (1 - prev[q]));
    }
  }
  return { loss, grads, dAdcRangeAmpere: dRange, dReadVoltageVolt: dkV };
}

/** Each layer's config with the ADC range R and input scale k_V given per layer (log-parameters). */
function withPeriphery(
  configs: readonly CrossbarLayerConfig[],
  logR: Float64Array | null,
  logKV: Float64Array | null,
): CrossbarLayerConfig[] {
  return configs.map((c, l) => {
    let out = c;
    if (logR)
      out = {
        ...out,
        periphery: {
          ...out.periphery,
          adc: { ...out.periphery!.adc!, range: { kind: "fixed", rangeAmpere: Math.exp(logR[l]) } },
        },
      };
    if (logKV) out = { ...out, readVoltageVolt: Math.exp(logKV[l]) };
    return out;
  });
}

function learnedStart(
  configs: readonly CrossbarLayerConfig[],
  learn: CircuitTrainingConfig["learnPeriphery"],
): { logR: Float64Array | null; logKV: Float64Array | null } {
  if (!learn) return { logR: null, logKV: null };
  const logR = learn.adcRange
    ? Float64Array.from(configs, (c, l) => {
        const r = c.periphery?.adc?.range;
        if (r?.kind !== "fixed")
          throw new RangeError(
            `learnPeriphery.adcRange: layer ${l}'s ADC range is ${r ? `"${r.kind}"` : "absent"}; a learned range starts from a fixed one (rangeAmpere)`,
          );
        return Math.log(r.rangeAmpere);
      })
    : null;
  const logKV = learn.inputScale
    ? Float64Array.from(configs, (c, l) => {
        if (c.periphery?.dac?.noiseManagement === "abs-max")
          throw new RangeError(`learnPeriphery.inputScale: layer ${l} uses noise management, where k_V does not act`);
        return Math.log(c.readVoltageVolt);
      })
    : null;
  return { logR, logKV };
}

/**
 * Train (or fine-tune, starting from `net`) through the circuit with Adam; returns a new network.
 * `rng` shuffles the points and, under a disturbance, draws each batch's devices.
 */
export function trainOnCircuit(
  net: Mlp,
  data: LabelledData,
  cfg: CircuitTrainingConfig,
  rng: Rng,
  opts: { onEpoch?: (epoch: number, loss: number) => void } = {},
): CircuitTrainingResult {
  checkConfig(cfg);
  const out = cloneMlp(net);
  const adam = new Adam(out.params, cfg.learningRate);
  const n = pointCount(data),
    all = Array.from({ length: n }, (_, i) => i);
  if (n < 1) throw new RangeError("trainOnCircuit: the training set is empty");
  const count = net.sizes.length - 1;
  const configs = Array.from({ length: count }, (_, l) => layerConfigAt(cfg.layer, l, count));
  const learn = cfg.learnPeriphery,
    { logR, logKV } = learnedStart(configs, learn);
  const logs = [logR, logKV].filter((a): a is Float64Array => a !== null);
  const peripheryAdam = logs.length ? new Adam(logs, learn?.learningRate ?? cfg.learningRate) : null;
  const lossCurve: number[] = [];
  for (let epoch = 0; epoch < cfg.epochs; epoch++) {
    const order = rng.shuffle(all);
    let sum = 0,
      batches = 0;
    for (let s = 0; s < n; s += cfg.batchSize) {
      const layers = peripheryAdam ? withPeriphery(configs, logR, logKV) : configs;
      const { loss, grads, dAdcRangeAmpere, dReadVoltageVolt } = circuitLossAndGrads(
        out,
        data,
        order.slice(s, s + cfg.batchSize),
        layers,
        rng,
      );
      adam.step(out.params, grads);
      if (peripheryAdam) {
        // ∂L/∂ln p = p·∂L/∂p
        const g: Float64Array[] = [];
        if (logR) g.push(Float64Array.from(logR, (v, l) => Math.exp(v) * dAdcRangeAmpere[l]));
        if (logKV) g.push(Float64Array.from(logKV, (v, l) => Math.exp(v) * dReadVoltageVolt[l]));
        peripheryAdam.step(logs, g);
      }
      sum += loss;
      batches++;
    }
    lossCurve.push(sum / batches);
    opts.onEpoch?.(epoch, sum / batches);
  }
  return { net: out, lossCurve, layers: peripheryAdam ? withPeriphery(configs, logR, logKV) : configs };
}

/** Points solved together when evaluating (bounds the memory of a solve: inputs × nodes). */
export const EVALUATION_CHUNK = 64;

/** Power per inference on the circuit (W, all layers, averaged over points) and its parts. */
export interface CircuitPower {
  readonly sourcesWatt: number;
  readonly devicesWatt: number;
  readonly wiresWatt: number;
  readonly sourceResistorsWatt: number;
}

/**
 * Which points the circuit classifies correctly (class 1 when a single logit is > 0; else the largest
 * logit), and with `power: true` the mean power per inference. Under a disturbance, one realisation
 * of the devices (drawn from `devices`) serves every point.
 */
export function classifyOnCircuit(
  net: Mlp,
  data: LabelledData,
  layer: LayerConfigs,
  devices?: Rng,
  opts: { power?: boolean } & PassOptions = {},
): { correct: Uint8Array; power?: CircuitPower } {
  return classifyWithLayers(circuitLayers(net, layer, devices), data, opts);
}

/** `classifyOnCircuit` on given layers (e.g. programmed devices read at a time t), with a pass's generator and gains. */
export function classifyWithLayers(
  layers: readonly CrossbarDenseLayer[],
  data: LabelledData,
  opts: { power?: boolean } & PassOptions = {},
): { correct: Uint8Array; power?: CircuitPower } {
  const n = pointCount(data),
    K = layers[layers.length - 1].outDim,
    features = layers[0].inDim;
  if (n < 1) throw new RangeError("circuit evaluation: the data set is empty");
  const power = { sourcesWatt: 0, devicesWatt: 0, wiresWatt: 0, sourceResistorsWatt: 0 };
  const correct = new Uint8Array(n);
  for (let s = 0; s < n; s += EVALUATION_CHUNK) {
    const idx = Array.from({ length: Math.min(EVALUATION_CHUNK, n - s) }, (_, i) => s + i);
    const { x, labels } = pointsOf(data, idx, features, K);
    const { logits, passes } = circuitForward(layers, x, idx.length, opts);
    for (let k = 0; k < idx.length; k++) {
      let best = 0;
      for (let c = 1; c < K; c++) if (logits[k * K + c] > logits[k * K + best]) best = c;
      const predicted = K === 1 ? (logits[k] > 0 ? 1 : 0) : best;
      if (predicted === labels[k]) correct[s + k] = 1;
    }
    if (!opts.power) continue;
    passes.forEach(({ f }, l) => {
      const p = layers[l].power(f);
      for (const key of Object.keys(power) as (keyof typeof power)[]) power[key] += p[key].reduce((a, b) => a + b, 0);
    });
  }
  if (!opts.power) return { correct };
  for (const key of Object.keys(power) as (keyof typeof power)[]) power[key] /= n;
  return { correct, power };
}

/** Share of points classified correctly on the circuit, and the mean power per inference (see `classifyOnCircuit`). */
export function evaluateOnCircuit(
  net: Mlp,
  data: LabelledData,
  layer: CrossbarLayerConfig,
  devices?: Rng,
): { accuracy: number } & CircuitPower {
  const { correct, power } = classifyOnCircuit(net, data, layer, devices, { power: true });
  return { accuracy: correct.reduce((a, b) => a + b, 0) / correct.length, ...power! };
}

/** A network judged over many realisations of its devices on the circuit. */
export interface CircuitTransfers {
  /** Per point: the share of realisations that classify it correctly. */
  readonly perPoint: Float64Array;
  /** Accuracy averaged over realisations. */
  readonly meanAccuracy: number;
  readonly transfers: number;
}

/**
 * `transfers` independent realisations of the layer config's disturbance (each drawn from `devices`),
 * each evaluated on every point: how reliably the circuit classifies each point.
 */
export function evaluateTransfersOnCircuit(
  net: Mlp,
  data: LabelledData,
  layer: CrossbarLayerConfig,
  transfers: number,
  devices: Rng,
): CircuitTransfers {
  if (!layer.disturbance)
    throw new RangeError(
      "evaluateTransfersOnCircuit: the layer config names no disturbance, so every realisation would be the same",
    );
  if (!Number.isInteger(transfers) || transfers < 1)
    throw new RangeError(`transfers must be a positive integer, got ${transfers}`);
  const perPoint = new Float64Array(pointCount(data));
  let sum = 0;
  for (let t = 0; t < transfers; t++) {
    const { correct } = classifyOnCircuit(net, data, layer, devices);
    correct.forEach((c, j) => (perPoint[j] += c));
    sum += correct.reduce((a, b) => a + b, 0) / correct.length;
  }
  return { perPoint: perPoint.map((c) => c / transfers), meanAccuracy: sum / transfers, transfers };
}
