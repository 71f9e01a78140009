// Notebook 12's machinery: training with the periphery in the loop (learned ADC ranges), drift-aware
// draws in training, analog inference over time, and the claims' rules (each able to fail).
import { test } from "node:test";
import assert from "node:assert/strict";
import { rng } from "../../lib/runtime/random";
import { createMlp, Mlp } from "../../lib/training/mlp";
import { circuitLossAndGrads, trainOnCircuit } from "../../lib/training/circuit-aware";
import {
  calibrateLayers,
  evaluateLayers,
  programNetwork,
  readNetworkAt,
  tileNetwork,
} from "../../lib/training/analog-inference";
import { circuitLayers } from "../../lib/training/circuit-aware";
import { CrossbarLayerConfig } from "../../lib/tile/layer";
import { IDEAL_LAYER } from "../support/layers";
import { powerLawModel } from "../../lib/devices/time";
import { peripheryTimeProtocol } from "../../lib/experiments/periphery-time";
import {
  PeripheryTimeRow,
  bitsNeeded,
  evaluatePeripheryTimeClaims,
  summarisePeripheryTime,
} from "../../lib/experiments/periphery-time-study";
import { gridExperiment } from "../../lib/grid/registry";

const LAYER = IDEAL_LAYER;

function moons(n: number, seed: number) {
  const r = rng(seed),
    x: number[][] = [],
    y: number[] = [];
  for (let k = 0; k < n; k++) {
    const c = k % 2,
      t = r.uniform(0, Math.PI);
    x.push(c ? [1 - Math.cos(t), 0.5 - Math.sin(t)] : [Math.cos(t), Math.sin(t)].map((v) => v + r.normal(0, 0.1)));
    y.push(c);
  }
  return { x, y };
}

const net = (): Mlp => createMlp([2, 6, 1], rng(1));

test("periphery gradients through a network: ∂L/∂R of each layer's fixed ADC range matches a finite difference", () => {
  const data = moons(24, 2),
    idx = Array.from({ length: 24 }, (_, i) => i),
    m = net();
  const cfg = (r0: number, r1: number): CrossbarLayerConfig[] =>
    [r0, r1].map((r) => ({
      ...LAYER,
      wordSegmentOhm: 2,
      bitSegmentOhm: 2,
      periphery: { adc: { bits: Infinity, range: { kind: "fixed", rangeAmpere: r } } },
    }));
  const r = [6e-6, 1.25e-5];
  const g = circuitLossAndGrads(m, data, idx, cfg(r[0], r[1]));
  for (const l of [0, 1]) {
    const h = 1e-6 * r[l],
      up = [...r],
      dn = [...r];
    up[l] += h;
    dn[l] -= h;
    const fd =
      (circuitLossAndGrads(m, data, idx, cfg(up[0], up[1])).loss -
        circuitLossAndGrads(m, data, idx, cfg(dn[0], dn[1])).loss) /
      (2 * h);
    assert.ok(
      Math.abs(g.dAdcRangeAmpere[l] - fd) <= 1e-5 * Math.abs(fd) + 1e-3,
      `layer ${l}: adjoint ${g.dAdcRangeAmpere[l]}, finite difference ${fd}`,
    );
    assert.notEqual(fd, 0, "the range clips some outputs, so the loss depends on it");
  }
});

test("training with the periphery in the loop learns the ADC ranges: a range that clips too much grows, and the loss falls", () => {
  const data = moons(64, 3),
    m = net();
  const tight: CrossbarLayerConfig = {
    ...LAYER,
    periphery: { adc: { bits: 5, range: { kind: "fixed", rangeAmpere: 2e-6 } } },
  };
  const learned = trainOnCircuit(
    m,
    data,
    {
      epochs: 15,
      batchSize: 16,
      learningRate: 0.01,
      layer: tight,
      learnPeriphery: { adcRange: true, learningRate: 0.05 },
    },
    rng(4),
  );
  const fixed = trainOnCircuit(m, data, { epochs: 15, batchSize: 16, learningRate: 0.01, layer: tight }, rng(4));
  const ranges = learned.layers.map((l) => (l.periphery!.adc!.range as { rangeAmpere: number }).rangeAmpere);
  assert.ok(ranges[0] > 2e-6, `layer 0's range grew from 2e-6 A: ${ranges.join(", ")}`);
  assert.ok(
    learned.lossCurve[learned.lossCurve.length - 1] < fixed.lossCurve[fixed.lossCurve.length - 1],
    `learned ${learned.lossCurve.at(-1)} vs fixed ${fixed.lossCurve.at(-1)}`,
  );
  assert.deepEqual(
    fixed.layers.map((l) => (l.periphery!.adc!.range as { rangeAmpere: number }).rangeAmpere),
    [2e-6, 2e-6],
    "without learning the ranges stay",
  );
  assert.throws(
    () =>
      trainOnCircuit(
        m,
        data,
        { epochs: 1, batchSize: 16, learningRate: 0.01, layer: LAYER, learnPeriphery: { adcRange: true } },
        rng(4),
      ),
    /layer 0's ADC range is absent; a learned range starts from a fixed one/,
  );
  // the input scale k_V learns too when the DAC clips (its gradient through the clipped inputs and the digital rescale)
  const dacClips: CrossbarLayerConfig = { ...LAYER, periphery: { dac: { bits: Infinity, inputRangeVolt: 0.1 } } };
  const scaled = trainOnCircuit(
    m,
    data,
    {
      epochs: 5,
      batchSize: 16,
      learningRate: 0.01,
      layer: dacClips,
      learnPeriphery: { inputScale: true, learningRate: 0.05 },
    },
    rng(4),
  );
  assert.ok(
    scaled.layers.some((l) => l.readVoltageVolt !== LAYER.readVoltageVolt),
    "k_V moved",
  );
  assert.ok(scaled.lossCurve.every(Number.isFinite));
  assert.throws(
    () =>
      trainOnCircuit(
        m,
        data,
        {
          epochs: 1,
          batchSize: 16,
          learningRate: 0.01,
          layer: { ...LAYER, periphery: { dac: { bits: 8, inputRangeVolt: 0.2, noiseManagement: "abs-max" } } },
          learnPeriphery: { inputScale: true },
        },
        rng(4),
      ),
    /layer 0 uses noise management, where k_V does not act/,
  );
  assert.throws(
    () => trainOnCircuit(m, { x: [], y: [] }, { epochs: 1, batchSize: 16, learningRate: 0.01, layer: LAYER }, rng(4)),
    /the training set is empty/,
  );
});

test("analog inference: calibrated layers in order, and a programmed network read over time with compensation", () => {
  const data = moons(80, 5),
    m = trainOnCircuit(
      net(),
      moons(80, 6),
      { epochs: 30, batchSize: 16, learningRate: 0.05, layer: LAYER },
      rng(7),
    ).net;
  const cal = calibrateLayers(
    circuitLayers(m, { ...LAYER, periphery: { adc: { bits: 8, range: { kind: "calibrated", percentile: 100 } } } }),
    data,
    80,
  );
  assert.ok(cal.every((l) => l.adcRangesAmpere.every((r) => r > 0)));
  assert.equal(
    evaluateLayers(cal, data).clippedOutputs,
    0,
    "a 100th-percentile range clips nothing on its calibration points",
  );
  const drift = powerLawModel({ nuMean: 0.1, nuSd: 0 });
  const prog = programNetwork(tileNetwork(m), LAYER, drift, rng(8));
  const year = readNetworkAt(prog, 3.15e7, ["none", "global"], rng(9));
  assert.equal(year.gains.get("none")![0], null);
  // uniform drift: global compensation undoes it exactly on ideal wires
  const g = year.gains.get("global")!;
  g.forEach((gl) => gl!.forEach((v) => assert.ok(Math.abs(v - 3.15e7 ** 0.1) < 1e-6 * v, `gain ${v}`)));
  const fresh = evaluateLayers(circuitLayers(m, LAYER), data).error;
  assert.equal(evaluateLayers(year.layers, data, { gains: g }).error, fresh);
});

/** Synthetic rows for the claims: every setting the claims read, with given errors. */
function rowsWith(
  e: {
    ideal: number;
    cal: number[];
    max: number[];
    none: [number, number];
    global: [number, number];
    low: [number, number];
    driftAware: number;
  },
  seeds = [0, 1, 2],
): PeripheryTimeRow[] {
  const p = peripheryTimeProtocol("quick"),
    rows: PeripheryTimeRow[] = [];
  const base = {
    task: "mnist" as const,
    range: "",
    bits: 0,
    tSecond: 0,
    compensation: "",
    segmentOhm: 0,
    clippedOutputs: 0,
  };
  const t0 = p.timesSecond[0],
    tEnd = p.timesSecond[p.timesSecond.length - 1];
  for (const seed of seeds) {
    const r = (x: Partial<PeripheryTimeRow> & Pick<PeripheryTimeRow, "network" | "sweep" | "error">) =>
      rows.push({ ...base, seed, ...x });
    r({ network: "standard", sweep: "ideal", error: e.ideal });
    p.adcBits.forEach((bits, i) => {
      r({ network: "standard", sweep: "adc", range: "calibrated", bits, error: e.cal[i] });
      r({ network: "standard", sweep: "adc", range: "max", bits, error: e.max[i] });
      r({ network: "standard", sweep: "adc", range: "fixed", bits, error: e.max[i] });
    });
    for (const [c, v] of [
      ["none", e.none],
      ["global", e.global],
      ["per-column", e.global],
    ] as const) {
      r({ network: "standard", sweep: "time", tSecond: t0, compensation: c, error: v[0] });
      r({ network: "standard", sweep: "time", tSecond: tEnd, compensation: c, error: v[1] });
      r({
        network: "drift-aware",
        sweep: "time",
        tSecond: tEnd,
        compensation: c,
        error: c === "none" ? e.driftAware : v[1],
      });
    }
    r({ network: "standard", sweep: "low-resolution", bits: 3, error: e.low[0] });
    r({ network: "periphery-in-loop", sweep: "low-resolution", bits: 3, error: e.low[1] });
  }
  return rows;
}

test("claims P1–P5: each verdict follows its rule, and each rule can fail", () => {
  const p = peripheryTimeProtocol("quick");
  const good = {
    ideal: 0.08,
    cal: [0.6, 0.15, 0.09, 0.085, 0.08, 0.08, 0.08],
    max: [0.9, 0.9, 0.9, 0.3, 0.12, 0.085, 0.08],
    none: [0.09, 0.15] as [number, number],
    global: [0.09, 0.1] as [number, number],
    low: [0.17, 0.11] as [number, number],
    driftAware: 0.12,
  };
  const verdicts = (e: typeof good) => evaluatePeripheryTimeClaims(p, rowsWith(e)).map((c) => c.verdict);
  assert.deepEqual(verdicts(good), Array(5).fill("reproduced"));
  assert.equal(
    verdicts({ ...good, cal: [0.6, 0.15, 0.09, 0.2, 0.08, 0.08, 0.08] })[0],
    "not reproduced",
    "P1: a rise of more than half a point",
  );
  assert.equal(
    verdicts({ ...good, cal: [0.6, 0.15, 0.12, 0.11, 0.1, 0.1, 0.1] })[0],
    "not reproduced",
    "P1: no plateau at the ideal error",
  );
  assert.equal(verdicts({ ...good, max: good.cal })[1], "not reproduced", "P2: calibrated no better than max");
  assert.equal(
    verdicts({ ...good, global: [0.09, 0.13] })[2],
    "not reproduced",
    "P3: compensation removes less than half",
  );
  assert.equal(
    verdicts({ ...good, none: [0.09, 0.095], global: [0.09, 0.09] })[2],
    "not reproduced",
    "P3: no rise without compensation",
  );
  assert.equal(verdicts({ ...good, low: [0.17, 0.15] })[3], "not reproduced", "P4: less than half won back");
  assert.equal(verdicts({ ...good, driftAware: 0.16 })[4], "not reproduced", "P5: drift-aware not lower");
  const s = summarisePeripheryTime(rowsWith(good));
  assert.equal(bitsNeeded(s, "mnist", "standard", "calibrated"), 4);
  assert.equal(bitsNeeded(s, "mnist", "standard", "max"), 8);
  assert.equal(
    bitsNeeded(
      summarisePeripheryTime(rowsWith({ ...good, cal: good.cal.map(() => 0.5) })),
      "mnist",
      "standard",
      "calibrated",
    ),
    Infinity,
  );
});

test("the periphery-time grid experiment is registered with a task axis and the protocol's seeds", () => {
  const e = gridExperiment("periphery-time");
  const g = e.defaultGrid("quick");
  assert.deepEqual(g.axes, { task: ["mnist", "moons"] });
  assert.deepEqual(g.seeds, [0, 1, 2]);
});
