/**
 * The fused WebAssembly engine against the tfjs layers (the reference): same network, same seed, so
 * the same device draws; loss, every parameter's gradient and power must agree to float32 tolerance
 * for D0–D8 and both weight implementations; a short training run must agree too.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/runtime/backend";
import { rng } from "../../lib/runtime/random";
import { JOKSAS_SETUPS, DeviceSetup } from "../../lib/devices/joksas";
import { mnistSplits, subset } from "../../lib/data/mnist";
import { Kernels, normalsFloat32, pad4, uniformsFloat32 } from "../../lib/kernels";
import {
  coefficientPairs,
  kinkFactor,
  pairConductancesBackward,
  pairScaleGradient,
  pairSlopes,
} from "../../lib/tile/mapping";
import { FusedMlp } from "../../lib/training/fused-mlp";
import {
  MemristiveMlp,
  WeightImplementation,
  crossEntropy,
  evaluate,
  joksasTraining,
  trainMemristiveMlp,
} from "../../lib/training/memristive-mlp";

before(async () => {
  await initBackend();
});

const data = mnistSplits("package", rng(0));
const batch = subset(
  data.train,
  Array.from({ length: 32 }, (_, i) => i),
);

/** max |a − b| relative to max |b| (0 when both are zero). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, "lengths");
  let d = 0,
    m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return m === 0 ? d : d / m;
}

/** Loss, gradients (variables() order) and power of one batch on the tfjs reference. */
function reference(model: MemristiveMlp, stage: DeviceSetup | null, seed: string, l1: number) {
  const x = tf.tensor2d(batch.x, [batch.n, batch.features]);
  const y = tf.tensor1d(Int32Array.from(batch.labels), "int32");
  const { value, grads } = tf.variableGrads(() => {
    const { probs } = model.forward(x, stage, rng(seed), { power: false });
    let loss = crossEntropy(probs, y);
    if (l1 > 0)
      loss = tf.add(
        loss,
        tf.mul(l1, tf.addN(model.variables().map((v) => tf.sum(tf.mul(v, tf.sign(v)))))),
      ) as tf.Scalar;
    return loss;
  }, model.variables());
  const power = model.forward(x, stage, rng(seed)).power;
  return {
    loss: value.dataSync()[0],
    grads: model.variables().map((v) => grads[v.name].dataSync() as Float32Array),
    power: power ? Array.from(power.dataSync()) : null,
  };
}

const WEIGHTS: Array<[string, WeightImplementation]> = [
  ["standard min-G", { kind: "standard", rule: "min-G" }],
  ["standard avg", { kind: "standard", rule: "avg" }],
  ["double", { kind: "double" }],
];

for (const id of Object.keys(JOKSAS_SETUPS) as Array<keyof typeof JOKSAS_SETUPS>) {
  for (const [wname, weights] of WEIGHTS) {
    test(`fused engine = tfjs layers on ${id}, ${wname}: loss, every gradient and power (same seed, same devices)`, () => {
      const setup = JOKSAS_SETUPS[id];
      const model = new MemristiveMlp({ sizes: [784, 25, 10], weights, engine: "tfjs" }, rng(`init/${id}/${wname}`));
      model.trainingSetup = JOKSAS_SETUPS.D2; // the window of double weights on the ideal stage
      const stage = setup.gOffSiemens === null ? null : setup;
      const ref = reference(model, stage, `step/${id}`, 0);
      const f = new FusedMlp([784, 25, 10], weights, 64);
      f.importParams(model.snapshot());
      f.forward(batch.x, batch.n, stage, model.trainingSetup, rng(`step/${id}`), { grad: true, power: false });
      const { loss } = f.score(batch.labels);
      f.backward(batch.labels);
      assert.ok(Math.abs(loss - ref.loss) <= 1e-4 * Math.abs(ref.loss), `loss ${loss} vs ${ref.loss}`);
      const grads = f.exportParams("grads");
      ref.grads.forEach((g, i) => {
        const e = relErr(grads[i], g);
        assert.ok(e < 2e-3, `gradient of tensor ${i}: max error ${e.toExponential(2)} of its largest entry`);
      });
      const { power } = f.forward(batch.x, batch.n, stage, model.trainingSetup, rng(`step/${id}`), { power: true });
      if (ref.power === null) assert.equal(power, null, "no power on a software stage");
      else
        assert.ok(relErr(power!, ref.power) < 1e-4, `power: max error ${relErr(power!, ref.power).toExponential(2)}`);
      model.dispose();
    });
  }
}

test("fused engine: L1 (TensorFlow's gradient sign θ, 0 at 0) and the gradient on a hidden layer's inputs", () => {
  const model = new MemristiveMlp({ sizes: [784, 25, 10], weights: { kind: "double" }, engine: "tfjs" }, rng(5));
  const ref = reference(model, JOKSAS_SETUPS.D2, "l1", 1e-3);
  const f = new FusedMlp([784, 25, 10], { kind: "double" }, 64);
  f.importParams(model.snapshot());
  f.forward(batch.x, batch.n, JOKSAS_SETUPS.D2, null, rng("l1"), { grad: true, power: false });
  const loss = f.score(batch.labels).loss + f.l1Penalty(1e-3);
  f.backward(batch.labels);
  assert.ok(Math.abs(loss - ref.loss) <= 1e-4 * ref.loss, `loss ${loss} vs ${ref.loss}`);
  // add γ·sign θ to the fused gradients, as sgdStep does
  const params = f.exportParams(),
    grads = f.exportParams("grads");
  grads.forEach((g, i) => g.forEach((v, q) => (g[q] = v + 1e-3 * Math.sign(params[i][q]))));
  ref.grads.forEach((g, i) => assert.ok(relErr(grads[i], g) < 2e-3, `tensor ${i}`));
  model.dispose();
});

test("a short training run: fused and tfjs follow the same path (same seed) and reach the same median error within the inference noise", () => {
  const small = subset(
    data.train,
    Array.from({ length: 640 }, (_, i) => i),
  );
  const val = subset(
    data.validation,
    Array.from({ length: 200 }, (_, i) => i),
  );
  const test = subset(
    data.test,
    Array.from({ length: 500 }, (_, i) => i),
  );
  const cfg = joksasTraining(JOKSAS_SETUPS.D2, {
    epochs: 3,
    learningRate: 0.1,
    l1: 1e-3,
    validateEvery: 1,
    validationRepeats: 3,
  });
  const runs = (["tfjs", "fused"] as const).map((engine) => {
    const model = new MemristiveMlp({ sizes: [784, 25, 10], weights: { kind: "double" }, engine }, rng(9));
    const r = trainMemristiveMlp(model, small, val, cfg, rng(10));
    const errs = Array.from({ length: 5 }, (_, k) => evaluate(model, test, JOKSAS_SETUPS.D2, rng(`infer/${k}`)).error);
    return { model, r, errs, weights: model.snapshot() };
  });
  const [a, b] = runs;
  a.r.curve.forEach((p, i) =>
    assert.ok(
      Math.abs(p.trainLoss - b.r.curve[i].trainLoss) < 2e-3 * p.trainLoss,
      `epoch ${p.epoch} train loss ${p.trainLoss} vs ${b.r.curve[i].trainLoss}`,
    ),
  );
  a.weights.forEach((w, i) =>
    assert.ok(relErr(b.weights[i], w) < 1e-2, `trained tensor ${i}: ${relErr(b.weights[i], w)}`),
  );
  const med = (e: number[]) => [...e].sort((x, y) => x - y)[2];
  // inference noise: the spread of the 5 repeats (at least 1 % of 500 digits)
  const spread = Math.max(...a.errs) - Math.min(...a.errs);
  assert.ok(
    Math.abs(med(a.errs) - med(b.errs)) <= Math.max(spread, 0.01),
    `median error ${med(a.errs)} (tfjs) vs ${med(b.errs)} (fused)`,
  );
  runs.forEach((r) => r.model.dispose());
});

test("fused engine: bad inputs are named (batch, input size, labels, all-zero weights)", () => {
  const f = new FusedMlp([4, 3, 2], { kind: "double" }, 8);
  assert.throws(() => f.forward(new Float32Array(40), 10, null, JOKSAS_SETUPS.D2, rng(1)), /batch 10 is not in 1\.\.8/);
  assert.throws(
    () => f.forward(new Float32Array(7), 2, null, JOKSAS_SETUPS.D2, rng(1)),
    /input has 7 values, expected 2×4/,
  );
  assert.throws(() => f.forward(new Float32Array(8), 2, JOKSAS_SETUPS.D3, null, rng(1)), /largest \|weight\| is 0/);
  assert.throws(() => f.forward(new Float32Array(8), 2, null, null, rng(1)), /training setup's conductance window/);
  f.importParams([
    new Float32Array(12).fill(1),
    new Float32Array(12).fill(0.5),
    new Float32Array(3),
    new Float32Array(3),
    new Float32Array(6).fill(1),
    new Float32Array(6),
    new Float32Array(2),
    new Float32Array(2),
  ]);
  f.forward(new Float32Array(8).fill(0.5), 2, JOKSAS_SETUPS.D3, null, rng(1));
  assert.throws(() => f.score([0, 2]), /label 2 of example 1 is not a class in 0\.\.1/);
  assert.throws(() => f.importParams([new Float32Array(3)]), /expected 8 parameter tensors, got 1/);
  assert.throws(() => new FusedMlp([4, 0], { kind: "double" }, 8), /positive integers/);
});

test("kernels: exp and ln within 2e-7 of float64 over the working range; draws deterministic per stream, with the right moments", () => {
  const K = new Kernels();
  const n = 4096,
    x = K.alloc(n),
    y = K.alloc(n),
    xs = K.f32(x, n);
  xs.forEach((_, i) => (xs[i] = -80 + (160 * i) / n));
  K.k.vexp(x, y, n);
  K.f32(y, n).forEach((v, i) =>
    assert.ok(Math.abs(v - Math.exp(xs[i])) <= 2e-7 * Math.exp(xs[i]), `exp(${xs[i]}) = ${v}`),
  );
  xs.forEach((_, i) => (xs[i] = Math.exp(-40 + (80 * i) / n)));
  K.k.vlog(x, y, n);
  K.f32(y, n).forEach((v, i) =>
    assert.ok(Math.abs(v - Math.log(xs[i])) <= 2e-7 * Math.max(1, Math.abs(Math.log(xs[i]))), `ln(${xs[i]}) = ${v}`),
  );
  assert.deepEqual(normalsFloat32(99, rng(3)), normalsFloat32(99, rng(3)));
  assert.notDeepEqual(normalsFloat32(8, rng(3)), normalsFloat32(8, rng(4)));
  const z = normalsFloat32(200000, rng(7));
  const mean = z.reduce((a, b) => a + b, 0) / z.length;
  const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length;
  assert.ok(Math.abs(mean) < 4 / Math.sqrt(z.length), `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 4 * Math.sqrt(2 / z.length), `variance ${variance}`);
  const u = uniformsFloat32(200000, rng(8));
  assert.ok(
    u.every((v) => v >= 0 && v < 1),
    "uniforms in [0, 1)",
  );
  const below = u.filter((v) => v < 0.05).length / u.length;
  assert.ok(Math.abs(below - 0.05) < 4 * Math.sqrt((0.05 * 0.95) / u.length), `P(u < 0.05) = ${below}`);
});

test("kernels: the pair mapping and its backward evaluate tile/mapping's coefficients (any base and slopes, both kink slopes, padding) to float32", () => {
  const K = new Kernels();
  const R = 5,
    n = 3,
    np = pad4(n),
    Cp = pad4(2 * n);
  const r = rng("pair-kernel");
  const w = Float64Array.from({ length: R * n }, (_, k) => (k === 4 ? 0 : r.uniform(-1, 1))); // one weight at the kink
  const dG = Float64Array.from({ length: R * 2 * n }, () => r.uniform(-1, 1)); // the tile's interleaved order
  const c = { baseSiemens: 3e-6, linear: 2e-6, rectified: 5e-6 };
  const theta = K.alloc(R * np),
    g = K.alloc(R * Cp),
    dg = K.alloc(R * Cp),
    dtheta = K.alloc(R * np);
  const th = K.f32(theta, R * np).fill(7),
    blocked = K.f32(dg, R * Cp).fill(0);
  for (let i = 0; i < R; i++)
    for (let j = 0; j < n; j++) {
      th[i * np + j] = w[i * n + j];
      blocked[i * Cp + j] = dG[i * 2 * n + 2 * j];
      blocked[i * Cp + n + j] = dG[i * 2 * n + 2 * j + 1];
    }
  K.k.mapStandard(theta, g, R, n, np, Cp, c.baseSiemens, c.linear, c.rectified, 1e-6);
  const want = coefficientPairs(w, R, n, c),
    got = K.f32(g, R * Cp);
  for (let i = 0; i < R; i++) {
    for (let j = 0; j < n; j++)
      for (let side = 0; side < 2; side++) {
        const a = got[i * Cp + side * n + j],
          b = want[i * 2 * n + 2 * j + side];
        assert.ok(Math.abs(a - b) <= 1e-6 * b, `G[${i}][${j}${side ? "−" : "+"}]: kernel ${a}, tile ${b}`);
      }
    for (let j = 2 * n; j < Cp; j++) assert.equal(got[i * Cp + j], Math.fround(1e-6), "padding");
  }
  // min-G slopes (the rule with a kink); the kernel returns Σ dG·(G − base) = k_G·∂L/∂k_G
  const kG = 4e-6;
  for (const kink of ["mean", "zero"] as const) {
    const { linear, rectified } = pairSlopes("min-G", kG);
    const sum = K.k.mapStandardBackward(theta, dg, dtheta, R, n, np, Cp, linear, rectified, kinkFactor(kink));
    const dW = pairConductancesBackward(w, dG, R, n, kG, "min-G", kink),
      d = K.f32(dtheta, R * np);
    for (let i = 0; i < R; i++) {
      for (let j = 0; j < n; j++)
        assert.ok(
          Math.abs(d[i * np + j] - dW[i * n + j]) <= 1e-5 * kG,
          `${kink} dθ[${i}][${j}]: kernel ${d[i * np + j]}, tile ${dW[i * n + j]}`,
        );
      for (let j = n; j < np; j++) assert.equal(d[i * np + j], 0, "padding of dθ");
    }
    const scale = pairScaleGradient(w, dG, R, n, "min-G");
    assert.ok(
      Math.abs(sum / kG - scale) <= 1e-5 * Math.abs(scale),
      `${kink} ∂L/∂k_G: kernel ${sum / kG}, tile ${scale}`,
    );
  }
  const avg = pairSlopes("avg", kG);
  const sumAvg = K.k.mapStandardBackward(theta, dg, dtheta, R, n, np, Cp, avg.linear, avg.rectified, 0);
  const dAvg = pairConductancesBackward(w, dG, R, n, kG, "avg"),
    d = K.f32(dtheta, R * np);
  for (let i = 0; i < R; i++)
    for (let j = 0; j < n; j++) assert.ok(Math.abs(d[i * np + j] - dAvg[i * n + j]) <= 1e-5 * kG, `avg dθ[${i}][${j}]`);
  assert.ok(Math.abs(sumAvg / kG - pairScaleGradient(w, dG, R, n, "avg")) <= 1e-5, "avg ∂L/∂k_G");
});
