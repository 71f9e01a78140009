/** Studies for notebook 05: how line resistance and biasing change what a passive crossbar computes. */
import type { Rng } from "../runtime/random";
import { topologyFromConductances } from "../crossbar/circuit";
import { CrossbarSystem, solveCrossbar } from "../crossbar/solver";
import { BiasScheme, readMargin } from "../crossbar/biasing";
import { CrossbarLayerConfig, mlpOnCrossbar } from "../tile/network";
import type { Dataset } from "../data/moons";
import type { Mlp } from "../training/mlp";
import { rng as makeRng } from "../runtime/random";
import { cellParam, GridExperiment, registerExperiment } from "../grid/registry";

/** Random n×n array with R ~ U(lo, hi), random inputs U(0, vMax); max|I_ideal − I_exact| / max|I_exact| of the outputs. */
export function idealVsExactError(
  n: number,
  resistanceRangeOhm: readonly [number, number],
  segmentOhm: number,
  rng: Rng,
  opts: { inputs?: number; maxVolt?: number } = {},
): number {
  const g = Float64Array.from({ length: n * n }, () => 1 / rng.uniform(resistanceRangeOhm[0], resistanceRangeOhm[1]));
  const p = opts.inputs ?? 4;
  const drive = {
    wordLeftVolt: Array.from({ length: p }, () => Array.from({ length: n }, () => rng.uniform(0, opts.maxVolt ?? 1))),
  };
  const exact = solveCrossbar(
    topologyFromConductances(g, n, n, { wordSegmentOhm: segmentOhm, bitSegmentOhm: segmentOhm }),
    drive,
    { engine: "gauss-seidel" },
  );
  let err = 0,
    scale = 0;
  for (let k = 0; k < p; k++) {
    for (let j = 0; j < n; j++) {
      let ideal = 0;
      for (let i = 0; i < n; i++) ideal += drive.wordLeftVolt[k][i] * g[i * n + j];
      const ex = exact.outputCurrents[k * n + j];
      err = Math.max(err, Math.abs(ideal - ex));
      scale = Math.max(scale, Math.abs(ex));
    }
  }
  return err / scale;
}

/** Read margin and half-select stress of the worst-case cell versus array size for a biasing scheme. */
export function biasingSweep(
  sizes: readonly number[],
  scheme: BiasScheme,
  opts: { gOnSiemens: number; gOffSiemens: number; backgroundSiemens: number; voltageVolt: number; segmentOhm: number },
): Array<{ n: number; margin: number; maxHalfSelectVolt: number; sneakShare: number; powerWatt: number }> {
  return sizes.map((n) => {
    const r = readMargin(n, n, scheme, { ...opts, wordSegmentOhm: opts.segmentOhm, bitSegmentOhm: opts.segmentOhm });
    return {
      n,
      margin: r.margin,
      maxHalfSelectVolt: r.lrs.maxUnselectedVoltageVolt,
      sneakShare: r.hrs.sneakCurrentAmp / r.hrs.measuredCurrentAmp,
      powerWatt: r.lrs.sourcePowerWatt,
    };
  });
}

/** Accuracy and mean power of a sigmoid MLP run on crossbars, for each segment resistance. */
export function networkVsSegmentResistance(
  net: Mlp,
  test: Dataset,
  segmentsOhm: readonly number[],
  base: Omit<CrossbarLayerConfig, "wordSegmentOhm" | "bitSegmentOhm">,
): Array<{ segmentOhm: number; accuracy: number; meanPowerWatt: number; maxLogitError: number }> {
  const ideal = mlpOnCrossbar(net.sizes, net.params, test.x, { ...base, wordSegmentOhm: 0, bitSegmentOhm: 0 });
  return segmentsOhm.map((r) => {
    const res = mlpOnCrossbar(net.sizes, net.params, test.x, { ...base, wordSegmentOhm: r, bitSegmentOhm: r });
    let correct = 0,
      maxErr = 0;
    res.logits.forEach((z, k) => {
      if ((z > 0 ? 1 : 0) === test.y[k]) correct++;
      maxErr = Math.max(maxErr, Math.abs(z - ideal.logits[k]));
    });
    return {
      segmentOhm: r,
      accuracy: correct / test.y.length,
      meanPowerWatt: res.powerWatt.reduce((a, b) => a + b, 0) / res.powerWatt.length,
      maxLogitError: maxErr,
    };
  });
}

/** A solved example array for the heatmaps. */
export function exampleArray(n: number, segmentOhm: number, rng: Rng) {
  const g = Float64Array.from({ length: n * n }, () => 1 / rng.uniform(1e3, 1e5));
  const topo = topologyFromConductances(g, n, n, { wordSegmentOhm: segmentOhm, bitSegmentOhm: segmentOhm });
  const drive = { wordLeftVolt: [Array.from({ length: n }, () => 1)] };
  const system = new CrossbarSystem(topo);
  const solution = system.solve(drive, { engine: "direct" });
  return { g, topo, drive, system, solution, power: system.power(solution, drive)[0] };
}

/** The grid experiment "crossbar-ir-drop", registered when this module loads. */
export const crossbarIrDropGrid: GridExperiment = registerExperiment({
  module: __filename,
  name: "crossbar-ir-drop",
  version: "1",
  description:
    "Random n×n passive crossbar (R ~ U(lowOhm, highOhm)), random inputs U(0, 1 V): max |I_ideal − I_exact| / max |I_exact| of the output currents, solved exactly (line Gauss–Seidel).",
  parameters: {
    size: "array size n (rows = columns)",
    segmentOhm: "word- and bit-line segment resistance (Ω)",
    inputs: "input vectors per array",
    lowOhm: "lowest device resistance (Ω)",
    highOhm: "highest device resistance (Ω)",
  },
  defaultGrid: (mode) => ({
    experiment: "crossbar-ir-drop",
    mode,
    axes:
      mode === "quick"
        ? { size: [16, 32, 64], segmentOhm: [0.1, 1, 10] }
        : { size: [16, 32, 64, 128, 256], segmentOhm: [0.1, 0.3, 1, 3, 10] },
    seeds: mode === "quick" ? [0, 1, 2] : [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    fixed: { inputs: mode === "quick" ? 4 : 16, lowOhm: 1e3, highOhm: 1e5 },
  }),
  async run(cell, ctx) {
    const n = cellParam<number>(cell, "size", "number"),
      r = cellParam<number>(cell, "segmentOhm", "number");
    const lo = cellParam<number>(cell, "lowOhm", "number"),
      hi = cellParam<number>(cell, "highOhm", "number");
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`crossbar-ir-drop: size must be a positive integer, got ${n}`);
    if (!(r >= 0)) throw new RangeError(`crossbar-ir-drop: segmentOhm must be >= 0, got ${r}`);
    if (!(lo > 0 && hi >= lo)) throw new RangeError(`crossbar-ir-drop: need 0 < lowOhm <= highOhm, got ${lo}, ${hi}`);
    const err = idealVsExactError(n, [lo, hi], r, makeRng(`crossbar-ir-drop/${n}/${r}/${cell.seed}`), {
      inputs: cellParam<number>(cell, "inputs", "number"),
    });
    ctx.log(`n = ${n}, segment ${r} Ω: max relative error ${err.toExponential(3)}`);
    return { metrics: { maxRelativeError: err } };
  },
});
