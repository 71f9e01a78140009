/**
 * Experiments that can run as grids. Each declares a code version (bump it when a change alters
 * results: it is part of every run id), its default grid per mode, and a run function that turns
 * one cell into metrics. Add an experiment by adding an entry here (see README.md).
 */
import type { RunMode } from "../runtime/mode";
import { rng as makeRng } from "../runtime/random";
import { initBackend } from "../runtime/backend";
import { idealVsExactError } from "../experiments/crossbar-study";
import { droletRunConfig, runDrolet } from "../experiments/drolet";
import { JOKSAS_TRAININGS, SetupId, inferJoksas, joksasProtocol, loadJoksasData, trainJoksas } from "../experiments/joksas";
import { ROBUSTNESS_SETUPS, ROBUSTNESS_TRAININGS } from "../experiments/joksas-robustness";
import { median } from "../training/memristive-mlp";
import type { Cell, GridSpec } from "./grid";
import type { RunOutput } from "./store";

export interface RunContext {
  /** Write a line to this run's log. */
  readonly log: (line: string) => void;
}

export interface GridExperiment {
  readonly name: string;
  /** Code version: part of every run id; bump when a change alters this experiment's results. */
  readonly version: string;
  readonly description: string;
  /** What each axis / fixed parameter means (with units). */
  readonly parameters: Readonly<Record<string, string>>;
  defaultGrid(mode: RunMode): GridSpec;
  run(cell: Cell, ctx: RunContext): Promise<RunOutput>;
}

function param<T extends string | number | boolean>(cell: Cell, name: string, type: "string" | "number" | "boolean"): T {
  const v = cell.params[name];
  if (typeof v !== type) throw new Error(`${cell.experiment}: parameter "${name}" must be a ${type}, got ${JSON.stringify(v)}`);
  return v as T;
}

const crossbarIrDrop: GridExperiment = {
  name: "crossbar-ir-drop",
  version: "1",
  description: "Random n×n passive crossbar (R ~ U(lowOhm, highOhm)), random inputs U(0, 1 V): max |I_ideal − I_exact| / max |I_exact| of the output currents, solved exactly (line Gauss–Seidel).",
  parameters: { size: "array size n (rows = columns)", segmentOhm: "word- and bit-line segment resistance (Ω)", inputs: "input vectors per array", lowOhm: "lowest device resistance (Ω)", highOhm: "highest device resistance (Ω)" },
  defaultGrid: (mode) => ({
    experiment: "crossbar-ir-drop",
    mode,
    axes: mode === "quick" ? { size: [16, 32, 64], segmentOhm: [0.1, 1, 10] } : { size: [16, 32, 64, 128, 256], segmentOhm: [0.1, 0.3, 1, 3, 10] },
    seeds: mode === "quick" ? [0, 1, 2] : [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    fixed: { inputs: mode === "quick" ? 4 : 16, lowOhm: 1e3, highOhm: 1e5 },
  }),
  async run(cell, ctx) {
    const n = param<number>(cell, "size", "number"), r = param<number>(cell, "segmentOhm", "number");
    const lo = param<number>(cell, "lowOhm", "number"), hi = param<number>(cell, "highOhm", "number");
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`crossbar-ir-drop: size must be a positive integer, got ${n}`);
    if (!(r >= 0)) throw new RangeError(`crossbar-ir-drop: segmentOhm must be >= 0, got ${r}`);
    if (!(lo > 0 && hi >= lo)) throw new RangeError(`crossbar-ir-drop: need 0 < lowOhm <= highOhm, got ${lo}, ${hi}`);
    const err = idealVsExactError(n, [lo, hi], r, makeRng(`crossbar-ir-drop/${n}/${r}/${cell.seed}`), { inputs: param<number>(cell, "inputs", "number") });
    ctx.log(`n = ${n}, segment ${r} Ω: max relative error ${err.toExponential(3)}`);
    return { metrics: { maxRelativeError: err } };
  },
};

const droletTransfer: GridExperiment = {
  name: "drolet-transfer",
  version: "1",
  description: "Drolet et al. 2023: train a 2-8-1 network (regular or hardware-aware) on half moons, transfer it many times onto TiO2 crossbars; share of test points classified correctly in ≥ 95 % of transfers.",
  parameters: { training: "regular | aware", epochs: "training epochs", transfers: "simulated transfers" },
  defaultGrid: (mode) => ({
    experiment: "drolet-transfer",
    mode,
    axes: { training: ["aware", "regular"] },
    seeds: mode === "quick" ? [0, 1, 2] : [0, 1, 2, 3, 4],
    fixed: mode === "quick" ? { epochs: 2500, transfers: 300 } : { epochs: 10000, transfers: 1000 },
  }),
  async run(cell, ctx) {
    const kind = param<string>(cell, "training", "string");
    if (kind !== "aware" && kind !== "regular") throw new Error(`drolet-transfer: training must be "aware" or "regular", got "${kind}"`);
    const r = runDrolet(droletRunConfig(kind, { seed: cell.seed, epochs: param<number>(cell, "epochs", "number"), transfers: param<number>(cell, "transfers", "number") }), undefined, { onLog: ctx.log });
    return { metrics: { share95: r.share95, cleanTestAccuracy: r.cleanTestAccuracy } };
  },
};

const joksas: GridExperiment = {
  name: "joksas",
  version: "5",
  description: "Joksas et al. 2022: train one configuration (T0–T16) on MNIST and run the inference protocol on each of its setups (median test error, power, TOPS/W).",
  parameters: { training: "configuration key T0…T16 (spec §7.1)", dataset: "optional: mnist (default) or fashion-mnist" },
  defaultGrid: (mode) => ({
    experiment: "joksas",
    mode,
    axes: { training: Object.keys(JOKSAS_TRAININGS) },
    seeds: mode === "quick" ? [0] : [0, 1, 2, 3, 4],
  }),
  run: (cell, ctx) => runJoksasCell(cell, ctx, (cfg) => cfg.inference as SetupId[]),
};

const known = (xs: readonly (number | null)[]): xs is readonly number[] => xs.every((x) => x !== null);

/** Train (or load from the weight cache) one configuration, infer it on `setups`, one row per setup. */
async function runJoksasCell(cell: Cell, ctx: RunContext, setups: (cfg: (typeof JOKSAS_TRAININGS)[string]) => readonly SetupId[]): Promise<RunOutput> {
  const key = param<string>(cell, "training", "string");
  const cfg = JOKSAS_TRAININGS[key];
  if (!cfg) throw new Error(`${cell.experiment}: unknown training "${key}": use ${Object.keys(JOKSAS_TRAININGS).join(", ")}`);
  const dataset = cell.params.dataset ?? "mnist";
  if (dataset !== "mnist" && dataset !== "fashion-mnist") throw new Error(`${cell.experiment}: parameter "dataset" must be "mnist" or "fashion-mnist", got ${JSON.stringify(dataset)}`);
  const backend = await initBackend();
  const protocol = joksasProtocol(cell.mode, { dataset });
  // one split for every seed, as in the paper (a fixed split; the seed draws the network and its training)
  const data = loadJoksasData(protocol);
  // test curves on the paper's inference setups of this configuration (monitoring does not change the network)
  const net = trainJoksas(cfg, protocol, data, cell.seed, { onLog: ctx.log, monitor: cfg.inference });
  const rows = setups(cfg).map((setup) => {
    const s = inferJoksas(net, setup, data, protocol);
    ctx.log(`${key} on ${setup}: median error ${s.medianErrorPercent.toFixed(2)} %`);
    return { setup, medianErrorPercent: s.medianErrorPercent, meanPowerWatt: s.meanPowerWatt, efficiencyTopsPerWatt: s.efficiencyTopsPerWatt, errors: [...s.errors], ...(known(s.powersWatt) ? { powersWatt: [...s.powersWatt] } : {}) };
  });
  // scalar metrics: inference on the setup the network was trained on (null for T0, trained ideal: see rows)
  const own = rows.find((r) => r.setup === cfg.setup);
  return {
    metrics: { trainedOn: cfg.setup, medianErrorPercent: own?.medianErrorPercent ?? null, meanPowerWatt: own?.meanPowerWatt ?? null, efficiencyTopsPerWatt: own?.efficiencyTopsPerWatt ?? null, bestEpoch: net.result.bestEpoch },
    rows,
    curves: {
      trainLoss: net.result.curve.map((c) => c.trainLoss),
      trainError: net.result.curve.map((c) => c.trainError),
      ...Object.fromEntries(cfg.inference.map((id) => [`testErrorMedian/${id}`, net.result.monitor.filter((m) => m.setupId === id).map((m) => median(m.errors))])),
      monitorEpochs: [...new Set(net.result.monitor.map((m) => m.epoch))],
    },
    backend: backend.name,
  };
}

const joksasRobustness: GridExperiment = {
  name: "joksas-robustness",
  version: "4",
  description: "Joksas et al. 2022 robustness heatmap: each of the 13 trainings T0–T8, T13–T16 inferred on all 9 setups D0–D8 (median test error per cell).",
  parameters: { training: "configuration key (ROBUSTNESS_TRAININGS)", dataset: "optional: mnist (default) or fashion-mnist" },
  defaultGrid: (mode) => ({ experiment: "joksas-robustness", mode, axes: { training: [...ROBUSTNESS_TRAININGS] }, seeds: mode === "quick" ? [0] : [0, 1, 2, 3, 4] }),
  run: (cell, ctx) => runJoksasCell(cell, ctx, () => ROBUSTNESS_SETUPS),
};

export const GRID_EXPERIMENTS: Readonly<Record<string, GridExperiment>> = Object.freeze({
  [crossbarIrDrop.name]: crossbarIrDrop,
  [droletTransfer.name]: droletTransfer,
  [joksas.name]: joksas,
  [joksasRobustness.name]: joksasRobustness,
});

export function gridExperiment(name: string): GridExperiment {
  const e = GRID_EXPERIMENTS[name];
  if (!e) throw new Error(`unknown grid experiment "${name}": use one of ${Object.keys(GRID_EXPERIMENTS).join(", ")}`);
  return e;
}
