/**
 * Joksas et al. 2022 CIFAR-10 experiment (spec §5.1, §7.1 C0/C1, figure 6): the small CNN whose two
 * dense layers are crossbars, trained ideal with standard weights (C0) or aware of high I–V
 * nonlinearity with double weights (C1), both inferred on D2. Needs the CIFAR-10 binary files in
 * data/cifar-10/ (`lab.data.CIFAR10_HOW_TO_GET`); nothing here runs without them.
 */
import type { RunMode } from "../runtime/mode";
import type { Rng } from "../runtime/random";
import { rng as makeRng } from "../runtime/random";
import { JOKSAS_SETUPS } from "../devices/joksas";
import type { ImageSet } from "../data/mnist";
import { subset } from "../data/mnist";
import { loadCifar10 } from "../data/cifar10";
import { MemristiveCnn, augmentCifarBatch } from "../training/memristive-cnn";
import {
  MemristiveTrainResult,
  inferenceRepeats,
  joksasTraining,
  trainMemristiveMlp,
} from "../training/memristive-mlp";
import { summariseRepeats } from "./joksas";
import type { InferenceSummary, SetupId, TrainingConfig } from "./joksas";

/** C0 and C1 of spec §7.1. */
export const CNN_TRAININGS: Readonly<Record<"C0" | "C1", TrainingConfig>> = Object.freeze({
  C0: {
    key: "C0",
    label: "CIFAR-10, ideal (standard training)",
    setup: "D0",
    weights: { kind: "standard", rule: "min-G" },
    regularised: false,
    inference: ["D2"],
  },
  C1: {
    key: "C1",
    label: "CIFAR-10, high I–V nonlin. (aware, double weights)",
    setup: "D2",
    weights: { kind: "double" },
    regularised: false,
    inference: ["D2"],
  },
});

export interface CnnProtocol {
  readonly mode: RunMode;
  /** Training batches read (of 5, 10 000 images each); the first 80 % train, the last 20 % validate. */
  readonly trainBatches: number;
  /** Test images used (of 10 000). */
  readonly testImages: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly validateEvery: number;
  readonly validationRepeats: number;
  readonly inferenceRepeats: number;
  readonly networks: number;
  readonly monitorRepeats: number;
  readonly augment: boolean;
  readonly deviations: readonly string[];
}

/**
 * full: the paper's (40 000 / 10 000 / 10 000, 1000 epochs of SGD 0.01, batch 64, augmentation,
 * memristive validation every 20 epochs × 20, 25 inference repeats, 5 networks).
 * quick: one training batch (8000 / 2000), 2000 test images, 4 epochs of SGD 0.05, one network.
 */
export function cnnProtocol(mode: RunMode, change: Partial<CnnProtocol> = {}): CnnProtocol {
  if (mode !== "quick" && mode !== "full")
    throw new Error(`unknown run mode "${mode as string}": use "quick" or "full"`);
  const shift = "augmentation shifts are whole pixels (Keras interpolates bilinearly)";
  if (mode === "full") {
    return {
      mode,
      trainBatches: 5,
      testImages: 10000,
      epochs: 1000,
      batchSize: 64,
      learningRate: 0.01,
      validateEvery: 20,
      validationRepeats: 20,
      inferenceRepeats: 25,
      networks: 5,
      monitorRepeats: 20,
      augment: true,
      deviations: [shift],
      ...change,
    };
  }
  return {
    mode,
    trainBatches: 1,
    testImages: 2000,
    epochs: 4,
    batchSize: 64,
    learningRate: 0.05,
    validateEvery: 2,
    validationRepeats: 3,
    inferenceRepeats: 5,
    networks: 1,
    monitorRepeats: 3,
    augment: true,
    deviations: [
      "data: data_batch_1 only, split 8000 / 2000, and the first 2000 test images, instead of 40 000 / 10 000 / 10 000",
      "4 epochs of SGD 0.05 instead of 1000 of SGD 0.01",
      "1 network instead of 5; 5 inference repeats instead of 25; validation every 2 epochs × 3 instead of every 20 × 20",
      shift,
    ],
    ...change,
  };
}

export interface CifarSplits {
  readonly train: ImageSet;
  readonly validation: ImageSet;
  readonly test: ImageSet;
}

/** Read the binary files (data/cifar-10/ unless `dir`; `recordsPerBatch` for files other than the official 10 000-record batches) and split them as the protocol says. */
export function cifarSplits(protocol: CnnProtocol, dir?: string, opts: { recordsPerBatch?: number } = {}): CifarSplits {
  const { train, test } = loadCifar10(dir, {
    trainBatches: protocol.trainBatches,
    recordsPerBatch: opts.recordsPerBatch,
  });
  if (!(Number.isInteger(protocol.testImages) && protocol.testImages >= 1 && protocol.testImages <= test.n))
    throw new RangeError(`testImages must be 1…${test.n}, got ${protocol.testImages}`);
  const cut = Math.round(0.8 * train.n);
  const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
  return {
    train: subset(train, range(0, cut)),
    validation: subset(train, range(cut, train.n)),
    test: subset(test, range(0, protocol.testImages)),
  };
}

export interface TrainedCnn {
  readonly config: TrainingConfig;
  readonly seed: number;
  readonly model: MemristiveCnn;
  readonly result: MemristiveTrainResult;
}

/** Train one CNN of C0/C1 (test curves on its inference setups, from a generator of their own). */
export function trainCnn(
  config: TrainingConfig,
  protocol: CnnProtocol,
  data: CifarSplits,
  seed: number,
  opts: { onLog?: (s: string) => void } = {},
): TrainedCnn {
  const setup = JOKSAS_SETUPS[config.setup];
  if (!setup) throw new Error(`unknown device setup "${config.setup}"`);
  const model = new MemristiveCnn({ weights: config.weights }, makeRng(`cnn-init/${seed}`));
  if (setup.gOffSiemens !== null) model.trainingSetup = setup;
  const cfg = joksasTraining(setup, {
    epochs: protocol.epochs,
    batchSize: protocol.batchSize,
    learningRate: protocol.learningRate,
    validateEvery: protocol.validateEvery,
    validationRepeats: protocol.validationRepeats,
  });
  const monitor = {
    data: data.test,
    setups: config.inference.map((id) => JOKSAS_SETUPS[id]),
    repeats: protocol.monitorRepeats,
    rng: makeRng(`cnn-monitor/${config.key}/${seed}`),
  };
  const result = trainMemristiveMlp(
    model,
    data.train,
    data.validation,
    cfg,
    makeRng(`cnn-train/${config.key}/${seed}`),
    {
      onLog: opts.onLog ? (s) => opts.onLog!(`${config.key}: ${s}`) : undefined,
      monitor,
      augment: protocol.augment ? augmentCifarBatch : undefined,
    },
  );
  return { config, seed, model, result };
}

/** The inference protocol of one trained CNN on one setup. */
export function inferCnn(
  net: TrainedCnn,
  setupId: SetupId,
  data: CifarSplits,
  protocol: CnnProtocol,
  rng: Rng = makeRng(`cnn-infer/${net.config.key}/${net.seed}`),
): InferenceSummary {
  const setup = JOKSAS_SETUPS[setupId];
  if (!setup) throw new Error(`unknown device setup "${setupId}"`);
  const reps = inferenceRepeats(net.model, data.test, setup, protocol.inferenceRepeats, rng);
  return summariseRepeats(net.config.key, setupId, reps, net.model.synapses());
}
