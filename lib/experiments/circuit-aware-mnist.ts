/**
 * Circuit-aware training at MNIST scale (notebook 11, second part): the 784-25-10 network of Joksas
 * et al. (2022) with every layer on 128 × 128 tiles of Ta/HfO₂-window devices (setup D8's G_off and
 * G_on, read at its k_V), solved exactly with word- and bit-line segment resistance R. Three
 * trainings per seed, each evaluated on the circuit at every R (rows like `CircuitAwareRow`):
 * - "regular": standard training in software (the paper's T0);
 * - "aware": nonideality-aware training without the circuit (T10: device-to-device variability,
 *   standard min-G pairs — the same weight mapping as the tiles);
 * - "circuit-aware": the regular network fine-tuned through the circuit at R.
 * Software training follows the Joksas quick protocol on the packaged digits, with fewer epochs (its
 * `deviations` say what differs from the paper).
 */
import type { RunMode } from "../runtime/mode";
import { ImageSet, MnistSplits, subset } from "../data/mnist";
import { JOKSAS_SETUPS } from "../devices/joksas";
import type { Mlp } from "../training/mlp";
import { asMlp } from "../training/memristive-mlp";
import { cellParam, GridExperiment, registerExperiment } from "../grid/registry";
import { JOKSAS_TRAININGS, JoksasProtocol, joksasProtocol, loadJoksasData, trainJoksas } from "./joksas";
import { CIRCUIT_TRAININGS, CircuitAwareRow, CircuitStudyProtocol, CircuitTraining, SoftwareNetworks, runStudy, studyCell } from "./circuit-aware";

export interface MnistCircuitProtocol extends CircuitStudyProtocol {
  /** Software training of the regular and aware networks. */
  readonly software: JoksasProtocol;
  /** The Joksas training configurations used as "regular" and "aware". */
  readonly regularTraining: string;
  readonly awareTraining: string;
  /** Test digits evaluated on the circuit (the first of the seed's test split). */
  readonly testDigits: number;
  /** Circuit-aware fine-tuning data: the first digits of the seed's training split. */
  readonly circuitDigits: number;
}

/** Setup D8's Ta/HfO₂ window and read voltage, tiles of at most 128 × 128 devices (the first layer takes 7 tiles). */
export const MNIST_CIRCUIT_LAYER: MnistCircuitProtocol["layer"] = Object.freeze({
  gOffSiemens: JOKSAS_SETUPS.D8.gOffSiemens!,
  gOnSiemens: JOKSAS_SETUPS.D8.gOnSiemens!,
  readVoltageVolt: JOKSAS_SETUPS.D8.readVoltageVolt,
  tileRows: 128,
  tileCols: 128,
});

export function mnistCircuitProtocol(mode: RunMode): MnistCircuitProtocol {
  const quick = mode === "quick";
  return Object.freeze({
    mode,
    seeds: quick ? [0, 1, 2] : [0, 1, 2, 3, 4],
    segmentsOhm: quick ? [0, 3, 10] : [0, 1, 3, 10, 30],
    software: joksasProtocol("quick", { epochs: quick ? 30 : 200 }),
    regularTraining: "T0",
    awareTraining: "T10",
    testDigits: quick ? 192 : 2000,
    circuitDigits: quick ? 512 : 7000,
    circuitEpochs: 1,
    batchSize: 32,
    learningRate: 0.003,
    layer: MNIST_CIRCUIT_LAYER,
  });
}

/** The seed's digits (the Joksas split of the packaged digits). */
export function mnistCircuitData(p: MnistCircuitProtocol, seed: number): MnistSplits {
  return loadJoksasData(p.software, seed);
}

function firstOf(s: ImageSet, n: number, what: string): ImageSet {
  if (!Number.isInteger(n) || n < 1 || n > s.n) throw new RangeError(`${what} must be a whole number from 1 to ${s.n}, got ${n}`);
  return subset(s, Array.from({ length: n }, (_, i) => i));
}

/** The software network of a seed ("regular" or "aware"), trained by the Joksas pipeline (cached under results/networks/joksas). */
export function mnistSoftwareNetwork(p: MnistCircuitProtocol, kind: "regular" | "aware", seed: number, data: MnistSplits, opts: { onLog?: (s: string) => void } = {}): Mlp {
  const key = kind === "regular" ? p.regularTraining : p.awareTraining;
  const config = JOKSAS_TRAININGS[key];
  if (!config) throw new Error(`unknown Joksas training "${key}"`);
  const trained = trainJoksas(config, p.software, data, seed, { onLog: opts.onLog });
  try {
    return asMlp(trained.model);
  } finally {
    trained.model.dispose();
  }
}

/** One cell: train (or reuse `nets`) and evaluate on tiles with segment resistance `segmentOhm`. */
export function mnistCircuitCell(p: MnistCircuitProtocol, seed: number, segmentOhm: number, training: CircuitTraining, data: MnistSplits = mnistCircuitData(p, seed), nets: SoftwareNetworks = {}): CircuitAwareRow {
  return studyCell(seed, segmentOhm, training, {
    layer: p.layer,
    software: (kind) => (nets[kind] ??= mnistSoftwareNetwork(p, kind, seed, data)),
    fineTune: { data: firstOf(data.train, p.circuitDigits, "circuitDigits"), epochs: p.circuitEpochs, batchSize: p.batchSize, learningRate: p.learningRate, stream: "circuit-aware-mnist" },
    test: firstOf(data.test, p.testDigits, "testDigits"),
  });
}

/** Every seed × segment resistance × training of the protocol (software networks trained once per seed). */
export function runMnistCircuitStudy(p: MnistCircuitProtocol, opts: { onLog?: (line: string) => void } = {}): CircuitAwareRow[] {
  return runStudy(p, (seed) => mnistCircuitData(p, seed), (seed, r, t, data, nets) => mnistCircuitCell(p, seed, r, t, data, nets), opts);
}

/** The grid experiment "circuit-aware-mnist" (one cell per seed × training × segment resistance), registered when this module loads. */
export const mnistCircuitGrid: GridExperiment = registerExperiment({
  module: __filename,
  name: "circuit-aware-mnist",
  version: "1",
  description: "Joksas 784-25-10 MNIST network on 128x128 tiles (Ta/HfO2 window) with line resistance: regular (T0), nonideality-aware without the circuit (T10) and circuit-aware (fine-tuned through the exact circuit) training; test accuracy and power per inference on the circuit.",
  parameters: { training: "regular | aware | circuit-aware", segmentOhm: "word- and bit-line segment resistance (Ω)" },
  defaultGrid: (mode) => {
    const p = mnistCircuitProtocol(mode);
    return { experiment: "circuit-aware-mnist", mode, axes: { training: [...CIRCUIT_TRAININGS], segmentOhm: [...p.segmentsOhm] }, seeds: [...p.seeds], fixed: {} };
  },
  async run(cell, ctx) {
    const row = mnistCircuitCell(mnistCircuitProtocol(cell.mode), cell.seed, cellParam<number>(cell, "segmentOhm", "number"), cellParam<string>(cell, "training", "string") as CircuitTraining);
    ctx.log(`${row.training} at ${row.segmentOhm} Ω: accuracy ${row.accuracy.toFixed(3)}`);
    return { metrics: { accuracy: row.accuracy, sourcesWatt: row.sourcesWatt, wiresWatt: row.wiresWatt } };
  },
});
