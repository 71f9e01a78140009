/**
 * Circuit-aware training (notebook 11): how much accuracy and energy does line resistance cost the
 * Drolet et al. 2-8-1 two-moons network on passive TiO₂ crossbars, and does training through the
 * exact circuit win it back?
 *
 * Three trainings per seed, each evaluated on tiles with word- and bit-line segment resistance R:
 * - "regular": the paper's regular training in software (lib/training/hardware-aware);
 * - "aware": the paper's hardware-aware training (device nonidealities, no circuit);
 * - "circuit-aware": the regular network fine-tuned through the circuit at R (lib/training/circuit-aware).
 * The software networks are the ones notebook 01 trains for the same seed and epochs.
 */
import type { RunMode } from "../runtime/mode";
import { rng as makeRng } from "../runtime/random";
import type { Splits } from "../data/moons";
import { DROLET_2023_TIO2 } from "../devices/tio2";
import type { CrossbarLayerConfig } from "../tile/layer";
import type { Mlp } from "../training/mlp";
import { LabelledData, evaluateOnCircuit, trainOnCircuit } from "../training/circuit-aware";
import { cellParam, GridExperiment, registerExperiment } from "../grid/registry";
import { droletData, droletRunConfig, trainDroletNetwork } from "./drolet";
import { meanSd } from "../runtime/stats";

export const CIRCUIT_TRAININGS = Object.freeze(["regular", "aware", "circuit-aware"] as const);
export type CircuitTraining = (typeof CIRCUIT_TRAININGS)[number];

/** What every circuit-aware study fixes: seeds, segment resistances, the fine-tuning schedule and the tiles. */
export interface CircuitStudyProtocol {
  readonly mode: RunMode;
  readonly seeds: readonly number[];
  /** Word- and bit-line segment resistances studied (Ω). */
  readonly segmentsOhm: readonly number[];
  /** Circuit-aware fine-tuning: epochs, minibatch, Adam learning rate. */
  readonly circuitEpochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** The crossbar every layer runs on, but for the segment resistance. */
  readonly layer: Omit<CrossbarLayerConfig, "wordSegmentOhm" | "bitSegmentOhm">;
}

export interface CircuitAwareProtocol extends CircuitStudyProtocol {
  /** Software training epochs (the paper's recipe). */
  readonly softwareEpochs: number;
}

/** The TiO₂ window of Drolet et al. (100–500 µS), read at 0.2 V, one 16 × 16 tile per layer. */
export const CIRCUIT_AWARE_LAYER: CircuitAwareProtocol["layer"] = Object.freeze({
  gOffSiemens: DROLET_2023_TIO2.gOffSiemens,
  gOnSiemens: DROLET_2023_TIO2.gOnSiemens,
  readVoltageVolt: 0.2,
  tileRows: 16,
  tileCols: 16,
});

export function circuitAwareProtocol(mode: RunMode): CircuitAwareProtocol {
  return Object.freeze({
    mode,
    seeds: mode === "quick" ? [0, 1, 2] : [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    segmentsOhm: [0, 30, 100, 300, 1000],
    softwareEpochs: mode === "quick" ? 2500 : 10000,
    circuitEpochs: mode === "quick" ? 30 : 100,
    batchSize: 32,
    learningRate: 0.01,
    layer: CIRCUIT_AWARE_LAYER,
  });
}

/** The software network of a seed (the same as notebook 01's for that seed and epochs). */
export function softwareNetwork(kind: "regular" | "aware", seed: number, epochs: number, data: Splits): Mlp {
  return trainDroletNetwork(droletRunConfig(kind, { seed, epochs, device: DROLET_2023_TIO2 }), data).net;
}

export interface CircuitAwareRow {
  readonly seed: number;
  readonly segmentOhm: number;
  readonly training: CircuitTraining;
  /** Test accuracy on the circuit (0–1). */
  readonly accuracy: number;
  /** Mean power per inference (W): delivered by the sources, and the part lost in the wires. */
  readonly sourcesWatt: number;
  readonly wiresWatt: number;
  /** The devices' conductance disturbance on the circuit (`kind`), or "none". */
  readonly devices: string;
}

/** The software networks of one seed, each trained on first use. */
export type SoftwareNetworks = Partial<Record<"regular" | "aware", Mlp>>;

/** What one cell of a circuit-aware study needs besides its seed, resistance and training. */
export interface StudyCellInputs {
  /** The layers' crossbar, but for the segment resistance. */
  readonly layer: Omit<CrossbarLayerConfig, "wordSegmentOhm" | "bitSegmentOhm">;
  /** The seed's software network of a kind (trained once per seed by the caller's cache). */
  readonly software: (kind: "regular" | "aware") => Mlp;
  /** Circuit-aware fine-tuning: its data, schedule, and the name of its random stream. */
  readonly fineTune: { readonly data: LabelledData; readonly epochs: number; readonly batchSize: number; readonly learningRate: number; readonly stream: string };
  readonly test: LabelledData;
}

/**
 * One cell of a circuit-aware study: the network of `training` (for "circuit-aware", the regular one
 * fine-tuned through the circuit at R) evaluated on tiles with segment resistance R = `segmentOhm`.
 */
export function studyCell(seed: number, segmentOhm: number, training: CircuitTraining, c: StudyCellInputs): CircuitAwareRow {
  if (!CIRCUIT_TRAININGS.includes(training)) throw new RangeError(`unknown training "${training}": use ${CIRCUIT_TRAININGS.join(", ")}`);
  if (!(segmentOhm >= 0 && Number.isFinite(segmentOhm))) throw new RangeError(`segmentOhm must be a finite number >= 0 (Ω), got ${segmentOhm}`);
  const layer: CrossbarLayerConfig = { ...c.layer, wordSegmentOhm: segmentOhm, bitSegmentOhm: segmentOhm };
  const f = c.fineTune;
  // a disturbance gives each stream its own devices: fine-tuning draws per batch, evaluation one realisation
  const tag = layer.disturbance ? `/${layer.disturbance.kind}` : "";
  const net = training === "circuit-aware"
    ? trainOnCircuit(c.software("regular"), f.data, { epochs: f.epochs, batchSize: f.batchSize, learningRate: f.learningRate, layer }, makeRng(`${f.stream}${tag}/${seed}/${segmentOhm}`)).net
    : c.software(training);
  const e = evaluateOnCircuit(net, c.test, layer, layer.disturbance ? makeRng(`${f.stream}${tag}/devices/${seed}/${segmentOhm}`) : undefined);
  return { seed, segmentOhm, training, accuracy: e.accuracy, sourcesWatt: e.sourcesWatt, wiresWatt: e.wiresWatt, devices: layer.disturbance?.kind ?? "none" };
}

/** Every seed × segment resistance × training, with each seed's data loaded once and its software networks shared by its cells. */
export function runStudy<D>(p: { readonly seeds: readonly number[]; readonly segmentsOhm: readonly number[] }, dataOf: (seed: number) => D, cell: (seed: number, segmentOhm: number, training: CircuitTraining, data: D, nets: SoftwareNetworks) => CircuitAwareRow, opts: { onLog?: (line: string) => void } = {}): CircuitAwareRow[] {
  const rows: CircuitAwareRow[] = [];
  for (const seed of p.seeds) {
    const data = dataOf(seed);
    const nets: SoftwareNetworks = {};
    const t0 = Date.now();
    for (const r of p.segmentsOhm) for (const t of CIRCUIT_TRAININGS) rows.push(cell(seed, r, t, data, nets));
    opts.onLog?.(`seed ${seed}: ${p.segmentsOhm.length} segment resistances × ${CIRCUIT_TRAININGS.length} trainings in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return rows;
}

/** One cell: train (or reuse `nets`) and evaluate on tiles with segment resistance `segmentOhm`. */
export function circuitAwareCell(p: CircuitAwareProtocol, seed: number, segmentOhm: number, training: CircuitTraining, data: Splits = droletData("paper", seed), nets: SoftwareNetworks = {}): CircuitAwareRow {
  return studyCell(seed, segmentOhm, training, {
    layer: p.layer,
    software: (kind) => (nets[kind] ??= softwareNetwork(kind, seed, p.softwareEpochs, data)),
    fineTune: { data: data.train, epochs: p.circuitEpochs, batchSize: p.batchSize, learningRate: p.learningRate, stream: "circuit-aware" },
    test: data.test,
  });
}

/** Every seed × segment resistance × training of the protocol (software networks trained once per seed). */
export function runCircuitAwareStudy(p: CircuitAwareProtocol, opts: { onLog?: (line: string) => void } = {}): CircuitAwareRow[] {
  return runStudy(p, (seed) => droletData("paper", seed), (seed, r, t, data, nets) => circuitAwareCell(p, seed, r, t, data, nets), opts);
}

/** The grid experiment "circuit-aware" (one cell per seed × training × segment resistance), registered when this module loads. */
export const circuitAwareGrid: GridExperiment = registerExperiment({
  module: __filename,
  name: "circuit-aware",
  version: "1",
  description: "Drolet 2-8-1 two-moons network on passive TiO2 crossbars with line resistance: regular, hardware-aware and circuit-aware (fine-tuned through the exact circuit) training; test accuracy and power per inference on the circuit.",
  parameters: { training: "regular | aware | circuit-aware", segmentOhm: "word- and bit-line segment resistance (Ω)", softwareEpochs: "software training epochs", circuitEpochs: "circuit-aware fine-tuning epochs" },
  defaultGrid: (mode) => {
    const p = circuitAwareProtocol(mode);
    return { experiment: "circuit-aware", mode, axes: { training: [...CIRCUIT_TRAININGS], segmentOhm: [...p.segmentsOhm] }, seeds: [...p.seeds], fixed: { softwareEpochs: p.softwareEpochs, circuitEpochs: p.circuitEpochs } };
  },
  async run(cell, ctx) {
    const p = { ...circuitAwareProtocol(cell.mode), softwareEpochs: cellParam<number>(cell, "softwareEpochs", "number"), circuitEpochs: cellParam<number>(cell, "circuitEpochs", "number") };
    const row = circuitAwareCell(p, cell.seed, cellParam<number>(cell, "segmentOhm", "number"), cellParam<string>(cell, "training", "string") as CircuitTraining);
    ctx.log(`${row.training} at ${row.segmentOhm} Ω: accuracy ${row.accuracy.toFixed(3)}`);
    return { metrics: { accuracy: row.accuracy, sourcesWatt: row.sourcesWatt, wiresWatt: row.wiresWatt } };
  },
});

export interface CircuitAwareSummaryRow {
  readonly segmentOhm: number;
  readonly training: CircuitTraining;
  /** Test accuracy on the circuit over seeds (0–1). */
  readonly accuracy: { mean: number; sd: number; n: number };
  /** Mean power per inference (W) and the share of it lost in the wires (0–1), averaged over seeds. */
  readonly sourcesWatt: number;
  readonly wireShare: number;
  /** Seeds on which this training beats regular training at this resistance (circuit-aware and aware rows). */
  readonly seedsAboveRegular: number;
}

/** Per segment resistance × training: accuracy mean ± sd over seeds, power, wire share, seeds above regular (rows of one kind of devices). */
export function summariseCircuitAware(rows: readonly CircuitAwareRow[]): CircuitAwareSummaryRow[] {
  const kinds = new Set(rows.map((r) => r.devices));
  if (kinds.size > 1) throw new RangeError(`summariseCircuitAware: rows of several kinds of devices (${[...kinds].join(", ")}); summarise each kind on its own`);
  const segments = [...new Set(rows.map((r) => r.segmentOhm))].sort((a, b) => a - b);
  const out: CircuitAwareSummaryRow[] = [];
  for (const segmentOhm of segments) {
    const regular = new Map(rows.filter((r) => r.segmentOhm === segmentOhm && r.training === "regular").map((r) => [r.seed, r.accuracy]));
    for (const training of CIRCUIT_TRAININGS) {
      const rs = rows.filter((r) => r.segmentOhm === segmentOhm && r.training === training);
      if (!rs.length) continue;
      out.push({
        segmentOhm, training,
        accuracy: meanSd(rs.map((r) => r.accuracy)),
        sourcesWatt: meanSd(rs.map((r) => r.sourcesWatt)).mean,
        wireShare: meanSd(rs.map((r) => (r.sourcesWatt > 0 ? r.wiresWatt / r.sourcesWatt : 0))).mean,
        seedsAboveRegular: rs.filter((r) => regular.has(r.seed) && r.accuracy > regular.get(r.seed)!).length,
      });
    }
  }
  return out;
}
