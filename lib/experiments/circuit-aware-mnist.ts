/**
 * Circuit-aware training at MNIST scale (notebook 11, second part): the 784-25-10 network of Joksas
 * et al. (2022) with every layer on 128 × 128 tiles of Ta/HfO₂-window devices (setup D8's G_off and
 * G_on, read at its k_V), solved exactly with word- and bit-line segment resistance R. Three
 * trainings per seed, each evaluated on the circuit at every R (rows like `CircuitAwareRow`):
 * - "regular": standard training in software (the paper's T0);
 * - "aware": nonideality-aware training without the circuit (T10: device-to-device variability,
 *   standard min-G pairs — the same weight mapping as the tiles);
 * - "circuit-aware": the regular network fine-tuned through the circuit at R.
 * The same three are also run on tiles whose devices have T10's device-to-device variability (setup
 * D5's lognormal spread), at the resistances of `variability.segmentsOhm`: line resistance and device
 * variability together, with the circuit-aware network fine-tuned on fresh devices every batch.
 * Software training follows the Joksas quick protocol on the packaged digits, with fewer epochs (its
 * `deviations` say what differs from the paper).
 */
import type { RunMode } from "../runtime/mode";
import { ImageSet, MnistSplits, subset } from "../data/mnist";
import { ConductanceDisturbance, JOKSAS_SETUPS } from "../devices/joksas";
import type { Mlp } from "../training/mlp";
import { asMlp } from "../training/memristive-mlp";
import { cellParam, GridExperiment, registerExperiment } from "../grid/registry";
import { JOKSAS_TRAININGS, JoksasProtocol, joksasProtocol, loadJoksasData, trainJoksas } from "./joksas";
import {
  CIRCUIT_TRAININGS,
  CircuitAwareRow,
  CircuitStudyProtocol,
  CircuitTraining,
  SoftwareNetworks,
  runStudy,
  studyCell,
} from "./circuit-aware";

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
  /** Devices with variability: the setup whose disturbance they have, and the segment resistances studied with it (Ω). */
  readonly variability: {
    readonly setup: string;
    readonly disturbance: ConductanceDisturbance;
    readonly segmentsOhm: readonly number[];
  };
}

/** Kinds of devices on the tiles: as mapped, or with the variability of `variability.setup`. */
export const MNIST_DEVICES = ["ideal", "variable"] as const;
export type MnistDevices = (typeof MNIST_DEVICES)[number];

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
  const aware = JOKSAS_SETUPS[JOKSAS_TRAININGS.T10.setup as keyof typeof JOKSAS_SETUPS];
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
    variability: Object.freeze({
      setup: aware.id,
      disturbance: aware.disturbance!,
      segmentsOhm: quick ? [3] : [0, 1, 3, 10, 30],
    }),
  });
}

/** The seed's digits (the Joksas split of the packaged digits). */
export function mnistCircuitData(p: MnistCircuitProtocol, seed: number): MnistSplits {
  return loadJoksasData(p.software, seed);
}

function firstOf(s: ImageSet, n: number, what: string): ImageSet {
  if (!Number.isInteger(n) || n < 1 || n > s.n)
    throw new RangeError(`${what} must be a whole number from 1 to ${s.n}, got ${n}`);
  return subset(
    s,
    Array.from({ length: n }, (_, i) => i),
  );
}

/** The software network of a seed ("regular" or "aware"), trained by the Joksas pipeline (cached under results/networks/joksas). */
export function mnistSoftwareNetwork(
  p: MnistCircuitProtocol,
  kind: "regular" | "aware",
  seed: number,
  data: MnistSplits,
  opts: { onLog?: (s: string) => void } = {},
): Mlp {
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

/** One cell: train (or reuse `nets`) and evaluate on tiles with segment resistance `segmentOhm`, with ideal or variable devices. */
export function mnistCircuitCell(
  p: MnistCircuitProtocol,
  seed: number,
  segmentOhm: number,
  training: CircuitTraining,
  data: MnistSplits = mnistCircuitData(p, seed),
  nets: SoftwareNetworks = {},
  devices: MnistDevices = "ideal",
): CircuitAwareRow {
  if (!MNIST_DEVICES.includes(devices))
    throw new RangeError(`unknown devices "${devices}": use ${MNIST_DEVICES.join(" or ")}`);
  return studyCell(seed, segmentOhm, training, {
    layer: devices === "variable" ? { ...p.layer, disturbance: p.variability.disturbance } : p.layer,
    software: (kind) => (nets[kind] ??= mnistSoftwareNetwork(p, kind, seed, data)),
    fineTune: {
      data: firstOf(data.train, p.circuitDigits, "circuitDigits"),
      epochs: p.circuitEpochs,
      batchSize: p.batchSize,
      learningRate: p.learningRate,
      stream: "circuit-aware-mnist",
    },
    test: firstOf(data.test, p.testDigits, "testDigits"),
  });
}

/**
 * Every seed × segment resistance × training of the protocol (software networks trained once per
 * seed); with `devices: "variable"`, at the resistances of `p.variability` on devices with its variability.
 */
export function runMnistCircuitStudy(
  p: MnistCircuitProtocol,
  opts: { onLog?: (line: string) => void; devices?: MnistDevices } = {},
): CircuitAwareRow[] {
  const devices = opts.devices ?? "ideal";
  const study = devices === "variable" ? { seeds: p.seeds, segmentsOhm: p.variability.segmentsOhm } : p;
  return runStudy(
    study,
    (seed) => mnistCircuitData(p, seed),
    (seed, r, t, data, nets) => mnistCircuitCell(p, seed, r, t, data, nets, devices),
    opts,
  );
}

/** The grid experiment "circuit-aware-mnist" (one cell per seed × training × segment resistance), registered when this module loads. */
export const mnistCircuitGrid: GridExperiment = registerExperiment({
  module: __filename,
  name: "circuit-aware-mnist",
  version: "2",
  description:
    "Joksas 784-25-10 MNIST network on 128x128 tiles (Ta/HfO2 window) with line resistance, devices ideal or with T10's D2D variability: regular (T0), nonideality-aware without the circuit (T10) and circuit-aware (fine-tuned through the exact circuit) training; test accuracy and power per inference on the circuit.",
  parameters: {
    training: "regular | aware | circuit-aware",
    segmentOhm: "word- and bit-line segment resistance (Ω)",
    devices: "ideal | variable (the D2D variability of T10's setup)",
  },
  defaultGrid: (mode) => {
    const p = mnistCircuitProtocol(mode);
    return {
      experiment: "circuit-aware-mnist",
      mode,
      axes: { training: [...CIRCUIT_TRAININGS], segmentOhm: [...p.segmentsOhm], devices: [...MNIST_DEVICES] },
      seeds: [...p.seeds],
      fixed: {},
    };
  },
  async run(cell, ctx) {
    const p = mnistCircuitProtocol(cell.mode);
    const devices = cellParam<string>(cell, "devices", "string") as MnistDevices;
    const row = mnistCircuitCell(
      p,
      cell.seed,
      cellParam<number>(cell, "segmentOhm", "number"),
      cellParam<string>(cell, "training", "string") as CircuitTraining,
      undefined,
      undefined,
      devices,
    );
    ctx.log(`${row.training} at ${row.segmentOhm} Ω, ${devices} devices: accuracy ${row.accuracy.toFixed(3)}`);
    return { metrics: { accuracy: row.accuracy, sourcesWatt: row.sourcesWatt, wiresWatt: row.wiresWatt } };
  },
});
