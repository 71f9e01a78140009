/**
 * How many converter bits, and for how long (notebook 12): trained networks on tiles with a DAC, an
 * ADC and devices that drift after programming.
 * - Networks: the Joksas et al. 784-25-10 MNIST network, standard (T0) and nonideality-aware (T10,
 *   standard min-G pairs), as notebook 11 trains them, and aware of high I–V nonlinearity with double
 *   weights (T3, T4 with L1), as notebook 02 trains them; the Drolet et al. 2-8-1 two-moons network,
 *   regular and hardware-aware.
 * - Sweeps, each alone: ADC bits for a fixed range (aihwkit's 12 output units), the "max" range and a
 *   calibrated one; DAC bits; time after programming with aihwkit's PCM-like drift, with no, global
 *   and per-column compensation.
 * - Training with the periphery in the loop (low-resolution converters, ADC ranges learned through
 *   the circuit's adjoint) and drift-aware training (a log-uniform read time per batch), both
 *   fine-tuning the standard network.
 * - The same questions on wired tiles (line resistance) for a subset.
 */
import type { RunMode } from "../runtime/mode";
import { Rng, rng as makeRng } from "../runtime/random";
import { DeviceTimeModel, pcmLikeModel } from "../devices/time";
import { CrossbarLayerConfig } from "../tile/layer";
import { AdcRange, PeripheryConfig } from "../tile/periphery";
import { DRIFT_COMPENSATIONS, DriftCompensation } from "../tile/time";
import { LabelledData, trainOnCircuit } from "../training/circuit-aware";
import {
  TileNetwork,
  calibrateLayers,
  evaluateLayers,
  programNetwork,
  readNetworkAt,
  tileLayers,
  tileNetwork,
} from "../training/analog-inference";
import type { Mlp } from "../training/mlp";
import { subset } from "../data/mnist";
import { JOKSAS_SETUPS } from "../devices/joksas";
import { CIRCUIT_AWARE_LAYER, circuitAwareProtocol, softwareNetwork } from "./circuit-aware";
import {
  MNIST_CIRCUIT_LAYER,
  mnistCircuitData,
  mnistCircuitProtocol,
  mnistSoftwareNetwork,
} from "./circuit-aware-mnist";
import { JOKSAS_TRAININGS, joksasProtocol, loadJoksasData, trainJoksas } from "./joksas";
import { droletData } from "./drolet";

export const TASKS = Object.freeze(["mnist", "moons"] as const);
export type Task = (typeof TASKS)[number];
export const RANGE_KINDS = Object.freeze(["fixed", "max", "calibrated"] as const);
export type RangeKind = (typeof RANGE_KINDS)[number];

export interface PeripheryTimeProtocol {
  readonly mode: RunMode;
  readonly seeds: readonly number[];
  readonly adcBits: readonly number[];
  readonly dacBits: readonly number[];
  /** The fixed ADC range in output units V·(G_on − G_off): aihwkit's out_bound. */
  readonly fixedRangeUnits: number;
  /** Calibrated ranges: percentile of the ADC inputs over the first `points` training points. */
  readonly calibration: { readonly percentile: number; readonly points: number };
  readonly timesSecond: readonly number[];
  /** Independent reads (fresh read noise) averaged at each time, per task. */
  readonly reads: Readonly<Record<Task, number>>;
  /** Test points per evaluation: MNIST digits (the first of the seed's test split); all moons test points. */
  readonly testDigits: number;
  /** Fine-tuning of the standard network: training digits (at most the split has), schedule, the low-resolution converters, the read times. */
  readonly fineTune: {
    readonly digits: number;
    readonly epochs: { readonly mnist: number; readonly moons: number };
    readonly batchSize: number;
    readonly learningRate: number;
    readonly adcBits: number;
    readonly dacBits: number;
    readonly readTimeSecond: readonly [number, number];
  };
  /** Wired tiles: segment resistance per task (Ω), test digits, and the bits and times asked there. */
  readonly wired: {
    readonly segmentOhm: Readonly<Record<Task, number>>;
    readonly testDigits: number;
    readonly adcBits: readonly number[];
    readonly timesSecond: readonly number[];
  };
}

const YEAR = 365 * 86400;

export function peripheryTimeProtocol(mode: RunMode): PeripheryTimeProtocol {
  const quick = mode === "quick";
  return Object.freeze({
    mode,
    seeds: quick ? [0, 1, 2] : [0, 1, 2, 3, 4],
    adcBits: quick ? [2, 3, 4, 5, 6, 8, 10] : [2, 3, 4, 5, 6, 7, 8, 9, 10],
    dacBits: quick ? [2, 3, 4, 5, 6, 8, 10] : [2, 3, 4, 5, 6, 7, 8, 9, 10],
    fixedRangeUnits: 12,
    calibration: Object.freeze({ percentile: 99.9, points: 256 }),
    timesSecond: quick
      ? [20, 3600, 86400, 30 * 86400, YEAR]
      : [20, 60, 600, 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400, 180 * 86400, YEAR],
    reads: Object.freeze({ mnist: quick ? 2 : 5, moons: quick ? 10 : 20 }),
    testDigits: quick ? 600 : 2000,
    fineTune: Object.freeze({
      digits: 7000,
      epochs: Object.freeze({ mnist: 1, moons: quick ? 20 : 60 }),
      batchSize: 32,
      learningRate: 0.003,
      adcBits: 3,
      dacBits: 3,
      readTimeSecond: Object.freeze([20, YEAR] as const),
    }),
    wired: Object.freeze({
      segmentOhm: Object.freeze({ mnist: 3, moons: 100 }),
      testDigits: quick ? 128 : 1000,
      adcBits: [4, 8],
      timesSecond: [20, YEAR],
    }),
  });
}

/** The tiles each task runs on with ideal wires: Joksas D5's SiOx window at its read voltage (128 × 128), Drolet's TiO₂ (16 × 16). */
export function taskLayer(task: Task, segmentOhm = 0): CrossbarLayerConfig {
  const s = JOKSAS_SETUPS.D5;
  const base =
    task === "mnist"
      ? segmentOhm > 0
        ? MNIST_CIRCUIT_LAYER
        : {
            gOffSiemens: s.gOffSiemens!,
            gOnSiemens: s.gOnSiemens!,
            readVoltageVolt: s.readVoltageVolt,
            tileRows: 128,
            tileCols: 128,
          }
      : CIRCUIT_AWARE_LAYER;
  return Object.freeze({ ...base, wordSegmentOhm: segmentOhm, bitSegmentOhm: segmentOhm });
}

/** aihwkit's PCM-like model with g_max at the layer's G_on (aihwkit maps the largest weight to g_max). */
export function taskTimeModel(layer: CrossbarLayerConfig): DeviceTimeModel {
  return pcmLikeModel(layer.gOnSiemens);
}

export interface TaskData {
  readonly train: LabelledData;
  readonly test: LabelledData;
}

/** The seed's data: its Joksas split of the packaged digits (the first test digits), or its half-moons split. */
export function taskData(p: PeripheryTimeProtocol, task: Task, seed: number, testDigits = p.testDigits): TaskData {
  if (task === "moons") {
    const d = droletData("paper", seed);
    return { train: d.train, test: d.test };
  }
  const d = mnistCircuitData(mnistCircuitProtocol(p.mode), seed);
  return {
    train: d.train,
    test: subset(
      d.test,
      Array.from({ length: Math.min(testDigits, d.test.n) }, (_, i) => i),
    ),
  };
}

/** The software networks of a task and seed: standard and aware (notebook 11's, from its cache where trained). */
export function softwareNetworks(
  p: PeripheryTimeProtocol,
  task: Task,
  seed: number,
): Record<"standard" | "aware", Mlp> {
  if (task === "mnist") {
    const mp = mnistCircuitProtocol(p.mode),
      data = mnistCircuitData(mp, seed);
    return {
      standard: mnistSoftwareNetwork(mp, "regular", seed, data),
      aware: mnistSoftwareNetwork(mp, "aware", seed, data),
    };
  }
  const epochs = circuitAwareProtocol(p.mode).softwareEpochs,
    data = droletData("paper", seed);
  return {
    standard: softwareNetwork("regular", seed, epochs, data),
    aware: softwareNetwork("aware", seed, epochs, data),
  };
}

/**
 * Joksas et al.'s nonlinearity-aware double-weight networks T3 and T4 (L1) for a seed, as tile weights:
 * the quick protocol on the packaged digits, the networks notebook 02 trains (reused from its cache).
 */
export function doubleWeightNetworks(seed: number): Record<"T3" | "T4", TileNetwork> {
  const protocol = joksasProtocol("quick"),
    data = loadJoksasData(protocol, seed);
  const of = (key: "T3" | "T4") => {
    const trained = trainJoksas(JOKSAS_TRAININGS[key], protocol, data, seed);
    try {
      return tileNetwork(trained.model);
    } finally {
      trained.model.dispose();
    }
  };
  return { T3: of("T3"), T4: of("T4") };
}

/** Evaluations take tile weights; a network of lib/training/mlp converts. */
const tiles = (net: Mlp | TileNetwork): TileNetwork => ("params" in net ? tileNetwork(net) : net);

/** An ADC-only periphery of `bits` with the range kind asked for. */
export function adcPeriphery(
  p: PeripheryTimeProtocol,
  layer: CrossbarLayerConfig,
  bits: number,
  kind: RangeKind,
): PeripheryConfig {
  const unit = layer.readVoltageVolt * (layer.gOnSiemens - layer.gOffSiemens);
  const range: AdcRange =
    kind === "fixed"
      ? { kind, rangeAmpere: p.fixedRangeUnits * unit }
      : kind === "max"
        ? { kind }
        : { kind, percentile: p.calibration.percentile };
  return { adc: { bits, range } };
}

/** A DAC-only periphery of `bits` over ±k_V (inputs are in [0, 1]: half its levels stay unused, as for aihwkit's signed inputs). */
export function dacPeriphery(layer: CrossbarLayerConfig, bits: number): PeripheryConfig {
  return { dac: { bits, inputRangeVolt: layer.readVoltageVolt } };
}

/** Test error of `net` on tiles with this periphery (calibrated on the training points when asked for). */
export function errorWithPeriphery(
  p: PeripheryTimeProtocol,
  net: Mlp | TileNetwork,
  data: TaskData,
  layer: CrossbarLayerConfig | readonly CrossbarLayerConfig[],
  rng?: Rng,
) {
  const layers = calibrateLayers(tileLayers(tiles(net), layer), data.train, p.calibration.points, rng);
  return evaluateLayers(layers, data.test, { rng });
}

/** Fixed per-layer ADC ranges (A) from calibrating the network's layers at the protocol's percentile: the largest tile range of each layer. */
export function calibratedFixedRanges(
  p: PeripheryTimeProtocol,
  net: Mlp,
  data: TaskData,
  layer: CrossbarLayerConfig,
  bits: number,
): number[] {
  const cal = calibrateLayers(
    tileLayers(tileNetwork(net), { ...layer, periphery: adcPeriphery(p, layer, bits, "calibrated") }),
    data.train,
    p.calibration.points,
  );
  return cal.map((l) => Math.max(...l.adcRangesAmpere));
}

/** The low-resolution setting of the fine-tuning: DAC and ADC bits of the protocol, the ADC at per-layer fixed ranges. */
export function lowResolutionLayers(
  p: PeripheryTimeProtocol,
  layer: CrossbarLayerConfig,
  rangesAmpere: readonly number[],
): CrossbarLayerConfig[] {
  return rangesAmpere.map((r) => ({
    ...layer,
    periphery: {
      dac: dacPeriphery(layer, p.fineTune.dacBits).dac,
      adc: { bits: p.fineTune.adcBits, range: { kind: "fixed", rangeAmpere: r } },
    },
  }));
}

/** Fine-tune the standard network with the low-resolution periphery in the loop, learning each layer's ADC range. */
export function fineTuneWithPeriphery(
  p: PeripheryTimeProtocol,
  task: Task,
  net: Mlp,
  data: TaskData,
  layer: CrossbarLayerConfig,
  rangesAmpere: readonly number[],
  seed: number,
) {
  const f = p.fineTune;
  return trainOnCircuit(
    net,
    fineTuneData(p, task, data),
    {
      epochs: f.epochs[task],
      batchSize: f.batchSize,
      learningRate: f.learningRate,
      layer: lowResolutionLayers(p, layer, rangesAmpere),
      learnPeriphery: { adcRange: true, learningRate: 0.01 },
    },
    makeRng(`periphery-time/periphery-in-loop/${task}/${seed}`),
  );
}

/** Fine-tune the standard network drift-aware: each batch programs fresh devices and reads them at a log-uniform time. */
export function fineTuneDriftAware(
  p: PeripheryTimeProtocol,
  task: Task,
  net: Mlp,
  data: TaskData,
  layer: CrossbarLayerConfig,
  seed: number,
): Mlp {
  const f = p.fineTune;
  const drift: CrossbarLayerConfig = {
    ...layer,
    disturbance: { kind: "device-time", model: taskTimeModel(layer), readTime: { logUniformSecond: f.readTimeSecond } },
  };
  return trainOnCircuit(
    net,
    fineTuneData(p, task, data),
    { epochs: f.epochs[task], batchSize: f.batchSize, learningRate: f.learningRate, layer: drift },
    makeRng(`periphery-time/drift-aware/${task}/${seed}`),
  ).net;
}

function fineTuneData(p: PeripheryTimeProtocol, task: Task, data: TaskData): LabelledData {
  if (task === "moons" || !("labels" in data.train)) return data.train;
  const n = Math.min(p.fineTune.digits, data.train.n);
  return subset(
    data.train as Parameters<typeof subset>[0],
    Array.from({ length: n }, (_, i) => i),
  );
}

/**
 * Test error at each read time and compensation for one programming of the network's devices (drawn
 * from `rng`), averaged over `reads` independent reads; every compensation judges the same reads.
 */
export function errorOverTime(
  net: Mlp | TileNetwork,
  data: TaskData,
  layer: CrossbarLayerConfig,
  timesSecond: readonly number[],
  compensations: readonly DriftCompensation[],
  rng: Rng,
  reads = 1,
) {
  if (!Number.isInteger(reads) || reads < 1) throw new RangeError(`reads must be a positive integer, got ${reads}`);
  const programmed = programNetwork(tiles(net), layer, taskTimeModel(layer), rng);
  const out: Array<{ tSecond: number; compensation: DriftCompensation; error: number }> = [];
  for (const t of timesSecond) {
    const sums = new Map(compensations.map((c) => [c, 0]));
    for (let k = 0; k < reads; k++) {
      const read = readNetworkAt(programmed, t, compensations, rng.derive(`read/${t}/${k}`));
      for (const c of compensations)
        sums.set(c, sums.get(c)! + evaluateLayers(read.layers, data.test, { gains: read.gains.get(c) }).error);
    }
    for (const c of compensations) out.push({ tSecond: t, compensation: c, error: sums.get(c)! / reads });
  }
  return out;
}

export { DRIFT_COMPENSATIONS };
