/**
 * Notebook 12's study (periphery-time.ts's parts, per task and seed), its summaries, the claims
 * it tests against the peers' documented behaviour (rules fixed here, before any run) and the grid
 * experiment "periphery-time".
 */
import { rng as makeRng } from "../runtime/random";
import { meanSd } from "../runtime/stats";
import { cellParam, GridExperiment, registerExperiment } from "../grid/registry";
import { evaluateLayers } from "../training/analog-inference";
import { circuitLayers } from "../training/circuit-aware";
import type { TileNetwork } from "../training/analog-inference";
import type { Mlp } from "../training/mlp";
import { ClaimResult, claim, formatMeanSd, measuredClaim } from "./claims";
import {
  DRIFT_COMPENSATIONS,
  PeripheryTimeProtocol,
  RANGE_KINDS,
  TASKS,
  Task,
  adcPeriphery,
  calibratedFixedRanges,
  dacPeriphery,
  doubleWeightNetworks,
  errorOverTime,
  errorWithPeriphery,
  fineTuneDriftAware,
  fineTuneWithPeriphery,
  lowResolutionLayers,
  peripheryTimeProtocol,
  softwareNetworks,
  taskData,
  taskLayer,
} from "./periphery-time";

export const SWEEPS = Object.freeze(["ideal", "adc", "dac", "time", "low-resolution"] as const);
export type Sweep = (typeof SWEEPS)[number];
/**
 * Networks: the two software trainings (and, for MNIST, Joksas' double-weight T3 and T4), and the
 * standard one fine-tuned with the periphery in the loop or drift-aware.
 */
export const NETWORKS = Object.freeze(["standard", "aware", "T3", "T4", "periphery-in-loop", "drift-aware"] as const);
export type NetworkKind = (typeof NETWORKS)[number];

export interface PeripheryTimeRow {
  readonly task: Task;
  readonly network: NetworkKind;
  readonly seed: number;
  readonly sweep: Sweep;
  /** ADC range kind (adc sweep), else "". */
  readonly range: string;
  /** Converter bits (adc, dac sweeps; the ADC bits on wired tiles), else 0. */
  readonly bits: number;
  /** Read time after programming (s; time sweep), else 0. */
  readonly tSecond: number;
  readonly compensation: string;
  readonly segmentOhm: number;
  /** Test error (0–1). */
  readonly error: number;
  /** Share of ADC conversions clipped (0 without an ADC). */
  readonly clippedOutputs: number;
}

type RowPart = Partial<PeripheryTimeRow> & Pick<PeripheryTimeRow, "network" | "sweep" | "error">;

/** Every sweep of one task and seed; `onLog` reports each part as it ends. */
export function runPeripheryTimeSeed(
  p: PeripheryTimeProtocol,
  task: Task,
  seed: number,
  opts: { onLog?: (s: string) => void } = {},
): PeripheryTimeRow[] {
  const rows: PeripheryTimeRow[] = [];
  const add = (r: RowPart, segmentOhm = 0) =>
    rows.push({ task, seed, range: "", bits: 0, tSecond: 0, compensation: "", clippedOutputs: 0, segmentOhm, ...r });
  const log = (s: string) => opts.onLog?.(`${task} seed ${seed}: ${s}`);
  const data = taskData(p, task, seed),
    layer = taskLayer(task);
  const nets = softwareNetworks(p, task, seed);
  const swept: Partial<Record<NetworkKind, Mlp | TileNetwork>> = {
    ...nets,
    ...(task === "mnist" ? doubleWeightNetworks(seed) : {}),
  };
  for (const [network, net] of Object.entries(swept) as Array<[NetworkKind, Mlp | TileNetwork]>) {
    add({ network, sweep: "ideal", error: errorWithPeriphery(p, net, data, layer).error });
    for (const range of RANGE_KINDS)
      for (const bits of p.adcBits) {
        const e = errorWithPeriphery(p, net, data, { ...layer, periphery: adcPeriphery(p, layer, bits, range) });
        add({ network, sweep: "adc", range, bits, error: e.error, clippedOutputs: e.clippedOutputs });
      }
    for (const bits of p.dacBits)
      add({
        network,
        sweep: "dac",
        bits,
        error: errorWithPeriphery(p, net, data, { ...layer, periphery: dacPeriphery(layer, bits) }).error,
      });
    for (const r of errorOverTime(
      net,
      data,
      layer,
      p.timesSecond,
      DRIFT_COMPENSATIONS,
      makeRng(`periphery-time/program/${task}/${seed}/${network}`),
      p.reads[task],
    ))
      add({ network, sweep: "time", ...r });
    log(`${network}: ADC, DAC and time sweeps done`);
  }
  const ranges = calibratedFixedRanges(p, nets.standard, data, layer, p.fineTune.adcBits);
  const low = lowResolutionLayers(p, layer, ranges);
  for (const network of ["standard", "aware"] as const)
    add({
      network,
      sweep: "low-resolution",
      bits: p.fineTune.adcBits,
      error: evaluateLayers(circuitLayers(nets[network], low), data.test).error,
    });
  const tuned = fineTuneWithPeriphery(p, task, nets.standard, data, layer, ranges, seed);
  add({
    network: "periphery-in-loop",
    sweep: "low-resolution",
    bits: p.fineTune.adcBits,
    error: evaluateLayers(circuitLayers(tuned.net, tuned.layers), data.test).error,
  });
  add({ network: "periphery-in-loop", sweep: "ideal", error: errorWithPeriphery(p, tuned.net, data, layer).error });
  const learned = tuned.layers.map((l) => (l.periphery!.adc!.range as { rangeAmpere: number }).rangeAmpere);
  log(
    `periphery in the loop: ADC ranges ${ranges.map((r) => r.toExponential(2)).join(", ")} A → learned ${learned.map((r) => r.toExponential(2)).join(", ")} A`,
  );
  const drift = fineTuneDriftAware(p, task, nets.standard, data, layer, seed);
  add({ network: "drift-aware", sweep: "ideal", error: errorWithPeriphery(p, drift, data, layer).error });
  for (const r of errorOverTime(
    drift,
    data,
    layer,
    p.timesSecond,
    DRIFT_COMPENSATIONS,
    makeRng(`periphery-time/program/${task}/${seed}/drift-aware`),
    p.reads[task],
  ))
    add({ network: "drift-aware", sweep: "time", ...r });
  log("fine-tuning with the periphery in the loop and drift-aware done");
  // wired tiles: the standard and aware networks with line resistance
  const seg = p.wired.segmentOhm[task],
    wired = taskLayer(task, seg),
    wdata = taskData(p, task, seed, p.wired.testDigits);
  for (const network of ["standard", "aware"] as const) {
    const net = nets[network];
    add({ network, sweep: "ideal", error: errorWithPeriphery(p, net, wdata, wired).error }, seg);
    for (const bits of p.wired.adcBits) {
      const e = errorWithPeriphery(p, net, wdata, { ...wired, periphery: adcPeriphery(p, wired, bits, "calibrated") });
      add({ network, sweep: "adc", range: "calibrated", bits, error: e.error, clippedOutputs: e.clippedOutputs }, seg);
    }
    if (network !== "standard") continue; // ageing on wired tiles: the standard network (each compensation read drives every one-hot input)
    const times = errorOverTime(
      net,
      wdata,
      wired,
      p.wired.timesSecond,
      ["none", "global"],
      makeRng(`periphery-time/program-wired/${task}/${seed}/${network}`),
    );
    for (const r of times) add({ network, sweep: "time", ...r }, seg);
  }
  log(`wired tiles (${seg} Ω segments) done`);
  return rows;
}

/** Every task and seed of the protocol. */
export function runPeripheryTimeStudy(
  p: PeripheryTimeProtocol,
  opts: { onLog?: (s: string) => void; tasks?: readonly Task[] } = {},
): PeripheryTimeRow[] {
  return (opts.tasks ?? TASKS).flatMap((task) => p.seeds.flatMap((seed) => runPeripheryTimeSeed(p, task, seed, opts)));
}

export interface SummaryRow extends Omit<PeripheryTimeRow, "seed" | "error" | "clippedOutputs"> {
  /** Test error (%): mean ± sd over seeds. */
  readonly errorPct: { mean: number; sd: number; n: number };
  readonly clippedPct: number;
  readonly seeds: readonly number[];
}

/** Mean ± sd over seeds of every setting. */
export function summarisePeripheryTime(rows: readonly PeripheryTimeRow[]): SummaryRow[] {
  const groups = new Map<string, PeripheryTimeRow[]>();
  for (const r of rows) {
    const k = JSON.stringify([r.task, r.network, r.sweep, r.range, r.bits, r.tSecond, r.compensation, r.segmentOhm]);
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const { seed: _s, error: _e, clippedOutputs: _c, ...key } = g[0];
    return {
      ...key,
      errorPct: meanSd(g.map((r) => 100 * r.error)),
      clippedPct: (100 * g.reduce((s, r) => s + r.clippedOutputs, 0)) / g.length,
      seeds: g.map((r) => r.seed),
    };
  });
}

/** Points of test error within which a setting counts as reaching the ideal tile's error. */
export const PLATEAU_POINTS = 1;

/** The fewest ADC bits of a range kind whose mean error is within PLATEAU_POINTS of the ideal tile's (Infinity if none). */
export function bitsNeeded(
  s: readonly SummaryRow[],
  task: Task,
  network: NetworkKind,
  range: string,
  segmentOhm = 0,
): number {
  const ideal = s.find(
    (r) => r.task === task && r.network === network && r.sweep === "ideal" && r.segmentOhm === segmentOhm,
  );
  if (!ideal) throw new Error(`bitsNeeded: no ideal-tile row for ${task} / ${network} at ${segmentOhm} Ω`);
  const ok = s.filter(
    (r) =>
      r.task === task &&
      r.network === network &&
      r.sweep === "adc" &&
      r.range === range &&
      r.segmentOhm === segmentOhm &&
      r.errorPct.mean <= ideal.errorPct.mean + PLATEAU_POINTS,
  );
  return ok.length ? Math.min(...ok.map((r) => r.bits)) : Infinity;
}

export const PERIPHERY_TIME_CLAIMS = Object.freeze({
  plateau: claim({
    id: "P1",
    paper: "rasch-2023",
    statement: "Test error falls as the ADC's resolution grows, until it plateaus at the error of ideal converters.",
    source: "aihwkit IOParameters (out_res); Rasch et al. 2023, ADC resolution study",
    paperValue: "qualitative",
    paperNumbers: [],
    measuredAs: "MNIST standard network, calibrated ADC range, ideal wires; mean over seeds at each bit count",
    rule: `mean error never rises by more than 0.5 points from one bit count to the next, and the highest bit count is within ${PLATEAU_POINTS} point of ideal converters`,
  }),
  calibrated: claim({
    id: "P2",
    paper: "crosssim",
    statement:
      "An ADC range calibrated on the layer's outputs needs fewer bits than the largest range the mapping allows.",
    source: "CrossSim's default adc_range_option CALIBRATED",
    paperValue: "qualitative",
    paperNumbers: [],
    measuredAs: `fewest bits within ${PLATEAU_POINTS} point of ideal converters (MNIST standard network)`,
    rule: "bits needed (calibrated) < bits needed (max)",
  }),
  compensation: claim({
    id: "P3",
    paper: "rasch-2023",
    statement:
      "Without compensation, conductance drift raises the error over time; global drift compensation removes most of the rise.",
    source: "aihwkit GlobalDriftCompensation; Rasch et al. 2023",
    paperValue: "qualitative",
    paperNumbers: [],
    measuredAs:
      "MNIST standard network, aihwkit's PCM-like model, rise of the mean error from t₀ to the last read time",
    rule: "rise without compensation ≥ 1 point, and the rise with global compensation ≤ half of it",
  }),
  peripheryInLoop: claim({
    id: "P4",
    paper: "rasch-2023",
    statement:
      "Training with the converters in the loop wins back what low-resolution converters cost a standard network.",
    source: "Rasch et al. 2023, hardware-aware training",
    paperValue: "qualitative",
    paperNumbers: [],
    measuredAs:
      "MNIST, low-resolution DAC and ADC (the protocol's bits, ADC at calibrated fixed ranges): standard network vs the same fine-tuned with them in the loop (ADC ranges learned)",
    rule: "the fine-tuned network recovers at least half of the standard network's loss against ideal converters (means over seeds)",
  }),
  driftAware: claim({
    id: "P5",
    paper: "rasch-2023",
    statement: "Drift-aware training lowers the error a network has long after programming.",
    source: "Rasch et al. 2023, training with drift in the loop",
    paperValue: "qualitative",
    paperNumbers: [],
    measuredAs: "MNIST, error a year after programming without compensation: standard vs drift-aware fine-tuned",
    rule: "lower mean error, and lower on a majority of the seeds",
  }),
});

const at = (s: readonly SummaryRow[], q: Partial<SummaryRow>) => {
  const r = s.find((x) => Object.entries(q).every(([k, v]) => (x as unknown as Record<string, unknown>)[k] === v));
  if (!r) throw new Error(`periphery-time claims: no summary row for ${JSON.stringify(q)}`);
  return r;
};

/** P1–P5 from the study's rows (the MNIST task at ideal wires). */
export function evaluatePeripheryTimeClaims(
  p: PeripheryTimeProtocol,
  rows: readonly PeripheryTimeRow[],
): ClaimResult[] {
  const s = summarisePeripheryTime(rows.filter((r) => r.task === "mnist" && r.segmentOhm === 0)),
    seeds = [...p.seeds],
    n = seeds.length;
  const base = { task: "mnist" as Task, segmentOhm: 0 };
  const ideal = at(s, { ...base, network: "standard", sweep: "ideal" }).errorPct;
  const curve = p.adcBits.map(
    (bits) => at(s, { ...base, network: "standard", sweep: "adc", range: "calibrated", bits }).errorPct.mean,
  );
  const monotone = curve.every((e, i) => i === 0 || e <= curve[i - 1] + 0.5);
  const last = curve[curve.length - 1];
  const need = (range: string) => bitsNeeded(s, "mnist", "standard", range);
  const t0 = p.timesSecond[0],
    tEnd = p.timesSecond[p.timesSecond.length - 1];
  const err = (network: NetworkKind, t: number, c: string) =>
    at(s, { ...base, network, sweep: "time", tSecond: t, compensation: c }).errorPct;
  const rise = (c: string) => err("standard", tEnd, c).mean - err("standard", t0, c).mean;
  const low = (network: NetworkKind) => at(s, { ...base, network, sweep: "low-resolution" }).errorPct;
  const lost = low("standard").mean - ideal.mean,
    won = low("standard").mean - low("periphery-in-loop").mean;
  const perSeed = (network: NetworkKind) =>
    seeds.map(
      (seed) =>
        rows.find(
          (r) =>
            r.task === "mnist" &&
            r.segmentOhm === 0 &&
            r.seed === seed &&
            r.network === network &&
            r.sweep === "time" &&
            r.tSecond === tEnd &&
            r.compensation === "none",
        )!.error,
    );
  const std = perSeed("standard"),
    da = perSeed("drift-aware"),
    better = std.filter((e, i) => da[i] < e).length;
  const f = (x: { mean: number; sd: number; n: number }) => formatMeanSd(x, 1, " %");
  const C = PERIPHERY_TIME_CLAIMS;
  return [
    measuredClaim(C.plateau, {
      n,
      seeds,
      measured: `${p.adcBits.map((b, i) => `${b} bits ${curve[i].toFixed(1)} %`).join(", ")}; ideal ${f(ideal)}`,
      reproduced: monotone && last <= ideal.mean + PLATEAU_POINTS,
    }),
    measuredClaim(C.calibrated, {
      n,
      seeds,
      measured: `calibrated ${need("calibrated")} bits, max ${need("max")} bits, fixed (12 units) ${need("fixed")} bits`,
      reproduced: need("calibrated") < need("max"),
    }),
    measuredClaim(C.compensation, {
      n,
      seeds,
      measured: `rise over ${(tEnd / 86400).toFixed(0)} days: none ${rise("none").toFixed(1)}, global ${rise("global").toFixed(1)}, per-column ${rise("per-column").toFixed(1)} points`,
      reproduced: rise("none") >= 1 && rise("global") <= rise("none") / 2,
    }),
    measuredClaim(C.peripheryInLoop, {
      n,
      seeds,
      measured: `ideal ${f(ideal)}; ${p.fineTune.adcBits}-bit: standard ${f(low("standard"))}, fine-tuned ${f(low("periphery-in-loop"))} (recovers ${lost > 0 ? ((100 * won) / lost).toFixed(0) : "—"} % of ${lost.toFixed(1)} points)`,
      reproduced: lost > 0 && won >= lost / 2,
    }),
    measuredClaim(C.driftAware, {
      n,
      seeds,
      measured: `after a year, no compensation: standard ${f(err("standard", tEnd, "none"))}, drift-aware ${f(err("drift-aware", tEnd, "none"))}; lower on ${better} of ${n} seeds`,
      reproduced: err("drift-aware", tEnd, "none").mean < err("standard", tEnd, "none").mean && better > n / 2,
    }),
  ];
}

/** The grid experiment "periphery-time": one cell per task × seed, every sweep of notebook 12 as its rows. */
export const peripheryTimeGrid: GridExperiment = registerExperiment({
  module: __filename,
  name: "periphery-time",
  version: "2",
  description:
    "Notebook 12: trained networks (Joksas MNIST T0/T10, Drolet moons) on tiles with DAC/ADC sweeps (fixed, max, calibrated ranges), PCM-like drift over time with no/global/per-column compensation, periphery-in-the-loop and drift-aware fine-tuning, and wired tiles.",
  parameters: {
    task: "mnist (Joksas 784-25-10) | moons (Drolet 2-8-1)",
    metrics:
      "errors (0–1) of the standard network; bits needed within 1 point of ideal converters (−1: none of the bits asked)",
  },
  defaultGrid: (mode) => ({
    experiment: "periphery-time",
    mode,
    axes: { task: [...TASKS] },
    seeds: [...peripheryTimeProtocol(mode).seeds],
    fixed: {},
  }),
  async run(cell, ctx) {
    const p = peripheryTimeProtocol(cell.mode),
      task = cellParam<string>(cell, "task", "string") as Task;
    if (!TASKS.includes(task)) throw new RangeError(`unknown task "${task}": use ${TASKS.join(" or ")}`);
    const rows = runPeripheryTimeSeed(p, task, cell.seed, { onLog: ctx.log });
    const err = (q: Partial<PeripheryTimeRow>) =>
      rows.find(
        (r) =>
          r.network === "standard" &&
          r.segmentOhm === 0 &&
          Object.entries(q).every(([k, v]) => (r as unknown as Record<string, unknown>)[k] === v),
      )!.error;
    const tEnd = p.timesSecond[p.timesSecond.length - 1],
      s = summarisePeripheryTime(rows);
    const finite = (b: number) => (Number.isFinite(b) ? b : -1);
    return {
      metrics: {
        idealError: err({ sweep: "ideal" }),
        bitsNeededCalibrated: finite(bitsNeeded(s, task, "standard", "calibrated")),
        bitsNeededMax: finite(bitsNeeded(s, task, "standard", "max")),
        errorLastReadNone: err({ sweep: "time", tSecond: tEnd, compensation: "none" }),
        errorLastReadGlobal: err({ sweep: "time", tSecond: tEnd, compensation: "global" }),
        errorLowResolution: err({ sweep: "low-resolution" }),
        errorLowResolutionInLoop: rows.find((r) => r.network === "periphery-in-loop" && r.sweep === "low-resolution")!
          .error,
      },
      rows: rows.map((r) => ({ ...r })),
    };
  },
});
