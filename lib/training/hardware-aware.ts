/**
 * Regular and hardware-aware training of a small dense network (Drolet et al. 2023, spec §4–§5):
 * - noise injection by the reparametrisation trick: the forward pass uses the transferred weights
 *   w̃ = w + stopgrad(w̃ − w), so the gradient reaches the clean weight;
 * - dropout-like freezing: parameters whose devices failed in that step keep their pre-step value;
 * - L2 regularisation λ (PyTorch-style coupled weight decay) and the optional KL/ELBO term.
 * A fresh transfer is sampled for every mini-batch step.
 */
import type { Rng } from "../runtime/random";
import type { Dataset } from "../data/moons";
import type { TiO2DeviceConfig } from "../devices/tio2";
import { transferNetwork } from "../tile/transfer";
import { accuracy, Adam, asParamTensors, logits, lossAndGrads, Mlp, paramShapes } from "./mlp";

export interface HardwareAwareOptions {
  /** Device model sampled in every training step. */
  readonly device: TiO2DeviceConfig;
  /** Forward pass with transferred weights (reparametrisation trick). */
  readonly noiseInjection: boolean;
  /** Restore parameters whose devices failed in the step. */
  readonly freezeFailed: boolean;
  /** Add the KL(N(w̃, σ²) ‖ N(0, 1)) term with β = 1/N_train (off in the paper's defaults). */
  readonly klTerm: boolean;
}

export interface TrainConfig {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** Coupled L2 weight decay λ (gradient += λ·w on every parameter). */
  readonly l2: number;
  /** null: regular training. */
  readonly hardwareAware: HardwareAwareOptions | null;
  /** Record a curve point every this many epochs. */
  readonly logEvery: number;
}

/** Regular training as in the paper's code: Adam(0.1), batch 256, no decay, no noise. */
export const DROLET_REGULAR_TRAINING: TrainConfig = Object.freeze({
  epochs: 10000,
  batchSize: 256,
  learningRate: 0.1,
  l2: 0,
  hardwareAware: null,
  logEvery: 100,
});

/** Hardware-aware training as in the paper's code: + transfer per step, freezing, λ = 1e-4. */
export function droletAwareTraining(device: TiO2DeviceConfig): TrainConfig {
  return Object.freeze({
    ...DROLET_REGULAR_TRAINING,
    l2: 1e-4,
    hardwareAware: Object.freeze({ device, noiseInjection: true, freezeFailed: true, klTerm: false }),
  });
}

export interface CurvePoint {
  readonly epoch: number;
  readonly loss: number;
  readonly trainAccuracy: number;
  readonly testAccuracy?: number;
}

export interface TrainResult {
  readonly net: Mlp;
  readonly curve: CurvePoint[];
  readonly seconds: number;
  /** Share of parameter updates that were frozen because a device failed. */
  readonly frozenShare: number;
}

function checkConfig(c: TrainConfig): void {
  const posInt = (v: number, k: string) => {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${k} must be a positive integer, got ${v}`);
  };
  posInt(c.epochs, "epochs");
  posInt(c.batchSize, "batchSize");
  posInt(c.logEvery, "logEvery");
  if (!(c.learningRate > 0)) throw new RangeError(`learningRate must be > 0, got ${c.learningRate}`);
  if (!(c.l2 >= 0)) throw new RangeError(`l2 must be >= 0, got ${c.l2}`);
}

/** Train `net` in place on `data`; returns the curve (loss per epoch mean, clean accuracies). */
export function trainMlp(
  net: Mlp,
  data: Dataset,
  cfg: TrainConfig,
  rng: Rng,
  opts: { test?: Dataset; onLog?: (p: CurvePoint) => void } = {},
): TrainResult {
  checkConfig(cfg);
  if (data.x.length !== data.y.length || data.x.length === 0)
    throw new RangeError(`training data: ${data.x.length} points and ${data.y.length} labels`);
  const t0 = Date.now();
  const { sizes, params } = net;
  const shapes = paramShapes(sizes);
  const adam = new Adam(params, cfg.learningRate);
  const ha = cfg.hardwareAware;
  const n = data.x.length;
  const beta = 1 / n;
  const curve: CurvePoint[] = [];
  let frozen = 0,
    updates = 0;
  const prev = params.map((p) => new Float64Array(p.length));
  const order = Array.from({ length: n }, (_, i) => i);
  for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
    const perm = rng.shuffle(order);
    let lossSum = 0,
      batches = 0;
    for (let s = 0; s < n; s += cfg.batchSize) {
      const idx = perm.slice(s, s + cfg.batchSize);
      let used: readonly Float64Array[] = params;
      let transfers: ReturnType<typeof transferNetwork> | null = null;
      if (ha && (ha.noiseInjection || ha.freezeFailed || ha.klTerm)) {
        transfers = transferNetwork(asParamTensors(net), ha.device, rng, { withSigma: ha.klTerm });
        if (ha.noiseInjection) used = transfers.map((t) => t.values);
      }
      const { loss, grads } = lossAndGrads(sizes, used, data.x, data.y, idx);
      let total = loss;
      for (let p = 0; p < params.length; p++) {
        const w = params[p],
          g = grads[p];
        if (cfg.l2 > 0) {
          for (let i = 0; i < w.length; i++) {
            g[i] += cfg.l2 * w[i];
            total += 0.5 * cfg.l2 * w[i] * w[i];
          }
        }
        if (ha?.klTerm && transfers && transfers[p].scheme !== "exact") {
          const wt = transfers[p].values,
            sig = transfers[p].sigma!;
          const rows = shapes[p].length === 2 ? shapes[p][0] : 1;
          for (let i = 0; i < w.length; i++) {
            g[i] += (beta * wt[i]) / rows;
            const s2 = Math.max(sig[i] * sig[i], 1e-24);
            total += (beta * -0.5 * (1 + Math.log(s2) - wt[i] * wt[i] - s2)) / rows;
          }
        }
      }
      if (ha?.freezeFailed && transfers) for (let p = 0; p < params.length; p++) prev[p].set(params[p]);
      adam.step(params, grads);
      if (ha?.freezeFailed && transfers) {
        for (let p = 0; p < params.length; p++) {
          const f = transfers[p].failed;
          for (let i = 0; i < f.length; i++) {
            updates++;
            if (f[i]) {
              params[p][i] = prev[p][i];
              frozen++;
            }
          }
        }
      }
      lossSum += total;
      batches++;
    }
    if (epoch % cfg.logEvery === 0 || epoch === cfg.epochs) {
      const pt: CurvePoint = {
        epoch,
        loss: lossSum / batches,
        trainAccuracy: accuracy(logits(sizes, params, data.x), data.y),
        ...(opts.test ? { testAccuracy: accuracy(logits(sizes, params, opts.test.x), opts.test.y) } : {}),
      };
      curve.push(pt);
      opts.onLog?.(pt);
    }
  }
  return { net, curve, seconds: (Date.now() - t0) / 1000, frozenShare: updates ? frozen / updates : 0 };
}
