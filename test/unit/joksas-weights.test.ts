// Weight-implementation study (spec §4.2, §7.1 T9–T16): the plan and the device pairs a network programs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { initBackend } from "../../lib/runtime/backend";
import { rng } from "../../lib/runtime/random";
import { JOKSAS_SETUPS, deviceSetup } from "../../lib/devices/joksas";
import { JOKSAS_TRAININGS, poolSummaries, summaryFromRow } from "../../lib/experiments/joksas";
import { MemristiveMlp } from "../../lib/training/memristive-mlp";
import {
  WEIGHT_IMPLEMENTATION_GROUPS,
  devicePairs,
  pairScatterFigure,
  sampleIndices,
} from "../../lib/experiments/joksas-weights";

test("plan: each D2D setup gets standard avg., standard min-G, double, double + L1, all trained on that setup", () => {
  assert.deepEqual(
    WEIGHT_IMPLEMENTATION_GROUPS.map((g) => g.setup),
    ["D5", "D6"],
  );
  for (const g of WEIGHT_IMPLEMENTATION_GROUPS) {
    const cfgs = g.trainings.map((t) => JOKSAS_TRAININGS[t]);
    assert.ok(
      cfgs.every((c) => c.setup === g.setup && c.inference.includes(g.setup)),
      g.label,
    );
    assert.deepEqual(
      cfgs.map((c) => (c.weights.kind === "standard" ? c.weights.rule : "double")),
      ["avg", "min-G", "double", "double"],
    );
    assert.deepEqual(
      cfgs.map((c) => c.regularised),
      [false, false, false, true],
    );
  }
});

test("device pairs: min-G puts one device of each pair at G_off, avg. keeps G₊ + G₋ = G_on + G_off, D2D scatters them", async () => {
  await initBackend();
  const d5 = JOKSAS_SETUPS.D5;
  const clean = deviceSetup(
    { id: "X", name: "undisturbed D5 window", gOffSiemens: d5.gOffSiemens!, gOnSiemens: d5.gOnSiemens! },
    [],
  );
  const gOff = d5.gOffSiemens!,
    gOn = d5.gOnSiemens!;
  for (const rule of ["min-G", "avg"] as const) {
    const m = new MemristiveMlp({ sizes: [12, 5, 3], weights: { kind: "standard", rule } }, rng(1));
    const p = devicePairs(m, 0, clean, rng(2));
    assert.equal(p.rows, 13, "12 inputs + bias row");
    assert.equal(p.outputs, 5);
    for (let i = 0; i < p.gPlusSiemens.length; i++) {
      const a = p.gPlusSiemens[i],
        b = p.gMinusSiemens[i];
      assert.ok(
        a >= gOff * (1 - 1e-5) && a <= gOn * (1 + 1e-5) && b >= gOff * (1 - 1e-5) && b <= gOn * (1 + 1e-5),
        `pair ${i} in the window`,
      );
      if (rule === "min-G") assert.ok(Math.abs(Math.min(a, b) - gOff) <= 1e-5 * gOff, `pair ${i}: min(G₊, G₋) = G_off`);
      else assert.ok(Math.abs(a + b - (gOn + gOff)) <= 1e-5 * (gOn + gOff), `pair ${i}: G₊ + G₋ = G_on + G_off`);
    }
    const disturbed = devicePairs(m, 0, d5, rng(3));
    assert.ok(
      disturbed.gPlusSiemens.some((g, i) => Math.abs(g - p.gPlusSiemens[i]) > 1e-3 * gOff),
      "D5 variability moves the devices",
    );
    assert.ok(disturbed.gPlusSiemens.every((g) => g > 0) && disturbed.gMinusSiemens.every((g) => g > 0));
    assert.equal(devicePairs(m, 1, clean, rng(2)).rows, 6);
    m.dispose();
  }
  const dbl = new MemristiveMlp({ sizes: [12, 5, 3], weights: { kind: "double" } }, rng(4));
  dbl.trainingSetup = d5;
  const q = devicePairs(dbl, 0, clean, rng(5));
  assert.ok([...q.gPlusSiemens, ...q.gMinusSiemens].every((g) => g >= gOff * (1 - 1e-5) && g <= gOn * (1 + 1e-5)));
  assert.throws(() => devicePairs(dbl, 2, clean, rng(5)), /layer must be 0…1, got 2/);
  assert.throws(() => devicePairs(dbl, 0, JOKSAS_SETUPS.D0, rng(5)), /D0 .* has no devices/);
  dbl.dispose();
});

test("sampleIndices draws a reproducible, duplicate-free fraction; the scatter has one panel per network", () => {
  const s = sampleIndices(1000, 0.1, rng(0));
  assert.equal(s.length, 100);
  assert.equal(new Set(s).size, 100);
  assert.ok(s.every((i) => Number.isInteger(i) && i >= 0 && i < 1000));
  assert.deepEqual(sampleIndices(1000, 0.1, rng(0)), s);
  assert.throws(() => sampleIndices(10, 0, rng(0)), /fraction must be in \(0, 1\]/);
  assert.throws(() => sampleIndices(-1, 0.5, rng(0)), /n must be a non-negative integer/);
  const pairs = {
    gPlusSiemens: Float64Array.of(1e-6, 2e-6),
    gMinusSiemens: Float64Array.of(2e-6, 1e-6),
    rows: 1,
    outputs: 2,
  };
  const fig = pairScatterFigure(
    [
      { title: "a", pairs, indices: [0, 1], setup: JOKSAS_SETUPS.D5 },
      { title: "b", pairs, indices: [1], setup: JOKSAS_SETUPS.D6 },
    ],
    2,
    null,
    "t",
  );
  assert.equal(fig.data.length, 2);
  assert.deepEqual((fig.data[0] as { x: number[] }).x, [1, 2], "µS on the axes");
  assert.deepEqual((fig.data[1] as { y: number[] }).y, [1]);
});

test("stored grid rows read back as inference summaries; networks of one configuration pool", () => {
  const row = {
    setup: "D5",
    medianErrorPercent: 20,
    meanPowerWatt: 2e-3,
    efficiencyTopsPerWatt: 397.7,
    errors: [0.1, 0.2, 0.3],
    powersWatt: [1e-3, 2e-3, 3e-3],
  };
  const a = summaryFromRow("T9", row);
  assert.deepEqual(a.errors, [0.1, 0.2, 0.3]);
  assert.equal(a.setup, "D5");
  const ideal = summaryFromRow("T0", {
    setup: "D0",
    medianErrorPercent: 10,
    meanPowerWatt: null,
    efficiencyTopsPerWatt: null,
    errors: [0.1, 0.1],
  });
  assert.deepEqual(ideal.powersWatt, [null, null], "a software stage stores no powers");
  assert.throws(() => summaryFromRow("T9", { ...row, powersWatt: undefined }), /powersWatt should be a list/);
  assert.throws(() => summaryFromRow("T9", { ...row, setup: "D11" }), /unknown setup "D11"/);
  assert.throws(() => summaryFromRow("T9", { ...row, errors: "0.1" }), /errors should be a list/);
  const b = summaryFromRow("T9", { ...row, meanPowerWatt: 4e-3, errors: [0.5], powersWatt: [4e-3] });
  const p = poolSummaries([a, b], 19885);
  assert.deepEqual(p.errors, [0.1, 0.2, 0.3, 0.5]);
  assert.ok(Math.abs(p.medianErrorPercent - 25) < 1e-9, "median of the pooled repeats");
  assert.ok(Math.abs(p.meanPowerWatt! - 3e-3) < 1e-15);
  assert.ok(Math.abs(p.efficiencyTopsPerWatt! - (2 * 19885) / (50e-9 * 3e-3) / 1e12) < 1e-9);
  assert.throws(() => poolSummaries([a, { ...b, setup: "D6" }], 19885), /mixes T9 on D5, T9 on D6/);
  assert.throws(() => poolSummaries([a], 0), /synapses must be a positive integer/);
  assert.ok(
    Math.abs(poolSummaries([a], 25885).efficiencyTopsPerWatt! - (2 * 25885) / (50e-9 * 2e-3) / 1e12) < 1e-9,
    "η counts the network's own synapses",
  );
  assert.throws(() => poolSummaries([], 19885), /nothing to pool/);
});
