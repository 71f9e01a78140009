/**
 * A memristive multilayer perceptron (sigmoid hidden layers, softmax output; Joksas et al. 2022 MNIST
 * network 784-25-10), its training (SGD, L1, standard or memristive validation checkpoints) and the
 * inference protocol (repeats, medians, power, energy efficiency).
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../runtime/random";
import { stagePeriphery } from "./joksas-periphery";
import { rng as makeRng } from "../runtime/random";
import type { DeviceSetup } from "../devices/joksas";
import type { ImageSet } from "../data/mnist";
import { memristiveForward, PairRule, LayerTrace } from "./memristive";
import { FusedMlp } from "./fused-mlp";
import type { Mlp } from "./mlp";

export type WeightImplementation = { readonly kind: "standard"; readonly rule: PairRule } | { readonly kind: "double" };

/**
 * How training and evaluation run: "fused" (default), the WebAssembly SIMD engine of fused-mlp.ts;
 * "tfjs", the tfjs layers of memristive.ts (the reference). `forward` and traces are always tfjs.
 */
export type MlpEngine = "fused" | "tfjs";

export interface MemristiveMlpSpec {
  readonly sizes: readonly number[];
  readonly weights: WeightImplementation;
  /** Training and evaluation engine (default "fused"). */
  readonly engine?: MlpEngine;
}

/**
 * What training, evaluation and inference need of a network whose weight layers are crossbars: the
 * MLP below, or a network with a digital front end (`MemristiveCnn`).
 */
export interface MemristiveNetwork {
  /** The setup the network was trained on (its window maps double weights at an ideal stage). */
  trainingSetup: DeviceSetup | null;
  /** Every trainable tensor. */
  variables(): tf.Variable[];
  /** The tensors of the crossbar layers (what L1 regularises). */
  crossbarVariables(): tf.Variable[];
  /** Synapses on crossbars, bias included (for η). */
  synapses(): number;
  clipNonNegative(): void;
  snapshot(): Float32Array[];
  restore(values: readonly Float32Array[]): void;
  dispose(): void;
  forward(
    x: tf.Tensor2D,
    stage: DeviceSetup | null,
    rng: Rng,
    opts?: { power?: boolean; trace?: (layer: number, t: LayerTrace) => void },
  ): { probs: tf.Tensor2D; power: tf.Tensor1D | null };
}

/** Copies of the values of `vars` (a checkpoint). */
export function snapshotVariables(vars: readonly tf.Variable[]): Float32Array[] {
  return vars.map((v) => v.dataSync().slice() as Float32Array);
}

/** Assign a checkpoint of `snapshotVariables` back; the tensor count must match. */
export function restoreVariables(vars: readonly tf.Variable[], values: readonly Float32Array[]): void {
  if (values.length !== vars.length)
    throw new RangeError(`snapshot has ${values.length} tensors, the network ${vars.length}`);
  vars.forEach((v, i) => v.assign(tf.tensor(values[i], v.shape)));
}

type LayerVars =
  | { w: tf.Variable; b: tf.Variable }
  | { wPlus: tf.Variable; wMinus: tf.Variable; bPlus: tf.Variable; bMinus: tf.Variable };

export class MemristiveMlp implements MemristiveNetwork {
  readonly layers: LayerVars[] = [];
  /** The setup the network was trained on (its window maps double weights at an ideal stage). */
  trainingSetup: DeviceSetup | null = null;

  constructor(
    readonly spec: MemristiveMlpSpec,
    rng: Rng,
  ) {
    const s = spec.sizes;
    if (spec.engine !== undefined && spec.engine !== "fused" && spec.engine !== "tfjs")
      throw new Error(`unknown engine "${spec.engine as string}": use "fused" or "tfjs"`);
    if (s.length < 2 || s.some((n) => !Number.isInteger(n) || n < 1))
      throw new RangeError(`layer sizes must be >= 2 positive integers, got [${s.join(", ")}]`);
    if (spec.weights.kind !== "standard" && spec.weights.kind !== "double")
      throw new Error(`unknown weight implementation "${(spec.weights as { kind: string }).kind}"`);
    for (let l = 1; l < s.length; l++) {
      const nIn = s[l - 1],
        nOut = s[l],
        std = 1 / Math.sqrt(nIn);
      if (spec.weights.kind === "standard") {
        this.layers.push({
          w: tf.variable(tf.randomNormal([nIn, nOut], 0, std, "float32", rng.tfSeed())),
          b: tf.variable(tf.zeros([nOut])),
        });
      } else {
        this.layers.push({
          wPlus: tf.variable(tf.randomNormal([nIn, nOut], 0.5, std, "float32", rng.tfSeed())),
          wMinus: tf.variable(tf.randomNormal([nIn, nOut], 0.5, std, "float32", rng.tfSeed())),
          bPlus: tf.variable(tf.fill([nOut], 0.5)),
          bMinus: tf.variable(tf.fill([nOut], 0.5)),
        });
      }
    }
    // N(0.5, 1/√n_in) can be negative for small layers: apply the non-negativity constraint from the start
    this.clipNonNegative();
  }

  variables(): tf.Variable[] {
    return this.layers.flatMap((l) => ("w" in l ? [l.w, l.b] : [l.wPlus, l.wMinus, l.bPlus, l.bMinus]));
  }

  crossbarVariables(): tf.Variable[] {
    return this.variables();
  }

  /** Synaptic weights per layer, bias included: Σ (n_in + 1)·n_out. */
  synapses(): number {
    let n = 0;
    for (let l = 1; l < this.spec.sizes.length; l++) n += (this.spec.sizes[l - 1] + 1) * this.spec.sizes[l];
    return n;
  }

  /** Double weights must stay non-negative: clip after every optimiser step. */
  clipNonNegative(): void {
    if (this.spec.weights.kind !== "double") return;
    tf.tidy(() => this.variables().forEach((v) => v.assign(tf.relu(v))));
  }

  snapshot(): Float32Array[] {
    return snapshotVariables(this.variables());
  }

  restore(values: readonly Float32Array[]): void {
    restoreVariables(this.variables(), values);
  }

  dispose(): void {
    this.variables().forEach((v) => v.dispose());
    this.evaluator = null;
  }

  /** The engine that trains and evaluates this network. */
  get engine(): MlpEngine {
    return this.spec.engine ?? "fused";
  }

  /** A new fused engine holding this network's current weights, for batches of up to `maxBatch`. */
  fused(maxBatch: number): FusedMlp {
    const f = new FusedMlp(this.spec.sizes, this.spec.weights, maxBatch);
    f.importParams(this.snapshot());
    return f;
  }

  private evaluator: FusedMlp | null = null;

  /** The fused engine that evaluation reuses (one WebAssembly memory per network), loaded with the current weights. */
  fusedForEvaluation(maxBatch: number): FusedMlp {
    if (!this.evaluator || this.evaluator.maxBatch < maxBatch)
      this.evaluator = new FusedMlp(this.spec.sizes, this.spec.weights, maxBatch);
    this.evaluator.importParams(this.snapshot());
    return this.evaluator;
  }

  /**
   * Class probabilities [batch, classes] and power per example [batch] (W, summed over layers; null
   * for a software stage). `stage` null or the ideal setup D0: standard weights run as plain dense
   * layers; double weights on ideal ohmic crossbars with the training window (spec §4.6).
   * `inputGradient`: whether x itself depends on trainable variables (a digital front end, as in the
   * CNN), so that gradients must flow through the first crossbar to it; false for pixels (default).
   */
  forward(
    x: tf.Tensor2D,
    stage: DeviceSetup | null,
    rng: Rng,
    opts: { power?: boolean; trace?: (layer: number, t: LayerTrace) => void; inputGradient?: boolean } = {},
  ): { probs: tf.Tensor2D; power: tf.Tensor1D | null } {
    const ideal = !stage || stage.gOffSiemens === null;
    stagePeriphery(stage); // refuses converters on the ideal (digital) stage
    let a: tf.Tensor2D = x;
    let power: tf.Tensor1D | null = null;
    const L = this.layers.length;
    this.layers.forEach((layer, l) => {
      let z: tf.Tensor2D;
      if ("w" in layer && ideal) {
        z = tf.add(tf.matMul(a, layer.w as tf.Tensor2D), layer.b) as tf.Tensor2D;
      } else {
        let setup = stage!;
        if (ideal) {
          const t = this.trainingSetup;
          if (!t || t.gOffSiemens === null)
            throw new Error(
              "a double-weights network needs its training setup's conductance window to run an ideal stage",
            );
          setup = { ...t, id: "D0", name: "Ideal", disturbance: null, currentModel: null };
        }
        const weights =
          "w" in layer
            ? {
                kind: "standard" as const,
                w: layer.w as tf.Tensor2D,
                b: layer.b as tf.Tensor1D,
                rule: (this.spec.weights as { rule: PairRule }).rule,
              }
            : {
                kind: "double" as const,
                wPlus: layer.wPlus as tf.Tensor2D,
                wMinus: layer.wMinus as tf.Tensor2D,
                bPlus: layer.bPlus as tf.Tensor1D,
                bMinus: layer.bMinus as tf.Tensor1D,
              };
        const trace = opts.trace;
        const r = memristiveForward(a, weights, setup, rng, {
          power: opts.power,
          inputGradient: l > 0 || (opts.inputGradient ?? false),
          trace: trace ? (t) => trace(l, t) : undefined,
        });
        z = r.y;
        if (r.power) power = power ? (tf.add(power, r.power) as tf.Tensor1D) : r.power;
      }
      a = l < L - 1 ? tf.sigmoid(z) : tf.softmax(z);
    });
    return { probs: a, power };
  }
}

/** Sparse categorical cross-entropy on probabilities clipped to [1e-7, 1 − 1e-7] (Keras), batch mean. */
export function crossEntropy(probs: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const p = tf.clipByValue(probs, 1e-7, 1 - 1e-7);
  const picked = tf.sum(tf.mul(p, tf.oneHot(labels, probs.shape[1])), 1);
  return tf.neg(tf.mean(tf.log(picked))) as tf.Scalar;
}

export interface MemristiveTrainConfig {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** L1 strength γ: γ·Σ|θ| over every parameter tensor of the memristive layers (0 = off). */
  readonly l1: number;
  /** Training stage (D0 ideal or a nonideal setup). */
  readonly setup: DeviceSetup;
  /** "standard": validation once per epoch; "memristive": every `validateEvery` epochs (and epoch 1), `validationRepeats` passes under the setup, best median kept. */
  readonly checkpoint: "standard" | "memristive";
  readonly validateEvery: number;
  readonly validationRepeats: number;
}

/** The paper's protocol (spec §5.7–5.8). */
export function joksasTraining(setup: DeviceSetup, change: Partial<MemristiveTrainConfig> = {}): MemristiveTrainConfig {
  const ideal = setup.gOffSiemens === null;
  return {
    epochs: 1000,
    batchSize: 64,
    learningRate: 0.01,
    l1: 0,
    setup,
    checkpoint: ideal ? "standard" : "memristive",
    validateEvery: 20,
    validationRepeats: 20,
    ...change,
  };
}

export interface EpochPoint {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly trainError: number;
}

export interface Checkpoint {
  readonly epoch: number;
  readonly validationErrors: readonly number[];
  readonly medianValidationError: number;
  readonly saved: boolean;
}

/** Test-set errors under one inference setup at a checkpoint epoch (training-curve figures; not used for selection). */
export interface MonitorPoint {
  readonly epoch: number;
  readonly setupId: string;
  readonly errors: readonly number[];
}

export interface MemristiveTrainResult {
  readonly curve: EpochPoint[];
  readonly checkpoints: Checkpoint[];
  readonly monitor: MonitorPoint[];
  readonly bestEpoch: number;
  readonly seconds: number;
}

/** Run `fn` inside tf.tidy and return its plain (non-tensor) result. */
function tidyValue<T>(fn: () => T): T {
  let out!: T;
  tf.tidy(() => {
    out = fn();
  });
  return out;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Batch size of evaluation (validation, test curves, inference): the paper's 100 (spec §5.4). */
const EVAL_BATCH = 100;

/** One batch's evaluation: wrong predictions, summed loss and summed power (W; null on a software stage). */
type BatchEvaluator = (
  x: Float32Array,
  labels: ArrayLike<number>,
  n: number,
  stage: DeviceSetup | null,
  rng: Rng,
) => { wrong: number; loss: number; power: number | null };

function tfjsBatches(model: MemristiveNetwork, features: number): BatchEvaluator {
  return (xs, labels, n, stage, r) =>
    tidyValue(() => {
      const x = tf.tensor2d(xs, [n, features]);
      const y = tf.tensor1d(Int32Array.from(labels), "int32");
      const { probs, power } = model.forward(x, stage, r);
      const pred = tf.argMax(probs, 1);
      return {
        wrong: tf.sum(tf.notEqual(pred, y)).dataSync()[0],
        loss: crossEntropy(probs, y).dataSync()[0] * n,
        power: power ? tf.sum(power).dataSync()[0] : null,
      };
    });
}

function fusedBatches(f: FusedMlp, trainingSetup: DeviceSetup | null): BatchEvaluator {
  return (xs, labels, n, stage, r) => {
    const { power } = f.forward(xs, n, stage, trainingSetup, r, { power: true });
    const { loss, wrong } = f.score(labels);
    return { wrong, loss: loss * n, power: power ? power.reduce((a, b) => a + b, 0) : null };
  };
}

function evaluateBatches(
  evalBatch: BatchEvaluator,
  data: ImageSet,
  stage: DeviceSetup | null,
  rng: Rng,
  opts: { batchSize?: number; randomness?: "per-batch" | "per-repeat" },
): { error: number; loss: number; powerWatt: number | null } {
  const bs = opts.batchSize ?? EVAL_BATCH;
  const seed = opts.randomness === "per-repeat" ? `${rng.seed}/${rng.int(2 ** 31)}` : null;
  let wrong = 0,
    lossSum = 0,
    powerSum = 0,
    hasPower = false;
  for (let s = 0; s < data.n; s += bs) {
    const e = Math.min(data.n, s + bs);
    const res = evalBatch(
      data.x.subarray(s * data.features, e * data.features),
      data.labels.subarray(s, e),
      e - s,
      stage,
      seed ? makeRng(seed) : rng,
    );
    wrong += res.wrong;
    lossSum += res.loss;
    if (res.power !== null) {
      powerSum += res.power;
      hasPower = true;
    }
  }
  return { error: wrong / data.n, loss: lossSum / data.n, powerWatt: hasPower ? powerSum / data.n : null };
}

/**
 * Error and mean power per example over a data set, in batches with fresh randomness per batch (or
 * per repeat), on the network's engine (a `MemristiveMlp`'s fused engine unless it asks for tfjs).
 */
export function evaluate(
  model: MemristiveNetwork,
  data: ImageSet,
  stage: DeviceSetup | null,
  rng: Rng,
  opts: { batchSize?: number; randomness?: "per-batch" | "per-repeat" } = {},
): { error: number; loss: number; powerWatt: number | null } {
  const bs = opts.batchSize ?? EVAL_BATCH;
  const evalBatch =
    model instanceof MemristiveMlp && model.engine === "fused"
      ? fusedBatches(model.fusedForEvaluation(Math.max(bs, EVAL_BATCH)), model.trainingSetup)
      : tfjsBatches(model, data.features);
  return evaluateBatches(evalBatch, data, stage, rng, opts);
}

/** What the training loop needs of an engine: one SGD step (with L1 and clipping), evaluation, checkpoints. */
interface StepEngine {
  step(x: Float32Array, labels: Int32Array, n: number, rng: Rng): { loss: number; wrong: number };
  evaluate(data: ImageSet, stage: DeviceSetup | null, rng: Rng): { error: number };
  snapshot(): Float32Array[];
  /** Leave `best` in the model and release the engine. */
  finish(best: readonly Float32Array[]): void;
}

function tfjsEngine(
  model: MemristiveNetwork,
  features: number,
  stage: DeviceSetup | null,
  cfg: MemristiveTrainConfig,
): StepEngine {
  const vars = model.variables();
  const opt = tf.train.sgd(cfg.learningRate);
  return {
    step(xs, labels, n, stepRng) {
      const out = tf.tidy(() => {
        const x = tf.tensor2d(xs, [n, features]);
        const y = tf.tensor1d(labels, "int32");
        let predWrong = 0;
        const { value, grads } = tf.variableGrads(() => {
          const { probs } = model.forward(x, stage, stepRng, { power: false });
          predWrong = tf.sum(tf.notEqual(tf.argMax(probs, 1), y)).dataSync()[0];
          let loss = crossEntropy(probs, y);
          // γ·Σ θ·sign θ: the value γ·Σ|θ| with TensorFlow's gradient sign θ (0 at 0; tfjs's abs gives −1 there)
          if (cfg.l1 > 0)
            loss = tf.add(
              loss,
              tf.mul(cfg.l1, tf.addN(model.crossbarVariables().map((v) => tf.sum(tf.mul(v, tf.sign(v)))))),
            ) as tf.Scalar;
          return loss;
        }, vars);
        const loss = value.dataSync()[0];
        if (Number.isFinite(loss)) opt.applyGradients(grads);
        return { loss, wrong: predWrong };
      });
      model.clipNonNegative();
      return out;
    },
    evaluate: (data, st, r) => evaluateBatches(tfjsBatches(model, data.features), data, st, r, {}),
    snapshot: () => model.snapshot(),
    finish(best) {
      opt.dispose();
      model.restore(best);
    },
  };
}

function fusedEngine(model: MemristiveMlp, stage: DeviceSetup | null, cfg: MemristiveTrainConfig): StepEngine {
  const f = model.fused(Math.max(cfg.batchSize, EVAL_BATCH));
  const trainingSetup = model.trainingSetup;
  const evalBatch = fusedBatches(f, trainingSetup);
  return {
    step(xs, labels, n, stepRng) {
      f.forward(xs, n, stage, trainingSetup, stepRng, { grad: true, power: false });
      const { loss, wrong } = f.score(labels);
      if (!Number.isFinite(loss)) return { loss, wrong };
      f.backward(labels);
      return { loss: loss + f.sgdStep(cfg.learningRate, cfg.l1), wrong };
    },
    evaluate: (data, st, r) => evaluateBatches(evalBatch, data, st, r, {}),
    snapshot: () => f.exportParams(),
    finish: (best) => model.restore(best),
  };
}

/** Train with SGD (plain, no momentum), L1, clipping of double weights, and checkpoints. */
export function trainMemristiveMlp(
  model: MemristiveNetwork,
  train: ImageSet,
  validation: ImageSet,
  cfg: MemristiveTrainConfig,
  rng: Rng,
  opts: {
    onLog?: (s: string) => void;
    /**
     * At the memristive-checkpoint epochs (1 and multiples of validateEvery), evaluate `data` `repeats`
     * times under each setup, drawing devices from `rng` — a generator of its own, so that watching the
     * training never changes the trained network.
     */
    monitor?: { data: ImageSet; setups: readonly DeviceSetup[]; repeats: number; rng: Rng };
    /** Data augmentation of each training batch (pixels [batch·features]), from a stream of its own. */
    augment?: (x: Float32Array, batch: number, rng: Rng) => Float32Array;
    /** Override the network's engine (a `MemristiveMlp` trains "fused" by default, any other network "tfjs"). */
    engine?: MlpEngine;
  } = {},
): MemristiveTrainResult {
  for (const [k, v] of [
    ["epochs", cfg.epochs],
    ["batchSize", cfg.batchSize],
    ["validateEvery", cfg.validateEvery],
    ["validationRepeats", cfg.validationRepeats],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${k} must be a positive integer, got ${v}`);
  }
  if (!(cfg.learningRate > 0)) throw new RangeError(`learningRate must be > 0, got ${cfg.learningRate}`);
  if (!(cfg.l1 >= 0)) throw new RangeError(`l1 must be >= 0, got ${cfg.l1}`);
  if (cfg.checkpoint !== "standard" && cfg.checkpoint !== "memristive")
    throw new Error(`unknown checkpoint "${cfg.checkpoint}": use "standard" or "memristive"`);
  const engine = opts.engine ?? (model instanceof MemristiveMlp ? model.engine : "tfjs");
  if (engine !== "fused" && engine !== "tfjs")
    throw new Error(`unknown engine "${engine as string}": use "fused" or "tfjs"`);
  if (engine === "fused" && !(model instanceof MemristiveMlp))
    throw new Error('the fused engine trains MemristiveMlp networks only; use engine "tfjs" for this network');
  if (engine === "fused" && opts.augment)
    throw new Error('the fused engine has no data augmentation; use engine "tfjs"');
  const t0 = Date.now();
  model.trainingSetup = cfg.setup.gOffSiemens === null ? model.trainingSetup : cfg.setup;
  const stage = cfg.setup.gOffSiemens === null ? null : cfg.setup;
  const eng =
    engine === "fused"
      ? fusedEngine(model as MemristiveMlp, stage, cfg)
      : tfjsEngine(model, train.features, stage, cfg);
  const curve: EpochPoint[] = [];
  const checkpoints: Checkpoint[] = [];
  const monitor: MonitorPoint[] = [];
  let best = -Infinity,
    bestEpoch = 0;
  let bestSnap = eng.snapshot();
  const order = Array.from({ length: train.n }, (_, i) => i);
  const F = train.features;
  const xb = new Float32Array(cfg.batchSize * F),
    yb = new Int32Array(cfg.batchSize);
  try {
    for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
      const perm = rng.shuffle(order);
      let lossSum = 0,
        wrong = 0;
      for (let s = 0; s < train.n; s += cfg.batchSize) {
        const n = Math.min(cfg.batchSize, train.n - s);
        for (let k = 0; k < n; k++) {
          const i = perm[s + k];
          xb.set(train.x.subarray(i * F, (i + 1) * F), k * F);
          yb[k] = train.labels[i];
        }
        const stepRng = rng.fork(`step`);
        let x = xb.subarray(0, n * F);
        if (opts.augment) x = opts.augment(x.slice(), n, rng.derive(`augment/${epoch}/${s}`));
        const r = eng.step(x, yb.subarray(0, n), n, stepRng);
        if (!Number.isFinite(r.loss))
          throw new Error(
            `training diverged at epoch ${epoch}, step ${s / cfg.batchSize + 1}: the loss is ${r.loss}; lower the learning rate (${cfg.learningRate})`,
          );
        lossSum += r.loss * n;
        wrong += r.wrong;
      }
      curve.push({ epoch, trainLoss: lossSum / train.n, trainError: wrong / train.n });
      const check =
        cfg.checkpoint === "standard" || epoch === 1 || epoch % cfg.validateEvery === 0 || epoch === cfg.epochs;
      if (check) {
        const repeats = cfg.checkpoint === "standard" ? 1 : cfg.validationRepeats;
        const errs = Array.from(
          { length: repeats },
          (_, k) => eng.evaluate(validation, stage, rng.fork(`val/${epoch}/${k}`)).error,
        );
        const acc = 1 - median(errs);
        const saved = acc > best;
        if (saved) {
          best = acc;
          bestEpoch = epoch;
          bestSnap = eng.snapshot();
        }
        checkpoints.push({ epoch, validationErrors: errs, medianValidationError: median(errs), saved });
      }
      if (opts.monitor && (epoch === 1 || epoch % cfg.validateEvery === 0 || epoch === cfg.epochs)) {
        for (const setup of opts.monitor.setups) {
          const errors = Array.from(
            { length: opts.monitor.repeats },
            (_, k) =>
              eng.evaluate(
                opts.monitor!.data,
                setup.gOffSiemens === null ? null : setup,
                opts.monitor!.rng.derive(`${epoch}/${setup.id}/${k}`),
              ).error,
          );
          monitor.push({ epoch, setupId: setup.id, errors });
        }
      }
      if (check) {
        const last = checkpoints[checkpoints.length - 1];
        const errs = last.validationErrors,
          repeats = errs.length,
          saved = last.saved;
        opts.onLog?.(
          `epoch ${epoch}/${cfg.epochs}: train loss ${(lossSum / train.n).toFixed(4)}, train error ${((100 * wrong) / train.n).toFixed(2)} %, validation error (median of ${repeats}) ${(100 * median(errs)).toFixed(2)} %${saved ? " ← saved" : ""}`,
        );
      }
    }
  } finally {
    eng.finish(bestSnap);
  }
  return { curve, checkpoints, monitor, bestEpoch, seconds: (Date.now() - t0) / 1000 };
}

export interface InferenceRepeat {
  readonly error: number;
  readonly powerWatt: number | null;
}

/** The inference protocol: `repeats` evaluations of the test set under a setup (fresh randomness per batch by default). */
export function inferenceRepeats(
  model: MemristiveNetwork,
  test: ImageSet,
  stage: DeviceSetup,
  repeats: number,
  rng: Rng,
  opts: { randomness?: "per-batch" | "per-repeat" } = {},
): InferenceRepeat[] {
  if (!Number.isInteger(repeats) || repeats < 1)
    throw new RangeError(`repeats must be a positive integer, got ${repeats}`);
  return Array.from({ length: repeats }, (_, k) => {
    const r = evaluate(model, test, stage.gOffSiemens === null ? null : stage, rng.fork(`infer/${stage.id}/${k}`), {
      randomness: opts.randomness,
    });
    return { error: r.error, powerWatt: r.powerWatt };
  });
}

/** Read time per layer (s), spec §6. */
export const T_READ_SECONDS = 50e-9;

/** η = 2·N_syn / (t_read·P) in TOPS/W. */
export function efficiencyTopsPerWatt(synapses: number, powerWatt: number, tReadSeconds = T_READ_SECONDS): number {
  if (!(powerWatt > 0)) throw new RangeError(`power must be > 0 W, got ${powerWatt}`);
  return (2 * synapses) / (tReadSeconds * powerWatt) / 1e12;
}

/**
 * A network of standard weights as a lib/training/mlp network (W [out][in], float64), for the engines
 * that take that layout (circuit-aware training on tiles): sigmoid hidden layers, the output layer's
 * values as logits (softmax over them is the class probability, as in `forward`).
 */
export function asMlp(model: MemristiveMlp): Mlp {
  if (model.spec.weights.kind !== "standard")
    throw new Error(
      `asMlp: only standard weights map to one matrix per layer; this network has ${model.spec.weights.kind} weights`,
    );
  const sizes = model.spec.sizes,
    values = model.snapshot();
  const params: Float64Array[] = [];
  for (let l = 1; l < sizes.length; l++) {
    const nIn = sizes[l - 1],
      nOut = sizes[l],
      w = values[2 * (l - 1)],
      b = values[2 * (l - 1) + 1];
    const W = new Float64Array(nIn * nOut);
    for (let i = 0; i < nIn; i++) for (let o = 0; o < nOut; o++) W[o * nIn + i] = w[i * nOut + o];
    params.push(W, Float64Array.from(b));
  }
  return { sizes: [...sizes], params };
}
