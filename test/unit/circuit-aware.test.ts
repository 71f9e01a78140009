// Training through the exact circuit: gradients, the ideal-wire limit, and that fine-tuning helps on the circuit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rng } from "../../lib/runtime/random";
import { makeMoons } from "../../lib/data/moons";
import { createMlp, lossAndGrads, Mlp } from "../../lib/training/mlp";
import {
  circuitLossAndGrads,
  evaluateOnCircuit,
  evaluateTransfersOnCircuit,
  trainOnCircuit,
} from "../../lib/training/circuit-aware";
import { DROLET_2023_TIO2 } from "../../lib/devices/tio2";
import { droletData } from "../../lib/experiments/drolet";
import { CrossbarLayerConfig } from "../../lib/tile/layer";
import {
  CIRCUIT_TRAININGS,
  CircuitTraining,
  CircuitTransferRow,
  circuitAwareCell,
  circuitAwareProtocol,
  circuitTransferCell,
  softwareNetwork,
  summariseCircuitAware,
  summariseCircuitTransfers,
  CircuitAwareRow,
} from "../../lib/experiments/circuit-aware";

const LAYER: CrossbarLayerConfig = {
  gOffSiemens: 1e-4,
  gOnSiemens: 5e-4,
  readVoltageVolt: 0.2,
  wordSegmentOhm: 0,
  bitSegmentOhm: 0,
  tileRows: 16,
  tileCols: 16,
};

test("with ideal wires the circuit loss and gradients are the software network's; with line resistance they match finite differences", () => {
  const data = makeMoons(40, 0.2, rng(1));
  const net = createMlp([2, 8, 1], rng(2));
  const idx = Array.from({ length: 16 }, (_, i) => i);
  const soft = lossAndGrads(net.sizes, net.params, data.x, data.y, idx);
  const ideal = circuitLossAndGrads(net, data, idx, LAYER);
  assert.ok(Math.abs(ideal.loss - soft.loss) < 1e-10, `loss ${ideal.loss} vs ${soft.loss}`);
  ideal.grads.forEach((g, p) =>
    g.forEach((v, i) =>
      assert.ok(Math.abs(v - soft.grads[p][i]) < 1e-10, `param ${p}[${i}]: ${v} vs ${soft.grads[p][i]}`),
    ),
  );
  const wired = { ...LAYER, wordSegmentOhm: 200, bitSegmentOhm: 200 };
  const g = circuitLossAndGrads(net, data, idx, wired).grads;
  // the largest |w| of each layer sets k_G (held fixed in the gradient): leave it out
  const largest = net.params.map((p, k) =>
    k % 2 === 0 ? Array.from(p).reduce((b, v, i, a) => (Math.abs(v) > Math.abs(a[b]) ? i : b), 0) : -1,
  );
  for (let p = 0; p < net.params.length; p++) {
    for (let i = 0; i < net.params[p].length; i++) {
      const layerMax = p % 2 === 0 ? largest[p] === i : false;
      if (layerMax) continue;
      const h = 1e-6;
      const at = (d: number): number => {
        const q: Mlp = { sizes: net.sizes, params: net.params.map((x) => x.slice()) };
        q.params[p][i] += d;
        return circuitLossAndGrads(q, data, idx, wired).loss;
      };
      const fd = (at(h) - at(-h)) / (2 * h);
      assert.ok(
        Math.abs(g[p][i] - fd) <= 1e-5 * Math.max(Math.abs(fd), 1e-6),
        `param ${p}[${i}]: adjoint ${g[p][i]}, finite difference ${fd}`,
      );
    }
  }
});

test("fine-tuning through the circuit lowers the loss on that circuit and keeps the input network unchanged", () => {
  const data = makeMoons(64, 0.2, rng(3));
  const net = createMlp([2, 8, 1], rng(4));
  const before = net.params.map((p) => p.slice());
  const layer = { ...LAYER, wordSegmentOhm: 300, bitSegmentOhm: 300 };
  const r = trainOnCircuit(net, data, { epochs: 15, batchSize: 16, learningRate: 0.02, layer }, rng(5));
  assert.equal(r.lossCurve.length, 15);
  assert.ok(r.lossCurve[14] < r.lossCurve[0], `loss ${r.lossCurve[0]} → ${r.lossCurve[14]}`);
  net.params.forEach((p, k) => assert.deepEqual(p, before[k]));
  const e = evaluateOnCircuit(r.net, data, layer);
  assert.ok(
    e.wiresWatt > 0 &&
      e.wiresWatt < e.sourcesWatt &&
      Math.abs(e.sourcesWatt - e.devicesWatt - e.wiresWatt - e.sourceResistorsWatt) < 1e-9 * e.sourcesWatt,
  );
  assert.throws(
    () => trainOnCircuit(net, data, { epochs: 1, batchSize: 0, learningRate: 0.1, layer }, rng(6)),
    /batchSize must be a positive integer/,
  );
});

test("under D2D variability each call draws its devices from the generator given: gradients match finite differences for a fixed realisation; training draws anew per batch", () => {
  const data = makeMoons(24, 0.2, rng(11));
  const net = createMlp([2, 4, 1], rng(12));
  const idx = Array.from({ length: 12 }, (_, i) => i);
  const layer: CrossbarLayerConfig = {
    ...LAYER,
    wordSegmentOhm: 100,
    bitSegmentOhm: 100,
    disturbance: { kind: "d2d-lognormal", sigmaOn: 0.1, sigmaOff: 0.4 },
  };
  assert.throws(
    () => circuitLossAndGrads(net, data, idx, layer),
    /a d2d-lognormal disturbance needs a generator for the devices/,
  );
  const g = circuitLossAndGrads(net, data, idx, layer, rng(13)).grads;
  const clean = circuitLossAndGrads(net, data, idx, { ...layer, disturbance: undefined });
  assert.ok(
    g.some((gp, p) => gp.some((v, i) => Math.abs(v - clean.grads[p][i]) > 1e-3 * Math.abs(v))),
    "the devices change the gradients",
  );
  const largest = net.params.map((p, k) =>
    k % 2 === 0 ? Array.from(p).reduce((b, v, i, a) => (Math.abs(v) > Math.abs(a[b]) ? i : b), 0) : -1,
  );
  for (let p = 0; p < net.params.length; p++) {
    for (let i = 0; i < net.params[p].length; i++) {
      if (p % 2 === 0 && largest[p] === i) continue;
      const at = (d: number): number => {
        const q: Mlp = { sizes: net.sizes, params: net.params.map((x) => x.slice()) };
        q.params[p][i] += d;
        return circuitLossAndGrads(q, data, idx, layer, rng(13)).loss; // the same seed: the same devices
      };
      const fd = (at(1e-6) - at(-1e-6)) / 2e-6;
      assert.ok(
        Math.abs(g[p][i] - fd) <= 1e-5 * Math.max(Math.abs(fd), 1e-6),
        `param ${p}[${i}]: adjoint ${g[p][i]}, finite difference ${fd}`,
      );
    }
  }
  // one realisation per evaluation: the same seed gives the same result, another seed other devices
  const e1 = evaluateOnCircuit(net, data, layer, rng(14)),
    e2 = evaluateOnCircuit(net, data, layer, rng(14)),
    e3 = evaluateOnCircuit(net, data, layer, rng(15));
  assert.deepEqual(e1, e2);
  assert.notEqual(e1.devicesWatt, e3.devicesWatt);
  const r = trainOnCircuit(net, data, { epochs: 2, batchSize: 6, learningRate: 0.02, layer }, rng(16));
  assert.equal(r.lossCurve.length, 2);
  assert.deepEqual(
    trainOnCircuit(net, data, { epochs: 2, batchSize: 6, learningRate: 0.02, layer }, rng(16)).lossCurve,
    r.lossCurve,
    "seeded training is reproducible",
  );
});

test("study cells: circuit-aware fine-tuning beats regular training on a resistive circuit; the summary counts seeds above regular", () => {
  const p = { ...circuitAwareProtocol("quick"), softwareEpochs: 600, circuitEpochs: 10 };
  const rows: CircuitAwareRow[] = (["regular", "circuit-aware"] as const).map((t) => circuitAwareCell(p, 0, 300, t));
  assert.ok(rows[1].accuracy > rows[0].accuracy, `regular ${rows[0].accuracy}, circuit-aware ${rows[1].accuracy}`);
  const s = summariseCircuitAware(rows);
  assert.deepEqual(
    s.map((x) => [x.training, x.seedsAboveRegular]),
    [
      ["regular", 0],
      ["circuit-aware", 1],
    ],
  );
  assert.throws(() => circuitAwareCell(p, 0, -1, "regular"), /segmentOhm must be a finite number >= 0/);
  assert.throws(() => circuitAwareCell(p, 0, 1, "magic" as never), /unknown training "magic"/);
});

test("transfers on the circuit: per-point reliability averages to the mean accuracy; one transfer is one evaluation of the same devices; a seed repeats; errors are named", () => {
  const splits = droletData("paper", 0);
  const net = softwareNetwork("regular", 0, 300, splits);
  const data = { x: splits.test.x.slice(0, 40), y: splits.test.y.slice(0, 40) };
  const layer: CrossbarLayerConfig = {
    ...LAYER,
    wordSegmentOhm: 50,
    bitSegmentOhm: 50,
    disturbance: { kind: "tio2-transfer", device: DROLET_2023_TIO2 },
  };
  const t = evaluateTransfersOnCircuit(net, data, layer, 7, rng(22));
  assert.equal(t.transfers, 7);
  assert.ok(
    t.perPoint.every(
      (v) => v >= 0 && v <= 1 && Number.isInteger(Math.round(v * 7)) && Math.abs(v * 7 - Math.round(v * 7)) < 1e-12,
    ),
    "each point is correct in a whole number of the 7 transfers",
  );
  assert.ok(Math.abs(t.perPoint.reduce((a, b) => a + b, 0) / t.perPoint.length - t.meanAccuracy) < 1e-12);
  assert.ok(
    t.perPoint.some((v) => v > 0 && v < 1),
    "the transfers differ: some point is right in some and wrong in others",
  );
  assert.deepEqual(evaluateTransfersOnCircuit(net, data, layer, 7, rng(22)), t, "seeded");
  assert.equal(
    evaluateTransfersOnCircuit(net, data, layer, 1, rng(23)).meanAccuracy,
    evaluateOnCircuit(net, data, layer, rng(23)).accuracy,
  );
  assert.throws(() => evaluateTransfersOnCircuit(net, data, LAYER, 3, rng(0)), /names no disturbance/);
  assert.throws(
    () => evaluateTransfersOnCircuit(net, data, layer, 0, rng(0)),
    /transfers must be a positive integer, got 0/,
  );
});

test("transfer study cells: every training is judged on the same transfers; the summary gives the reliable share over seeds and counts seeds above regular", () => {
  const p = {
    ...circuitAwareProtocol("quick"),
    softwareEpochs: 300,
    circuitEpochs: 2,
    transfers: { ...circuitAwareProtocol("quick").transfers, count: 5 },
  };
  const rows: CircuitTransferRow[] = CIRCUIT_TRAININGS.map((t) => circuitTransferCell(p, 0, 100, t));
  rows.forEach((r) => {
    assert.equal(r.transfers, 5);
    assert.ok(
      r.reliableShare >= 0 && r.reliableShare <= r.meanAccuracy + 1e-12,
      `${r.training}: a point correct in 95 % of transfers counts towards the mean`,
    );
  });
  const fake = (seed: number, training: CircuitTraining, reliableShare: number): CircuitTransferRow => ({
    seed,
    segmentOhm: 0,
    training,
    meanAccuracy: 0.8,
    reliableShare,
    transfers: 5,
  });
  const s = summariseCircuitTransfers([
    fake(0, "regular", 0.2),
    fake(1, "regular", 0.4),
    fake(0, "aware", 0.7),
    fake(1, "aware", 0.3),
    fake(0, "circuit-aware", 0.2),
  ]);
  assert.deepEqual(
    s.map((x) => [x.training, +x.reliableShare.mean.toFixed(12), x.reliableShare.n, x.seedsAboveRegular]),
    [
      ["regular", 0.3, 2, 0],
      ["aware", 0.5, 2, 1],
      ["circuit-aware", 0.2, 1, 0],
    ],
  );
});

test("labels are classes, never coerced: 0.5, −0.7, NaN and a class the network does not have are refused", () => {
  const data = makeMoons(8, 0.2, rng(1));
  const net = createMlp([2, 4, 1], rng(2));
  const idx = Array.from({ length: 8 }, (_, i) => i);
  for (const bad of [0.5, -0.7, NaN, 2]) {
    const y = data.y.slice();
    y[3] = bad;
    const d = { ...data, y };
    assert.throws(() => circuitLossAndGrads(net, d, idx, LAYER), new RegExp(`label ${bad} of point 3 is not a class`));
    assert.throws(() => evaluateOnCircuit(net, d, LAYER), /label .* of point 3 is not a class/);
  }
});
