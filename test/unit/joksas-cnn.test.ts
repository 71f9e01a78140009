// The CIFAR-10 CNN of spec §5.1 (digital convolutions, two crossbar layers) on small CIFAR-format files written here.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/runtime/backend";
import { rng } from "../../lib/runtime/random";
import { MemristiveCnn, augmentCifarBatch, conv3x3Valid } from "../../lib/training/memristive-cnn";
import { CNN_TRAININGS, cifarSplits, cnnProtocol, inferCnn, trainCnn } from "../../lib/experiments/joksas-cnn";

/** A CIFAR-10 binary batch: per image one label byte, then the red, green and blue 32×32 planes. */
function cifarBatch(n: number, seed: number): Buffer {
  const r = rng(seed);
  const buf = Buffer.alloc(n * 3073);
  for (let i = 0; i < n; i++) {
    const label = i % 10;
    buf[i * 3073] = label;
    // class-dependent colour plus noise, so that a few steps can learn something
    for (let ch = 0; ch < 3; ch++)
      for (let p = 0; p < 1024; p++)
        buf[i * 3073 + 1 + ch * 1024 + p] = Math.max(
          0,
          Math.min(255, Math.round(25 * label * (ch === label % 3 ? 1 : 0.2) + r.normal(0, 20))),
        );
  }
  return buf;
}

function cifarDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cifar-cnn-"));
  fs.writeFileSync(path.join(dir, "data_batch_1.bin"), cifarBatch(80, 1));
  fs.writeFileSync(path.join(dir, "test_batch.bin"), cifarBatch(80, 2));
  return dir;
}

test("CNN shapes: 32×32×3 → 1024 features → crossbars 1025×25 and 26×10 (25 885 synapses); only the crossbars are L1 tensors", async () => {
  await initBackend();
  const m = new MemristiveCnn({ weights: { kind: "double" } }, rng(0));
  tf.tidy(() => {
    const x = tf.randomUniform([3, 3072], 0, 1, "float32", 1) as tf.Tensor2D;
    assert.deepEqual(m.features(x).shape, [3, 1024]);
    const f = m.features(x).dataSync();
    assert.ok(
      f.every((v) => v >= 0 && v <= 1),
      "the last convolution's ReLU is capped at 1",
    );
    assert.throws(() => m.features(tf.zeros([2, 784]) as tf.Tensor2D), /3072 features \(32×32×3\), got 784/);
  });
  assert.equal(m.synapses(), 1025 * 25 + 26 * 10);
  assert.equal(m.variables().length, 6 + 8);
  assert.deepEqual(m.crossbarVariables(), m.head.variables());
  const snap = m.snapshot();
  const other = new MemristiveCnn({ weights: { kind: "double" } }, rng(1));
  other.restore(snap);
  other.snapshot().forEach((w, i) => assert.deepEqual(w, snap[i]));
  assert.throws(() => other.restore(snap.slice(1)), /snapshot has 13 tensors, the network 14/);
  m.dispose();
  other.dispose();
});

test("CNN: the convolutions get gradients through the crossbar head under I–V nonlinearity (D2) and ohmic devices (D3)", async () => {
  await initBackend();
  const { JOKSAS_SETUPS } = await import("../../lib/devices/joksas");
  const m = new MemristiveCnn({ weights: { kind: "double" } }, rng(3));
  m.head.trainingSetup = JOKSAS_SETUPS.D2;
  const x = tf.randomUniform([4, 3072], 0, 1, "float32", 2) as tf.Tensor2D;
  const convVars = m.variables().filter((v) => !m.head.variables().includes(v));
  assert.equal(convVars.length, 6);
  for (const id of ["D2", "D3"] as const) {
    const { grads } = tf.variableGrads(
      () =>
        tf.neg(tf.sum(tf.log(tf.slice(m.forward(x, JOKSAS_SETUPS[id], rng(4)).probs, [0, 0], [4, 1])))) as tf.Scalar,
      convVars as tf.Variable[],
    );
    for (const v of convVars) {
      const g = grads[v.name];
      const n = tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]);
      assert.ok(Number.isFinite(n) && n > 0, `${id}: conv variable ${v.name} gets gradient ${n}`);
    }
    tf.dispose(Object.values(grads));
  }
  m.dispose();
});

test("the im2col convolution equals tf.conv2d (valid, stride 1)", async () => {
  await initBackend();
  tf.tidy(() => {
    const a = tf.randomNormal([2, 7, 6, 3], 0, 1, "float32", 4) as tf.Tensor4D;
    const k = tf.randomNormal([3, 3, 3, 5], 0, 1, "float32", 5) as tf.Tensor4D;
    const got = conv3x3Valid(a, k),
      want = tf.conv2d(a, k, 1, "valid");
    assert.deepEqual(got.shape, [2, 5, 4, 5]);
    const g = got.dataSync(),
      w = want.dataSync();
    for (let i = 0; i < g.length; i++) assert.ok(Math.abs(g[i] - w[i]) < 1e-4, `element ${i}: ${g[i]} vs ${w[i]}`);
    assert.throws(() => conv3x3Valid(a, tf.zeros([3, 3, 4, 5]) as tf.Tensor4D), /does not fit input channels 3/);
  });
});

test("augmentation: each image is a whole-pixel shift (≤ ±3 px, reflected) of itself or of its mirror", () => {
  const batch = 4,
    x = new Float32Array(batch * 3072);
  for (let i = 0; i < x.length; i++) x[i] = ((i * 7919) % 1000) / 1000;
  const out = augmentCifarBatch(x, batch, rng(3));
  const reflect = (i: number, n: number) => (i < 0 ? -i - 1 : i >= n ? 2 * n - i - 1 : i);
  const candidate = (b: number, flip: boolean, dx: number, dy: number) => {
    const y = new Float32Array(3072);
    for (let r = 0; r < 32; r++)
      for (let c = 0; c < 32; c++) {
        const sr = reflect(r - dy, 32),
          sc0 = reflect(c - dx, 32),
          sc = flip ? 31 - sc0 : sc0;
        for (let ch = 0; ch < 3; ch++) y[(r * 32 + c) * 3 + ch] = x[b * 3072 + (sr * 32 + sc) * 3 + ch];
      }
    return y;
  };
  const seen = new Set<string>();
  for (let b = 0; b < batch; b++) {
    const got = out.subarray(b * 3072, (b + 1) * 3072);
    let match: string | null = null;
    for (const flip of [false, true])
      for (let dx = -3; dx <= 3; dx++)
        for (let dy = -3; dy <= 3; dy++) {
          if (!match && candidate(b, flip, dx, dy).every((v, i) => v === got[i])) match = `${flip}/${dx}/${dy}`;
        }
    assert.ok(match, `image ${b} is not a flip/shift of its input`);
    seen.add(match!);
  }
  assert.ok(seen.size > 1, "different images get different transforms");
  assert.deepEqual(augmentCifarBatch(x, batch, rng(3)), out, "reproducible per seed");
  assert.throws(() => augmentCifarBatch(x, 3, rng(3)), /expected 3×3072 values/);
});

test("C0 (ideal, standard) and C1 (aware of D2, double) train on CIFAR-format files and run the inference protocol", async () => {
  await initBackend();
  const dir = cifarDir();
  const protocol = cnnProtocol("quick", {
    testImages: 40,
    epochs: 2,
    batchSize: 16,
    learningRate: 0.05,
    validateEvery: 1,
    validationRepeats: 2,
    monitorRepeats: 1,
    inferenceRepeats: 3,
  });
  const data = cifarSplits(protocol, dir, { recordsPerBatch: 80 });
  assert.deepEqual([data.train.n, data.validation.n, data.test.n], [64, 16, 40]);
  assert.throws(
    () => cifarSplits({ ...protocol, testImages: 81 }, dir, { recordsPerBatch: 80 }),
    /testImages must be 1…80, got 81/,
  );
  assert.throws(() => cifarSplits(protocol, dir), /holds 80 records; a batch of the binary distribution holds 10000/);
  assert.throws(
    () => cifarSplits(protocol, path.join(dir, "missing")),
    /CIFAR-10 not found .*cifar-10-binary\.tar\.gz/,
  );
  for (const key of ["C0", "C1"] as const) {
    const net = trainCnn(CNN_TRAININGS[key], protocol, data, 0);
    assert.equal(net.result.curve.length, 2);
    assert.ok(net.result.curve.every((c) => Number.isFinite(c.trainLoss)));
    assert.deepEqual(
      net.result.monitor.map((m) => `${m.epoch}/${m.setupId}`),
      ["1/D2", "2/D2"],
    );
    if (key === "C1")
      assert.ok(
        net.model.head.variables().every((v) => v.dataSync().every((w) => w >= 0)),
        "double weights stay non-negative",
      );
    const s = inferCnn(net, "D2", data, protocol);
    assert.equal(s.errors.length, 3);
    assert.ok(s.errors.every((e) => e >= 0 && e <= 1));
    assert.ok(s.meanPowerWatt! > 0 && s.efficiencyTopsPerWatt! > 0);
    net.model.dispose();
  }
});
