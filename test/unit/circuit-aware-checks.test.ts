// Circuit-aware training's small parts against their definitions: the losses with worked numbers, how
// a class is predicted, per-layer configs, the points a data set gives, and what each entry refuses.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rng } from "../../lib/runtime/random";
import { createMlp, Mlp } from "../../lib/training/mlp";
import {
  EVALUATION_CHUNK,
  circuitLayers,
  circuitLossAndGrads,
  circuitForward,
  classifyOnCircuit,
  classifyWithLayers,
  evaluateOnCircuit,
  layerConfigAt,
  logitLoss,
  pointCount,
  pointsOf,
  trainOnCircuit,
} from "../../lib/training/circuit-aware";
import { CrossbarLayerConfig } from "../../lib/tile/layer";
import { IDEAL_LAYER } from "../support/layers";

const LAYER = IDEAL_LAYER;

/** A 2-3-3 softmax network with given output weights (W [out][in]). */
function threeClass(): Mlp {
  const m = createMlp([2, 3, 1], rng(1));
  const w2 = Float64Array.from([2, -1, 0.5, -1, 2, 0.3, 0.2, 0.1, 2]);
  return { sizes: [2, 3, 3], params: [m.params[0], m.params[1], w2, Float64Array.from([0.1, -0.2, 0.05])] };
}

test("logitLoss: binary cross-entropy for one logit and softmax cross-entropy for several, with their gradients, worked by hand", () => {
  const z = Float64Array.from([0.5, -2]);
  const b = logitLoss(z, Int32Array.from([1, 0]), 1);
  const want = (Math.log(1 + Math.exp(-0.5)) + Math.log(1 + Math.exp(-2))) / 2;
  assert.ok(Math.abs(b.loss - want) < 1e-15, `${b.loss} vs ${want}`);
  const s = (v: number) => 1 / (1 + Math.exp(-v));
  assert.deepEqual(Array.from(b.dz), [(s(0.5) - 1) / 2, s(-2) / 2]);
  const zz = Float64Array.from([1, 2, 3, 0, 0, 0]);
  const m = logitLoss(zz, Int32Array.from([2, 0]), 3);
  const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
  const want3 = (lse - 3 + Math.log(3)) / 2;
  assert.ok(Math.abs(m.loss - want3) < 1e-14, `${m.loss} vs ${want3}`);
  const p = [1, 2, 3].map((v) => Math.exp(v - lse));
  [p[0] / 2, p[1] / 2, (p[2] - 1) / 2, (1 / 3 - 1) / 2, 1 / 6, 1 / 6].forEach((g, q) =>
    assert.ok(Math.abs(m.dz[q] - g) < 1e-15, `dz[${q}] ${m.dz[q]} vs ${g}`),
  );
  // huge logits stay finite (the maximum is subtracted)
  assert.ok(Number.isFinite(logitLoss(Float64Array.from([1000, 0, -1000]), Int32Array.from([1]), 3).loss));
  assert.throws(() => logitLoss(Float64Array.from([0, 0]), Int32Array.from([0, 3]), 2), /label 3 of point 1/);
  assert.throws(() => logitLoss(Float64Array.from([0]), Int32Array.from([2]), 1), /labels 0\/1/);
});

test("classifyOnCircuit: one logit predicts class 1 when > 0; several predict their largest; the data are solved in chunks", () => {
  const net = threeClass();
  const n = EVALUATION_CHUNK + 7;
  const r = rng(2);
  const x = Array.from({ length: n }, () => [r.uniform(-2, 2), r.uniform(-2, 2)]);
  // label each point with the class the software network predicts: the ideal circuit agrees on every point
  const layers = circuitLayers(net, LAYER);
  const labels = x.map((p) => {
    const h = [0, 1, 2].map(
      (o) => 1 / (1 + Math.exp(-(net.params[0][2 * o] * p[0] + net.params[0][2 * o + 1] * p[1] + net.params[1][o]))),
    );
    const z = [0, 1, 2].map((c) => h.reduce((s, v, i) => s + v * net.params[2][3 * c + i], net.params[3][c]));
    return z.indexOf(Math.max(...z));
  });
  assert.ok(new Set(labels).size === 3, "every class occurs");
  assert.equal(layers.length, 2);
  const { correct } = classifyOnCircuit(net, { x, y: labels }, LAYER);
  assert.equal(correct.length, n);
  assert.equal(
    correct.reduce((s, c) => s + c, 0),
    n,
    "the ideal circuit predicts what the software network does",
  );
  const shifted = labels.map((c) => (c + 1) % 3);
  assert.equal(
    classifyOnCircuit(net, { x, y: shifted }, LAYER).correct.reduce((s, c) => s + c, 0),
    0,
  );
  const bin = createMlp([2, 3, 1], rng(3));
  const ones = classifyOnCircuit(bin, { x, y: x.map(() => 1) }, LAYER).correct;
  const zeros = classifyOnCircuit(bin, { x, y: x.map(() => 0) }, LAYER).correct;
  ones.forEach((c, k) => assert.equal(c + zeros[k], 1, `point ${k} is class 0 or class 1`));
  const e = evaluateOnCircuit(bin, { x, y: x.map(() => 1) }, LAYER);
  assert.equal(e.accuracy, ones.reduce((s, c) => s + c, 0) / n);
  assert.ok(e.sourcesWatt > 0 && Math.abs(e.sourcesWatt - e.devicesWatt) < 1e-12 * e.sourcesWatt, "ideal wires");
  assert.throws(() => classifyOnCircuit(bin, { x: [], y: [] }, LAYER), /the data set is empty/);
});

test("per-layer configs: one per layer, in order; a count that does not match is refused", () => {
  const net = createMlp([2, 3, 1], rng(4));
  const second = { ...LAYER, readVoltageVolt: 0.1 };
  assert.equal(layerConfigAt([LAYER, second], 1, 2), second);
  assert.equal(layerConfigAt(LAYER, 1, 2), LAYER);
  assert.throws(() => layerConfigAt([LAYER], 0, 2), /1 layer configs for a network of 2 layers/);
  const layers = circuitLayers(net, [LAYER, second]);
  assert.deepEqual(
    layers.map((l) => l.config.readVoltageVolt),
    [0.2, 0.1],
  );
  assert.throws(() => circuitLayers(net, [LAYER, LAYER, LAYER]), /3 layer configs for a network of 2 layers/);
});

test("pointsOf: rows or a flat image set, the chosen points in order; a feature count that does not match is refused", () => {
  const rows = {
    x: [
      [1, 2],
      [3, 4],
      [5, 6],
    ],
    y: [0, 1, 1],
  };
  assert.equal(pointCount(rows), 3);
  const p = pointsOf(rows, [2, 0], 2);
  assert.deepEqual(
    [Array.from(p.x), Array.from(p.labels)],
    [
      [5, 6, 1, 2],
      [1, 0],
    ],
  );
  const flat = { x: Float64Array.from([1, 2, 3, 4, 5, 6]), labels: [2, 0, 1], n: 3, features: 2 };
  assert.equal(pointCount(flat), 3);
  const q = pointsOf(flat, [1, 2], 2, 3);
  assert.deepEqual(
    [Array.from(q.x), Array.from(q.labels)],
    [
      [3, 4, 5, 6],
      [0, 1],
    ],
  );
  assert.throws(() => pointsOf(flat, [0], 3), /the data have 2 features, the network expects 3/);
  assert.throws(
    () => pointsOf({ x: [[1, 2], [3]], y: [0, 1] }, [1], 2),
    /point 1 has 1 features, the network expects 2/,
  );
});

test("trainOnCircuit: its settings are checked, zero epochs return the network unchanged, and the loss curve has one mean per epoch", () => {
  const net = createMlp([2, 3, 1], rng(5));
  const data = {
    x: [
      [0.1, 0.2],
      [0.5, -0.3],
      [-0.4, 0.9],
    ],
    y: [0, 1, 1],
  };
  const cfg = { epochs: 2, batchSize: 2, learningRate: 0.01, layer: LAYER };
  for (const [key, bad, msg] of [
    ["epochs", -1, /epochs must be an integer >= 0, got -1/],
    ["epochs", 1.5, /epochs must be an integer >= 0, got 1.5/],
    ["batchSize", 0, /batchSize must be a positive integer, got 0/],
    ["learningRate", 0, /learningRate must be a finite number > 0, got 0/],
    ["learningRate", Infinity, /learningRate must be a finite number > 0, got Infinity/],
    ["learningRate", NaN, /learningRate must be a finite number > 0, got NaN/],
  ] as const)
    assert.throws(() => trainOnCircuit(net, data, { ...cfg, [key]: bad }, rng(0)), msg);
  const still = trainOnCircuit(net, data, { ...cfg, epochs: 0 }, rng(0));
  assert.deepEqual(still.lossCurve, []);
  assert.deepEqual(
    still.net.params.map((p) => Array.from(p)),
    net.params.map((p) => Array.from(p)),
  );
  assert.notEqual(still.net.params[0], net.params[0], "a copy, not the network given");
  const epochs: number[] = [];
  const r = trainOnCircuit(net, data, cfg, rng(0), { onEpoch: (e, loss) => epochs.push(e, loss) });
  assert.equal(r.lossCurve.length, 2);
  assert.deepEqual(epochs, [0, r.lossCurve[0], 1, r.lossCurve[1]]);
  assert.ok(r.lossCurve.every((l) => l > 0 && Number.isFinite(l)));
  // one batch per epoch: the first epoch's loss is that batch's loss on the starting network
  const first = rng(0).shuffle([0, 1, 2]);
  const one = trainOnCircuit(net, data, { ...cfg, epochs: 1, batchSize: 3 }, rng(0)).lossCurve[0];
  assert.ok(Math.abs(one - circuitLossAndGrads(net, data, first, LAYER).loss) < 1e-12, "one batch: its loss");
});

test("label checks name the network's classes; one point is a data set; ties and a zero logit go to the lower class", () => {
  const rows = { x: [[1, 2]], y: [0.5] };
  assert.throws(() => pointsOf(rows, [0], 2), /label 0.5 of point 0 is not a class \(a whole number >= 0\)/);
  assert.throws(
    () => pointsOf({ x: [[1, 2]], y: [2] }, [0], 2, 1),
    /label 2 of point 0 is not a class of a network with 1 output \(labels 0\/1\)/,
  );
  assert.throws(
    () => pointsOf({ x: [[1, 2]], y: [3] }, [0], 2, 3),
    /label 3 of point 0 is not a class of a network with 3 outputs/,
  );
  assert.throws(() => logitLoss(Float64Array.from([0, 0]), Int32Array.from([2]), 2), /label 2 of point 0 .* 2 outputs/);
  assert.throws(() => logitLoss(Float64Array.from([0, 0]), Int32Array.from([-1]), 2), /label -1 of point 0/);
  // a binary network whose logit is exactly 0: both hidden units equal, output weights +1 and −1, no bias
  const flat: Mlp = {
    sizes: [2, 2, 1],
    params: [
      Float64Array.from([0.5, -0.3, 0.5, -0.3]),
      Float64Array.from([0.1, 0.1]),
      Float64Array.from([1, -1]),
      Float64Array.from([0]),
    ],
  };
  const one = { x: [[0.4, 0.7]], y: [0] };
  const z = circuitForward(circuitLayers(flat, LAYER), Float64Array.from([0.4, 0.7]), 1).logits[0];
  assert.equal(z, 0, "the logit is exactly 0");
  assert.deepEqual(Array.from(classifyOnCircuit(flat, one, LAYER).correct), [1], "a zero logit is class 0");
  // a 3-class network whose first two logits tie: the first wins
  const tied = threeClass();
  tied.params[2].set([2, -1, 0.5, 2, -1, 0.5, -2, -1.5, -2]);
  tied.params[3][1] = tied.params[3][0];
  const zz = circuitForward(circuitLayers(tied, LAYER), Float64Array.from([0.4, 0.7]), 1).logits;
  assert.ok(zz[0] === zz[1] && zz[0] > zz[2], `logits ${Array.from(zz).join(", ")}`);
  assert.deepEqual(Array.from(classifyOnCircuit(tied, { x: [[0.4, 0.7]], y: [0] }, LAYER).correct), [1]);
  const r = trainOnCircuit(
    flat,
    { x: [[0.4, 0.7]], y: [1] },
    { epochs: 1, batchSize: 1, learningRate: 0.1, layer: LAYER },
    rng(0),
  );
  assert.equal(r.lossCurve.length, 1, "one point, a batch of one");
});

test("gains scale each layer's outputs; power is per inference and only when asked; a noisy periphery draws from the devices' generator", () => {
  const net = createMlp([2, 3, 1], rng(6));
  const data = {
    x: [
      [0.2, -0.5],
      [0.9, 0.1],
      [-0.3, 0.8],
    ],
    y: [1, 0, 1],
  };
  const layers = circuitLayers(net, LAYER);
  const plain = classifyWithLayers(layers, data).correct;
  const flipped = classifyWithLayers(layers, data, { gains: [null, Float64Array.from([-1])] }).correct;
  plain.forEach((c, k) => assert.equal(c + flipped[k], 1, `point ${k}: a gain of −1 flips the binary decision`));
  assert.ok(!("power" in classifyOnCircuit(net, data, LAYER)), "no power unless asked");
  const once = evaluateOnCircuit(net, { x: [data.x[0]], y: [1] }, LAYER);
  const twice = evaluateOnCircuit(net, { x: [data.x[0], data.x[0]], y: [1, 1] }, LAYER);
  assert.ok(Math.abs(twice.sourcesWatt - once.sourcesWatt) < 1e-12 * once.sourcesWatt, "the mean over points");
  const noisy: CrossbarLayerConfig = { ...LAYER, periphery: { outputNoiseAmpere: 1e-9 } };
  const a = circuitLossAndGrads(net, data, [0, 1, 2], noisy, rng(7)),
    b = circuitLossAndGrads(net, data, [0, 1, 2], noisy, rng(7));
  assert.equal(a.loss, b.loss, "the same generator, the same noise");
  assert.notEqual(a.loss, circuitLossAndGrads(net, data, [0, 1, 2], noisy, rng(8)).loss);
});
