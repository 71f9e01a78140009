/**
 * Your network on a crossbar (notebook 13): networks a user brings — Keras-style models built and
 * trained with tfjs, saved and reloaded through the tfjs folder format, and PyTorch models exported
 * to ONNX (test/fixtures/onnx) — converted onto tiles and asked the hardware questions: accuracy
 * on ideal tiles, on nonideal devices (Joksas et al.'s stuck devices and D2D variability, Drolet et
 * al.'s TiO₂ transfer, line resistance), after hardware-aware fine-tuning, against ADC bits and a
 * year of drift. This module holds the protocol, the device setups and the models; the study and
 * claims are in your-network-study.ts.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import type { RunMode } from "../runtime/mode";
import { Rng, rng as makeRng } from "../runtime/random";
import { repoRoot } from "../runtime/provenance";
import { ImageSet, MnistSplits, fashionMnistDirs, mnistSplits } from "../data/mnist";
import { JOKSAS_SETUPS } from "../devices/joksas";
import { DROLET_2023_TIO2 } from "../devices/tio2";
import { CrossbarLayerConfig } from "../tile/layer";
import { NetworkGraph, graphFromLayersModel, loadLayersModelFolder, loadOnnx, saveLayersModelFolder } from "../models";
import { AIHWKIT_TILE_SIZE } from "../training/analog-model";
import { MNIST_CIRCUIT_LAYER } from "./circuit-aware-mnist";

export const SETUPS = Object.freeze(["ideal", "stuck", "variability", "tio2", "wired"] as const);
export type SetupName = (typeof SETUPS)[number];

export const MODELS = Object.freeze(["tfjs-mlp", "tfjs-cnn", "onnx-mlp", "onnx-cnn"] as const);
export type ModelName = (typeof MODELS)[number];

/** The ONNX fixtures a notebook converts (exported from PyTorch by test/fixtures/onnx/generate.py, trained on Fashion-MNIST). */
export const ONNX_FIXTURES: Readonly<Record<"onnx-mlp" | "onnx-cnn", string>> = Object.freeze({
  "onnx-mlp": "test/fixtures/onnx/fashion-mlp.onnx",
  "onnx-cnn": "test/fixtures/onnx/fashion-cnn.onnx",
});

const SIOX = JOKSAS_SETUPS.D5;
const base = (window: { gOffSiemens: number; gOnSiemens: number }, readVoltageVolt: number): CrossbarLayerConfig =>
  Object.freeze({
    ...window,
    readVoltageVolt,
    wordSegmentOhm: 0,
    bitSegmentOhm: 0,
    tileRows: AIHWKIT_TILE_SIZE,
    tileCols: AIHWKIT_TILE_SIZE,
  });

/**
 * Drolet et al.'s TiO₂ device without its biasing drift: the drift was measured for the 54 devices
 * of their 2-8-1 network, programmed in order, and is not defined for a larger array.
 */
export const TIO2_WITHOUT_DRIFT = Object.freeze({
  ...DROLET_2023_TIO2,
  name: "drolet-2023-tio2 (no biasing drift)",
  drift: Object.freeze({ enabled: false, table: null }),
});

/** What each setup is, for tables and figures. */
export const SETUP_NAMES: Readonly<Record<SetupName, string>> = Object.freeze({
  ideal: "ideal devices and wires (SiOx window)",
  stuck: `${JOKSAS_SETUPS.D3.name} (Joksas D3)`,
  variability: `${SIOX.name} (Joksas D5)`,
  tio2: "TiO₂ transfer: tuning imprecision, stuck devices (Drolet et al.)",
  wired: "ideal Ta/HfO₂-window devices (Joksas D8) on wired 128 × 128 tiles",
});

/**
 * The tile config of a setup: 512 × 512 tiles (aihwkit's default) on ideal wires; "wired" is
 * notebook 11's MNIST layer (D8's window, 128 × 128 tiles) with `segmentOhm` per wire segment.
 */
export function setupConfig(name: SetupName, segmentOhm = 1): CrossbarLayerConfig {
  const siox = base({ gOffSiemens: SIOX.gOffSiemens!, gOnSiemens: SIOX.gOnSiemens! }, SIOX.readVoltageVolt);
  const tio2 = base({ gOffSiemens: DROLET_2023_TIO2.gOffSiemens, gOnSiemens: DROLET_2023_TIO2.gOnSiemens }, 0.2);
  switch (name) {
    case "ideal":
      return siox;
    case "stuck":
      return { ...siox, disturbance: JOKSAS_SETUPS.D3.disturbance! };
    case "variability":
      return { ...siox, disturbance: SIOX.disturbance! };
    case "tio2":
      return { ...tio2, disturbance: { kind: "tio2-transfer", device: TIO2_WITHOUT_DRIFT } };
    case "wired":
      if (!(segmentOhm >= 0 && Number.isFinite(segmentOhm)))
        throw new RangeError(`wired setup: segmentOhm must be a finite number ≥ 0 (Ω), got ${segmentOhm}`);
      return { ...siox, ...MNIST_CIRCUIT_LAYER, wordSegmentOhm: segmentOhm, bitSegmentOhm: segmentOhm };
  }
  throw new RangeError(`unknown setup "${name as string}": use one of ${SETUPS.join(", ")}`);
}

export interface YourNetworkProtocol {
  readonly mode: RunMode;
  /** Seeds of the device draws, fine-tuning and reads (the trained networks are the same for every seed). */
  readonly seeds: readonly number[];
  /** Images: training (tfjs training and fine-tuning), validation, test. */
  readonly split: readonly [number, number, number];
  /** Test images per evaluation on nonideal devices and over time; device realisations per evaluation. */
  readonly deviceTestImages: number;
  readonly draws: number;
  /** Wired tiles (solved circuits, ideal devices: once, for the dense networks): segment resistances (Ω) and test images. */
  readonly wired: { readonly segmentsOhm: readonly number[]; readonly testImages: number };
  readonly training: { readonly epochs: number; readonly batchSize: number; readonly learningRate: number };
  readonly fineTune: {
    readonly setup: SetupName;
    readonly images: number;
    readonly epochs: number;
    readonly batchSize: number;
    readonly learningRate: number;
  };
  readonly adcBits: readonly number[];
  readonly calibration: { readonly percentile: number; readonly images: number };
  readonly timesSecond: readonly number[];
}

const YEAR = 365 * 86400;

export function yourNetworkProtocol(mode: RunMode): YourNetworkProtocol {
  const quick = mode === "quick";
  return Object.freeze({
    mode,
    seeds: quick ? [0, 1, 2] : [0, 1, 2, 3, 4],
    split: (quick ? [6000, 1000, 1000] : [48000, 12000, 10000]) as [number, number, number],
    deviceTestImages: quick ? 500 : 10000,
    draws: quick ? 2 : 5,
    wired: Object.freeze({ segmentsOhm: quick ? [0.3, 1, 3] : [0.1, 0.3, 1, 3, 10], testImages: quick ? 200 : 2000 }),
    training: Object.freeze({ epochs: quick ? 3 : 10, batchSize: 64, learningRate: 1e-3 }),
    fineTune: Object.freeze({
      setup: "variability" as SetupName,
      images: quick ? 2000 : 12000,
      epochs: quick ? 2 : 5,
      batchSize: 32,
      learningRate: 1e-3,
    }),
    adcBits: quick ? [3, 4, 6, 8] : [2, 3, 4, 5, 6, 7, 8, 10],
    calibration: Object.freeze({ percentile: 99.9, images: 256 }),
    timesSecond: quick ? [20, 30 * 86400, YEAR] : [20, 3600, 86400, 30 * 86400, YEAR],
  });
}

/** Fashion-MNIST (the fixtures were trained on it) when installed; else the packaged MNIST digits, said so. */
export function yourNetworkData(p: YourNetworkProtocol): MnistSplits & { readonly dataset: "fashion-mnist" | "mnist" } {
  const have = fashionMnistDirs().some((d) => fs.existsSync(d));
  if (have)
    return {
      ...mnistSplits("idx", makeRng("your-network/split"), { dataset: "fashion-mnist", packageSplit: p.split }),
      dataset: "fashion-mnist",
    };
  const [a, b, c] = p.split,
    n = Math.min(a, 7000);
  return {
    ...mnistSplits("package", makeRng("your-network/split"), {
      packageSplit: [n, Math.min(b, 1000), Math.min(c, 2000)],
    }),
    dataset: "mnist",
  };
}

/** A Keras-style MLP: 784 → 128 (ReLU, dropout 0.2) → 10 (softmax); seeded initialisers. */
export function tfjsMlp(seed: number): tf.Sequential {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 100 + k });
  return tf.sequential({
    name: "keras_style_mlp",
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 128, activation: "relu", kernelInitializer: init(1) }),
      tf.layers.dropout({ rate: 0.2, seed: seed * 100 + 2 }),
      tf.layers.dense({ units: 10, activation: "softmax", kernelInitializer: init(3) }),
    ],
  });
}

/** A Keras-style CNN: conv 8 (3×3, same) → batch norm → ReLU → max-pool 2 → conv 16 (3×3) → ReLU → max-pool 2 → dense 10 (softmax). */
export function tfjsCnn(seed: number): tf.Sequential {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 100 + k });
  return tf.sequential({
    name: "keras_style_cnn",
    layers: [
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 8,
        kernelSize: 3,
        padding: "same",
        kernelInitializer: init(1),
      }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 3, activation: "relu", kernelInitializer: init(2) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 10, activation: "softmax", kernelInitializer: init(3) }),
    ],
  });
}

/**
 * Train a tfjs model with `model.fit` on the training images (one shuffle per epoch from `rng`,
 * so runs repeat), save it as model.json + weights.bin under `dir` and load it back.
 */
export async function trainAndReload(
  model: tf.Sequential,
  train: ImageSet,
  p: YourNetworkProtocol,
  rng: Rng,
  dir: string,
): Promise<{ model: tf.LayersModel; files: string[]; losses: number[] }> {
  model.compile({
    optimizer: tf.train.adam(p.training.learningRate),
    loss: "sparseCategoricalCrossentropy",
    metrics: ["accuracy"],
  });
  const losses: number[] = [];
  for (let e = 0; e < p.training.epochs; e++) {
    const idx = rng.shuffle(Array.from({ length: train.n }, (_, i) => i));
    const x = new Float32Array(train.n * train.features),
      y = new Float32Array(train.n);
    idx.forEach(
      (i, k) => (
        x.set(train.x.subarray(i * train.features, (i + 1) * train.features), k * train.features),
        (y[k] = train.labels[i])
      ),
    );
    const xs = tf.tensor4d(x, [train.n, 28, 28, 1]),
      ys = tf.tensor1d(y);
    const h = await model.fit(xs, ys, { epochs: 1, batchSize: p.training.batchSize, shuffle: false, verbose: 0 });
    losses.push((h.history.loss as number[])[0]);
    tf.dispose([xs, ys]);
  }
  const files = await saveLayersModelFolder(model, dir);
  return { model: await loadLayersModelFolder(dir), files, losses };
}

/** Where a notebook keeps the models it saves (outside the repository: a user's own folder in practice). */
export function modelsDir(): string {
  return path.join(os.tmpdir(), "crossbar-lab-models");
}

/** The network graph of an ONNX fixture. */
export function onnxFixture(name: "onnx-mlp" | "onnx-cnn"): NetworkGraph {
  return loadOnnx(path.join(repoRoot(), ONNX_FIXTURES[name]));
}

/** A model given as a path (a tfjs model folder, or an .onnx file) or a fixture name, as a graph. */
export async function loadModel(spec: string): Promise<NetworkGraph> {
  if (spec === "onnx-mlp" || spec === "onnx-cnn") return onnxFixture(spec);
  const file = path.isAbsolute(spec) ? spec : path.join(repoRoot(), spec);
  if (file.endsWith(".onnx")) return loadOnnx(file);
  if (fs.existsSync(path.join(file, "model.json")))
    return graphFromLayersModel(await loadLayersModelFolder(file), spec);
  throw new Error(
    `model "${spec}": not a fixture name (onnx-mlp, onnx-cnn), an .onnx file, or a folder holding model.json`,
  );
}
