import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { rng } from "../../lib/runtime/random";
import { droletMoons, makeMoons, storedDroletMoons } from "../../lib/data/moons";
import { DROLET_2023_TIO2, withoutSources } from "../../lib/devices/tio2";
import { transferNetwork } from "../../lib/tile/transfer";
import { Adam, accuracy, asParamTensors, cloneMlp, createMlp, logits, lossAndGrads } from "../../lib/training/mlp";
import { DROLET_REGULAR_TRAINING, trainMlp } from "../../lib/training/hardware-aware";
import { hardwareAwareStep, mlpVariables, tfMlpLogits } from "../../lib/training/tf-hardware-aware";
import { evaluateTransfers, rangeTable, shareAtLeast } from "../../lib/experiments/drolet";

test("two moons: balanced, scaled to [0, 1], paper split overlaps, clean split is disjoint", () => {
  const m = makeMoons(1000, 0.2, rng(0));
  assert.equal(m.y.filter((v) => v === 1).length, 500);
  const paper = droletMoons("paper", rng(1));
  assert.deepEqual([paper.train.x.length, paper.validation.x.length, paper.test.x.length], [875, 125, 200]);
  assert.ok(paper.testInTrain > 140 && paper.testInTrain < 210, `overlap ${paper.testInTrain}`);
  assert.ok(paper.train.x.flat().every((v) => v >= 0 && v <= 1));
  const clean = droletMoons("clean", rng(1));
  assert.equal(clean.testInTrain, 0);
  assert.equal(clean.test.x.length, 200);
  const stored = storedDroletMoons();
  assert.equal(stored.testInTrain, 172);
  assert.throws(() => droletMoons("other" as never, rng(0)), /unknown two-moons split "other"/);
});

test("the TypeScript MLP engine matches tfjs: logits, gradients and an Adam step", async () => {
  await tf.setBackend("cpu");
  const net = createMlp([2, 8, 1], rng(3));
  const data = droletMoons("paper", rng(4)).train;
  const idx = Array.from({ length: 64 }, (_, i) => i);
  const xs = tf.tensor2d(idx.map((i) => data.x[i]));
  const ys = tf.tensor2d(idx.map((i) => [data.y[i]]));
  const vars = mlpVariables(net);
  const zt = tfMlpLogits(vars, xs).dataSync();
  const z = logits(
    net.sizes,
    net.params,
    idx.map((i) => data.x[i]),
  );
  z.forEach((v, i) => assert.ok(Math.abs(v - zt[i]) < 1e-5));
  // gradients of the mean BCE-with-logits loss
  const g = tf.variableGrads(() => tf.losses.sigmoidCrossEntropy(ys, tfMlpLogits(vars, xs)) as tf.Scalar, vars);
  const mine = lossAndGrads(net.sizes, net.params, data.x, data.y, idx);
  assert.ok(Math.abs(mine.loss - g.value.dataSync()[0]) < 1e-5);
  vars.forEach((v, p) => {
    const gt = g.grads[v.name].dataSync();
    mine.grads[p].forEach((x, i) =>
      assert.ok(Math.abs(x - gt[i]) < 1e-5 + 1e-4 * Math.abs(x), `grad ${p}[${i}]: ${x} vs ${gt[i]}`),
    );
  });
  // one hardware-aware step in both engines with the same transfer
  const device = DROLET_2023_TIO2;
  const lambda = 1e-4;
  const opt = tf.train.adam(0.1, 0.9, 0.999, 1e-8);
  hardwareAwareStep(
    vars,
    (p) => tf.losses.sigmoidCrossEntropy(ys, tfMlpLogits(p, xs)) as tf.Scalar,
    opt,
    { device, noiseInjection: true, freezeFailed: true, l2: lambda },
    rng(9),
  );
  const ref = cloneMlp(net);
  const tr = transferNetwork(asParamTensors(ref), device, rng(9));
  const { grads } = lossAndGrads(
    ref.sizes,
    tr.map((t) => t.values),
    data.x,
    data.y,
    idx,
  );
  grads.forEach((g, p) => g.forEach((_, i) => (g[i] += lambda * ref.params[p][i])));
  const before = ref.params.map((p) => p.slice());
  new Adam(ref.params, 0.1).step(ref.params, grads);
  tr.forEach((t, p) => t.failed.forEach((f, i) => f && (ref.params[p][i] = before[p][i])));
  vars.forEach((v, p) => {
    const got = v.dataSync();
    ref.params[p].forEach((w, i) => assert.ok(Math.abs(w - got[i]) < 1e-4, `param ${p}[${i}]: ${w} vs ${got[i]}`));
  });
});

test("a regular network evaluated with all noise off equals its clean accuracy", () => {
  const splits = droletMoons("paper", rng(5));
  const net = createMlp([2, 8, 1], rng(6));
  trainMlp(net, splits.train, { ...DROLET_REGULAR_TRAINING, epochs: 100 }, rng(7));
  const clean = accuracy(logits(net.sizes, net.params, splits.test.x), splits.test.y);
  const ev = evaluateTransfers(
    net,
    splits.test,
    withoutSources(DROLET_2023_TIO2, "tuning", "drift", "failures"),
    20,
    rng(8),
  );
  assert.ok(Math.abs(ev.meanTransferAccuracy - clean) < 1e-12);
  assert.ok(Array.from(ev.perPoint).every((a) => a === 0 || a === 1));
  assert.equal(shareAtLeast(ev.perPoint), clean);
  const rows = rangeTable(ev.perPoint);
  assert.equal(
    rows.reduce((s, r) => s + r.count, 0),
    200,
  );
});

test("bad training settings are rejected", () => {
  const net = createMlp([2, 8, 1], rng(0));
  const d = droletMoons("paper", rng(0)).train;
  assert.throws(
    () => trainMlp(net, d, { ...DROLET_REGULAR_TRAINING, epochs: 0 }, rng(0)),
    /epochs must be a positive integer/,
  );
  assert.throws(
    () => trainMlp(net, d, { ...DROLET_REGULAR_TRAINING, learningRate: -1 }, rng(0)),
    /learningRate must be > 0/,
  );
  assert.throws(() => createMlp([2, 8, 2], rng(0)), /one unit/);
});
