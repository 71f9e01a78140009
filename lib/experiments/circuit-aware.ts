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
import { DROLET_2023_TIO2, TiO2DeviceConfig } from "../devices/tio2";
import type { CrossbarLayerConfig } from "../tile/layer";
import type { Mlp } from "../training/mlp";
import { LabelledData, evaluateOnCircuit, evaluateTransfersOnCircuit, trainOnCircuit } from "../training/circuit-aware";
import { cellParam, GridExperiment, registerExperiment } from "../grid/registry";
import type { RunOutput } from "../grid/store";
import { droletData, droletRunConfig, shareAtLeast, trainDroletNetwork } from "./drolet";
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
  /**
   * The paper's TiO₂ device nonidealities on the wired tiles: the device, how many transfers judge
   * each network, and the segment resistances studied with them (Ω).
   */
  readonly transfers: {
    readonly device: TiO2DeviceConfig;
    readonly count: number;
    readonly segmentsOhm: readonly number[];
  };
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
    transfers: Object.freeze({
      device: DROLET_2023_TIO2,
      count: mode === "quick" ? 100 : 300,
      segmentsOhm: mode === "quick" ? [0, 100] : [0, 30, 100, 300, 1000],
    }),
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
  readonly fineTune: {
    readonly data: LabelledData;
    readonly epochs: number;
    readonly batchSize: number;
    readonly learningRate: number;
    readonly stream: string;
  };
  readonly test: LabelledData;
}

/**
 * One cell of a circuit-aware study: the network of `training` (for "circuit-aware", the regular one
 * fine-tuned through the circuit at R) evaluated on tiles with segment resistance R = `segmentOhm`.
 */
export function studyCell(
  seed: number,
  segmentOhm: number,
  training: CircuitTraining,
  c: StudyCellInputs,
): CircuitAwareRow {
  const { net, layer, devicesStream } = cellNetwork(seed, segmentOhm, training, c);
  const e = evaluateOnCircuit(net, c.test, layer, layer.disturbance ? makeRng(devicesStream) : undefined);
  return {
    seed,
    segmentOhm,
    training,
    accuracy: e.accuracy,
    sourcesWatt: e.sourcesWatt,
    wiresWatt: e.wiresWatt,
    devices: layer.disturbance?.kind ?? "none",
  };
}

/**
 * The network of a cell and the tiles it is judged on: `training`'s software network, or for
 * "circuit-aware" the regular one fine-tuned through the circuit at R. Under a disturbance each
 * stream has its own devices: the fine-tuning draws them per batch; `devicesStream` names the
 * evaluation's generator.
 */
function cellNetwork(
  seed: number,
  segmentOhm: number,
  training: CircuitTraining,
  c: StudyCellInputs,
): { net: Mlp; layer: CrossbarLayerConfig; devicesStream: string } {
  if (!CIRCUIT_TRAININGS.includes(training))
    throw new RangeError(`unknown training "${training}": use ${CIRCUIT_TRAININGS.join(", ")}`);
  if (!(segmentOhm >= 0 && Number.isFinite(segmentOhm)))
    throw new RangeError(`segmentOhm must be a finite number >= 0 (Ω), got ${segmentOhm}`);
  const layer: CrossbarLayerConfig = { ...c.layer, wordSegmentOhm: segmentOhm, bitSegmentOhm: segmentOhm };
  const f = c.fineTune;
  const tag = layer.disturbance ? `/${layer.disturbance.kind}` : "";
  const net =
    training === "circuit-aware"
      ? trainOnCircuit(
          c.software("regular"),
          f.data,
          { epochs: f.epochs, batchSize: f.batchSize, learningRate: f.learningRate, layer },
          makeRng(`${f.stream}${tag}/${seed}/${segmentOhm}`),
        ).net
      : c.software(training);
  return { net, layer, devicesStream: `${f.stream}${tag}/devices/${seed}/${segmentOhm}` };
}

/** Every seed × segment resistance × training, with each seed's data loaded once and its software networks shared by its cells. */
export function runStudy<D, Row = CircuitAwareRow>(
  p: { readonly seeds: readonly number[]; readonly segmentsOhm: readonly number[] },
  dataOf: (seed: number) => D,
  cell: (seed: number, segmentOhm: number, training: CircuitTraining, data: D, nets: SoftwareNetworks) => Row,
  opts: { onLog?: (line: string) => void } = {},
): Row[] {
  const rows: Row[] = [];
  for (const seed of p.seeds) {
    const data = dataOf(seed);
    const nets: SoftwareNetworks = {};
    const t0 = Date.now();
    for (const r of p.segmentsOhm) for (const t of CIRCUIT_TRAININGS) rows.push(cell(seed, r, t, data, nets));
    opts.onLog?.(
      `seed ${seed}: ${p.segmentsOhm.length} segment resistances × ${CIRCUIT_TRAININGS.length} trainings in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  return rows;
}

function droletCellInputs(
  p: CircuitAwareProtocol,
  seed: number,
  data: Splits,
  nets: SoftwareNetworks,
  layer: StudyCellInputs["layer"],
): StudyCellInputs {
  return {
    layer,
    software: (kind) => (nets[kind] ??= softwareNetwork(kind, seed, p.softwareEpochs, data)),
    fineTune: {
      data: data.train,
      epochs: p.circuitEpochs,
      batchSize: p.batchSize,
      learningRate: p.learningRate,
      stream: "circuit-aware",
    },
    test: data.test,
  };
}

/** One cell: train (or reuse `nets`) and evaluate on tiles with segment resistance `segmentOhm`. */
export function circuitAwareCell(
  p: CircuitAwareProtocol,
  seed: number,
  segmentOhm: number,
  training: CircuitTraining,
  data: Splits = droletData("paper", seed),
  nets: SoftwareNetworks = {},
): CircuitAwareRow {
  return studyCell(seed, segmentOhm, training, droletCellInputs(p, seed, data, nets, p.layer));
}

/** A network judged by TiO₂ transfers onto wired tiles. */
export interface CircuitTransferRow {
  readonly seed: number;
  readonly segmentOhm: number;
  readonly training: CircuitTraining;
  /** Accuracy averaged over transfers (0–1). */
  readonly meanAccuracy: number;
  /** Share of test points classified correctly in at least 95 % of transfers (the paper's measure, 0–1). */
  readonly reliableShare: number;
  readonly transfers: number;
}

/**
 * One cell with the paper's device nonidealities on the wired tiles: every layer's devices are one TiO₂
 * transfer (tuning, drift, stuck devices); circuit-aware fine-tuning draws a fresh transfer per batch.
 * The network is judged over `p.transfers.count` transfers; all trainings of a seed and resistance see
 * the same sequence of draws.
 */
export function circuitTransferCell(
  p: CircuitAwareProtocol,
  seed: number,
  segmentOhm: number,
  training: CircuitTraining,
  data: Splits = droletData("paper", seed),
  nets: SoftwareNetworks = {},
): CircuitTransferRow {
  const layer = { ...p.layer, disturbance: { kind: "tio2-transfer", device: p.transfers.device } as const };
  const c = cellNetwork(seed, segmentOhm, training, droletCellInputs(p, seed, data, nets, layer));
  const e = evaluateTransfersOnCircuit(c.net, data.test, c.layer, p.transfers.count, makeRng(c.devicesStream));
  return {
    seed,
    segmentOhm,
    training,
    meanAccuracy: e.meanAccuracy,
    reliableShare: shareAtLeast(e.perPoint, 0.95),
    transfers: e.transfers,
  };
}

/** Every seed × training at the resistances of `p.transfers`, judged by TiO₂ transfers on the wired tiles. */
export function runCircuitTransferStudy(
  p: CircuitAwareProtocol,
  opts: { onLog?: (line: string) => void } = {},
): CircuitTransferRow[] {
  return runStudy(
    { seeds: p.seeds, segmentsOhm: p.transfers.segmentsOhm },
    (seed) => droletData("paper", seed),
    (seed, r, t, data, nets) => circuitTransferCell(p, seed, r, t, data, nets),
    opts,
  );
}

export interface CircuitTransferSummaryRow {
  readonly segmentOhm: number;
  readonly training: CircuitTraining;
  /** Over seeds (0–1). */
  readonly reliableShare: { mean: number; sd: number; n: number };
  readonly meanAccuracy: { mean: number; sd: number; n: number };
  /** Seeds on which this training's reliable share beats regular training's at this resistance. */
  readonly seedsAboveRegular: number;
}

/** Per segment resistance × training: reliable share and mean accuracy over seeds, and seeds above regular. */
export function summariseCircuitTransfers(rows: readonly CircuitTransferRow[]): CircuitTransferSummaryRow[] {
  return bySegmentAndTraining(
    rows,
    (r) => r.reliableShare,
    (rs, segmentOhm, training, seedsAboveRegular) => ({
      segmentOhm,
      training,
      seedsAboveRegular,
      reliableShare: meanSd(rs.map((r) => r.reliableShare)),
      meanAccuracy: meanSd(rs.map((r) => r.meanAccuracy)),
    }),
  );
}

/**
 * One summary per segment resistance × training (resistances ascending, trainings in
 * CIRCUIT_TRAININGS order, empty groups left out), given the group's rows and the number of its seeds
 * whose `score` beats regular training's at that resistance.
 */
function bySegmentAndTraining<
  R extends { readonly seed: number; readonly segmentOhm: number; readonly training: CircuitTraining },
  S,
>(
  rows: readonly R[],
  score: (r: R) => number,
  summarise: (rs: readonly R[], segmentOhm: number, training: CircuitTraining, seedsAboveRegular: number) => S,
): S[] {
  const segments = [...new Set(rows.map((r) => r.segmentOhm))].sort((a, b) => a - b);
  const out: S[] = [];
  for (const segmentOhm of segments) {
    const regular = new Map(
      rows.filter((r) => r.segmentOhm === segmentOhm && r.training === "regular").map((r) => [r.seed, score(r)]),
    );
    for (const training of CIRCUIT_TRAININGS) {
      const rs = rows.filter((r) => r.segmentOhm === segmentOhm && r.training === training);
      if (rs.length)
        out.push(
          summarise(
            rs,
            segmentOhm,
            training,
            rs.filter((r) => regular.has(r.seed) && score(r) > regular.get(r.seed)!).length,
          ),
        );
    }
  }
  return out;
}

/** Every seed × segment resistance × training of the protocol (software networks trained once per seed). */
export function runCircuitAwareStudy(
  p: CircuitAwareProtocol,
  opts: { onLog?: (line: string) => void } = {},
): CircuitAwareRow[] {
  return runStudy(
    p,
    (seed) => droletData("paper", seed),
    (seed, r, t, data, nets) => circuitAwareCell(p, seed, r, t, data, nets),
    opts,
  );
}

/** The devices of a circuit-aware grid cell: ideal, or one TiO₂ transfer per evaluation judged over many. */
export const CIRCUIT_DEVICES = Object.freeze(["ideal", "tio2"] as const);
export type CircuitDevices = (typeof CIRCUIT_DEVICES)[number];

/** The grid experiment "circuit-aware" (one cell per seed × training × segment resistance × devices), registered when this module loads. */
export const circuitAwareGrid: GridExperiment = registerExperiment({
  module: __filename,
  name: "circuit-aware",
  version: "2",
  description:
    "Drolet 2-8-1 two-moons network on passive TiO2 crossbars with line resistance, devices ideal or with the paper's TiO2 nonidealities (judged over transfers): regular, hardware-aware and circuit-aware (fine-tuned through the exact circuit) training; test accuracy and power per inference (ideal), mean accuracy and share of points correct in >= 95 % of transfers (tio2).",
  parameters: {
    training: "regular | aware | circuit-aware",
    segmentOhm: "word- and bit-line segment resistance (Ω)",
    devices: "ideal | tio2 (tuning, drift and stuck devices, judged over transfers)",
    softwareEpochs: "software training epochs",
    circuitEpochs: "circuit-aware fine-tuning epochs",
  },
  defaultGrid: (mode) => {
    const p = circuitAwareProtocol(mode);
    return {
      experiment: "circuit-aware",
      mode,
      axes: { training: [...CIRCUIT_TRAININGS], segmentOhm: [...p.segmentsOhm], devices: [...CIRCUIT_DEVICES] },
      seeds: [...p.seeds],
      fixed: { softwareEpochs: p.softwareEpochs, circuitEpochs: p.circuitEpochs },
    };
  },
  async run(cell, ctx): Promise<RunOutput> {
    const p = {
      ...circuitAwareProtocol(cell.mode),
      softwareEpochs: cellParam<number>(cell, "softwareEpochs", "number"),
      circuitEpochs: cellParam<number>(cell, "circuitEpochs", "number"),
    };
    const devices = cellParam<string>(cell, "devices", "string") as CircuitDevices;
    if (!CIRCUIT_DEVICES.includes(devices))
      throw new RangeError(`unknown devices "${devices}": use ${CIRCUIT_DEVICES.join(" or ")}`);
    const segmentOhm = cellParam<number>(cell, "segmentOhm", "number"),
      training = cellParam<string>(cell, "training", "string") as CircuitTraining;
    if (devices === "tio2") {
      const row = circuitTransferCell(p, cell.seed, segmentOhm, training);
      ctx.log(
        `${row.training} at ${row.segmentOhm} Ω, TiO₂ transfers: mean accuracy ${row.meanAccuracy.toFixed(3)}, reliable share ${row.reliableShare.toFixed(3)} over ${row.transfers}`,
      );
      return { metrics: { meanAccuracy: row.meanAccuracy, reliableShare: row.reliableShare } };
    }
    const row = circuitAwareCell(p, cell.seed, segmentOhm, training);
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
  if (kinds.size > 1)
    throw new RangeError(
      `summariseCircuitAware: rows of several kinds of devices (${[...kinds].join(", ")}); summarise each kind on its own`,
    );
  return bySegmentAndTraining(
    rows,
    (r) => r.accuracy,
    (rs, segmentOhm, training, seedsAboveRegular) => ({
      segmentOhm,
      training,
      seedsAboveRegular,
      accuracy: meanSd(rs.map((r) => r.accuracy)),
      sourcesWatt: meanSd(rs.map((r) => r.sourcesWatt)).mean,
      wireShare: meanSd(rs.map((r) => (r.sourcesWatt > 0 ? r.wiresWatt / r.sourcesWatt : 0))).mean,
    }),
  );
}
