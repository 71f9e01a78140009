/**
 * Drolet et al. 2023: regular vs hardware-aware training of a 2-8-1 network on two moons, judged
 * by Monte Carlo transfers onto simulated TiO2 crossbars (spec drolet-2023 §6).
 */
import type { Rng } from "../runtime/random";
import { rng as makeRng } from "../runtime/random";
import type { Dataset, Splits } from "../data/moons";
import { droletMoons } from "../data/moons";
import type { TiO2DeviceConfig } from "../devices/tio2";
import { DROLET_2023_TIO2, withoutSources } from "../devices/tio2";
import { transferNetwork } from "../tile/transfer";
import { accuracy, asParamTensors, createMlp, logits, Mlp } from "../training/mlp";
import { cellParam, GridExperiment, registerExperiment } from "../grid/registry";
import {
  DROLET_REGULAR_TRAINING,
  droletAwareTraining,
  TrainConfig,
  TrainResult,
  trainMlp,
} from "../training/hardware-aware";

/** Paper headline: share of the 200 test points classified correctly in ≥ 95 % of transfers. */
export const DROLET_PAPER_SHARE = Object.freeze({ aware: 0.795, regular: 0.185 });

/** Accuracy bins of the range table, [low, high). */
export const RANGE_BINS: ReadonlyArray<readonly [number, number]> = [
  [0.95, 1.01],
  [0.9, 0.95],
  [0.8, 0.9],
  [0.7, 0.8],
  [0.6, 0.7],
  [0.5, 0.6],
  [0, 0.5],
];

export interface TransferEvaluation {
  /** Per test point: share of transfers that classify it correctly. */
  readonly perPoint: Float64Array;
  /** Mean accuracy over transfers. */
  readonly meanTransferAccuracy: number;
  readonly transfers: number;
  /** Share of transfers with at least one failed device. */
  readonly transfersWithFailure: number;
}

/** T independent transfers of the network, each applied to every test point. */
export function evaluateTransfers(
  net: Mlp,
  test: Dataset,
  device: TiO2DeviceConfig,
  transfers: number,
  rng: Rng,
): TransferEvaluation {
  if (!Number.isInteger(transfers) || transfers < 1)
    throw new RangeError(`transfers must be a positive integer, got ${transfers}`);
  const correct = new Float64Array(test.x.length);
  let accSum = 0,
    withFail = 0;
  for (let t = 0; t < transfers; t++) {
    const tr = transferNetwork(asParamTensors(net), device, rng);
    if (tr.some((x) => x.failed.some((f) => f === 1))) withFail++;
    const z = logits(
      net.sizes,
      tr.map((x) => x.values),
      test.x,
    );
    let c = 0;
    for (let j = 0; j < z.length; j++) {
      if ((z[j] > 0 ? 1 : 0) === test.y[j]) {
        correct[j]++;
        c++;
      }
    }
    accSum += c / z.length;
  }
  return {
    perPoint: correct.map((c) => c / transfers),
    meanTransferAccuracy: accSum / transfers,
    transfers,
    transfersWithFailure: withFail / transfers,
  };
}

/** Share of points whose per-point accuracy is ≥ threshold. */
export function shareAtLeast(perPoint: ArrayLike<number>, threshold = 0.95): number {
  let c = 0;
  for (let i = 0; i < perPoint.length; i++) if (perPoint[i] >= threshold - 1e-12) c++;
  return c / perPoint.length;
}

export interface RangeRow {
  readonly label: string;
  readonly low: number;
  readonly high: number;
  readonly count: number;
  readonly share: number;
}

/** Counts of test points per accuracy bin (spec §6.1 range table). */
export function rangeTable(perPoint: ArrayLike<number>): RangeRow[] {
  return RANGE_BINS.map(([low, high]) => {
    let count = 0;
    for (let i = 0; i < perPoint.length; i++) if (perPoint[i] >= low - 1e-12 && perPoint[i] < high - 1e-12) count++;
    const label = high > 1 ? `≥ ${Math.round(low * 100)} %` : `${Math.round(low * 100)}–${Math.round(high * 100)} %`;
    return { label, low, high, count, share: count / perPoint.length };
  });
}

/** Empirical CDF of per-point accuracy: share of points with accuracy ≤ x, at sorted x. */
export function accuracyCdf(perPoint: ArrayLike<number>): { x: number[]; y: number[] } {
  const s = Array.from(perPoint).sort((a, b) => a - b);
  return { x: s, y: s.map((_, i) => (i + 1) / s.length) };
}

export interface UncertaintyMap {
  readonly axis: number[];
  /** [row = y][col = x] std of the sigmoid output over transfers. */
  readonly std: number[][];
  readonly mean: number[][];
}

/** Std (and mean) of the sigmoid output over T transfers on a grid×grid lattice of [lo, hi]². */
export function uncertaintyMap(
  net: Mlp,
  device: TiO2DeviceConfig,
  transfers: number,
  grid: number,
  rng: Rng,
  range: readonly [number, number] = [0, 1],
): UncertaintyMap {
  if (!Number.isInteger(grid) || grid < 2) throw new RangeError(`grid must be an integer >= 2, got ${grid}`);
  const axis = Array.from({ length: grid }, (_, i) => range[0] + ((range[1] - range[0]) * i) / (grid - 1));
  const pts: number[][] = [];
  for (const yv of axis) for (const xv of axis) pts.push([xv, yv]);
  const s1 = new Float64Array(pts.length),
    s2 = new Float64Array(pts.length);
  for (let t = 0; t < transfers; t++) {
    const tr = transferNetwork(asParamTensors(net), device, rng);
    const z = logits(
      net.sizes,
      tr.map((x) => x.values),
      pts,
    );
    for (let i = 0; i < z.length; i++) {
      const p = 1 / (1 + Math.exp(-z[i]));
      s1[i] += p;
      s2[i] += p * p;
    }
  }
  const std: number[][] = [],
    mean: number[][] = [];
  for (let r = 0; r < grid; r++) {
    std.push([]);
    mean.push([]);
    for (let c = 0; c < grid; c++) {
      const i = r * grid + c,
        m = s1[i] / transfers;
      mean[r].push(m);
      std[r].push(Math.sqrt(Math.max(0, s2[i] / transfers - m * m)));
    }
  }
  return { axis, std, mean };
}

export interface DroletRunConfig {
  readonly seed: number;
  readonly epochs: number;
  readonly transfers: number;
  readonly split: "paper" | "clean" | "stored";
  /** Device model used for evaluation (and, unless overridden, for hardware-aware training). */
  readonly device: TiO2DeviceConfig;
  /** Training recipe; defaults to the paper's regular / hardware-aware configs. */
  readonly training?: TrainConfig;
  readonly kind: "regular" | "aware";
}

export interface DroletRun {
  readonly config: DroletRunConfig;
  readonly train: TrainResult;
  readonly cleanTestAccuracy: number;
  readonly evaluation: TransferEvaluation;
  readonly share95: number;
  readonly maxAbsWeight: number[];
}

/** Default run settings: the paper's protocol (10 000 epochs, 1000 transfers, stored-like paper split). */
export function droletRunConfig(
  kind: "regular" | "aware",
  change: Partial<Omit<DroletRunConfig, "kind">> = {},
): DroletRunConfig {
  return { seed: 0, epochs: 10000, transfers: 1000, split: "paper", device: DROLET_2023_TIO2, kind, ...change };
}

/** The data for a seed (the split is seeded separately from training). */
export function droletData(split: DroletRunConfig["split"], seed: number): Splits {
  return droletMoons(split, makeRng(`moons/${split}/${seed}`));
}

/** Train one network (regular or hardware-aware) and evaluate it over T transfers. */
/**
 * Train the run's 2-8-1 network (its seed names the generator: the same network wherever it is
 * trained). Returns it with the generator, from which `runDrolet` then draws its transfers.
 */
export function trainDroletNetwork(
  cfg: DroletRunConfig,
  data: Splits,
  opts: { test?: Dataset } = {},
): { net: Mlp; train: TrainResult; rng: Rng } {
  const base = cfg.training ?? (cfg.kind === "aware" ? droletAwareTraining(cfg.device) : DROLET_REGULAR_TRAINING);
  const training: TrainConfig = { ...base, epochs: cfg.epochs, logEvery: Math.max(1, Math.round(cfg.epochs / 50)) };
  const r = makeRng(`drolet/${cfg.kind}/${cfg.seed}`);
  const net = createMlp([2, 8, 1], r.fork("init"));
  const train = trainMlp(net, data.train, training, r.fork("train"), opts);
  return { net, train, rng: r };
}

export function runDrolet(
  cfg: DroletRunConfig,
  data: Splits = droletData(cfg.split, cfg.seed),
  opts: { onLog?: (s: string) => void } = {},
): DroletRun {
  const { net, train, rng: r } = trainDroletNetwork(cfg, data, { test: data.test });
  const evaluation = evaluateTransfers(net, data.test, cfg.device, cfg.transfers, r.fork("eval"));
  const share95 = shareAtLeast(evaluation.perPoint);
  opts.onLog?.(
    `${cfg.kind} seed ${cfg.seed}: ${cfg.epochs} epochs in ${train.seconds.toFixed(1)} s, clean test acc ${accuracy(logits(net.sizes, net.params, data.test.x), data.test.y).toFixed(3)}, share ≥95 % ${(100 * share95).toFixed(1)} %`,
  );
  return {
    config: cfg,
    train,
    cleanTestAccuracy: accuracy(logits(net.sizes, net.params, data.test.x), data.test.y),
    evaluation,
    share95,
    maxAbsWeight: [0, 2].map((i) => Math.max(...Array.from(net.params[i], Math.abs))),
  };
}

export { meanSd } from "../runtime/stats";

/**
 * Ablations of the hardware-aware recipe (not in the paper): each variability source removed from
 * the training-time device model, and each technique switched off. Evaluation always uses the full model.
 */
export function droletAblations(device: TiO2DeviceConfig): Array<{ name: string; training: TrainConfig }> {
  const full = droletAwareTraining(device);
  const ha = full.hardwareAware!;
  const withHa = (name: string, change: Partial<typeof ha>, l2 = full.l2) => ({
    name,
    training: { ...full, l2, hardwareAware: { ...ha, ...change } },
  });
  return [
    { name: "full recipe", training: full },
    withHa("train without tuning imprecision", { device: withoutSources(device, "tuning") }),
    withHa("train without biasing drift", { device: withoutSources(device, "drift") }),
    withHa("train without stuck devices (so no freezing)", { device: withoutSources(device, "failures") }),
    withHa("no noise injection (freezing + L2 only)", { noiseInjection: false }),
    withHa("no freezing of failed devices", { freezeFailed: false }),
    withHa("no L2 regularisation", {}, 0),
    withHa("with the KL/ELBO term", { klTerm: true }),
  ];
}

/** The grid experiment "drolet-transfer", registered when this module loads. */
export const droletTransferGrid: GridExperiment = registerExperiment({
  module: __filename,
  name: "drolet-transfer",
  version: "1",
  description:
    "Drolet et al. 2023: train a 2-8-1 network (regular or hardware-aware) on half moons, transfer it many times onto TiO2 crossbars; share of test points classified correctly in ≥ 95 % of transfers.",
  parameters: { training: "regular | aware", epochs: "training epochs", transfers: "simulated transfers" },
  defaultGrid: (mode) => ({
    experiment: "drolet-transfer",
    mode,
    axes: { training: ["aware", "regular"] },
    seeds: mode === "quick" ? [0, 1, 2] : [0, 1, 2, 3, 4],
    fixed: mode === "quick" ? { epochs: 2500, transfers: 300 } : { epochs: 10000, transfers: 1000 },
  }),
  async run(cell, ctx) {
    const kind = cellParam<string>(cell, "training", "string");
    if (kind !== "aware" && kind !== "regular")
      throw new Error(`drolet-transfer: training must be "aware" or "regular", got "${kind}"`);
    const r = runDrolet(
      droletRunConfig(kind, {
        seed: cell.seed,
        epochs: cellParam<number>(cell, "epochs", "number"),
        transfers: cellParam<number>(cell, "transfers", "number"),
      }),
      undefined,
      { onLog: ctx.log },
    );
    return { metrics: { share95: r.share95, cleanTestAccuracy: r.cleanTestAccuracy } };
  },
});
