/**
 * Converted networks on tiles: the mapping report counts what the tiles hold; the weights read back
 * from the devices are the network's on ideal devices and reproduce the tiles' outputs on disturbed
 * ones (toDigital is the same network); the per-layer hook; time (programming, drift, compensation);
 * fine-tuning's gradients through ideal tiles equal tfjs's digital gradients, and bad input is refused.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/runtime/backend";
import { rng } from "../../lib/runtime/random";
import { loadOnnx, matrixShape, runDigital, withWeights } from "../../lib/models";
import {
  analogForward,
  analogWeights,
  mappingReport,
  programAnalog,
  readAnalogAt,
  toAnalog,
  toDigital,
} from "../../lib/training/analog-model";
import { analogGradients, fineTuneAnalog } from "../../lib/training/analog-finetune";
import type { CrossbarLayerConfig } from "../../lib/tile/layer";
import { JOKSAS_SETUPS } from "../../lib/devices/joksas";
import { pcmLikeModel } from "../../lib/devices/time";

before(async () => {
  await initBackend();
});

const DIR = path.join(__dirname, "..", "fixtures", "onnx");
const cnn = loadOnnx(path.join(DIR, "fashion-cnn.onnx"));
const ops = loadOnnx(path.join(DIR, "ops.onnx"));
const IDEAL: CrossbarLayerConfig = {
  gOffSiemens: 1e-6,
  gOnSiemens: 2.5e-5,
  readVoltageVolt: 0.2,
  wordSegmentOhm: 0,
  bitSegmentOhm: 0,
  tileRows: 64,
  tileCols: 8,
};
const images = (n: number, per: number, seed: number) => {
  const r = rng(seed);
  return Float32Array.from({ length: n * per }, () => r.next());
};

function relMax(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0,
    m = 0;
  for (let k = 0; k < b.length; k++) {
    d = Math.max(d, Math.abs(a[k] - b[k]));
    m = Math.max(m, Math.abs(b[k]));
  }
  return d / Math.max(m, 1e-12);
}

test("a layer that cannot be mapped is named: all-zero weights have no conductance scale", () => {
  const zero = {
    ...cnn,
    ops: cnn.ops.map((op) => (op.kind === "dense" ? { ...op, weight: new Float32Array(op.weight.length) } : op)),
  };
  const name = cnn.ops.find((op) => op.kind === "dense")!.name;
  assert.throws(
    () => toAnalog(zero, IDEAL),
    new RegExp(`toAnalog: layer "${name}" \\(dense\\): k_G = .* largest \\|weight\\| of 0`),
  );
});

test("mapping report: tiles, devices and window per layer; a hook keeps a layer digital", () => {
  const net = toAnalog(cnn, IDEAL, { layer: (op, i) => (i === 2 ? "digital" : undefined) });
  const rows = mappingReport(net);
  assert.equal(rows.length, 3);
  for (const r of rows.slice(0, 2)) {
    assert.equal(r.placement, "analog");
    assert.equal(r.tiles, Math.ceil(r.rows / 64) * Math.ceil(r.outputs / 4));
    assert.equal(r.devices, r.rows * 2 * r.outputs);
    assert.equal(r.gOnSiemens, IDEAL.gOnSiemens);
    assert.ok(r.kGSiemens! > 0);
  }
  assert.equal(rows[0].rows, 3 * 3 * 1 + 1, "im2col rows plus the bias row");
  assert.equal(rows[2].placement, "digital");
  assert.equal(rows[2].tiles, 0);
  const x = images(2, 784, 1);
  assert.ok(relMax(analogForward(net, x, 2).y, runDigital(cnn, x, 2)) < 2e-6);
});

test("weights read back: the network's on ideal devices; on disturbed devices, the tiles' own outputs", () => {
  for (const rule of ["min-G", "avg", "double"] as const)
    for (const bias of ["digital", "row"] as const) {
      const net = toAnalog(ops, { ...IDEAL, rule }, { bias }),
        w = analogWeights(net);
      for (const op of net.graph.ops) {
        if (op.kind !== "dense" && op.kind !== "conv2d") continue;
        assert.ok(relMax(w.get(op.name)!.weight, op.weight) < 1e-6, `${op.name} ${rule} ${bias}`);
        if (op.bias) assert.ok(relMax(w.get(op.name)!.bias!, op.bias) < 1e-6);
      }
    }
  const D3 = JOKSAS_SETUPS.D3,
    x = images(3, 784, 2);
  const cfg = { ...IDEAL, gOffSiemens: D3.gOffSiemens!, gOnSiemens: D3.gOnSiemens!, disturbance: D3.disturbance! };
  const net = toAnalog(cnn, cfg, { devices: rng(3), bias: "row" });
  const exact = toAnalog(cnn, cfg, { devices: rng(3), bias: "row", exact: true });
  assert.ok(
    net.stages.every((st) => st === null || st.effective !== null) &&
      exact.stages.every((st) => st === null || st.effective === null),
  );
  assert.ok(
    relMax(analogForward(net, x, 3).y, analogForward(exact, x, 3).y) < 1e-5,
    "one product with the devices' weights = the tiles, tile by tile",
  );
  const yTiles = analogForward(net, x, 3).y,
    yDigital = (toDigital(net).predict(tf.tensor4d(x, [3, 1, 28, 28])) as tf.Tensor).dataSync();
  assert.ok(relMax(yDigital, yTiles) < 1e-5);
  assert.ok(relMax(yTiles, runDigital(cnn, x, 3)) > 1e-3, "stuck devices change the outputs");
});

test("time: drift lowers the outputs, global compensation restores their scale", () => {
  const model = pcmLikeModel(IDEAL.gOnSiemens),
    x = images(8, 784, 4);
  const p = programAnalog(toAnalog(cnn, IDEAL), model, rng(5));
  const mag = (y: Float32Array) => y.reduce((a, v) => a + Math.abs(v), 0) / y.length;
  const at = (t: number, c: "none" | "global") => mag(analogForward(readAnalogAt(p, t, c, rng(6)), x, 8).y);
  const t0 = at(model.t0Second, "none"),
    year = at(365 * 86400, "none"),
    comp = at(365 * 86400, "global");
  assert.ok(year < 0.9 * t0, `a year of drift: mean |y| ${year} vs ${t0}`);
  assert.ok(Math.abs(comp - t0) < Math.abs(year - t0), `compensated: ${comp}; uncompensated ${year}; at t₀ ${t0}`);
});

test("fine-tuning: gradients through ideal tiles equal tfjs's digital gradients; the loss falls", () => {
  const n = 6,
    data = { x: images(n, 784, 7), labels: [0, 3, 1, 9, 4, 4], n };
  const analog = analogGradients(toAnalog(cnn, IDEAL, { exact: true }), data, rng(8));
  const digital = analogGradients(toAnalog(cnn, IDEAL, { layer: () => "digital" }), data, rng(8));
  assert.ok(Math.abs(analog.loss - digital.loss) < 1e-5 * digital.loss);
  for (const [name, g] of digital.grads) {
    assert.ok(relMax(analog.grads.get(name)!.weight, g.weight) < 1e-4, name);
    assert.ok(relMax(analog.grads.get(name)!.bias!, g.bias!) < 1e-4, `${name} bias`);
  }
  // the digital path itself against central differences of the tfjs model's loss (tf.conv2d)
  const lossOf = (g: typeof cnn) => {
    const z = runDigital(g, data.x, n);
    return data.labels.reduce((a, y, i) => {
      const row = Array.from(z.subarray(i * 10, i * 10 + 10)),
        m = Math.max(...row);
      return a + (m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) - row[y]) / n;
    }, 0);
  };
  assert.ok(Math.abs(lossOf(cnn) - digital.loss) < 1e-5 * digital.loss);
  for (const k of [0, 3, 7, 11]) {
    const conv = cnn.ops[0] as Extract<(typeof cnn.ops)[number], { kind: "conv2d" }>,
      h = 1e-2;
    const at = (d: number) =>
      lossOf(
        withWeights(
          cnn,
          new Map([[conv.name, { weight: conv.weight.map((w, q) => (q === k ? w + d : w)), bias: conv.bias }]]),
        ),
      );
    const fd = (at(h) - at(-h)) / (2 * h),
      g = digital.grads.get(conv.name)!.weight[k];
    assert.ok(Math.abs(fd - g) < 2e-2 * Math.abs(g) + 2e-4, `∂L/∂w[${k}]: ${g} vs central difference ${fd}`);
  }
  const row = analogGradients(toAnalog(cnn, { ...IDEAL, rule: "double" }, { bias: "row", exact: true }), data, rng(8));
  const fast = analogGradients(toAnalog(cnn, IDEAL, { bias: "row" }), data, rng(8));
  for (const [name, g] of digital.grads)
    assert.ok(relMax(fast.grads.get(name)!.weight, g.weight) < 1e-4, `${name}, linear tiles as one product`);
  for (const [name, g] of digital.grads)
    assert.ok(relMax(row.grads.get(name)!.bias!, g.bias!) < 1e-4, `${name} bias on its row, double weights`);
  const D3 = JOKSAS_SETUPS.D3;
  const cfg = { ...IDEAL, gOffSiemens: D3.gOffSiemens!, gOnSiemens: D3.gOnSiemens!, disturbance: D3.disturbance! };
  const train = { x: images(48, 784, 9), labels: Array.from({ length: 48 }, (_, i) => i % 10), n: 48 };
  const r = fineTuneAnalog(
    toAnalog(cnn, cfg, { devices: rng(10) }),
    train,
    { epochs: 3, batchSize: 16, learningRate: 3e-3 },
    rng(11),
  );
  assert.equal(r.losses.length, 3);
  assert.ok(r.losses[2] < r.losses[0], `losses ${r.losses.join(", ")}`);
  assert.equal(mappingReport(r.net).length, 3);
});

test("bad input is refused with the argument and value named", () => {
  const D3 = JOKSAS_SETUPS.D3;
  const cfg = { ...IDEAL, gOffSiemens: D3.gOffSiemens!, gOnSiemens: D3.gOnSiemens!, disturbance: D3.disturbance! };
  assert.throws(() => toAnalog(cnn, cfg), /layer ".*Conv" has a stuck disturbance; pass opts.devices/);
  assert.throws(() => toAnalog(cnn, IDEAL, { bias: "both" as "row" }), /bias must be "digital" or "row", got "both"/);
  const net = toAnalog(cnn, IDEAL),
    data = { x: images(2, 784, 1), labels: [0, 0.5], n: 2 };
  assert.throws(() => analogGradients(net, data, rng(0)), /label 1 is 0\.5; labels are class indices 0…9/);
  assert.throws(
    () => fineTuneAnalog(net, { ...data, labels: [0, 1] }, { epochs: 0, batchSize: 1, learningRate: 1 }, rng(0)),
    /epochs must be a positive integer, got 0/,
  );
  assert.throws(() => analogForward(net, images(1, 783, 0), 1), /783 values for a batch of 1 × 784/);
  assert.throws(() => toAnalog(cnn, { ...IDEAL, tileCols: 3 }), /tileCols must be an even integer/);
  assert.equal(matrixShape(cnn.ops[0] as Parameters<typeof matrixShape>[0]).rows, 9);
});
