// Circuit-aware training with several classes (softmax cross-entropy) and the MNIST study on tiles.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { rng } from "../../lib/runtime/random";
import { initBackend } from "../../lib/runtime/backend";
import { Mlp, sigmoid } from "../../lib/training/mlp";
import {
  circuitForward,
  circuitLayers,
  circuitLossAndGrads,
  evaluateOnCircuit,
  logitLoss,
} from "../../lib/training/circuit-aware";
import { MemristiveMlp, asMlp } from "../../lib/training/memristive-mlp";
import { CrossbarLayerConfig } from "../../lib/tile/layer";
import { joksasProtocol } from "../../lib/experiments/joksas";
import { mnistCircuitCell, mnistCircuitProtocol, MNIST_CIRCUIT_LAYER } from "../../lib/experiments/circuit-aware-mnist";
import { JOKSAS_TRAININGS } from "../../lib/experiments/joksas";
import { summariseCircuitAware } from "../../lib/experiments/circuit-aware";
import { gridExperiment } from "../../lib/grid/registry";
import { JOKSAS_SETUPS, deviceSetup } from "../../lib/devices/joksas";

const LAYER: CrossbarLayerConfig = {
  gOffSiemens: 1e-4,
  gOnSiemens: 5e-4,
  readVoltageVolt: 0.2,
  wordSegmentOhm: 0,
  bitSegmentOhm: 0,
  tileRows: 4,
  tileCols: 4,
};

/** Software logits of a sigmoid MLP with linear outputs, [B][K]. */
function softwareLogits(net: Mlp, x: Float64Array, B: number): Float64Array {
  let a = x;
  for (let l = 0; l + 1 < net.sizes.length; l++) {
    const nIn = net.sizes[l],
      nOut = net.sizes[l + 1],
      W = net.params[2 * l],
      b = net.params[2 * l + 1];
    const out = new Float64Array(B * nOut);
    for (let k = 0; k < B; k++)
      for (let o = 0; o < nOut; o++) {
        let s = b[o];
        for (let i = 0; i < nIn; i++) s += W[o * nIn + i] * a[k * nIn + i];
        out[k * nOut + o] = l + 2 < net.sizes.length ? sigmoid(s) : s;
      }
    a = out;
  }
  return a;
}

test("several classes: softmax cross-entropy on ideal tiles equals the software network's; with line resistance the adjoint gradients match finite differences across tiles", () => {
  const r = rng(21);
  const sizes = [6, 5, 3];
  const net: Mlp = {
    sizes,
    params: [r.uniforms(30, -1, 1), r.uniforms(5, -0.5, 0.5), r.uniforms(15, -1, 1), r.uniforms(3, -0.5, 0.5)],
  };
  const n = 8,
    x = Float64Array.from({ length: n * 6 }, () => r.uniform(0, 1)),
    labels = Uint8Array.from([0, 1, 2, 2, 1, 0, 1, 2]);
  const data = { x, labels, n, features: 6 };
  const idx = Array.from({ length: n }, (_, i) => i);
  const z = softwareLogits(net, x, n);
  let expected = 0;
  for (let k = 0; k < n; k++) {
    const row = Array.from(z.subarray(3 * k, 3 * k + 3));
    expected += Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[labels[k]];
  }
  const ideal = circuitLossAndGrads(net, data, idx, LAYER);
  assert.ok(Math.abs(ideal.loss - expected / n) < 1e-12, `loss ${ideal.loss} vs ${expected / n}`);
  const wired = { ...LAYER, wordSegmentOhm: 150, bitSegmentOhm: 150 };
  const g = circuitLossAndGrads(net, data, idx, wired).grads;
  const largest = net.params.map((p, k) =>
    k % 2 === 0 ? Array.from(p).reduce((b, v, i, a) => (Math.abs(v) > Math.abs(a[b]) ? i : b), 0) : -1,
  );
  for (let p = 0; p < net.params.length; p++) {
    for (let i = 0; i < net.params[p].length; i++) {
      if (p % 2 === 0 && largest[p] === i) continue; // sets k_G, held fixed within a step
      const h = 1e-6;
      const at = (d: number): number => {
        const q: Mlp = { sizes, params: net.params.map((v) => v.slice()) };
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
  // evaluation in chunks classifies by the largest logit
  const e = evaluateOnCircuit(net, data, LAYER);
  let correct = 0;
  for (let k = 0; k < n; k++) {
    const row = Array.from(z.subarray(3 * k, 3 * k + 3));
    if (row.indexOf(Math.max(...row)) === labels[k]) correct++;
  }
  assert.equal(e.accuracy, correct / n);
});

test("logit loss: binary and softmax gradients, labels checked against the classes", () => {
  const z = Float64Array.from([0.3, -1.2, 2.0, 0.1, 0.4, -0.5]);
  const { loss, dz } = logitLoss(z, Int32Array.from([2, 0]), 3);
  for (let q = 0; q < 6; q++) {
    const h = 1e-6,
      up = z.slice(),
      dn = z.slice();
    up[q] += h;
    dn[q] -= h;
    const fd =
      (logitLoss(up, Int32Array.from([2, 0]), 3).loss - logitLoss(dn, Int32Array.from([2, 0]), 3).loss) / (2 * h);
    assert.ok(Math.abs(dz[q] - fd) < 1e-8, `dz[${q}]: ${dz[q]} vs ${fd}`);
  }
  assert.ok(loss > 0);
  const b = logitLoss(Float64Array.from([0.7]), Int32Array.from([1]), 1);
  assert.ok(Math.abs(b.dz[0] - (sigmoid(0.7) - 1)) < 1e-15);
  assert.throws(
    () => logitLoss(z, Int32Array.from([3, 0]), 3),
    /label 3 of point 0 is not a class of a network with 3 outputs/,
  );
  assert.throws(
    () => logitLoss(Float64Array.from([0.1]), Int32Array.from([2]), 1),
    /label 2 of point 0 is not a class of a network with 1 output \(labels 0\/1\)/,
  );
});

test("asMlp: a standard-weight memristive network as a float64 MLP gives the class probabilities of its own forward pass", async () => {
  await initBackend();
  const model = new MemristiveMlp({ sizes: [7, 4, 3], weights: { kind: "standard", rule: "min-G" } }, rng(3));
  const r = rng(4);
  const n = 5,
    x = Float32Array.from({ length: n * 7 }, () => r.uniform(0, 1));
  const probs = tf.tidy(() => model.forward(tf.tensor2d(x, [n, 7]), null, rng(5)).probs.arraySync()) as number[][];
  const net = asMlp(model);
  const z = softwareLogits(net, Float64Array.from(x), n);
  for (let k = 0; k < n; k++) {
    const row = Array.from(z.subarray(3 * k, 3 * k + 3)),
      s = row.reduce((a, v) => a + Math.exp(v), 0);
    row.forEach((v, c) =>
      assert.ok(Math.abs(Math.exp(v) / s - probs[k][c]) < 1e-5, `[${k}][${c}]: ${Math.exp(v) / s} vs ${probs[k][c]}`),
    );
  }
  model.dispose();
  const double = new MemristiveMlp({ sizes: [3, 2], weights: { kind: "double" } }, rng(6));
  assert.throws(() => asMlp(double), /only standard weights/);
  double.dispose();
});

test("MNIST study: protocol constants come from setup D8; a cell trains, fine-tunes through the circuit and reports power with wire losses", async () => {
  await initBackend();
  const p = mnistCircuitProtocol("quick");
  assert.equal(p.layer, MNIST_CIRCUIT_LAYER);
  assert.equal(MNIST_CIRCUIT_LAYER.gOffSiemens, JOKSAS_SETUPS.D8.gOffSiemens);
  assert.equal(MNIST_CIRCUIT_LAYER.gOnSiemens, JOKSAS_SETUPS.D8.gOnSiemens);
  assert.ok(p.seeds.length >= 3 && p.segmentsOhm[0] === 0);
  assert.ok(gridExperiment("circuit-aware-mnist").defaultGrid("quick").axes.segmentOhm.length === p.segmentsOhm.length);
  assert.deepEqual(gridExperiment("circuit-aware-mnist").defaultGrid("full").axes.devices, ["ideal", "variable"]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mnist-circuit-"));
  const before = process.env.CROSSBAR_LAB_RESULTS_DIR;
  process.env.CROSSBAR_LAB_RESULTS_DIR = dir;
  try {
    const small = {
      ...p,
      software: joksasProtocol("quick", { epochs: 3, trainDigits: 640 }),
      testDigits: 64,
      circuitDigits: 96,
      learningRate: 0.01,
    };
    const nets = {};
    const regular = mnistCircuitCell(small, 0, 10, "regular", undefined, nets);
    const aware = mnistCircuitCell(small, 0, 10, "circuit-aware", undefined, nets);
    for (const row of [regular, aware]) {
      assert.ok(row.accuracy > 0.1 && row.accuracy <= 1, `${row.training}: accuracy ${row.accuracy}`);
      assert.ok(
        row.wiresWatt > 0 && row.wiresWatt < row.sourcesWatt,
        `${row.training}: wires ${row.wiresWatt} W of ${row.sourcesWatt} W`,
      );
    }
    assert.ok(
      fs.readdirSync(path.join(dir, "networks", "joksas")).length === 1,
      "the regular network is trained once and cached",
    );
    // devices with T10's variability: another realisation of the same network, reproducible by seed
    assert.equal(p.variability.disturbance, JOKSAS_SETUPS[JOKSAS_TRAININGS.T10.setup as "D5"].disturbance);
    assert.equal(p.variability.disturbance.kind, "d2d-lognormal");
    const variable = mnistCircuitCell(small, 0, 10, "regular", undefined, nets, "variable");
    assert.equal(variable.devices, "d2d-lognormal");
    assert.equal(regular.devices, "none");
    assert.notEqual(variable.sourcesWatt, regular.sourcesWatt, "variable devices draw another current");
    assert.deepEqual(mnistCircuitCell(small, 0, 10, "regular", undefined, nets, "variable"), variable);
    const variableAware = mnistCircuitCell(small, 0, 10, "circuit-aware", undefined, nets, "variable");
    assert.ok(variableAware.accuracy > 0.1 && variableAware.devices === "d2d-lognormal");
    assert.throws(
      () => summariseCircuitAware([regular, variable]),
      /rows of several kinds of devices \(none, d2d-lognormal\)/,
    );
    assert.throws(
      () => mnistCircuitCell(small, 0, 10, "regular", undefined, nets, "noisy" as never),
      /unknown devices "noisy": use ideal or variable/,
    );
    assert.throws(
      () => mnistCircuitCell(small, 0, 10, "nosuch" as never, undefined, nets),
      /unknown training "nosuch"/,
    );
    assert.throws(
      () => mnistCircuitCell({ ...small, testDigits: 0 }, 0, 10, "regular", undefined, nets),
      /testDigits must be a whole number from 1 to/,
    );
  } finally {
    if (before === undefined) delete process.env.CROSSBAR_LAB_RESULTS_DIR;
    else process.env.CROSSBAR_LAB_RESULTS_DIR = before;
  }
});

test("one power model: on an ohmic stage without disturbance, the Joksas layers' power (Σ V²·G) is the tile's with ideal wires, and so are the class probabilities", async () => {
  await initBackend();
  const model = new MemristiveMlp(
    { sizes: [9, 5, 3], weights: { kind: "standard", rule: "min-G" }, engine: "tfjs" },
    rng(8),
  );
  const d8 = JOKSAS_SETUPS.D8;
  const stage = deviceSetup(
    {
      id: "ohmic",
      name: "ohmic, no disturbance",
      gOffSiemens: d8.gOffSiemens!,
      gOnSiemens: d8.gOnSiemens!,
      readVoltageVolt: d8.readVoltageVolt,
    },
    [],
  );
  const r = rng(9);
  const n = 4,
    x = Float32Array.from({ length: n * 9 }, () => r.uniform(0, 1));
  const out = tf.tidy(() => {
    const f = model.forward(tf.tensor2d(x, [n, 9]), stage, rng(10), { power: true });
    return { probs: f.probs.arraySync() as number[][], power: Array.from(f.power!.dataSync()) };
  });
  const net = asMlp(model);
  const layers = circuitLayers(net, {
    gOffSiemens: stage.gOffSiemens!,
    gOnSiemens: stage.gOnSiemens!,
    readVoltageVolt: stage.readVoltageVolt,
    wordSegmentOhm: 0,
    bitSegmentOhm: 0,
    tileRows: 4,
    tileCols: 4,
  });
  const { logits, passes } = circuitForward(layers, Float64Array.from(x), n);
  const tilePower = new Float64Array(n);
  passes.forEach(({ f }, l) => layers[l].power(f).sourcesWatt.forEach((w, k) => (tilePower[k] += w)));
  for (let k = 0; k < n; k++) {
    assert.ok(
      Math.abs(tilePower[k] - out.power[k]) <= 1e-5 * out.power[k],
      `example ${k}: tile ${tilePower[k]} W, Joksas layers ${out.power[k]} W`,
    );
    const row = Array.from(logits.subarray(3 * k, 3 * k + 3)),
      s = row.reduce((a, v) => a + Math.exp(v), 0);
    row.forEach((v, c) => assert.ok(Math.abs(Math.exp(v) / s - out.probs[k][c]) < 1e-5, `probability [${k}][${c}]`));
  }
  model.dispose();
});
